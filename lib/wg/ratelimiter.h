/* Per-source-address token bucket for handshake messages under load.
 *
 * Sans-I/O and single-threaded (the control lcore owns it): a fixed open-addressing table is
 * allocated once at create time, allow() never allocates, entries idle for more than a second are
 * recycled, and a new source is refused (and counted) when no entry is free or recyclable.
 */
#ifndef MG_WG_RATELIMITER_H
#define MG_WG_RATELIMITER_H

#include <stdbool.h>
#include <stdint.h>

enum mg_ratelimiter_defaults {
	MG_RATELIMITER_RATE_PER_S = 20, /* Linux WireGuard: 20 packets/s per source */
	MG_RATELIMITER_BURST = 5,       /* ... with a burst of 5 */
	MG_RATELIMITER_IDLE_MS = 1000,  /* entries idle longer than this may be recycled */
};

struct mg_ratelimiter_stats {
	uint64_t allowed;      /* packets let through */
	uint64_t limited;      /* refused: the source's bucket was empty */
	uint64_t table_full;   /* refused: new source, no free or recyclable entry */
	uint64_t recycled;     /* idle entries reclaimed for new sources */
	uint32_t entries;      /* sources tracked now */
	uint32_t capacity;     /* most sources tracked at once */
};

struct mg_ratelimiter;

/* rate_per_s and burst are per source; capacity is the number of sources tracked at once.
 * Returns NULL if an argument is 0 or memory is short. */
struct mg_ratelimiter *mg_ratelimiter_create(uint32_t rate_per_s, uint32_t burst, uint32_t capacity);
void mg_ratelimiter_destroy(struct mg_ratelimiter *rl);

/* One packet from src_ip_be (network byte order) at now_ns: true if it may be processed.
 * now_ns must not go backwards between calls. */
bool mg_ratelimiter_allow(struct mg_ratelimiter *rl, uint32_t src_ip_be, uint64_t now_ns);

void mg_ratelimiter_stats_get(const struct mg_ratelimiter *rl, struct mg_ratelimiter_stats *out);

#endif /* MG_WG_RATELIMITER_H */
