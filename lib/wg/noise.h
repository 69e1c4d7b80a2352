/* The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake of WireGuard (whitepaper 5.4), both roles.
 *
 * Byte arrays in, byte arrays out: no packets, sockets, timers or index tables. The caller (the
 * device) allocates local indices, adds and checks the mac1/mac2 trailer, and acts on the return
 * codes. Every function wipes its temporary secrets on every exit path.
 */
#ifndef MG_WG_NOISE_H
#define MG_WG_NOISE_H

#include <stdbool.h>
#include <stdint.h>

#include "wg_const.h"
#include "wg_messages.h"
#include "x25519_base.h"

/* Outcome of a handshake step: what the caller should do with the message. */
enum mg_noise_result {
	MG_NOISE_OK = 0,
	MG_NOISE_ERR_DECRYPT,      /* AEAD open failed: drop */
	MG_NOISE_ERR_UNKNOWN_PEER, /* decrypted static key matches no peer: drop */
	MG_NOISE_ERR_REPLAY,       /* timestamp not greater than the last accepted one: drop */
	MG_NOISE_ERR_FLOOD,        /* initiations from this peer closer than 20 ms: drop */
	MG_NOISE_ERR_STATE,        /* message does not fit the handshake state: drop */
	MG_NOISE_ERR_INVALID_DH,   /* a Diffie-Hellman result was all zero: drop */
};

/* Where a peer's handshake stands. */
enum mg_noise_state {
	MG_NOISE_STATE_ZEROED = 0,
	MG_NOISE_STATE_CREATED_INITIATION,
	MG_NOISE_STATE_CONSUMED_INITIATION,
	MG_NOISE_STATE_CREATED_RESPONSE,
	MG_NOISE_STATE_CONSUMED_RESPONSE,
};

/* Our identity: the static key pair, and the handshake's opening state computed once from it;
 * and the ephemeral key pairs made ahead, a batch at a time (x25519_base.h). */
struct mg_noise_local {
	uint8_t private_key[MG_WG_KEY_LEN];
	uint8_t public_key[MG_WG_KEY_LEN];
	uint8_t initial_chaining_key[MG_WG_HASH_LEN]; /* HASH(construction) */
	uint8_t initial_hash[MG_WG_HASH_LEN];          /* HASH(initial ck || identifier) */
	uint8_t responder_hash[MG_WG_HASH_LEN];        /* HASH(initial_hash || public_key) */
	struct mg_x25519_ephemerals ephemerals;
};

/* The transient state of one handshake with one peer. */
struct mg_noise_handshake {
	enum mg_noise_state state;
	uint32_t local_index;      /* host-order value of the le32 on the wire */
	uint32_t remote_index;
	uint8_t hash[MG_WG_HASH_LEN];
	uint8_t chaining_key[MG_WG_HASH_LEN];
	uint8_t ephemeral_private[MG_WG_KEY_LEN];
	uint8_t remote_ephemeral[MG_WG_KEY_LEN];
};

/* Everything we keep about one remote peer for handshaking with it. */
struct mg_noise_peer {
	uint8_t remote_static[MG_WG_KEY_LEN];
	uint8_t preshared_key[MG_WG_KEY_LEN];           /* all zero when none is configured */
	uint8_t precomputed_static_static[MG_WG_KEY_LEN]; /* DH(our static, their static) */
	uint8_t latest_timestamp[MG_WG_TIMESTAMP_LEN];  /* greatest TAI64N accepted from them */
	uint64_t last_initiation_consumed_ns;
	bool has_consumed_initiation;
	struct mg_noise_handshake hs;
};

/* Transport keys yielded by a completed handshake. Indices are host-order values of the wire le32:
 * local_index is what the peer puts in data messages to us, remote_index what we put to them. */
struct mg_noise_keys {
	uint8_t send_key[MG_WG_KEY_LEN], recv_key[MG_WG_KEY_LEN];
	uint32_t local_index, remote_index;
	bool initiator;
};

/* Finds the peer owning a static public key (responder side); NULL when unknown. */
typedef struct mg_noise_peer *(*mg_noise_lookup_fn)(void *ctx, const uint8_t remote_static[MG_WG_KEY_LEN]);

/* Set our static key pair from a private key (clamped as X25519 does). Returns 0, or -1 if the
 * key is all zero. */
int mg_noise_local_init(struct mg_noise_local *l, const uint8_t private_key[MG_WG_KEY_LEN]);
void mg_noise_local_wipe(struct mg_noise_local *l);

/* Prepare a peer: stores its key and psk (NULL = none), precomputes the static-static DH.
 * Returns MG_NOISE_OK or MG_NOISE_ERR_INVALID_DH (a low-order public key). */
enum mg_noise_result mg_noise_peer_init(struct mg_noise_peer *p, const struct mg_noise_local *l,
					const uint8_t remote_static[MG_WG_KEY_LEN],
					const uint8_t *psk_or_null);
void mg_noise_peer_wipe(struct mg_noise_peer *p);
/* Forget the handshake in progress (keeps the peer's identity, timestamp and flood clock). */
void mg_noise_handshake_clear(struct mg_noise_handshake *hs);

/* Initiator: fill msg (type, sender index, e, encrypted s, encrypted timestamp). The macs are left
 * zero for the cookie maker. timestamp is the current TAI64N; now_ns the monotonic clock, which
 * ages the batch of ephemerals. */
enum mg_noise_result mg_noise_create_initiation(struct mg_noise_local *l, struct mg_noise_peer *p,
						uint32_t local_index, uint64_t now_ns,
						const uint8_t timestamp[MG_WG_TIMESTAMP_LEN],
						struct mg_wg_msg_initiation *msg);

/* Responder: decrypt an initiation, identify the peer through lookup, check its timestamp and
 * flood interval. On MG_NOISE_OK *peer_out holds the peer in state CONSUMED_INITIATION. */
enum mg_noise_result mg_noise_consume_initiation(const struct mg_noise_local *l,
						 const struct mg_wg_msg_initiation *msg, uint64_t now_ns,
						 mg_noise_lookup_fn lookup, void *lookup_ctx,
						 struct mg_noise_peer **peer_out);

/* Responder: build the response for a consumed initiation (macs left zero); now_ns as above. */
enum mg_noise_result mg_noise_create_response(struct mg_noise_local *l, struct mg_noise_peer *p,
					      uint32_t local_index, uint64_t now_ns,
					      struct mg_wg_msg_response *msg);

/* Initiator: consume a response addressed to p's pending initiation. */
enum mg_noise_result mg_noise_consume_response(const struct mg_noise_local *l, struct mg_noise_peer *p,
					       const struct mg_wg_msg_response *msg);

/* Either role, after create_response or consume_response: derive the transport keys and wipe the
 * handshake state. */
enum mg_noise_result mg_noise_begin_session(struct mg_noise_peer *p, struct mg_noise_keys *keys);

#endif /* MG_WG_NOISE_H */
