/* TAI64N timestamps for handshake initiations (whitepaper 5.1).
 *
 * The responder keeps the greatest timestamp accepted per peer and rejects any initiation that
 * does not carry a greater one, so replayed initiations are refused. The nanoseconds are rounded
 * down, as Linux does, so the timestamp does not reveal a precise clock.
 */
#ifndef MG_WG_TAI64N_H
#define MG_WG_TAI64N_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "wg_const.h"

enum mg_tai64n_consts {
	/* Largest power of two <= 1e9 / 50 ns: 2^24 ns, about 16.8 ms. */
	MG_TAI64N_NSEC_GRANULARITY = 1 << 24,
};

/* TAI64 label of the Unix epoch: 2^62 plus the 10 s TAI-UTC offset of 1970, as WireGuard uses. */
#define MG_TAI64N_EPOCH_LABEL 0x400000000000000aULL

/* Encode wall-clock time (CLOCK_REALTIME) as 12 bytes: big-endian seconds label, big-endian ns. */
void mg_tai64n_from_timespec(const struct timespec *wall, uint8_t out[MG_WG_TIMESTAMP_LEN]);

/* True when a is strictly later than b (big-endian encoding: byte order is time order). */
bool mg_tai64n_after(const uint8_t a[MG_WG_TIMESTAMP_LEN], const uint8_t b[MG_WG_TIMESTAMP_LEN]);

#endif /* MG_WG_TAI64N_H */
