/* The ingress stage: packets from the internet addressed to our public address.
 * NAT in finds the peer (and rewrites the destination back to the client's inner address);
 * anything without a session is dropped and counted, never forwarded. A packet too big for the
 * tunnel with DF set is answered with ICMP "fragmentation needed" carrying the tunnel MTU, so
 * path MTU discovery works for UDP and ICMP too (TCP is covered by MSS clamping). */
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "dp_stages.h"
#include "icmp.h"
#include "ipv4.h"
#include "nat.h"
#include "tcp_mss.h"

enum { IPV4_TCP_HEADERS = 40 };

/* RFC 1191: tell the sender the largest packet the tunnel carries. */
static void
frag_needed(struct mg_dp_worker *w, const uint8_t *quote, uint32_t quote_len, uint64_t now,
	    struct mg_dp_burst *to_internet)
{
	unsigned int port = w->dp->internet_port;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)quote;
	struct rte_mbuf *e = mg_dp_icmp_error(w, quote, quote_len, MG_PKT_ICMP_DEST_UNREACH,
					      MG_PKT_ICMP_FRAG_NEEDED, w->dp->tunnel_mtu);

	if (e == NULL)
		return;
	if (!mg_dp_l2_prepend(w, port, e, mg_dp_next_hop(&w->dp->ports[port], ip->src_addr), now)) {
		rte_pktmbuf_free(e);
		return;
	}
	e->port = port;
	mg_dp_burst_add(to_internet, e);
}

/* Too big for the tunnel: dropped. If DF is set and the packet belongs to a session (strangers
 * cannot probe us this way), the sender learns the tunnel MTU. The NAT rewrites the packet, so
 * the quote (header + 8 bytes, RFC 792) is taken before. */
static bool
too_big(struct mg_dp_worker *w, struct rte_ipv4_hdr *ip, const struct mg_pkt_ipv4_info *info,
	uint64_t now, struct mg_dp_burst *to_internet)
{
	uint8_t quote[MG_PKT_IPV4_HDR_MAX + 8];
	uint32_t quote_len = info->hdr_len + 8u;
	uint32_t peer_id;

	MG_DP_DROP(w, TOO_BIG);
	if (!(info->frag_off & RTE_IPV4_HDR_DF_FLAG))
		return false;
	memcpy(quote, ip, quote_len);
	if (mg_nat_in(w->nat, ip, info->total_len, now, &peer_id) == MG_NAT_OK)
		frag_needed(w, quote, quote_len, now, to_internet);
	return false;
}

/* The fields ingress needs of a header mg_dp_classify has validated already (checksum, lengths,
 * not a fragment, the L4 header within the packet): read, not parsed a second time. */
static void
classified_info(const struct rte_ipv4_hdr *ip, uint16_t hdr_len, struct mg_pkt_ipv4_info *info)
{
	info->hdr_len = hdr_len;
	info->total_len = rte_be_to_cpu_16(ip->total_length);
	info->l4_len = info->total_len - hdr_len;
	info->frag_off = rte_be_to_cpu_16(ip->fragment_offset);
	info->proto = ip->next_proto_id;
	info->ttl = ip->time_to_live;
	info->tcp_flags = info->proto == IPPROTO_TCP ?
		((const struct rte_tcp_hdr *)((const uint8_t *)ip + hdr_len))->tcp_flags : 0;
}

static bool
ingress_one(struct mg_dp_worker *w, struct rte_mbuf *m, uint64_t now, void *to_internet)
{
	struct rte_ipv4_hdr *ip;
	struct mg_pkt_ipv4_info info;
	uint32_t peer_id;
	enum mg_nat_result r;

	rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	classified_info(ip, m->l3_len, &info);
	rte_pktmbuf_trim(m, rte_pktmbuf_data_len(m) - info.total_len); /* Ethernet padding */
	if (unlikely(info.ttl <= 1)) {
		MG_DP_DROP(w, TTL_EXPIRED);
		return false;
	}
	if (unlikely(info.total_len > w->dp->tunnel_mtu))
		return too_big(w, ip, &info, now, to_internet);
	r = mg_nat_in(w->nat, ip, info.total_len, now, &peer_id);
	if (unlikely(r != MG_NAT_OK)) {
		if (r == MG_NAT_MISS)
			MG_DP_DROP(w, NAT_NO_SESSION);
		else
			MG_DP_DROP(w, NAT_MALFORMED);
		return false;
	}
	mg_pkt_ipv4_dec_ttl(ip);
	if (info.proto == IPPROTO_TCP && (info.tcp_flags & RTE_TCP_SYN_FLAG))
		mg_pkt_tcp_clamp_mss((struct rte_tcp_hdr *)((uint8_t *)ip + info.hdr_len),
				     info.l4_len, w->dp->tunnel_mtu - IPV4_TCP_HEADERS);
	MG_DP_COUNT(w, NAT_IN, 1);
	mg_dp_mbuf_set_peer(m, peer_id);
	return true;
}

uint16_t
mg_dp_ingress(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now,
	      struct mg_dp_burst *to_internet)
{
	return mg_dp_filter(w, pkts, n, now, to_internet, ingress_one);
}
