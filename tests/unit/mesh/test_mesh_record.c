/* CUnit suite for the mesh wire, node records and the view: the record layout checked byte by
 * byte against docs/protocol.md, every rejection reason, datagram framing and its decoders fed
 * truncated and random bytes, and the store caps under a flood of fake identities.
 */
#include <stdlib.h>
#include <string.h>

#include "mg_cunit.h"
#include <sodium.h>

#include "gossip.h"
#include "record.h"
#include "store.h"
#include "wire.h"

#define NOW (1700000000ULL * MG_MESH_NS_PER_S)
#define HOUR (3600ULL * MG_MESH_NS_PER_S)

static void keypair(uint8_t pk[32], uint8_t sk[64], uint8_t seed_byte)
{
	uint8_t seed[32];

	memset(seed, seed_byte, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
}

static void make_record(struct mg_mesh_record *r, const uint8_t sk[64], uint64_t seq)
{
	memset(r, 0, sizeof(*r));
	memset(r->wg_key, 0xab, 32);
	r->seq = seq;
	r->issued_ns = NOW;
	r->expires_ns = NOW + HOUR;
	r->roles = MG_MESH_ROLE_EXIT | MG_MESH_ROLE_RELAY;
	r->country[0] = 'D';
	r->country[1] = 'E';
	r->continent = MG_MESH_CONT_EU;
	r->capacity_mbps = 10000;
	r->load_permille = 250;
	r->uptime_s = 3600;
	r->exit_policy = MG_MESH_EXIT_WEB | MG_MESH_EXIT_DNS;
	r->n_endpoints = 1;
	r->endpoints[0].family = 4;
	r->endpoints[0].port = 51821;
	memcpy(r->endpoints[0].ip, (uint8_t[]){ 192, 0, 2, 7 }, 4);
	CU_ASSERT_EQUAL_FATAL(mg_mesh_record_sign(r, sk), 0);
}

/* The layout of docs/protocol.md, written out by hand, must be what encode produces, and the
 * signature must verify over "meshgate node record v1\0" | body with plain libsodium. */
static void test_record_layout(void)
{
	uint8_t pk[32], sk[64], buf[MG_MESH_RECORD_MAX], want[MG_MESH_RECORD_MAX] = { 0 };
	uint8_t msg[24 + MG_MESH_RECORD_MAX];
	struct mg_mesh_record r, d;
	size_t len;

	keypair(pk, sk, 1);
	make_record(&r, sk, 42);
	len = mg_mesh_record_encode(&r, buf, sizeof(buf));
	CU_ASSERT_EQUAL(len, 107 + 19 + 64);
	want[0] = 1;                                   /* record version */
	memcpy(want + 2, pk, 32);
	memset(want + 34, 0xab, 32);
	want[73] = 42;                                 /* seq, big-endian u64 at 66 */
	for (int i = 0; i < 8; i++) {
		want[74 + i] = (uint8_t)(NOW >> (56 - 8 * i));
		want[82 + i] = (uint8_t)((NOW + HOUR) >> (56 - 8 * i));
	}
	want[90] = 6;                                  /* relay | exit */
	want[91] = 'D'; want[92] = 'E'; want[93] = 4;  /* EU */
	want[96] = 0x27; want[97] = 0x10;              /* 10000 Mbit/s */
	want[99] = 250;
	want[102] = 0x0e; want[103] = 0x10;            /* 3600 s */
	want[105] = 9;                                 /* web | dns */
	want[106] = 1;
	want[107] = 4; want[108] = 0xca; want[109] = 0x6d; /* port 51821 */
	want[110] = 192; want[111] = 0; want[112] = 2; want[113] = 7;
	CU_ASSERT_EQUAL(memcmp(buf, want, 126), 0);
	memcpy(msg, "meshgate node record v1", 24);
	memcpy(msg + 24, buf, 126);
	CU_ASSERT_EQUAL(crypto_sign_verify_detached(buf + 126, msg, 24 + 126, pk), 0);
	CU_ASSERT_EQUAL(mg_mesh_record_parse(&d, buf, len, NOW), 0);
	CU_ASSERT_EQUAL(memcmp(&d, &r, sizeof(r)), 0);
}

static size_t encode(const struct mg_mesh_record *r, uint8_t *buf)
{
	return mg_mesh_record_encode(r, buf, MG_MESH_RECORD_MAX);
}

static void test_record_rejections(void)
{
	uint8_t pk[32], sk[64], pk2[32], sk2[64], buf[MG_MESH_RECORD_MAX], msg[200];
	struct mg_mesh_record r, d;
	size_t len;

	keypair(pk, sk, 1);
	keypair(pk2, sk2, 2);
	make_record(&r, sk, 1);
	/* unsigned */
	memset(r.sig, 0, 64);
	len = encode(&r, buf);
	CU_ASSERT_EQUAL(mg_mesh_record_parse(&d, buf, len, NOW), MG_MESH_CTR_REC_UNSIGNED);
	/* forged: signed by another key but claiming pk */
	make_record(&r, sk2, 1);
	memcpy(r.id, pk, 32);
	len = encode(&r, buf);
	CU_ASSERT_EQUAL(mg_mesh_record_parse(&d, buf, len, NOW), MG_MESH_CTR_REC_BAD_SIG);
	/* altered after signing */
	make_record(&r, sk, 1);
	r.load_permille = 0;
	len = encode(&r, buf);
	CU_ASSERT_EQUAL(mg_mesh_record_parse(&d, buf, len, NOW), MG_MESH_CTR_REC_BAD_SIG);
	/* wrong domain: a valid Ed25519 signature over the body under another prefix */
	make_record(&r, sk, 1);
	len = encode(&r, buf);
	memcpy(msg, "meshgate datagram v1", 21);
	memcpy(msg + 21, buf, len - 64);
	crypto_sign_detached(buf + len - 64, NULL, msg, 21 + len - 64, sk);
	CU_ASSERT_EQUAL(mg_mesh_record_parse(&d, buf, len, NOW), MG_MESH_CTR_REC_BAD_SIG);
	crypto_sign_detached(buf + len - 64, NULL, buf, len - 64, sk);  /* no domain at all */
	CU_ASSERT_EQUAL(mg_mesh_record_parse(&d, buf, len, NOW), MG_MESH_CTR_REC_BAD_SIG);
	/* expired, and the exact boundary */
	make_record(&r, sk, 1);
	len = encode(&r, buf);
	CU_ASSERT_EQUAL(mg_mesh_record_parse(&d, buf, len, NOW + HOUR), MG_MESH_CTR_REC_EXPIRED);
	CU_ASSERT_EQUAL(mg_mesh_record_parse(&d, buf, len, NOW + HOUR - 1), 0);
	/* from the future: issued beyond the 30 s skew; or a lifetime over 24 h */
	CU_ASSERT_EQUAL(mg_mesh_record_parse(&d, buf, len, NOW - 31 * MG_MESH_NS_PER_S),
			MG_MESH_CTR_REC_FUTURE);
	CU_ASSERT_EQUAL(mg_mesh_record_parse(&d, buf, len, NOW - 29 * MG_MESH_NS_PER_S), 0);
	r.expires_ns = NOW + 25 * HOUR;
	mg_mesh_record_sign(&r, sk);
	len = encode(&r, buf);
	CU_ASSERT_EQUAL(mg_mesh_record_parse(&d, buf, len, NOW), MG_MESH_CTR_REC_FUTURE);
}

static void test_record_malformed(void)
{
	uint8_t pk[32], sk[64], buf[MG_MESH_RECORD_MAX], bad[MG_MESH_RECORD_MAX + 8];
	struct mg_mesh_record r, d;
	size_t len;

	keypair(pk, sk, 1);
	make_record(&r, sk, 1);
	len = encode(&r, buf);
	for (size_t l = 0; l < len; l++)      /* every truncation */
		CU_ASSERT_EQUAL(mg_mesh_record_decode(&d, buf, l), MG_MESH_CTR_REC_MALFORMED);
	memcpy(bad, buf, len);
	bad[len] = 0;
	CU_ASSERT_EQUAL(mg_mesh_record_decode(&d, bad, len + 1), MG_MESH_CTR_REC_MALFORMED);
	struct { size_t off; uint8_t v; } cases[] = {
		{ 0, 2 }, { 1, 1 }, { 90, 8 }, { 91, 'd' }, { 93, 8 }, { 98, 0x03 }, { 106, 5 },
		{ 107, 5 }, { 114, 1 },  /* family 5; a non-zero byte past the IPv4 address */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, buf, len);
		bad[cases[i].off] = cases[i].v;
		CU_ASSERT_EQUAL(mg_mesh_record_decode(&d, bad, len), MG_MESH_CTR_REC_MALFORMED);
	}
	for (int i = 0; i < 2000; i++) {      /* random bytes never decode */
		size_t l = randombytes_uniform(sizeof(bad));

		randombytes_buf(bad, l);
		CU_ASSERT_NOT_EQUAL(mg_mesh_record_parse(&d, bad, l, NOW), 0);
	}
}

/* A datagram with one PING: header layout by hand, signature under the datagram domain. */
static void test_wire_framing(void)
{
	uint8_t pk[32], sk[64], buf[MG_MESH_DGRAM_MAX], msg[21 + MG_MESH_DGRAM_MAX], *p;
	struct mg_mesh_writer w;
	struct mg_mesh_dgram_hdr h;
	struct mg_mesh_tlv tlv;
	size_t len, off = 0;

	keypair(pk, sk, 3);
	mg_mesh_wire_begin(&w, buf, sizeof(buf), pk, 0x0102030405060708ULL);
	p = mg_mesh_wire_add(&w, MG_MESH_MSG_PING, 4);
	mg_mesh_put_u32(p, 77);
	len = mg_mesh_wire_finish(&w, sk);
	CU_ASSERT_EQUAL(len, 48 + 3 + 4 + 64);
	CU_ASSERT_EQUAL(memcmp(buf, "MGSM\x01\x00\x00\x07", 8), 0);
	CU_ASSERT_EQUAL(memcmp(buf + 8, pk, 32), 0);
	CU_ASSERT_EQUAL(memcmp(buf + 40, "\x01\x02\x03\x04\x05\x06\x07\x08", 8), 0);
	CU_ASSERT_EQUAL(memcmp(buf + 48, "\x01\x00\x04\x00\x00\x00\x4d", 7), 0);
	memcpy(msg, "meshgate datagram v1", 21);
	memcpy(msg + 21, buf, 55);
	CU_ASSERT_EQUAL(crypto_sign_verify_detached(buf + 55, msg, 21 + 55, pk), 0);
	CU_ASSERT_EQUAL(mg_mesh_wire_open(&h, buf, len), 0);
	CU_ASSERT_EQUAL(h.counter, 0x0102030405060708ULL);
	CU_ASSERT_EQUAL(mg_mesh_wire_next(&h, &off, &tlv), 1);
	CU_ASSERT_EQUAL(tlv.type, MG_MESH_MSG_PING);
	CU_ASSERT_EQUAL(mg_mesh_get_u32(tlv.val), 77);
	CU_ASSERT_EQUAL(mg_mesh_wire_next(&h, &off, &tlv), 0);
}

static void test_wire_rejections(void)
{
	uint8_t pk[32], sk[64], buf[MG_MESH_DGRAM_MAX + 1], bad[MG_MESH_DGRAM_MAX + 1];
	struct mg_mesh_writer w;
	struct mg_mesh_dgram_hdr h;
	size_t len;

	keypair(pk, sk, 3);
	mg_mesh_wire_begin(&w, buf, MG_MESH_DGRAM_MAX, pk, 1);
	mg_mesh_wire_add(&w, MG_MESH_MSG_ACK, 4);
	len = mg_mesh_wire_finish(&w, sk);
	for (size_t l = 0; l < len; l++)
		CU_ASSERT_NOT_EQUAL(mg_mesh_wire_open(&h, buf, l), 0);
	CU_ASSERT_EQUAL(mg_mesh_wire_open(&h, buf, 10), MG_MESH_CTR_RX_TOO_SHORT);
	CU_ASSERT_EQUAL(mg_mesh_wire_open(&h, buf, MG_MESH_DGRAM_MAX + 1), MG_MESH_CTR_RX_TOO_LONG);
	memcpy(bad, buf, len);
	bad[0] ^= 1;
	CU_ASSERT_EQUAL(mg_mesh_wire_open(&h, bad, len), MG_MESH_CTR_RX_BAD_MAGIC);
	memcpy(bad, buf, len);
	bad[4] = 2;
	CU_ASSERT_EQUAL(mg_mesh_wire_open(&h, bad, len), MG_MESH_CTR_RX_BAD_VERSION);
	memcpy(bad, buf, len);
	bad[7] ^= 1;
	CU_ASSERT_EQUAL(mg_mesh_wire_open(&h, bad, len), MG_MESH_CTR_RX_BAD_LENGTH);
	for (size_t i = 8; i < len; i++) {   /* any flipped bit past the length: bad signature */
		memcpy(bad, buf, len);
		bad[i] ^= 0x10;
		CU_ASSERT_EQUAL(mg_mesh_wire_open(&h, bad, len), MG_MESH_CTR_RX_BAD_SIG);
	}
	for (int i = 0; i < 2000; i++) {
		size_t l = randombytes_uniform(sizeof(bad));

		randombytes_buf(bad, l);
		if (i & 1 && l >= 8)
			memcpy(bad, buf, 8);      /* get past magic, version and length sometimes */
		CU_ASSERT_NOT_EQUAL(mg_mesh_wire_open(&h, bad, l), 0);
	}
}

/* TLV walking over hand-made message areas: a header or a length past the end is an error. */
static void test_wire_tlv_bounds(void)
{
	uint8_t msgs[16] = { 1, 0, 4, 0, 0, 0, 9, 2, 0, 5, 0, 0 };
	struct mg_mesh_dgram_hdr h = { .msgs = msgs };
	struct mg_mesh_tlv tlv;
	size_t off;

	for (uint16_t l = 0; l <= 12; l++) {
		int rc, n = 0;

		h.length = l;
		off = 0;
		while ((rc = mg_mesh_wire_next(&h, &off, &tlv)) > 0)
			n++;
		/* 7 bytes hold exactly the first message; 0 bytes none; anything else is cut. */
		CU_ASSERT_EQUAL(rc, (l == 0 || l == 7) ? 0 : -1);
		CU_ASSERT_EQUAL(n, l >= 7 ? 1 : 0);
	}
}

static void test_addr_prefix_codecs(void)
{
	uint8_t p[19];
	struct mg_mesh_addr a;
	struct mg_mesh_prefix pf = { .family = 4, .plen = 24, .addr = { 198, 51, 100, 0 } }, q;

	memset(p, 0, sizeof(p));
	p[0] = 7;
	CU_ASSERT_EQUAL(mg_mesh_addr_get(&a, p), -1);
	p[0] = 6;
	CU_ASSERT_EQUAL(mg_mesh_addr_get(&a, p), 0);
	mg_mesh_prefix_put(p, &pf);
	CU_ASSERT_EQUAL(mg_mesh_prefix_get(&q, p), 0);
	CU_ASSERT_TRUE(mg_mesh_prefix_eq(&pf, &q));
	p[2 + 3] = 1;                   /* host bit set beyond /24 */
	CU_ASSERT_EQUAL(mg_mesh_prefix_get(&q, p), -1);
	p[2 + 3] = 0;
	p[1] = 33;
	CU_ASSERT_EQUAL(mg_mesh_prefix_get(&q, p), -1);
}

static void test_digest_codec(void)
{
	uint32_t a[MG_MESH_BUCKETS] = { 0 }, b[MG_MESH_BUCKETS] = { 0 };
	uint8_t buf[MG_MESH_DIGEST_LEN], mm[32], flags;

	a[3] = 1;
	a[200] = 9;
	mg_mesh_digest_put(buf, MG_MESH_DIGEST_REPLY, a);
	CU_ASSERT_EQUAL(mg_mesh_digest_get(buf, sizeof(buf), &flags, b), 0);
	CU_ASSERT_EQUAL(flags, MG_MESH_DIGEST_REPLY);
	CU_ASSERT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	b[200] = 0;
	CU_ASSERT_EQUAL(mg_mesh_digest_diff(a, b, mm), 1);
	CU_ASSERT_EQUAL(mm[25], 1);     /* bucket 200 = byte 25, bit 0 */
	CU_ASSERT_EQUAL(mg_mesh_digest_get(buf, sizeof(buf) - 1, &flags, b), -1);
	buf[0] = 2;
	CU_ASSERT_EQUAL(mg_mesh_digest_get(buf, sizeof(buf), &flags, b), -1);
}

static const uint8_t src_a[32] = { 0xaa };

static void offer_expect(struct mg_mesh_store *s, const struct mg_mesh_record *r,
			 const uint8_t *source, uint64_t now, int want_rc, int want_reason)
{
	uint8_t buf[MG_MESH_RECORD_MAX];
	size_t len = mg_mesh_record_encode(r, buf, sizeof(buf));
	struct mg_mesh_entry *e;
	int reason = -1;

	CU_ASSERT_EQUAL(mg_mesh_store_offer(s, buf, len, source, now, &e, &reason), want_rc);
	CU_ASSERT_EQUAL(reason, want_reason);
}

static void test_store_sequence(void)
{
	uint64_t ctr[MG_MESH_CTR__COUNT] = { 0 };
	struct mg_mesh_store s;
	struct mg_mesh_record r1, r2;
	uint8_t pk[32], sk[64];

	keypair(pk, sk, 5);
	CU_ASSERT_EQUAL_FATAL(mg_mesh_store_init(&s, 8, 4, ctr), 0);
	make_record(&r1, sk, 10);
	make_record(&r2, sk, 11);
	offer_expect(&s, &r1, src_a, NOW, MG_MESH_OFFER_NEW, 0);
	offer_expect(&s, &r1, src_a, NOW, MG_MESH_OFFER_REJECTED, MG_MESH_CTR_REC_DUPLICATE);
	offer_expect(&s, &r2, src_a, NOW, MG_MESH_OFFER_NEWER, 0);
	offer_expect(&s, &r1, src_a, NOW, MG_MESH_OFFER_REJECTED, MG_MESH_CTR_REC_STALE);
	r2.seq = 12;                    /* higher seq, old signature: forged */
	offer_expect(&s, &r2, src_a, NOW, MG_MESH_OFFER_REJECTED, MG_MESH_CTR_REC_BAD_SIG);
	offer_expect(&s, &r1, src_a, NOW + 2 * HOUR, MG_MESH_OFFER_REJECTED,
		     MG_MESH_CTR_REC_EXPIRED);
	CU_ASSERT_EQUAL(ctr[MG_MESH_CTR_REC_ACCEPTED], 2);
	CU_ASSERT_EQUAL(ctr[MG_MESH_CTR_REC_DUPLICATE], 1);
	CU_ASSERT_EQUAL(ctr[MG_MESH_CTR_REC_STALE], 1);
	CU_ASSERT_EQUAL(ctr[MG_MESH_CTR_REC_BAD_SIG], 1);
	CU_ASSERT_EQUAL(ctr[MG_MESH_CTR_REC_EXPIRED], 1);
	/* A DEAD mark about seq 11 holds until a higher seq comes (the refutation). */
	struct mg_mesh_entry *e = mg_mesh_store_find(&s, pk);
	uint32_t before = s.buckets[pk[0]];

	CU_ASSERT_TRUE(mg_mesh_store_mark(&s, e, MG_MESH_DEAD, 11, NOW));
	CU_ASSERT_EQUAL(s.buckets[pk[0]], 0);      /* dead entries leave the digest */
	CU_ASSERT_NOT_EQUAL(before, 0);
	CU_ASSERT_FALSE(mg_mesh_store_mark(&s, e, MG_MESH_SUSPECT, 10, NOW));
	make_record(&r2, sk, 13);
	offer_expect(&s, &r2, src_a, NOW, MG_MESH_OFFER_NEWER, 0);
	CU_ASSERT_EQUAL(e->state, MG_MESH_ALIVE);
	mg_mesh_store_free(&s);
}

/* A node that missed a member's last record hears that the newer record's incarnation died:
 * the notice (seq 12 while it holds 11) marks the member dead; the missed record arriving late
 * (seq 12) does not revive it; only a newer one (seq 13, the node back) does. An ALIVE notice
 * about a record we do not hold changes nothing, and an older notice stays a stale rumour. */
static void test_store_newer_notice(void)
{
	uint64_t ctr[MG_MESH_CTR__COUNT] = { 0 };
	struct mg_mesh_store s;
	struct mg_mesh_record r;
	struct mg_mesh_entry *e;
	uint8_t pk[32], sk[64];

	keypair(pk, sk, 9);
	CU_ASSERT_EQUAL_FATAL(mg_mesh_store_init(&s, 8, 4, ctr), 0);
	make_record(&r, sk, 11);
	offer_expect(&s, &r, src_a, NOW, MG_MESH_OFFER_NEW, 0);
	e = mg_mesh_store_find(&s, pk);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_FALSE(mg_mesh_store_mark(&s, e, MG_MESH_ALIVE, 12, NOW));
	CU_ASSERT_FALSE(mg_mesh_store_mark(&s, e, MG_MESH_DEAD, 10, NOW));
	CU_ASSERT_EQUAL(ctr[MG_MESH_CTR_MEMBER_STALE_RUMOUR], 1);
	CU_ASSERT_EQUAL(e->state, MG_MESH_ALIVE);
	CU_ASSERT_TRUE(mg_mesh_store_mark(&s, e, MG_MESH_DEAD, 12, NOW));
	CU_ASSERT_EQUAL(e->state, MG_MESH_DEAD);
	make_record(&r, sk, 12);
	offer_expect(&s, &r, src_a, NOW, MG_MESH_OFFER_NEWER, 0);
	CU_ASSERT_EQUAL(e->state, MG_MESH_DEAD);
	make_record(&r, sk, 13);
	offer_expect(&s, &r, src_a, NOW, MG_MESH_OFFER_NEWER, 0);
	CU_ASSERT_EQUAL(e->state, MG_MESH_ALIVE);
	mg_mesh_store_free(&s);
}

/* 6 good nodes heard directly, then one source floods 500 fake identities and a second
 * source another 500: the good ones all stay, the fakes are bounded by the caps. */
static void test_store_flood(void)
{
	uint64_t ctr[MG_MESH_CTR__COUNT] = { 0 };
	struct mg_mesh_store s;
	struct mg_mesh_record r;
	uint8_t pk[32], sk[64], good[6][32], attacker2[32] = { 0xbb };

	CU_ASSERT_EQUAL_FATAL(mg_mesh_store_init(&s, 16, 4, ctr), 0);
	for (int i = 0; i < 6; i++) {
		keypair(good[i], sk, (uint8_t)(100 + i));
		make_record(&r, sk, 1);
		offer_expect(&s, &r, good[i], NOW, MG_MESH_OFFER_NEW, 0);  /* from the node itself */
	}
	for (int i = 0; i < 1000; i++) {
		uint8_t buf[MG_MESH_RECORD_MAX];
		struct mg_mesh_entry *e;
		int reason;

		crypto_sign_keypair(pk, sk);
		make_record(&r, sk, 1);
		mg_mesh_store_offer(&s, buf, mg_mesh_record_encode(&r, buf, sizeof(buf)),
				    i < 500 ? src_a : attacker2, NOW, &e, &reason);
	}
	for (int i = 0; i < 6; i++) {
		struct mg_mesh_entry *e = mg_mesh_store_find(&s, good[i]);

		CU_ASSERT_PTR_NOT_NULL(e);
		CU_ASSERT_TRUE(e && e->confirmed);
	}
	CU_ASSERT_EQUAL(s.n, 6 + 4 + 4);           /* per-source cap 4, two sources */
	CU_ASSERT_EQUAL(ctr[MG_MESH_CTR_REC_SOURCE_CAP], 1000 - 8);
	mg_mesh_store_free(&s);
	/* Total cap: every slot confirmed, so a new identity is refused, not let in by eviction. */
	CU_ASSERT_EQUAL_FATAL(mg_mesh_store_init(&s, 4, 4, ctr), 0);
	for (int i = 0; i < 4; i++) {
		keypair(good[i], sk, (uint8_t)(100 + i));
		make_record(&r, sk, 1);
		offer_expect(&s, &r, good[i], NOW, MG_MESH_OFFER_NEW, 0);
	}
	crypto_sign_keypair(pk, sk);
	make_record(&r, sk, 1);
	offer_expect(&s, &r, src_a, NOW, MG_MESH_OFFER_REJECTED, MG_MESH_CTR_REC_TOTAL_CAP);
	mg_mesh_store_free(&s);
}

int main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "record layout", test_record_layout },
		{ "record rejections", test_record_rejections },
		{ "record malformed", test_record_malformed },
		{ "wire framing", test_wire_framing },
		{ "wire rejections", test_wire_rejections },
		{ "wire tlv bounds", test_wire_tlv_bounds },
		{ "addr prefix codecs", test_addr_prefix_codecs },
		{ "digest codec", test_digest_codec },
		{ "store sequence", test_store_sequence },
		{ "store: notice about a newer record", test_store_newer_notice },
		{ "store flood", test_store_flood },
	};

	if (sodium_init() < 0)
		return 2;
	return MG_CUNIT_RUN("mesh_record", cases);
}
