/* WireGuard's per-peer timer rules as one deterministic decision function.
 *
 * The caller (the control lcore) keeps a struct mg_wg_timer_peer per peer, updates it through
 * the event hooks below (named after the events of Linux's timers.c), and calls
 * mg_wg_timers_decide() with the clock: it returns the actions due now and the next deadline, so
 * the lcore can sleep until then. No clock is read and no randomness is drawn here.
 */
#ifndef MG_WG_TIMERS_H
#define MG_WG_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

#include "wg_const.h"

/* Actions, as bits of the value mg_wg_timers_decide() returns. */
enum mg_wg_timer_action {
	MG_WG_TIMER_SEND_KEEPALIVE = 1u << 0,    /* send an empty data packet */
	MG_WG_TIMER_SEND_INITIATION = 1u << 1,   /* send a handshake initiation */
	MG_WG_TIMER_INITIATION_RETRY = 1u << 2,  /* ... it is a retransmission (is_retry) */
	MG_WG_TIMER_GIVE_UP_HANDSHAKE = 1u << 3, /* stop retrying; drop packets staged for the peer */
	MG_WG_TIMER_EXPIRE_CURRENT = 1u << 4,    /* current keypair may no longer send or receive */
	MG_WG_TIMER_ZERO_ALL_KEYS = 1u << 5,     /* wipe keypairs and handshake state */
};

enum mg_wg_timer_limits {
	/* Linux MAX_TIMER_HANDSHAKES: retries before giving up (about REKEY_ATTEMPT_TIME). */
	MG_WG_TIMER_MAX_HANDSHAKE_RETRIES = MG_WG_REKEY_ATTEMPT_TIME_S / MG_WG_REKEY_TIMEOUT_S,
};

/* What the rules need to know about one peer. Times are now_ns values; 0 means "never". */
struct mg_wg_timer_peer {
	uint64_t last_data_sent_ns;           /* transport data with a payload (not keepalives) */
	uint64_t last_data_received_ns;
	uint64_t last_packet_sent_ns;         /* any authenticated packet: data, keepalive, handshake */
	uint64_t last_packet_received_ns;
	uint64_t rx_unanswered_since_ns;      /* first data received since we last sent anything */
	uint64_t tx_unanswered_since_ns;      /* first data sent since we last received anything */
	uint64_t last_handshake_initiated_ns; /* last initiation we sent (first or retry) */
	uint64_t last_handshake_completed_ns; /* last session derived, as initiator or responder */
	uint64_t keypair_created_ns;          /* current keypair's birth */
	uint64_t keypair_send_counter;        /* current keypair's next sending counter */
	uint32_t handshake_retries;           /* retransmissions of the initiation in flight */
	uint32_t persistent_keepalive_s;      /* 0 = off */
	bool keypair_valid;                   /* a current keypair exists and may send */
	bool keypair_initiator;               /* ... and we were the initiator of its handshake */
	bool has_endpoint;                    /* we know where to send to this peer */
	bool handshake_in_flight;             /* our initiation awaits a response */
	bool has_key_material;                /* keypairs or handshake state exist to wipe */
};

/* An empty peer: no keys, no traffic, no endpoint. */
void mg_wg_timers_init(struct mg_wg_timer_peer *p, uint32_t persistent_keepalive_s);

/* Event hooks. data_* imply the matching any_packet_* event. */
void mg_wg_timers_data_sent(struct mg_wg_timer_peer *p, uint64_t now_ns);
void mg_wg_timers_data_received(struct mg_wg_timer_peer *p, uint64_t now_ns);
void mg_wg_timers_any_packet_sent(struct mg_wg_timer_peer *p, uint64_t now_ns);
void mg_wg_timers_any_packet_received(struct mg_wg_timer_peer *p, uint64_t now_ns);
void mg_wg_timers_handshake_initiated(struct mg_wg_timer_peer *p, uint64_t now_ns, bool is_retry);
/* Our initiation got its response, or (responder) the peer confirmed the new keypair. */
void mg_wg_timers_handshake_complete(struct mg_wg_timer_peer *p);
/* A new keypair was derived; it becomes current with the given role now. */
void mg_wg_timers_session_derived(struct mg_wg_timer_peer *p, uint64_t now_ns, bool initiator);
void mg_wg_timers_handshake_gave_up(struct mg_wg_timer_peer *p);
void mg_wg_timers_current_expired(struct mg_wg_timer_peer *p);
void mg_wg_timers_keys_zeroed(struct mg_wg_timer_peer *p);

/* Actions due at now_ns (bits of enum mg_wg_timer_action). jitter_ns (0..334 ms, drawn by the
 * caller, ideally once per initiation) is added to the retransmit and new-handshake deadlines.
 * *next_deadline_ns receives the earliest future time at which a rule will fire if the state
 * does not change (UINT64_MAX if none); call again after applying the actions and at that time. */
uint32_t mg_wg_timers_decide(const struct mg_wg_timer_peer *p, uint64_t now_ns, uint64_t jitter_ns,
			     uint64_t *next_deadline_ns);

#endif /* MG_WG_TIMERS_H */
