/* Packet order across the pipeline's crypto lcores: one lcore stamps a dense sequence number on
 * every packet it hands to the crypto ring, the single consumer of the crypto lcores' output puts
 * them back in that order with DPDK's reorder library (rte_reorder) before they go on.
 *
 * rte_reorder (22.11) stops draining at a missing number and has no call to skip one; this
 * wrapper keeps its own copy of the next expected number so it can skip a hole exactly (a
 * "filler" mbuf inserted at that number), which it does when a hole is reported lost, when the
 * window would overflow, or when a hole has waited longer than the hole timeout.
 */
#ifndef MG_DP_REORDER_H
#define MG_DP_REORDER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_reorder.h>

enum mg_dp_reorder_limits {
	MG_DP_REORDER_HOLE_NS = 10 * 1000 * 1000, /* default: a missing number waits at most this
						   * long behind later packets (10 ms) */
};

/* Dynamic mbuf flags (valid once mg_dp_reorder_create has run): "carries a sequence number for
 * the next reordering lcore", and "dropped by a crypto lcore (already counted by its reason):
 * free it once its turn comes". rte_pktmbuf_reset clears both. */
extern uint64_t mg_dp_seq_flag, mg_dp_seq_drop_flag;

static inline void
mg_dp_seq_stamp(struct rte_mbuf *m, uint32_t seqn)
{
	*rte_reorder_seqn(m) = seqn;
	m->ol_flags = (m->ol_flags & ~mg_dp_seq_drop_flag) | mg_dp_seq_flag;
}

static inline bool
mg_dp_seq_is(const struct rte_mbuf *m)
{
	return (m->ol_flags & mg_dp_seq_flag) != 0;
}

static inline uint32_t
mg_dp_seq_of(struct rte_mbuf *m)
{
	return *rte_reorder_seqn(m);
}

static inline void
mg_dp_seq_mark_dropped(struct rte_mbuf *m)
{
	m->ol_flags |= mg_dp_seq_drop_flag;
}

static inline void
mg_dp_seq_clear(struct rte_mbuf *m)
{
	m->ol_flags &= ~(mg_dp_seq_flag | mg_dp_seq_drop_flag);
}

struct mg_dp_reorder;

/* A buffer for `size` numbers (a power of two) that expects 0 first; NULL on failure (rte_errno).
 * hole_ns: how long a missing number may hold back later packets. */
struct mg_dp_reorder *mg_dp_reorder_create(const char *name, int socket_id, unsigned size,
					   uint64_t hole_ns);
/* Frees the packets it still holds too. */
void mg_dp_reorder_free(struct mg_dp_reorder *r);
void mg_dp_reorder_set_hole_ns(struct mg_dp_reorder *r, uint64_t hole_ns);

/* Take sequenced packets in. A packet whose number was already passed is freed and counted in
 * *late (unless it was marked dropped). Returns how many were taken: it stops before a packet a
 * whole window ahead, which mg_dp_reorder_drain then makes room for; call again with the rest. */
unsigned mg_dp_reorder_insert(struct mg_dp_reorder *r, struct rte_mbuf **pkts, unsigned n,
			      uint64_t *late);

/* Number seqn will never come (its packet was freed on the way): skip it when its turn comes. */
void mg_dp_reorder_lost(struct mg_dp_reorder *r, uint32_t seqn);

/* Up to cap packets that are next in order, sequence flags cleared; packets marked dropped are
 * freed, not returned. Skips holes as the header comment says (now: the caller's clock). */
unsigned mg_dp_reorder_drain(struct mg_dp_reorder *r, struct rte_mbuf **out, unsigned cap,
			     uint64_t now);

/* Numbers held (packets and skipped holes) waiting for an earlier one; and holes skipped so far. */
unsigned mg_dp_reorder_held(const struct mg_dp_reorder *r);
uint64_t mg_dp_reorder_skipped(const struct mg_dp_reorder *r);

#endif /* MG_DP_REORDER_H */
