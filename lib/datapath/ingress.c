/* The ingress stage: packets from the internet addressed to our public address.
 * NAT in finds the peer (and rewrites the destination back to the client's inner address);
 * anything without a session is dropped and counted, never forwarded. */
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "dp_stages.h"
#include "ipv4.h"
#include "nat.h"
#include "tcp_mss.h"

enum { IPV4_TCP_HEADERS = 40 };

static bool
ingress_one(struct mg_dp_worker *w, struct rte_mbuf *m, uint64_t now)
{
	struct rte_ipv4_hdr *ip;
	struct mg_pkt_ipv4_info info;
	uint32_t peer_id;
	enum mg_nat_result r;

	rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	if (mg_pkt_ipv4_parse((const uint8_t *)ip, rte_pktmbuf_data_len(m), &info) !=
	    MG_PKT_VERDICT_OK) {
		MG_DP_DROP(w, BAD_OUTER_IP);
		return false;
	}
	rte_pktmbuf_trim(m, rte_pktmbuf_data_len(m) - info.total_len); /* Ethernet padding */
	if (unlikely(info.ttl <= 1)) {
		MG_DP_DROP(w, TTL_EXPIRED);
		return false;
	}
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
mg_dp_ingress(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct mg_dp_split split = { 0 };

	for (uint16_t i = 0; i < n; i++) {
		if (ingress_one(w, pkts[i], now))
			mg_dp_keep(pkts, &split, pkts[i]);
		else
			mg_dp_reject(&split, pkts[i]);
	}
	return mg_dp_split_finish(pkts, &split);
}
