/* The egress stage: inner packets from peers on their way to the internet.
 *
 * Order of checks: the inner header must be sane IPv4 and not a fragment; its source must be one
 * the peer may use (reverse path); TTL; then NAT. A NAT hit is the fast path; a miss asks the exit
 * policy and only then creates a session (slow path). Refusals that a client should hear about
 * become ICMP errors sent back through its tunnel.
 */
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "dp_stages.h"
#include "icmp.h"
#include "ipv4.h"
#include "nat.h"
#include "policy.h"
#include "relay.h"
#include "tcp_mss.h"

enum { IPV4_TCP_HEADERS = 40 };

static bool
source_allowed(const struct mg_dp_peer *peer, uint32_t src_be)
{
	for (uint16_t i = 0; i < peer->n_allowed; i++)
		if ((src_be & peer->allowed[i].mask_be) == peer->allowed[i].addr_be)
			return true;
	return false;
}

/* An ICMP error about packet m (inner IPv4 at its start), back through its peer's tunnel. */
static void
icmp_to_peer(struct mg_dp_worker *w, struct rte_mbuf *m, uint8_t type, uint8_t code,
	     struct mg_dp_burst *to_peer)
{
	struct rte_mbuf *e = mg_dp_icmp_error(w, rte_pktmbuf_mtod(m, const uint8_t *),
					      rte_pktmbuf_data_len(m), type, code, 0);

	if (e == NULL)
		return;
	mg_dp_mbuf_set_peer(e, mg_dp_mbuf_peer(m));
	mg_dp_burst_add(to_peer, e);
}

static bool
nat_refused(struct mg_dp_worker *w, struct rte_mbuf *m, enum mg_nat_result r,
	    struct mg_dp_burst *to_peer)
{
	switch (r) {
	case MG_NAT_OK:
		return false;
	case MG_NAT_ERR_TABLE_FULL:
		MG_DP_DROP(w, NAT_TABLE_FULL);
		icmp_to_peer(w, m, MG_PKT_ICMP_DEST_UNREACH, MG_PKT_ICMP_ADMIN_PROHIBITED, to_peer);
		break;
	case MG_NAT_ERR_PEER_LIMIT:
		MG_DP_DROP(w, NAT_PEER_LIMIT);
		icmp_to_peer(w, m, MG_PKT_ICMP_DEST_UNREACH, MG_PKT_ICMP_ADMIN_PROHIBITED, to_peer);
		break;
	case MG_NAT_ERR_NO_PORT:
		MG_DP_DROP(w, NAT_NO_PORT);
		icmp_to_peer(w, m, MG_PKT_ICMP_DEST_UNREACH, MG_PKT_ICMP_ADMIN_PROHIBITED, to_peer);
		break;
	case MG_NAT_ERR_TCP_NOT_SYN:
		MG_DP_DROP(w, NAT_TCP_NOT_SYN);
		break;
	case MG_NAT_ERR_UNSUPPORTED:
		MG_DP_DROP(w, NAT_UNSUPPORTED);
		break;
	default:
		MG_DP_DROP(w, NAT_MALFORMED);
		break;
	}
	return true;
}

/* The slow path of a NAT miss: relay target or exit policy, then a new session. Returns false
 * when the packet goes to the tail. */
static bool
create_out(struct mg_dp_worker *w, struct rte_mbuf *m, const struct mg_pkt_ipv4_info *info,
	   uint64_t now, struct mg_dp_burst *to_peer)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	enum mg_policy_verdict pv;
	enum mg_nat_result r;

	if (info->proto == IPPROTO_UDP &&
	    mg_dp_relay_target(w->dp, info->dst_be, rte_cpu_to_be_16(info->dst_port))) {
		/* The next hop of a relay chain: a mesh node in our signed view. */
		pv = MG_POLICY_VERDICT_ALLOW;
		MG_DP_COUNT(w, RELAYED, 1);
	} else if (w->dp->relay_only) {
		pv = MG_POLICY_VERDICT_DENY_RULE; /* a relay forwards to mesh nodes only */
	} else {
		pv = mg_policy_check(w->dp->policy, rte_be_to_cpu_32(info->dst_be), info->proto,
				     info->proto == IPPROTO_ICMP ? 0 : info->dst_port);
	}
	if (pv != MG_POLICY_VERDICT_ALLOW) {
		MG_DP_DROP(w, POLICY_DENIED);
		if (w->dp->icmp_reply_denied)
			icmp_to_peer(w, m, MG_PKT_ICMP_DEST_UNREACH, MG_PKT_ICMP_ADMIN_PROHIBITED,
				     to_peer);
		return false;
	}
	r = mg_nat_out_create(w->nat, mg_dp_mbuf_peer(m), ip, info->total_len, now);
	if (nat_refused(w, m, r, to_peer))
		return false;
	MG_DP_COUNT(w, NAT_CREATED, 1);
	return true;
}

/* The checks before NAT: sane inner IPv4, not a fragment, a source the peer may use (reverse
 * path), TTL. Returns false when the packet goes to the tail. */
static bool
check_inner(struct mg_dp_worker *w, struct rte_mbuf *m, struct mg_pkt_ipv4_info *info,
	    struct mg_dp_burst *to_peer)
{
	const struct mg_dp_peer *peer = &w->dp->peers[mg_dp_mbuf_peer(m)];
	enum mg_pkt_verdict v;

	v = mg_pkt_ipv4_parse(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), info);
	if (unlikely(v != MG_PKT_VERDICT_OK)) {
		if (v == MG_PKT_VERDICT_FRAGMENT)
			MG_DP_DROP(w, INNER_FRAGMENT);
		else if (v == MG_PKT_VERDICT_BAD_VERSION)
			MG_DP_DROP(w, INNER_NOT_IPV4);
		else if (v == MG_PKT_VERDICT_UNSUPPORTED_PROTO)
			MG_DP_DROP(w, NAT_UNSUPPORTED);
		else
			MG_DP_DROP(w, INNER_MALFORMED);
		return false;
	}
	mg_dp_mbuf_narrow(m, 0, info->total_len); /* without the tunnel's padding */
	if (unlikely(!source_allowed(peer, info->src_be))) {
		MG_DP_DROP(w, SOURCE_NOT_ALLOWED);
		return false;
	}
	if (unlikely(info->ttl <= 1)) {
		MG_DP_DROP(w, TTL_EXPIRED);
		icmp_to_peer(w, m, MG_PKT_ICMP_TIME_EXCEEDED, MG_PKT_ICMP_TTL_EXCEEDED, to_peer);
		return false;
	}
	return true;
}

/* After NAT out: TTL, MSS clamp, Ethernet header for the internet port. */
static bool
finish_out(struct mg_dp_worker *w, struct rte_mbuf *m, const struct mg_pkt_ipv4_info *info,
	   uint64_t now, struct mg_dp_l2_cache *l2c)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	unsigned int port = w->dp->internet_port;

	mg_pkt_ipv4_dec_ttl(ip);
	if (info->proto == IPPROTO_TCP && (info->tcp_flags & RTE_TCP_SYN_FLAG))
		mg_pkt_tcp_clamp_mss((struct rte_tcp_hdr *)((uint8_t *)ip + info->hdr_len),
				     info->l4_len, w->dp->tunnel_mtu - IPV4_TCP_HEADERS);
	MG_DP_COUNT(w, NAT_OUT, 1);
	if (unlikely(!mg_dp_l2_prepend_cached(w, port, m,
					      mg_dp_next_hop(&w->dp->ports[port], ip->dst_addr),
					      now, l2c)))
		return false;
	m->port = port;
	return true;
}

/* The NAT result of one packet: a hit goes on; a miss takes the slow path, unless an earlier
 * packet of the burst created its session meanwhile (two packets of one new flow). */
static bool
translate_out(struct mg_dp_worker *w, struct rte_mbuf *m, const struct mg_pkt_ipv4_info *info,
	      enum mg_nat_result r, bool *created, uint64_t now, struct mg_dp_burst *to_peer)
{
	if (r == MG_NAT_MISS && *created)
		r = mg_nat_out_lookup(w->nat, mg_dp_mbuf_peer(m),
				      rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *), info->total_len, now);
	if (likely(r == MG_NAT_OK))
		return true;
	if (r != MG_NAT_MISS)
		return !nat_refused(w, m, r, to_peer);
	if (!create_out(w, m, info, now, to_peer))
		return false;
	*created = true;
	return true;
}

/* Checks per packet, then NAT out for the whole burst at once (the session lookups overlap their
 * cache misses), then the slow path for misses and the output headers, in packet order. */
uint16_t
mg_dp_egress(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now,
	     struct mg_dp_burst *to_peer)
{
	struct mg_dp_split split;
	struct mg_pkt_ipv4_info info[MG_DP_BURST * 2];
	struct rte_mbuf *ok[MG_DP_BURST * 2];
	struct rte_ipv4_hdr *ips[MG_DP_BURST * 2];
	uint32_t peer_ids[MG_DP_BURST * 2];
	enum mg_nat_result res[MG_DP_BURST * 2];
	struct mg_dp_l2_cache l2c = { .hop_be = 0 };
	uint16_t k = 0;
	bool created = false;

	MG_DP_SPLIT_INIT(split);
	for (uint16_t i = 0; i < n; i++) {
		if (!check_inner(w, pkts[i], &info[k], to_peer)) {
			mg_dp_reject(&split, pkts[i]);
			continue;
		}
		ok[k] = pkts[i];
		ips[k] = rte_pktmbuf_mtod(pkts[i], struct rte_ipv4_hdr *);
		peer_ids[k] = mg_dp_mbuf_peer(pkts[i]);
		k++;
	}
	if (k > 0)
		mg_nat_out_lookup_burst(w->nat, peer_ids, ips, info, k, now, res);
	for (uint16_t i = 0; i < k; i++) {
		if (translate_out(w, ok[i], &info[i], res[i], &created, now, to_peer) &&
		    finish_out(w, ok[i], &info[i], now, &l2c))
			mg_dp_keep(pkts, &split, ok[i]);
		else
			mg_dp_reject(&split, ok[i]);
	}
	return mg_dp_split_finish(pkts, &split);
}
