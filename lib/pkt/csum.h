/* Internet checksum helpers for rewriting headers in place (RFC 1071, incremental per RFC 1624).
 *
 * Full checksums come from DPDK's rte_ip.h; these cover the in-place updates NAT, TTL decrement
 * and MSS clamping need. All values are in network byte order as they sit in the packet.
 */
#ifndef MG_PKT_CSUM_H
#define MG_PKT_CSUM_H

#include <stdint.h>

/* Update checksum *sum (network order) for a 16-bit field changing from old to new. */
static inline void
mg_csum_replace16(uint16_t *sum, uint16_t old_v, uint16_t new_v)
{
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') */
	uint32_t s = (uint16_t)~*sum;
	s += (uint16_t)~old_v;
	s += new_v;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	*sum = (uint16_t)~s;
}

/* Same for a 32-bit field (an IPv4 address), given in network order. */
static inline void
mg_csum_replace32(uint16_t *sum, uint32_t old_v, uint32_t new_v)
{
	mg_csum_replace16(sum, (uint16_t)(old_v >> 16), (uint16_t)(new_v >> 16));
	mg_csum_replace16(sum, (uint16_t)old_v, (uint16_t)new_v);
}

#endif /* MG_PKT_CSUM_H */
