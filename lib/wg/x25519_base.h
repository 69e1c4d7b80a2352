/*
 * Fixed-base X25519: the public key of a private one, through libsodium's Ed25519 base-point
 * table and the Edwards-to-Montgomery map (x25519_base.c says why and how).
 */
#ifndef MG_WG_X25519_BASE_H
#define MG_WG_X25519_BASE_H

#include <stdint.h>

#define MG_X25519_KEY_LEN 32

/* pub = X25519(priv, 9), byte for byte what crypto_scalarmult_base gives; 0, or -1 as that
 * would (never for a clamped scalar). */
int mg_x25519_public_key(uint8_t pub[MG_X25519_KEY_LEN], const uint8_t priv[MG_X25519_KEY_LEN]);

#endif
