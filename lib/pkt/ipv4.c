/* IPv4 validation (RFC 791, RFC 1812 5.2.2): the full parse, behind ipv4.h's inline fast path
 * (the TTL decrement for forwarded packets is inline in ipv4.h too).
 *
 * Works on byte buffers that may be unaligned: header fields are read through DPDK's packed
 * structs or byte access, never through aligned casts.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "icmp.h"
#include "ipv4.h"

static enum mg_pkt_verdict
parse_tcp(const uint8_t *l4, struct mg_pkt_ipv4_info *info)
{
	uint16_t doff;

	if (info->l4_len < MG_PKT_TCP_HDR_MIN)
		return MG_PKT_VERDICT_BAD_L4_HDR;
	doff = (uint16_t)((l4[12] >> 4) * 4);
	if (doff < MG_PKT_TCP_HDR_MIN || doff > info->l4_len)
		return MG_PKT_VERDICT_BAD_TCP_DOFF;
	info->src_port = mg_pkt_rd16(l4);
	info->dst_port = mg_pkt_rd16(l4 + 2);
	info->tcp_flags = l4[13];
	info->l4_hdr_len = doff;
	return MG_PKT_VERDICT_OK;
}

static enum mg_pkt_verdict
parse_udp(const uint8_t *l4, struct mg_pkt_ipv4_info *info)
{
	uint16_t ulen;

	if (info->l4_len < MG_PKT_UDP_HDR_LEN)
		return MG_PKT_VERDICT_BAD_L4_HDR;
	/* Like Linux udp_rcv: the UDP length may be shorter than the IP payload, never longer. */
	ulen = mg_pkt_rd16(l4 + 4);
	if (ulen < MG_PKT_UDP_HDR_LEN || ulen > info->l4_len)
		return MG_PKT_VERDICT_BAD_UDP_LEN;
	info->src_port = mg_pkt_rd16(l4);
	info->dst_port = mg_pkt_rd16(l4 + 2);
	info->l4_hdr_len = MG_PKT_UDP_HDR_LEN;
	return MG_PKT_VERDICT_OK;
}

static enum mg_pkt_verdict
parse_icmp(const uint8_t *l4, struct mg_pkt_ipv4_info *info)
{
	if (info->l4_len < MG_PKT_ICMP_HDR_LEN)
		return MG_PKT_VERDICT_BAD_L4_HDR;
	info->icmp_type = l4[0];
	info->icmp_code = l4[1];
	info->l4_hdr_len = MG_PKT_ICMP_HDR_LEN;
	/* Echo request/reply: the identifier plays the port for NAT. */
	if (l4[0] == MG_PKT_ICMP_ECHO_REQUEST || l4[0] == MG_PKT_ICMP_ECHO_REPLY) {
		info->src_port = mg_pkt_rd16(l4 + 4);
		info->dst_port = info->src_port;
	}
	return MG_PKT_VERDICT_OK;
}

/* RFC 1071 verification: a correct header sums to 0xffff. A header without options (nearly every
 * packet) goes through the fast path's 20-byte sum (ipv4.h). */
static inline bool
hdr_sum_ok(const uint8_t *p, uint16_t hdr_len)
{
	uint64_t w0, w1;
	uint32_t w2;

	if (unlikely(hdr_len != MG_PKT_IPV4_HDR_MIN))
		return rte_raw_cksum(p, hdr_len) == 0xffff;
	memcpy(&w0, p, sizeof(w0));
	memcpy(&w1, p + 8, sizeof(w1));
	memcpy(&w2, p + 16, sizeof(w2));
	return mg_pkt_ipv4_sum20_ok(w0, w1, w2);
}

/* Version, lengths and checksum of the header itself; fills the L3 part of *info. */
static enum mg_pkt_verdict
parse_l3(const uint8_t *p, uint32_t len, struct mg_pkt_ipv4_info *info)
{
	uint16_t hdr_len, total;

	if (len < MG_PKT_IPV4_HDR_MIN)
		return MG_PKT_VERDICT_TRUNCATED;
	if ((p[0] >> 4) != 4)
		return MG_PKT_VERDICT_BAD_VERSION;
	hdr_len = (uint16_t)((p[0] & 0x0f) * 4);
	if (hdr_len < MG_PKT_IPV4_HDR_MIN)
		return MG_PKT_VERDICT_BAD_IHL;
	if (hdr_len > len)
		return MG_PKT_VERDICT_TRUNCATED;
	total = mg_pkt_rd16(p + 2);
	if (total < hdr_len || total > len)
		return MG_PKT_VERDICT_BAD_TOTAL_LEN;
	if (!hdr_sum_ok(p, hdr_len))
		return MG_PKT_VERDICT_BAD_HDR_CSUM;

	memcpy(&info->src_be, p + 12, 4);
	memcpy(&info->dst_be, p + 16, 4);
	info->hdr_len = hdr_len;
	info->total_len = total;
	info->l4_len = (uint16_t)(total - hdr_len);
	info->frag_off = mg_pkt_rd16(p + 6);
	info->ttl = p[8];
	info->proto = p[9];
	return MG_PKT_VERDICT_OK;
}

enum mg_pkt_verdict
mg_pkt_ipv4_parse_full(const uint8_t *p, uint32_t len, struct mg_pkt_ipv4_info *info)
{
	enum mg_pkt_verdict v;
	const uint8_t *l4;

	memset(info, 0, sizeof(*info));
	v = parse_l3(p, len, info);
	if (v != MG_PKT_VERDICT_OK)
		return v;
	if (info->frag_off & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return MG_PKT_VERDICT_FRAGMENT;

	l4 = p + info->hdr_len;
	switch (info->proto) {
	case IPPROTO_TCP:
		return parse_tcp(l4, info);
	case IPPROTO_UDP:
		return parse_udp(l4, info);
	case IPPROTO_ICMP:
		return parse_icmp(l4, info);
	default:
		return MG_PKT_VERDICT_UNSUPPORTED_PROTO;
	}
}
