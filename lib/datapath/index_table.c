/* Receiver index table: the control lcore's side (create, add, remove); lookups are inline in
 * index_table.h. */
#include <errno.h>

#include <rte_malloc.h>

#include "index_table.h"

enum { INDEX_MIN_BUCKETS = 16, INDEX_ENTRIES_PER_BUCKET_AVG = 4 };

int
mg_dp_index_init(struct mg_dp_index_table *t, uint32_t max_entries, uint32_t seed, int socket_id)
{
	uint32_t n = rte_align32pow2(max_entries / INDEX_ENTRIES_PER_BUCKET_AVG + 1);

	if (n < INDEX_MIN_BUCKETS)
		n = INDEX_MIN_BUCKETS;
	t->buckets = rte_zmalloc_socket("mg_index", sizeof(*t->buckets) * n, RTE_CACHE_LINE_SIZE,
					socket_id);
	t->mask = n - 1;
	t->seed = seed;
	t->entries = 0;
	return t->buckets != NULL ? 0 : -ENOMEM;
}

void
mg_dp_index_free(struct mg_dp_index_table *t)
{
	rte_free(t->buckets);
	t->buckets = NULL;
}

/* The two buckets of index, writable (index_table.h's readers get them const). */
static void
buckets_of(struct mg_dp_index_table *t, uint32_t index, struct mg_dp_index_bucket *bs[2])
{
	bs[0] = &t->buckets[mg_dp_index_bucket1(t, index) - t->buckets];
	bs[1] = &t->buckets[mg_dp_index_bucket2(t, index) - t->buckets];
}

static uint64_t
entry(uint32_t index, uint32_t slot)
{
	return (uint64_t)index << 32 | (slot + 1);
}

static int
find(struct mg_dp_index_bucket *b, uint32_t index)
{
	for (int i = 0; i < MG_DP_INDEX_BUCKET_ENTRIES; i++)
		if ((uint32_t)(b->e[i] >> 32) == index && (uint32_t)b->e[i] != 0)
			return i;
	return -1;
}

static unsigned
used(const struct mg_dp_index_bucket *b)
{
	unsigned n = 0;

	for (unsigned i = 0; i < MG_DP_INDEX_BUCKET_ENTRIES; i++)
		n += (uint32_t)b->e[i] != 0;
	return n;
}

int
mg_dp_index_add(struct mg_dp_index_table *t, uint32_t index, uint32_t slot)
{
	struct mg_dp_index_bucket *bs[2], *b;

	buckets_of(t, index, bs);
	/* Release stores: the keypair's fields, written before, are seen with its entry. */
	for (unsigned k = 0; k < RTE_DIM(bs); k++) {
		int i = find(bs[k], index);

		if (i >= 0) {
			__atomic_store_n(&bs[k]->e[i], entry(index, slot), __ATOMIC_RELEASE);
			return 0;
		}
	}
	b = used(bs[1]) < used(bs[0]) ? bs[1] : bs[0];
	for (unsigned i = 0; i < MG_DP_INDEX_BUCKET_ENTRIES; i++)
		if ((uint32_t)b->e[i] == 0) {
			__atomic_store_n(&b->e[i], entry(index, slot), __ATOMIC_RELEASE);
			t->entries++;
			return 0;
		}
	return -ENOSPC;
}

int
mg_dp_index_del(struct mg_dp_index_table *t, uint32_t index, uint32_t slot)
{
	struct mg_dp_index_bucket *bs[2];

	buckets_of(t, index, bs);
	for (unsigned k = 0; k < RTE_DIM(bs); k++) {
		int i = find(bs[k], index);

		if (i >= 0 && bs[k]->e[i] == entry(index, slot)) {
			__atomic_store_n(&bs[k]->e[i], 0, __ATOMIC_RELEASE);
			t->entries--;
			return 1;
		}
	}
	return 0;
}
