/* BLAKE2s for the handshake (noise.c, cookie.c): libb2, through the entry points this build picked.
 *
 * Debian's libb2 is a fat build that dispatches on CPU features to its SSE/AVX code; on the
 * gateway's AMD Zen 5 its portable C code is faster (two blocks: 465 against 823 cycles), and a
 * handshake hashes about 100 blocks. meson defines MG_WG_BLAKE2S_REF when libb2 exports that code
 * (blake2s_init_ref and friends, not in blake2.h); otherwise the dispatching API is used.
 */
#ifndef MG_WG_BLAKE2S_H
#define MG_WG_BLAKE2S_H

#include <stddef.h>
#include <stdint.h>

#include <blake2.h>

#ifdef MG_WG_BLAKE2S_REF
/* libb2's own names for its portable implementation (same state, same results). */
int blake2s_init_ref(blake2s_state *S, size_t outlen);
int blake2s_update_ref(blake2s_state *S, const uint8_t *in, size_t inlen);
int blake2s_final_ref(blake2s_state *S, uint8_t *out, size_t outlen);
int blake2s_ref(uint8_t *out, const void *in, const void *key, size_t outlen, size_t inlen,
		size_t keylen);
#define MG_B2S(f) f##_ref
#else
#define MG_B2S(f) f
#endif

static inline void
mg_blake2s_init(blake2s_state *s, size_t outlen)
{
	MG_B2S(blake2s_init)(s, outlen);
}

static inline void
mg_blake2s_update(blake2s_state *s, const void *in, size_t len)
{
	MG_B2S(blake2s_update)(s, in, len);
}

static inline void
mg_blake2s_final(blake2s_state *s, uint8_t *out, size_t outlen)
{
	MG_B2S(blake2s_final)(s, out, outlen);
}

/* One call: out = BLAKE2s-outlen(in), keyed when keylen > 0. */
static inline void
mg_blake2s(uint8_t *out, size_t outlen, const void *in, size_t len, const void *key, size_t keylen)
{
	MG_B2S(blake2s)(out, in, key, outlen, len, keylen);
}

#undef MG_B2S
#endif /* MG_WG_BLAKE2S_H */
