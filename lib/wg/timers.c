/* WireGuard's per-peer timers (Linux timers.c and keep_key_fresh of send.c/receive.c), written
 * as deadlines computed from a peer's timestamps, so one pure function decides what is due.
 *
 * The timers, and the events that arm them:
 * - retransmit handshake: REKEY_TIMEOUT + jitter after we sent an initiation with no response;
 *   retry, or give up after MAX_HANDSHAKE_RETRIES retries (about REKEY_ATTEMPT_TIME).
 * - send keepalive: KEEPALIVE_TIMEOUT after the first data received since we last sent anything,
 *   so that the peer learns its data arrived.
 * - new handshake: KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter after the first data sent since we
 *   last heard anything (and since our last initiation): the session may be dead.
 * - zero key material: 3 * REJECT_AFTER_TIME after the last session was derived (or after the
 *   last initiation, if that came later and the session timer had already run out).
 * - persistent keepalive: the configured interval after any authenticated packet either way.
 * Plus the checks Linux runs when packets pass: rekey when sending with a keypair that is
 * REKEY_AFTER_TIME old (if we initiated it) or REKEY_AFTER_MESSAGES used; rekey once when
 * receiving on a keypair we initiated that is REJECT_AFTER_TIME - KEEPALIVE - REKEY_TIMEOUT old;
 * and expiry of the current keypair at REJECT_AFTER_TIME or REJECT_AFTER_MESSAGES.
 * Initiations outside retransmission are spaced by at least REKEY_TIMEOUT, as in Linux.
 */
#include <string.h>

#include "timers.h"

#define NEVER UINT64_MAX
#define S(x) ((uint64_t)(x) * MG_WG_NSEC_PER_SEC)

/* The actions due now and the earliest deadline still ahead. */
struct decision {
	uint64_t now;
	uint32_t actions;
	uint64_t next;
};

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > NEVER - b ? NEVER : a + b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* A rule whose deadline has come contributes its actions; otherwise its deadline. */
static void consider(struct decision *d, uint64_t deadline, uint32_t actions)
{
	if (deadline == NEVER)
		return;
	if (deadline <= d->now)
		d->actions |= actions;
	else if (deadline < d->next)
		d->next = deadline;
}

void mg_wg_timers_init(struct mg_wg_timer_peer *p, uint32_t persistent_keepalive_s)
{
	memset(p, 0, sizeof(*p));
	p->persistent_keepalive_s = persistent_keepalive_s;
}

void mg_wg_timers_any_packet_sent(struct mg_wg_timer_peer *p, uint64_t now_ns)
{
	p->last_packet_sent_ns = now_ns;
	p->rx_unanswered_since_ns = 0; /* whatever we sent answers the peer's data */
}

void mg_wg_timers_any_packet_received(struct mg_wg_timer_peer *p, uint64_t now_ns)
{
	p->last_packet_received_ns = now_ns;
	p->tx_unanswered_since_ns = 0; /* the peer is alive */
}

void mg_wg_timers_data_sent(struct mg_wg_timer_peer *p, uint64_t now_ns)
{
	mg_wg_timers_any_packet_sent(p, now_ns);
	p->last_data_sent_ns = now_ns;
	/* Arm "new handshake" unless armed already; an initiation since then disarmed it. */
	if (p->tx_unanswered_since_ns == 0 ||
	    p->tx_unanswered_since_ns <= p->last_handshake_initiated_ns)
		p->tx_unanswered_since_ns = now_ns;
}

void mg_wg_timers_data_received(struct mg_wg_timer_peer *p, uint64_t now_ns)
{
	mg_wg_timers_any_packet_received(p, now_ns);
	p->last_data_received_ns = now_ns;
	if (p->rx_unanswered_since_ns == 0)
		p->rx_unanswered_since_ns = now_ns;
}

void mg_wg_timers_handshake_initiated(struct mg_wg_timer_peer *p, uint64_t now_ns, bool is_retry)
{
	mg_wg_timers_any_packet_sent(p, now_ns);
	p->last_handshake_initiated_ns = now_ns;
	p->handshake_retries = is_retry ? p->handshake_retries + 1 : 0;
	p->handshake_in_flight = true;
}

void mg_wg_timers_handshake_complete(struct mg_wg_timer_peer *p)
{
	p->handshake_in_flight = false;
	p->handshake_retries = 0;
}

void mg_wg_timers_session_derived(struct mg_wg_timer_peer *p, uint64_t now_ns, bool initiator)
{
	p->last_handshake_completed_ns = now_ns;
	p->has_key_material = true;
	p->keypair_valid = true;
	p->keypair_initiator = initiator;
	p->keypair_created_ns = now_ns;
	p->keypair_send_counter = 0;
}

void mg_wg_timers_handshake_gave_up(struct mg_wg_timer_peer *p)
{
	p->handshake_in_flight = false;
	p->handshake_retries = 0;
}

void mg_wg_timers_current_expired(struct mg_wg_timer_peer *p)
{
	p->keypair_valid = false;
}

void mg_wg_timers_keys_zeroed(struct mg_wg_timer_peer *p)
{
	p->has_key_material = false;
	p->keypair_valid = false;
}

/* Earliest time a non-retry initiation may leave, or NEVER if one may not start at all. */
static uint64_t initiation_allowed_at(const struct mg_wg_timer_peer *p)
{
	if (!p->has_endpoint || p->handshake_in_flight)
		return NEVER;
	if (p->last_handshake_initiated_ns == 0)
		return 0;
	return add_sat(p->last_handshake_initiated_ns, S(MG_WG_REKEY_TIMEOUT_S));
}

static void rule_retransmit(struct decision *d, const struct mg_wg_timer_peer *p, uint64_t jitter)
{
	uint64_t due;

	if (!p->handshake_in_flight)
		return;
	due = add_sat(add_sat(p->last_handshake_initiated_ns, S(MG_WG_REKEY_TIMEOUT_S)), jitter);
	if (!p->has_endpoint || p->handshake_retries > MG_WG_TIMER_MAX_HANDSHAKE_RETRIES)
		consider(d, due, MG_WG_TIMER_GIVE_UP_HANDSHAKE);
	else
		consider(d, due, MG_WG_TIMER_SEND_INITIATION | MG_WG_TIMER_INITIATION_RETRY);
}

static void rule_new_handshake(struct decision *d, const struct mg_wg_timer_peer *p,
			       uint64_t jitter)
{
	uint64_t due;

	if (p->tx_unanswered_since_ns == 0 ||
	    p->tx_unanswered_since_ns <= p->last_handshake_initiated_ns)
		return;
	due = add_sat(p->tx_unanswered_since_ns,
		      S(MG_WG_KEEPALIVE_TIMEOUT_S + MG_WG_REKEY_TIMEOUT_S) + jitter);
	consider(d, max_u64(due, initiation_allowed_at(p)), MG_WG_TIMER_SEND_INITIATION);
}

/* keep_key_fresh on the send path: data went out on a keypair due for replacement. */
static void rule_rekey_on_send(struct decision *d, const struct mg_wg_timer_peer *p)
{
	bool old, used;

	if (!p->keypair_valid || p->last_data_sent_ns <= p->last_handshake_initiated_ns)
		return;
	used = p->keypair_send_counter > MG_WG_REKEY_AFTER_MESSAGES;
	old = p->keypair_initiator &&
	      p->last_data_sent_ns >= add_sat(p->keypair_created_ns, S(MG_WG_REKEY_AFTER_TIME_S));
	if (used || old)
		consider(d, initiation_allowed_at(p), MG_WG_TIMER_SEND_INITIATION);
}

/* keep_key_fresh on the receive path: one last-minute initiation before the keypair dies. */
static void rule_rekey_on_receive(struct decision *d, const struct mg_wg_timer_peer *p)
{
	uint64_t lastminute = add_sat(p->keypair_created_ns,
				      S(MG_WG_REJECT_AFTER_TIME_S - MG_WG_KEEPALIVE_TIMEOUT_S -
					MG_WG_REKEY_TIMEOUT_S));

	if (!p->keypair_valid || !p->keypair_initiator || p->last_data_received_ns < lastminute ||
	    p->last_handshake_initiated_ns >= lastminute)
		return;
	consider(d, initiation_allowed_at(p), MG_WG_TIMER_SEND_INITIATION);
}

static void rule_expire_current(struct decision *d, const struct mg_wg_timer_peer *p)
{
	if (!p->keypair_valid)
		return;
	if (p->keypair_send_counter >= MG_WG_REJECT_AFTER_MESSAGES)
		consider(d, d->now, MG_WG_TIMER_EXPIRE_CURRENT);
	else
		consider(d, add_sat(p->keypair_created_ns, S(MG_WG_REJECT_AFTER_TIME_S)),
			 MG_WG_TIMER_EXPIRE_CURRENT);
}

static void rule_zero_keys(struct decision *d, const struct mg_wg_timer_peer *p)
{
	uint64_t session_end = add_sat(p->last_handshake_completed_ns, S(3 * MG_WG_REJECT_AFTER_TIME_S));
	uint64_t base = p->last_handshake_completed_ns;

	if (!p->has_key_material)
		return;
	/* Linux re-arms the timer after a failed attempt only if the session's timer had run out. */
	if (base == 0 || session_end <= p->last_handshake_initiated_ns)
		base = p->last_handshake_initiated_ns;
	if (base == 0)
		return;
	consider(d, add_sat(base, S(3 * MG_WG_REJECT_AFTER_TIME_S)), MG_WG_TIMER_ZERO_ALL_KEYS);
}

/* Answer the peer's data within KEEPALIVE_TIMEOUT, riding on the current keypair. */
static void rule_keepalive(struct decision *d, const struct mg_wg_timer_peer *p)
{
	if (p->rx_unanswered_since_ns == 0 || !p->keypair_valid || !p->has_endpoint)
		return;
	consider(d, add_sat(p->rx_unanswered_since_ns, S(MG_WG_KEEPALIVE_TIMEOUT_S)),
		 MG_WG_TIMER_SEND_KEEPALIVE);
}

/* Keep NAT mappings open; with no keypair to ride on, start a handshake instead (as Linux). */
static void rule_persistent_keepalive(struct decision *d, const struct mg_wg_timer_peer *p)
{
	uint64_t due;

	if (p->persistent_keepalive_s == 0 || !p->has_endpoint)
		return;
	due = add_sat(max_u64(p->last_packet_sent_ns, p->last_packet_received_ns),
		      S(p->persistent_keepalive_s));
	if (p->keypair_valid)
		consider(d, due, MG_WG_TIMER_SEND_KEEPALIVE);
	else
		consider(d, max_u64(due, initiation_allowed_at(p)), MG_WG_TIMER_SEND_INITIATION);
}

uint32_t mg_wg_timers_decide(const struct mg_wg_timer_peer *p, uint64_t now_ns, uint64_t jitter_ns,
			     uint64_t *next_deadline_ns)
{
	struct decision d = { .now = now_ns, .actions = 0, .next = NEVER };

	rule_retransmit(&d, p, jitter_ns);
	rule_new_handshake(&d, p, jitter_ns);
	rule_rekey_on_send(&d, p);
	rule_rekey_on_receive(&d, p);
	rule_expire_current(&d, p);
	rule_zero_keys(&d, p);
	rule_keepalive(&d, p);
	rule_persistent_keepalive(&d, p);
	if (next_deadline_ns != NULL)
		*next_deadline_ns = d.next;
	return d.actions;
}
