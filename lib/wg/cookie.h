/* WireGuard's cookie mechanism (whitepaper 5.4.7): mac1 on every handshake message, and under
 * load mac2 keyed with a cookie bound to the sender's address.
 *
 * The checker is the responder's half (validates macs, makes cookie replies); the maker is the
 * initiator's half, one per peer (adds macs, consumes cookie replies). Sans-I/O: time is now_ns.
 */
#ifndef MG_WG_COOKIE_H
#define MG_WG_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wg_const.h"
#include "wg_messages.h"

enum mg_cookie_mac_state {
	MG_COOKIE_MAC_INVALID = 0,      /* mac1 wrong: drop silently */
	MG_COOKIE_MAC1_OK,              /* mac1 right, mac2 absent or not from a valid cookie */
	MG_COOKIE_MAC1_MAC2_OK,         /* both right */
};

struct mg_cookie_checker {
	uint8_t mac1_key[MG_WG_KEY_LEN];              /* HASH("mac1----" || our public key) */
	uint8_t cookie_encryption_key[MG_WG_KEY_LEN]; /* HASH("cookie--" || our public key) */
	uint8_t secret[MG_WG_KEY_LEN];                /* random, rotated every 120 s */
	uint64_t secret_birth_ns;
	bool secret_valid;
};

struct mg_cookie_maker {
	uint8_t mac1_key[MG_WG_KEY_LEN];              /* HASH("mac1----" || peer public key) */
	uint8_t cookie_decryption_key[MG_WG_KEY_LEN]; /* HASH("cookie--" || peer public key) */
	uint8_t cookie[MG_WG_COOKIE_LEN];
	uint64_t cookie_birth_ns;
	bool have_cookie;
	uint8_t last_mac1_sent[MG_WG_MAC_LEN];        /* AAD a cookie reply must carry */
	bool have_sent_mac1;
};

/* Responder side. */
void mg_cookie_checker_init(struct mg_cookie_checker *c, const uint8_t our_public[MG_WG_KEY_LEN]);
void mg_cookie_checker_wipe(struct mg_cookie_checker *c);
/* Check mac1, and mac2 when check_mac2 (under load). msg is a whole type-1 or type-2 message. */
enum mg_cookie_mac_state mg_cookie_validate(struct mg_cookie_checker *c, const uint8_t *msg, size_t len,
					    uint32_t src_ip_be, uint16_t src_port_be, bool check_mac2,
					    uint64_t now_ns);
/* Build the cookie reply for msg (type 1 or 2, mac1 already validated) from src. */
void mg_cookie_create_reply(struct mg_cookie_checker *c, const uint8_t *msg, size_t len,
			    uint32_t src_ip_be, uint16_t src_port_be, uint64_t now_ns,
			    struct mg_wg_msg_cookie_reply *out);

/* Initiator side (also used by a responder to mac its responses). */
void mg_cookie_maker_init(struct mg_cookie_maker *m, const uint8_t peer_public[MG_WG_KEY_LEN]);
void mg_cookie_maker_wipe(struct mg_cookie_maker *m);
/* Write mac1, and mac2 if a cookie younger than 115 s is held (else zero), into the message's
 * last 32 bytes. msg is a whole type-1 or type-2 message. */
void mg_cookie_add_macs(struct mg_cookie_maker *m, uint8_t *msg, size_t len, uint64_t now_ns);
/* Decrypt a cookie reply answering our last mac1; 0 on success, -1 when it does not open. */
int mg_cookie_consume_reply(struct mg_cookie_maker *m, const struct mg_wg_msg_cookie_reply *r,
			    uint64_t now_ns);

#endif /* MG_WG_COOKIE_H */
