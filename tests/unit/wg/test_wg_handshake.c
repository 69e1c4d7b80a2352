/* Unit tests of the handshake device (lib/wg/device.c with noise, cookie and tai64n).
 *
 * Two devices talk to each other through byte buffers and a virtual clock. Expected values come
 * from the whitepaper's rules (key pairing T_send_i = T_recv_r, replay and 20 ms flood rules, the
 * cookie-under-load exchange, TAI64N layout) rather than from the code's own output; the bytes of
 * a stock client are checked separately in test_wg_vector.c.
 */
#include <string.h>

#include "mg_cunit.h"
#include <blake2.h>
#include <sodium.h>

#include "device.h"
#include "wg_test_clock.h"
#include "tai64n.h"
#include "wg_messages.h"

enum { MS = 1000000 };

static const uint32_t ip_a = 0x0200a8c0, ip_c = 0x0300a8c0; /* opaque to the device */
static const uint16_t port_a = 0x3412, port_a2 = 0x3512;

struct node {
	struct mg_wg_device *dev;
	uint8_t priv[32], pub[32];
};

static void
node_make(struct node *n, bool open_mode, uint32_t max_peers, uint32_t rate, uint32_t burst)
{
	struct mg_wg_device_params p = {.handshake_rate = rate, .handshake_burst = burst,
					.open_mode = open_mode, .max_peers = max_peers};
	uint8_t expect[32];

	randombytes_buf(n->priv, sizeof(n->priv));
	memcpy(p.private_key, n->priv, 32);
	n->dev = mg_wg_device_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n->dev);
	mg_wg_device_public_key(n->dev, n->pub);
	crypto_scalarmult_base(expect, n->priv); /* X25519 clamps: same key as the clamped private */
	CU_ASSERT_EQUAL(memcmp(expect, n->pub, 32), 0);
}

static void
node_free(struct node *n)
{
	mg_wg_device_destroy(n->dev);
	n->dev = NULL;
}

/* Deliver msg to n from (ip, port); returns the result, reply in out/out_len. */
static struct mg_wg_handshake_result
deliver(struct node *n, uint32_t ip, uint16_t port, const uint8_t *msg, size_t len, bool load,
	uint8_t out[MG_WG_DEVICE_OUT_MIN], size_t *out_len)
{
	struct mg_wg_handshake_result res;

	mg_wg_device_handle(n->dev, ip, port, msg, len, now_ns, &wall, load, out, out_len, &res);
	return res;
}

/* A full handshake a -> b; the keys of both sides in ka, kb. Returns true when both got SESSION. */
static bool
handshake(struct node *a, int a_peer, struct node *b, int b_peer, struct mg_noise_keys *ka,
	  struct mg_noise_keys *kb)
{
	uint8_t init[MG_WG_MSG_INITIATION_LEN], out[MG_WG_DEVICE_OUT_MIN], out2[MG_WG_DEVICE_OUT_MIN];
	size_t out_len, out2_len;
	struct mg_wg_handshake_result rb, ra;

	if (mg_wg_device_create_initiation(a->dev, a_peer, now_ns, &wall, init) != 0)
		return false;
	rb = deliver(b, ip_a, port_a, init, sizeof(init), false, out, &out_len);
	CU_ASSERT_EQUAL(rb.drop, MG_WG_DROP_NONE);
	if (!(rb.actions & MG_WG_ACT_SESSION))
		return false;
	CU_ASSERT_EQUAL(rb.actions & MG_WG_ACT_REPLY, MG_WG_ACT_REPLY);
	CU_ASSERT_EQUAL(out_len, MG_WG_MSG_RESPONSE_LEN);
	CU_ASSERT_EQUAL(rb.peer_id, b_peer);
	ra = deliver(a, ip_c, port_a, out, out_len, false, out2, &out2_len);
	CU_ASSERT_EQUAL(ra.drop, MG_WG_DROP_NONE);
	CU_ASSERT_EQUAL(ra.peer_id, a_peer);
	CU_ASSERT_EQUAL(out2_len, 0);
	*ka = ra.keys;
	*kb = rb.keys;
	return (ra.actions & MG_WG_ACT_SESSION) != 0;
}

static void
assert_keys_pair(const struct mg_noise_keys *ka, const struct mg_noise_keys *kb)
{
	CU_ASSERT_EQUAL(memcmp(ka->send_key, kb->recv_key, 32), 0);
	CU_ASSERT_EQUAL(memcmp(ka->recv_key, kb->send_key, 32), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(ka->send_key, ka->recv_key, 32), 0);
	CU_ASSERT_EQUAL(ka->local_index, kb->remote_index);
	CU_ASSERT_EQUAL(ka->remote_index, kb->local_index);
	CU_ASSERT_TRUE(ka->initiator);
	CU_ASSERT_FALSE(kb->initiator);
}

static void
pair_nodes(struct node *a, struct node *b, const uint8_t *psk_a, const uint8_t *psk_b)
{
	CU_ASSERT_EQUAL(mg_wg_device_add_peer(a->dev, b->pub, psk_a), 0);
	CU_ASSERT_EQUAL(mg_wg_device_add_peer(b->dev, a->pub, psk_b), 0);
}

static void
test_keys_match_without_psk(void)
{
	struct node a, b;
	struct mg_noise_keys ka, kb;
	struct mg_wg_device_stats st;

	reset_clock();
	node_make(&a, false, 4, 20, 5);
	node_make(&b, false, 4, 20, 5);
	pair_nodes(&a, &b, NULL, NULL);
	CU_ASSERT_EQUAL(mg_wg_device_add_peer(a.dev, b.pub, NULL), -1); /* duplicate */
	{
		static const uint8_t low_order[32]; /* the identity point: every DH with it is zero */
		CU_ASSERT_EQUAL(mg_wg_device_add_peer(a.dev, low_order, NULL), -1);
	}
	CU_ASSERT_TRUE(handshake(&a, 0, &b, 0, &ka, &kb));
	assert_keys_pair(&ka, &kb);
	CU_ASSERT_EQUAL(mg_wg_device_index_peer(a.dev, ka.local_index), 0);
	CU_ASSERT_EQUAL(mg_wg_device_index_peer(b.dev, kb.local_index), 0);
	mg_wg_device_get_stats(b.dev, &st);
	CU_ASSERT_EQUAL(st.initiations_received, 1);
	CU_ASSERT_EQUAL(st.responses_sent, 1);
	CU_ASSERT_EQUAL(st.handshakes_completed, 1);
	mg_wg_device_get_stats(a.dev, &st);
	CU_ASSERT_EQUAL(st.initiations_sent, 1);
	CU_ASSERT_EQUAL(st.responses_received, 1);
	CU_ASSERT_EQUAL(st.handshakes_completed, 1);
	node_free(&a);
	node_free(&b);
}

static void
test_keys_match_with_psk(void)
{
	struct node a, b;
	struct mg_noise_keys ka, kb, ka2, kb2;
	uint8_t psk[32];

	reset_clock();
	randombytes_buf(psk, sizeof(psk));
	node_make(&a, false, 4, 20, 5);
	node_make(&b, false, 4, 20, 5);
	pair_nodes(&a, &b, psk, psk);
	CU_ASSERT_TRUE(handshake(&a, 0, &b, 0, &ka, &kb));
	assert_keys_pair(&ka, &kb);
	/* A second handshake gives fresh keys and fresh indices (forward secrecy). */
	advance_ms(30);
	CU_ASSERT_TRUE(handshake(&a, 0, &b, 0, &ka2, &kb2));
	assert_keys_pair(&ka2, &kb2);
	CU_ASSERT_NOT_EQUAL(memcmp(ka.send_key, ka2.send_key, 32), 0);
	CU_ASSERT_NOT_EQUAL(ka.local_index, ka2.local_index);
	node_free(&a);
	node_free(&b);
}

/* Different psks: the responder cannot tell (psk is mixed in the response), the initiator can. */
static void
test_psk_mismatch_fails(void)
{
	struct node a, b;
	uint8_t psk1[32], psk2[32], init[148], out[148], out2[148];
	size_t out_len, out2_len;
	struct mg_wg_handshake_result r;

	reset_clock();
	randombytes_buf(psk1, 32);
	randombytes_buf(psk2, 32);
	node_make(&a, false, 4, 20, 5);
	node_make(&b, false, 4, 20, 5);
	pair_nodes(&a, &b, psk1, psk2);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	r = deliver(&b, ip_a, port_a, init, sizeof(init), false, out, &out_len);
	CU_ASSERT_EQUAL(r.actions & MG_WG_ACT_REPLY, MG_WG_ACT_REPLY);
	r = deliver(&a, ip_c, port_a, out, out_len, false, out2, &out2_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_DECRYPT_FAILED);
	CU_ASSERT_EQUAL(r.actions & MG_WG_ACT_SESSION, 0);
	node_free(&a);
	node_free(&b);
}

static void
test_replayed_initiation_rejected(void)
{
	struct node a, b;
	uint8_t init[148], init2[148], out[148];
	size_t out_len;
	struct mg_wg_handshake_result r;
	struct mg_wg_device_stats st;

	reset_clock();
	node_make(&a, false, 4, 20, 5);
	node_make(&b, false, 4, 20, 5);
	pair_nodes(&a, &b, NULL, NULL);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	r = deliver(&b, ip_a, port_a, init, sizeof(init), false, out, &out_len);
	CU_ASSERT_EQUAL(r.actions, MG_WG_ACT_REPLY | MG_WG_ACT_SESSION);
	/* The same bytes a second later: timestamp not greater than the last accepted one. */
	advance_ms(1000);
	r = deliver(&b, ip_a, port_a, init, sizeof(init), false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_REPLAYED_TIMESTAMP);
	CU_ASSERT_EQUAL(r.actions, 0);
	CU_ASSERT_EQUAL(out_len, 0);
	/* A new initiation within the same 2^24 ns TAI64N grain also carries an equal timestamp. */
	wall.tv_sec -= 1;          /* back to the first initiation's second (grain 0) ... */
	wall.tv_nsec = 16000000;   /* ... 16 ms later: rounds down to the same TAI64N */
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init2), 0);
	r = deliver(&b, ip_a, port_a, init2, sizeof(init2), false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_REPLAYED_TIMESTAMP);
	mg_wg_device_get_stats(b.dev, &st);
	CU_ASSERT_EQUAL(st.drops[MG_WG_DROP_REPLAYED_TIMESTAMP], 2);
	node_free(&a);
	node_free(&b);
}

/* Whitepaper 5.1 / Linux: no more than one initiation per peer every 1/50 s is consumed. */
static void
test_initiation_flood_rejected(void)
{
	struct node a, b;
	uint8_t init[148], out[148];
	size_t out_len;
	struct mg_wg_handshake_result r;

	reset_clock();
	node_make(&a, false, 4, 20, 5);
	node_make(&b, false, 4, 20, 5);
	pair_nodes(&a, &b, NULL, NULL);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	r = deliver(&b, ip_a, port_a, init, sizeof(init), false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_NONE);
	/* Wall clock moved a whole second (fresh timestamp), monotonic time only 19 ms. */
	wall.tv_sec += 1;
	advance_ms(19);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	r = deliver(&b, ip_a, port_a, init, sizeof(init), false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_FLOOD);
	advance_ms(2); /* 21 ms after the accepted one */
	wall.tv_sec += 1;
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	r = deliver(&b, ip_a, port_a, init, sizeof(init), false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_NONE);
	CU_ASSERT_EQUAL(r.actions & MG_WG_ACT_SESSION, MG_WG_ACT_SESSION);
	node_free(&a);
	node_free(&b);
}

static void
test_wrong_mac1_rejected(void)
{
	struct node a, b, c;
	uint8_t init[148], bad[148], out[148];
	size_t out_len;
	struct mg_wg_handshake_result r;
	struct mg_wg_device_stats st;

	reset_clock();
	node_make(&a, false, 4, 20, 5);
	node_make(&b, false, 4, 20, 5);
	node_make(&c, false, 4, 20, 5);
	pair_nodes(&a, &b, NULL, NULL);
	CU_ASSERT_EQUAL(mg_wg_device_add_peer(c.dev, a.pub, NULL), 0);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	memcpy(bad, init, sizeof(bad));
	bad[offsetof(struct mg_wg_msg_initiation, macs)] ^= 1;      /* mac1 itself */
	r = deliver(&b, ip_a, port_a, bad, sizeof(bad), false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_BAD_MAC1);
	CU_ASSERT_EQUAL(out_len, 0);
	memcpy(bad, init, sizeof(bad));
	bad[offsetof(struct mg_wg_msg_initiation, ephemeral) + 3] ^= 0x80; /* covered bytes */
	r = deliver(&b, ip_a, port_a, bad, sizeof(bad), true, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_BAD_MAC1); /* no cookie reply for a bad mac1 either */
	CU_ASSERT_EQUAL(out_len, 0);
	/* mac1 is keyed with the receiver's public key: c is not the one a addressed. */
	r = deliver(&c, ip_a, port_a, init, sizeof(init), false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_BAD_MAC1);
	/* A changed mac2 does not matter when not under load. */
	memcpy(bad, init, sizeof(bad));
	bad[sizeof(bad) - 1] ^= 1;
	r = deliver(&b, ip_a, port_a, bad, sizeof(bad), false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_NONE);
	mg_wg_device_get_stats(b.dev, &st);
	CU_ASSERT_EQUAL(st.drops[MG_WG_DROP_BAD_MAC1], 2);
	node_free(&a);
	node_free(&b);
	node_free(&c);
}

/* Recompute mac1 as the whitepaper defines it: MAC(HASH("mac1----" || receiver pub), msg up to mac1). */
static void
remac1(uint8_t *msg, size_t len, const uint8_t receiver_pub[32])
{
	uint8_t key_in[40], key[32];

	memcpy(key_in, "mac1----", 8);
	memcpy(key_in + 8, receiver_pub, 32);
	blake2s(key, key_in, NULL, 32, sizeof(key_in), 0);
	blake2s(msg + len - 32, msg, key, 16, len - 32, sizeof(key));
}

static void
test_decrypt_failure_and_unknown_peer(void)
{
	struct node a, b, c;
	uint8_t init[148], bad[148], out[148];
	size_t out_len;
	struct mg_wg_handshake_result r;

	reset_clock();
	node_make(&a, false, 4, 20, 5);
	node_make(&b, false, 4, 20, 5);
	node_make(&c, false, 4, 20, 5);
	pair_nodes(&a, &b, NULL, NULL);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	memcpy(bad, init, sizeof(bad));
	bad[offsetof(struct mg_wg_msg_initiation, encrypted_static) + 5] ^= 1;
	remac1(bad, sizeof(bad), b.pub);
	r = deliver(&b, ip_a, port_a, bad, sizeof(bad), false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_DECRYPT_FAILED);
	memcpy(bad, init, sizeof(bad));
	bad[offsetof(struct mg_wg_msg_initiation, encrypted_timestamp) + 2] ^= 1;
	remac1(bad, sizeof(bad), b.pub);
	r = deliver(&b, ip_a, port_a, bad, sizeof(bad), false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_DECRYPT_FAILED);
	CU_ASSERT_EQUAL(r.peer_id, -1);
	/* An all-zero (low-order) ephemeral makes DH(static, e) all zero: refused, not used. */
	memcpy(bad, init, sizeof(bad));
	memset(bad + offsetof(struct mg_wg_msg_initiation, ephemeral), 0, 32);
	remac1(bad, sizeof(bad), b.pub);
	r = deliver(&b, ip_a, port_a, bad, sizeof(bad), false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_INVALID_DH);
	/* c knows b's key but b does not know c: closed mode drops it as unknown. */
	CU_ASSERT_EQUAL(mg_wg_device_add_peer(c.dev, b.pub, NULL), 0);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(c.dev, 0, now_ns, &wall, init), 0);
	r = deliver(&b, ip_a, port_a, init, sizeof(init), false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_UNKNOWN_PEER);
	CU_ASSERT_EQUAL(mg_wg_device_peer_count(b.dev), 1);
	/* The untampered initiation still works: failures did not consume the timestamp. */
	r = deliver(&b, ip_a, port_a, bad, 0, false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_BAD_SIZE);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	r = deliver(&b, ip_a, port_a, init, sizeof(init), false, out, &out_len);
	CU_ASSERT_EQUAL(r.actions, MG_WG_ACT_REPLY | MG_WG_ACT_SESSION);
	node_free(&a);
	node_free(&b);
	node_free(&c);
}

/* Under load an initiation without mac2 gets a cookie reply; the initiator consumes it and its
 * next initiation, now with mac2, is accepted. The cookie is bound to the source address. */
static void
test_cookie_under_load(void)
{
	struct node a, b;
	uint8_t init[148], out[148], out2[148];
	size_t out_len, out2_len;
	struct mg_wg_handshake_result r;
	struct mg_wg_device_stats st;
	static const uint8_t zero[16];

	reset_clock();
	node_make(&a, false, 4, 20, 5);
	node_make(&b, false, 4, 20, 5);
	pair_nodes(&a, &b, NULL, NULL);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	CU_ASSERT_EQUAL(memcmp(init + 132, zero, 16), 0); /* no cookie yet: mac2 all zero */
	r = deliver(&b, ip_a, port_a, init, sizeof(init), true, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_COOKIE_REQUIRED);
	CU_ASSERT_EQUAL(r.actions, MG_WG_ACT_REPLY);
	CU_ASSERT_EQUAL_FATAL(out_len, MG_WG_MSG_COOKIE_REPLY_LEN);
	CU_ASSERT_EQUAL(mg_wg_msg_type(out, out_len), MG_WG_MSG_COOKIE_REPLY);
	CU_ASSERT_EQUAL(memcmp(out + 4, init + 4, 4), 0); /* receiver = the initiation's sender */

	r = deliver(&a, ip_c, port_a, out, out_len, false, out2, &out2_len);
	CU_ASSERT_EQUAL(r.actions, MG_WG_ACT_COOKIE);
	CU_ASSERT_EQUAL(r.peer_id, 0);
	/* The same cookie reply again: it answered a mac1 already used up. */
	r = deliver(&a, ip_c, port_a, out, out_len, false, out2, &out2_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_DECRYPT_FAILED);

	advance_ms(5000); /* REKEY_TIMEOUT later the initiator retries */
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(init + 132, zero, 16), 0);
	/* From another source port the cookie is not valid: another cookie reply. */
	r = deliver(&b, ip_a, port_a2, init, sizeof(init), true, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_COOKIE_REQUIRED);
	r = deliver(&b, ip_a, port_a, init, sizeof(init), true, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_NONE);
	CU_ASSERT_EQUAL(r.actions, MG_WG_ACT_REPLY | MG_WG_ACT_SESSION);
	CU_ASSERT_EQUAL(out_len, MG_WG_MSG_RESPONSE_LEN);
	r = deliver(&a, ip_c, port_a, out, out_len, false, out2, &out2_len);
	CU_ASSERT_EQUAL(r.actions, MG_WG_ACT_SESSION);
	mg_wg_device_get_stats(b.dev, &st);
	CU_ASSERT_EQUAL(st.cookie_replies_sent, 2);
	CU_ASSERT_EQUAL(st.drops[MG_WG_DROP_COOKIE_REQUIRED], 2);
	node_free(&a);
	node_free(&b);
}

/* The initiator uses a cookie for 120 - 5 s only; the responder's secret lives 120 s. */
static void
test_cookie_expiry(void)
{
	struct node a, b;
	uint8_t init[148], out[148], out2[148];
	size_t out_len, out2_len;
	struct mg_wg_handshake_result r;
	static const uint8_t zero[16];

	reset_clock();
	node_make(&a, false, 4, 20, 5);
	node_make(&b, false, 4, 20, 5);
	pair_nodes(&a, &b, NULL, NULL);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	deliver(&b, ip_a, port_a, init, sizeof(init), true, out, &out_len);
	r = deliver(&a, ip_c, port_a, out, out_len, false, out2, &out2_len);
	CU_ASSERT_EQUAL(r.actions, MG_WG_ACT_COOKIE);
	advance_ms(114000);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(init + 132, zero, 16), 0);
	advance_ms(1001); /* 115.001 s */
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	CU_ASSERT_EQUAL(memcmp(init + 132, zero, 16), 0);
	node_free(&a);
	node_free(&b);
}

static void
test_open_mode_admits_and_caps(void)
{
	struct node b, c[3];
	uint8_t init[148], out[148];
	size_t out_len;
	struct mg_wg_handshake_result r;
	struct mg_wg_device_stats st;

	reset_clock();
	node_make(&b, true, 2, 20, 5);
	for (int i = 0; i < 3; i++) {
		node_make(&c[i], false, 1, 20, 5);
		CU_ASSERT_EQUAL(mg_wg_device_add_peer(c[i].dev, b.pub, NULL), 0);
		CU_ASSERT_EQUAL(mg_wg_device_create_initiation(c[i].dev, 0, now_ns, &wall, init), 0);
		r = deliver(&b, ip_a + (uint32_t)i, port_a, init, sizeof(init), false, out, &out_len);
		if (i < 2) {
			CU_ASSERT_EQUAL(r.actions, MG_WG_ACT_REPLY | MG_WG_ACT_SESSION | MG_WG_ACT_NEW_PEER);
			CU_ASSERT_EQUAL(r.peer_id, i);
			CU_ASSERT_EQUAL(memcmp(mg_wg_device_peer_public_key(b.dev, i), c[i].pub, 32), 0);
			CU_ASSERT_EQUAL(mg_wg_device_find_peer(b.dev, c[i].pub), i);
		} else {
			CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_PEERS_FULL);
			CU_ASSERT_EQUAL(r.actions, 0);
			CU_ASSERT_EQUAL(mg_wg_device_find_peer(b.dev, c[i].pub), -1);
		}
	}
	CU_ASSERT_EQUAL(mg_wg_device_peer_count(b.dev), 2);
	CU_ASSERT_PTR_NULL(mg_wg_device_peer_public_key(b.dev, 2));
	/* A known peer coming back is not new. */
	advance_ms(50);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(c[1].dev, 0, now_ns, &wall, init), 0);
	r = deliver(&b, ip_a, port_a, init, sizeof(init), false, out, &out_len);
	CU_ASSERT_EQUAL(r.actions, MG_WG_ACT_REPLY | MG_WG_ACT_SESSION);
	CU_ASSERT_EQUAL(r.peer_id, 1);
	mg_wg_device_get_stats(b.dev, &st);
	CU_ASSERT_EQUAL(st.peers_admitted, 2);
	CU_ASSERT_EQUAL(st.drops[MG_WG_DROP_PEERS_FULL], 1);
	node_free(&b);
	for (int i = 0; i < 3; i++)
		node_free(&c[i]);
}

/* Indices: every live handshake or keypair holds one; release frees it for reuse. Each device
 * with max_peers 1 has 16 index slots, at most half of them live. */
static void
test_index_release_and_reuse(void)
{
	struct node a, b;
	struct mg_noise_keys ka[8], kb[8], k1, k2;
	uint8_t init[148], init2[148], out[148];
	size_t out_len;
	struct mg_wg_handshake_result r;
	uint32_t first;

	reset_clock();
	node_make(&a, false, 1, 20, 5);
	node_make(&b, false, 1, 20, 5);
	pair_nodes(&a, &b, NULL, NULL);
	/* A superseded initiation gives its index back at once. */
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	memcpy(&first, init + 4, 4);
	CU_ASSERT_EQUAL(mg_wg_device_index_peer(a.dev, mg_wg_le32_get(first)), 0);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init2), 0);
	CU_ASSERT_EQUAL(mg_wg_device_index_peer(a.dev, mg_wg_le32_get(first)), -1);
	for (int i = 0; i < 8; i++) {
		advance_ms(25);
		CU_ASSERT_TRUE(handshake(&a, 0, &b, 0, &ka[i], &kb[i]));
		for (int j = 0; j < i; j++)
			CU_ASSERT_NOT_EQUAL(ka[i].local_index, ka[j].local_index);
	}
	for (int i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(mg_wg_device_index_peer(a.dev, ka[i].local_index), 0);
	advance_ms(25);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), -1); /* full */
	mg_wg_device_release_index(a.dev, ka[0].local_index);
	CU_ASSERT_EQUAL(mg_wg_device_index_peer(a.dev, ka[0].local_index), -1);
	mg_wg_device_release_index(a.dev, ka[0].local_index); /* twice: ignored */
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	r = deliver(&b, ip_a, port_a, init, sizeof(init), false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_NO_INDEX); /* b holds 8 keypair indices */
	mg_wg_device_release_index(b.dev, kb[3].local_index);
	advance_ms(25);
	CU_ASSERT_TRUE(handshake(&a, 0, &b, 0, &k1, &k2));
	assert_keys_pair(&k1, &k2);
	for (int i = 1; i < 8; i++)
		mg_wg_device_release_index(a.dev, ka[i].local_index);
	mg_wg_device_release_index(a.dev, k1.local_index);
	for (int i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(mg_wg_device_index_peer(a.dev, ka[i].local_index), -1);
	node_free(&a);
	node_free(&b);
}

static void
test_response_checks(void)
{
	struct node a, b;
	uint8_t init[148], resp[148], out[148];
	size_t resp_len, out_len;
	struct mg_wg_handshake_result r;
	uint32_t bogus = 0x12345678;

	reset_clock();
	node_make(&a, false, 4, 20, 5);
	node_make(&b, false, 4, 20, 5);
	pair_nodes(&a, &b, NULL, NULL);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	deliver(&b, ip_a, port_a, init, sizeof(init), false, resp, &resp_len);
	CU_ASSERT_EQUAL_FATAL(resp_len, MG_WG_MSG_RESPONSE_LEN);
	memcpy(out, resp, resp_len);
	memcpy(out + 8, &bogus, 4); /* receiver index nobody allocated */
	remac1(out, resp_len, a.pub);
	r = deliver(&a, ip_c, port_a, out, resp_len, false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_UNKNOWN_INDEX);
	r = deliver(&a, ip_c, port_a, resp, resp_len, false, out, &out_len);
	CU_ASSERT_EQUAL(r.actions, MG_WG_ACT_SESSION);
	/* Replayed response: its index now belongs to a keypair, not to a pending initiation. */
	r = deliver(&a, ip_c, port_a, resp, resp_len, false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_WRONG_STATE);
	/* A handshake abandoned by the timers: its index is gone, a late response finds nothing. */
	advance_ms(30);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	deliver(&b, ip_a, port_a, init, sizeof(init), false, resp, &resp_len);
	mg_wg_device_clear_handshake(a.dev, 0);
	r = deliver(&a, ip_c, port_a, resp, resp_len, false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_UNKNOWN_INDEX);
	node_free(&a);
	node_free(&b);
}

/* Under load and with a valid cookie, the per-source rate limiter applies. */
static void
test_rate_limited_under_load(void)
{
	struct node a, b;
	uint8_t init[148], out[148], out2[148];
	size_t out_len, out2_len;
	struct mg_wg_handshake_result r;
	int accepted = 0, limited = 0;

	reset_clock();
	node_make(&a, false, 4, 20, 5);
	node_make(&b, false, 4, 1, 1); /* 1 per second, burst 1 */
	pair_nodes(&a, &b, NULL, NULL);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	deliver(&b, ip_a, port_a, init, sizeof(init), true, out, &out_len);
	deliver(&a, ip_c, port_a, out, out_len, false, out2, &out2_len);
	for (int i = 0; i < 6; i++) {
		advance_ms(30);
		CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
		r = deliver(&b, ip_a, port_a, init, sizeof(init), true, out, &out_len);
		accepted += (r.actions & MG_WG_ACT_SESSION) != 0;
		limited += r.drop == MG_WG_DROP_RATE_LIMITED;
		if (i == 0)
			CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_NONE);
	}
	CU_ASSERT_TRUE(accepted >= 1 && accepted <= 2);
	CU_ASSERT_EQUAL(accepted + limited, 6);
	/* Not under load, nothing is rate limited. */
	advance_ms(30);
	CU_ASSERT_EQUAL(mg_wg_device_create_initiation(a.dev, 0, now_ns, &wall, init), 0);
	r = deliver(&b, ip_a, port_a, init, sizeof(init), false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_NONE);
	node_free(&a);
	node_free(&b);
}

static void
test_sizes_and_types(void)
{
	struct node b;
	uint8_t msg[200] = {0}, out[148];
	size_t out_len;
	struct mg_wg_handshake_result r;

	reset_clock();
	node_make(&b, false, 4, 20, 5);
	msg[0] = MG_WG_MSG_INITIATION;
	r = deliver(&b, ip_a, port_a, msg, 147, false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_BAD_SIZE);
	r = deliver(&b, ip_a, port_a, msg, 149, false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_BAD_SIZE);
	r = deliver(&b, ip_a, port_a, msg, 148, false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_BAD_MAC1);
	r = deliver(&b, ip_a, port_a, msg, 3, false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_BAD_SIZE);
	msg[0] = MG_WG_MSG_RESPONSE;
	r = deliver(&b, ip_a, port_a, msg, 91, false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_BAD_SIZE);
	msg[0] = MG_WG_MSG_COOKIE_REPLY;
	r = deliver(&b, ip_a, port_a, msg, 64, false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_UNKNOWN_INDEX);
	msg[0] = MG_WG_MSG_DATA;
	r = deliver(&b, ip_a, port_a, msg, 32, false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_UNKNOWN_TYPE);
	msg[0] = MG_WG_MSG_INITIATION;
	msg[2] = 1; /* reserved bytes must be zero */
	r = deliver(&b, ip_a, port_a, msg, 148, false, out, &out_len);
	CU_ASSERT_EQUAL(r.drop, MG_WG_DROP_UNKNOWN_TYPE);
	CU_ASSERT_EQUAL(r.peer_id, -1);
	CU_ASSERT_EQUAL(out_len, 0);
	CU_ASSERT_STRING_EQUAL(mg_wg_drop_reason_str(MG_WG_DROP_BAD_MAC1), "bad mac1");
	CU_ASSERT_STRING_EQUAL(mg_wg_drop_reason_str(MG_WG_DROP_COUNT), "?");
	node_free(&b);
}

/* TAI64N: 8 bytes big-endian 2^62 + 10 + seconds, 4 bytes big-endian ns rounded down to 2^24. */
static void
test_tai64n(void)
{
	static const uint8_t epoch[12] = {0x40, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0};
	static const uint8_t later[12] = {0x40, 0, 0, 0, 0x65, 0x53, 0xf1, 0x0a, 0x3b, 0, 0, 0};
	struct timespec t0 = {0, 16777215}, t1 = {1700000000, 999999999}, t2 = {1700000000, 989855744};
	uint8_t a[12], b[12];

	mg_tai64n_from_timespec(&t0, a);
	CU_ASSERT_EQUAL(memcmp(a, epoch, 12), 0);
	mg_tai64n_from_timespec(&t1, b);
	CU_ASSERT_EQUAL(memcmp(b, later, 12), 0);
	CU_ASSERT_TRUE(mg_tai64n_after(b, a));
	CU_ASSERT_FALSE(mg_tai64n_after(a, b));
	mg_tai64n_from_timespec(&t2, a);
	CU_ASSERT_FALSE(mg_tai64n_after(b, a)); /* same grain: equal, not after */
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "keys match without psk", test_keys_match_without_psk },
		{ "keys match with psk", test_keys_match_with_psk },
		{ "psk mismatch fails", test_psk_mismatch_fails },
		{ "replayed initiation rejected", test_replayed_initiation_rejected },
		{ "initiation flood rejected", test_initiation_flood_rejected },
		{ "wrong mac1 rejected", test_wrong_mac1_rejected },
		{ "decrypt failure and unknown peer", test_decrypt_failure_and_unknown_peer },
		{ "cookie under load", test_cookie_under_load },
		{ "cookie expiry", test_cookie_expiry },
		{ "open mode admits and caps", test_open_mode_admits_and_caps },
		{ "index release and reuse", test_index_release_and_reuse },
		{ "response checks", test_response_checks },
		{ "rate limited under load", test_rate_limited_under_load },
		{ "sizes and types", test_sizes_and_types },
		{ "tai64n", test_tai64n },
	};

	if (sodium_init() < 0)
		return 2;
	return MG_CUNIT_RUN("wg_handshake", cases);
}
