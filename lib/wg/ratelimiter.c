/* Per-source token bucket for handshake messages, with a fixed table and no allocation per call.
 *
 * Sources live in an open-addressing table (linear probing, at least twice as many slots as
 * sources, keyed by SipHash with a secret key so that senders cannot aim at one chain). Buckets
 * hold nanoseconds of credit, as in Linux's ratelimiter.c. A small sweep on every call, and a
 * larger one when the table is full, deletes entries idle for more than a second.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ratelimiter.h"
#include "wg_const.h"

enum ratelimiter_tuning {
	GC_STEP_SLOTS = 2,       /* slots swept on every call */
	GC_FULL_SLOTS = 64,      /* slots swept when a new source finds the table full */
	MIN_SLOTS = 16,
};

struct rl_entry {
	uint64_t last_ns;        /* last packet seen from this source */
	uint64_t tokens_ns;      /* credit: one packet costs packet_cost_ns */
	uint32_t ip;
	uint32_t in_use;
};

struct mg_ratelimiter {
	struct rl_entry *slots;
	uint32_t mask;           /* number of slots - 1 */
	uint32_t capacity;
	uint32_t gc_cursor;
	uint64_t packet_cost_ns;
	uint64_t max_tokens_ns;
	struct mg_ratelimiter_stats stats;
	uint8_t hash_key[crypto_shorthash_KEYBYTES];
};

static uint32_t round_up_pow2(uint64_t n)
{
	uint64_t p = MIN_SLOTS;

	while (p < n)
		p <<= 1;
	return (uint32_t)p;
}

struct mg_ratelimiter *mg_ratelimiter_create(uint32_t rate_per_s, uint32_t burst, uint32_t capacity)
{
	struct mg_ratelimiter *rl;

	if (rate_per_s == 0 || burst == 0 || capacity == 0 || capacity > (1u << 30))
		return NULL;
	if (sodium_init() < 0)
		return NULL;
	rl = calloc(1, sizeof(*rl));
	if (rl == NULL)
		return NULL;
	rl->mask = round_up_pow2(2ULL * capacity) - 1;
	rl->slots = calloc((size_t)rl->mask + 1, sizeof(*rl->slots));
	if (rl->slots == NULL)
		goto free_rl;
	rl->capacity = capacity;
	rl->packet_cost_ns = MG_WG_NSEC_PER_SEC / rate_per_s;
	rl->max_tokens_ns = rl->packet_cost_ns * burst;
	rl->stats.capacity = capacity;
	randombytes_buf(rl->hash_key, sizeof(rl->hash_key));
	return rl;

free_rl:
	free(rl);
	return NULL;
}

void mg_ratelimiter_destroy(struct mg_ratelimiter *rl)
{
	if (rl == NULL)
		return;
	sodium_memzero(rl->hash_key, sizeof(rl->hash_key));
	free(rl->slots);
	free(rl);
}

static uint32_t home_slot(const struct mg_ratelimiter *rl, uint32_t ip)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint32_t v;

	crypto_shorthash(h, (const unsigned char *)&ip, sizeof(ip), rl->hash_key);
	memcpy(&v, h, sizeof(v));
	return v & rl->mask;
}

/* Delete slot i by shifting later members of its probe chain back (no tombstones). */
static void delete_slot(struct mg_ratelimiter *rl, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		j = (j + 1) & rl->mask;
		if (!rl->slots[j].in_use)
			break;
		uint32_t home = home_slot(rl, rl->slots[j].ip);
		/* j may move to i only if its home is not cyclically within (i, j]. */
		if (((j - home) & rl->mask) >= ((j - i) & rl->mask)) {
			rl->slots[i] = rl->slots[j];
			i = j;
		}
	}
	memset(&rl->slots[i], 0, sizeof(rl->slots[i]));
	rl->stats.entries--;
}

/* Time since the entry's last packet; 0 if the clock stepped back, rather than a huge value. */
static uint64_t elapsed_ns(const struct rl_entry *e, uint64_t now_ns)
{
	return now_ns > e->last_ns ? now_ns - e->last_ns : 0;
}

static bool is_idle(const struct rl_entry *e, uint64_t now_ns)
{
	return elapsed_ns(e, now_ns) > (uint64_t)MG_RATELIMITER_IDLE_MS * 1000000ULL;
}

/* Examine n slots from the cursor and delete the idle ones. A deletion may shift a live entry
 * into the examined slot, so that slot is examined again before moving on. */
static void sweep(struct mg_ratelimiter *rl, uint64_t now_ns, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		struct rl_entry *e = &rl->slots[rl->gc_cursor];

		if (e->in_use && is_idle(e, now_ns)) {
			delete_slot(rl, rl->gc_cursor);
			rl->stats.recycled++;
			continue;
		}
		rl->gc_cursor = (rl->gc_cursor + 1) & rl->mask;
	}
}

/* Slot holding ip, or the empty slot where it belongs. Terminates: at least half the slots are
 * always empty. */
static struct rl_entry *probe(struct mg_ratelimiter *rl, uint32_t ip)
{
	uint32_t i = home_slot(rl, ip);

	while (rl->slots[i].in_use && rl->slots[i].ip != ip)
		i = (i + 1) & rl->mask;
	return &rl->slots[i];
}

static bool take_token(struct mg_ratelimiter *rl, struct rl_entry *e, uint64_t now_ns)
{
	uint64_t tokens = e->tokens_ns + elapsed_ns(e, now_ns);

	if (tokens > rl->max_tokens_ns)
		tokens = rl->max_tokens_ns;
	e->last_ns = now_ns;
	if (tokens < rl->packet_cost_ns) {
		e->tokens_ns = tokens;
		rl->stats.limited++;
		return false;
	}
	e->tokens_ns = tokens - rl->packet_cost_ns;
	rl->stats.allowed++;
	return true;
}

bool mg_ratelimiter_allow(struct mg_ratelimiter *rl, uint32_t src_ip_be, uint64_t now_ns)
{
	struct rl_entry *e;

	sweep(rl, now_ns, GC_STEP_SLOTS);
	e = probe(rl, src_ip_be);
	if (e->in_use)
		return take_token(rl, e, now_ns);

	if (rl->stats.entries >= rl->capacity) {
		sweep(rl, now_ns, GC_FULL_SLOTS);
		if (rl->stats.entries >= rl->capacity) {
			rl->stats.table_full++;
			return false;
		}
		e = probe(rl, src_ip_be); /* the sweep may have moved entries */
	}
	e->in_use = 1;
	e->ip = src_ip_be;
	e->last_ns = now_ns;
	e->tokens_ns = rl->max_tokens_ns - rl->packet_cost_ns;
	rl->stats.entries++;
	rl->stats.allowed++;
	return true;
}

void mg_ratelimiter_stats_get(const struct mg_ratelimiter *rl, struct mg_ratelimiter_stats *out)
{
	*out = rl->stats;
}
