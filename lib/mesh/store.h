/* The view: every node record this node holds, with membership state, bounded by caps.
 *
 * A record offered by gossip is accepted or rejected with a counted reason (malformed, unsigned,
 * bad signature, duplicate, stale sequence, expired, future, per-source cap, total cap).
 * Eviction only ever removes an unconfirmed record (heard of from one source, never from the node
 * itself); a confirmed live record is never displaced by an unknown identity.
 */
#ifndef MG_MESH_STORE_H
#define MG_MESH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh_const.h"
#include "record.h"

struct mg_mesh_entry {
	bool used;
	bool confirmed;          /* heard from the node itself, or from two distinct sources */
	bool self;               /* this node's own record: never evicted */
	uint8_t state;           /* enum mg_mesh_member_state */
	uint64_t state_seq;      /* record seq the SUSPECT/DEAD state is about */
	uint64_t state_since_ns;
	uint64_t source;         /* first 8 bytes of the id of the node that introduced it */
	uint64_t first_seen_ns;
	uint32_t hash;           /* this entry's share of its digest bucket */
	uint16_t raw_len;
	uint8_t raw[MG_MESH_RECORD_MAX];   /* the record as signed by its origin, re-gossiped as is */
	struct mg_mesh_record rec;
	/* Datagram replay state of this sender (node.c). */
	uint64_t rx_max_counter;
	uint64_t rx_recent[MG_MESH_REPLAY_RECENT];
	uint32_t user;           /* free for the owner (node.c: neighbour slot + 1, or 0) */
};

/* How many unconfirmed entries a source introduced (per-source cap, O(1) to check). */
struct mg_mesh_src_count {
	uint64_t source;
	uint32_t count;
};

struct mg_mesh_store {
	struct mg_mesh_entry *e;
	uint32_t cap;            /* entries, the self record included */
	uint32_t n;
	uint32_t source_cap;     /* unconfirmed entries introduced by one source */
	uint32_t *index;         /* open addressing over ids: entry index + 1, 0 = empty */
	uint32_t index_cap;      /* power of two, >= 2 * cap */
	uint32_t buckets[MG_MESH_BUCKETS]; /* XOR of the hashes of live entries, per first id byte */
	struct mg_mesh_src_count *src;     /* unconfirmed entries per source, index_cap slots */
	uint32_t free_hint;
	uint64_t *ctr;           /* the node's counters (enum mg_mesh_counter) */
};

/* Outcome of an offer. */
enum mg_mesh_offer_result {
	MG_MESH_OFFER_REJECTED = 0, /* reason counted in ctr and returned in *reason */
	MG_MESH_OFFER_NEW = 1,      /* an identity the view did not hold */
	MG_MESH_OFFER_NEWER = 2,    /* a higher sequence of a known identity */
};

int mg_mesh_store_init(struct mg_mesh_store *s, uint32_t cap, uint32_t source_cap,
		       uint64_t *ctr);
void mg_mesh_store_free(struct mg_mesh_store *s);

/* Offer an encoded record learnt from `source` (the datagram sender's id; the origin itself
 * confirms). On success *out points at the entry. *reason gets the counter index of a rejection
 * (REC_DUPLICATE for the same sequence again is a rejection too, but harmless). */
int mg_mesh_store_offer(struct mg_mesh_store *s, const uint8_t *raw, size_t len,
			const uint8_t source[MG_MESH_ID_LEN], uint64_t now_ns,
			struct mg_mesh_entry **out, int *reason);
/* Install this node's own record (already signed), replacing the previous one. */
struct mg_mesh_entry *mg_mesh_store_set_self(struct mg_mesh_store *s,
					     const struct mg_mesh_record *r, uint64_t now_ns);

struct mg_mesh_entry *mg_mesh_store_find(const struct mg_mesh_store *s,
					 const uint8_t id[MG_MESH_ID_LEN]);
/* The entry whose id starts with these 8 bytes (gossip summaries name records by tag). */
struct mg_mesh_entry *mg_mesh_store_find_tag(const struct mg_mesh_store *s,
					     const uint8_t tag[MG_MESH_TAG_LEN]);
/* Mark an entry as vouched for by direct contact (a verified datagram from its node). */
void mg_mesh_store_confirm(struct mg_mesh_store *s, struct mg_mesh_entry *e);
/* Apply a SUSPECT or DEAD claim about record seq `seq`. Returns true if the state changed; a
 * claim about an older seq than the held record is stale and ignored. */
bool mg_mesh_store_mark(struct mg_mesh_store *s, struct mg_mesh_entry *e, uint8_t state,
			uint64_t seq, uint64_t now_ns);
/* Remove expired records; returns how many. Calls gone(ctx, entry) before each removal. */
uint32_t mg_mesh_store_expire(struct mg_mesh_store *s, uint64_t now_ns,
			      void (*gone)(void *ctx, struct mg_mesh_entry *e), void *ctx);
/* Entry i (0 <= i < cap) or NULL when that slot is unused; for iteration. */
struct mg_mesh_entry *mg_mesh_store_at(const struct mg_mesh_store *s, uint32_t i);
/* Digest bucket of an id (its first byte). */
static inline uint32_t mg_mesh_store_bucket(const uint8_t id[MG_MESH_ID_LEN]) { return id[0]; }

#endif /* MG_MESH_STORE_H */
