/* Verdicts of the packet parsers in lib/pkt: one X-macro list gives the enum and the strings.
 *
 * Every parser returns MG_PKT_VERDICT_OK or the reason it rejected the bytes; the data path counts
 * drops per reason in an array indexed by this enum (MG_PKT_VERDICT_COUNT entries), never logs.
 */
#ifndef MG_PKT_VERDICT_H
#define MG_PKT_VERDICT_H

/* X(name, description): keep OK first; append new reasons at the end of a theme. */
#define MG_PKT_VERDICT_LIST(X)                                                   \
	X(OK, "ok")                                                              \
	/* IPv4 header */                                                        \
	X(TRUNCATED, "truncated packet")                                         \
	X(BAD_VERSION, "IP version is not 4")                                    \
	X(BAD_IHL, "IPv4 header length below 20 bytes")                         \
	X(BAD_TOTAL_LEN, "IPv4 total length inconsistent with the buffer")      \
	X(BAD_HDR_CSUM, "bad IPv4 header checksum")                             \
	X(FRAGMENT, "IPv4 fragment")                                             \
	X(TTL_EXPIRED, "TTL expired in transit")                                 \
	X(BAD_SRC_ADDR, "source address not a unicast host")                     \
	/* L4 headers */                                                         \
	X(UNSUPPORTED_PROTO, "unsupported IP protocol")                          \
	X(BAD_L4_HDR, "L4 header truncated")                                     \
	X(BAD_TCP_DOFF, "bad TCP data offset")                                   \
	X(BAD_UDP_LEN, "UDP length field inconsistent with the IP payload")     \
	X(BAD_PORT, "zero UDP/TCP port")                                         \
	/* outer (mesh-side) UDP */                                              \
	X(NOT_TO_US, "destination is not this gateway")                          \
	X(NOT_UDP, "not UDP")                                                    \
	/* ARP */                                                                \
	X(ARP_BAD_HW, "ARP hardware type or length is not Ethernet")             \
	X(ARP_BAD_PROTO, "ARP protocol type or length is not IPv4")              \
	X(ARP_BAD_OP, "ARP operation is neither request nor reply")              \
	X(ARP_BAD_SHA, "ARP sender hardware address is not unicast")             \
	X(ARP_BAD_SPA, "ARP sender protocol address is not unicast")

enum mg_pkt_verdict {
#define MG_PKT_VERDICT_ENUM(name, str) MG_PKT_VERDICT_##name,
	MG_PKT_VERDICT_LIST(MG_PKT_VERDICT_ENUM)
#undef MG_PKT_VERDICT_ENUM
	MG_PKT_VERDICT_COUNT
};

/* Human-readable reason ("unknown verdict" when out of range); static storage, never NULL. */
const char *mg_pkt_verdict_str(enum mg_pkt_verdict v);

/* The enum suffix of the reason, e.g. "BAD_HDR_CSUM", for telemetry keys ("UNKNOWN" if out of
 * range). */
const char *mg_pkt_verdict_name(enum mg_pkt_verdict v);

#endif /* MG_PKT_VERDICT_H */
