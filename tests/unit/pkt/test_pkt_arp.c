/* Unit suite for arp.c: parse a hand-assembled RFC 826 request, build a reply / request /
 * gratuitous announcement and check every byte, round trips, and each malformation verdict.
 *
 * Expected frames are written out from the RFC 826 field order, not produced by the library.
 */
#include <stdio.h>

#include "arp.h"
#include "pkt_test_util.h"

static const struct rte_ether_addr our_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};

/* who-has 198.51.100.1 tell 198.51.100.10 (02:11:22:33:44:55), as on the wire after Ethernet. */
static const uint8_t request_bytes[28] = {
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
	0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 198, 51, 100, 10,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 198, 51, 100, 1,
};

static void
test_parse_request(void)
{
	static const uint8_t sha[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	struct mg_pkt_arp_info info;

	CU_ASSERT_EQUAL_FATAL(mg_pkt_arp_parse(request_bytes, 28, &info), MG_PKT_VERDICT_OK);
	CU_ASSERT_EQUAL(info.op, 1);
	CU_ASSERT_EQUAL(memcmp(info.sha.addr_bytes, sha, 6), 0);
	CU_ASSERT_EQUAL(info.spa_be, ip4("198.51.100.10"));
	CU_ASSERT_EQUAL(info.tpa_be, ip4("198.51.100.1"));
	/* Ethernet padding after the message is fine. */
	{
		uint8_t padded[46] = {0};

		memcpy(padded, request_bytes, 28);
		CU_ASSERT_EQUAL(mg_pkt_arp_parse(padded, 46, &info), MG_PKT_VERDICT_OK);
	}
}

static void
test_build_reply(void)
{
	static const uint8_t expect[42] = {
		0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 198, 51, 100, 1,
		0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 198, 51, 100, 10,
	};
	struct mg_pkt_arp_info req, rep;
	uint8_t f[64];
	uint32_t i;

	memset(f, 0xee, sizeof(f));
	CU_ASSERT_EQUAL_FATAL(mg_pkt_arp_parse(request_bytes, 28, &req), MG_PKT_VERDICT_OK);
	CU_ASSERT_EQUAL_FATAL(mg_pkt_arp_build_reply(f, sizeof(f), &our_mac, ip4("198.51.100.1"),
						     &req), 60);
	CU_ASSERT_EQUAL(memcmp(f, expect, 42), 0);
	for (i = 42; i < 60; i++)
		CU_ASSERT_EQUAL(f[i], 0);
	CU_ASSERT_EQUAL(f[60], 0xee); /* nothing written past the frame */

	CU_ASSERT_EQUAL_FATAL(mg_pkt_arp_parse(f + 14, 46, &rep), MG_PKT_VERDICT_OK);
	CU_ASSERT_EQUAL(rep.op, 2);
	CU_ASSERT_EQUAL(memcmp(&rep.sha, &our_mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(&rep.tha, &req.sha, 6), 0);
	CU_ASSERT_EQUAL(rep.spa_be, req.tpa_be);
	CU_ASSERT_EQUAL(rep.tpa_be, req.spa_be);
	CU_ASSERT_EQUAL(mg_pkt_arp_build_reply(f, 59, &our_mac, ip4("198.51.100.1"), &req), 0);
}

static void
test_build_request_and_gratuitous(void)
{
	static const uint8_t expect[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 203, 0, 113, 1,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 203, 0, 113, 254,
	};
	struct mg_pkt_arp_info info;
	uint8_t f[60];

	CU_ASSERT_EQUAL_FATAL(mg_pkt_arp_build_request(f, sizeof(f), &our_mac, ip4("203.0.113.1"),
						       ip4("203.0.113.254")), 60);
	CU_ASSERT_EQUAL(memcmp(f, expect, 42), 0);
	CU_ASSERT_EQUAL(mg_pkt_arp_parse(f + 14, 46, &info), MG_PKT_VERDICT_OK);
	CU_ASSERT_EQUAL(info.op, 1);
	CU_ASSERT_EQUAL(info.tpa_be, ip4("203.0.113.254"));

	CU_ASSERT_EQUAL_FATAL(mg_pkt_arp_build_gratuitous(f, sizeof(f), &our_mac,
							  ip4("203.0.113.1")), 60);
	CU_ASSERT_EQUAL(memcmp(f, expect, 38), 0);
	CU_ASSERT_EQUAL(memcmp(f + 38, (const uint8_t[]){203, 0, 113, 1}, 4), 0);
	CU_ASSERT_EQUAL(mg_pkt_arp_parse(f + 14, 46, &info), MG_PKT_VERDICT_OK);
	CU_ASSERT_EQUAL(info.spa_be, info.tpa_be);
	CU_ASSERT_EQUAL(mg_pkt_arp_build_gratuitous(f, 10, &our_mac, ip4("203.0.113.1")), 0);
}

/* Apply one byte edit to the good request and expect a verdict. */
static void
expect_edit(uint32_t at, uint8_t v, enum mg_pkt_verdict want)
{
	struct mg_pkt_arp_info info;
	uint8_t b[28];

	memcpy(b, request_bytes, 28);
	b[at] = v;
	CU_ASSERT_EQUAL(mg_pkt_arp_parse(b, 28, &info), want);
}

static void
test_parse_malformed(void)
{
	struct mg_pkt_arp_info info;

	CU_ASSERT_EQUAL(mg_pkt_arp_parse(request_bytes, 27, &info), MG_PKT_VERDICT_TRUNCATED);
	expect_edit(1, 6, MG_PKT_VERDICT_ARP_BAD_HW);      /* IEEE 802 */
	expect_edit(4, 8, MG_PKT_VERDICT_ARP_BAD_HW);      /* hw length */
	expect_edit(2, 0x86, MG_PKT_VERDICT_ARP_BAD_PROTO); /* 0x8600 */
	expect_edit(5, 16, MG_PKT_VERDICT_ARP_BAD_PROTO);  /* protocol length */
	expect_edit(7, 3, MG_PKT_VERDICT_ARP_BAD_OP);      /* RARP request */
	expect_edit(7, 0, MG_PKT_VERDICT_ARP_BAD_OP);
	expect_edit(6, 1, MG_PKT_VERDICT_ARP_BAD_OP);      /* op 0x0101 */
	expect_edit(8, 0x01, MG_PKT_VERDICT_ARP_BAD_SHA);  /* multicast bit */
	expect_edit(14, 224, MG_PKT_VERDICT_ARP_BAD_SPA);
	expect_edit(14, 127, MG_PKT_VERDICT_ARP_BAD_SPA);
	expect_edit(14, 255, MG_PKT_VERDICT_ARP_BAD_SPA);
	expect_edit(7, 2, MG_PKT_VERDICT_OK);              /* a reply is fine */
	{
		uint8_t b[28];

		memcpy(b, request_bytes, 28);
		memset(b + 8, 0, 6);
		CU_ASSERT_EQUAL(mg_pkt_arp_parse(b, 28, &info), MG_PKT_VERDICT_ARP_BAD_SHA);
		memset(b + 8, 0xff, 6);
		CU_ASSERT_EQUAL(mg_pkt_arp_parse(b, 28, &info), MG_PKT_VERDICT_ARP_BAD_SHA);
		memcpy(b, request_bytes, 28);
		memset(b + 14, 0, 4); /* RFC 5227 probe: sender 0.0.0.0 */
		CU_ASSERT_EQUAL(mg_pkt_arp_parse(b, 28, &info), MG_PKT_VERDICT_OK);
		b[17] = 1; /* 0.0.0.1 is not a probe */
		CU_ASSERT_EQUAL(mg_pkt_arp_parse(b, 28, &info), MG_PKT_VERDICT_ARP_BAD_SPA);
	}
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "test_parse_request", test_parse_request },
		{ "test_build_reply", test_build_reply },
		{ "test_build_request_and_gratuitous", test_build_request_and_gratuitous },
		{ "test_parse_malformed", test_parse_malformed },
	};

	return MG_CUNIT_RUN("pkt_arp", cases);
}
