/* Small helpers the stage functions share: a burst of mbufs, counting, and the clock.
 *
 * Stages follow DPDK's convention: they take pkts[] and a count, keep the packets that go on at the
 * front, move the ones they consumed or dropped to the tail (counted by reason), and return how
 * many they kept. The caller frees the tail.
 */
#ifndef MG_DP_BURST_H
#define MG_DP_BURST_H

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "dp_state.h"

struct mg_dp_burst {
	uint16_t n;
	struct rte_mbuf *m[MG_DP_BURST * 2];
};

/* Empty a burst or split declared on the stack: only the counts. An initialiser ({ 0 }) would
 * clear the whole array too, half a kilobyte per stage per burst. */
#define MG_DP_BURST_INIT(b) ((b).n = 0)
#define MG_DP_SPLIT_INIT(s) ((s).kept = (s).n_tail = 0)

#define MG_DP_COUNT(w, id, v) ((w)->counters.c[MG_DP_##id] += (v))
#define MG_DP_DROP(w, id) ((w)->counters.drop[MG_DP_DROP_##id]++)

static inline void
mg_dp_burst_add(struct mg_dp_burst *b, struct rte_mbuf *m)
{
	if (likely(b->n < RTE_DIM(b->m)))
		b->m[b->n++] = m;
	else
		rte_pktmbuf_free(m);
}

/* Partition helper: put pkts that fail at the tail while keeping order at the front. */
struct mg_dp_split {
	uint16_t kept;
	uint16_t n_tail;
	struct rte_mbuf *tail[MG_DP_BURST * 2];
};

static inline void
mg_dp_keep(struct rte_mbuf **pkts, struct mg_dp_split *s, struct rte_mbuf *m)
{
	pkts[s->kept++] = m;
}

static inline void
mg_dp_reject(struct mg_dp_split *s, struct rte_mbuf *m)
{
	s->tail[s->n_tail++] = m;
}

static inline void
mg_dp_sort(struct rte_mbuf **pkts, struct mg_dp_split *s, struct rte_mbuf *m, bool keep)
{
	if (likely(keep))
		mg_dp_keep(pkts, s, m);
	else
		mg_dp_reject(s, m);
}

/* Copy the rejected packets behind the kept ones; returns the kept count. */
static inline uint16_t
mg_dp_split_finish(struct rte_mbuf **pkts, struct mg_dp_split *s)
{
	for (uint16_t i = 0; i < s->n_tail; i++)
		pkts[s->kept + i] = s->tail[i];
	return s->kept;
}

/* The loop every per-packet stage runs: one(w, m, now, ctx) says whether m goes on; kept packets
 * stay in order at the front, the others follow. Always inlined, so one is a direct (usually
 * inlined) call rather than a call through a pointer. */
typedef bool (*mg_dp_one_fn)(struct mg_dp_worker *w, struct rte_mbuf *m, uint64_t now, void *ctx);

static __rte_always_inline uint16_t
mg_dp_filter(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now,
	     void *ctx, mg_dp_one_fn one)
{
	struct mg_dp_split s;

	MG_DP_SPLIT_INIT(s);
	for (uint16_t i = 0; i < n; i++)
		mg_dp_sort(pkts, &s, pkts[i], one(w, pkts[i], now, ctx));
	return mg_dp_split_finish(pkts, &s);
}

/* True when this lcore is the only data-plane lcore (run-to-completion with one worker): per-peer
 * and per-keypair state that workers write then has a single writer, and needs neither a lock
 * nor a locked add. Other lcores (control, telemetry) only read it. */
static inline bool
mg_dp_single_writer(const struct mg_dp_worker *w)
{
	return w->role == MG_DP_ROLE_RUN_TO_COMPLETION && w->dp->n_workers == 1;
}

/* 1 + this worker's index when it must own the keypairs it decrypts for (run-to-completion with
 * several workers), else 0: one lcore owns everything, pipeline crypto lcores share. */
static inline uint32_t
mg_dp_owner_id(const struct mg_dp_worker *w)
{
	return w->role == MG_DP_ROLE_RUN_TO_COMPLETION && w->dp->n_workers > 1 ? w->idx + 1 : 0;
}

/* Add v to a counter only this lcore writes and other lcores read: an untorn load and store. */
static inline void
mg_dp_own_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

/* Peer id travels with an mbuf between stages in the application-owned hash field. */
static inline uint32_t
mg_dp_mbuf_peer(const struct rte_mbuf *m)
{
	return m->hash.usr;
}

static inline void
mg_dp_mbuf_set_peer(struct rte_mbuf *m, uint32_t peer_id)
{
	m->hash.usr = peer_id;
}

/* Narrow a single-segment mbuf (classify drops the others) to the len bytes at offset off of
 * its data: rte_pktmbuf_adj and rte_pktmbuf_trim in one, without their checks and segment walk.
 * The caller has checked that off + len is within the data. */
static inline void
mg_dp_mbuf_narrow(struct rte_mbuf *m, uint16_t off, uint16_t len)
{
	m->data_off = (uint16_t)(m->data_off + off);
	m->data_len = len;
	m->pkt_len = len;
}

#endif /* MG_DP_BURST_H */
