/*
 * Fixed-base X25519 (a public key from a private one) at about half the cost of libsodium's
 * crypto_scalarmult_base, which on AVX machines runs the full Montgomery ladder; and the
 * handshake's ephemeral key pairs, made that way a batch at a time.
 *
 * The responder makes one fresh ephemeral per handshake, so this is a quarter of the control
 * lcore's X25519 work. The secret part, k*B, is libsodium's crypto_scalarmult_ed25519_base:
 * constant time, with its precomputed table of multiples of the base point. It clamps the
 * scalar exactly as X25519 does, and the Edwards base point maps to the Montgomery one, so
 * X25519(k, 9) is the Montgomery u of that point: u = (1 + y) / (1 - y) (RFC 7748, section 4.1).
 * libsodium does not export that map without a subgroup check that costs a whole scalar
 * multiplication, so the one field inversion it needs is here: radix 2^51, Fermat's z^(p-2)
 * with the usual chain of 254 squarings and 11 multiplications. y is public (the output gives
 * it back), and the arithmetic is constant time anyway. A batch of keys shares one inversion
 * (Montgomery's trick: invert the product, then peel each factor off with two multiplications),
 * so ephemerals are made MG_X25519_BATCH at a time, from one getrandom call, and handed out one
 * per handshake; each private key is wiped from the batch as it is taken, and what is left of a
 * batch after MG_X25519_BATCH_TTL_NS (docs/wireguard.md weighs that exposure).
 * tests/unit/wg/test_x25519_base.c compares all of it with crypto_scalarmult_base;
 * docs/wireguard.md has the decision, docs/performance.md the figures.
 */
#include "x25519_base.h"

#include <endian.h>
#include <stdbool.h>
#include <string.h>

#include <sodium.h>

typedef unsigned __int128 u128;

#define MASK51 ((UINT64_C(1) << 51) - 1)

/* An element of GF(2^255 - 19) as five 51-bit limbs, little end first; limbs may run a few
 * bits over 51 between operations. */
struct fe {
	uint64_t v[5];
};

static uint64_t
load64_le(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return le64toh(w);
}

static void
store64_le(uint8_t *p, uint64_t w)
{
	w = htole64(w);
	memcpy(p, &w, sizeof(w));
}

/* The low 255 bits of s (bit 255, the Edwards sign of x, is dropped). */
static void
fe_frombytes(struct fe *h, const uint8_t s[32])
{
	uint64_t w0 = load64_le(s), w1 = load64_le(s + 8), w2 = load64_le(s + 16),
		 w3 = load64_le(s + 24);

	h->v[0] = w0 & MASK51;
	h->v[1] = ((w0 >> 51) | (w1 << 13)) & MASK51;
	h->v[2] = ((w1 >> 38) | (w2 << 26)) & MASK51;
	h->v[3] = ((w2 >> 25) | (w3 << 39)) & MASK51;
	h->v[4] = (w3 >> 12) & MASK51;
}

/* One pass of carries: every limb below 2^51 except limb 0, which may take 19 more. */
static void
fe_carry(struct fe *h)
{
	uint64_t c;

	for (int i = 0; i < 4; i++) {
		c = h->v[i] >> 51;
		h->v[i] &= MASK51;
		h->v[i + 1] += c;
	}
	c = h->v[4] >> 51;
	h->v[4] &= MASK51;
	h->v[0] += 19 * c; /* 2^255 = 19 (mod p) */
}

/* The canonical 32-byte encoding, value below p. */
static void
fe_tobytes(uint8_t s[32], struct fe h)
{
	uint64_t q;

	fe_carry(&h);
	fe_carry(&h);
	/* q = 1 when h >= p, i.e. when h + 19 reaches 2^255. */
	q = (h.v[0] + 19) >> 51;
	for (int i = 1; i < 5; i++)
		q = (h.v[i] + q) >> 51;
	h.v[0] += 19 * q;
	for (int i = 0; i < 4; i++) {
		h.v[i + 1] += h.v[i] >> 51;
		h.v[i] &= MASK51;
	}
	h.v[4] &= MASK51; /* takes 2^255 away with the 19 added: h - p */
	store64_le(s, h.v[0] | (h.v[1] << 51));
	store64_le(s + 8, (h.v[1] >> 13) | (h.v[2] << 38));
	store64_le(s + 16, (h.v[2] >> 26) | (h.v[3] << 25));
	store64_le(s + 24, (h.v[3] >> 39) | (h.v[4] << 12));
}

/* The 128-bit column sums r[] of a product, carried back into 51-bit limbs. */
static void
fe_reduce_wide(struct fe *h, u128 r[5])
{
	uint64_t c;

	for (int i = 0; i < 4; i++) {
		c = (uint64_t)(r[i] >> 51);
		h->v[i] = (uint64_t)r[i] & MASK51;
		r[i + 1] += c;
	}
	c = (uint64_t)(r[4] >> 51);
	h->v[4] = (uint64_t)r[4] & MASK51;
	h->v[0] += 19 * c;
	h->v[1] += h->v[0] >> 51;
	h->v[0] &= MASK51;
}

static void
fe_mul(struct fe *h, const struct fe *f, const struct fe *g)
{
	const uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
	const uint64_t g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
	const uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
	u128 r[5];

	/* Column i gathers f_j * g_k with j + k = i, or i + 5 times 19. */
	r[0] = (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 + (u128)f3 * g2_19 +
	       (u128)f4 * g1_19;
	r[1] = (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 + (u128)f3 * g3_19 +
	       (u128)f4 * g2_19;
	r[2] = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 + (u128)f3 * g4_19 +
	       (u128)f4 * g3_19;
	r[3] = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 + (u128)f3 * g0 + (u128)f4 * g4_19;
	r[4] = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 + (u128)f3 * g1 + (u128)f4 * g0;
	fe_reduce_wide(h, r);
}

/* h = f^(2^n), n >= 1: the squaring spelled out, its symmetric terms doubled. */
static void
fe_sq_times(struct fe *h, const struct fe *f, int n)
{
	struct fe t = *f;
	u128 r[5];

	while (n-- > 0) {
		const uint64_t f0 = t.v[0], f1 = t.v[1], f2 = t.v[2], f3 = t.v[3], f4 = t.v[4];
		const uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1, f3_19 = 19 * f3, f4_19 = 19 * f4;

		r[0] = (u128)f0 * f0 + (u128)f1_2 * f4_19 + (u128)(2 * f2) * f3_19;
		r[1] = (u128)f0_2 * f1 + (u128)(2 * f2) * f4_19 + (u128)f3 * f3_19;
		r[2] = (u128)f0_2 * f2 + (u128)f1 * f1 + (u128)(2 * f3) * f4_19;
		r[3] = (u128)f0_2 * f3 + (u128)f1_2 * f2 + (u128)f4 * f4_19;
		r[4] = (u128)f0_2 * f4 + (u128)f1_2 * f3 + (u128)f2 * f2;
		fe_reduce_wide(&t, r);
	}
	*h = t;
}

/* h = z^(p - 2) = 1/z, z non-zero; p - 2 = 2^255 - 21. */
static void
fe_invert(struct fe *h, const struct fe *z)
{
	struct fe z2, z9, z11, z_5_0, z_10_0, z_20_0, z_50_0, z_100_0, t;

	/* z_a_b is z^(2^a - 2^b). */
	fe_sq_times(&z2, z, 1);
	fe_sq_times(&t, &z2, 2);
	fe_mul(&z9, &t, z);
	fe_mul(&z11, &z9, &z2);
	fe_sq_times(&t, &z11, 1);
	fe_mul(&z_5_0, &t, &z9);
	fe_sq_times(&t, &z_5_0, 5);
	fe_mul(&z_10_0, &t, &z_5_0);
	fe_sq_times(&t, &z_10_0, 10);
	fe_mul(&z_20_0, &t, &z_10_0);
	fe_sq_times(&t, &z_20_0, 20);
	fe_mul(&t, &t, &z_20_0);
	fe_sq_times(&t, &t, 10);
	fe_mul(&z_50_0, &t, &z_10_0);
	fe_sq_times(&t, &z_50_0, 50);
	fe_mul(&z_100_0, &t, &z_50_0);
	fe_sq_times(&t, &z_100_0, 100);
	fe_mul(&t, &t, &z_100_0);
	fe_sq_times(&t, &t, 50);
	fe_mul(&t, &t, &z_50_0);
	fe_sq_times(&t, &t, 5);
	fe_mul(h, &t, &z11); /* 2^255 - 2^5 + 11 */
}

/* den = 1 - y and num = 1 + y from the Edwards encoding: u = num / den. */
static void
edwards_to_fraction(struct fe *num, struct fe *den, const uint8_t edwards[32])
{
	/* 2p + 1 as limbs: 1 - y without going below zero, y < p. */
	static const struct fe two_p_plus_1 = { { 0xFFFFFFFFFFFDBull, 0xFFFFFFFFFFFFEull,
						  0xFFFFFFFFFFFFEull, 0xFFFFFFFFFFFFEull,
						  0xFFFFFFFFFFFFEull } };
	struct fe y;

	fe_frombytes(&y, edwards);
	*num = y;
	num->v[0] += 1;
	for (int i = 0; i < 5; i++)
		den->v[i] = two_p_plus_1.v[i] - y.v[i]; /* never zero: y = 1 is the identity */
}

int
mg_x25519_public_keys(uint8_t (*pub)[MG_X25519_KEY_LEN], const uint8_t (*priv)[MG_X25519_KEY_LEN],
		      unsigned n)
{
	struct fe num[MG_X25519_BATCH], den[MG_X25519_BATCH], prefix[MG_X25519_BATCH], inv, t;
	bool mapped[MG_X25519_BATCH];
	uint8_t edwards[32];
	int rc = 0;

	if (n == 0 || n > MG_X25519_BATCH)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		/* Fails only for a scalar of zero mod L, which clamping rules out; libsodium then,
		 * with 1/1 standing in for its share of the batch. */
		mapped[i] = crypto_scalarmult_ed25519_base(edwards, priv[i]) == 0;
		if (mapped[i]) {
			edwards_to_fraction(&num[i], &den[i], edwards);
		} else {
			rc |= crypto_scalarmult_base(pub[i], priv[i]);
			memset(&num[i], 0, sizeof(num[i]));
			num[i].v[0] = 1;
			den[i] = num[i];
		}
		prefix[i] = den[i];
		if (i > 0)
			fe_mul(&prefix[i], &prefix[i - 1], &den[i]);
	}
	/* Montgomery's trick: one inversion of the product, then 1/den_i walking back. */
	fe_invert(&inv, &prefix[n - 1]);
	for (unsigned i = n; i-- > 0;) {
		if (i > 0) {
			fe_mul(&t, &inv, &prefix[i - 1]); /* 1/den_i */
			fe_mul(&inv, &inv, &den[i]);      /* 1/(den_0 ... den_(i-1)) */
		} else {
			t = inv;
		}
		if (mapped[i]) {
			fe_mul(&t, &t, &num[i]);
			fe_tobytes(pub[i], t);
		}
	}
	sodium_memzero(edwards, sizeof(edwards));
	sodium_memzero(num, sizeof(num));
	sodium_memzero(den, sizeof(den));
	sodium_memzero(prefix, sizeof(prefix));
	return rc;
}

int
mg_x25519_public_key(uint8_t pub[MG_X25519_KEY_LEN], const uint8_t priv[MG_X25519_KEY_LEN])
{
	return mg_x25519_public_keys((uint8_t(*)[MG_X25519_KEY_LEN])pub,
				     (const uint8_t(*)[MG_X25519_KEY_LEN])priv, 1);
}

void
mg_x25519_ephemeral(struct mg_x25519_ephemerals *e, uint64_t now_ns,
		    uint8_t priv[MG_X25519_KEY_LEN], uint8_t pub[MG_X25519_KEY_LEN])
{
	if (e->left > 0 && now_ns - e->made_ns >= MG_X25519_BATCH_TTL_NS)
		mg_x25519_ephemerals_wipe(e); /* too old to keep: the rest unused */
	if (e->left == 0) {
		randombytes_buf(e->priv, sizeof(e->priv)); /* one getrandom for the batch */
		if (mg_x25519_public_keys(e->pub, (const uint8_t(*)[MG_X25519_KEY_LEN])e->priv,
					  MG_X25519_BATCH) != 0) {
			/* Not reachable with clamped scalars; one fresh pair, the batch dropped. */
			mg_x25519_ephemerals_wipe(e);
			randombytes_buf(priv, MG_X25519_KEY_LEN);
			crypto_scalarmult_base(pub, priv);
			return;
		}
		e->left = MG_X25519_BATCH;
		e->made_ns = now_ns;
	}
	e->left--;
	memcpy(priv, e->priv[e->left], MG_X25519_KEY_LEN);
	memcpy(pub, e->pub[e->left], MG_X25519_KEY_LEN);
	sodium_memzero(e->priv[e->left], MG_X25519_KEY_LEN);
}

void
mg_x25519_ephemerals_wipe(struct mg_x25519_ephemerals *e)
{
	sodium_memzero(e, sizeof(*e));
}
