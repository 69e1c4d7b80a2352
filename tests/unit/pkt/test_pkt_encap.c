/* Unit suite for encap.c: the outer IPv4/UDP header byte by byte, the encap -> parse round trip,
 * and one crafted datagram per malformation verdict of mg_pkt_udp4_outer_parse.
 *
 * Header bytes are checked against the RFC 791 / RFC 768 layouts and the reference checksum.
 */
#include <stdio.h>

#include <rte_byteorder.h>

#include "encap.h"
#include "pkt_test_util.h"

static uint8_t buf[2048];

/* 148-byte handshake-initiation-sized payload from 198.51.100.10:40000 to us at :51820. */
static uint32_t
encap_sample(uint16_t payload_len)
{
	uint32_t i;

	for (i = 0; i < payload_len; i++)
		buf[28 + i] = (uint8_t)(i * 7);
	mg_pkt_udp4_encap(buf, ip4("198.51.100.10"), ip4("198.51.100.1"), rte_cpu_to_be_16(40000),
			  rte_cpu_to_be_16(51820), payload_len, 0xabcd);
	return 28u + payload_len;
}

static void
test_encap_bytes(void)
{
	static const uint8_t expect[28] = {
		0x45, 0x00, 0x00, 0xb0, 0xab, 0xcd, 0x40, 0x00, 0x40, 0x11, 0, 0,
		198, 51, 100, 10, 198, 51, 100, 1,
		0x9c, 0x40, 0xca, 0x6c, 0x00, 0x9c, 0x00, 0x00,
	};
	uint8_t got[28];

	encap_sample(148);
	memcpy(got, buf, 28);
	CU_ASSERT_TRUE(ref_ip_csum_ok(got));
	got[10] = got[11] = 0;
	CU_ASSERT_EQUAL(memcmp(got, expect, 28), 0);
	/* Checksum value itself from the reference. */
	CU_ASSERT_EQUAL(rd16be(buf + 10), ref_csum(got, 20));
}

static void
test_round_trip(void)
{
	struct mg_pkt_udp4_outer o;
	static const uint16_t sizes[] = {0, 1, 32, 148, 1420, 2000};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t n = encap_sample(sizes[i]);

		CU_ASSERT_EQUAL_FATAL(mg_pkt_udp4_outer_parse(buf, n, ip4("198.51.100.1"), &o),
				      MG_PKT_VERDICT_OK);
		CU_ASSERT_EQUAL(o.src_be, ip4("198.51.100.10"));
		CU_ASSERT_EQUAL(o.sport_be, rte_cpu_to_be_16(40000));
		CU_ASSERT_EQUAL(o.dport_be, rte_cpu_to_be_16(51820));
		CU_ASSERT_PTR_EQUAL(o.payload, buf + 28);
		CU_ASSERT_EQUAL(o.payload_len, sizes[i]);
	}
	/* Link padding after the datagram is not payload. */
	encap_sample(4);
	CU_ASSERT_EQUAL(mg_pkt_udp4_outer_parse(buf, 46, ip4("198.51.100.1"), &o), MG_PKT_VERDICT_OK);
	CU_ASSERT_EQUAL(o.payload_len, 4);
}

static enum mg_pkt_verdict
outer(uint32_t n)
{
	struct mg_pkt_udp4_outer o;

	return mg_pkt_udp4_outer_parse(buf, n, ip4("198.51.100.1"), &o);
}

static void
test_malformed(void)
{
	uint32_t n;
	struct mg_pkt_udp4_outer o;

	n = encap_sample(32);
	CU_ASSERT_EQUAL(mg_pkt_udp4_outer_parse(buf, n, ip4("198.51.100.2"), &o),
			MG_PKT_VERDICT_NOT_TO_US);
	CU_ASSERT_EQUAL(o.payload, NULL);
	CU_ASSERT_EQUAL(outer(19), MG_PKT_VERDICT_TRUNCATED);
	CU_ASSERT_EQUAL(outer(n - 1), MG_PKT_VERDICT_BAD_TOTAL_LEN);

	buf[10] ^= 1;
	CU_ASSERT_EQUAL(outer(n), MG_PKT_VERDICT_BAD_HDR_CSUM);

	encap_sample(32);
	buf[0] = 0x65;
	ref_fix_ip_csum(buf);
	CU_ASSERT_EQUAL(outer(n), MG_PKT_VERDICT_BAD_VERSION);

	encap_sample(32);
	wr16be(buf + 6, 0x2000);
	ref_fix_ip_csum(buf);
	CU_ASSERT_EQUAL(outer(n), MG_PKT_VERDICT_FRAGMENT);

	encap_sample(32);
	buf[9] = 6; /* TCP with a sane data offset */
	buf[32] = 5 << 4;
	ref_fix_ip_csum(buf);
	CU_ASSERT_EQUAL(outer(n), MG_PKT_VERDICT_NOT_UDP);
	buf[9] = 50; /* ESP */
	ref_fix_ip_csum(buf);
	CU_ASSERT_EQUAL(outer(n), MG_PKT_VERDICT_NOT_UDP);

	encap_sample(32);
	memcpy(buf + 12, (const uint8_t[]){224, 0, 0, 1}, 4);
	ref_fix_ip_csum(buf);
	CU_ASSERT_EQUAL(outer(n), MG_PKT_VERDICT_BAD_SRC_ADDR);
	memcpy(buf + 12, (const uint8_t[]){0, 0, 0, 0}, 4);
	ref_fix_ip_csum(buf);
	CU_ASSERT_EQUAL(outer(n), MG_PKT_VERDICT_BAD_SRC_ADDR);

	encap_sample(32);
	wr16be(buf + 20, 0);
	CU_ASSERT_EQUAL(outer(n), MG_PKT_VERDICT_BAD_PORT);
	encap_sample(32);
	wr16be(buf + 22, 0);
	CU_ASSERT_EQUAL(outer(n), MG_PKT_VERDICT_BAD_PORT);

	encap_sample(32);
	wr16be(buf + 24, 41); /* UDP says one byte more than the IP payload */
	CU_ASSERT_EQUAL(outer(n), MG_PKT_VERDICT_BAD_UDP_LEN);
	wr16be(buf + 24, 7);
	CU_ASSERT_EQUAL(outer(n), MG_PKT_VERDICT_BAD_UDP_LEN);

	/* UDP header cut: IP total 27. */
	encap_sample(0);
	wr16be(buf + 2, 27);
	ref_fix_ip_csum(buf);
	CU_ASSERT_EQUAL(outer(27), MG_PKT_VERDICT_BAD_L4_HDR);
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "test_encap_bytes", test_encap_bytes },
		{ "test_round_trip", test_round_trip },
		{ "test_malformed", test_malformed },
	};

	return MG_CUNIT_RUN("pkt_encap", cases);
}
