/* The sans-I/O WireGuard handshake driver the control lcore calls for every handshake datagram.
 *
 * It owns our static key, the cookie checker, a handshake rate limiter, every peer's handshake
 * and cookie state (peer ids from 0, reused after removal, looked up by public key) and the
 * local-index table (random unique 32-bit index -> peer id). Datagrams and a clock go in; a
 * reply datagram, actions and transport keys come out. Drops are counted by reason.
 */
#ifndef MG_WG_DEVICE_H
#define MG_WG_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "noise.h"
#include "wg_const.h"

/* Why a handshake datagram was dropped: one list for the enum and its strings. */
#define MG_WG_DROP_REASONS(X)                                   \
	X(NONE, "none")                                         \
	X(BAD_SIZE, "bad size")                                 \
	X(UNKNOWN_TYPE, "unknown type")                         \
	X(BAD_MAC1, "bad mac1")                                 \
	X(COOKIE_REQUIRED, "cookie required (cookie reply sent)") \
	X(RATE_LIMITED, "rate limited")                         \
	X(DECRYPT_FAILED, "decrypt failed")                     \
	X(UNKNOWN_PEER, "unknown peer")                         \
	X(REPLAYED_TIMESTAMP, "replayed timestamp")             \
	X(FLOOD, "initiation flood")                            \
	X(UNKNOWN_INDEX, "unknown index")                       \
	X(WRONG_STATE, "wrong handshake state")                 \
	X(PEERS_FULL, "peers full")                             \
	X(INVALID_DH, "invalid DH result")                      \
	X(NO_INDEX, "no free local index")

enum mg_wg_drop_reason {
#define MG_WG_DROP_ENUM(name, str) MG_WG_DROP_##name,
	MG_WG_DROP_REASONS(MG_WG_DROP_ENUM)
#undef MG_WG_DROP_ENUM
	MG_WG_DROP_COUNT,
};

/* Human-readable name of a drop reason ("?" when out of range). */
const char *mg_wg_drop_reason_str(enum mg_wg_drop_reason r);

/* Action bits of a handled datagram. */
enum mg_wg_action {
	MG_WG_ACT_REPLY = 1 << 0,    /* send out[0..out_len) back to the source */
	MG_WG_ACT_SESSION = 1 << 1,  /* res.keys holds a new keypair for res.peer_id */
	MG_WG_ACT_NEW_PEER = 1 << 2, /* open mode admitted a new peer, res.peer_id */
	MG_WG_ACT_COOKIE = 1 << 3,   /* a cookie reply was consumed for res.peer_id: retry later */
};

enum mg_wg_device_limits {
	MG_WG_DEVICE_OUT_MIN = MG_WG_MSG_INITIATION_LEN, /* size of the out buffer for handle() */
	MG_WG_DEVICE_RATELIMIT_SOURCES = 4096,          /* rate limiter table capacity */
};

struct mg_wg_device_params {
	uint8_t private_key[MG_WG_KEY_LEN];
	uint32_t handshake_rate, handshake_burst; /* per source address, while under load */
	bool open_mode;                           /* admit unknown static keys as new peers */
	uint32_t max_peers;
};

struct mg_wg_handshake_result {
	uint32_t actions;                 /* enum mg_wg_action bits */
	int peer_id;                      /* -1 when unknown */
	enum mg_wg_drop_reason drop;      /* MG_WG_DROP_NONE unless dropped */
	struct mg_noise_keys keys;        /* valid with MG_WG_ACT_SESSION; caller wipes after use */
};

struct mg_wg_device_stats {
	uint64_t handshakes_completed;
	uint64_t initiations_received, initiations_sent;
	uint64_t responses_received, responses_sent;
	uint64_t cookie_replies_received, cookie_replies_sent;
	uint64_t peers_admitted;          /* open mode */
	uint64_t peers_removed;           /* mg_wg_device_remove_peer */
	uint64_t drops[MG_WG_DROP_COUNT];
};

struct mg_wg_device;

/* NULL on a zero private key, max_peers == 0, or allocation failure. */
struct mg_wg_device *mg_wg_device_create(const struct mg_wg_device_params *p);
/* Wipes every key, handshake and cookie secret, then frees. NULL is fine. */
void mg_wg_device_destroy(struct mg_wg_device *dev);
void mg_wg_device_public_key(const struct mg_wg_device *dev, uint8_t out[MG_WG_KEY_LEN]);
/* Returns the new peer id (>= 0), or -1 when full, duplicate key, or an invalid (low-order) key. */
int mg_wg_device_add_peer(struct mg_wg_device *dev, const uint8_t pub[MG_WG_KEY_LEN],
			  const uint8_t *psk_or_null);
/* Peer id by public key, or -1. */
int mg_wg_device_find_peer(const struct mg_wg_device *dev, const uint8_t pub[MG_WG_KEY_LEN]);
/* NULL when peer_id is not a live peer (out of range, or removed). */
const uint8_t *mg_wg_device_peer_public_key(const struct mg_wg_device *dev, int peer_id);
/* Live peers (added or admitted, not removed). */
uint32_t mg_wg_device_peer_count(const struct mg_wg_device *dev);
/* One past the highest peer id ever handed out: the loop bound for per-peer work. Ids below it
 * may be free (removed and not yet reused); mg_wg_device_peer_public_key() tells. */
uint32_t mg_wg_device_peer_id_end(const struct mg_wg_device *dev);

/* Forget a peer (open-mode reclamation): its key leaves the public-key table, every local index
 * still mapped to it is released, its handshake, cookie and static-key state are wiped, and its
 * id becomes the one the next admission (or mg_wg_device_add_peer) gets. The caller must have
 * made the id safe to reuse first (data plane and NAT, see docs/wireguard.md). Returns 0, or -1
 * when peer_id is not a live peer. */
int mg_wg_device_remove_peer(struct mg_wg_device *dev, int peer_id);

/* One handshake-class datagram (type 1, 2 or 3) from src (network-order address and port).
 * under_load: the caller's backlog says cookies are required (mac2) and rate limiting applies.
 * May write one reply datagram (response or cookie reply) to out/out_len (out holds at least
 * MG_WG_DEVICE_OUT_MIN bytes; *out_len is 0 when there is no reply). */
void mg_wg_device_handle(struct mg_wg_device *dev, uint32_t src_ip_be, uint16_t src_port_be,
			 const uint8_t *msg, size_t len, uint64_t now_ns, const struct timespec *wall,
			 bool under_load, uint8_t *out, size_t *out_len,
			 struct mg_wg_handshake_result *res);

/* Initiator role: build a complete initiation (with macs) for peer_id into out.
 * Returns 0, or -1 on a bad peer id or index exhaustion. */
int mg_wg_device_create_initiation(struct mg_wg_device *dev, int peer_id, uint64_t now_ns,
				   const struct timespec *wall, uint8_t out[MG_WG_MSG_INITIATION_LEN]);

/* Abandon the handshake in flight with peer_id (timers gave up, or all keys are being zeroed):
 * wipes its ephemeral key and chaining state and releases its index. Keypairs are not touched. */
void mg_wg_device_clear_handshake(struct mg_wg_device *dev, int peer_id);

/* The data plane dropped a keypair: release its local index. Unknown indices are ignored. */
void mg_wg_device_release_index(struct mg_wg_device *dev, uint32_t local_index);
/* Peer owning a local index (handshake or keypair), or -1. */
int mg_wg_device_index_peer(const struct mg_wg_device *dev, uint32_t local_index);

void mg_wg_device_get_stats(const struct mg_wg_device *dev, struct mg_wg_device_stats *st);

#endif /* MG_WG_DEVICE_H */
