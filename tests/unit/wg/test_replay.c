/* Unit tests of the anti-replay window (lib/wg/replay.c).
 *
 * Expected results come from the rule Linux WireGuard's counter_validate implements: a counter is
 * accepted once, if below REJECT_AFTER_MESSAGES and not more than 8192 - 64 behind the greatest
 * accepted; a naive model of that rule (a plain array of seen counters) checks random sequences.
 */
#include <stdlib.h>
#include <string.h>

#include "mg_cunit.h"

#include "replay.h"

enum { WINDOW = 8192 - 64 };

static struct mg_replay_window w;

/* check() then update(), as the data path calls them; both must agree. */
static bool accept(uint64_t counter)
{
	bool may = mg_replay_check(&w, counter);
	bool did = mg_replay_update(&w, counter);

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
	};

	return MG_CUNIT_RUN("replay", cases);
}
