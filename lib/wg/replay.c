/* Anti-replay window for WireGuard transport data (RFC 6479 style, Linux counter_validate rules).
 *
 * Bit (counter % 8192) of a 128-word ring records that a counter was accepted. When a greater
 * counter arrives, the words between the old and the new greatest are cleared whole, so any
 * counter at most MG_REPLAY_WINDOW_SIZE behind the greatest still has a valid bit.
 */
#include <string.h>

#include "replay.h"

static inline uint64_t word_of(uint64_t counter)
{
	return counter / MG_REPLAY_WORD_BITS;
}

static inline uint64_t bit_of(uint64_t counter)
{
	return 1ULL << (counter % MG_REPLAY_WORD_BITS);
}

static inline uint64_t slot_of(uint64_t word)
{
	return word & (MG_REPLAY_WORDS - 1);
}

void mg_replay_init(struct mg_replay_window *w)
{
	memset(w, 0, sizeof(*w));
}

/* Past the message limit, or so far behind the greatest that its bit may be reused. Same
 * inequality as Linux (which stores greatest + 1): counter + WINDOW_SIZE < greatest. */
static inline bool out_of_window(const struct mg_replay_window *w, uint64_t counter)
{
	return counter >= MG_WG_REJECT_AFTER_MESSAGES ||
	       counter + MG_REPLAY_WINDOW_SIZE < w->greatest;
}

bool mg_replay_check(const struct mg_replay_window *w, uint64_t counter)
{
	if (out_of_window(w, counter))
		return false;
	if (counter > w->greatest)
		return true; /* its word will be cleared on update */
	return (w->bitmap[slot_of(word_of(counter))] & bit_of(counter)) == 0;
}

/* Move the greatest counter forward, clearing the words that the window slides over (at most
 * the whole ring, however far the jump). */
static void slide(struct mg_replay_window *w, uint64_t counter)
{
	uint64_t cur = word_of(w->greatest);
	uint64_t top = word_of(counter) - cur;

	if (top > MG_REPLAY_WORDS)
		top = MG_REPLAY_WORDS;
	for (uint64_t i = 1; i <= top; i++)
		w->bitmap[slot_of(cur + i)] = 0;
	w->greatest = counter;
}

bool mg_replay_update(struct mg_replay_window *w, uint64_t counter)
{
	uint64_t *word;

	if (out_of_window(w, counter))
		return false;
	if (counter > w->greatest)
		slide(w, counter);
	word = &w->bitmap[slot_of(word_of(counter))];
	if (*word & bit_of(counter))
		return false;
	*word |= bit_of(counter);
	return true;
}
