/* The reorder buffer of a pipeline direction (see reorder.h): rte_reorder holds the packets, this
 * file tracks the next expected number and the current stall so it can skip holes. It never lets
 * rte_reorder see a packet outside its window, so rte_reorder's own "ready" overflow buffer stays
 * empty and every drained entry moves the expected number by exactly one.
 */
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "reorder.h"

uint64_t mg_dp_seq_flag, mg_dp_seq_drop_flag;

struct mg_dp_reorder {
	struct rte_reorder_buffer *b;
	uint32_t size;
	uint32_t expect;      /* the number rte_reorder waits for (its min_seqn) */
	uint32_t high;        /* the highest number taken in */
	uint32_t held;        /* entries in b: packets and fillers */
	uint32_t fillers;
	bool stalled;         /* the head has been missing since stall_ns ... */
	uint32_t stall_mark;  /* ... while this number (then the highest held) waited behind it */
	uint64_t stall_ns;
	bool full;            /* an insert waits for the window to reach full_seqn */
	uint32_t full_seqn;
	uint64_t hole_ns;
	uint64_t skipped;
	struct rte_mbuf filler; /* stands for a skipped number; never freed, never returned */
};

/* Distance from a to b in sequence space (wraps); >= 2^31 means b is before a. */
static inline uint32_t
seq_off(uint32_t a, uint32_t b)
{
	return b - a;
}

static int
register_flags(void)
{
	static const struct rte_mbuf_dynflag seq = { .name = "mg_dp_seq" };
	static const struct rte_mbuf_dynflag drop = { .name = "mg_dp_seq_drop" };
	int s = rte_mbuf_dynflag_register(&seq), d = rte_mbuf_dynflag_register(&drop);

	if (s < 0 || d < 0)
		return -1;
	mg_dp_seq_flag = 1ULL << s;
	mg_dp_seq_drop_flag = 1ULL << d;
	return 0;
}

static void
put_filler(struct mg_dp_reorder *r, uint32_t seqn)
{
	*rte_reorder_seqn(&r->filler) = seqn;
	if (rte_reorder_insert(r->b, &r->filler) == 0) {
		r->held++;
		r->fillers++;
	}
}

/* Drain what rte_reorder has in order into out[0..cap): fillers and dropped packets leave here.
 * *raw: entries drained (each moved the expected number by one). */
static unsigned
take(struct mg_dp_reorder *r, struct rte_mbuf **out, unsigned cap, unsigned *raw)
{
	unsigned n = rte_reorder_drain(r->b, out, cap), k = 0;

	r->expect += n;
	r->held -= n;
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = out[i];

		if (m == &r->filler) {
			r->fillers--;
			continue;
		}
		if (unlikely(m->ol_flags & mg_dp_seq_drop_flag)) {
			rte_pktmbuf_free(m);
			continue;
		}
		m->ol_flags &= ~mg_dp_seq_flag;
		out[k++] = m;
	}
	*raw = n;
	return k;
}

struct mg_dp_reorder *
mg_dp_reorder_create(const char *name, int socket_id, unsigned size, uint64_t hole_ns)
{
	struct mg_dp_reorder *r;
	struct rte_mbuf *first;
	unsigned raw;

	if (!rte_is_power_of_2(size)) {
		rte_errno = EINVAL;
		return NULL;
	}
	r = rte_zmalloc_socket("mg_reorder", sizeof(*r), 0, socket_id);
	if (r == NULL)
		return NULL;
	r->b = rte_reorder_create(name, (unsigned)socket_id, size); /* registers the seqn field */
	if (r->b == NULL || register_flags() != 0) {
		mg_dp_reorder_free(r);
		return NULL;
	}
	r->size = size;
	r->hole_ns = hole_ns;
	/* rte_reorder starts at the first number it sees; show it 0 - 1 so it expects 0. */
	r->expect = UINT32_MAX;
	put_filler(r, UINT32_MAX);
	take(r, &first, 1, &raw);
	r->high = UINT32_MAX;
	return r;
}

/* The head number is missing (the last take stopped there): step over it. */
static void
skip_head(struct mg_dp_reorder *r)
{
	put_filler(r, r->expect);
	r->skipped++;
}

void
mg_dp_reorder_free(struct mg_dp_reorder *r)
{
	struct rte_mbuf *out[64];
	unsigned k, raw;

	if (r == NULL)
		return;
	/* Fillers are not real mbufs: take everything out before rte_reorder frees what it holds. */
	while (r->b != NULL && r->held > 0) {
		k = take(r, out, RTE_DIM(out), &raw);
		rte_pktmbuf_free_bulk(out, k);
		if (raw < RTE_DIM(out) && r->held > 0)
			skip_head(r);
	}
	rte_reorder_free(r->b);
	rte_free(r);
}

void
mg_dp_reorder_set_hole_ns(struct mg_dp_reorder *r, uint64_t hole_ns)
{
	r->hole_ns = hole_ns;
}

unsigned
mg_dp_reorder_insert(struct mg_dp_reorder *r, struct rte_mbuf **pkts, unsigned n, uint64_t *late)
{
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t seqn = mg_dp_seq_of(m), off = seq_off(r->expect, seqn);

		if (unlikely(off >= r->size)) {
			if (off < UINT32_C(1) << 31) { /* a window ahead: room first */
				r->full = true;
				r->full_seqn = seqn;
				return i;
			}
			/* Its number was skipped already: too late to keep the order. */
			if (!(m->ol_flags & mg_dp_seq_drop_flag))
				(*late)++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (unlikely(rte_reorder_insert(r->b, m) != 0)) { /* not expected inside the window */
			(*late)++;
			rte_pktmbuf_free(m);
			continue;
		}
		r->held++;
		if (seq_off(r->high, seqn) - 1 < UINT32_C(1) << 31)
			r->high = seqn;
	}
	return n;
}

void
mg_dp_reorder_lost(struct mg_dp_reorder *r, uint32_t seqn)
{
	/* Outside the window (passed, or far ahead): the timeout or the window covers it. */
	if (seq_off(r->expect, seqn) < r->size)
		put_filler(r, seqn);
}

/* Does an insert still wait for the window to move? */
static bool
still_full(struct mg_dp_reorder *r)
{
	if (r->full && seq_off(r->expect, r->full_seqn) < r->size)
		r->full = false;
	return r->full;
}

/* The head is missing and packets wait behind it: skip it now? */
static bool
must_skip(struct mg_dp_reorder *r, uint64_t now)
{
	if (still_full(r))
		return true;
	if (!r->stalled || seq_off(r->stall_mark, r->expect) - 1 < UINT32_C(1) << 31) {
		/* A new stall: what waits now has waited since now. */
		r->stalled = true;
		r->stall_ns = now;
		r->stall_mark = r->high;
		return false;
	}
	return now - r->stall_ns >= r->hole_ns;
}

/* Empty, and a packet waits a whole window ahead: restart the window so that it just fits
 * (rte_reorder takes the first number it sees after a reset; show it the one before). */
static void
resync(struct mg_dp_reorder *r)
{
	uint32_t start = r->full_seqn - (r->size - 1);
	struct rte_mbuf *first;
	unsigned raw;

	rte_reorder_reset(r->b); /* holds nothing: held is 0 */
	r->skipped += seq_off(r->expect, start);
	r->expect = start - 1;
	put_filler(r, start - 1);
	take(r, &first, 1, &raw);
	r->high = start - 1;
	r->full = false;
	r->stalled = false;
}

unsigned
mg_dp_reorder_drain(struct mg_dp_reorder *r, struct rte_mbuf **out, unsigned cap, uint64_t now)
{
	unsigned k = 0, raw, want;

	while (k < cap) {
		want = cap - k;
		k += take(r, out + k, want, &raw);
		if (raw == want)
			continue; /* more may be in order */
		if (r->held == 0 && still_full(r)) {
			resync(r);
			break;
		}
		if (r->held == 0) {
			r->stalled = false;
			break;
		}
		if (!must_skip(r, now))
			break;
		skip_head(r);
	}
	return k;
}

unsigned
mg_dp_reorder_held(const struct mg_dp_reorder *r)
{
	return r->held;
}

uint64_t
mg_dp_reorder_skipped(const struct mg_dp_reorder *r)
{
	return r->skipped;
}
