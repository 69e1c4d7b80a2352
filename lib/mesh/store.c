/* The view of node records: accept/reject with counted reasons, caps, eviction, digests.
 *
 * Entries live in one array allocated at init (memory bounded by the cap); an open-addressing
 * index over the ids finds them. Each live (non-dead) entry XORs a 32-bit hash of (id, seq)
 * into its bucket, so a digest of the whole view costs nothing to keep up to date.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "store.h"

#define INDEX_TOMB UINT32_MAX

static uint64_t id_key(const uint8_t *id)
{
	uint64_t k;

	memcpy(&k, id, sizeof(k));
	return k;
}

static uint32_t entry_hash(const struct mg_mesh_record *r)
{
	uint8_t in[MG_MESH_ID_LEN + 8], out[crypto_generichash_BYTES_MIN];

	memcpy(in, r->id, MG_MESH_ID_LEN);
	mg_mesh_put_u64(in + MG_MESH_ID_LEN, r->seq);
	crypto_generichash(out, sizeof(out), in, sizeof(in), NULL, 0);
	return mg_mesh_get_u32(out);
}

int mg_mesh_store_init(struct mg_mesh_store *s, uint32_t cap, uint32_t source_cap, uint64_t *ctr)
{
	memset(s, 0, sizeof(*s));
	s->index_cap = 16;
	while (s->index_cap < 2 * cap)
		s->index_cap *= 2;
	s->e = calloc(cap, sizeof(*s->e));
	s->index = calloc(s->index_cap, sizeof(*s->index));
	s->src = calloc(s->index_cap, sizeof(*s->src));
	if (!s->e || !s->index || !s->src || cap < 2) {
		mg_mesh_store_free(s);
		return -1;
	}
	s->cap = cap;
	s->source_cap = source_cap;
	s->ctr = ctr;
	return 0;
}

void mg_mesh_store_free(struct mg_mesh_store *s)
{
	free(s->e);
	free(s->index);
	free(s->src);
	s->e = NULL;
	s->index = NULL;
	s->src = NULL;
}

/* Index slot holding id, or (insert) the first free/tombstone slot on its probe path. */
static uint32_t *index_slot(const struct mg_mesh_store *s, const uint8_t *id, bool insert)
{
	uint32_t mask = s->index_cap - 1, i = (uint32_t)id_key(id) & mask;
	uint32_t *tomb = NULL;

	for (uint32_t n = 0; n < s->index_cap; n++, i = (i + 1) & mask) {
		uint32_t v = s->index[i];

		if (v == 0)
			return insert ? (tomb ? tomb : &s->index[i]) : NULL;
		if (v == INDEX_TOMB) {
			if (!tomb)
				tomb = &s->index[i];
			continue;
		}
		if (memcmp(s->e[v - 1].rec.id, id, MG_MESH_ID_LEN) == 0)
			return insert ? NULL : &s->index[i];
	}
	return insert ? tomb : NULL;
}

struct mg_mesh_entry *mg_mesh_store_find(const struct mg_mesh_store *s,
					 const uint8_t id[MG_MESH_ID_LEN])
{
	uint32_t *slot = index_slot(s, id, false);

	return slot ? &s->e[*slot - 1] : NULL;
}

struct mg_mesh_entry *mg_mesh_store_find_tag(const struct mg_mesh_store *s,
					     const uint8_t tag[MG_MESH_TAG_LEN])
{
	uint32_t mask = s->index_cap - 1, i = (uint32_t)id_key(tag) & mask;

	for (uint32_t n = 0; n < s->index_cap && s->index[i]; n++, i = (i + 1) & mask) {
		uint32_t v = s->index[i];

		if (v != INDEX_TOMB && memcmp(s->e[v - 1].rec.id, tag, MG_MESH_TAG_LEN) == 0)
			return &s->e[v - 1];
	}
	return NULL;
}

struct mg_mesh_entry *mg_mesh_store_at(const struct mg_mesh_store *s, uint32_t i)
{
	return i < s->cap && s->e[i].used ? &s->e[i] : NULL;
}

static void bucket_toggle(struct mg_mesh_store *s, const struct mg_mesh_entry *e)
{
	if (e->state != MG_MESH_DEAD)
		s->buckets[mg_mesh_store_bucket(e->rec.id)] ^= e->hash;
}

static void uncount(struct mg_mesh_store *s, struct mg_mesh_entry *e);

static void remove_entry(struct mg_mesh_store *s, struct mg_mesh_entry *e)
{
	uint32_t *slot = index_slot(s, e->rec.id, false);

	bucket_toggle(s, e);
	uncount(s, e);
	if (slot)
		*slot = INDEX_TOMB;
	memset(e, 0, sizeof(*e));
	s->n--;
}

/* The count slot of a source (created on first use). Sources are at most as many as entries,
 * and the table has twice that many slots, so a free one is always found; stale zero counts are
 * dropped when the index is rebuilt. */
static struct mg_mesh_src_count *src_slot(struct mg_mesh_store *s, uint64_t source)
{
	uint32_t mask = s->index_cap - 1, i = (uint32_t)(source ^ (source >> 29)) & mask;

	for (uint32_t n = 0; n < s->index_cap; n++, i = (i + 1) & mask) {
		struct mg_mesh_src_count *c = &s->src[i];

		if (c->source == source && (c->count || source))
			return c;
		if (!c->source && !c->count) {
			c->source = source;
			return c;
		}
	}
	return NULL;
}

static uint32_t source_count(struct mg_mesh_store *s, uint64_t source)
{
	struct mg_mesh_src_count *c = src_slot(s, source);

	return c ? c->count : UINT32_MAX;
}

/* An entry stops counting against its source when it is confirmed or removed. */
static void uncount(struct mg_mesh_store *s, struct mg_mesh_entry *e)
{
	struct mg_mesh_src_count *c;

	if (e->confirmed)
		return;
	c = src_slot(s, e->source);
	if (c && c->count)
		c->count--;
}

/* Victim for a new identity: an expired entry, else the oldest unconfirmed one; never a
 * confirmed or own record. */
static struct mg_mesh_entry *victim(struct mg_mesh_store *s, uint64_t now_ns)
{
	struct mg_mesh_entry *best = NULL;

	for (uint32_t i = 0; i < s->cap; i++) {
		struct mg_mesh_entry *e = &s->e[i];

		if (!e->used || e->self)
			continue;
		if (e->rec.expires_ns <= now_ns)
			return e;
		if (!e->confirmed && (!best || e->first_seen_ns < best->first_seen_ns))
			best = e;
	}
	return best;
}

static struct mg_mesh_entry *free_slot(struct mg_mesh_store *s)
{
	for (uint32_t k = 0; k < s->cap; k++) {
		uint32_t i = (s->free_hint + k) % s->cap;

		if (!s->e[i].used) {
			s->free_hint = i + 1;
			return &s->e[i];
		}
	}
	return NULL;
}

static void fill(struct mg_mesh_store *s, struct mg_mesh_entry *e, const struct mg_mesh_record *r,
		 const uint8_t *raw, size_t len)
{
	bucket_toggle(s, e);
	e->rec = *r;
	memcpy(e->raw, raw, len);
	e->raw_len = (uint16_t)len;
	e->hash = entry_hash(r);
	if (e->state != MG_MESH_ALIVE && r->seq > e->state_seq)
		e->state = MG_MESH_ALIVE;
	bucket_toggle(s, e);
}

/* A new identity: check the caps, find room, index it. */
static struct mg_mesh_entry *insert_new(struct mg_mesh_store *s, const struct mg_mesh_record *r,
					uint64_t source, bool from_origin, uint64_t now_ns,
					int *reason)
{
	struct mg_mesh_entry *e;
	uint32_t *slot;

	if (!from_origin && source_count(s, source) >= s->source_cap) {
		*reason = MG_MESH_CTR_REC_SOURCE_CAP;
		return NULL;
	}
	e = s->n < s->cap ? free_slot(s) : NULL;
	if (!e) {
		e = victim(s, now_ns);
		if (!e) {
			*reason = MG_MESH_CTR_REC_TOTAL_CAP;
			return NULL;
		}
		s->ctr[MG_MESH_CTR_REC_EVICTED]++;
		remove_entry(s, e);
	}
	slot = index_slot(s, r->id, true);
	if (!slot) {
		*reason = MG_MESH_CTR_REC_TOTAL_CAP;
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->source = source;
	e->confirmed = from_origin;
	e->first_seen_ns = now_ns;
	e->state_since_ns = now_ns;
	if (!from_origin)
		src_slot(s, source)->count++;
	*slot = (uint32_t)(e - s->e) + 1;
	s->n++;
	return e;
}

int mg_mesh_store_offer(struct mg_mesh_store *s, const uint8_t *raw, size_t len,
			const uint8_t source[MG_MESH_ID_LEN], uint64_t now_ns,
			struct mg_mesh_entry **out, int *reason)
{
	struct mg_mesh_record r;
	struct mg_mesh_entry *e;
	bool from_origin;
	int rc = mg_mesh_record_decode(&r, raw, len);

	*out = NULL;
	if (!rc)
		rc = mg_mesh_record_check_time(&r, now_ns);
	e = rc ? NULL : mg_mesh_store_find(s, r.id);
	if (!rc && e && r.seq == e->rec.seq)
		rc = MG_MESH_CTR_REC_DUPLICATE;      /* checked before the costly verify */
	else if (!rc && e && r.seq < e->rec.seq)
		rc = MG_MESH_CTR_REC_STALE;
	if (!rc)
		rc = mg_mesh_record_verify(&r);
	from_origin = memcmp(source, r.id, MG_MESH_ID_LEN) == 0;
	if (!rc && !e)
		e = insert_new(s, &r, id_key(source), from_origin, now_ns, &rc);
	if (rc) {
		s->ctr[rc]++;
		*reason = rc;
		return MG_MESH_OFFER_REJECTED;
	}
	rc = e->raw_len ? MG_MESH_OFFER_NEWER : MG_MESH_OFFER_NEW;
	fill(s, e, &r, raw, len);
	if (from_origin || (rc == MG_MESH_OFFER_NEWER && e->source != id_key(source)))
		mg_mesh_store_confirm(s, e);
	s->ctr[MG_MESH_CTR_REC_ACCEPTED]++;
	*out = e;
	*reason = 0;
	return rc;
}

struct mg_mesh_entry *mg_mesh_store_set_self(struct mg_mesh_store *s,
					     const struct mg_mesh_record *r, uint64_t now_ns)
{
	uint8_t raw[MG_MESH_RECORD_MAX];
	size_t len = mg_mesh_record_encode(r, raw, sizeof(raw));
	struct mg_mesh_entry *e = mg_mesh_store_find(s, r->id);
	int reason;

	if (!len)
		return NULL;
	if (!e)
		e = insert_new(s, r, id_key(r->id), true, now_ns, &reason);
	if (!e)
		return NULL;
	e->self = true;
	mg_mesh_store_confirm(s, e);
	e->state = MG_MESH_ALIVE;
	fill(s, e, r, raw, len);
	return e;
}

void mg_mesh_store_confirm(struct mg_mesh_store *s, struct mg_mesh_entry *e)
{
	uncount(s, e);
	e->confirmed = true;
}

bool mg_mesh_store_mark(struct mg_mesh_store *s, struct mg_mesh_entry *e, uint8_t state,
			uint64_t seq, uint64_t now_ns)
{
	/* A notice about a newer incarnation than the record held means the node issued a record
	 * we missed and was then suspected or found dead: the older record is no more alive than
	 * that one. (Gossip carries dead members only as notices, so waiting for the missed record
	 * would keep the member alive here until its record expires.) An ALIVE notice needs the
	 * record itself. A later record with the same seq does not revive it (see fill()). */
	if (e->self || seq < e->rec.seq || (seq > e->rec.seq && state == MG_MESH_ALIVE)) {
		if (seq < e->rec.seq)
			s->ctr[MG_MESH_CTR_MEMBER_STALE_RUMOUR]++;
		return false;
	}
	if (e->state == state || (e->state == MG_MESH_DEAD && state == MG_MESH_SUSPECT))
		return false;
	bucket_toggle(s, e);
	e->state = state;
	e->state_seq = seq;
	e->state_since_ns = now_ns;
	bucket_toggle(s, e);
	return true;
}

/* Drop the tombstones that removals left in the index, and zero source counts. */
static void rebuild_index(struct mg_mesh_store *s)
{
	memset(s->index, 0, s->index_cap * sizeof(*s->index));
	memset(s->src, 0, s->index_cap * sizeof(*s->src));
	for (uint32_t i = 0; i < s->cap; i++)
		if (s->e[i].used && !s->e[i].confirmed)
			src_slot(s, s->e[i].source)->count++;
	for (uint32_t i = 0; i < s->cap; i++) {
		uint32_t *slot;

		if (!s->e[i].used)
			continue;
		slot = index_slot(s, s->e[i].rec.id, true);
		if (slot)
			*slot = i + 1;
	}
}

uint32_t mg_mesh_store_expire(struct mg_mesh_store *s, uint64_t now_ns,
			      void (*gone)(void *ctx, struct mg_mesh_entry *e), void *ctx)
{
	uint32_t removed = 0;

	for (uint32_t i = 0; i < s->cap; i++) {
		struct mg_mesh_entry *e = &s->e[i];

		if (!e->used || e->self || e->rec.expires_ns > now_ns)
			continue;
		if (gone)
			gone(ctx, e);
		remove_entry(s, e);
		s->ctr[MG_MESH_CTR_REC_REMOVED_EXPIRED]++;
		removed++;
	}
	rebuild_index(s);
	return removed;
}
