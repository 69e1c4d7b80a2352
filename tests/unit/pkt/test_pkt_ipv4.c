/* Unit suite for ipv4.c and pkt_verdict.c: every parse verdict reached by a crafted packet, the
 * inline fast path compared with the full parse on mutated packets, and the TTL decrement checked
 * against a full checksum recompute.
 *
 * Packets are built byte by byte with the RFC 1071 reference checksum of pkt_test_util.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ipv4.h"
#include "pkt_test_util.h"

static uint8_t pkt[1600];

/* RFC 1071 section 3 example: words 0001 f203 f4f5 f6f7 sum to ddf2 (checks the reference). */
static void
test_reference_checksum(void)
{
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	CU_ASSERT_EQUAL(ref_sum(b, sizeof(b), 0), 0xddf2);
	CU_ASSERT_EQUAL(ref_csum(b, sizeof(b)), 0x220d);
}

/* A commonly quoted capture: 192.168.0.1 -> 192.168.0.199, UDP, total 115, checksum b861. */
static void
test_parse_known_udp(void)
{
	static const uint8_t hdr[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
					0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	struct mg_pkt_ipv4_info info;

	memset(pkt, 0, sizeof(pkt));
	memcpy(pkt, hdr, sizeof(hdr));
	wr16be(pkt + 20, 5353);
	wr16be(pkt + 22, 53);
	wr16be(pkt + 24, 115 - 20);
	CU_ASSERT_EQUAL(mg_pkt_ipv4_parse(pkt, 115, &info), MG_PKT_VERDICT_OK);
	CU_ASSERT_EQUAL(info.src_be, ip4("192.168.0.1"));
	CU_ASSERT_EQUAL(info.dst_be, ip4("192.168.0.199"));
	CU_ASSERT_EQUAL(info.proto, 17);
	CU_ASSERT_EQUAL(info.ttl, 64);
	CU_ASSERT_EQUAL(info.hdr_len, 20);
	CU_ASSERT_EQUAL(info.total_len, 115);
	CU_ASSERT_EQUAL(info.l4_len, 95);
	CU_ASSERT_EQUAL(info.src_port, 5353);
	CU_ASSERT_EQUAL(info.dst_port, 53);
	CU_ASSERT_EQUAL(info.l4_hdr_len, 8);
	CU_ASSERT_EQUAL(info.frag_off, 0x4000);
}

/* A valid TCP SYN of 40 bytes (20 + 20), used as the base of the malformed table. */
static uint32_t
base_tcp(void)
{
	memset(pkt, 0, sizeof(pkt));
	put_ipv4(pkt, 40, 6, "100.64.0.2", "192.0.2.80");
	wr16be(pkt + 20, 40000);
	wr16be(pkt + 22, 80);
	pkt[32] = 5 << 4;
	pkt[33] = 0x02;
	ref_fix_l4_csum(pkt, 20, 16);
	return 40;
}

static uint32_t
base_udp(uint16_t payload)
{
	memset(pkt, 0, sizeof(pkt));
	put_ipv4(pkt, (uint16_t)(28 + payload), 17, "100.64.0.2", "192.0.2.80");
	wr16be(pkt + 20, 40000);
	wr16be(pkt + 22, 7);
	wr16be(pkt + 24, (uint16_t)(8 + payload));
	return 28u + payload;
}

static uint32_t
base_icmp_echo(void)
{
	memset(pkt, 0, sizeof(pkt));
	put_ipv4(pkt, 28 + 4, 1, "100.64.0.2", "192.0.2.80");
	pkt[20] = 8;
	wr16be(pkt + 24, 0xbeef); /* identifier */
	wr16be(pkt + 26, 1);
	wr16be(pkt + 22, ref_csum(pkt + 20, 12));
	return 32;
}

static enum mg_pkt_verdict
parse(uint32_t len)
{
	struct mg_pkt_ipv4_info info;

	return mg_pkt_ipv4_parse(pkt, len, &info);
}

static void
test_parse_valid_protocols(void)
{
	struct mg_pkt_ipv4_info info;
	uint32_t n;

	n = base_tcp();
	CU_ASSERT_EQUAL(mg_pkt_ipv4_parse(pkt, n, &info), MG_PKT_VERDICT_OK);
	CU_ASSERT_EQUAL(info.src_port, 40000);
	CU_ASSERT_EQUAL(info.dst_port, 80);
	CU_ASSERT_EQUAL(info.tcp_flags, 0x02);
	CU_ASSERT_EQUAL(info.l4_hdr_len, 20);
	CU_ASSERT_EQUAL(info.l4_len, 20);

	n = base_icmp_echo();
	CU_ASSERT_EQUAL(mg_pkt_ipv4_parse(pkt, n, &info), MG_PKT_VERDICT_OK);
	CU_ASSERT_EQUAL(info.icmp_type, 8);
	CU_ASSERT_EQUAL(info.src_port, 0xbeef);
	CU_ASSERT_EQUAL(info.dst_port, 0xbeef);

	/* Ethernet padding past the total length is allowed and reported via total_len. */
	n = base_udp(4);
	CU_ASSERT_EQUAL(mg_pkt_ipv4_parse(pkt, 46, &info), MG_PKT_VERDICT_OK);
	CU_ASSERT_EQUAL(info.total_len, n);

	/* UDP length shorter than the IP payload is accepted (as Linux does). */
	base_udp(10);
	wr16be(pkt + 24, 12);
	CU_ASSERT_EQUAL(parse(38), MG_PKT_VERDICT_OK);
	/* Don't-fragment alone is not a fragment. */
	n = base_udp(0);
	wr16be(pkt + 6, 0x4000);
	ref_fix_ip_csum(pkt);
	CU_ASSERT_EQUAL(parse(n), MG_PKT_VERDICT_OK);
}

static void
test_parse_options(void)
{
	struct mg_pkt_ipv4_info info;

	/* IHL 6: one word of options (NOP NOP NOP EOL), UDP behind it. */
	memset(pkt, 0, sizeof(pkt));
	put_ipv4(pkt, 24 + 8, 17, "198.51.100.10", "198.51.100.1");
	pkt[0] = 0x46;
	memset(pkt + 20, 1, 3);
	wr16be(pkt + 24, 1);
	wr16be(pkt + 26, 2);
	wr16be(pkt + 28, 8);
	ref_fix_ip_csum(pkt);
	CU_ASSERT_EQUAL(mg_pkt_ipv4_parse(pkt, 32, &info), MG_PKT_VERDICT_OK);
	CU_ASSERT_EQUAL(info.hdr_len, 24);
	CU_ASSERT_EQUAL(info.l4_len, 8);
	CU_ASSERT_EQUAL(info.src_port, 1);
	/* The same header with only 22 bytes in the buffer: its own header is cut. */
	CU_ASSERT_EQUAL(parse(22), MG_PKT_VERDICT_TRUNCATED);
}

static void
test_parse_malformed_l3(void)
{
	uint32_t n;

	n = base_tcp();
	CU_ASSERT_EQUAL(parse(19), MG_PKT_VERDICT_TRUNCATED);
	CU_ASSERT_EQUAL(parse(0), MG_PKT_VERDICT_TRUNCATED);

	base_tcp();
	pkt[0] = 0x65;
	ref_fix_ip_csum(pkt);
	CU_ASSERT_EQUAL(parse(n), MG_PKT_VERDICT_BAD_VERSION);

	base_tcp();
	pkt[0] = 0x44;
	CU_ASSERT_EQUAL(parse(n), MG_PKT_VERDICT_BAD_IHL);

	base_tcp();
	wr16be(pkt + 2, 41); /* claims one byte more than arrived */
	ref_fix_ip_csum(pkt);
	CU_ASSERT_EQUAL(parse(n), MG_PKT_VERDICT_BAD_TOTAL_LEN);
	wr16be(pkt + 2, 19); /* shorter than its own header */
	ref_fix_ip_csum(pkt);
	CU_ASSERT_EQUAL(parse(n), MG_PKT_VERDICT_BAD_TOTAL_LEN);

	base_tcp();
	pkt[8] ^= 0x01; /* TTL changed, checksum not */
	CU_ASSERT_EQUAL(parse(n), MG_PKT_VERDICT_BAD_HDR_CSUM);
	base_tcp();
	pkt[11] ^= 0x80;
	CU_ASSERT_EQUAL(parse(n), MG_PKT_VERDICT_BAD_HDR_CSUM);

	base_tcp();
	wr16be(pkt + 6, 0x2000); /* MF */
	ref_fix_ip_csum(pkt);
	CU_ASSERT_EQUAL(parse(n), MG_PKT_VERDICT_FRAGMENT);
	wr16be(pkt + 6, 0x0001); /* offset 8 bytes, last fragment */
	ref_fix_ip_csum(pkt);
	CU_ASSERT_EQUAL(parse(n), MG_PKT_VERDICT_FRAGMENT);

	base_tcp();
	pkt[9] = 47; /* GRE */
	ref_fix_ip_csum(pkt);
	CU_ASSERT_EQUAL(parse(n), MG_PKT_VERDICT_UNSUPPORTED_PROTO);
}

/* A fragment still reports its L3 fields. */
static void
test_parse_fragment_info(void)
{
	struct mg_pkt_ipv4_info info;
	uint32_t n = base_udp(100);

	wr16be(pkt + 6, 0x2000);
	ref_fix_ip_csum(pkt);
	CU_ASSERT_EQUAL(mg_pkt_ipv4_parse(pkt, n, &info), MG_PKT_VERDICT_FRAGMENT);
	CU_ASSERT_EQUAL(info.src_be, ip4("100.64.0.2"));
	CU_ASSERT_EQUAL(info.frag_off, 0x2000);
	CU_ASSERT_EQUAL(info.src_port, 0);
}

static void
test_parse_malformed_l4(void)
{
	/* Each L4 cut one byte short of its minimal header. */
	base_tcp();
	wr16be(pkt + 2, 39);
	ref_fix_ip_csum(pkt);
	CU_ASSERT_EQUAL(parse(39), MG_PKT_VERDICT_BAD_L4_HDR);
	base_udp(0);
	wr16be(pkt + 2, 27);
	ref_fix_ip_csum(pkt);
	CU_ASSERT_EQUAL(parse(27), MG_PKT_VERDICT_BAD_L4_HDR);
	base_icmp_echo();
	wr16be(pkt + 2, 27);
	ref_fix_ip_csum(pkt);
	CU_ASSERT_EQUAL(parse(27), MG_PKT_VERDICT_BAD_L4_HDR);

	base_tcp();
	pkt[32] = 4 << 4; /* data offset 16 bytes < 20 */
	CU_ASSERT_EQUAL(parse(40), MG_PKT_VERDICT_BAD_TCP_DOFF);
	pkt[32] = 6 << 4; /* 24 bytes of header in a 20-byte segment */
	CU_ASSERT_EQUAL(parse(40), MG_PKT_VERDICT_BAD_TCP_DOFF);

	base_udp(4);
	wr16be(pkt + 24, 7);
	CU_ASSERT_EQUAL(parse(32), MG_PKT_VERDICT_BAD_UDP_LEN);
	wr16be(pkt + 24, 13);
	CU_ASSERT_EQUAL(parse(32), MG_PKT_VERDICT_BAD_UDP_LEN);
}

/* Decrement TTL on many headers; the incremental checksum must equal a full recompute. */
static void
test_dec_ttl_matches_recompute(void)
{
	uint8_t ref[20];
	unsigned int i;

	srand(1624);
	for (i = 0; i < 20000; i++) {
		unsigned int j;

		for (j = 0; j < 20; j++)
			pkt[j] = (uint8_t)rand();
		pkt[0] = 0x45;
		pkt[8] = (uint8_t)(2 + i % 254);
		ref_fix_ip_csum(pkt);
		memcpy(ref, pkt, 20);
		ref[8]--;
		ref_fix_ip_csum(ref);
		CU_ASSERT_TRUE_FATAL(mg_pkt_ipv4_dec_ttl((struct rte_ipv4_hdr *)pkt));
		CU_ASSERT_EQUAL_FATAL(memcmp(pkt, ref, 20), 0);
	}
}

static void
test_dec_ttl_expired(void)
{
	uint8_t before[20];

	base_udp(0);
	pkt[8] = 1;
	ref_fix_ip_csum(pkt);
	memcpy(before, pkt, 20);
	CU_ASSERT_FALSE(mg_pkt_ipv4_dec_ttl((struct rte_ipv4_hdr *)pkt));
	CU_ASSERT_EQUAL(memcmp(pkt, before, 20), 0);
	pkt[8] = 0;
	ref_fix_ip_csum(pkt);
	CU_ASSERT_FALSE(mg_pkt_ipv4_dec_ttl((struct rte_ipv4_hdr *)pkt));
	pkt[8] = 2;
	ref_fix_ip_csum(pkt);
	CU_ASSERT_TRUE(mg_pkt_ipv4_dec_ttl((struct rte_ipv4_hdr *)pkt));
	CU_ASSERT_EQUAL(pkt[8], 1);
	CU_ASSERT_TRUE(ref_ip_csum_ok(pkt));
}

static void
test_unicast_src(void)
{
	CU_ASSERT_TRUE(mg_pkt_ipv4_unicast_src(ip4("1.0.0.0")));
	CU_ASSERT_TRUE(mg_pkt_ipv4_unicast_src(ip4("223.255.255.255")));
	CU_ASSERT_TRUE(mg_pkt_ipv4_unicast_src(ip4("126.255.255.255")));
	CU_ASSERT_FALSE(mg_pkt_ipv4_unicast_src(ip4("0.255.255.255")));
	CU_ASSERT_FALSE(mg_pkt_ipv4_unicast_src(ip4("127.0.0.1")));
	CU_ASSERT_FALSE(mg_pkt_ipv4_unicast_src(ip4("224.0.0.1")));
	CU_ASSERT_FALSE(mg_pkt_ipv4_unicast_src(ip4("255.255.255.255")));
}

/* Every field the parse reports; the struct's padding is not compared. */
static bool
same_info(const struct mg_pkt_ipv4_info *a, const struct mg_pkt_ipv4_info *b)
{
	return a->src_be == b->src_be && a->dst_be == b->dst_be && a->hdr_len == b->hdr_len &&
	       a->total_len == b->total_len && a->l4_len == b->l4_len &&
	       a->frag_off == b->frag_off && a->proto == b->proto && a->ttl == b->ttl &&
	       a->tcp_flags == b->tcp_flags && a->icmp_type == b->icmp_type &&
	       a->icmp_code == b->icmp_code && a->src_port == b->src_port &&
	       a->dst_port == b->dst_port && a->l4_hdr_len == b->l4_hdr_len;
}

/* The inline fast path and mg_pkt_ipv4_parse_full agree on every input: valid TCP, UDP and ICMP
 * packets with random bytes changed in their headers (the IPv4 checksum fixed half the time, so
 * both the fast path's accepts and its hand-overs are reached) and random lengths. */
static void
test_parse_fast_matches_full(void)
{
	uint32_t (*const bases[])(void) = { base_tcp, base_icmp_echo };
	unsigned ok = 0, refused = 0;

	srand(7);
	for (unsigned round = 0; round < 200000; round++) {
		struct mg_pkt_ipv4_info fast, full;
		enum mg_pkt_verdict vf, vs;
		uint32_t len;

		len = round % 3 == 2 ? base_udp((uint16_t)(rand() % 64)) : bases[round % 3]();
		for (int flips = rand() % 3; flips > 0; flips--)
			pkt[rand() % 44] ^= (uint8_t)(1u << (rand() % 8));
		if (rand() % 2)
			ref_fix_ip_csum(pkt);
		if (rand() % 4 == 0)
			len = (uint32_t)(rand() % (len + 8));
		vf = mg_pkt_ipv4_parse(pkt, len, &fast);
		vs = mg_pkt_ipv4_parse_full(pkt, len, &full);
		CU_ASSERT_EQUAL_FATAL(vf, vs);
		if (vs == MG_PKT_VERDICT_OK) {
			CU_ASSERT_FATAL(same_info(&fast, &full));
			ok++;
		} else {
			refused++;
		}
	}
	CU_ASSERT(ok > 10000);
	CU_ASSERT(refused > 10000);
}

static void
test_verdict_strings(void)
{
	int i, j;

	for (i = 0; i < MG_PKT_VERDICT_COUNT; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(mg_pkt_verdict_str(i));
		CU_ASSERT_PTR_NOT_NULL_FATAL(mg_pkt_verdict_name(i));
		for (j = 0; j < i; j++)
			CU_ASSERT_NOT_EQUAL(strcmp(mg_pkt_verdict_str(i), mg_pkt_verdict_str(j)), 0);
	}
	CU_ASSERT_STRING_EQUAL(mg_pkt_verdict_name(MG_PKT_VERDICT_BAD_HDR_CSUM), "BAD_HDR_CSUM");
	CU_ASSERT_STRING_EQUAL(mg_pkt_verdict_str(MG_PKT_VERDICT_OK), "ok");
	CU_ASSERT_STRING_EQUAL(mg_pkt_verdict_str(MG_PKT_VERDICT_COUNT), "unknown verdict");
	CU_ASSERT_STRING_EQUAL(mg_pkt_verdict_str(-1), "unknown verdict");
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "test_reference_checksum", test_reference_checksum },
		{ "test_parse_known_udp", test_parse_known_udp },
		{ "test_parse_valid_protocols", test_parse_valid_protocols },
		{ "test_parse_options", test_parse_options },
		{ "test_parse_malformed_l3", test_parse_malformed_l3 },
		{ "test_parse_fragment_info", test_parse_fragment_info },
		{ "test_parse_malformed_l4", test_parse_malformed_l4 },
		{ "test_parse_fast_matches_full", test_parse_fast_matches_full },
		{ "test_dec_ttl_matches_recompute", test_dec_ttl_matches_recompute },
		{ "test_dec_ttl_expired", test_dec_ttl_expired },
		{ "test_unicast_src", test_unicast_src },
		{ "test_verdict_strings", test_verdict_strings },
	};

	return MG_CUNIT_RUN("pkt_ipv4", cases);
}
