/* The outer IPv4/UDP layer that carries WireGuard messages between clients, meshes and us.
 *
 * mg_pkt_udp4_encap writes the 28-byte outer header in front of an encrypted payload;
 * mg_pkt_udp4_outer_parse validates a received datagram addressed to us and finds the payload.
 */
#ifndef MG_PKT_ENCAP_H
#define MG_PKT_ENCAP_H

#include <stdint.h>

#include "pkt_verdict.h"

enum mg_pkt_encap_sizes {
	MG_PKT_UDP4_HDR_LEN = 28, /* IPv4 without options + UDP */
	MG_PKT_UDP4_MAX_PAYLOAD = 65535 - 28,
	MG_PKT_UDP4_TTL = 64,
};

/* Write IPv4 (TTL 64, DF set, no options, checksum set) + UDP (checksum 0, legal over IPv4 and
 * the payload is authenticated by WireGuard) into hdr[0..27]; the payload_len bytes of payload
 * follow at hdr + 28. Addresses and ports are network order, ip_id host order.
 * payload_len must not exceed MG_PKT_UDP4_MAX_PAYLOAD. */
void mg_pkt_udp4_encap(uint8_t *hdr, uint32_t src_be, uint32_t dst_be, uint16_t sport_be,
		       uint16_t dport_be, uint16_t payload_len, uint16_t ip_id);

/* A datagram to us, as mg_pkt_udp4_outer_parse found it. */
struct mg_pkt_udp4_outer {
	uint32_t src_be;        /* remote endpoint address (network order) */
	uint16_t sport_be;      /* remote endpoint port (network order) */
	uint16_t dport_be;      /* our port it was sent to (network order) */
	const uint8_t *payload; /* points into the parsed buffer */
	uint32_t payload_len;   /* from the UDP length field */
};

/* Parse the IPv4/UDP datagram at p (len bytes, Ethernet stripped) that must be addressed to
 * local_be. Returns OK, or: the mg_pkt_ipv4_parse verdicts (FRAGMENT included: WireGuard never
 * needs reassembly here), NOT_TO_US, NOT_UDP, BAD_SRC_ADDR (source 0/8, 127/8, 224/4+), BAD_PORT
 * (either port 0), BAD_UDP_LEN. The UDP checksum is not verified: WireGuard authenticates. */
enum mg_pkt_verdict mg_pkt_udp4_outer_parse(const uint8_t *p, uint32_t len, uint32_t local_be,
					    struct mg_pkt_udp4_outer *out);

#endif /* MG_PKT_ENCAP_H */
