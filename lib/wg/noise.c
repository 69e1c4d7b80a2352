/* Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s as WireGuard uses it (whitepaper 5.4.2-5.4.6).
 *
 * HASH is BLAKE2s-256 (libb2), HMAC is RFC 2104 over BLAKE2s, KDF1/2/3 are the HKDF-style chains
 * of the paper, DH is X25519 and AEAD is ChaCha20-Poly1305 (libsodium). Each step works on local
 * copies of the chaining key and hash and commits them to the peer only when the step succeeded;
 * every exit path wipes the local secrets.
 */
#include <string.h>

#include <sodium.h>

#include "noise.h"
#include "tai64n.h"
#include "wg_blake2s.h"
#include "x25519_base.h"

static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

enum { HMAC_BLOCK = BLAKE2S_BLOCKBYTES };

/* Working copy of a handshake's symmetric state, wiped when a step ends. */
struct sym {
	uint8_t ck[MG_WG_HASH_LEN];
	uint8_t h[MG_WG_HASH_LEN];
	uint8_t key[MG_WG_KEY_LEN];
};

static void
hash2(uint8_t out[MG_WG_HASH_LEN], const void *a, size_t alen, const void *b, size_t blen)
{
	blake2s_state s;

	mg_blake2s_init(&s, MG_WG_HASH_LEN);
	mg_blake2s_update(&s, a, alen);
	if (blen > 0)
		mg_blake2s_update(&s, b, blen);
	mg_blake2s_final(&s, out, MG_WG_HASH_LEN);
	sodium_memzero(&s, sizeof(s));
}

/* HMAC-BLAKE2s per RFC 2104: H((K ^ opad) || H((K ^ ipad) || m)), 64-byte block. */
static void
hmac(uint8_t out[MG_WG_HASH_LEN], const uint8_t *key, size_t keylen, const uint8_t *in, size_t inlen)
{
	uint8_t k[HMAC_BLOCK] = {0}, pad[HMAC_BLOCK], inner[MG_WG_HASH_LEN];

	if (keylen > HMAC_BLOCK)
		mg_blake2s(k, MG_WG_HASH_LEN, key, keylen, NULL, 0);
	else
		memcpy(k, key, keylen);
	for (size_t i = 0; i < HMAC_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	hash2(inner, pad, sizeof(pad), in, inlen);
	for (size_t i = 0; i < HMAC_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	hash2(out, pad, sizeof(pad), inner, sizeof(inner));
	sodium_memzero(k, sizeof(k));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
}

/* KDFn(key, input): t0 = HMAC(key, input), t1 = HMAC(t0, 0x1), ti = HMAC(t0, t(i-1) || i).
 * Outputs t1..t3 go to o1..o3 when non-NULL (o1 may alias key). */
static void
kdf(uint8_t *o1, uint8_t *o2, uint8_t *o3, const uint8_t key[MG_WG_HASH_LEN], const uint8_t *in,
    size_t inlen)
{
	uint8_t t0[MG_WG_HASH_LEN], t[MG_WG_HASH_LEN + 1];

	hmac(t0, key, MG_WG_HASH_LEN, in, inlen);
	t[0] = 1;
	hmac(t, t0, sizeof(t0), t, 1);
	if (o2 != NULL || o3 != NULL) {
		uint8_t t1[MG_WG_HASH_LEN];

		memcpy(t1, t, sizeof(t1));
		t[MG_WG_HASH_LEN] = 2;
		hmac(t, t0, sizeof(t0), t, sizeof(t));
		if (o2 != NULL)
			memcpy(o2, t, MG_WG_HASH_LEN);
		if (o3 != NULL) {
			t[MG_WG_HASH_LEN] = 3;
			hmac(o3, t0, sizeof(t0), t, sizeof(t));
		}
		memcpy(t, t1, sizeof(t1));
		sodium_memzero(t1, sizeof(t1));
	}
	if (o1 != NULL)
		memcpy(o1, t, MG_WG_HASH_LEN);
	sodium_memzero(t0, sizeof(t0));
	sodium_memzero(t, sizeof(t));
}

static void
mix_hash(uint8_t h[MG_WG_HASH_LEN], const uint8_t *data, size_t len)
{
	hash2(h, h, MG_WG_HASH_LEN, data, len);
}

/* ck = KDF1(ck, dh) or (ck, key) = KDF2(ck, dh) with dh = X25519(priv, pub); false on a zero DH. */
static bool
mix_dh(struct sym *s, bool want_key, const uint8_t priv[MG_WG_KEY_LEN], const uint8_t pub[MG_WG_KEY_LEN])
{
	uint8_t dh[MG_WG_KEY_LEN];
	bool ok = crypto_scalarmult(dh, priv, pub) == 0; /* libsodium fails on an all-zero result */

	if (ok)
		kdf(s->ck, want_key ? s->key : NULL, NULL, s->ck, dh, sizeof(dh));
	sodium_memzero(dh, sizeof(dh));
	return ok;
}

/* AEAD with counter 0 and the running hash as associated data, then mix the ciphertext. */
static void
seal(struct sym *s, uint8_t *out, const uint8_t *plain, size_t len)
{
	static const uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES]; /* 4 zero || le64 0 */
	static const uint8_t none;

	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, len ? plain : &none, len, s->h,
						  MG_WG_HASH_LEN, NULL, nonce, s->key);
	mix_hash(s->h, out, len + MG_WG_TAG_LEN);
}

static bool
open_(struct sym *s, uint8_t *plain, const uint8_t *in, size_t len)
{
	static const uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	uint8_t dummy[1];

	if (crypto_aead_chacha20poly1305_ietf_decrypt(len ? plain : dummy, NULL, NULL, in,
						      len + MG_WG_TAG_LEN, s->h, MG_WG_HASH_LEN,
						      nonce, s->key) != 0)
		return false;
	mix_hash(s->h, in, len + MG_WG_TAG_LEN);
	return true;
}

/* Initial state: ck = HASH(construction), h = HASH(HASH(ck || identifier) || responder static).
 * mg_noise_local_init hashed the constant part once, and the whole of it for our own key. */
static void
sym_init(struct sym *s, const struct mg_noise_local *l, const uint8_t *responder_static_or_null)
{
	memcpy(s->ck, l->initial_chaining_key, sizeof(s->ck));
	if (responder_static_or_null == NULL) { /* we are the responder */
		memcpy(s->h, l->responder_hash, sizeof(s->h));
	} else {
		memcpy(s->h, l->initial_hash, sizeof(s->h));
		mix_hash(s->h, responder_static_or_null, MG_WG_KEY_LEN);
	}
	sodium_memzero(s->key, sizeof(s->key));
}

/* e: h = HASH(h || e_pub), ck = KDF1(ck, e_pub). */
static void
mix_ephemeral(struct sym *s, const uint8_t e_pub[MG_WG_KEY_LEN])
{
	mix_hash(s->h, e_pub, MG_WG_KEY_LEN);
	kdf(s->ck, NULL, NULL, s->ck, e_pub, MG_WG_KEY_LEN);
}

static bool
is_zero(const uint8_t *p, size_t len)
{
	return sodium_is_zero(p, len) == 1;
}

int
mg_noise_local_init(struct mg_noise_local *l, const uint8_t private_key[MG_WG_KEY_LEN])
{
	if (is_zero(private_key, MG_WG_KEY_LEN))
		return -1;
	memcpy(l->private_key, private_key, MG_WG_KEY_LEN);
	memset(&l->ephemerals, 0, sizeof(l->ephemerals)); /* none made yet */
	/* Clamp as every WireGuard implementation stores it (scalarmult clamps again anyway). */
	l->private_key[0] &= 248;
	l->private_key[31] = (l->private_key[31] & 127) | 64;
	mg_x25519_public_key(l->public_key, l->private_key);
	hash2(l->initial_chaining_key, construction, strlen(construction), NULL, 0);
	hash2(l->initial_hash, l->initial_chaining_key, MG_WG_HASH_LEN, identifier, strlen(identifier));
	hash2(l->responder_hash, l->initial_hash, MG_WG_HASH_LEN, l->public_key, MG_WG_KEY_LEN);
	return 0;
}

void
mg_noise_local_wipe(struct mg_noise_local *l)
{
	sodium_memzero(l, sizeof(*l));
}

enum mg_noise_result
mg_noise_peer_init(struct mg_noise_peer *p, const struct mg_noise_local *l,
		   const uint8_t remote_static[MG_WG_KEY_LEN], const uint8_t *psk_or_null)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->remote_static, remote_static, MG_WG_KEY_LEN);
	if (psk_or_null != NULL)
		memcpy(p->preshared_key, psk_or_null, MG_WG_KEY_LEN);
	if (crypto_scalarmult(p->precomputed_static_static, l->private_key, remote_static) != 0) {
		mg_noise_peer_wipe(p);
		return MG_NOISE_ERR_INVALID_DH;
	}
	return MG_NOISE_OK;
}

void
mg_noise_peer_wipe(struct mg_noise_peer *p)
{
	sodium_memzero(p, sizeof(*p));
}

void
mg_noise_handshake_clear(struct mg_noise_handshake *hs)
{
	sodium_memzero(hs, sizeof(*hs));
	hs->state = MG_NOISE_STATE_ZEROED;
}

enum mg_noise_result
mg_noise_create_initiation(struct mg_noise_local *l, struct mg_noise_peer *p, uint32_t local_index,
			   uint64_t now_ns,
			   const uint8_t timestamp[MG_WG_TIMESTAMP_LEN], struct mg_wg_msg_initiation *msg)
{
	struct sym s;
	uint8_t e_priv[MG_WG_KEY_LEN];
	enum mg_noise_result rc = MG_NOISE_ERR_INVALID_DH;

	memset(msg, 0, sizeof(*msg));
	msg->type = mg_wg_le32_put(MG_WG_MSG_INITIATION);
	msg->sender_index = mg_wg_le32_put(local_index);
	sym_init(&s, l, p->remote_static);
	/* e: a fresh pair from the batch (x25519_base.c: a quarter of the X25519 work, halved) */
	mg_x25519_ephemeral(&l->ephemerals, now_ns, e_priv, msg->ephemeral);
	mix_ephemeral(&s, msg->ephemeral);
	/* es */
	if (!mix_dh(&s, true, e_priv, p->remote_static))
		goto out_wipe;
	/* s */
	seal(&s, msg->encrypted_static, l->public_key, MG_WG_KEY_LEN);
	/* ss */
	if (is_zero(p->precomputed_static_static, MG_WG_KEY_LEN))
		goto out_wipe;
	kdf(s.ck, s.key, NULL, s.ck, p->precomputed_static_static, MG_WG_KEY_LEN);
	/* {t} */
	seal(&s, msg->encrypted_timestamp, timestamp, MG_WG_TIMESTAMP_LEN);

	mg_noise_handshake_clear(&p->hs);
	memcpy(p->hs.chaining_key, s.ck, sizeof(s.ck));
	memcpy(p->hs.hash, s.h, sizeof(s.h));
	memcpy(p->hs.ephemeral_private, e_priv, sizeof(e_priv));
	p->hs.local_index = local_index;
	p->hs.state = MG_NOISE_STATE_CREATED_INITIATION;
	rc = MG_NOISE_OK;
out_wipe:
	sodium_memzero(&s, sizeof(s));
	sodium_memzero(e_priv, sizeof(e_priv));
	return rc;
}

/* Replay and flood rules for a decrypted initiation timestamp (whitepaper 5.1, Linux noise.c). */
static enum mg_noise_result
check_timestamp(const struct mg_noise_peer *p, const uint8_t ts[MG_WG_TIMESTAMP_LEN], uint64_t now_ns)
{
	const uint64_t min_gap = (uint64_t)MG_WG_INITIATIONS_MIN_INTERVAL_MS * 1000000ULL;

	if (!mg_tai64n_after(ts, p->latest_timestamp))
		return MG_NOISE_ERR_REPLAY;
	if (p->has_consumed_initiation && now_ns - p->last_initiation_consumed_ns < min_gap)
		return MG_NOISE_ERR_FLOOD;
	return MG_NOISE_OK;
}

/* Decrypt "s" and "{t}" of an initiation, then find its peer; s already holds e and es. */
static enum mg_noise_result
open_identity(struct sym *s, const struct mg_wg_msg_initiation *msg, mg_noise_lookup_fn lookup,
	      void *ctx, uint8_t ts[MG_WG_TIMESTAMP_LEN], struct mg_noise_peer **peer_out)
{
	uint8_t s_pub[MG_WG_KEY_LEN];
	struct mg_noise_peer *p;

	/* s */
	if (!open_(s, s_pub, msg->encrypted_static, MG_WG_KEY_LEN))
		return MG_NOISE_ERR_DECRYPT;
	p = lookup(ctx, s_pub);
	sodium_memzero(s_pub, sizeof(s_pub));
	if (p == NULL)
		return MG_NOISE_ERR_UNKNOWN_PEER;
	*peer_out = p;
	/* ss */
	if (is_zero(p->precomputed_static_static, MG_WG_KEY_LEN))
		return MG_NOISE_ERR_INVALID_DH;
	kdf(s->ck, s->key, NULL, s->ck, p->precomputed_static_static, MG_WG_KEY_LEN);
	/* {t} */
	if (!open_(s, ts, msg->encrypted_timestamp, MG_WG_TIMESTAMP_LEN))
		return MG_NOISE_ERR_DECRYPT;
	return MG_NOISE_OK;
}

enum mg_noise_result
mg_noise_consume_initiation(const struct mg_noise_local *l, const struct mg_wg_msg_initiation *msg,
			    uint64_t now_ns, mg_noise_lookup_fn lookup, void *lookup_ctx,
			    struct mg_noise_peer **peer_out)
{
	struct sym s;
	uint8_t ts[MG_WG_TIMESTAMP_LEN];
	struct mg_noise_peer *p = NULL;
	enum mg_noise_result rc = MG_NOISE_ERR_INVALID_DH;

	*peer_out = NULL;
	sym_init(&s, l, NULL);
	/* e */
	mix_ephemeral(&s, msg->ephemeral);
	/* es */
	if (!mix_dh(&s, true, l->private_key, msg->ephemeral))
		goto out_wipe;
	rc = open_identity(&s, msg, lookup, lookup_ctx, ts, &p);
	*peer_out = p;
	if (rc != MG_NOISE_OK)
		goto out_wipe;
	rc = check_timestamp(p, ts, now_ns);
	if (rc != MG_NOISE_OK)
		goto out_wipe;

	memcpy(p->latest_timestamp, ts, sizeof(ts));
	p->last_initiation_consumed_ns = now_ns;
	p->has_consumed_initiation = true;
	mg_noise_handshake_clear(&p->hs);
	memcpy(p->hs.chaining_key, s.ck, sizeof(s.ck));
	memcpy(p->hs.hash, s.h, sizeof(s.h));
	memcpy(p->hs.remote_ephemeral, msg->ephemeral, MG_WG_KEY_LEN);
	p->hs.remote_index = mg_wg_le32_get(msg->sender_index);
	p->hs.state = MG_NOISE_STATE_CONSUMED_INITIATION;
out_wipe:
	sodium_memzero(&s, sizeof(s));
	sodium_memzero(ts, sizeof(ts));
	return rc;
}

/* psk: (ck, tau, key) = KDF3(ck, psk); h = HASH(h || tau). */
static void
mix_psk(struct sym *s, const uint8_t psk[MG_WG_KEY_LEN])
{
	uint8_t tau[MG_WG_HASH_LEN];

	kdf(s->ck, tau, s->key, s->ck, psk, MG_WG_KEY_LEN);
	mix_hash(s->h, tau, sizeof(tau));
	sodium_memzero(tau, sizeof(tau));
}

enum mg_noise_result
mg_noise_create_response(struct mg_noise_local *l, struct mg_noise_peer *p, uint32_t local_index,
			 uint64_t now_ns, struct mg_wg_msg_response *msg)
{
	struct sym s;
	uint8_t e_priv[MG_WG_KEY_LEN];
	enum mg_noise_result rc = MG_NOISE_ERR_STATE;

	if (p->hs.state != MG_NOISE_STATE_CONSUMED_INITIATION)
		return rc;
	memset(msg, 0, sizeof(*msg));
	msg->type = mg_wg_le32_put(MG_WG_MSG_RESPONSE);
	msg->sender_index = mg_wg_le32_put(local_index);
	msg->receiver_index = mg_wg_le32_put(p->hs.remote_index);
	memcpy(s.ck, p->hs.chaining_key, sizeof(s.ck));
	memcpy(s.h, p->hs.hash, sizeof(s.h));
	rc = MG_NOISE_ERR_INVALID_DH;
	/* e: a fresh pair from the batch (x25519_base.c: a quarter of the X25519 work, halved) */
	mg_x25519_ephemeral(&l->ephemerals, now_ns, e_priv, msg->ephemeral);
	mix_ephemeral(&s, msg->ephemeral);
	/* ee */
	if (!mix_dh(&s, false, e_priv, p->hs.remote_ephemeral))
		goto out_wipe;
	/* se */
	if (!mix_dh(&s, false, e_priv, p->remote_static))
		goto out_wipe;
	/* psk */
	mix_psk(&s, p->preshared_key);
	/* {} */
	seal(&s, msg->encrypted_nothing, NULL, 0);

	memcpy(p->hs.chaining_key, s.ck, sizeof(s.ck));
	memcpy(p->hs.hash, s.h, sizeof(s.h));
	p->hs.local_index = local_index;
	p->hs.state = MG_NOISE_STATE_CREATED_RESPONSE;
	rc = MG_NOISE_OK;
out_wipe:
	sodium_memzero(&s, sizeof(s));
	sodium_memzero(e_priv, sizeof(e_priv));
	return rc;
}

enum mg_noise_result
mg_noise_consume_response(const struct mg_noise_local *l, struct mg_noise_peer *p,
			  const struct mg_wg_msg_response *msg)
{
	struct sym s;
	enum mg_noise_result rc = MG_NOISE_ERR_STATE;

	if (p->hs.state != MG_NOISE_STATE_CREATED_INITIATION ||
	    mg_wg_le32_get(msg->receiver_index) != p->hs.local_index)
		return rc;
	memcpy(s.ck, p->hs.chaining_key, sizeof(s.ck));
	memcpy(s.h, p->hs.hash, sizeof(s.h));
	rc = MG_NOISE_ERR_INVALID_DH;
	/* e */
	mix_ephemeral(&s, msg->ephemeral);
	/* ee */
	if (!mix_dh(&s, false, p->hs.ephemeral_private, msg->ephemeral))
		goto out_wipe;
	/* se */
	if (!mix_dh(&s, false, l->private_key, msg->ephemeral))
		goto out_wipe;
	/* psk */
	mix_psk(&s, p->preshared_key);
	/* {} */
	rc = MG_NOISE_ERR_DECRYPT;
	if (!open_(&s, NULL, msg->encrypted_nothing, 0))
		goto out_wipe;

	memcpy(p->hs.chaining_key, s.ck, sizeof(s.ck));
	memcpy(p->hs.hash, s.h, sizeof(s.h));
	memcpy(p->hs.remote_ephemeral, msg->ephemeral, MG_WG_KEY_LEN);
	sodium_memzero(p->hs.ephemeral_private, MG_WG_KEY_LEN);
	p->hs.remote_index = mg_wg_le32_get(msg->sender_index);
	p->hs.state = MG_NOISE_STATE_CONSUMED_RESPONSE;
	rc = MG_NOISE_OK;
out_wipe:
	sodium_memzero(&s, sizeof(s));
	return rc;
}

enum mg_noise_result
mg_noise_begin_session(struct mg_noise_peer *p, struct mg_noise_keys *keys)
{
	uint8_t t1[MG_WG_KEY_LEN], t2[MG_WG_KEY_LEN];
	bool initiator;

	if (p->hs.state == MG_NOISE_STATE_CONSUMED_RESPONSE)
		initiator = true;
	else if (p->hs.state == MG_NOISE_STATE_CREATED_RESPONSE)
		initiator = false;
	else
		return MG_NOISE_ERR_STATE;
	/* (T_send_i = T_recv_r, T_recv_i = T_send_r) = KDF2(ck, empty) */
	kdf(t1, t2, NULL, p->hs.chaining_key, NULL, 0);
	memcpy(keys->send_key, initiator ? t1 : t2, MG_WG_KEY_LEN);
	memcpy(keys->recv_key, initiator ? t2 : t1, MG_WG_KEY_LEN);
	keys->local_index = p->hs.local_index;
	keys->remote_index = p->hs.remote_index;
	keys->initiator = initiator;
	sodium_memzero(t1, sizeof(t1));
	sodium_memzero(t2, sizeof(t2));
	mg_noise_handshake_clear(&p->hs);
	return MG_NOISE_OK;
}
