/* Outer IPv4/UDP header of WireGuard traffic: written in front of each encrypted message on the
 * way out, validated on the way in (mesh side, Ethernet already stripped).
 *
 * The outer header never carries options; inbound ones are accepted as mg_pkt_ipv4_parse allows.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "encap.h"
#include "ipv4.h"

void
mg_pkt_udp4_encap(uint8_t *hdr, uint32_t src_be, uint32_t dst_be, uint16_t sport_be,
		  uint16_t dport_be, uint16_t payload_len, uint16_t ip_id)
{
	struct rte_ipv4_hdr ip = {
		.version_ihl = RTE_IPV4_VHL_DEF,
		.total_length = rte_cpu_to_be_16((uint16_t)(MG_PKT_UDP4_HDR_LEN + payload_len)),
		.packet_id = rte_cpu_to_be_16(ip_id),
		.fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG),
		.time_to_live = MG_PKT_UDP4_TTL,
		.next_proto_id = IPPROTO_UDP,
		.src_addr = src_be,
		.dst_addr = dst_be,
	};
	struct rte_udp_hdr udp = {
		.src_port = sport_be,
		.dst_port = dport_be,
		.dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(udp) + payload_len)),
		.dgram_cksum = 0, /* optional over IPv4 (RFC 768); WireGuard authenticates */
	};

	ip.hdr_checksum = rte_ipv4_cksum(&ip);
	memcpy(hdr, &ip, sizeof(ip));
	memcpy(hdr + sizeof(ip), &udp, sizeof(udp));
}

enum mg_pkt_verdict
mg_pkt_udp4_outer_parse(const uint8_t *p, uint32_t len, uint32_t local_be,
			struct mg_pkt_udp4_outer *out)
{
	struct mg_pkt_ipv4_info info;
	enum mg_pkt_verdict v;
	uint16_t ulen;

	memset(out, 0, sizeof(*out));
	v = mg_pkt_ipv4_parse(p, len, &info);
	if (v == MG_PKT_VERDICT_UNSUPPORTED_PROTO)
		return MG_PKT_VERDICT_NOT_UDP;
	if (v != MG_PKT_VERDICT_OK)
		return v;
	if (info.dst_be != local_be)
		return MG_PKT_VERDICT_NOT_TO_US;
	if (info.proto != IPPROTO_UDP)
		return MG_PKT_VERDICT_NOT_UDP;
	if (!mg_pkt_ipv4_unicast_src(info.src_be))
		return MG_PKT_VERDICT_BAD_SRC_ADDR;
	if (info.src_port == 0 || info.dst_port == 0)
		return MG_PKT_VERDICT_BAD_PORT;

	ulen = (uint16_t)(p[info.hdr_len + 4] << 8 | p[info.hdr_len + 5]);
	out->src_be = info.src_be;
	out->sport_be = rte_cpu_to_be_16(info.src_port);
	out->dport_be = rte_cpu_to_be_16(info.dst_port);
	out->payload = p + info.hdr_len + MG_PKT_UDP_HDR_LEN;
	out->payload_len = (uint32_t)ulen - MG_PKT_UDP_HDR_LEN;
	return MG_PKT_VERDICT_OK;
}
