/* Anti-replay window for WireGuard transport data, one per keypair.
 *
 * An 8192-counter window kept as a ring of 128 blocks of 64 counters, in the style of RFC 6479:
 * a counter is accepted once, if below REJECT_AFTER_MESSAGES and at most 8192 - 64 behind the
 * greatest one accepted, exactly as Linux WireGuard's counter_validate. Each block carries its
 * own number (counter / 64) beside its bits, so a block is recycled by writing a greater number
 * rather than by clearing the ring as the window slides: with that, lcores that share a keypair
 * (one peer spread over the pipeline's crypto lcores, or a roaming peer between workers) commit
 * without a lock, one 16-byte compare-and-swap per block of counters
 * (mg_replay_update_block_shared). A window with one writer uses mg_replay_update: plain stores.
 */
#ifndef MG_WG_REPLAY_H
#define MG_WG_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "wg_const.h"

enum mg_replay_geometry {
	MG_REPLAY_BLOCK_BITS = 64,
	MG_REPLAY_BLOCKS = MG_WG_REPLAY_WINDOW_BITS / MG_REPLAY_BLOCK_BITS,
	/* Counters this far behind the greatest one are still judged by the ring. */
	MG_REPLAY_WINDOW_SIZE = MG_WG_REPLAY_WINDOW_BITS - MG_REPLAY_BLOCK_BITS,
};

/* Block `block` of counters (block * 64 .. block * 64 + 63): bit i of bits set when counter
 * block * 64 + i was accepted. A ring slot only ever moves to greater block numbers. */
struct mg_replay_block {
	uint64_t block;
	uint64_t bits;
} __attribute__((aligned(16)));

struct mg_replay_window {
	uint64_t greatest;                               /* greatest counter accepted; 0 before any */
	struct mg_replay_block ring[MG_REPLAY_BLOCKS];   /* block b lives in slot b % 128 */
};

/* Empty window: every counter below MG_WG_REJECT_AFTER_MESSAGES may be accepted once. */
void mg_replay_init(struct mg_replay_window *w);

/* Cheap pre-decrypt test: false if the counter is certainly a replay, too old or past the
 * message limit. Does not modify the window; safe beside concurrent commits. */
bool mg_replay_check(const struct mg_replay_window *w, uint64_t counter);

/* Commit a counter whose packet authenticated, when no other lcore commits to this window:
 * false (and no change) if it was replayed, too old or past the limit; true once recorded. */
bool mg_replay_update(struct mg_replay_window *w, uint64_t counter);

/* Commit counters of one block (block = counter / 64 for each; mask has bit counter % 64 of
 * each) while other lcores may commit to the same window: lock-free. Returns the bits of mask
 * whose counters were accepted now; the others were seen before, are too old or past the
 * limit. */
uint64_t mg_replay_update_block_shared(struct mg_replay_window *w, uint64_t block,
				       uint64_t mask);

#endif /* MG_WG_REPLAY_H */
