/* ICMP messages the gateway originates: errors (RFC 792, RFC 1812 4.3.2) and echo replies.
 *
 * Builders write into a caller buffer and refuse the cases RFC 1812 forbids answering (errors
 * about errors, non-first fragments, broadcast/multicast destinations, invalid sources).
 */
#ifndef MG_PKT_ICMP_H
#define MG_PKT_ICMP_H

#include <stdbool.h>
#include <stdint.h>

enum mg_pkt_icmp_type {
	MG_PKT_ICMP_ECHO_REPLY = 0,
	MG_PKT_ICMP_DEST_UNREACH = 3,
	MG_PKT_ICMP_SOURCE_QUENCH = 4,
	MG_PKT_ICMP_REDIRECT = 5,
	MG_PKT_ICMP_ECHO_REQUEST = 8,
	MG_PKT_ICMP_TIME_EXCEEDED = 11,
	MG_PKT_ICMP_PARAM_PROBLEM = 12,
};

enum mg_pkt_icmp_unreach_code {
	MG_PKT_ICMP_NET_UNREACH = 0,
	MG_PKT_ICMP_HOST_UNREACH = 1,
	MG_PKT_ICMP_PROTO_UNREACH = 2,
	MG_PKT_ICMP_PORT_UNREACH = 3,
	MG_PKT_ICMP_FRAG_NEEDED = 4,
	MG_PKT_ICMP_NET_PROHIBITED = 9,
	MG_PKT_ICMP_HOST_PROHIBITED = 10,
	MG_PKT_ICMP_ADMIN_PROHIBITED = 13,
};

enum mg_pkt_icmp_time_code {
	MG_PKT_ICMP_TTL_EXCEEDED = 0,
	MG_PKT_ICMP_REASSEMBLY_EXCEEDED = 1,
};

enum mg_pkt_icmp_sizes {
	MG_PKT_ICMP_ERROR_MAX = 576,     /* RFC 1812 4.3.2.3: whole error datagram */
	MG_PKT_ICMP_ERROR_MIN_QUOTE = 8, /* offending header + at least 8 bytes (RFC 792) */
	MG_PKT_ICMP_ERROR_TTL = 64,
};

/* Build an IPv4 + ICMP error from src_ip_be to the source of `offending` (an IPv4 packet starting
 * at its header, offending_len bytes available) into out (cap bytes). The quote holds the
 * offending header and as much of its payload as fits in 576 bytes total and in cap; next_hop_mtu
 * (host order) goes into type 3 code 4 messages (RFC 1191), ignored otherwise. TTL 64, IP and ICMP
 * checksums set. Returns the length written, or 0 when the offending packet must not be answered
 * (malformed header, ICMP error itself, fragment other than the first, broadcast or multicast
 * destination, source in 0/8, 127/8 or 224/4+) or cap is below header + 8 bytes of quote. */
uint32_t mg_pkt_icmp_error(uint8_t *out, uint32_t cap, uint32_t src_ip_be, const uint8_t *offending,
			   uint32_t offending_len, uint8_t type, uint8_t code, uint16_t next_hop_mtu);

/* Turn the echo request at ip (len bytes, a packet mg_pkt_ipv4_parse accepted) into an echo reply
 * in place: addresses swapped, TTL 64, type 0, IP checksum recomputed, ICMP checksum updated.
 * Returns false (packet untouched) when it is not an echo request with a valid ICMP checksum, has
 * IP options, or comes from a source that must not be answered. */
bool mg_pkt_icmp_echo_to_reply(uint8_t *ip, uint32_t len);

#endif /* MG_PKT_ICMP_H */
