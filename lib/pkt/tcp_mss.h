/* TCP MSS clamping for tunnelled traffic (the path MTU shrinks by the WireGuard overhead).
 *
 * On SYN segments the MSS option is lowered to the configured value, with the TCP checksum updated
 * incrementally; options are walked with bounds checks so malformed option lists are left alone.
 */
#ifndef MG_PKT_TCP_MSS_H
#define MG_PKT_TCP_MSS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_tcp.h>

/* tcp points at a TCP header with l4_len bytes of segment behind it (from mg_pkt_ipv4_parse).
 * When the segment has SYN set and an MSS option above mss, the option is set to mss and the
 * checksum fixed; returns true when it changed the segment. No option, an option at or below mss,
 * a non-SYN segment or a malformed option list: untouched, false. */
bool mg_pkt_tcp_clamp_mss(struct rte_tcp_hdr *tcp, uint32_t l4_len, uint16_t mss);

#endif /* MG_PKT_TCP_MSS_H */
