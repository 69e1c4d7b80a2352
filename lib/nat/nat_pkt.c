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

/* Fill l4 for ip; ERR_TRUNCATED when the fixed L4 header is not within len. */
enum mg_nat_result
nat_l4_parse(struct rte_ipv4_hdr *ip, uint32_t len, bool outbound, struct nat_l4 *l4)
{
	const rte_be16_t frag = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK);
	uint32_t ihl = nat_ihl(ip), need;

	if (unlikely(ip->fragment_offset & frag))
		return MG_NAT_ERR_FRAGMENT;
	if (unlikely(ihl < sizeof(*ip) || ihl > len))
		return MG_NAT_ERR_TRUNCATED;
	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		need = sizeof(struct rte_tcp_hdr);
		break;
	case IPPROTO_UDP:
		need = sizeof(struct rte_udp_hdr);
		break;
	case IPPROTO_ICMP:
		need = sizeof(struct rte_icmp_hdr);
		break;
	default:
		return MG_NAT_ERR_UNSUPPORTED;
	}
	if (unlikely(len - ihl < need))
		return MG_NAT_ERR_TRUNCATED;
	nat_l4_point(ip, ihl, outbound, l4);
	return MG_NAT_OK;
}
