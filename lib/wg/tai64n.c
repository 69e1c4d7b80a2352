/* TAI64N encoding of wall-clock time for handshake initiations.
 *
 * Seconds become the TAI64 label (2^62 + 10 + Unix seconds) and nanoseconds are rounded down to
 * a 2^24 ns grain before both are written big-endian, so byte order is time order.
 */
#include <endian.h>
#include <string.h>

#include "tai64n.h"

void
mg_tai64n_from_timespec(const struct timespec *wall, uint8_t out[MG_WG_TIMESTAMP_LEN])
{
	uint64_t label = htobe64(MG_TAI64N_EPOCH_LABEL + (uint64_t)wall->tv_sec);
	/* Round down to the largest power of two <= 1e9/50 ns: no sub-initiation-interval clock. */
	uint32_t ns = (uint32_t)wall->tv_nsec & ~(uint32_t)(MG_TAI64N_NSEC_GRANULARITY - 1);
	uint32_t ns_be = htobe32(ns);

	memcpy(out, &label, sizeof(label));
	memcpy(out + sizeof(label), &ns_be, sizeof(ns_be));
}

bool
mg_tai64n_after(const uint8_t a[MG_WG_TIMESTAMP_LEN], const uint8_t b[MG_WG_TIMESTAMP_LEN])
{
	return memcmp(a, b, MG_WG_TIMESTAMP_LEN) > 0;
}
