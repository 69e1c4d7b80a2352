/* ARP for IPv4 over Ethernet (RFC 826, RFC 5227 announcements): parse and build.
 *
 * The control lcore resolves next hops and answers for the gateway's addresses with these; the
 * parser takes the ARP payload (Ethernet header already stripped), the builders write whole frames.
 */
#ifndef MG_PKT_ARP_H
#define MG_PKT_ARP_H

#include <stdint.h>

#include <rte_ether.h>

#include "pkt_verdict.h"

enum mg_pkt_arp_sizes {
	MG_PKT_ARP_LEN = 28,       /* Ethernet/IPv4 ARP payload */
	MG_PKT_ARP_FRAME_LEN = 60, /* Ethernet header + ARP, zero-padded to the Ethernet minimum */
};

/* A parsed Ethernet/IPv4 ARP message; addresses in network order as on the wire. */
struct mg_pkt_arp_info {
	uint16_t op; /* RTE_ARP_OP_REQUEST or RTE_ARP_OP_REPLY (host order) */
	struct rte_ether_addr sha;
	struct rte_ether_addr tha;
	uint32_t spa_be;
	uint32_t tpa_be;
};

/* Parse the ARP payload at p (len bytes). Ethernet/IPv4 only, request or reply; the sender MAC
 * must be unicast and not zero, the sender IP not multicast/broadcast/loopback (0.0.0.0 is allowed:
 * RFC 5227 probes). Returns OK or the reason. */
enum mg_pkt_verdict mg_pkt_arp_parse(const uint8_t *p, uint32_t len, struct mg_pkt_arp_info *info);

/* Write an Ethernet frame answering request `req` for our_ip_be with our_mac, sent to the
 * requester's MAC. Returns MG_PKT_ARP_FRAME_LEN, or 0 when cap is smaller. */
uint32_t mg_pkt_arp_build_reply(uint8_t *out, uint32_t cap, const struct rte_ether_addr *our_mac,
				uint32_t our_ip_be, const struct mg_pkt_arp_info *req);

/* Write a broadcast who-has target_ip_be request from our_mac/our_ip_be. Returns
 * MG_PKT_ARP_FRAME_LEN, or 0 when cap is smaller. */
uint32_t mg_pkt_arp_build_request(uint8_t *out, uint32_t cap, const struct rte_ether_addr *our_mac,
				  uint32_t our_ip_be, uint32_t target_ip_be);

/* Write a gratuitous ARP (RFC 5227 announcement: broadcast request, sender = target = our_ip_be,
 * target MAC zero). Returns MG_PKT_ARP_FRAME_LEN, or 0 when cap is smaller. */
uint32_t mg_pkt_arp_build_gratuitous(uint8_t *out, uint32_t cap,
				     const struct rte_ether_addr *our_mac, uint32_t our_ip_be);

#endif /* MG_PKT_ARP_H */
