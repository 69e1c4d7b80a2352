/* Unit suite for icmp.c: error quoting length (576-byte rule, caller capacity), the cases that
 * must not be answered, next-hop MTU, checksums, and echo request -> reply in place.
 *
 * Expected layouts follow RFC 792 / RFC 1191 / RFC 1812 4.3.2; checksums use the reference sum.
 */
#include <stdio.h>

#include "icmp.h"
#include "pkt_test_util.h"

static uint8_t off[2000];
static uint8_t out[2000];

/* An offending UDP packet of total bytes from src to dst, payload bytes 0, 1, 2, ... */
static uint32_t
offending_udp(uint16_t total, const char *src, const char *dst)
{
	uint32_t i;

	for (i = 0; i < sizeof(off); i++)
		off[i] = (uint8_t)i;
	put_ipv4(off, total, 17, src, dst);
	wr16be(off + 20, 40000);
	wr16be(off + 22, 33434);
	wr16be(off + 24, (uint16_t)(total - 20));
	return total;
}

static uint32_t
err(uint32_t cap, uint32_t len, uint8_t type, uint8_t code, uint16_t mtu)
{
	return mg_pkt_icmp_error(out, cap, ip4("203.0.113.1"), off, len, type, code, mtu);
}

/* Checks common to every error: headers, checksums, addresses, quote bytes. */
static void
check_error(uint32_t n, uint32_t quote, uint8_t type, uint8_t code)
{
	uint32_t a;

	CU_ASSERT_EQUAL_FATAL(n, 28 + quote);
	CU_ASSERT_EQUAL(out[0], 0x45);
	CU_ASSERT_EQUAL(rd16be(out + 2), n);
	CU_ASSERT_EQUAL(out[8], 64);
	CU_ASSERT_EQUAL(out[9], 1);
	CU_ASSERT_EQUAL(rd16be(out + 6) & 0x3fff, 0); /* not a fragment */
	CU_ASSERT_TRUE(ref_ip_csum_ok(out));
	memcpy(&a, out + 12, 4);
	CU_ASSERT_EQUAL(a, ip4("203.0.113.1"));
	CU_ASSERT_EQUAL(memcmp(out + 16, off + 12, 4), 0); /* back to the offender's source */
	CU_ASSERT_EQUAL(out[20], type);
	CU_ASSERT_EQUAL(out[21], code);
	CU_ASSERT_EQUAL(ref_sum(out + 20, n - 20, 0), 0xffff);
	CU_ASSERT_EQUAL(memcmp(out + 28, off, quote), 0);
}

static void
test_error_small_packet_quoted_whole(void)
{
	uint32_t len = offending_udp(100, "100.64.0.2", "192.0.2.80");
	uint32_t n = err(sizeof(out), len, MG_PKT_ICMP_DEST_UNREACH, MG_PKT_ICMP_ADMIN_PROHIBITED, 0);

	check_error(n, 100, 3, 13);
	CU_ASSERT_EQUAL(rd16be(out + 24), 0);
	CU_ASSERT_EQUAL(rd16be(out + 26), 0);
}

static void
test_error_576_limit(void)
{
	uint32_t len = offending_udp(1500, "100.64.0.2", "192.0.2.80");
	uint32_t n = err(sizeof(out), len, MG_PKT_ICMP_TIME_EXCEEDED, 0, 0);

	CU_ASSERT_EQUAL(n, 576);
	check_error(n, 576 - 28, 11, 0);
	/* Exactly at the limit: 548 bytes offending fit whole. */
	len = offending_udp(548, "100.64.0.2", "192.0.2.80");
	check_error(err(sizeof(out), len, 11, 0, 0), 548, 11, 0);
	len = offending_udp(549, "100.64.0.2", "192.0.2.80");
	check_error(err(sizeof(out), len, 11, 0, 0), 548, 11, 0);
}

static void
test_error_frag_needed_mtu(void)
{
	uint32_t len = offending_udp(1500, "100.64.0.2", "192.0.2.80");
	uint32_t n = err(sizeof(out), len, 3, MG_PKT_ICMP_FRAG_NEEDED, 1420);

	check_error(n, 548, 3, 4);
	CU_ASSERT_EQUAL(rd16be(out + 24), 0);
	CU_ASSERT_EQUAL(rd16be(out + 26), 1420);
	/* Other codes leave the field zero even when an MTU is passed. */
	n = err(sizeof(out), len, 3, 1, 1420);
	CU_ASSERT_EQUAL(rd16be(out + 26), 0);
}

static void
test_error_capacity(void)
{
	uint32_t len = offending_udp(300, "100.64.0.2", "192.0.2.80");

	check_error(err(100, len, 3, 3, 0), 72, 3, 3);
	check_error(err(56, len, 3, 3, 0), 28, 3, 3); /* header + 8 bytes: the minimum */
	CU_ASSERT_EQUAL(err(55, len, 3, 3, 0), 0);
	CU_ASSERT_EQUAL(err(0, len, 3, 3, 0), 0);
}

/* Bytes available vs total length: quote min(available, total). */
static void
test_error_truncated_and_padded(void)
{
	uint32_t len = offending_udp(100, "100.64.0.2", "192.0.2.80");

	check_error(err(sizeof(out), 30, 3, 3, 0), 30, 3, 3);
	check_error(err(sizeof(out), len + 18, 3, 3, 0), 100, 3, 3);
	CU_ASSERT_EQUAL(err(sizeof(out), 19, 3, 3, 0), 0);
}

static void
test_error_not_about_errors(void)
{
	static const uint8_t error_types[] = {3, 4, 5, 11, 12, 42, 255};
	static const uint8_t query_types[] = {0, 8, 13};
	size_t i;

	for (i = 0; i < sizeof(error_types); i++) {
		offending_udp(56, "100.64.0.2", "192.0.2.80");
		off[9] = 1;
		off[20] = error_types[i];
		ref_fix_ip_csum(off);
		CU_ASSERT_EQUAL(err(sizeof(out), 56, 3, 13, 0), 0);
	}
	for (i = 0; i < sizeof(query_types); i++) {
		offending_udp(56, "100.64.0.2", "192.0.2.80");
		off[9] = 1;
		off[20] = query_types[i];
		ref_fix_ip_csum(off);
		check_error(err(sizeof(out), 56, 3, 13, 0), 56, 3, 13);
	}
	/* An ICMP packet whose type byte is not there cannot be classified. */
	offending_udp(20, "100.64.0.2", "192.0.2.80");
	off[9] = 1;
	ref_fix_ip_csum(off);
	CU_ASSERT_EQUAL(err(sizeof(out), 20, 3, 13, 0), 0);
}

static void
test_error_fragments(void)
{
	offending_udp(200, "100.64.0.2", "192.0.2.80");
	wr16be(off + 6, 0x2000); /* first fragment: answered */
	ref_fix_ip_csum(off);
	check_error(err(sizeof(out), 200, 11, 0, 0), 200, 11, 0);
	wr16be(off + 6, 0x2010); /* later fragment: silent */
	ref_fix_ip_csum(off);
	CU_ASSERT_EQUAL(err(sizeof(out), 200, 11, 0, 0), 0);
	wr16be(off + 6, 0x0010); /* last fragment */
	ref_fix_ip_csum(off);
	CU_ASSERT_EQUAL(err(sizeof(out), 200, 11, 0, 0), 0);
}

static void
test_error_addresses(void)
{
	static const char *const bad_dst[] = {"224.0.0.1", "239.255.255.250", "255.255.255.255",
					      "240.0.0.1"};
	static const char *const bad_src[] = {"0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.5",
					      "255.255.255.255"};
	size_t i;

	for (i = 0; i < 4; i++) {
		offending_udp(60, "100.64.0.2", bad_dst[i]);
		CU_ASSERT_EQUAL(err(sizeof(out), 60, 3, 13, 0), 0);
	}
	for (i = 0; i < 5; i++) {
		offending_udp(60, bad_src[i], "192.0.2.80");
		CU_ASSERT_EQUAL(err(sizeof(out), 60, 3, 13, 0), 0);
	}
	offending_udp(60, "198.51.100.10", "223.255.255.255");
	check_error(err(sizeof(out), 60, 3, 13, 0), 60, 3, 13);
}

static void
test_error_malformed_offender(void)
{
	offending_udp(60, "100.64.0.2", "192.0.2.80");
	off[0] = 0x65;
	CU_ASSERT_EQUAL(err(sizeof(out), 60, 3, 13, 0), 0);
	off[0] = 0x44;
	CU_ASSERT_EQUAL(err(sizeof(out), 60, 3, 13, 0), 0);
	off[0] = 0x4f; /* 60-byte header in 40 bytes */
	CU_ASSERT_EQUAL(err(sizeof(out), 40, 3, 13, 0), 0);
	off[0] = 0x45;
	wr16be(off + 2, 10);
	CU_ASSERT_EQUAL(err(sizeof(out), 60, 3, 13, 0), 0);
}

/* Echo request 100.64.0.2 -> 203.0.113.1, id 0x1234 seq 7, 32 bytes of data. */
static uint32_t
echo_request(uint8_t *p)
{
	uint32_t i;

	put_ipv4(p, 20 + 8 + 32, 1, "100.64.0.2", "203.0.113.1");
	p[8] = 57;
	ref_fix_ip_csum(p);
	p[20] = 8;
	p[21] = 0;
	p[22] = p[23] = 0;
	wr16be(p + 24, 0x1234);
	wr16be(p + 26, 7);
	for (i = 0; i < 32; i++)
		p[28 + i] = (uint8_t)(0x61 + i);
	wr16be(p + 22, ref_csum(p + 20, 40));
	return 60;
}

static void
test_echo_reply(void)
{
	uint8_t req[64];
	uint32_t n = echo_request(off);

	memcpy(req, off, n);
	CU_ASSERT_TRUE_FATAL(mg_pkt_icmp_echo_to_reply(off, n));
	CU_ASSERT_EQUAL(memcmp(off + 12, req + 16, 4), 0);
	CU_ASSERT_EQUAL(memcmp(off + 16, req + 12, 4), 0);
	CU_ASSERT_EQUAL(off[8], 64);
	CU_ASSERT_TRUE(ref_ip_csum_ok(off));
	CU_ASSERT_EQUAL(off[20], 0);
	CU_ASSERT_EQUAL(off[21], 0);
	CU_ASSERT_EQUAL(ref_sum(off + 20, 40, 0), 0xffff);
	CU_ASSERT_EQUAL(memcmp(off + 24, req + 24, 36), 0); /* id, seq and data unchanged */
	/* The reply is not a request any more. */
	CU_ASSERT_FALSE(mg_pkt_icmp_echo_to_reply(off, n));
}

static void
test_echo_refused(void)
{
	uint32_t n;

	n = echo_request(off);
	off[40] ^= 1; /* data changed, checksum not */
	CU_ASSERT_FALSE(mg_pkt_icmp_echo_to_reply(off, n));
	n = echo_request(off);
	CU_ASSERT_FALSE(mg_pkt_icmp_echo_to_reply(off, n - 1)); /* total length beyond buffer */
	n = echo_request(off);
	off[21] = 1; /* code must be 0 */
	wr16be(off + 22, 0);
	wr16be(off + 22, ref_csum(off + 20, 40));
	CU_ASSERT_FALSE(mg_pkt_icmp_echo_to_reply(off, n));
	n = echo_request(off);
	off[0] = 0x46; /* options are not reflected */
	CU_ASSERT_FALSE(mg_pkt_icmp_echo_to_reply(off, n));
	n = echo_request(off);
	off[12] = 127;
	ref_fix_ip_csum(off);
	CU_ASSERT_FALSE(mg_pkt_icmp_echo_to_reply(off, n));
	n = echo_request(off);
	wr16be(off + 6, 0x2000);
	ref_fix_ip_csum(off);
	CU_ASSERT_FALSE(mg_pkt_icmp_echo_to_reply(off, n));
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "test_error_small_packet_quoted_whole", test_error_small_packet_quoted_whole },
		{ "test_error_576_limit", test_error_576_limit },
		{ "test_error_frag_needed_mtu", test_error_frag_needed_mtu },
		{ "test_error_capacity", test_error_capacity },
		{ "test_error_truncated_and_padded", test_error_truncated_and_padded },
		{ "test_error_not_about_errors", test_error_not_about_errors },
		{ "test_error_fragments", test_error_fragments },
		{ "test_error_addresses", test_error_addresses },
		{ "test_error_malformed_offender", test_error_malformed_offender },
		{ "test_echo_reply", test_echo_reply },
		{ "test_echo_refused", test_echo_refused },
	};

	return MG_CUNIT_RUN("pkt_icmp", cases);
}
