/* The WireGuard handshake driver: one struct per interface holding our identity, the cookie
 * checker, the handshake rate limiter, every peer's Noise and cookie-maker state, the public-key
 * table and the local-index table.
 *
 * mg_wg_device_handle() validates a handshake datagram (size, type, mac1; under load mac2 and the
 * rate limit), runs the Noise step and turns its result into actions, a reply datagram and
 * counters. Local indices are random 32-bit values; a handshake's index becomes its keypair's
 * index and stays mapped to the peer until the data plane releases it. A removed peer's id is
 * kept on a free stack and handed to the next peer added or admitted.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cookie.h"
#include "device.h"
#include "ratelimiter.h"
#include "tai64n.h"
#include "wg_messages.h"

enum {
	INDEX_SLOTS_PER_PEER = 8,  /* handshake + 3 keypairs live per peer, at load <= 1/2 */
	INDEX_ALLOC_TRIES = 64,
	INDEX_POOL = 64,           /* random index candidates drawn per randombytes_buf call */
	EMPTY = -1,
};

struct dev_peer {
	struct mg_noise_peer noise;
	struct mg_cookie_maker maker;
	uint32_t hs_index;         /* local index of the handshake in flight */
	bool hs_index_live;        /* hs_index is mapped and owned by the handshake (not a keypair) */
	bool live;                 /* added or admitted, not removed */
};

struct index_slot {
	uint32_t index;
	int32_t peer_id;           /* EMPTY when free */
};

struct mg_wg_device {
	struct mg_noise_local local;
	struct mg_cookie_checker checker;
	struct mg_ratelimiter *rl;
	bool open_mode;
	uint32_t max_peers, peer_count; /* peer_count: live peers */
	uint32_t id_end;           /* one past the highest id ever handed out */
	uint32_t *free_ids;        /* stack of removed ids below id_end, reused first */
	uint32_t n_free_ids;
	struct dev_peer *peers;    /* max_peers; a newcomer is staged in the slot of the next id */
	int32_t *key_table;        /* open addressing: peer ids by SipHash of public key */
	uint32_t key_mask;
	uint8_t key_hash_secret[crypto_shorthash_KEYBYTES];
	struct index_slot *idx_table;
	uint32_t idx_mask, idx_used;
	uint32_t idx_pool[INDEX_POOL];  /* random candidates not yet used, idx_pool_left of them */
	uint32_t idx_pool_left;
	/* Set by the lookup callback during one consume_initiation. */
	bool staged, lookup_full;
	struct mg_wg_device_stats stats;
};

static const char *const drop_names[] = {
#define MG_WG_DROP_STR(name, str) str,
	MG_WG_DROP_REASONS(MG_WG_DROP_STR)
#undef MG_WG_DROP_STR
};

const char *
mg_wg_drop_reason_str(enum mg_wg_drop_reason r)
{
	return (unsigned)r < MG_WG_DROP_COUNT ? drop_names[r] : "?";
}

static uint32_t
pow2_at_least(uint64_t n)
{
	uint32_t p = 16;

	while (p < n)
		p <<= 1;
	return p;
}

/* ---- public-key table: linear probing with backward-shift deletion ---- */

static uint32_t
key_slot(const struct mg_wg_device *dev, const uint8_t pub[MG_WG_KEY_LEN])
{
	uint64_t h;

	crypto_shorthash((uint8_t *)&h, pub, MG_WG_KEY_LEN, dev->key_hash_secret);
	return (uint32_t)h & dev->key_mask;
}

int
mg_wg_device_find_peer(const struct mg_wg_device *dev, const uint8_t pub[MG_WG_KEY_LEN])
{
	for (uint32_t i = key_slot(dev, pub);; i = (i + 1) & dev->key_mask) {
		int32_t id = dev->key_table[i];

		if (id == EMPTY)
			return -1;
		if (sodium_memcmp(dev->peers[id].noise.remote_static, pub, MG_WG_KEY_LEN) == 0)
			return id;
	}
}

static void
key_insert(struct mg_wg_device *dev, int32_t id)
{
	uint32_t i = key_slot(dev, dev->peers[id].noise.remote_static);

	while (dev->key_table[i] != EMPTY)
		i = (i + 1) & dev->key_mask;
	dev->key_table[i] = id;
}

/* Take peer id out of the table and shift later members of its probe run back (as idx_remove),
 * so lookups of the keys behind it still find them without tombstones. */
static void
key_remove(struct mg_wg_device *dev, int32_t id)
{
	uint32_t hole = key_slot(dev, dev->peers[id].noise.remote_static), i;

	while (dev->key_table[hole] != id) {
		if (dev->key_table[hole] == EMPTY)
			return;
		hole = (hole + 1) & dev->key_mask;
	}
	for (i = hole;;) {
		i = (i + 1) & dev->key_mask;
		if (dev->key_table[i] == EMPTY)
			break;
		uint32_t home = key_slot(dev, dev->peers[dev->key_table[i]].noise.remote_static);
		/* Move i into the hole unless its home lies cyclically in (hole, i]. */
		if (((i - home) & dev->key_mask) >= ((i - hole) & dev->key_mask)) {
			dev->key_table[hole] = dev->key_table[i];
			hole = i;
		}
	}
	dev->key_table[hole] = EMPTY;
}

/* ---- local-index table: linear probing with backward-shift deletion ---- */

static uint32_t
idx_find_slot(const struct mg_wg_device *dev, uint32_t index)
{
	uint32_t i = index & dev->idx_mask;

	while (dev->idx_table[i].peer_id != EMPTY && dev->idx_table[i].index != index)
		i = (i + 1) & dev->idx_mask;
	return i;
}

int
mg_wg_device_index_peer(const struct mg_wg_device *dev, uint32_t local_index)
{
	return dev->idx_table[idx_find_slot(dev, local_index)].peer_id;
}

/* A random 32-bit index candidate. randombytes_buf is one getrandom system call whatever the
 * size (about 2,200 cycles on the gateway's VM, as much as a tenth of a handshake's hashing), so
 * candidates are drawn INDEX_POOL at a time, as Linux batches get_random_u32 for its indices;
 * they are no secret: each goes on the wire in clear once used. */
static uint32_t
random_index(struct mg_wg_device *dev)
{
	if (dev->idx_pool_left == 0) {
		randombytes_buf(dev->idx_pool, sizeof(dev->idx_pool));
		dev->idx_pool_left = INDEX_POOL;
	}
	return dev->idx_pool[--dev->idx_pool_left];
}

/* A fresh random index mapped to peer_id; false when the table is half full (or bad luck). */
static bool
idx_alloc(struct mg_wg_device *dev, int32_t peer_id, uint32_t *out)
{
	if (dev->idx_used >= (dev->idx_mask + 1) / 2)
		return false;
	for (int tries = 0; tries < INDEX_ALLOC_TRIES; tries++) {
		uint32_t index = random_index(dev);
		uint32_t i;

		i = idx_find_slot(dev, index);
		if (dev->idx_table[i].peer_id != EMPTY)
			continue; /* already in use */
		dev->idx_table[i].index = index;
		dev->idx_table[i].peer_id = peer_id;
		dev->idx_used++;
		*out = index;
		return true;
	}
	return false;
}

/* Remove an index and shift later members of its probe run back, so no tombstones are needed. */
static void
idx_remove(struct mg_wg_device *dev, uint32_t index)
{
	uint32_t hole = idx_find_slot(dev, index), i = hole;

	if (dev->idx_table[hole].peer_id == EMPTY)
		return;
	for (;;) {
		i = (i + 1) & dev->idx_mask;
		if (dev->idx_table[i].peer_id == EMPTY)
			break;
		uint32_t home = dev->idx_table[i].index & dev->idx_mask;
		/* Move i into the hole unless its home lies cyclically in (hole, i]. */
		if (((i - home) & dev->idx_mask) >= ((i - hole) & dev->idx_mask)) {
			dev->idx_table[hole] = dev->idx_table[i];
			hole = i;
		}
	}
	dev->idx_table[hole].peer_id = EMPTY;
	dev->idx_table[hole].index = 0;
	dev->idx_used--;
}

/* Drop the index of a handshake that is abandoned or superseded. */
static void
release_hs_index(struct mg_wg_device *dev, struct dev_peer *p)
{
	if (p->hs_index_live) {
		idx_remove(dev, p->hs_index);
		p->hs_index_live = false;
	}
}

/* ---- lifecycle and peers ---- */

static bool
alloc_tables(struct mg_wg_device *dev, uint32_t max_peers)
{
	uint32_t key_slots = pow2_at_least(2ULL * max_peers);
	uint32_t idx_slots = pow2_at_least((uint64_t)INDEX_SLOTS_PER_PEER * max_peers);

	dev->peers = calloc(max_peers, sizeof(*dev->peers));
	dev->free_ids = calloc(max_peers, sizeof(*dev->free_ids));
	dev->key_table = malloc(sizeof(*dev->key_table) * key_slots);
	dev->idx_table = malloc(sizeof(*dev->idx_table) * idx_slots);
	if (dev->peers == NULL || dev->free_ids == NULL || dev->key_table == NULL ||
	    dev->idx_table == NULL)
		return false;
	memset(dev->key_table, 0xff, sizeof(*dev->key_table) * key_slots); /* all EMPTY */
	for (uint32_t i = 0; i < idx_slots; i++)
		dev->idx_table[i] = (struct index_slot){.index = 0, .peer_id = EMPTY};
	dev->key_mask = key_slots - 1;
	dev->idx_mask = idx_slots - 1;
	return true;
}

struct mg_wg_device *
mg_wg_device_create(const struct mg_wg_device_params *p)
{
	struct mg_wg_device *dev;

	if (p->max_peers == 0 || p->max_peers > (1u << 24) || sodium_init() < 0)
		return NULL;
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL)
		return NULL;
	if (mg_noise_local_init(&dev->local, p->private_key) != 0)
		goto err_free;
	if (!alloc_tables(dev, p->max_peers))
		goto err_free;
	dev->rl = mg_ratelimiter_create(p->handshake_rate, p->handshake_burst,
					MG_WG_DEVICE_RATELIMIT_SOURCES);
	if (dev->rl == NULL)
		goto err_free;
	mg_cookie_checker_init(&dev->checker, dev->local.public_key);
	randombytes_buf(dev->key_hash_secret, sizeof(dev->key_hash_secret));
	dev->open_mode = p->open_mode;
	dev->max_peers = p->max_peers;
	return dev;
err_free:
	mg_wg_device_destroy(dev);
	return NULL;
}

void
mg_wg_device_destroy(struct mg_wg_device *dev)
{
	if (dev == NULL)
		return;
	if (dev->peers != NULL) {
		sodium_memzero(dev->peers, sizeof(*dev->peers) * dev->max_peers);
		free(dev->peers);
	}
	free(dev->free_ids);
	free(dev->key_table);
	free(dev->idx_table);
	if (dev->rl != NULL)
		mg_ratelimiter_destroy(dev->rl);
	sodium_memzero(dev, sizeof(*dev)); /* static key, ephemerals made ahead, cookie and hash secrets */
	free(dev);
}

void
mg_wg_device_public_key(const struct mg_wg_device *dev, uint8_t out[MG_WG_KEY_LEN])
{
	memcpy(out, dev->local.public_key, MG_WG_KEY_LEN);
}

uint32_t
mg_wg_device_peer_count(const struct mg_wg_device *dev)
{
	return dev->peer_count;
}

uint32_t
mg_wg_device_peer_id_end(const struct mg_wg_device *dev)
{
	return dev->id_end;
}

static bool
peer_live(const struct mg_wg_device *dev, int peer_id)
{
	return peer_id >= 0 && (uint32_t)peer_id < dev->id_end && dev->peers[peer_id].live;
}

const uint8_t *
mg_wg_device_peer_public_key(const struct mg_wg_device *dev, int peer_id)
{
	return peer_live(dev, peer_id) ? dev->peers[peer_id].noise.remote_static : NULL;
}

/* The id the next peer gets: the most recently removed one, else a fresh one; -1 when full. */
static int
next_id(const struct mg_wg_device *dev)
{
	if (dev->n_free_ids > 0)
		return (int)dev->free_ids[dev->n_free_ids - 1];
	return dev->id_end < dev->max_peers ? (int)dev->id_end : -1;
}

/* Make the staged slot peers[next_id] a real peer: cookie maker, key table, counts. */
static int
commit_peer(struct mg_wg_device *dev)
{
	int id = next_id(dev);
	struct dev_peer *p = &dev->peers[id];

	if (dev->n_free_ids > 0)
		dev->n_free_ids--;
	else
		dev->id_end++;
	mg_cookie_maker_init(&p->maker, p->noise.remote_static);
	p->hs_index_live = false;
	p->live = true;
	key_insert(dev, id);
	dev->peer_count++;
	return id;
}

int
mg_wg_device_add_peer(struct mg_wg_device *dev, const uint8_t pub[MG_WG_KEY_LEN], const uint8_t *psk_or_null)
{
	int id = next_id(dev);
	struct dev_peer *p;

	if (id < 0 || mg_wg_device_find_peer(dev, pub) >= 0)
		return -1;
	p = &dev->peers[id];
	if (mg_noise_peer_init(&p->noise, &dev->local, pub, psk_or_null) != MG_NOISE_OK)
		return -1;
	return commit_peer(dev);
}

/* Release every local index still mapped to peer_id. A deletion shifts later members of the
 * probe run back into the slot just freed, so that slot is looked at again before moving on;
 * an entry never moves from a slot not yet visited to one already visited, so none is missed. */
static void
release_peer_indices(struct mg_wg_device *dev, int32_t peer_id)
{
	for (uint32_t i = 0; i <= dev->idx_mask; i++)
		while (dev->idx_table[i].peer_id == peer_id)
			idx_remove(dev, dev->idx_table[i].index);
}

int
mg_wg_device_remove_peer(struct mg_wg_device *dev, int peer_id)
{
	struct dev_peer *p;

	if (!peer_live(dev, peer_id))
		return -1;
	p = &dev->peers[peer_id];
	key_remove(dev, peer_id); /* before the wipe: the slot is found by hashing the key */
	release_peer_indices(dev, peer_id);
	sodium_memzero(p, sizeof(*p)); /* static key, psk, precomputed DH, handshake, cookie */
	dev->free_ids[dev->n_free_ids++] = (uint32_t)peer_id;
	dev->peer_count--;
	dev->stats.peers_removed++;
	return 0;
}

static struct dev_peer *
peer_of(const struct mg_noise_peer *np)
{
	return (struct dev_peer *)((const uint8_t *)np - offsetof(struct dev_peer, noise));
}

/* Noise lookup callback: known peers, or in open mode a newcomer staged in the spare slot. */
static struct mg_noise_peer *
lookup_static(void *ctx, const uint8_t pub[MG_WG_KEY_LEN])
{
	struct mg_wg_device *dev = ctx;
	int id = mg_wg_device_find_peer(dev, pub);
	struct dev_peer *stage;

	if (id >= 0)
		return &dev->peers[id].noise;
	if (!dev->open_mode)
		return NULL;
	if (next_id(dev) < 0) {
		dev->lookup_full = true;
		return NULL;
	}
	stage = &dev->peers[next_id(dev)];
	if (mg_noise_peer_init(&stage->noise, &dev->local, pub, NULL) != MG_NOISE_OK)
		return NULL;
	dev->staged = true;
	return &stage->noise;
}

/* ---- handling datagrams ---- */

static void
drop(struct mg_wg_device *dev, struct mg_wg_handshake_result *res, enum mg_wg_drop_reason why)
{
	res->drop = why;
	dev->stats.drops[why]++;
}

static enum mg_wg_drop_reason
noise_drop_reason(enum mg_noise_result rc)
{
	switch (rc) {
	case MG_NOISE_ERR_DECRYPT: return MG_WG_DROP_DECRYPT_FAILED;
	case MG_NOISE_ERR_UNKNOWN_PEER: return MG_WG_DROP_UNKNOWN_PEER;
	case MG_NOISE_ERR_REPLAY: return MG_WG_DROP_REPLAYED_TIMESTAMP;
	case MG_NOISE_ERR_FLOOD: return MG_WG_DROP_FLOOD;
	case MG_NOISE_ERR_STATE: return MG_WG_DROP_WRONG_STATE;
	case MG_NOISE_ERR_INVALID_DH: return MG_WG_DROP_INVALID_DH;
	case MG_NOISE_OK: break;
	}
	return MG_WG_DROP_NONE;
}

/* mac1 always; under load mac2 (else answer with a cookie) and the per-source rate limit.
 * Returns true when the message may go on to the (expensive) Noise step. */
static bool
check_macs(struct mg_wg_device *dev, uint32_t ip, uint16_t port, const uint8_t *msg, size_t len,
	   uint64_t now_ns, bool under_load, uint8_t *out, size_t *out_len,
	   struct mg_wg_handshake_result *res)
{
	enum mg_cookie_mac_state st = mg_cookie_validate(&dev->checker, msg, len, ip, port, under_load, now_ns);

	if (st == MG_COOKIE_MAC_INVALID) {
		drop(dev, res, MG_WG_DROP_BAD_MAC1);
		return false;
	}
	if (!under_load)
		return true;
	if (st != MG_COOKIE_MAC1_MAC2_OK) {
		mg_cookie_create_reply(&dev->checker, msg, len, ip, port, now_ns,
				       (struct mg_wg_msg_cookie_reply *)out);
		*out_len = MG_WG_MSG_COOKIE_REPLY_LEN;
		res->actions |= MG_WG_ACT_REPLY;
		dev->stats.cookie_replies_sent++;
		drop(dev, res, MG_WG_DROP_COOKIE_REQUIRED);
		return false;
	}
	if (!mg_ratelimiter_allow(dev->rl, ip, now_ns)) {
		drop(dev, res, MG_WG_DROP_RATE_LIMITED);
		return false;
	}
	return true;
}

/* Consume an initiation; returns the peer id, or -1 after counting the drop. Commits a staged
 * open-mode newcomer only when the whole initiation checked out. */
static int
consume_initiation(struct mg_wg_device *dev, const struct mg_wg_msg_initiation *m, uint64_t now_ns,
		   struct mg_wg_handshake_result *res)
{
	struct mg_noise_peer *np;
	enum mg_noise_result rc;

	dev->staged = dev->lookup_full = false;
	rc = mg_noise_consume_initiation(&dev->local, m, now_ns, lookup_static, dev, &np);
	if (rc != MG_NOISE_OK) {
		if (dev->staged)
			mg_noise_peer_wipe(&dev->peers[next_id(dev)].noise);
		drop(dev, res, dev->lookup_full ? MG_WG_DROP_PEERS_FULL : noise_drop_reason(rc));
		return -1;
	}
	if (dev->staged) {
		res->actions |= MG_WG_ACT_NEW_PEER;
		dev->stats.peers_admitted++;
		return commit_peer(dev);
	}
	return (int)(peer_of(np) - dev->peers);
}

static void
handle_initiation(struct mg_wg_device *dev, const uint8_t *msg, uint64_t now_ns, uint8_t *out,
		  size_t *out_len, struct mg_wg_handshake_result *res)
{
	struct mg_wg_msg_response resp;
	struct dev_peer *p;
	enum mg_noise_result rc;
	uint32_t index;
	int id;

	id = consume_initiation(dev, (const struct mg_wg_msg_initiation *)msg, now_ns, res);
	if (id < 0)
		return;
	res->peer_id = id;
	p = &dev->peers[id];
	release_hs_index(dev, p); /* a newer initiation supersedes whatever we had in flight */
	if (!idx_alloc(dev, id, &index)) {
		mg_noise_handshake_clear(&p->noise.hs);
		drop(dev, res, MG_WG_DROP_NO_INDEX);
		return;
	}
	rc = mg_noise_create_response(&dev->local, &p->noise, index, now_ns, &resp);
	if (rc == MG_NOISE_OK)
		rc = mg_noise_begin_session(&p->noise, &res->keys);
	if (rc != MG_NOISE_OK) {
		idx_remove(dev, index);
		mg_noise_handshake_clear(&p->noise.hs);
		drop(dev, res, noise_drop_reason(rc));
		return;
	}
	/* The index now belongs to the responder's keypair, until the data plane releases it. */
	mg_cookie_add_macs(&p->maker, (uint8_t *)&resp, sizeof(resp), now_ns);
	memcpy(out, &resp, sizeof(resp));
	*out_len = sizeof(resp);
	res->actions |= MG_WG_ACT_REPLY | MG_WG_ACT_SESSION;
	dev->stats.responses_sent++;
	dev->stats.handshakes_completed++;
}

static void
handle_response(struct mg_wg_device *dev, const uint8_t *msg, struct mg_wg_handshake_result *res)
{
	const struct mg_wg_msg_response *m = (const struct mg_wg_msg_response *)msg;
	uint32_t receiver = mg_wg_le32_get(m->receiver_index);
	enum mg_noise_result rc;
	struct dev_peer *p;
	int id;

	id = mg_wg_device_index_peer(dev, receiver);
	if (id < 0) {
		drop(dev, res, MG_WG_DROP_UNKNOWN_INDEX);
		return;
	}
	res->peer_id = id;
	p = &dev->peers[id];
	if (!p->hs_index_live || p->hs_index != receiver) {
		drop(dev, res, MG_WG_DROP_WRONG_STATE); /* index of a keypair, not of our initiation */
		return;
	}
	rc = mg_noise_consume_response(&dev->local, &p->noise, m);
	if (rc == MG_NOISE_OK)
		rc = mg_noise_begin_session(&p->noise, &res->keys);
	if (rc != MG_NOISE_OK) {
		drop(dev, res, noise_drop_reason(rc));
		return;
	}
	p->hs_index_live = false; /* index handed to the initiator's keypair */
	res->actions |= MG_WG_ACT_SESSION;
	dev->stats.handshakes_completed++;
}

static void
handle_cookie_reply(struct mg_wg_device *dev, const uint8_t *msg, uint64_t now_ns,
		    struct mg_wg_handshake_result *res)
{
	const struct mg_wg_msg_cookie_reply *r = (const struct mg_wg_msg_cookie_reply *)msg;
	int id = mg_wg_device_index_peer(dev, mg_wg_le32_get(r->receiver_index));

	if (id < 0) {
		drop(dev, res, MG_WG_DROP_UNKNOWN_INDEX);
		return;
	}
	res->peer_id = id;
	if (mg_cookie_consume_reply(&dev->peers[id].maker, r, now_ns) != 0) {
		drop(dev, res, MG_WG_DROP_DECRYPT_FAILED);
		return;
	}
	res->actions |= MG_WG_ACT_COOKIE;
	dev->stats.cookie_replies_received++;
}

/* Exact size each handshake-class type must have; 0 for types this driver does not take. */
static size_t
expected_len(uint8_t type)
{
	switch (type) {
	case MG_WG_MSG_INITIATION: return MG_WG_MSG_INITIATION_LEN;
	case MG_WG_MSG_RESPONSE: return MG_WG_MSG_RESPONSE_LEN;
	case MG_WG_MSG_COOKIE_REPLY: return MG_WG_MSG_COOKIE_REPLY_LEN;
	default: return 0;
	}
}

/* Every well-formed initiation or response is counted, before the mac checks can drop it. */
static void
count_received(struct mg_wg_device *dev, uint8_t type)
{
	if (type == MG_WG_MSG_INITIATION)
		dev->stats.initiations_received++;
	else
		dev->stats.responses_received++;
}

void
mg_wg_device_handle(struct mg_wg_device *dev, uint32_t src_ip_be, uint16_t src_port_be,
		    const uint8_t *msg, size_t len, uint64_t now_ns, const struct timespec *wall,
		    bool under_load, uint8_t *out, size_t *out_len, struct mg_wg_handshake_result *res)
{
	uint8_t type = mg_wg_msg_type(msg, len);
	size_t want = expected_len(type);

	(void)wall; /* the responder needs no wall clock; kept so callers pass one for both roles */
	memset(res, 0, sizeof(*res));
	res->peer_id = -1;
	*out_len = 0;
	if (len < 4 || (want != 0 && len != want)) {
		drop(dev, res, MG_WG_DROP_BAD_SIZE);
		return;
	}
	if (want == 0) {
		drop(dev, res, MG_WG_DROP_UNKNOWN_TYPE);
		return;
	}
	if (type == MG_WG_MSG_COOKIE_REPLY) {
		handle_cookie_reply(dev, msg, now_ns, res);
		return;
	}
	count_received(dev, type);
	if (!check_macs(dev, src_ip_be, src_port_be, msg, len, now_ns, under_load, out, out_len, res))
		return;
	if (type == MG_WG_MSG_INITIATION)
		handle_initiation(dev, msg, now_ns, out, out_len, res);
	else
		handle_response(dev, msg, res);
}

int
mg_wg_device_create_initiation(struct mg_wg_device *dev, int peer_id, uint64_t now_ns,
			       const struct timespec *wall, uint8_t out[MG_WG_MSG_INITIATION_LEN])
{
	struct mg_wg_msg_initiation m;
	uint8_t ts[MG_WG_TIMESTAMP_LEN];
	struct dev_peer *p;
	uint32_t index;

	if (!peer_live(dev, peer_id))
		return -1;
	p = &dev->peers[peer_id];
	release_hs_index(dev, p);
	if (!idx_alloc(dev, peer_id, &index))
		return -1;
	mg_tai64n_from_timespec(wall, ts);
	if (mg_noise_create_initiation(&dev->local, &p->noise, index, now_ns, ts, &m) != MG_NOISE_OK) {
		idx_remove(dev, index);
		return -1;
	}
	mg_cookie_add_macs(&p->maker, (uint8_t *)&m, sizeof(m), now_ns);
	memcpy(out, &m, sizeof(m));
	p->hs_index = index;
	p->hs_index_live = true;
	dev->stats.initiations_sent++;
	return 0;
}

void
mg_wg_device_clear_handshake(struct mg_wg_device *dev, int peer_id)
{
	struct dev_peer *p;

	if (!peer_live(dev, peer_id))
		return;
	p = &dev->peers[peer_id];
	release_hs_index(dev, p);
	mg_noise_handshake_clear(&p->noise.hs);
}

void
mg_wg_device_release_index(struct mg_wg_device *dev, uint32_t local_index)
{
	int id = mg_wg_device_index_peer(dev, local_index);
	struct dev_peer *p;

	if (id < 0)
		return;
	p = &dev->peers[id];
	if (p->hs_index_live && p->hs_index == local_index) {
		p->hs_index_live = false;
		mg_noise_handshake_clear(&p->noise.hs);
	}
	idx_remove(dev, local_index);
}

void
mg_wg_device_get_stats(const struct mg_wg_device *dev, struct mg_wg_device_stats *st)
{
	*st = dev->stats;
}
