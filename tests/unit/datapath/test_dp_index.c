/* The receiver index table (lib/datapath/index_table.h): what the decrypt stage looks a data
 * message's receiver index up in. Adds, removals and replacements as the control lcore makes
 * them; a full bucket pair; and a reader thread that must find every stable index, with its own
 * slot, on every pass while the writer churns other indices through the same buckets.
 */
#include <pthread.h>
#include <stdatomic.h>

#include <rte_cycles.h>

#include "dp_test_env.h"
#include "index_table.h"

enum { SMALL_ENTRIES = 64, STABLE = 40, CHURN_ROUNDS = 20000, READER_PASSES = 2000 };

static void
test_add_lookup_del(void)
{
	struct mg_dp_index_table t;

	CU_ASSERT_EQUAL_FATAL(mg_dp_index_init(&t, SMALL_ENTRIES, 7, SOCKET_ID_ANY), 0);
	CU_ASSERT_EQUAL(mg_dp_index_lookup(&t, 0x12345678), -1);
	CU_ASSERT_EQUAL(mg_dp_index_add(&t, 0x12345678, 3), 0);
	CU_ASSERT_EQUAL(mg_dp_index_add(&t, 0, 0), 0); /* index 0 and slot 0 are ordinary values */
	CU_ASSERT_EQUAL(mg_dp_index_lookup(&t, 0x12345678), 3);
	CU_ASSERT_EQUAL(mg_dp_index_lookup(&t, 0), 0);
	CU_ASSERT_EQUAL(t.entries, 2);
	/* An index added again maps to the new slot; removing it under the old slot does nothing. */
	CU_ASSERT_EQUAL(mg_dp_index_add(&t, 0x12345678, 9), 0);
	CU_ASSERT_EQUAL(mg_dp_index_lookup(&t, 0x12345678), 9);
	CU_ASSERT_EQUAL(t.entries, 2);
	CU_ASSERT_EQUAL(mg_dp_index_del(&t, 0x12345678, 3), 0);
	CU_ASSERT_EQUAL(mg_dp_index_lookup(&t, 0x12345678), 9);
	CU_ASSERT_EQUAL(mg_dp_index_del(&t, 0x12345678, 9), 1);
	CU_ASSERT_EQUAL(mg_dp_index_lookup(&t, 0x12345678), -1);
	CU_ASSERT_EQUAL(mg_dp_index_del(&t, 0, 0), 1);
	CU_ASSERT_EQUAL(t.entries, 0);
	mg_dp_index_free(&t);
}

/* Indices that share their first bucket fill it, then their second buckets; once both buckets
 * of an index are full it is refused, and a removal makes room again. */
static void
test_full_buckets(void)
{
	struct mg_dp_index_table t;
	uint32_t added[2 * MG_DP_INDEX_BUCKET_ENTRIES * 16], n = 0, refused = 0;

	CU_ASSERT_EQUAL_FATAL(mg_dp_index_init(&t, SMALL_ENTRIES, 11, SOCKET_ID_ANY), 0);
	for (uint32_t k = 0; k < 1000 && n < RTE_DIM(added); k++) {
		uint32_t index = k << 16 | 5; /* low bits 5: first bucket 5 for all */

		if (mg_dp_index_add(&t, index, k) == 0)
			added[n++] = index;
		else
			refused++;
	}
	CU_ASSERT(n >= 2 * MG_DP_INDEX_BUCKET_ENTRIES);
	CU_ASSERT(refused > 0);
	CU_ASSERT_EQUAL(t.entries, n);
	for (uint32_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(mg_dp_index_lookup(&t, added[i]), added[i] >> 16);
	for (uint32_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(mg_dp_index_del(&t, added[i], added[i] >> 16), 1);
	CU_ASSERT_EQUAL(t.entries, 0);
	CU_ASSERT_EQUAL(mg_dp_index_add(&t, 5, 1), 0);
	mg_dp_index_free(&t);
}

struct reader {
	const struct mg_dp_index_table *t;
	atomic_bool stop;
	uint64_t passes, wrong;
};

/* Stable indices have the top bit clear, churning ones set: the two sets never meet. */
static uint32_t
stable_index(uint32_t i)
{
	return ((i * 2654435761u) << 4 | (i & 15)) & 0x7fffffff;
}

static uint32_t
churn_index(uint32_t round)
{
	return 0x80000000u | ((round << 4) & 0x7ffffff0) | (round & 15);
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;

	while (!atomic_load(&r->stop)) {
		for (uint32_t i = 0; i < STABLE; i++)
			if (mg_dp_index_lookup(r->t, stable_index(i)) != (int64_t)i)
				r->wrong++;
		__atomic_store_n(&r->passes, r->passes + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* The stable indices sit in every one of the 16 buckets; the writer keeps adding and removing
 * others whose first bucket is one of theirs. A reader never misses a stable one. */
static void
test_reader_during_churn(void)
{
	struct mg_dp_index_table t;
	struct reader r = { .t = &t };
	pthread_t th;

	CU_ASSERT_EQUAL_FATAL(mg_dp_index_init(&t, SMALL_ENTRIES, 13, SOCKET_ID_ANY), 0);
	for (uint32_t i = 0; i < STABLE; i++)
		CU_ASSERT_EQUAL_FATAL(mg_dp_index_add(&t, stable_index(i), i), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, reader_main, &r), 0);
	/* Until both have done their share (the reader may start late), at most 10 s. */
	uint64_t deadline = rte_get_timer_cycles() + 10 * rte_get_timer_hz();

	for (uint32_t round = 0; (round < CHURN_ROUNDS ||
				  __atomic_load_n(&r.passes, __ATOMIC_RELAXED) < READER_PASSES) &&
				 rte_get_timer_cycles() < deadline; round++) {
		uint32_t index = churn_index(round);

		if (mg_dp_index_add(&t, index, 1000 + round) == 0) {
			CU_ASSERT_EQUAL(mg_dp_index_lookup(&t, index), 1000 + round);
			CU_ASSERT_EQUAL(mg_dp_index_del(&t, index, 1000 + round), 1);
		}
		if (round % 64 == 0)
			rte_delay_us_block(1);
	}
	atomic_store(&r.stop, true);
	pthread_join(th, NULL);
	CU_ASSERT(r.passes >= READER_PASSES);
	CU_ASSERT_EQUAL(r.wrong, 0);
	CU_ASSERT_EQUAL(t.entries, STABLE);
	mg_dp_index_free(&t);
}

int
main(int argc, char **argv)
{
	static const struct mg_cunit_case cases[] = {
		{ "add, lookup, remove, replace", test_add_lookup_del },
		{ "full buckets", test_full_buckets },
		{ "reader during churn", test_reader_during_churn },
	};

	(void)argc;
	return dpt_main(argv[0], "datapath_index", cases, MG_CUNIT_N(cases));
}
