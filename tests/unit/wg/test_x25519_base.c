/* Unit tests of the fixed-base X25519 the handshake's keys use (lib/wg/x25519_base.c).
 *
 * It must be X25519(k, 9) byte for byte: RFC 7748's two test keys, and libsodium's
 * crypto_scalarmult_base for random scalars and for the edges of clamping (all bits clear, all
 * set, only the bits clamping clears); in batches of every size, which share one inversion; and
 * the ephemeral pairs handed out from a batch are matching pairs, never the same one twice, with
 * each private key gone from the batch once taken.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "mg_cunit.h"

#include "x25519_base.h"

static void
test_rfc7748_keys(void)
{
	static const uint8_t alice_priv[32] = {
		0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2,
		0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5,
		0x1d, 0xb9, 0x2c, 0x2a,
	};
	static const uint8_t alice_pub[32] = {
		0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e,
		0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e,
		0xaa, 0x9b, 0x4e, 0x6a,
	};
	static const uint8_t bob_priv[32] = {
		0x5d, 0xab, 0x08, 0x7e, 0x62, 0x4a, 0x8a, 0x4b, 0x79, 0xe1, 0x7f, 0x8b, 0x83, 0x80,
		0x0e, 0xe6, 0x6f, 0x3b, 0xb1, 0x29, 0x26, 0x18, 0xb6, 0xfd, 0x1c, 0x2f, 0x8b, 0x27,
		0xff, 0x88, 0xe0, 0xeb,
	};
	static const uint8_t bob_pub[32] = {
		0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61, 0xc2, 0xec, 0xe4,
		0x35, 0x37, 0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d, 0xad, 0xfc, 0x7e, 0x14,
		0x6f, 0x88, 0x2b, 0x4f,
	};
	uint8_t pub[32];

	CU_ASSERT_EQUAL(mg_x25519_public_key(pub, alice_priv), 0);
	CU_ASSERT_EQUAL(memcmp(pub, alice_pub, sizeof(pub)), 0);
	CU_ASSERT_EQUAL(mg_x25519_public_key(pub, bob_priv), 0);
	CU_ASSERT_EQUAL(memcmp(pub, bob_pub, sizeof(pub)), 0);
}

/* Same bytes and the same return code as libsodium; otherwise a failure naming the scalar. */
static bool
check_against_libsodium(const uint8_t priv[32])
{
	uint8_t want[32], got[32];
	int want_rc = crypto_scalarmult_base(want, priv);
	int got_rc = mg_x25519_public_key(got, priv);

	if (want_rc != got_rc || memcmp(want, got, sizeof(got)) != 0) {
		char hex[65];

		sodium_bin2hex(hex, sizeof(hex), priv, 32);
		fprintf(stderr, "  fixed-base X25519 differs from libsodium for scalar %s\n", hex);
		CU_FAIL("fixed-base X25519 differs from crypto_scalarmult_base");
		return false;
	}
	return true;
}

static void
test_random_scalars(void)
{
	uint8_t priv[32];

	for (int i = 0; i < 20000; i++) {
		randombytes_buf(priv, sizeof(priv));
		if (!check_against_libsodium(priv))
			return; /* one scalar named is enough */
	}
}

static void
test_clamping_edges(void)
{
	uint8_t priv[32];

	memset(priv, 0, sizeof(priv)); /* clamps to 2^254 */
	check_against_libsodium(priv);
	memset(priv, 0xff, sizeof(priv));
	check_against_libsodium(priv);
	memset(priv, 0, sizeof(priv)); /* only what clamping clears or sets */
	priv[0] = 7;
	priv[31] = 0xc0;
	check_against_libsodium(priv);
	for (int bit = 0; bit < 256; bit++) { /* every single bit on its own */
		memset(priv, 0, sizeof(priv));
		priv[bit / 8] = (uint8_t)(1u << (bit % 8));
		if (!check_against_libsodium(priv))
			return;
	}
}

static void
test_batches(void)
{
	uint8_t priv[MG_X25519_BATCH][32], got[MG_X25519_BATCH][32], want[32];

	for (unsigned n = 1; n <= MG_X25519_BATCH; n++) {
		randombytes_buf(priv, sizeof(priv));
		memset(priv[n - 1], 0xff, 32); /* an edge inside every batch, last */
		CU_ASSERT_EQUAL_FATAL(mg_x25519_public_keys(got, (const uint8_t(*)[32])priv, n), 0);
		for (unsigned i = 0; i < n; i++) {
			CU_ASSERT_EQUAL_FATAL(crypto_scalarmult_base(want, priv[i]), 0);
			if (memcmp(want, got[i], sizeof(want)) != 0) {
				fprintf(stderr, "  batch of %u: key %u differs\n", n, i);
				CU_FAIL("a batched key differs from crypto_scalarmult_base");
				return;
			}
		}
	}
	CU_ASSERT_EQUAL(mg_x25519_public_keys(got, (const uint8_t(*)[32])priv, 0), -1);
	CU_ASSERT_EQUAL(mg_x25519_public_keys(got, (const uint8_t(*)[32])priv, MG_X25519_BATCH + 1),
			-1);
}

static void
test_ephemerals(void)
{
	enum { TAKEN = 3 * MG_X25519_BATCH + 5 }; /* three refills and part of a fourth */
	static struct mg_x25519_ephemerals e; /* zeroed: empty */
	static uint8_t priv[TAKEN][32];
	uint8_t pub[32], want[32];

	for (unsigned i = 0; i < TAKEN; i++) {
		mg_x25519_ephemeral(&e, 1000 + i, priv[i], pub); /* 1 ns apart: no expiry */
		CU_ASSERT_EQUAL_FATAL(crypto_scalarmult_base(want, priv[i]), 0);
		CU_ASSERT_EQUAL(memcmp(want, pub, sizeof(pub)), 0);
		CU_ASSERT(e.left < MG_X25519_BATCH);
		CU_ASSERT(sodium_is_zero(e.priv[e.left], 32)); /* the one just taken */
		for (unsigned j = 0; j < i; j++)
			CU_ASSERT(memcmp(priv[i], priv[j], 32) != 0);
	}
	mg_x25519_ephemerals_wipe(&e);
	CU_ASSERT(sodium_is_zero((const uint8_t *)&e, sizeof(e)));
}

/* A batch older than MG_X25519_BATCH_TTL_NS is dropped unused, and the next pair is new. */
static void
test_ephemerals_expire(void)
{
	static struct mg_x25519_ephemerals e;
	const uint64_t t0 = 5ull * MG_X25519_BATCH_TTL_NS;
	uint8_t priv[3][32], pub[32], want[32];

	mg_x25519_ephemeral(&e, t0, priv[0], pub);
	CU_ASSERT_EQUAL(e.left, MG_X25519_BATCH - 1);
	if (MG_X25519_BATCH > 2) {
		mg_x25519_ephemeral(&e, t0 + MG_X25519_BATCH_TTL_NS - 1, priv[1], pub);
		CU_ASSERT_EQUAL(e.left, MG_X25519_BATCH - 2); /* still the first batch */
	} else {
		memset(priv[1], 0, sizeof(priv[1])); /* batches of one or two: nothing to age */
	}
	mg_x25519_ephemeral(&e, t0 + MG_X25519_BATCH_TTL_NS, priv[2], pub);
	CU_ASSERT_EQUAL(e.left, MG_X25519_BATCH - 1); /* a new one */
	CU_ASSERT_EQUAL(e.made_ns, t0 + MG_X25519_BATCH_TTL_NS);
	CU_ASSERT_EQUAL_FATAL(crypto_scalarmult_base(want, priv[2]), 0);
	CU_ASSERT_EQUAL(memcmp(want, pub, sizeof(pub)), 0);
	CU_ASSERT(memcmp(priv[2], priv[0], 32) != 0 && memcmp(priv[2], priv[1], 32) != 0);
	mg_x25519_ephemerals_wipe(&e);
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "RFC 7748 test keys", test_rfc7748_keys },
		{ "same as libsodium, random scalars", test_random_scalars },
		{ "same as libsodium, clamping edges", test_clamping_edges },
		{ "batches of 1 to MG_X25519_BATCH keys", test_batches },
		{ "ephemeral pairs from batches", test_ephemerals },
		{ "a batch too old is dropped", test_ephemerals_expire },
	};

	if (sodium_init() < 0)
		return 2;
	return MG_CUNIT_RUN("x25519_base", cases);
}
