/* Anti-replay window for WireGuard transport data, one per keypair.
 *
 * An 8192-bit bitmap kept as a ring of 64-bit words in the style of RFC 6479: sliding forward
 * clears whole words, so the usable window is 8192 - 64 counters behind the greatest one seen,
 * exactly as Linux WireGuard's counter_validate. Plain data, no allocation, no locking: the
 * keypair's owner (one lcore) serialises access.
 */
#ifndef MG_WG_REPLAY_H
#define MG_WG_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "wg_const.h"

enum mg_replay_geometry {
	MG_REPLAY_WORD_BITS = 64,
	MG_REPLAY_WORDS = MG_WG_REPLAY_WINDOW_BITS / MG_REPLAY_WORD_BITS,
	/* Counters this far behind the greatest one are still judged by the bitmap. */
	MG_REPLAY_WINDOW_SIZE = MG_WG_REPLAY_WINDOW_BITS - MG_REPLAY_WORD_BITS,
};

struct mg_replay_window {
	uint64_t greatest;                   /* greatest counter accepted; 0 before any */
	uint64_t bitmap[MG_REPLAY_WORDS];    /* bit (c % 8192) set: counter c was accepted */
};

/* Empty window: every counter below MG_WG_REJECT_AFTER_MESSAGES may be accepted once. */
void mg_replay_init(struct mg_replay_window *w);

/* Cheap pre-decrypt test: false if the counter is certainly a replay, too old or past the
 * message limit. Does not modify the window. */
bool mg_replay_check(const struct mg_replay_window *w, uint64_t counter);

/* Commit a counter whose packet authenticated: false (and no change) if it was replayed,
 * too old or past the limit; true once it is recorded. */
bool mg_replay_update(struct mg_replay_window *w, uint64_t counter);

#endif /* MG_WG_REPLAY_H */
