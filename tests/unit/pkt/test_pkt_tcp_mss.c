/* Unit suite for tcp_mss.c: MSS option present at even and odd offsets, absent, below the clamp,
 * on non-SYN segments and in malformed option lists; checksums verified from scratch.
 *
 * Segments are built with the reference checksum of pkt_test_util.h (RFC 1071, pseudo header).
 */
#include <stdio.h>

#include "tcp_mss.h"
#include "pkt_test_util.h"

static uint8_t pkt[128];
static uint8_t before[128];

/* IPv4 + TCP with the given options (padded by the caller to a multiple of 4) and flags. */
static uint32_t
build_syn(const uint8_t *opts, uint32_t opt_len, uint8_t flags)
{
	uint32_t l4 = 20 + opt_len;

	memset(pkt, 0, sizeof(pkt));
	put_ipv4(pkt, (uint16_t)(20 + l4), 6, "100.64.0.2", "192.0.2.80");
	wr16be(pkt + 20, 51000);
	wr16be(pkt + 22, 443);
	wr16be(pkt + 24, 0x0102);
	pkt[32] = (uint8_t)((l4 / 4) << 4);
	pkt[33] = flags;
	wr16be(pkt + 34, 64240);
	memcpy(pkt + 40, opts, opt_len);
	ref_fix_l4_csum(pkt, l4, 16);
	memcpy(before, pkt, sizeof(pkt));
	return l4;
}

static bool
clamp(uint32_t l4, uint16_t mss)
{
	return mg_pkt_tcp_clamp_mss((struct rte_tcp_hdr *)(pkt + 20), l4, mss);
}

static void
test_mss_first_option(void)
{
	static const uint8_t o[] = {2, 4, 0x05, 0xb4}; /* MSS 1460 */
	uint32_t l4 = build_syn(o, sizeof(o), 0x02);

	CU_ASSERT_TRUE(ref_l4_csum_ok(pkt, l4));
	CU_ASSERT_TRUE(clamp(l4, 1380));
	CU_ASSERT_EQUAL(rd16be(pkt + 42), 1380);
	CU_ASSERT_TRUE(ref_l4_csum_ok(pkt, l4));
	/* Nothing else changed. */
	CU_ASSERT_EQUAL(memcmp(pkt, before, 36), 0);
	CU_ASSERT_EQUAL(memcmp(pkt + 38, before + 38, 4), 0);
}

/* NOP before MSS puts its value at an odd offset (23 in the TCP header). */
static void
test_mss_odd_offset(void)
{
	static const uint8_t o[] = {1, 2, 4, 0x23, 0x28, 1, 1, 0}; /* NOP, MSS 9000, NOP NOP EOL */
	uint32_t l4 = build_syn(o, sizeof(o), 0x02);

	CU_ASSERT_TRUE(clamp(l4, 1380));
	CU_ASSERT_EQUAL(rd16be(pkt + 43), 1380);
	CU_ASSERT_TRUE(ref_l4_csum_ok(pkt, l4));
}

/* Linux's usual SYN-ACK layout with MSS after SACK-permitted and timestamps. */
static void
test_mss_after_other_options(void)
{
	static const uint8_t o[] = {4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7,
				    2, 4, 0x05, 0xb4};
	uint32_t l4 = build_syn(o, sizeof(o), 0x12); /* SYN|ACK */

	CU_ASSERT_TRUE(clamp(l4, 1200));
	CU_ASSERT_EQUAL(rd16be(pkt + 40 + 18), 1200);
	CU_ASSERT_TRUE(ref_l4_csum_ok(pkt, l4));
}

/* Many random MSS values and clamps: checksum must always verify afterwards. */
static void
test_mss_checksum_sweep(void)
{
	unsigned int i;

	for (i = 0; i < 5000; i++) {
		uint8_t o[8] = {1, 2, 4, 0, 0, 1, 1, 1};
		uint16_t v = (uint16_t)(i * 13 + 536), m = (uint16_t)(i * 7 % 9000);
		unsigned int odd = i & 1;
		uint32_t l4;

		if (!odd)
			memmove(o, o + 1, 7), o[7] = 1;
		wr16be(o + 2 + odd, v);
		l4 = build_syn(o, sizeof(o), 0x02);
		CU_ASSERT_EQUAL_FATAL(clamp(l4, m), v > m);
		CU_ASSERT_EQUAL_FATAL(rd16be(pkt + 42 + odd), v > m ? m : v);
		CU_ASSERT_TRUE_FATAL(ref_l4_csum_ok(pkt, l4));
	}
}

static void
test_mss_untouched(void)
{
	static const uint8_t mss[] = {2, 4, 0x05, 0xb4};
	static const uint8_t none[] = {1, 1, 4, 2, 1, 3, 3, 7}; /* NOP NOP SACK-perm NOP WS */
	uint32_t l4;

	l4 = build_syn(mss, sizeof(mss), 0x02);
	CU_ASSERT_FALSE(clamp(l4, 1460)); /* equal: nothing to do */
	CU_ASSERT_FALSE(clamp(l4, 1500));
	CU_ASSERT_EQUAL(memcmp(pkt, before, sizeof(pkt)), 0);

	l4 = build_syn(mss, sizeof(mss), 0x10); /* ACK only */
	CU_ASSERT_FALSE(clamp(l4, 536));
	CU_ASSERT_EQUAL(memcmp(pkt, before, sizeof(pkt)), 0);

	l4 = build_syn(none, sizeof(none), 0x02);
	CU_ASSERT_FALSE(clamp(l4, 536));
	CU_ASSERT_EQUAL(memcmp(pkt, before, sizeof(pkt)), 0);

	l4 = build_syn(NULL, 0, 0x02);
	CU_ASSERT_FALSE(clamp(l4, 536));
	CU_ASSERT_EQUAL(memcmp(pkt, before, sizeof(pkt)), 0);
}

static void
test_mss_malformed(void)
{
	static const uint8_t zero_len[] = {8, 0, 2, 4, 0x05, 0xb4, 0, 0};
	static const uint8_t past_end[] = {1, 1, 1, 8, 12, 0, 0, 0};
	static const uint8_t mss_len3[] = {2, 3, 0x05, 0xb4};
	static const uint8_t len_at_end[] = {1, 1, 1, 2};        /* kind, no room for a length */
	static const uint8_t after_eol[] = {0, 1, 1, 1, 2, 4, 0x05, 0xb4}; /* EOL ends the list */
	const struct {
		const uint8_t *o;
		uint32_t n;
	} cases[] = {
		{zero_len, sizeof(zero_len)}, {past_end, sizeof(past_end)},
		{mss_len3, sizeof(mss_len3)}, {len_at_end, sizeof(len_at_end)},
		{after_eol, sizeof(after_eol)},
	};
	static const uint8_t mss[] = {2, 4, 0x05, 0xb4};
	uint32_t l4;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		l4 = build_syn(cases[i].o, cases[i].n, 0x02);
		CU_ASSERT_FALSE(clamp(l4, 536));
		CU_ASSERT_EQUAL(memcmp(pkt, before, sizeof(pkt)), 0);
	}
	/* Data offset beyond the segment, and a segment shorter than a TCP header. */
	l4 = build_syn(mss, sizeof(mss), 0x02);
	CU_ASSERT_FALSE(clamp(l4 - 1, 536));
	pkt[32] = 4 << 4;
	CU_ASSERT_FALSE(clamp(l4, 536));
	pkt[32] = 6 << 4;
	CU_ASSERT_FALSE(clamp(19, 536));
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "test_mss_first_option", test_mss_first_option },
		{ "test_mss_odd_offset", test_mss_odd_offset },
		{ "test_mss_after_other_options", test_mss_after_other_options },
		{ "test_mss_checksum_sweep", test_mss_checksum_sweep },
		{ "test_mss_untouched", test_mss_untouched },
		{ "test_mss_malformed", test_mss_malformed },
	};

	return MG_CUNIT_RUN("pkt_tcp_mss", cases);
}
