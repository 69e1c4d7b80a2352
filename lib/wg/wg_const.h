/* WireGuard protocol constants, in one place, grouped by theme.
 *
 * Values are those of the WireGuard whitepaper (section 6) and the Linux and wireguard-go
 * implementations; meshgate must match them exactly to interoperate with stock clients.
 */
#ifndef MG_WG_CONST_H
#define MG_WG_CONST_H

#include <stdint.h>

enum mg_wg_message_type {
	MG_WG_MSG_INITIATION = 1,
	MG_WG_MSG_RESPONSE = 2,
	MG_WG_MSG_COOKIE_REPLY = 3,
	MG_WG_MSG_DATA = 4,
};

enum mg_wg_sizes {
	MG_WG_KEY_LEN = 32,
	MG_WG_HASH_LEN = 32,
	MG_WG_MAC_LEN = 16,
	MG_WG_TAG_LEN = 16,          /* Poly1305 */
	MG_WG_TIMESTAMP_LEN = 12,    /* TAI64N */
	MG_WG_COOKIE_LEN = 16,
	MG_WG_COOKIE_NONCE_LEN = 24, /* XChaCha20-Poly1305 */
	MG_WG_MSG_INITIATION_LEN = 148,
	MG_WG_MSG_RESPONSE_LEN = 92,
	MG_WG_MSG_COOKIE_REPLY_LEN = 64,
	MG_WG_DATA_HEADER_LEN = 16,  /* type, receiver index, counter */
	MG_WG_DATA_MIN_LEN = MG_WG_DATA_HEADER_LEN + MG_WG_TAG_LEN, /* a keepalive */
	MG_WG_PADDING_MULTIPLE = 16,
};

/* Message limits, whitepaper 6.1. */
#define MG_WG_REKEY_AFTER_MESSAGES (1ULL << 60)
#define MG_WG_REJECT_AFTER_MESSAGES (UINT64_MAX - (1ULL << 13) - 1)

/* Time limits in seconds, whitepaper 6.1. */
enum mg_wg_timers_s {
	MG_WG_REKEY_AFTER_TIME_S = 120,
	MG_WG_REJECT_AFTER_TIME_S = 180,
	MG_WG_REKEY_ATTEMPT_TIME_S = 90,
	MG_WG_REKEY_TIMEOUT_S = 5,
	MG_WG_KEEPALIVE_TIMEOUT_S = 10,
	MG_WG_COOKIE_SECRET_MAX_AGE_S = 120,
	MG_WG_COOKIE_SECRET_LATENCY_S = 5,
};

enum mg_wg_timers_ms {
	MG_WG_REKEY_TIMEOUT_JITTER_MAX_MS = 334,
	MG_WG_INITIATIONS_MIN_INTERVAL_MS = 1000 / 50, /* at most 50 initiations/s per peer */
};

#define MG_WG_NSEC_PER_SEC 1000000000ULL

enum mg_wg_replay {
	MG_WG_REPLAY_WINDOW_BITS = 8192, /* RFC 6479 style bitmap, per keypair */
};

#endif /* MG_WG_CONST_H */
