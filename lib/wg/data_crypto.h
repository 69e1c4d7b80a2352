/* Transport-data AEAD of WireGuard (ChaCha20-Poly1305, 64-bit counter nonce, no AAD) through
 * Intel IPsec-MB, in place.
 *
 * One struct mg_wg_crypto per lcore: it wraps an IMB_MGR, which is not thread-safe. The nonce is
 * 4 zero bytes followed by the counter in little-endian, as in the WireGuard whitepaper 5.4.6.
 */
#ifndef MG_WG_DATA_CRYPTO_H
#define MG_WG_DATA_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mg_wg_crypto_limits {
	MG_WG_CRYPTO_BURST_MAX = 32, /* most ops per mg_wg_data_*_burst call */
};

struct mg_wg_crypto;

/* One in-place AEAD operation of a burst. For seal, tag is written; for open, tag is read. */
struct mg_wg_crypto_op {
	const uint8_t *key;   /* 32 bytes */
	uint64_t counter;
	uint8_t *buf;
	size_t len;
	uint8_t *tag;         /* 16 bytes */
};

/* Allocate and initialise an IPsec-MB manager for the best instruction set of this CPU.
 * Returns NULL on failure. Call on (or for) the lcore that will use it. */
struct mg_wg_crypto *mg_wg_crypto_create(void);
void mg_wg_crypto_destroy(struct mg_wg_crypto *c);

/* Which IPsec-MB code path was chosen: "sse", "avx", "avx2", "avx512" or "no-aesni". */
const char *mg_wg_crypto_arch(const struct mg_wg_crypto *c);

/* The IPsec-MB library version in use, e.g. "1.3.0". */
const char *mg_wg_crypto_version(void);

/* Encrypt buf[0..len) in place and write the 16-byte tag. */
void mg_wg_data_seal(struct mg_wg_crypto *c, const uint8_t key[32], uint64_t counter,
		     uint8_t *buf, size_t len, uint8_t tag_out[16]);

/* Decrypt buf[0..len) in place; true if the tag verified (constant-time compare). On failure
 * buf is wiped, so unauthenticated plaintext never reaches the caller. */
bool mg_wg_data_open(struct mg_wg_crypto *c, const uint8_t key[32], uint64_t counter,
		     uint8_t *buf, size_t len, const uint8_t tag[16]);

/* The same for n <= MG_WG_CRYPTO_BURST_MAX buffers in one IPsec-MB job submission. seal_burst
 * returns the number sealed (n unless n is too large); open_burst returns a bit mask of the ops
 * whose tag verified (bit i for ops[i]); failed buffers are wiped. */
unsigned mg_wg_data_seal_burst(struct mg_wg_crypto *c, const struct mg_wg_crypto_op *ops,
			       unsigned n);
uint32_t mg_wg_data_open_burst(struct mg_wg_crypto *c, const struct mg_wg_crypto_op *ops,
			       unsigned n);

#endif /* MG_WG_DATA_CRYPTO_H */
