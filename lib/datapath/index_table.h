/* Receiver index -> keypair slot, for the decrypt stage (WireGuard's receiver index of a data
 * message names one of our keypairs).
 *
 * Buckets of eight 64-bit entries, one cache line each; an entry is (index << 32 | slot + 1) and
 * 0 is empty. An index lives in one of two buckets: its low bits (lib/wg draws indices at
 * random) or a CRC of it; an insert takes the emptier one. Only the control lcore writes. The
 * workers read without locks: an entry is one atomic 64-bit word, so a reader sees an index with
 * its own slot or not at all, and a keypair slot freed after a removal is reused only after an
 * RCU grace period (lib/datapath/dp.c), as with any other table the workers read.
 */
#ifndef MG_DP_INDEX_TABLE_H
#define MG_DP_INDEX_TABLE_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_prefetch.h>

enum { MG_DP_INDEX_BUCKET_ENTRIES = 8 };

struct mg_dp_index_bucket {
	uint64_t e[MG_DP_INDEX_BUCKET_ENTRIES];
} __rte_cache_aligned;

struct mg_dp_index_table {
	struct mg_dp_index_bucket *buckets;
	uint32_t mask;      /* buckets - 1 */
	uint32_t seed;      /* of the second bucket's hash */
	uint32_t entries;
};

/* A table for up to max_entries entries at once (buckets: max_entries / 4, at least 16).
 * Returns 0 or -ENOMEM. */
int mg_dp_index_init(struct mg_dp_index_table *t, uint32_t max_entries, uint32_t seed,
		     int socket_id);
void mg_dp_index_free(struct mg_dp_index_table *t);

/* Control lcore only. Maps index to slot (replacing the slot of an index already present);
 * -ENOSPC when both its buckets are full (a fresh index from the next handshake lands
 * elsewhere). */
int mg_dp_index_add(struct mg_dp_index_table *t, uint32_t index, uint32_t slot);
/* Removes index if it maps to slot; returns whether it did. */
int mg_dp_index_del(struct mg_dp_index_table *t, uint32_t index, uint32_t slot);

static inline const struct mg_dp_index_bucket *
mg_dp_index_bucket1(const struct mg_dp_index_table *t, uint32_t index)
{
	return &t->buckets[index & t->mask];
}

static inline const struct mg_dp_index_bucket *
mg_dp_index_bucket2(const struct mg_dp_index_table *t, uint32_t index)
{
	return &t->buckets[rte_hash_crc_4byte(index, t->seed) & t->mask];
}

/* Start loading index's first bucket (where nearly every index is). */
static inline void
mg_dp_index_prefetch(const struct mg_dp_index_table *t, uint32_t index)
{
	rte_prefetch0(mg_dp_index_bucket1(t, index));
}

static inline int64_t
mg_dp_index_in_bucket(const struct mg_dp_index_bucket *b, uint32_t index)
{
	for (unsigned i = 0; i < MG_DP_INDEX_BUCKET_ENTRIES; i++) {
		uint64_t e = __atomic_load_n(&b->e[i], __ATOMIC_ACQUIRE);

		if ((uint32_t)(e >> 32) == index && (uint32_t)e != 0)
			return (int64_t)(uint32_t)e - 1;
	}
	return -1;
}

/* Any lcore: the keypair slot of index, or -1. */
static inline int64_t
mg_dp_index_lookup(const struct mg_dp_index_table *t, uint32_t index)
{
	int64_t slot = mg_dp_index_in_bucket(mg_dp_index_bucket1(t, index), index);

	return slot >= 0 ? slot : mg_dp_index_in_bucket(mg_dp_index_bucket2(t, index), index);
}

#endif /* MG_DP_INDEX_TABLE_H */
