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

#include <rte_ip.h>

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
 * whose false return the caller counts as TTL_EXPIRED. */
enum mg_pkt_verdict mg_pkt_ipv4_parse(const uint8_t *p, uint32_t len,
				      struct mg_pkt_ipv4_info *info);

/* Decrement the TTL of a validated header, updating the checksum incrementally (RFC 1624).
 * Returns false and leaves the header untouched when TTL <= 1: the caller drops the packet and
 * answers ICMP time exceeded (mg_pkt_icmp_error, type 11 code 0). */
bool mg_pkt_ipv4_dec_ttl(struct rte_ipv4_hdr *ip);

/* True when addr_be (network order) can be the source of a packet we answer or forward: not in
 * 0/8 ("this network"), 127/8 (loopback), 224/4 (multicast) or 240/4 (reserved, broadcast). */
static inline bool
mg_pkt_ipv4_unicast_src(uint32_t addr_be)
{
	uint8_t first = ((const uint8_t *)&addr_be)[0];

	return first != 0 && first != 127 && first < 224;
}

#endif /* MG_PKT_IPV4_H */
