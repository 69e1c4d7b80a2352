/* Unit tests of the anti-replay window (lib/wg/replay.c).
 *
 * Expected results come from the rule Linux WireGuard's counter_validate implements: a counter is
 * accepted once, if below REJECT_AFTER_MESSAGES and not more than 8192 - 64 behind the greatest
 * accepted; a naive model of that rule (a plain array of seen counters) checks random sequences.
 * Every case runs twice: through the one-writer commit and through the lock-free one (one
 * counter per call). Then the lock-free commit with several counters per call against the
 * model; two threads committing the same counters at once: each accepted exactly once; and two
 * threads with counters of their own in the same blocks: every one accepted.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mg_cunit.h"

#include "replay.h"

enum { WINDOW = 8192 - 64 };

static struct mg_replay_window w;
static bool shared; /* commit through mg_replay_update_block_shared */

static bool commit(struct mg_replay_window *win, uint64_t counter)
{
	uint64_t bit = 1ULL << (counter % MG_REPLAY_BLOCK_BITS);

	if (!shared)
		return mg_replay_update(win, counter);
	return mg_replay_update_block_shared(win, counter / MG_REPLAY_BLOCK_BITS, bit) == bit;
}

/* check() then update(), as the data path calls them; both must agree. */
static bool accept(uint64_t counter)
{
	bool may = mg_replay_check(&w, counter);
	bool did = commit(&w, counter);

	CU_ASSERT_EQUAL(may, did);
	return did;
}

static void test_in_order_and_duplicates(void)
{
	mg_replay_init(&w);
	for (uint64_t c = 0; c < 20000; c++)
		CU_ASSERT_TRUE(accept(c));
	CU_ASSERT_FALSE(accept(19999));
	CU_ASSERT_FALSE(accept(19000));
	CU_ASSERT_FALSE(accept(0)); /* too old by now */
	CU_ASSERT_TRUE(accept(20000));
}

static void test_first_counter_zero_once(void)
{
	mg_replay_init(&w);
	CU_ASSERT_TRUE(mg_replay_check(&w, 0));
	CU_ASSERT_TRUE(mg_replay_check(&w, 0)); /* check alone does not commit */
	CU_ASSERT_TRUE(mg_replay_update(&w, 0));
	CU_ASSERT_FALSE(mg_replay_check(&w, 0));
	CU_ASSERT_FALSE(mg_replay_update(&w, 0));
}

static void test_out_of_order_within_window(void)
{
	mg_replay_init(&w);
	CU_ASSERT_TRUE(accept(1000));
	CU_ASSERT_TRUE(accept(999));
	CU_ASSERT_TRUE(accept(2));
	CU_ASSERT_TRUE(accept(500));
	CU_ASSERT_FALSE(accept(500));
	CU_ASSERT_TRUE(accept(1002));
	CU_ASSERT_TRUE(accept(1001));
	CU_ASSERT_FALSE(accept(999));
	CU_ASSERT_FALSE(accept(1000));
	CU_ASSERT_TRUE(accept(0));
}

static void test_window_edges(void)
{
	const uint64_t g = 100000;

	mg_replay_init(&w);
	CU_ASSERT_TRUE(accept(g));
	CU_ASSERT_FALSE(accept(g - WINDOW - 1)); /* one past the old edge */
	CU_ASSERT_TRUE(accept(g - WINDOW));      /* exactly at the old edge */
	CU_ASSERT_FALSE(accept(g - WINDOW));
	CU_ASSERT_TRUE(accept(g - 1));           /* the new edge, just below greatest */
	CU_ASSERT_TRUE(accept(g + 1));           /* slides by one */
	CU_ASSERT_FALSE(accept(g - WINDOW));     /* now one past the edge */
	CU_ASSERT_TRUE(accept(g + 1 - WINDOW));
}

static void test_large_jumps(void)
{
	mg_replay_init(&w);
	for (uint64_t c = 0; c < 100; c++)
		CU_ASSERT_TRUE(accept(c));
	/* Same bit position one ring later: the slide must have cleared it. */
	CU_ASSERT_TRUE(accept(5 + 8192));
	CU_ASSERT_FALSE(accept(5));
	CU_ASSERT_TRUE(accept(1000000));
	CU_ASSERT_FALSE(accept(5 + 8192));
	CU_ASSERT_TRUE(accept(1000000 - WINDOW));
	CU_ASSERT_TRUE(accept(1000000 - 1));
	/* Every counter in the new window was cleared by the jump. */
	for (uint64_t c = 1000000 - WINDOW + 1; c < 1000000 - 1; c += 61)
		CU_ASSERT_TRUE(accept(c));
	CU_ASSERT_TRUE(accept(1000000 + 3 * 8192 + 17));
	CU_ASSERT_FALSE(accept(1000000 + 3 * 8192 + 17 - 8192)); /* same bit, one ring older */
	CU_ASSERT_TRUE(accept(1000000 + 3 * 8192 + 17 - WINDOW));
}

/* A jump of a whole number of rings lands the greatest in the same slot: every word, that one
 * included, must have been cleared. */
static void test_jump_whole_rings(void)
{
	mg_replay_init(&w);
	CU_ASSERT_TRUE(accept(100));
	CU_ASSERT_TRUE(accept(100 + 2 * 8192));
	CU_ASSERT_TRUE(accept(101 + 2 * 8192 - 64));
	CU_ASSERT_TRUE(accept(100 + 130 * 8192));
	for (uint64_t c = 100 + 130 * 8192 - WINDOW; c < 100 + 130 * 8192; c++)
		if (!accept(c))
			CU_FAIL("counter in a freshly cleared window refused");
}

static void test_reject_after_messages(void)
{
	const uint64_t limit = MG_WG_REJECT_AFTER_MESSAGES;

	mg_replay_init(&w);
	CU_ASSERT_FALSE(accept(limit));
	CU_ASSERT_FALSE(accept(UINT64_MAX));
	CU_ASSERT_FALSE(accept(limit + 1));
	CU_ASSERT_TRUE(accept(limit - 1));
	CU_ASSERT_FALSE(accept(limit - 1));
	CU_ASSERT_FALSE(accept(limit));
	CU_ASSERT_TRUE(accept(limit - 1 - WINDOW));
	CU_ASSERT_FALSE(accept(limit - 2 - WINDOW));
	/* No counter arithmetic wrapped: small counters are far too old. */
	CU_ASSERT_FALSE(accept(0));
}

/* Random walks against a plain model of the rule. */
static void test_against_model(void)
{
	enum { SPAN = 20000000, ROUNDS = 400000 };
	uint8_t *seen = calloc(SPAN, 1);
	uint64_t greatest = 0;
	unsigned seed = 12345;

	CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
	mg_replay_init(&w);
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint64_t c;
		int r = rand_r(&seed) % 100;

		if (r < 60)
			c = greatest + rand_r(&seed) % 64;           /* mostly forward */
		else if (r < 99)                                      /* around the old edge */
			c = (greatest > 9000 ? greatest - 9000 : 0) + (uint64_t)(rand_r(&seed) % 9000);
		else
			c = greatest + rand_r(&seed) % 20000;        /* occasional jumps */
		if (c >= SPAN)
			break;
		bool expect = !seen[c] && c + WINDOW >= greatest;
		bool got = accept(c);
		CU_ASSERT_EQUAL(got, expect);
		if (expect) {
			seen[c] = 1;
			if (c > greatest)
				greatest = c;
		}
	}
	free(seen);
}

static void (*const sequential_cases[])(void) = {
	test_in_order_and_duplicates, test_first_counter_zero_once,
	test_out_of_order_within_window, test_window_edges, test_large_jumps,
	test_jump_whole_rings, test_reject_after_messages, test_against_model,
};

/* Every case above again, through the lock-free commit. */
static void test_all_shared(void)
{
	shared = true;
	for (unsigned i = 0; i < sizeof(sequential_cases) / sizeof(sequential_cases[0]); i++)
		sequential_cases[i]();
	shared = false;
}

/* Several counters per call: random groups within one block, some repeated, against the
 * model. */
static void test_shared_groups_against_model(void)
{
	enum { SPAN = 4000000, ROUNDS = 100000 };
	uint8_t *seen = calloc(SPAN, 1);
	uint64_t greatest = 0;
	unsigned seed = 777;

	CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
	mg_replay_init(&w);
	for (unsigned i = 0; i < ROUNDS; i++) {
		int r = rand_r(&seed) % 100;
		uint64_t base = r < 70 ? greatest : (greatest > 8500 ? greatest - 8500 : 0);
		uint64_t block = (base + (uint64_t)(rand_r(&seed) % (r < 95 ? 200 : 9000))) / 64;
		uint64_t mask = (uint64_t)rand_r(&seed) << 33 ^ (uint64_t)rand_r(&seed) << 11 ^
				(uint64_t)rand_r(&seed), expect = 0, got;

		if ((block + 1) * 64 >= SPAN)
			break;
		for (unsigned b = 0; b < 64; b++) {
			uint64_t c = block * 64 + b;

			if ((mask >> b & 1) && !seen[c] && c + WINDOW >= greatest)
				expect |= 1ULL << b;
		}
		got = mg_replay_update_block_shared(&w, block, mask);
		CU_ASSERT_EQUAL(got, expect);
		for (unsigned b = 0; b < 64; b++)
			if (got >> b & 1) {
				seen[block * 64 + b] = 1;
				if (block * 64 + b > greatest)
					greatest = block * 64 + b;
			}
	}
	free(seen);
}

enum { RACE_COUNTERS = 1 << 20, RACE_THREADS = 2 };

static uint8_t race_accepted[RACE_COUNTERS];

/* One lcore's share of a peer spread over two: every counter, block by block, each block in
 * two or three calls of random subsets, in a thread-specific order. */
static void *race_thread(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	for (uint64_t block = 0; block < RACE_COUNTERS / 64; block++) {
		uint64_t left = ~0ULL;

		while (left != 0) {
			uint64_t part = left & ((uint64_t)rand_r(&seed) << 32 ^ (uint64_t)rand_r(&seed));
			uint64_t got;

			if (part == 0)
				part = left;
			left &= ~part;
			got = mg_replay_update_block_shared(&w, block, part);
			for (unsigned b = 0; b < 64; b++)
				if (got >> b & 1)
					__atomic_fetch_add(&race_accepted[block * 64 + b], 1,
							   __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void test_two_threads_each_counter_once(void)
{
	pthread_t th[RACE_THREADS];
	unsigned twice = 0, never = 0;

	mg_replay_init(&w);
	memset(race_accepted, 0, sizeof(race_accepted));
	for (uintptr_t t = 0; t < RACE_THREADS; t++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[t], NULL, race_thread, (void *)(t + 1)), 0);
	for (unsigned t = 0; t < RACE_THREADS; t++)
		pthread_join(th[t], NULL);
	for (uint64_t c = 0; c < RACE_COUNTERS; c++) {
		twice += race_accepted[c] > 1;
		never += race_accepted[c] == 0;
	}
	CU_ASSERT_EQUAL(twice, 0);
	/* Whichever thread was ahead offered each counter inside the window. */
	CU_ASSERT_EQUAL(never, 0);
	CU_ASSERT_EQUAL(w.greatest, RACE_COUNTERS - 1);
}

/* Two lcores sharing one peer, as in the pipeline: each gets its own counters (alternate ones,
 * so both write every block) and neither runs more than two blocks ahead of the other. Every
 * counter must pass the pre-check and be accepted by its owner: a torn read of a slot another
 * thread is recycling must not pass for "seen". */
static uint64_t step_done[RACE_THREADS], step_refused[RACE_THREADS];

static void *step_thread(void *arg)
{
	unsigned t = (unsigned)(uintptr_t)arg, other = !t;
	uint64_t mask = t ? 0xaaaaaaaaaaaaaaaaULL : 0x5555555555555555ULL;

	for (uint64_t block = 0; block < RACE_COUNTERS / 64; block++) {
		while (block > __atomic_load_n(&step_done[other], __ATOMIC_ACQUIRE) + 2)
			;
		for (unsigned b = t; b < 64; b += 2)
			if (!mg_replay_check(&w, block * 64 + b))
				step_refused[t]++;
		if (mg_replay_update_block_shared(&w, block, mask) != mask)
			step_refused[t]++;
		__atomic_store_n(&step_done[t], block + 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&step_done[t], UINT64_MAX / 2, __ATOMIC_RELEASE);
	return NULL;
}

static void test_two_threads_in_step(void)
{
	pthread_t th[RACE_THREADS];

	mg_replay_init(&w);
	memset(step_done, 0, sizeof(step_done));
	memset(step_refused, 0, sizeof(step_refused));
	for (uintptr_t t = 0; t < RACE_THREADS; t++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[t], NULL, step_thread, (void *)t), 0);
	for (unsigned t = 0; t < RACE_THREADS; t++)
		pthread_join(th[t], NULL);
	CU_ASSERT_EQUAL(step_refused[0], 0);
	CU_ASSERT_EQUAL(step_refused[1], 0);
	CU_ASSERT_EQUAL(w.greatest, RACE_COUNTERS - 1);
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "in order, duplicates", test_in_order_and_duplicates },
		{ "counter 0 accepted once", test_first_counter_zero_once },
		{ "out of order within the window", test_out_of_order_within_window },
		{ "both edges of the window", test_window_edges },
		{ "jumps larger than the window", test_large_jumps },
		{ "jumps of whole rings", test_jump_whole_rings },
		{ "REJECT_AFTER_MESSAGES", test_reject_after_messages },
		{ "random sequences against a model", test_against_model },
		{ "all of the above, lock-free commit", test_all_shared },
		{ "lock-free groups against the model", test_shared_groups_against_model },
		{ "two threads, each counter once", test_two_threads_each_counter_once },
		{ "two threads in step, own counters", test_two_threads_in_step },
	};

	return MG_CUNIT_RUN("replay", cases);
}
