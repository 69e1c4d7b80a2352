/* Unit tests of the per-source handshake rate limiter (lib/wg/ratelimiter.c), on a made-up clock.
 *
 * Expected counts follow from the token-bucket definition: a source may send `burst` packets at
 * once, then one per 1/rate seconds; sources are independent; a full table refuses new sources
 * until an entry has been idle for more than a second.
 */
#include <arpa/inet.h>

#include "mg_cunit.h"

#include "ratelimiter.h"

#define MS 1000000ULL
#define T0 (1000ULL * 1000 * MS) /* 1000 s: any clock origin will do */

static uint32_t ip(uint32_t host_order)
{
	return htonl(host_order);
}

static unsigned allowed_of(struct mg_ratelimiter *rl, uint32_t src, unsigned tries, uint64_t now)
{
	unsigned n = 0;

	for (unsigned i = 0; i < tries; i++)
		n += mg_ratelimiter_allow(rl, src, now);
	return n;
}

static void test_create_rejects_zero(void)
{
	CU_ASSERT_PTR_NULL(mg_ratelimiter_create(0, 5, 10));
	CU_ASSERT_PTR_NULL(mg_ratelimiter_create(20, 0, 10));
	CU_ASSERT_PTR_NULL(mg_ratelimiter_create(20, 5, 0));
}

static void test_burst_then_refusal(void)
{
	struct mg_ratelimiter *rl = mg_ratelimiter_create(20, 5, 16);
	struct mg_ratelimiter_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
	CU_ASSERT_EQUAL(allowed_of(rl, ip(0xc0000201), 5, T0), 5);
	CU_ASSERT_FALSE(mg_ratelimiter_allow(rl, ip(0xc0000201), T0));
	CU_ASSERT_FALSE(mg_ratelimiter_allow(rl, ip(0xc0000201), T0 + 49 * MS));
	mg_ratelimiter_stats_get(rl, &st);
	CU_ASSERT_EQUAL(st.allowed, 5);
	CU_ASSERT_EQUAL(st.limited, 2);
	CU_ASSERT_EQUAL(st.entries, 1);
	CU_ASSERT_EQUAL(st.capacity, 16);
	mg_ratelimiter_destroy(rl);
}

static void test_refill_at_rate(void)
{
	struct mg_ratelimiter *rl = mg_ratelimiter_create(20, 5, 16);
	uint32_t a = ip(0xc0000201);

	CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
	CU_ASSERT_EQUAL(allowed_of(rl, a, 5, T0), 5);
	/* 20/s: one packet of credit every 50 ms. */
	CU_ASSERT_EQUAL(allowed_of(rl, a, 3, T0 + 50 * MS), 1);
	CU_ASSERT_EQUAL(allowed_of(rl, a, 3, T0 + 150 * MS), 2);
	/* Steady 20/s over 0.5 s of 1 ms steps: 10 packets. */
	unsigned n = 0;
	for (uint64_t t = T0 + 151 * MS; t <= T0 + 650 * MS; t += MS)
		n += mg_ratelimiter_allow(rl, a, t);
	CU_ASSERT_EQUAL(n, 10);
	/* Credit is capped at the burst however long the source was quiet (0.9 s < idle). */
	CU_ASSERT_EQUAL(allowed_of(rl, a, 10, T0 + 1550 * MS), 5);
	mg_ratelimiter_destroy(rl);
}

static void test_sources_independent(void)
{
	struct mg_ratelimiter *rl = mg_ratelimiter_create(20, 5, 16);

	CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
	CU_ASSERT_EQUAL(allowed_of(rl, ip(0xc0000201), 10, T0), 5);
	CU_ASSERT_EQUAL(allowed_of(rl, ip(0xc0000202), 10, T0), 5);
	CU_ASSERT_EQUAL(allowed_of(rl, ip(0xc6336401), 10, T0), 5);
	CU_ASSERT_EQUAL(allowed_of(rl, ip(0xc0000201), 1, T0 + 50 * MS), 1);
	mg_ratelimiter_destroy(rl);
}

static void test_full_table(void)
{
	struct mg_ratelimiter *rl = mg_ratelimiter_create(20, 5, 4);
	struct mg_ratelimiter_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
	for (uint32_t i = 1; i <= 4; i++)
		CU_ASSERT_TRUE(mg_ratelimiter_allow(rl, ip(0xcb007100 + i), T0));
	CU_ASSERT_FALSE(mg_ratelimiter_allow(rl, ip(0xcb007105), T0));
	/* Known sources still pass while the table is full. */
	CU_ASSERT_TRUE(mg_ratelimiter_allow(rl, ip(0xcb007101), T0 + 100 * MS));
	/* Idle for exactly one second is not yet "more than a second". */
	CU_ASSERT_FALSE(mg_ratelimiter_allow(rl, ip(0xcb007105), T0 + 1000 * MS));
	mg_ratelimiter_stats_get(rl, &st);
	CU_ASSERT_EQUAL(st.table_full, 2);
	CU_ASSERT_EQUAL(st.entries, 4);
	CU_ASSERT_EQUAL(st.recycled, 0);
	/* Sources 2..4 have been idle > 1 s at T0 + 1001 ms: one is recycled for the newcomer. */
	CU_ASSERT_TRUE(mg_ratelimiter_allow(rl, ip(0xcb007105), T0 + 1001 * MS));
	mg_ratelimiter_stats_get(rl, &st);
	CU_ASSERT_TRUE(st.recycled >= 1);
	CU_ASSERT_TRUE(st.entries <= 4);
	CU_ASSERT_EQUAL(st.table_full, 2);
	mg_ratelimiter_destroy(rl);
}

/* Many sources, recycling under churn: live entries must keep their state through deletions. */
static void test_churn_keeps_live_entries(void)
{
	enum { CAP = 1000 };
	struct mg_ratelimiter *rl = mg_ratelimiter_create(1, 2, CAP);
	struct mg_ratelimiter_stats st;
	unsigned n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
	for (uint32_t i = 0; i < CAP; i++)
		CU_ASSERT_EQUAL(allowed_of(rl, ip(0x64400000 + i), 3, T0), 2);
	CU_ASSERT_FALSE(mg_ratelimiter_allow(rl, ip(0x64410000), T0));
	/* Sources 0..499 stay busy (refused: 0.9 s of credit < 1 s per packet). */
	n = 0;
	for (uint32_t i = 0; i < CAP / 2; i++)
		n += mg_ratelimiter_allow(rl, ip(0x64400000 + i), T0 + 900 * MS);
	CU_ASSERT_EQUAL(n, 0);
	/* At 1.5 s, sources 500..999 are idle: 500 newcomers fit, the 501st does not. */
	n = 0;
	for (uint32_t i = 0; i < CAP / 2; i++)
		n += mg_ratelimiter_allow(rl, ip(0x64410000 + i), T0 + 1500 * MS);
	CU_ASSERT_EQUAL(n, CAP / 2);
	CU_ASSERT_FALSE(mg_ratelimiter_allow(rl, ip(0x64420000), T0 + 1500 * MS));
	/* Busy sources were found again, not re-created: 1.5 s of credit is one packet, not two. */
	for (uint32_t i = 0; i < CAP / 2; i++)
		CU_ASSERT_EQUAL(allowed_of(rl, ip(0x64400000 + i), 2, T0 + 1500 * MS), 1);
	mg_ratelimiter_stats_get(rl, &st);
	CU_ASSERT_EQUAL(st.entries, CAP);
	CU_ASSERT_EQUAL(st.recycled, CAP / 2);
	CU_ASSERT_EQUAL(st.table_full, 2);
	mg_ratelimiter_destroy(rl);
}

/* Busy sources amid many one-off sources: deleting idle entries (shifting probe chains) must never
 * lose a busy entry. At 1 packet/s and burst 1, a source seen every 0.5 s alternates
 * allowed/refused; a lost and re-created entry would be allowed out of turn. Busy sources come in
 * generations of 10 rounds, inserted between one-off ones, so that they sit in probe chains
 * behind entries that will be deleted. The table is never full here. */
static void test_busy_survive_transients(void)
{
	enum { CAP = 256, BUSY = 24, TRANSIENT = 48, ROUNDS = 600, GENERATION = 10 };
	struct mg_ratelimiter *rl = mg_ratelimiter_create(1, 1, CAP);
	struct mg_ratelimiter_stats st;
	uint32_t next_transient = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
	for (unsigned r = 0; r < ROUNDS; r++) {
		uint64_t now = T0 + r * 500 * MS;
		uint32_t first_busy = 0x64400000 + (r / GENERATION) * BUSY;
		bool expect = (r % GENERATION) % 2 == 0;

		for (uint32_t k = 0; k < TRANSIENT; k++) {
			mg_ratelimiter_allow(rl, ip(0x64500000 + next_transient++), now);
			if (k % 2 == 0 && mg_ratelimiter_allow(rl, ip(first_busy + k / 2), now) != expect)
				CU_FAIL("busy source lost its bucket");
		}
	}
	mg_ratelimiter_stats_get(rl, &st);
	CU_ASSERT_EQUAL(st.table_full, 0);
	CU_ASSERT_TRUE(st.recycled > 10000);
	mg_ratelimiter_destroy(rl);
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "create rejects zero arguments", test_create_rejects_zero },
		{ "burst then refusal", test_burst_then_refusal },
		{ "refill at the rate", test_refill_at_rate },
		{ "sources are independent", test_sources_independent },
		{ "full table", test_full_table },
		{ "busy sources survive transients", test_busy_survive_transients },
		{ "churn keeps live entries", test_churn_keeps_live_entries },
	};

	return MG_CUNIT_RUN("ratelimiter", cases);
}
