/*
 * Fixed-base X25519: public keys of private ones, through libsodium's Ed25519 base-point table
 * and the Edwards-to-Montgomery map, and the handshake's ephemeral key pairs made that way a
 * batch at a time (x25519_base.c says why and how).
 */
#ifndef MG_WG_X25519_BASE_H
#define MG_WG_X25519_BASE_H

#include <stdint.h>

#define MG_X25519_KEY_LEN 32
#ifndef MG_X25519_BATCH
#define MG_X25519_BATCH 16 /* ephemerals per batch: one field inversion and one getrandom */
#endif
/* A batch's unused pairs are dropped this long after it was made, so a copy of memory holds at
 * most this much of the future's handshakes (the session keys beside them live 180 s). */
#define MG_X25519_BATCH_TTL_NS (1000ull * 1000 * 1000)

/* pub = X25519(priv, 9), byte for byte what crypto_scalarmult_base gives; 0, or -1 as that
 * would (never for a clamped scalar). */
int mg_x25519_public_key(uint8_t pub[MG_X25519_KEY_LEN], const uint8_t priv[MG_X25519_KEY_LEN]);

/* The same for n keys at once (1 <= n <= MG_X25519_BATCH), sharing one inversion; 0, or -1
 * when any of them failed as above or n is out of range. */
int mg_x25519_public_keys(uint8_t (*pub)[MG_X25519_KEY_LEN],
			  const uint8_t (*priv)[MG_X25519_KEY_LEN], unsigned n);

/* Fresh key pairs not handed out yet; zeroed is empty. One per handshaking device. */
struct mg_x25519_ephemerals {
	uint8_t priv[MG_X25519_BATCH][MG_X25519_KEY_LEN];
	uint8_t pub[MG_X25519_BATCH][MG_X25519_KEY_LEN];
	unsigned left;    /* pairs [0, left) are still unused */
	uint64_t made_ns; /* when the batch was made, on the caller's clock */
};

/* A fresh ephemeral pair, never handed out before; makes the next batch when none is left or
 * the batch is MG_X25519_BATCH_TTL_NS old (now_ns: any monotonic clock, always the same one). */
void mg_x25519_ephemeral(struct mg_x25519_ephemerals *e, uint64_t now_ns,
			 uint8_t priv[MG_X25519_KEY_LEN], uint8_t pub[MG_X25519_KEY_LEN]);
void mg_x25519_ephemerals_wipe(struct mg_x25519_ephemerals *e);

#endif
