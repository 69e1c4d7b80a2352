/* Anti-replay window for WireGuard transport data (RFC 6479 style, Linux counter_validate rules;
 * see replay.h for the layout).
 *
 * Why a block's number makes it correct without clearing: a slot only moves to greater block
 * numbers, so once block b has left its slot it never comes back, and while it is there each of
 * its bits is set once. Every counter is therefore accepted at most once, whatever the
 * interleaving of lcores. For a counter inside the window its slot holds its own block or an
 * older one (a newer block in that slot would mean a greater counter at least 8192 - 63 ahead,
 * which puts this one out of the window), so one writer gets exactly the sliding-window result.
 */
#include <string.h>

#include "replay.h"

static inline uint64_t block_of(uint64_t counter)
{
	return counter / MG_REPLAY_BLOCK_BITS;
}

static inline uint64_t bit_of(uint64_t counter)
{
	return 1ULL << (counter % MG_REPLAY_BLOCK_BITS);
}

static inline struct mg_replay_block *slot_of(struct mg_replay_window *w, uint64_t block)
{
	return &w->ring[block & (MG_REPLAY_BLOCKS - 1)];
}

void mg_replay_init(struct mg_replay_window *w)
{
	memset(w, 0, sizeof(*w));
	for (uint64_t i = 0; i < MG_REPLAY_BLOCKS; i++)
		w->ring[i].block = i; /* empty blocks 0..127 */
}

/* Past the message limit, or too far behind the greatest. Same inequality as Linux (which
 * stores greatest + 1): counter + WINDOW_SIZE < greatest. */
static inline bool out_of_window(uint64_t greatest, uint64_t counter)
{
	return counter >= MG_WG_REJECT_AFTER_MESSAGES || counter + MG_REPLAY_WINDOW_SIZE < greatest;
}

bool mg_replay_check(const struct mg_replay_window *w, uint64_t counter)
{
	const struct mg_replay_block *s = &w->ring[block_of(counter) & (MG_REPLAY_BLOCKS - 1)];
	uint64_t block, bits;

	if (out_of_window(__atomic_load_n(&w->greatest, __ATOMIC_RELAXED), counter))
		return false;
	/* The number, then the bits (acquire: not read before it). Slots only move to greater
	 * numbers, so bits read after the number belong to that block or to a newer one, and a
	 * newer one puts this counter out of the window anyway: never a wrong "seen". */
	block = __atomic_load_n(&s->block, __ATOMIC_ACQUIRE);
	bits = __atomic_load_n(&s->bits, __ATOMIC_RELAXED);
	if (block != block_of(counter))
		return block < block_of(counter);
	return (bits & bit_of(counter)) == 0;
}

static inline void raise_greatest(struct mg_replay_window *w, uint64_t counter)
{
	uint64_t g = __atomic_load_n(&w->greatest, __ATOMIC_RELAXED);

	while (counter > g &&
	       !__atomic_compare_exchange_n(&w->greatest, &g, counter, true, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED))
		;
}

bool mg_replay_update(struct mg_replay_window *w, uint64_t counter)
{
	uint64_t block = block_of(counter), greatest = w->greatest;
	struct mg_replay_block *s = slot_of(w, block);
	uint64_t held = s->block, bits = s->bits;

	if (out_of_window(greatest, counter) || held > block)
		return false;
	if (held < block)
		bits = 0; /* an older block: recycled */
	else if (bits & bit_of(counter))
		return false;
	/* The bits before the number, so a reader that sees the new number sees its bits. */
	__atomic_store_n(&s->bits, bits | bit_of(counter), __ATOMIC_RELAXED);
	if (held != block)
		__atomic_store_n(&s->block, block, __ATOMIC_RELEASE);
	if (counter > greatest)
		__atomic_store_n(&w->greatest, counter, __ATOMIC_RELAXED);
	return true;
}

/* The counters of mask in block that the window's edge and the message limit still admit. */
static uint64_t admitted(uint64_t greatest, uint64_t block, uint64_t mask)
{
	uint64_t first = block * MG_REPLAY_BLOCK_BITS, last = first + MG_REPLAY_BLOCK_BITS - 1;
	uint64_t lo = greatest > MG_REPLAY_WINDOW_SIZE ? greatest - MG_REPLAY_WINDOW_SIZE : 0;

	if (last < lo || first >= MG_WG_REJECT_AFTER_MESSAGES)
		return 0;
	if (first < lo)
		mask &= ~0ULL << (lo - first);
	if (last >= MG_WG_REJECT_AFTER_MESSAGES)
		mask &= ~(~0ULL << (MG_WG_REJECT_AFTER_MESSAGES - first));
	return mask;
}

/* A slot as one 16-byte value: the bits in the high half, the block number in the low one. */
static inline unsigned __int128 slot_value(uint64_t block, uint64_t bits)
{
	return (unsigned __int128)bits << 64 | block;
}

uint64_t mg_replay_update_block_shared(struct mg_replay_window *w, uint64_t block,
				       uint64_t mask)
{
	unsigned __int128 *slot = (unsigned __int128 *)slot_of(w, block);
	unsigned __int128 cur, want, seen;
	uint64_t fresh;

	mask = admitted(__atomic_load_n(&w->greatest, __ATOMIC_RELAXED), block, mask);
	if (mask == 0)
		return 0;
	/* A guess from two plain loads, possibly torn; every decision below stands only once a
	 * compare-and-swap (lock cmpxchg16b) has found the slot holding exactly the value it was
	 * made from, and otherwise is made again from the value the swap returned. */
	cur = slot_value(__atomic_load_n(&slot_of(w, block)->block, __ATOMIC_RELAXED),
			 __atomic_load_n(&slot_of(w, block)->bits, __ATOMIC_RELAXED));
	for (;;) {
		uint64_t cur_block = (uint64_t)cur, cur_bits = (uint64_t)(cur >> 64);

		if (cur_block > block) {
			fresh = 0; /* the slot holds a newer block: these are out of the window */
			want = cur;
		} else {
			if (cur_block < block)
				cur_bits = 0; /* an older block: recycled by this write */
			fresh = mask & ~cur_bits;
			want = fresh != 0 ? slot_value(block, cur_bits | fresh) : cur;
		}
		seen = __sync_val_compare_and_swap(slot, cur, want);
		if (seen == cur)
			break;
		cur = seen;
	}
	if (fresh != 0)
		raise_greatest(w, block * MG_REPLAY_BLOCK_BITS +
				  (63 - (uint64_t)__builtin_clzll(fresh)));
	return fresh;
}
