/* ARP over Ethernet for IPv4 (RFC 826): parse received messages, build replies, requests and
 * gratuitous announcements (RFC 5227 section 3).
 *
 * Buffers may be unaligned, so headers are assembled in local structs and copied with memcpy.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>

#include "arp.h"
#include "ipv4.h"

enum arp_layout {
	ETH_HDR = 14,
	ARP_HLEN_ETHER = 6,
	ARP_PLEN_IPV4 = 4,
};

enum mg_pkt_verdict
mg_pkt_arp_parse(const uint8_t *p, uint32_t len, struct mg_pkt_arp_info *info)
{
	struct rte_arp_hdr a;
	uint16_t op;

	memset(info, 0, sizeof(*info));
	if (len < MG_PKT_ARP_LEN)
		return MG_PKT_VERDICT_TRUNCATED;
	memcpy(&a, p, sizeof(a));
	if (a.arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) || a.arp_hlen != ARP_HLEN_ETHER)
		return MG_PKT_VERDICT_ARP_BAD_HW;
	if (a.arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || a.arp_plen != ARP_PLEN_IPV4)
		return MG_PKT_VERDICT_ARP_BAD_PROTO;
	op = rte_be_to_cpu_16(a.arp_opcode);
	if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY)
		return MG_PKT_VERDICT_ARP_BAD_OP;
	if (!rte_is_valid_assigned_ether_addr(&a.arp_data.arp_sha))
		return MG_PKT_VERDICT_ARP_BAD_SHA; /* multicast, broadcast or zero */
	/* 0.0.0.0 is an RFC 5227 probe; anything else must be a unicast host. */
	if (a.arp_data.arp_sip != 0 && !mg_pkt_ipv4_unicast_src(a.arp_data.arp_sip))
		return MG_PKT_VERDICT_ARP_BAD_SPA;

	info->op = op;
	info->sha = a.arp_data.arp_sha;
	info->tha = a.arp_data.arp_tha;
	info->spa_be = a.arp_data.arp_sip;
	info->tpa_be = a.arp_data.arp_tip;
	return MG_PKT_VERDICT_OK;
}

/* Ethernet header + ARP message, zero padding up to the 60-byte Ethernet minimum. */
static uint32_t
build_frame(uint8_t *out, uint32_t cap, const struct rte_ether_addr *eth_dst, uint16_t op,
	    const struct rte_ether_addr *sha, uint32_t spa_be, const struct rte_ether_addr *tha,
	    uint32_t tpa_be)
{
	struct rte_ether_hdr eth;
	struct rte_arp_hdr a;

	if (cap < MG_PKT_ARP_FRAME_LEN)
		return 0;
	eth.dst_addr = *eth_dst;
	eth.src_addr = *sha;
	eth.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	a.arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a.arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a.arp_hlen = ARP_HLEN_ETHER;
	a.arp_plen = ARP_PLEN_IPV4;
	a.arp_opcode = rte_cpu_to_be_16(op);
	a.arp_data.arp_sha = *sha;
	a.arp_data.arp_sip = spa_be;
	a.arp_data.arp_tha = *tha;
	a.arp_data.arp_tip = tpa_be;

	memset(out, 0, MG_PKT_ARP_FRAME_LEN);
	memcpy(out, &eth, ETH_HDR);
	memcpy(out + ETH_HDR, &a, MG_PKT_ARP_LEN);
	return MG_PKT_ARP_FRAME_LEN;
}

uint32_t
mg_pkt_arp_build_reply(uint8_t *out, uint32_t cap, const struct rte_ether_addr *our_mac,
		       uint32_t our_ip_be, const struct mg_pkt_arp_info *req)
{
	return build_frame(out, cap, &req->sha, RTE_ARP_OP_REPLY, our_mac, our_ip_be, &req->sha,
			   req->spa_be);
}

uint32_t
mg_pkt_arp_build_request(uint8_t *out, uint32_t cap, const struct rte_ether_addr *our_mac,
			 uint32_t our_ip_be, uint32_t target_ip_be)
{
	static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	static const struct rte_ether_addr zero;

	/* RFC 826 leaves the target MAC of a request unspecified; zero, as Linux sends. */
	return build_frame(out, cap, &bcast, RTE_ARP_OP_REQUEST, our_mac, our_ip_be, &zero,
			   target_ip_be);
}

uint32_t
mg_pkt_arp_build_gratuitous(uint8_t *out, uint32_t cap, const struct rte_ether_addr *our_mac,
			    uint32_t our_ip_be)
{
	return mg_pkt_arp_build_request(out, cap, our_mac, our_ip_be, our_ip_be);
}
