/* IPv4 header validation and TTL handling for the data plane, on plain byte buffers.
 *
 * mg_pkt_ipv4_parse checks everything a gateway must before trusting an IPv4 packet (version,
 * header length, total length, header checksum, fragments, the minimal L4 header) and reports
 * where the L4 header sits; mg_pkt_ipv4_dec_ttl forwards a packet one hop with an RFC 1624 update.
 */
#ifndef MG_PKT_IPV4_H
#define MG_PKT_IPV4_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "csum.h"
#include "pkt_verdict.h"

enum mg_pkt_ipv4_sizes {
	MG_PKT_IPV4_HDR_MIN = 20,
	MG_PKT_IPV4_HDR_MAX = 60,
	MG_PKT_TCP_HDR_MIN = 20,
	MG_PKT_UDP_HDR_LEN = 8,
	MG_PKT_ICMP_HDR_LEN = 8,
};

/* What mg_pkt_ipv4_parse learnt. Addresses stay in network order (as in the packet); lengths,
 * ports and offsets are host order. Filled as far as parsing got: on FRAGMENT the L3 fields are
 * valid and the L4 fields are zero. */
struct mg_pkt_ipv4_info {
	uint32_t src_be;
	uint32_t dst_be;
	uint16_t hdr_len;    /* IHL * 4 = offset of the L4 header from p */
	uint16_t total_len;  /* from the header; bytes of p past it are link padding */
	uint16_t l4_len;     /* total_len - hdr_len */
	uint16_t frag_off;   /* flags + offset field, host order */
	uint8_t proto;       /* IPPROTO_* */
	uint8_t ttl;
	uint8_t tcp_flags;   /* TCP only (RTE_TCP_*_FLAG) */
	uint8_t icmp_type;   /* ICMP only */
	uint8_t icmp_code;   /* ICMP only */
	uint16_t src_port;   /* TCP/UDP ports; ICMP echo: identifier in both; else 0 */
	uint16_t dst_port;
	uint16_t l4_hdr_len; /* TCP: data offset * 4, UDP/ICMP: 8, other protocols: 0 */
};

/* Validate the IPv4 packet at p (len bytes available, L2 already stripped). Returns OK, FRAGMENT
 * (MF set or offset != 0: L3 fields of *info valid, L4 not looked at) or the reason for a drop.
 * Only TCP, UDP and ICMP are supported (the protocols NAT44 translates): they must carry their
 * minimal header (TCP data offset within 5..l4_len/4, UDP length within 8..l4_len); any other
 * protocol returns UNSUPPORTED_PROTO with the L3 fields of *info set. A header shorter than its
 * IHL says is TRUNCATED. The TTL is reported, not judged: forwarding calls mg_pkt_ipv4_dec_ttl,
 * whose false return the caller counts as TTL_EXPIRED.
 *
 * mg_pkt_ipv4_parse_full does all of it for any input. mg_pkt_ipv4_parse (below, inline) is what
 * the data path calls twice per packet: a header without options, unfragmented, with a good
 * checksum and a complete TCP, UDP or ICMP header is checked from a few loads of the header and
 * filled in one go; anything else goes to mg_pkt_ipv4_parse_full. Both give the same answer for
 * every input (tests/unit/pkt and the fuzz harness compare them). */
enum mg_pkt_verdict mg_pkt_ipv4_parse_full(const uint8_t *p, uint32_t len,
					   struct mg_pkt_ipv4_info *info);

static inline uint16_t
mg_pkt_rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_16(v);
}

/* RFC 1071 over a 20-byte header given as two 64-bit words and one 32-bit word, in any byte
 * order (the folded sum of a correct header is 0xffff either way): ones' complement adds, each
 * carry wrapped around at once, then folded to 16 bits. */
static inline uint64_t
mg_pkt_csum_add64(uint64_t a, uint64_t b)
{
	uint64_t s = a + b;

	return s + (s < b);
}

static inline bool
mg_pkt_ipv4_sum20_ok(uint64_t w0, uint64_t w1, uint32_t w2)
{
	uint64_t s = mg_pkt_csum_add64(mg_pkt_csum_add64(w0, w1), w2);
	uint32_t t = (uint32_t)s, h = (uint32_t)(s >> 32);

	t += h;
	t += t < h;
	t = (t & 0xffff) + (t >> 16);
	t = (t & 0xffff) + (t >> 16);
	return t == 0xffff;
}

static __rte_always_inline enum mg_pkt_verdict
mg_pkt_ipv4_parse(const uint8_t *p, uint32_t len, struct mg_pkt_ipv4_info *info)
{
	const uint8_t *l4 = p + MG_PKT_IPV4_HDR_MIN;
	uint16_t total, l4_len, sport, dport, l4_hdr_len;
	uint8_t tcp_flags = 0, icmp_type = 0, icmp_code = 0;
	uint32_t src_be, dst_be;
	uint64_t w0, w1;

	if (unlikely(len < MG_PKT_IPV4_HDR_MIN || p[0] != 0x45))
		return mg_pkt_ipv4_parse_full(p, len, info);
	memcpy(&w0, p, sizeof(w0));
	memcpy(&w1, p + 8, sizeof(w1));
	memcpy(&src_be, p + 12, sizeof(src_be));
	memcpy(&dst_be, p + 16, sizeof(dst_be));
	total = mg_pkt_rd16(p + 2);
	if (unlikely(total < MG_PKT_IPV4_HDR_MIN || total > len ||
		     (mg_pkt_rd16(p + 6) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) ||
		     !mg_pkt_ipv4_sum20_ok(w0, w1, dst_be)))
		return mg_pkt_ipv4_parse_full(p, len, info);
	l4_len = (uint16_t)(total - MG_PKT_IPV4_HDR_MIN);
	switch (p[9]) {
	case IPPROTO_UDP: {
		uint16_t ulen;

		if (unlikely(l4_len < MG_PKT_UDP_HDR_LEN))
			return mg_pkt_ipv4_parse_full(p, len, info);
		ulen = mg_pkt_rd16(l4 + 4);
		if (unlikely(ulen < MG_PKT_UDP_HDR_LEN || ulen > l4_len))
			return mg_pkt_ipv4_parse_full(p, len, info);
		sport = mg_pkt_rd16(l4);
		dport = mg_pkt_rd16(l4 + 2);
		l4_hdr_len = MG_PKT_UDP_HDR_LEN;
		break;
	}
	case IPPROTO_TCP:
		if (unlikely(l4_len < MG_PKT_TCP_HDR_MIN))
			return mg_pkt_ipv4_parse_full(p, len, info);
		l4_hdr_len = (uint16_t)((l4[12] >> 4) * 4);
		if (unlikely(l4_hdr_len < MG_PKT_TCP_HDR_MIN || l4_hdr_len > l4_len))
			return mg_pkt_ipv4_parse_full(p, len, info);
		sport = mg_pkt_rd16(l4);
		dport = mg_pkt_rd16(l4 + 2);
		tcp_flags = l4[13];
		break;
	case IPPROTO_ICMP:
		if (unlikely(l4_len < MG_PKT_ICMP_HDR_LEN))
			return mg_pkt_ipv4_parse_full(p, len, info);
		icmp_type = l4[0];
		icmp_code = l4[1];
		l4_hdr_len = MG_PKT_ICMP_HDR_LEN;
		/* Echo request/reply: the identifier plays the port for NAT. */
		sport = dport = icmp_type == RTE_IP_ICMP_ECHO_REQUEST ||
				icmp_type == RTE_IP_ICMP_ECHO_REPLY ? mg_pkt_rd16(l4 + 4) : 0;
		break;
	default:
		return mg_pkt_ipv4_parse_full(p, len, info);
	}
	*info = (struct mg_pkt_ipv4_info){
		.src_be = src_be, .dst_be = dst_be,
		.hdr_len = MG_PKT_IPV4_HDR_MIN, .total_len = total, .l4_len = l4_len,
		.frag_off = mg_pkt_rd16(p + 6),
		.proto = p[9], .ttl = p[8], .tcp_flags = tcp_flags,
		.icmp_type = icmp_type, .icmp_code = icmp_code,
		.src_port = sport, .dst_port = dport, .l4_hdr_len = l4_hdr_len,
	};
	return MG_PKT_VERDICT_OK;
}

/* Decrement the TTL of a validated header, updating the checksum incrementally (RFC 1624).
 * Returns false and leaves the header untouched when TTL <= 1: the caller drops the packet and
 * answers ICMP time exceeded (mg_pkt_icmp_error, type 11 code 0).
 *
 * The TTL is the high byte of its 16-bit checksum word (network order), so the word drops by
 * 0x0100 and its RFC 1624 delta, ~m + m', is always 0xfeff: nothing to compute per packet. */
static inline bool
mg_pkt_ipv4_dec_ttl(struct rte_ipv4_hdr *ip)
{
	if (ip->time_to_live <= 1)
		return false;
	ip->time_to_live--;
	ip->hdr_checksum = mg_csum_apply(ip->hdr_checksum, rte_cpu_to_be_16(0xfeff));
	return true;
}

/* True when addr_be (network order) can be the source of a packet we answer or forward: not in
 * 0/8 ("this network"), 127/8 (loopback), 224/4 (multicast) or 240/4 (reserved, broadcast). */
static inline bool
mg_pkt_ipv4_unicast_src(uint32_t addr_be)
{
	uint8_t first = ((const uint8_t *)&addr_be)[0];

	return first != 0 && first != 127 && first < 224;
}

#endif /* MG_PKT_IPV4_H */
