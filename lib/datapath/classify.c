/* Classification of received frames: which stage, if any, a frame goes to next.
 * Only frames for our MAC (or broadcast ARP) and for one of our addresses are accepted; the
 * gateway does not forward transit traffic that is not WireGuard to it or a reply to its NAT. */
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dp_stages.h"
#include "icmp.h"
#include "ipv4.h"
#include "wg_const.h"

static bool
for_our_mac(const struct mg_dp_port *port, const struct rte_ether_hdr *eth)
{
	return rte_is_same_ether_addr(&eth->dst_addr, &port->mac) ||
	       rte_is_broadcast_ether_addr(&eth->dst_addr);
}

static __rte_always_inline struct mg_dp_burst *
classify_ipv4(struct mg_dp_worker *w, const struct mg_dp_port *port, struct rte_mbuf *m,
	      struct mg_dp_classified *out)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN);
	struct mg_pkt_ipv4_info info;
	enum mg_pkt_verdict v;

	v = mg_pkt_ipv4_parse(ip, rte_pktmbuf_data_len(m) - RTE_ETHER_HDR_LEN, &info);
	if (unlikely(v == MG_PKT_VERDICT_FRAGMENT)) {
		MG_DP_DROP(w, OUTER_FRAGMENT);
		return &out->drop;
	}
	if (unlikely(v != MG_PKT_VERDICT_OK && v != MG_PKT_VERDICT_UNSUPPORTED_PROTO)) {
		MG_DP_DROP(w, BAD_OUTER_IP);
		return &out->drop;
	}
	/* What later stages need of the outer header, so they do not parse it again. */
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = info.hdr_len;
	if (unlikely(info.dst_be != port->ip_be)) {
		MG_DP_DROP(w, NOT_FOR_US);
		return &out->drop;
	}
	if ((port->role & MG_DP_ROLE_MESH) && info.proto == IPPROTO_UDP &&
	    info.dst_port == rte_be_to_cpu_16(w->dp->listen_port_be)) {
		const uint8_t *wg = ip + info.hdr_len + sizeof(struct rte_udp_hdr);
		if (info.l4_len < sizeof(struct rte_udp_hdr) + 4) {
			MG_DP_DROP(w, WG_BAD_SIZE);
			return &out->drop;
		}
		if (wg[0] == MG_WG_MSG_DATA)
			return &out->wg_data;
		if (wg[0] >= MG_WG_MSG_INITIATION && wg[0] <= MG_WG_MSG_COOKIE_REPLY)
			return &out->punt;
		MG_DP_DROP(w, WG_BAD_TYPE);
		return &out->drop;
	}
	if ((port->role & MG_DP_ROLE_MESH) && info.proto == IPPROTO_UDP &&
	    w->dp->mesh_port_be != 0 && info.dst_port == rte_be_to_cpu_16(w->dp->mesh_port_be))
		return &out->punt; /* the mesh control protocol */
	if (info.proto == IPPROTO_ICMP && info.icmp_type == MG_PKT_ICMP_ECHO_REQUEST)
		return &out->punt;
	if ((port->role & MG_DP_ROLE_INTERNET) && info.dst_be == w->dp->public_ip_be &&
	    v == MG_PKT_VERDICT_OK)
		return &out->internet;
	MG_DP_DROP(w, NOT_WIREGUARD);
	return &out->drop;
}

void
mg_dp_classify(struct mg_dp_worker *w, unsigned int port_idx, struct rte_mbuf **pkts, uint16_t n,
	       struct mg_dp_classified *out)
{
	const struct mg_dp_port *port = &w->dp->ports[port_idx];
	uint64_t bytes = 0;

	out->wg_data.n = out->punt.n = out->internet.n = out->drop.n = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth;
		struct mg_dp_burst *to = &out->drop;

		bytes += rte_pktmbuf_pkt_len(m);
		m->port = port_idx;
		if (unlikely(m->nb_segs != 1)) {
			MG_DP_DROP(w, MULTI_SEGMENT);
		} else if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN)) {
			MG_DP_DROP(w, BAD_ETHERNET);
		} else if (eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *),
			   unlikely(!for_our_mac(port, eth))) {
			MG_DP_DROP(w, NOT_FOR_US);
		} else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
			to = &out->punt;
		} else if (likely(eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))) {
			to = classify_ipv4(w, port, m, out);
		} else {
			MG_DP_DROP(w, UNKNOWN_ETHERTYPE);
		}
		mg_dp_burst_add(to, m);
	}
	/* once per burst: a counter in memory added per packet chains each one to the last */
	MG_DP_COUNT(w, RX_PACKETS, n);
	MG_DP_COUNT(w, RX_BYTES, bytes);
}
