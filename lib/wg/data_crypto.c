/* WireGuard transport-data AEAD (ChaCha20-Poly1305, whitepaper 5.4.6) through Intel IPsec-MB.
 *
 * Single packets use IPsec-MB's direct ChaCha20-Poly1305 API; bursts use its job burst API so
 * that the multi-buffer code paths can work on several packets at once. Each struct wraps one
 * IMB_MGR and scratch space for nonces and tags, and belongs to one lcore.
 */
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <sodium.h>

#include "data_crypto.h"
#include "wg_const.h"

enum data_crypto_sizes {
	NONCE_LEN = 12,
	KEY_LEN = 32,
	TAG_LEN = 16,
};

struct mg_wg_crypto {
	IMB_MGR *mgr;
	IMB_ARCH arch;
	uint8_t nonce[MG_WG_CRYPTO_BURST_MAX][NONCE_LEN];
	uint8_t tag[MG_WG_CRYPTO_BURST_MAX][TAG_LEN];   /* computed tags of open_burst */
};

struct mg_wg_crypto *mg_wg_crypto_create(void)
{
	struct mg_wg_crypto *c;

	if (sodium_init() < 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->mgr = alloc_mb_mgr(0);
	if (c->mgr == NULL)
		goto free_c;
	init_mb_mgr_auto(c->mgr, &c->arch);
	if (imb_get_errno(c->mgr) != 0 || c->arch == IMB_ARCH_NONE)
		goto free_mgr;
	return c;

free_mgr:
	free_mb_mgr(c->mgr);
free_c:
	free(c);
	return NULL;
}

void mg_wg_crypto_destroy(struct mg_wg_crypto *c)
{
	if (c == NULL)
		return;
	free_mb_mgr(c->mgr);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

const char *mg_wg_crypto_arch(const struct mg_wg_crypto *c)
{
	switch (c->arch) {
	case IMB_ARCH_NOAESNI: return "no-aesni";
	case IMB_ARCH_SSE: return "sse";
	case IMB_ARCH_AVX: return "avx";
	case IMB_ARCH_AVX2: return "avx2";
	case IMB_ARCH_AVX512: return "avx512";
	default: return "unknown";
	}
}

const char *mg_wg_crypto_version(void)
{
	return imb_get_version_str();
}

/* 32 zero bits, then the 64-bit counter little-endian. */
static inline void make_nonce(uint8_t nonce[NONCE_LEN], uint64_t counter)
{
	memset(nonce, 0, 4);
	for (unsigned i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

void mg_wg_data_seal(struct mg_wg_crypto *c, const uint8_t key[32], uint64_t counter,
		     uint8_t *buf, size_t len, uint8_t tag_out[16])
{
	struct chacha20_poly1305_context_data ctx;
	uint8_t nonce[NONCE_LEN];

	make_nonce(nonce, counter);
	IMB_CHACHA20_POLY1305_INIT(c->mgr, key, &ctx, nonce, NULL, 0);
	IMB_CHACHA20_POLY1305_ENC_UPDATE(c->mgr, key, &ctx, buf, buf, len);
	IMB_CHACHA20_POLY1305_ENC_FINALIZE(c->mgr, &ctx, tag_out, TAG_LEN);
	sodium_memzero(&ctx, sizeof(ctx)); /* holds the one-time Poly1305 key and keystream */
}

bool mg_wg_data_open(struct mg_wg_crypto *c, const uint8_t key[32], uint64_t counter,
		     uint8_t *buf, size_t len, const uint8_t tag[16])
{
	struct chacha20_poly1305_context_data ctx;
	uint8_t nonce[NONCE_LEN];
	uint8_t computed[TAG_LEN];
	bool ok;

	make_nonce(nonce, counter);
	IMB_CHACHA20_POLY1305_INIT(c->mgr, key, &ctx, nonce, NULL, 0);
	IMB_CHACHA20_POLY1305_DEC_UPDATE(c->mgr, key, &ctx, buf, buf, len);
	IMB_CHACHA20_POLY1305_DEC_FINALIZE(c->mgr, &ctx, computed, TAG_LEN);
	sodium_memzero(&ctx, sizeof(ctx));
	ok = crypto_verify_16(computed, tag) == 0;
	if (!ok)
		sodium_memzero(buf, len);
	return ok;
}

/* Fill one burst job for ops[i]. Sealing writes the tag straight to the op; opening writes the
 * computed tag to scratch, compared once the job has completed. */
static void fill_job(struct mg_wg_crypto *c, IMB_JOB *job, const struct mg_wg_crypto_op *op,
		     unsigned i, bool seal)
{
	make_nonce(c->nonce[i], op->counter);
	job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
	job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
	job->cipher_direction = seal ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = seal ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->enc_keys = op->key;
	job->dec_keys = op->key;
	job->key_len_in_bytes = KEY_LEN;
	job->src = op->buf;
	job->dst = op->buf;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = op->len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = op->len;
	job->iv = c->nonce[i];
	job->iv_len_in_bytes = NONCE_LEN;
	job->u.CHACHA20_POLY1305.aad = NULL;
	job->u.CHACHA20_POLY1305.aad_len_in_bytes = 0;
	job->auth_tag_output = seal ? op->tag : c->tag[i];
	job->auth_tag_output_len_in_bytes = TAG_LEN;
	job->user_data = (void *)(uintptr_t)i;
}

/* Run n jobs to completion; returns a mask of the ops whose job completed without error. */
static uint32_t run_burst(struct mg_wg_crypto *c, const struct mg_wg_crypto_op *ops, unsigned n,
			  bool seal)
{
	IMB_JOB *jobs[MG_WG_CRYPTO_BURST_MAX];
	uint32_t done = 0, completed_mask = 0;

	if (IMB_GET_NEXT_BURST(c->mgr, n, jobs) < n) {
		/* Jobs left from an earlier burst hold the queue: complete them first. */
		IMB_JOB *stale[IMB_MAX_BURST_SIZE];

		IMB_FLUSH_BURST(c->mgr, IMB_MAX_BURST_SIZE, stale);
		if (IMB_GET_NEXT_BURST(c->mgr, n, jobs) < n)
			return 0;
	}
	for (unsigned i = 0; i < n; i++)
		fill_job(c, jobs[i], &ops[i], i, seal);
	done = IMB_SUBMIT_BURST(c->mgr, n, jobs);
	for (;;) {
		for (uint32_t k = 0; k < done; k++)
			if (jobs[k]->status == IMB_STATUS_COMPLETED)
				completed_mask |= 1u << (uintptr_t)jobs[k]->user_data;
		if (done == 0 || (uint32_t)__builtin_popcount(completed_mask) >= n)
			break;
		done = IMB_FLUSH_BURST(c->mgr, n, jobs);
	}
	return completed_mask;
}

unsigned mg_wg_data_seal_burst(struct mg_wg_crypto *c, const struct mg_wg_crypto_op *ops,
			       unsigned n)
{
	uint32_t mask;

	if (n == 0 || n > MG_WG_CRYPTO_BURST_MAX)
		return 0;
	mask = run_burst(c, ops, n, true);
	return mask == (n == 32 ? UINT32_MAX : (1u << n) - 1) ? n : 0;
}

uint32_t mg_wg_data_open_burst(struct mg_wg_crypto *c, const struct mg_wg_crypto_op *ops,
			       unsigned n)
{
	uint32_t completed, ok = 0;

	if (n == 0 || n > MG_WG_CRYPTO_BURST_MAX)
		return 0;
	completed = run_burst(c, ops, n, false);
	for (unsigned i = 0; i < n; i++) {
		if ((completed & (1u << i)) && crypto_verify_16(c->tag[i], ops[i].tag) == 0)
			ok |= 1u << i;
		else
			sodium_memzero(ops[i].buf, ops[i].len);
	}
	return ok;
}
