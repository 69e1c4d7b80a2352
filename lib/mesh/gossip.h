/* Gossip: bootstrap, push-pull anti-entropy with bucket digests, and piggybacked rumours.
 *
 * Every gossip interval a node sends its digest (one 32-bit hash per id bucket) to `fanout`
 * random live members, or to its configured seeds while it knows nobody. The receiver answers
 * with its own digest and the records of mismatched buckets (pull for the sender); the sender
 * then pushes its records of buckets that still differ (push). Membership changes (SUSPECT,
 * DEAD, refuting records) ride as rumours on every datagram, each a bounded number of times.
 */
#ifndef MG_MESH_GOSSIP_H
#define MG_MESH_GOSSIP_H

#include <stdbool.h>
#include <stdint.h>

#include "mesh_const.h"
#include "wire.h"

enum mg_mesh_rumour_kind {
	MG_MESH_RUMOUR_SUSPECT = MG_MESH_MSG_SUSPECT,
	MG_MESH_RUMOUR_DEAD = MG_MESH_MSG_DEAD,
	MG_MESH_RUMOUR_RECORD = MG_MESH_MSG_RECORD, /* the view's current record of id */
};

struct mg_mesh_rumour {
	uint8_t kind;               /* enum mg_mesh_rumour_kind, 0 = free slot */
	uint8_t left;               /* transmissions left */
	uint8_t id[MG_MESH_ID_LEN];
	uint64_t seq;
};

struct mg_mesh_rumours {
	struct mg_mesh_rumour r[MG_MESH_RUMOURS_MAX];
	uint32_t n;
};

/* Queue a rumour (replacing any older one about the same id) for `times` transmissions. */
void mg_mesh_rumour_add(struct mg_mesh_rumours *q, uint8_t kind,
			const uint8_t id[MG_MESH_ID_LEN], uint64_t seq, uint8_t times);
/* Transmissions per rumour for a view of n members: 3 * ceil(log2(n + 1)), SWIM's lambda log n. */
uint8_t mg_mesh_rumour_times(uint32_t n_members);

/* Compare two digests: sets bit b of mismatch (32 bytes) for each differing bucket, returns how
 * many differ. */
uint32_t mg_mesh_digest_diff(const uint32_t mine[MG_MESH_BUCKETS],
			     const uint32_t theirs[MG_MESH_BUCKETS], uint8_t mismatch[32]);
/* Encode/decode a DIGEST message value (MG_MESH_DIGEST_LEN bytes). Decode returns 0 or -1. */
void mg_mesh_digest_put(uint8_t *p, uint8_t flags, const uint32_t buckets[MG_MESH_BUCKETS]);
int mg_mesh_digest_get(const uint8_t *p, uint16_t len, uint8_t *flags,
		       uint32_t buckets[MG_MESH_BUCKETS]);

#endif /* MG_MESH_GOSSIP_H */
