/* Unit tests of the transport-data AEAD (lib/wg/data_crypto.c) against libsodium.
 *
 * libsodium's crypto_aead_chacha20poly1305_ietf_encrypt, with the nonce the whitepaper defines
 * (4 zero bytes, then the counter little-endian) and no additional data, is the reference for
 * every length a WireGuard packet body takes here, single and burst.
 */
#include <string.h>

#include "mg_cunit.h"
#include <sodium.h>

#include "data_crypto.h"

enum { MAXLEN = 1600, TAG = 16 };

static const size_t lengths[] = { 0, 1, 15, 16, 17, 63, 64, 1420, 1500 };
#define NLENGTHS (sizeof(lengths) / sizeof(lengths[0]))

static struct mg_wg_crypto *c;

/* Reference: ciphertext || tag from libsodium. */
static void reference_seal(const uint8_t key[32], uint64_t counter, const uint8_t *pt, size_t len,
			   uint8_t *out)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES] = { 0 };
	unsigned long long outlen;

	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
	crypto_aead_chacha20poly1305_ietf_encrypt(out, &outlen, pt, len, NULL, 0, NULL, nonce, key);
	CU_ASSERT_EQUAL(outlen, len + TAG);
}

static uint64_t random_counter(void)
{
	uint64_t v;

	randombytes_buf(&v, sizeof(v));
	return v;
}

static void test_arch_reported(void)
{
	const char *arch = mg_wg_crypto_arch(c);

	CU_ASSERT_PTR_NOT_NULL(arch);
	CU_ASSERT_STRING_NOT_EQUAL(arch, "unknown");
}

static void test_seal_matches_libsodium(void)
{
	static uint8_t pt[MAXLEN], buf[MAXLEN], ref[MAXLEN + TAG];
	uint8_t key[32], tag[TAG];

	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < NLENGTHS; i++) {
			size_t len = lengths[i];
			uint64_t ctr = round == 0 ? 0 : round == 1 ? UINT64_MAX : random_counter();

			randombytes_buf(key, sizeof(key));
			randombytes_buf(pt, len);
			memcpy(buf, pt, len);
			reference_seal(key, ctr, pt, len, ref);
			mg_wg_data_seal(c, key, ctr, buf, len, tag);
			CU_ASSERT_EQUAL(memcmp(buf, ref, len), 0);
			CU_ASSERT_EQUAL(memcmp(tag, ref + len, TAG), 0);
		}
	}
}

static void test_open_restores_and_rejects(void)
{
	static uint8_t pt[MAXLEN], buf[MAXLEN], ref[MAXLEN + TAG];
	uint8_t key[32], tag[TAG], zeros[MAXLEN] = { 0 };

	for (size_t i = 0; i < NLENGTHS; i++) {
		size_t len = lengths[i];
		uint64_t ctr = random_counter();

		randombytes_buf(key, sizeof(key));
		randombytes_buf(pt, len);
		reference_seal(key, ctr, pt, len, ref);
		memcpy(tag, ref + len, TAG);

		memcpy(buf, ref, len);
		CU_ASSERT_TRUE(mg_wg_data_open(c, key, ctr, buf, len, tag));
		CU_ASSERT_EQUAL(memcmp(buf, pt, len), 0);

		if (len > 0) { /* a flipped ciphertext bit fails, and the buffer is wiped */
			memcpy(buf, ref, len);
			buf[len / 2] ^= 0x10;
			CU_ASSERT_FALSE(mg_wg_data_open(c, key, ctr, buf, len, tag));
			CU_ASSERT_EQUAL(memcmp(buf, zeros, len), 0);
		}
		memcpy(buf, ref, len);
		tag[TAG - 1] ^= 0x80;
		CU_ASSERT_FALSE(mg_wg_data_open(c, key, ctr, buf, len, tag));
		tag[TAG - 1] ^= 0x80;
		memcpy(buf, ref, len);
		tag[0] ^= 0x01;
		CU_ASSERT_FALSE(mg_wg_data_open(c, key, ctr, buf, len, tag));
		tag[0] ^= 0x01;
		/* The counter is part of the nonce. */
		memcpy(buf, ref, len);
		CU_ASSERT_FALSE(mg_wg_data_open(c, key, ctr ^ 1, buf, len, tag));
	}
}

static void test_bursts_match_libsodium(void)
{
	enum { N = 2 * NLENGTHS + 3 };
	static uint8_t pt[N][MAXLEN], buf[N][MAXLEN], ref[N][MAXLEN + TAG];
	uint8_t keys[N][32], tags[N][TAG];
	struct mg_wg_crypto_op ops[N];

	for (unsigned i = 0; i < N; i++) {
		size_t len = lengths[i % NLENGTHS];

		randombytes_buf(keys[i], 32);
		randombytes_buf(pt[i], len);
		memcpy(buf[i], pt[i], len);
		ops[i] = (struct mg_wg_crypto_op){ .key = keys[i], .counter = random_counter(),
						   .buf = buf[i], .len = len, .tag = tags[i] };
		reference_seal(keys[i], ops[i].counter, pt[i], len, ref[i]);
	}
	CU_ASSERT_EQUAL(mg_wg_data_seal_burst(c, ops, N), N);
	for (unsigned i = 0; i < N; i++) {
		CU_ASSERT_EQUAL(memcmp(buf[i], ref[i], ops[i].len), 0);
		CU_ASSERT_EQUAL(memcmp(tags[i], ref[i] + ops[i].len, TAG), 0);
	}
	/* Open them all back, with ops 3 and 7 tampered (tag, ciphertext). */
	tags[3][5] ^= 4;
	buf[7][ops[7].len - 1] ^= 1;
	uint32_t ok = mg_wg_data_open_burst(c, ops, N);
	CU_ASSERT_EQUAL(ok, ((1u << N) - 1) & ~(1u << 3) & ~(1u << 7));
	for (unsigned i = 0; i < N; i++)
		if (i != 3 && i != 7)
			CU_ASSERT_EQUAL(memcmp(buf[i], pt[i], ops[i].len), 0);
	CU_ASSERT_EQUAL(mg_wg_data_seal_burst(c, ops, MG_WG_CRYPTO_BURST_MAX + 1), 0);
}

/* Single and burst calls interleave on one manager without disturbing each other. */
static void test_many_bursts(void)
{
	enum { N = MG_WG_CRYPTO_BURST_MAX };
	static uint8_t pt[N][64], buf[N][64], ref[N][64 + TAG];
	uint8_t key[32], tags[N][TAG];
	struct mg_wg_crypto_op ops[N];

	randombytes_buf(key, sizeof(key));
	for (int round = 0; round < 50; round++) {
		for (unsigned i = 0; i < N; i++) {
			randombytes_buf(pt[i], 64);
			memcpy(buf[i], pt[i], 64);
			ops[i] = (struct mg_wg_crypto_op){ .key = key, .counter = round * N + i,
							   .buf = buf[i], .len = 64, .tag = tags[i] };
			reference_seal(key, ops[i].counter, pt[i], 64, ref[i]);
		}
		unsigned n = 1 + round % N;
		CU_ASSERT_EQUAL(mg_wg_data_seal_burst(c, ops, n), n);
		for (unsigned i = 0; i < n; i++) {
			CU_ASSERT_EQUAL(memcmp(buf[i], ref[i], 64), 0);
			CU_ASSERT_EQUAL(memcmp(tags[i], ref[i] + 64, TAG), 0);
		}
		CU_ASSERT_TRUE(mg_wg_data_open(c, key, ops[0].counter, buf[0], 64, tags[0]));
		CU_ASSERT_EQUAL(memcmp(buf[0], pt[0], 64), 0);
	}
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "arch reported", test_arch_reported },
		{ "seal equals libsodium", test_seal_matches_libsodium },
		{ "open restores, tampering fails", test_open_restores_and_rejects },
		{ "bursts equal libsodium", test_bursts_match_libsodium },
		{ "bursts of every size", test_many_bursts },
	};
	int rc;

	if (sodium_init() < 0)
		return 1;
	c = mg_wg_crypto_create();
	if (c == NULL)
		return 1;
	rc = MG_CUNIT_RUN("data_crypto", cases);
	mg_wg_crypto_destroy(c);
	return rc;
}
