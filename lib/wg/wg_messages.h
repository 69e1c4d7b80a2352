/* WireGuard wire formats of the four message types, as packed byte-exact structs.
 *
 * Multi-byte integer fields (type, indices, counter) are little-endian on the wire; use the
 * mg_wg_le32 helpers to read and write them. Everything else is opaque bytes (keys, AEAD output).
 */
#ifndef MG_WG_MESSAGES_H
#define MG_WG_MESSAGES_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>

#include "wg_const.h"

/* mac1 and mac2 close every handshake message; mac1 covers all bytes before it, mac2 all before it. */
struct mg_wg_msg_macs {
	uint8_t mac1[MG_WG_MAC_LEN];
	uint8_t mac2[MG_WG_MAC_LEN];
} __attribute__((packed));

/* Type 1: initiator -> responder. */
struct mg_wg_msg_initiation {
	uint32_t type;                 /* le32: message type in the low byte, 3 reserved zero bytes */
	uint32_t sender_index;         /* le32 */
	uint8_t ephemeral[MG_WG_KEY_LEN];
	uint8_t encrypted_static[MG_WG_KEY_LEN + MG_WG_TAG_LEN];
	uint8_t encrypted_timestamp[MG_WG_TIMESTAMP_LEN + MG_WG_TAG_LEN];
	struct mg_wg_msg_macs macs;
} __attribute__((packed));

/* Type 2: responder -> initiator. */
struct mg_wg_msg_response {
	uint32_t type;
	uint32_t sender_index;
	uint32_t receiver_index;
	uint8_t ephemeral[MG_WG_KEY_LEN];
	uint8_t encrypted_nothing[MG_WG_TAG_LEN];
	struct mg_wg_msg_macs macs;
} __attribute__((packed));

/* Type 3: a responder under load answers a handshake message with a cookie. */
struct mg_wg_msg_cookie_reply {
	uint32_t type;
	uint32_t receiver_index;
	uint8_t nonce[MG_WG_COOKIE_NONCE_LEN];
	uint8_t encrypted_cookie[MG_WG_COOKIE_LEN + MG_WG_TAG_LEN];
} __attribute__((packed));

/* Type 4 header; the encrypted, padded packet and its tag follow. */
struct mg_wg_msg_data_header {
	uint32_t type;
	uint32_t receiver_index;
	uint64_t counter;              /* le64 */
} __attribute__((packed));

_Static_assert(sizeof(struct mg_wg_msg_initiation) == MG_WG_MSG_INITIATION_LEN, "initiation size");
_Static_assert(sizeof(struct mg_wg_msg_response) == MG_WG_MSG_RESPONSE_LEN, "response size");
_Static_assert(sizeof(struct mg_wg_msg_cookie_reply) == MG_WG_MSG_COOKIE_REPLY_LEN, "cookie size");
_Static_assert(sizeof(struct mg_wg_msg_data_header) == MG_WG_DATA_HEADER_LEN, "data header size");

/* Wire <-> host for the little-endian 32-bit fields. */
static inline uint32_t
mg_wg_le32_get(uint32_t wire)
{
	return le32toh(wire);
}

static inline uint32_t
mg_wg_le32_put(uint32_t host)
{
	return htole32(host);
}

/* Message type of a datagram: its first byte, with the three reserved bytes required zero.
 * Returns 0 (no valid type) when the datagram is too short or the reserved bytes are set. */
static inline uint8_t
mg_wg_msg_type(const uint8_t *msg, size_t len)
{
	if (len < 4 || msg[1] != 0 || msg[2] != 0 || msg[3] != 0)
		return 0;
	return msg[0];
}

#endif /* MG_WG_MESSAGES_H */
