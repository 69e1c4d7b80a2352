/* Steering to the worker that owns the state a packet needs: inbound internet packets to the
 * owner of their NAT session, WireGuard data to the owner of its keypair.
 *
 * Each worker's NAT instance owns a slice of the public port range (and of ICMP echo
 * identifiers). RSS or the kernel's fan-out picks the receiving worker from the packet's own
 * tuple, which for a reply says nothing about who created the session, so a packet whose public
 * port belongs to another worker is handed to that worker's hand-off ring. With one worker this is
 * a no-op.
 */
#include <string.h>

#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "dp_stages.h"
#include "icmp.h"
#include "wg_const.h"

/* The public port (or echo identifier) a packet to us is about; -1 when there is none. */
static int
public_port(const uint8_t *ip, uint32_t len)
{
	const struct rte_ipv4_hdr *h = (const struct rte_ipv4_hdr *)ip;
	uint32_t ihl = rte_ipv4_hdr_len(h);
	const uint8_t *l4 = ip + ihl;

	if (len < ihl + 8)
		return -1;
	if (h->next_proto_id == IPPROTO_TCP || h->next_proto_id == IPPROTO_UDP)
		return (l4[2] << 8) | l4[3]; /* destination port */
	if (h->next_proto_id != IPPROTO_ICMP)
		return -1;
	if (l4[0] == MG_PKT_ICMP_ECHO_REPLY)
		return (l4[4] << 8) | l4[5]; /* identifier */
	if (l4[0] == MG_PKT_ICMP_DEST_UNREACH || l4[0] == MG_PKT_ICMP_TIME_EXCEEDED ||
	    l4[0] == MG_PKT_ICMP_PARAM_PROBLEM) {
		/* The quoted packet is one we sent: its source port is ours. */
		const uint8_t *in = l4 + 8;
		uint32_t in_ihl;

		if (len < ihl + 8 + 20)
			return -1;
		in_ihl = (in[0] & 0xf) * 4u;
		if (len < ihl + 8 + in_ihl + 8)
			return -1;
		if (in[9] == IPPROTO_ICMP)
			return (in[in_ihl + 4] << 8) | in[in_ihl + 5];
		return (in[in_ihl] << 8) | in[in_ihl + 1];
	}
	return -1;
}

unsigned int
mg_dp_port_owner(const struct mg_dp *dp, int port)
{
	unsigned int w;

	if (port < dp->nat_port_lo || dp->nat_port_span == 0)
		return 0;
	w = (unsigned int)(port - dp->nat_port_lo) / dp->nat_port_span;
	return w < dp->n_workers ? w : dp->n_workers - 1;
}

/* Pass m to another worker's ring, counted as `counted`; dropped (counted) when the ring is full. */
static void
hand_off(struct mg_dp_worker *w, struct rte_ring *ring, struct rte_mbuf *m,
	 enum mg_dp_counter counted)
{
	if (likely(rte_ring_enqueue(ring, m) == 0)) {
		w->counters.c[counted]++;
	} else {
		MG_DP_DROP(w, HANDOFF_RING_FULL);
		rte_pktmbuf_free(m);
	}
}

uint16_t
mg_dp_steer(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct mg_dp_split split;

	if (w->dp->n_workers == 1)
		return n;
	MG_DP_SPLIT_INIT(split);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		int port = public_port(rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN),
				       rte_pktmbuf_data_len(m) - RTE_ETHER_HDR_LEN);
		unsigned int owner = port < 0 ? w->idx : mg_dp_port_owner(w->dp, port);

		if (owner == w->idx)
			mg_dp_keep(pkts, &split, m);
		else
			hand_off(w, w->dp->workers[owner]->handoff_ring, m, MG_DP_HANDED_OFF);
	}
	return split.kept;
}

/* The keypair a WireGuard data frame names (receiver index), or NULL: unknown index or a frame
 * too short to hold one (decrypt drops and counts those). */
static struct mg_dp_keypair *
frame_keypair(const struct mg_dp *dp, const struct rte_mbuf *m)
{
	const struct rte_udp_hdr *udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *,
								RTE_ETHER_HDR_LEN + m->l3_len);
	uint32_t receiver;
	int64_t slot;

	if (rte_be_to_cpu_16(udp->dgram_len) < sizeof(*udp) + MG_WG_DATA_MIN_LEN)
		return NULL;
	memcpy(&receiver, (const uint8_t *)(udp + 1) + 4, sizeof(receiver));
	slot = mg_dp_index_lookup(&dp->index_table, rte_le_to_cpu_32(receiver));
	return slot >= 0 ? &dp->keypairs[slot] : NULL;
}

/* Whose is kp: this worker's when it owns it or has just claimed it; else the owner's id. */
static uint32_t
claim(struct mg_dp_keypair *kp, uint32_t me)
{
	uint32_t owner = __atomic_load_n(&kp->owner, __ATOMIC_ACQUIRE);

	if (owner == 0 && __atomic_compare_exchange_n(&kp->owner, &owner, me, false,
						      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return me;
	return owner;
}

uint16_t
mg_dp_steer_wg(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	const uint32_t me = mg_dp_owner_id(w);
	struct mg_dp_split split;

	if (me == 0)
		return n;
	MG_DP_SPLIT_INIT(split);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct mg_dp_keypair *kp = frame_keypair(w->dp, m);
		uint32_t owner = kp != NULL ? claim(kp, me) : me;

		if (likely(owner == me))
			mg_dp_keep(pkts, &split, m);
		else
			hand_off(w, w->dp->workers[owner - 1]->wg_handoff_ring, m,
				 MG_DP_WG_HANDED_OFF);
	}
	return split.kept;
}
