/* Helpers shared by the lib/pkt unit suites: a reference Internet checksum and packet writers.
 *
 * The checksum here is written from RFC 1071 byte by byte (big-endian 16-bit words), on purpose
 * independent of DPDK's rte_raw_cksum and of csum.h, so the suites check the library against it.
 */
#ifndef MG_PKT_TEST_UTIL_H
#define MG_PKT_TEST_UTIL_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mg_cunit.h"

/* One's complement sum of big-endian words, folded, NOT complemented (RFC 1071 4.1). */
static inline uint32_t
ref_sum(const uint8_t *b, uint32_t len, uint32_t sum)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The checksum to put in a header (host-order value of the two wire bytes). */
static inline uint16_t
ref_csum(const uint8_t *b, uint32_t len)
{
	return (uint16_t)~ref_sum(b, len, 0);
}

static inline uint16_t
rd16be(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
wr16be(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t
ip4(const char *s)
{
	struct in_addr a;

	CU_ASSERT_FATAL(inet_pton(AF_INET, s, &a) == 1);
	return a.s_addr; /* network order */
}

/* Recompute the IPv4 header checksum (bytes 10-11) over ihl*4 bytes. */
static inline void
ref_fix_ip_csum(uint8_t *ip)
{
	uint32_t hl = (uint32_t)(ip[0] & 0x0f) * 4;

	ip[10] = ip[11] = 0;
	wr16be(ip + 10, ref_csum(ip, hl));
}

/* True when the IPv4 header checksum verifies. */
static inline int
ref_ip_csum_ok(const uint8_t *ip)
{
	return ref_sum(ip, (uint32_t)(ip[0] & 0x0f) * 4, 0) == 0xffff;
}

/* Sum of the TCP/UDP pseudo header of the IPv4 packet at ip, for l4_len bytes of L4. */
static inline uint32_t
ref_pseudo(const uint8_t *ip, uint32_t l4_len)
{
	uint8_t ph[12];

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = ip[9];
	wr16be(ph + 10, (uint16_t)l4_len);
	return ref_sum(ph, 12, 0);
}

/* Set the TCP (off 16) or UDP (off 6) checksum of the L4 part at ip + hl, l4_len bytes long. */
static inline void
ref_fix_l4_csum(uint8_t *ip, uint32_t l4_len, uint32_t csum_off)
{
	uint8_t *l4 = ip + (ip[0] & 0x0f) * 4;

	l4[csum_off] = l4[csum_off + 1] = 0;
	wr16be(l4 + csum_off, (uint16_t)~ref_sum(l4, l4_len, ref_pseudo(ip, l4_len)));
}

static inline int
ref_l4_csum_ok(const uint8_t *ip, uint32_t l4_len)
{
	const uint8_t *l4 = ip + (ip[0] & 0x0f) * 4;

	return ref_sum(l4, l4_len, ref_pseudo(ip, l4_len)) == 0xffff;
}

/* Write an IPv4 header without options: total length, protocol, TTL 64, addresses; checksum set.
 * The caller writes the L4 bytes at ip + 20 and calls ref_fix_ip_csum again if it edits fields. */
static inline void
put_ipv4(uint8_t *ip, uint16_t total, uint8_t proto, const char *src, const char *dst)
{
	uint32_t s = ip4(src), d = ip4(dst);

	memset(ip, 0, 20);
	ip[0] = 0x45;
	wr16be(ip + 2, total);
	wr16be(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	ref_fix_ip_csum(ip);
}

#endif /* MG_PKT_TEST_UTIL_H */
