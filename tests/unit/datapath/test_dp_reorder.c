/* The pipeline's reorder buffer (lib/datapath/reorder.h) on a virtual clock, and first the
 * behaviour of DPDK's rte_reorder it builds on, measured: draining stops at a missing number, a
 * packet a whole window ahead makes it move on past the hole, and a number already passed is
 * refused. Expected orders are written out by hand from the numbers inserted.
 */
#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_reorder.h>

#include "dp_test_env.h"
#include "reorder.h"

enum { HOLE_NS = 1000, SMALL = 8, BIG = 128 };

static struct rte_mbuf *
numbered(uint32_t seqn)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpt_pool);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	mg_dp_seq_stamp(m, seqn);
	return m;
}

/* Drain at `now` and compare the numbers with want[0..n); frees what it got. */
static void
expect_drain(struct mg_dp_reorder *r, uint64_t now, const uint32_t *want, unsigned n)
{
	struct rte_mbuf *out[BIG];
	unsigned k = mg_dp_reorder_drain(r, out, BIG, now);

	CU_ASSERT_EQUAL(k, n);
	for (unsigned i = 0; i < k && i < n; i++) {
		CU_ASSERT_EQUAL(mg_dp_seq_of(out[i]), want[i]);
		CU_ASSERT_FALSE(mg_dp_seq_is(out[i])); /* handed on unnumbered */
	}
	rte_pktmbuf_free_bulk(out, k);
}

static void
insert_one(struct mg_dp_reorder *r, uint32_t seqn, uint64_t *late)
{
	struct rte_mbuf *m = numbered(seqn);

	CU_ASSERT_EQUAL(mg_dp_reorder_insert(r, &m, 1, late), 1);
}

static struct mg_dp_reorder *
make(unsigned size)
{
	struct mg_dp_reorder *r = mg_dp_reorder_create("t_order", SOCKET_ID_ANY, size, HOLE_NS);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	return r;
}

/* What rte_reorder itself does with a hole (DPDK 22.11). */
static void
test_rte_reorder_hole(void)
{
	struct rte_reorder_buffer *b = rte_reorder_create("t_raw", SOCKET_ID_ANY, SMALL);
	unsigned avail = rte_mempool_avail_count(dpt_pool);
	struct rte_mbuf *out[16], *late;
	const uint32_t first[] = { 0, 2, 3 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	mg_dp_reorder_free(make(SMALL)); /* registers the flags mg_dp_seq_stamp sets */
	for (unsigned i = 0; i < RTE_DIM(first); i++)
		CU_ASSERT_EQUAL(rte_reorder_insert(b, numbered(first[i])), 0);
	/* 1 is missing: only 0 comes out, however often we drain. */
	CU_ASSERT_EQUAL(rte_reorder_drain(b, out, 16), 1);
	CU_ASSERT_EQUAL(mg_dp_seq_of(out[0]), 0);
	rte_pktmbuf_free(out[0]);
	CU_ASSERT_EQUAL(rte_reorder_drain(b, out, 16), 0);
	/* 9 is a window (8) past the expected 1: rte_reorder steps over 1 and releases 2 and 3. */
	CU_ASSERT_EQUAL(rte_reorder_insert(b, numbered(9)), 0);
	CU_ASSERT_EQUAL(rte_reorder_drain(b, out, 16), 2);
	CU_ASSERT_EQUAL(mg_dp_seq_of(out[0]), 2);
	CU_ASSERT_EQUAL(mg_dp_seq_of(out[1]), 3);
	rte_pktmbuf_free_bulk(out, 2);
	/* 1 arriving now is refused: the caller must free it. */
	late = numbered(1);
	CU_ASSERT_EQUAL(rte_reorder_insert(b, late), -1);
	CU_ASSERT_EQUAL(rte_errno, ERANGE);
	rte_pktmbuf_free(late);
	rte_reorder_free(b); /* frees 9 */
	CU_ASSERT_EQUAL(rte_mempool_avail_count(dpt_pool), avail);
}

static void
test_shuffled_in_order(void)
{
	struct mg_dp_reorder *r = make(BIG);
	uint32_t want[100];
	uint64_t late = 0;

	/* 0..99 in the order i * 37 mod 100 (37 is prime to 100: a permutation). */
	for (uint32_t i = 0; i < 100; i++) {
		insert_one(r, i * 37 % 100, &late);
		want[i] = i;
	}
	expect_drain(r, 0, want, 100);
	CU_ASSERT_EQUAL(late, 0);
	CU_ASSERT_EQUAL(mg_dp_reorder_held(r), 0);
	CU_ASSERT_EQUAL(mg_dp_reorder_skipped(r), 0);
	mg_dp_reorder_free(r);
}

static void
test_dropped_freed_once(void)
{
	struct mg_dp_reorder *r = make(BIG);
	unsigned avail = rte_mempool_avail_count(dpt_pool);
	const uint32_t want[] = { 0, 1, 2, 3, 5, 6, 7, 8, 9 };
	uint64_t late = 0;

	for (uint32_t i = 10; i-- > 0;) { /* backwards: nothing drains before the end */
		struct rte_mbuf *m = numbered(i);

		if (i == 4)
			mg_dp_seq_mark_dropped(m);
		CU_ASSERT_EQUAL(mg_dp_reorder_insert(r, &m, 1, &late), 1);
	}
	expect_drain(r, 0, want, RTE_DIM(want));
	CU_ASSERT_EQUAL(late, 0);
	CU_ASSERT_EQUAL(mg_dp_reorder_skipped(r), 0);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(dpt_pool), avail); /* 4 was freed, once */
	mg_dp_reorder_free(r);
}

static void
test_hole_times_out(void)
{
	struct mg_dp_reorder *r = make(BIG);
	const uint32_t zero[] = { 0 }, two_three[] = { 2, 3 }, four[] = { 4 };
	uint64_t late = 0;

	insert_one(r, 0, &late);
	insert_one(r, 2, &late);
	insert_one(r, 3, &late);
	expect_drain(r, 100, zero, 1);          /* 1 missing since t=100 */
	expect_drain(r, 100 + HOLE_NS - 1, NULL, 0);
	expect_drain(r, 100 + HOLE_NS, two_three, 2);
	CU_ASSERT_EQUAL(mg_dp_reorder_skipped(r), 1);
	insert_one(r, 1, &late);                /* too late now: refused and counted */
	CU_ASSERT_EQUAL(late, 1);
	insert_one(r, 4, &late);
	expect_drain(r, 100 + HOLE_NS, four, 1);
	mg_dp_reorder_free(r);
}

/* The wait starts again for each new stall: a hole after one that filled gets its full time. */
static void
test_stall_clock_restarts(void)
{
	struct mg_dp_reorder *r = make(BIG);
	const uint32_t zero[] = { 0 }, one_two[] = { 1, 2 }, four[] = { 4 };
	uint64_t late = 0;

	insert_one(r, 0, &late);
	insert_one(r, 2, &late);
	expect_drain(r, 0, zero, 1);
	insert_one(r, 1, &late);                /* the hole fills before its time is up */
	expect_drain(r, 500, one_two, 2);
	insert_one(r, 4, &late);                /* 3 missing from t=600 on */
	expect_drain(r, 600, NULL, 0);
	expect_drain(r, 600 + HOLE_NS - 1, NULL, 0);
	expect_drain(r, 600 + HOLE_NS, four, 1);
	CU_ASSERT_EQUAL(late, 0);
	CU_ASSERT_EQUAL(mg_dp_reorder_skipped(r), 1);
	mg_dp_reorder_free(r);
}

static void
test_lost_skipped_at_once(void)
{
	struct mg_dp_reorder *r = make(BIG);
	const uint32_t one_two[] = { 1, 2 }, four[] = { 4 };
	uint64_t late = 0;

	insert_one(r, 1, &late);
	insert_one(r, 2, &late);
	mg_dp_reorder_lost(r, 0);
	expect_drain(r, 0, one_two, 2);         /* no waiting for the timeout */
	mg_dp_reorder_lost(r, 3);               /* reported before its turn */
	mg_dp_reorder_lost(r, 1);               /* already passed: nothing to do */
	insert_one(r, 4, &late);
	expect_drain(r, 0, four, 1);
	CU_ASSERT_EQUAL(mg_dp_reorder_held(r), 0);
	CU_ASSERT_EQUAL(late, 0);
	mg_dp_reorder_free(r);
}

/* 0 never comes and 1..7 fill the window of 8: 8 cannot go in until the window moves on. */
static void
test_window_full_moves_on(void)
{
	struct mg_dp_reorder *r = make(SMALL);
	const uint32_t want[] = { 1, 2, 3, 4, 5, 6, 7 }, eight[] = { 8 };
	struct rte_mbuf *m;
	uint64_t late = 0;

	for (uint32_t i = 1; i < 8; i++)
		insert_one(r, i, &late);
	expect_drain(r, 0, NULL, 0);
	m = numbered(8);
	CU_ASSERT_EQUAL(mg_dp_reorder_insert(r, &m, 1, &late), 0);
	expect_drain(r, 0, want, RTE_DIM(want)); /* at once, not after the timeout */
	CU_ASSERT_EQUAL(mg_dp_reorder_insert(r, &m, 1, &late), 1);
	expect_drain(r, 0, eight, 1);
	CU_ASSERT_EQUAL(late, 0);
	CU_ASSERT_EQUAL(mg_dp_reorder_skipped(r), 1);
	mg_dp_reorder_free(r);
}

/* Empty, and a packet arrives far ahead (numbers lost outside the window): start over there. */
static void
test_far_ahead_resyncs(void)
{
	struct mg_dp_reorder *r = make(SMALL);
	const uint32_t want[] = { 1000, 1001 };
	struct rte_mbuf *m[2] = { numbered(1001), numbered(1000) };
	uint64_t late = 0;
	unsigned taken;

	taken = mg_dp_reorder_insert(r, m, 2, &late);
	CU_ASSERT_EQUAL(taken, 0);
	expect_drain(r, 0, NULL, 0);
	/* The window now ends at 1001: 1000 fits too, and 994..999 wait their timeout. */
	taken = mg_dp_reorder_insert(r, m, 2, &late);
	CU_ASSERT_EQUAL(taken, 2);
	expect_drain(r, 0, NULL, 0);
	expect_drain(r, HOLE_NS, want, 2);
	CU_ASSERT_EQUAL(late, 0);
	mg_dp_reorder_free(r);
}

/* Freeing a buffer that still holds packets behind holes (and fillers) frees them all. */
static void
test_free_while_holding(void)
{
	unsigned avail = rte_mempool_avail_count(dpt_pool);
	struct mg_dp_reorder *r = make(BIG);
	uint64_t late = 0;

	insert_one(r, 2, &late);
	insert_one(r, 5, &late);
	mg_dp_reorder_lost(r, 3);
	insert_one(r, 9, &late);
	CU_ASSERT_EQUAL(mg_dp_reorder_held(r), 4);
	mg_dp_reorder_free(r);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(dpt_pool), avail);
}

int
main(int argc, char **argv)
{
	static const struct mg_cunit_case cases[] = {
		{ "rte_reorder stops at a hole, moves on when its window fills", test_rte_reorder_hole },
		{ "a shuffled stream comes out in order", test_shuffled_in_order },
		{ "a packet marked dropped is freed, not handed on, not counted", test_dropped_freed_once },
		{ "a hole is skipped after the hole timeout; its packet is then late",
		  test_hole_times_out },
		{ "each stall gets its own timeout", test_stall_clock_restarts },
		{ "a number reported lost is skipped at once", test_lost_skipped_at_once },
		{ "a packet a window ahead moves the window on", test_window_full_moves_on },
		{ "a packet far ahead of an empty buffer starts it over", test_far_ahead_resyncs },
		{ "freeing a buffer frees what it holds", test_free_while_holding },
	};

	(void)argc;
	return dpt_main(argv[0], "datapath_reorder", cases, MG_CUNIT_N(cases));
}
