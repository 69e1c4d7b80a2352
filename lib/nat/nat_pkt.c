/* Packet side of NAT44: parse the L4 header a translation needs (the rewrite itself is inline,
 * nat_rewrite in nat_internal.h).
 *
 * Looks at no table and no time; the caller decides what to rewrite.
 */
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "nat_internal.h"

static enum mg_nat_result
parse_ports(bool outbound, struct nat_l4 *l4, uint16_t *src, uint16_t *dst)
{
	l4->own = outbound ? src : dst;
	l4->remote = outbound ? *dst : *src;
	return MG_NAT_OK;
}

/* Fill l4 for ip; ERR_TRUNCATED when the fixed L4 header is not within len. */
enum mg_nat_result
nat_l4_parse(struct rte_ipv4_hdr *ip, uint32_t len, bool outbound, struct nat_l4 *l4)
{
	const rte_be16_t frag = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK);
	uint32_t ihl = nat_ihl(ip);
	uint8_t *p = (uint8_t *)ip + ihl;

	if (unlikely(ip->fragment_offset & frag))
		return MG_NAT_ERR_FRAGMENT;
	if (unlikely(ihl < sizeof(*ip) || ihl > len))
		return MG_NAT_ERR_TRUNCATED;
	l4->proto = ip->next_proto_id;
	switch (l4->proto) {
	case IPPROTO_TCP: {
		struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)p;

		if (unlikely(len - ihl < sizeof(*tcp)))
			return MG_NAT_ERR_TRUNCATED;
		l4->tcp_flags = tcp->tcp_flags;
		l4->csum = &tcp->cksum;
		return parse_ports(outbound, l4, &tcp->src_port, &tcp->dst_port);
	}
	case IPPROTO_UDP: {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)p;

		if (unlikely(len - ihl < sizeof(*udp)))
			return MG_NAT_ERR_TRUNCATED;
		l4->csum = &udp->dgram_cksum;
		return parse_ports(outbound, l4, &udp->src_port, &udp->dst_port);
	}
	case IPPROTO_ICMP: {
		struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)p;

		if (unlikely(len - ihl < sizeof(*icmp)))
			return MG_NAT_ERR_TRUNCATED;
		l4->icmp_type = icmp->icmp_type;
		l4->csum = &icmp->icmp_cksum;
		l4->own = &icmp->icmp_ident; /* the identifier is the port, on our side both ways */
		l4->remote = 0;
		return MG_NAT_OK;
	}
	default:
		return MG_NAT_ERR_UNSUPPORTED;
	}
}
