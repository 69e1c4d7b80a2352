/* Internet checksum helpers for rewriting headers in place (RFC 1071, incremental per RFC 1624).
 *
 * Full checksums come from DPDK's rte_ip.h; these cover the in-place updates NAT, TTL decrement
 * and MSS clamping need. All values are in network byte order as they sit in the packet.
 */
#ifndef MG_PKT_CSUM_H
#define MG_PKT_CSUM_H

#include <stdint.h>

/* RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), split in two so that several fields changing in one
 * header cost one fold: the sum of ~m + m' over the changed 16-bit words (a "delta", unfolded),
 * then its application to a checksum. Deltas of a few fields add without overflow. */
static inline uint32_t
mg_csum_delta16(uint16_t old_v, uint16_t new_v)
{
	return (uint32_t)(uint16_t)~old_v + new_v;
}

static inline uint32_t
mg_csum_delta32(uint32_t old_v, uint32_t new_v)
{
	return mg_csum_delta16((uint16_t)(old_v >> 16), (uint16_t)(new_v >> 16)) +
	       mg_csum_delta16((uint16_t)old_v, (uint16_t)new_v);
}

/* A delta folded to 16 bits, to be kept and applied later (a nonzero delta never folds to 0, so
 * the result of mg_csum_apply is the same as with the delta unfolded). */
static inline uint16_t
mg_csum_fold(uint32_t delta)
{
	delta = (delta & 0xffff) + (delta >> 16);
	delta = (delta & 0xffff) + (delta >> 16);
	return (uint16_t)delta;
}

/* Checksum sum (network order) after the changes that make up delta. */
static inline uint16_t
mg_csum_apply(uint16_t sum, uint32_t delta)
{
	uint32_t s = (uint32_t)(uint16_t)~sum + delta;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Update checksum *sum (network order) for a 16-bit field changing from old to new. */
static inline void
mg_csum_replace16(uint16_t *sum, uint16_t old_v, uint16_t new_v)
{
	*sum = mg_csum_apply(*sum, mg_csum_delta16(old_v, new_v));
}

/* Same for a 32-bit field (an IPv4 address), given in network order. */
static inline void
mg_csum_replace32(uint16_t *sum, uint32_t old_v, uint32_t new_v)
{
	*sum = mg_csum_apply(*sum, mg_csum_delta32(old_v, new_v));
}

#endif /* MG_PKT_CSUM_H */
