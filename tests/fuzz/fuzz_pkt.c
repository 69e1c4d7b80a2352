/* libFuzzer entry point for every byte parser of lib/pkt: IPv4 parse (its inline fast path against
 * the full one, then TTL decrement, MSS clamp and echo reply on the result), ARP parse and reply,
 * outer UDP parse, ICMP error building.
 *
 * Besides memory safety (ASan/UBSan) it checks invariants and aborts when one breaks: what the
 * builders produce must parse back, and in-place rewrites must keep a valid checksum valid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "arp.h"
#include "encap.h"
#include "icmp.h"
#include "ipv4.h"
#include "tcp_mss.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_MAX = 65535 + 64 };

static uint8_t work[FUZZ_MAX];
static uint8_t out[FUZZ_MAX];

#define CHECK(cond)                  \
	do {                         \
		if (!(cond))         \
			abort();     \
	} while (0)

/* Full TCP/UDP checksum verification over the pseudo header (true when it sums to 0xffff). */
static int
l4_csum_ok(const uint8_t *ip, const struct mg_pkt_ipv4_info *info)
{
	uint32_t sum = rte_ipv4_phdr_cksum((const struct rte_ipv4_hdr *)ip, 0);

	sum += rte_raw_cksum(ip + info->hdr_len, info->l4_len);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* Clamp on an exact-size heap copy (ASan sees any overrun); only the MSS value inside the TCP
 * header and the checksum may change, and a valid checksum must stay valid. */
static void
fuzz_tcp_mss(const uint8_t *data, uint32_t len, const struct mg_pkt_ipv4_info *info)
{
	uint8_t *seg = malloc(info->l4_len ? info->l4_len : 1);
	uint32_t doff = info->l4_hdr_len, i, changed = 0;
	uint16_t mss = (uint16_t)(536 + data[len - 1] * 4);
	int was_ok = l4_csum_ok(data, info);

	CHECK(seg != NULL);
	memcpy(seg, data + info->hdr_len, info->l4_len);
	if (mg_pkt_tcp_clamp_mss((struct rte_tcp_hdr *)seg, info->l4_len, mss)) {
		for (i = 0; i < info->l4_len; i++) {
			if (seg[i] == data[info->hdr_len + i] || i == 16 || i == 17)
				continue;
			CHECK(i >= 20 && i < doff);
			changed++;
		}
		CHECK(changed <= 2);
		memcpy(work, data, len);
		memcpy(work + info->hdr_len, seg, info->l4_len);
		CHECK(!was_ok || l4_csum_ok(work, info));
	}
	free(seg);
}

/* The inline fast path answers as the full parse does. */
static void
fuzz_ipv4_fast_path(const uint8_t *data, uint32_t len)
{
	struct mg_pkt_ipv4_info fast, full;
	enum mg_pkt_verdict v = mg_pkt_ipv4_parse_full(data, len, &full);

	CHECK(mg_pkt_ipv4_parse(data, len, &fast) == v);
	if (v != MG_PKT_VERDICT_OK)
		return;
	CHECK(fast.src_be == full.src_be && fast.dst_be == full.dst_be);
	CHECK(fast.hdr_len == full.hdr_len && fast.total_len == full.total_len);
	CHECK(fast.l4_len == full.l4_len && fast.frag_off == full.frag_off);
	CHECK(fast.proto == full.proto && fast.ttl == full.ttl && fast.tcp_flags == full.tcp_flags);
	CHECK(fast.icmp_type == full.icmp_type && fast.icmp_code == full.icmp_code);
	CHECK(fast.src_port == full.src_port && fast.dst_port == full.dst_port);
	CHECK(fast.l4_hdr_len == full.l4_hdr_len);
}

static void
fuzz_ipv4_rewrites(const uint8_t *data, uint32_t len)
{
	struct mg_pkt_ipv4_info info, again;

	fuzz_ipv4_fast_path(data, len);
	if (mg_pkt_ipv4_parse(data, len, &info) != MG_PKT_VERDICT_OK)
		return;
	if (info.proto == IPPROTO_TCP)
		fuzz_tcp_mss(data, len, &info);
	memcpy(work, data, len);
	if (mg_pkt_ipv4_dec_ttl((struct rte_ipv4_hdr *)work)) {
		CHECK(mg_pkt_ipv4_parse(work, len, &again) == MG_PKT_VERDICT_OK);
		CHECK(again.ttl == info.ttl - 1);
	}
	memcpy(work, data, len);
	if (mg_pkt_icmp_echo_to_reply(work, len)) {
		CHECK(mg_pkt_ipv4_parse(work, len, &again) == MG_PKT_VERDICT_OK);
		CHECK(again.icmp_type == MG_PKT_ICMP_ECHO_REPLY && again.src_be == info.dst_be);
		CHECK(rte_raw_cksum(work + 20, again.l4_len) == 0xffff);
	}
}

static void
fuzz_arp(const uint8_t *data, uint32_t len)
{
	static const struct rte_ether_addr mac = {{0x02, 0, 0, 0, 0, 1}};
	struct mg_pkt_arp_info info, back;
	enum mg_pkt_verdict v;

	if (mg_pkt_arp_parse(data, len, &info) != MG_PKT_VERDICT_OK)
		return;
	CHECK(mg_pkt_arp_build_reply(out, sizeof(out), &mac, info.tpa_be, &info) ==
	      MG_PKT_ARP_FRAME_LEN);
	/* The reply's sender is us; its target the requester. The parse may only object to a
	 * target address we chose to answer for, which the caller vets, so accept OK or BAD_SPA. */
	v = mg_pkt_arp_parse(out + 14, MG_PKT_ARP_FRAME_LEN - 14, &back);
	CHECK(v == MG_PKT_VERDICT_OK || v == MG_PKT_VERDICT_ARP_BAD_SPA);
	if (v == MG_PKT_VERDICT_OK)
		CHECK(back.op == 2 && back.tpa_be == info.spa_be && back.spa_be == info.tpa_be);
}

static void
fuzz_outer_and_icmp(const uint8_t *data, uint32_t len)
{
	struct mg_pkt_udp4_outer o;
	struct mg_pkt_ipv4_info info;
	uint32_t local = 0, n, cap;

	if (len >= 20)
		memcpy(&local, data + 16, 4);
	if (mg_pkt_udp4_outer_parse(data, len, local, &o) == MG_PKT_VERDICT_OK)
		CHECK(o.payload >= data && o.payload + o.payload_len <= data + len);

	cap = len ? 28u + data[0] * 3u : sizeof(out);
	n = mg_pkt_icmp_error(out, cap, 0x0100000a, data, len, 3, 4, 1420);
	if (n) {
		CHECK(n <= cap && n <= MG_PKT_ICMP_ERROR_MAX);
		CHECK(mg_pkt_ipv4_parse(out, n, &info) == MG_PKT_VERDICT_OK);
		CHECK(info.proto == IPPROTO_ICMP && rte_raw_cksum(out + 20, n - 20) == 0xffff);
		CHECK(memcmp(out + 28, data, n - 28) == 0);
	}
}

/* Wrap the input as a WireGuard payload and parse it back. */
static void
fuzz_encap(const uint8_t *data, uint32_t len)
{
	struct mg_pkt_udp4_outer o;
	uint32_t plen = len > MG_PKT_UDP4_MAX_PAYLOAD ? MG_PKT_UDP4_MAX_PAYLOAD : len;

	memcpy(work + MG_PKT_UDP4_HDR_LEN, data, plen);
	mg_pkt_udp4_encap(work, 0x0a6433c6, 0x016433c6, rte_cpu_to_be_16(40000),
			  rte_cpu_to_be_16(51820), (uint16_t)plen, (uint16_t)len);
	CHECK(mg_pkt_udp4_outer_parse(work, MG_PKT_UDP4_HDR_LEN + plen, 0x016433c6, &o) ==
	      MG_PKT_VERDICT_OK);
	CHECK(o.payload_len == plen && memcmp(o.payload, data, plen) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t len = size > FUZZ_MAX - MG_PKT_UDP4_HDR_LEN ? FUZZ_MAX - MG_PKT_UDP4_HDR_LEN
							     : (uint32_t)size;

	fuzz_ipv4_rewrites(data, len);
	fuzz_arp(data, len);
	fuzz_outer_and_icmp(data, len);
	fuzz_encap(data, len);
	return 0;
}
