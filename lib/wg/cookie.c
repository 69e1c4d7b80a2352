/* mac1/mac2 and cookie replies (whitepaper 5.4.4 and 5.4.7), both halves.
 *
 * mac1 = MAC(HASH("mac1----" || receiver's public key), message up to mac1) proves the sender
 * knows whom it talks to; mac2 = MAC(cookie, message up to mac2) proves, under load, that it
 * can receive at its source address: cookie = MAC(secret, source address and port), the secret
 * being random and rotated every 120 s. MAC is keyed BLAKE2s with 16-byte output.
 */
#include <string.h>

#include <sodium.h>

#include "cookie.h"
#include "wg_blake2s.h"

static const char label_mac1[] = "mac1----";
static const char label_cookie[] = "cookie--";

enum { LABEL_LEN = 8, MACS_LEN = 2 * MG_WG_MAC_LEN, ADDR_LEN = 6 };

/* HASH(label || public key): the mac1 and cookie-encryption keys. */
static void
derive_key(uint8_t out[MG_WG_KEY_LEN], const char *label, const uint8_t pub[MG_WG_KEY_LEN])
{
	uint8_t buf[LABEL_LEN + MG_WG_KEY_LEN];

	memcpy(buf, label, LABEL_LEN);
	memcpy(buf + LABEL_LEN, pub, MG_WG_KEY_LEN);
	mg_blake2s(out, MG_WG_HASH_LEN, buf, sizeof(buf), NULL, 0);
}

static void
mac(uint8_t out[MG_WG_MAC_LEN], const uint8_t *key, size_t keylen, const uint8_t *in, size_t len)
{
	mg_blake2s(out, MG_WG_MAC_LEN, in, len, key, keylen);
}

/* mac1 covers every byte before it, i.e. the message minus its 32-byte mac trailer. */
static void
compute_mac1(uint8_t out[MG_WG_MAC_LEN], const uint8_t key[MG_WG_KEY_LEN], const uint8_t *msg, size_t len)
{
	mac(out, key, MG_WG_KEY_LEN, msg, len - MACS_LEN);
}

/* mac2 covers every byte before it, mac1 included. */
static void
compute_mac2(uint8_t out[MG_WG_MAC_LEN], const uint8_t cookie[MG_WG_COOKIE_LEN], const uint8_t *msg,
	     size_t len)
{
	mac(out, cookie, MG_WG_COOKIE_LEN, msg, len - MG_WG_MAC_LEN);
}

void
mg_cookie_checker_init(struct mg_cookie_checker *c, const uint8_t our_public[MG_WG_KEY_LEN])
{
	memset(c, 0, sizeof(*c));
	derive_key(c->mac1_key, label_mac1, our_public);
	derive_key(c->cookie_encryption_key, label_cookie, our_public);
}

void
mg_cookie_checker_wipe(struct mg_cookie_checker *c)
{
	sodium_memzero(c, sizeof(*c));
}

/* cookie = MAC(secret, ip || port) as on the wire; the secret is renewed once 120 s old. */
static void
make_cookie(struct mg_cookie_checker *c, uint32_t src_ip_be, uint16_t src_port_be, uint64_t now_ns,
	    uint8_t cookie[MG_WG_COOKIE_LEN])
{
	const uint64_t max_age = (uint64_t)MG_WG_COOKIE_SECRET_MAX_AGE_S * MG_WG_NSEC_PER_SEC;
	uint8_t addr[ADDR_LEN];

	if (!c->secret_valid || now_ns - c->secret_birth_ns >= max_age) {
		randombytes_buf(c->secret, sizeof(c->secret));
		c->secret_birth_ns = now_ns;
		c->secret_valid = true;
	}
	memcpy(addr, &src_ip_be, sizeof(src_ip_be));
	memcpy(addr + sizeof(src_ip_be), &src_port_be, sizeof(src_port_be));
	mac(cookie, c->secret, sizeof(c->secret), addr, sizeof(addr));
}

enum mg_cookie_mac_state
mg_cookie_validate(struct mg_cookie_checker *c, const uint8_t *msg, size_t len, uint32_t src_ip_be,
		   uint16_t src_port_be, bool check_mac2, uint64_t now_ns)
{
	uint8_t computed[MG_WG_MAC_LEN], cookie[MG_WG_COOKIE_LEN];
	enum mg_cookie_mac_state st = MG_COOKIE_MAC_INVALID;

	if (len < MACS_LEN + 4)
		return st;
	compute_mac1(computed, c->mac1_key, msg, len);
	if (sodium_memcmp(computed, msg + len - MACS_LEN, MG_WG_MAC_LEN) != 0)
		goto out_wipe;
	st = MG_COOKIE_MAC1_OK;
	if (!check_mac2)
		goto out_wipe;
	make_cookie(c, src_ip_be, src_port_be, now_ns, cookie);
	compute_mac2(computed, cookie, msg, len);
	if (sodium_memcmp(computed, msg + len - MG_WG_MAC_LEN, MG_WG_MAC_LEN) == 0)
		st = MG_COOKIE_MAC1_MAC2_OK;
out_wipe:
	sodium_memzero(cookie, sizeof(cookie));
	sodium_memzero(computed, sizeof(computed));
	return st;
}

void
mg_cookie_create_reply(struct mg_cookie_checker *c, const uint8_t *msg, size_t len, uint32_t src_ip_be,
		       uint16_t src_port_be, uint64_t now_ns, struct mg_wg_msg_cookie_reply *out)
{
	uint8_t cookie[MG_WG_COOKIE_LEN];
	uint32_t sender_index;

	/* Types 1 and 2 both carry their sender index right after the type word. */
	memcpy(&sender_index, msg + 4, sizeof(sender_index));
	memset(out, 0, sizeof(*out));
	out->type = mg_wg_le32_put(MG_WG_MSG_COOKIE_REPLY);
	out->receiver_index = sender_index;
	randombytes_buf(out->nonce, sizeof(out->nonce));
	make_cookie(c, src_ip_be, src_port_be, now_ns, cookie);
	/* XAEAD(HASH("cookie--" || our public), nonce, cookie, AAD = the mac1 being answered) */
	crypto_aead_xchacha20poly1305_ietf_encrypt(out->encrypted_cookie, NULL, cookie, sizeof(cookie),
						   msg + len - MACS_LEN, MG_WG_MAC_LEN, NULL, out->nonce,
						   c->cookie_encryption_key);
	sodium_memzero(cookie, sizeof(cookie));
}

void
mg_cookie_maker_init(struct mg_cookie_maker *m, const uint8_t peer_public[MG_WG_KEY_LEN])
{
	memset(m, 0, sizeof(*m));
	derive_key(m->mac1_key, label_mac1, peer_public);
	derive_key(m->cookie_decryption_key, label_cookie, peer_public);
}

void
mg_cookie_maker_wipe(struct mg_cookie_maker *m)
{
	sodium_memzero(m, sizeof(*m));
}

void
mg_cookie_add_macs(struct mg_cookie_maker *m, uint8_t *msg, size_t len, uint64_t now_ns)
{
	const uint64_t max_age = (uint64_t)(MG_WG_COOKIE_SECRET_MAX_AGE_S - MG_WG_COOKIE_SECRET_LATENCY_S) *
				 MG_WG_NSEC_PER_SEC;
	uint8_t *mac1 = msg + len - MACS_LEN, *mac2 = msg + len - MG_WG_MAC_LEN;

	compute_mac1(mac1, m->mac1_key, msg, len);
	memcpy(m->last_mac1_sent, mac1, MG_WG_MAC_LEN);
	m->have_sent_mac1 = true;
	if (m->have_cookie && now_ns - m->cookie_birth_ns < max_age) {
		compute_mac2(mac2, m->cookie, msg, len);
	} else {
		memset(mac2, 0, MG_WG_MAC_LEN);
		if (m->have_cookie) { /* expired: forget it */
			sodium_memzero(m->cookie, sizeof(m->cookie));
			m->have_cookie = false;
		}
	}
}

int
mg_cookie_consume_reply(struct mg_cookie_maker *m, const struct mg_wg_msg_cookie_reply *r, uint64_t now_ns)
{
	uint8_t cookie[MG_WG_COOKIE_LEN];
	int rc = -1;

	if (!m->have_sent_mac1)
		return rc;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(cookie, NULL, NULL, r->encrypted_cookie,
						       sizeof(r->encrypted_cookie), m->last_mac1_sent,
						       MG_WG_MAC_LEN, r->nonce,
						       m->cookie_decryption_key) != 0)
		goto out_wipe;
	memcpy(m->cookie, cookie, sizeof(cookie));
	m->cookie_birth_ns = now_ns;
	m->have_cookie = true;
	m->have_sent_mac1 = false; /* one cookie per mac1 sent, as Linux does */
	rc = 0;
out_wipe:
	sodium_memzero(cookie, sizeof(cookie));
	return rc;
}
