/* Unit tests of the WireGuard timer rules (lib/wg/timers.c) on a made-up clock.
 *
 * Expected times are the whitepaper's constants (REKEY_TIMEOUT 5 s, KEEPALIVE 10 s, REKEY_AFTER
 * 120 s, REJECT_AFTER 180 s, 3 x REJECT_AFTER for zeroing) combined as Linux timers.c and
 * keep_key_fresh combine them; each test drives one rule through the event hooks.
 */
#include <stdlib.h>

#include "mg_cunit.h"

#include "timers.h"

#define SEC 1000000000ULL
#define MS 1000000ULL
#define T0 (10000 * SEC)
#define NEVER UINT64_MAX

static struct mg_wg_timer_peer p;
static uint64_t next;

static uint32_t at(uint64_t now, uint64_t jitter)
{
	return mg_wg_timers_decide(&p, now, jitter, &next);
}

/* A peer with an endpoint and a fresh session derived at T0. */
static void established(bool initiator)
{
	mg_wg_timers_init(&p, 0);
	p.has_endpoint = true;
	mg_wg_timers_session_derived(&p, T0, initiator);
}

static void test_idle_peer_does_nothing(void)
{
	mg_wg_timers_init(&p, 0);
	CU_ASSERT_EQUAL(at(T0, 0), 0);
	CU_ASSERT_EQUAL(next, NEVER);
	p.has_endpoint = true;
	CU_ASSERT_EQUAL(at(T0 + 1000 * SEC, 0), 0);
	CU_ASSERT_EQUAL(next, NEVER);
}

static void test_retransmit_and_give_up(void)
{
	unsigned initiations = 1;
	uint64_t now = T0;
	uint32_t a;

	mg_wg_timers_init(&p, 0);
	p.has_endpoint = true;
	mg_wg_timers_handshake_initiated(&p, T0, false);
	CU_ASSERT_EQUAL(at(T0 + 5 * SEC - 1, 0), 0);
	CU_ASSERT_EQUAL(next, T0 + 5 * SEC);
	CU_ASSERT_EQUAL(at(T0 + 5 * SEC + 100 * MS, 200 * MS), 0); /* jitter delays it */
	CU_ASSERT_EQUAL(next, T0 + 5 * SEC + 200 * MS);
	/* Retry every 5 s; Linux gives up when the attempt count passes 90 / 5 = 18, so the
	 * initiation goes out 1 + 19 times and the give-up comes 5 s after the last. */
	for (;;) {
		now += 5 * SEC;
		a = at(now, 0);
		if (a & MG_WG_TIMER_GIVE_UP_HANDSHAKE)
			break;
		CU_ASSERT_EQUAL_FATAL(a, MG_WG_TIMER_SEND_INITIATION | MG_WG_TIMER_INITIATION_RETRY);
		mg_wg_timers_handshake_initiated(&p, now, true);
		initiations++;
	}
	CU_ASSERT_EQUAL(initiations, 20);
	CU_ASSERT_EQUAL(now, T0 + 100 * SEC);
	CU_ASSERT_EQUAL(a, MG_WG_TIMER_GIVE_UP_HANDSHAKE);
	mg_wg_timers_handshake_gave_up(&p);
	CU_ASSERT_EQUAL(at(now, 0), 0);
	CU_ASSERT_EQUAL(next, NEVER);
}

static void test_complete_stops_retransmit(void)
{
	mg_wg_timers_init(&p, 0);
	p.has_endpoint = true;
	mg_wg_timers_handshake_initiated(&p, T0, false);
	mg_wg_timers_any_packet_received(&p, T0 + 1 * SEC);
	mg_wg_timers_session_derived(&p, T0 + 1 * SEC, true);
	mg_wg_timers_handshake_complete(&p);
	CU_ASSERT_EQUAL(at(T0 + 6 * SEC, 0), 0);
	CU_ASSERT_EQUAL(next, T0 + 181 * SEC); /* only the keypair's expiry is ahead */
}

static void test_no_endpoint_gives_up(void)
{
	mg_wg_timers_init(&p, 0);
	p.has_endpoint = true;
	mg_wg_timers_handshake_initiated(&p, T0, false);
	p.has_endpoint = false;
	CU_ASSERT_EQUAL(at(T0 + 5 * SEC, 0), MG_WG_TIMER_GIVE_UP_HANDSHAKE);
}

static void test_passive_keepalive(void)
{
	established(false);
	mg_wg_timers_data_received(&p, T0 + 1 * SEC);
	mg_wg_timers_data_received(&p, T0 + 4 * SEC); /* does not postpone the first deadline */
	CU_ASSERT_EQUAL(at(T0 + 11 * SEC - 1, 0), 0);
	CU_ASSERT_EQUAL(next, T0 + 11 * SEC);
	CU_ASSERT_EQUAL(at(T0 + 11 * SEC, 0), MG_WG_TIMER_SEND_KEEPALIVE);
	mg_wg_timers_any_packet_sent(&p, T0 + 11 * SEC); /* the keepalive */
	CU_ASSERT_EQUAL(at(T0 + 12 * SEC, 0), 0);

	/* Data of our own answers the peer: no keepalive. */
	mg_wg_timers_data_received(&p, T0 + 20 * SEC);
	mg_wg_timers_data_sent(&p, T0 + 25 * SEC);
	CU_ASSERT_EQUAL(at(T0 + 30 * SEC, 0) & MG_WG_TIMER_SEND_KEEPALIVE, 0);

	/* Nothing to ride on without a valid keypair. */
	mg_wg_timers_data_received(&p, T0 + 40 * SEC);
	mg_wg_timers_current_expired(&p);
	CU_ASSERT_EQUAL(at(T0 + 50 * SEC, 0), 0);
}

static void test_new_handshake_when_unanswered(void)
{
	established(false);
	mg_wg_timers_data_sent(&p, T0 + 1 * SEC);
	mg_wg_timers_data_sent(&p, T0 + 9 * SEC);
	/* KEEPALIVE + REKEY_TIMEOUT = 15 s after the first unanswered data, plus jitter. */
	CU_ASSERT_EQUAL(at(T0 + 16 * SEC, 300 * MS), 0);
	CU_ASSERT_EQUAL(next, T0 + 16 * SEC + 300 * MS);
	CU_ASSERT_EQUAL(at(T0 + 16 * SEC + 300 * MS, 300 * MS), MG_WG_TIMER_SEND_INITIATION);
	mg_wg_timers_handshake_initiated(&p, T0 + 16 * SEC + 300 * MS, false);
	/* Now the retransmission rule owns the handshake. */
	CU_ASSERT_EQUAL(at(T0 + 17 * SEC, 0), 0);
	CU_ASSERT_EQUAL(next, T0 + 21 * SEC + 300 * MS);

	/* Any authenticated packet from the peer disarms it. */
	established(false);
	mg_wg_timers_data_sent(&p, T0 + 1 * SEC);
	mg_wg_timers_any_packet_received(&p, T0 + 15 * SEC);
	CU_ASSERT_EQUAL(at(T0 + 16 * SEC, 0), 0);
	/* ... until data goes out unanswered again. */
	mg_wg_timers_data_sent(&p, T0 + 20 * SEC);
	CU_ASSERT_EQUAL(at(T0 + 35 * SEC, 0), MG_WG_TIMER_SEND_INITIATION);
	/* Nowhere to send it without an endpoint. */
	p.has_endpoint = false;
	CU_ASSERT_EQUAL(at(T0 + 35 * SEC, 0), 0);
}

static void test_rekey_on_send(void)
{
	/* Initiator: data sent on a keypair 120 s old. Replies keep the peer alive. */
	established(true);
	mg_wg_timers_data_sent(&p, T0 + 120 * SEC - 1);
	mg_wg_timers_any_packet_received(&p, T0 + 120 * SEC - 1);
	CU_ASSERT_EQUAL(at(T0 + 120 * SEC, 0), 0);
	mg_wg_timers_data_sent(&p, T0 + 120 * SEC);
	CU_ASSERT_EQUAL(at(T0 + 120 * SEC, 0), MG_WG_TIMER_SEND_INITIATION);

	/* Responder: age alone does not rekey ... */
	established(false);
	mg_wg_timers_data_sent(&p, T0 + 150 * SEC);
	mg_wg_timers_any_packet_received(&p, T0 + 150 * SEC);
	CU_ASSERT_EQUAL(at(T0 + 150 * SEC, 0), 0);
	/* ... but the message count does, above REKEY_AFTER_MESSAGES. */
	p.keypair_send_counter = MG_WG_REKEY_AFTER_MESSAGES;
	CU_ASSERT_EQUAL(at(T0 + 150 * SEC, 0), 0);
	p.keypair_send_counter = MG_WG_REKEY_AFTER_MESSAGES + 1;
	CU_ASSERT_EQUAL(at(T0 + 150 * SEC, 0), MG_WG_TIMER_SEND_INITIATION);

	/* Initiations are at least REKEY_TIMEOUT apart. */
	established(true);
	p.last_handshake_initiated_ns = T0 + 118 * SEC;
	mg_wg_timers_data_sent(&p, T0 + 121 * SEC);
	mg_wg_timers_any_packet_received(&p, T0 + 121 * SEC);
	CU_ASSERT_EQUAL(at(T0 + 121 * SEC, 0), 0);
	CU_ASSERT_EQUAL(next, T0 + 123 * SEC);
	CU_ASSERT_EQUAL(at(T0 + 123 * SEC, 0), MG_WG_TIMER_SEND_INITIATION);
	/* Once sent, the same send does not ask again. */
	mg_wg_timers_handshake_initiated(&p, T0 + 123 * SEC, false);
	mg_wg_timers_handshake_gave_up(&p);
	CU_ASSERT_EQUAL(at(T0 + 130 * SEC, 0), 0);
}

static void test_rekey_on_receive(void)
{
	/* Initiator receiving on a keypair 180 - 10 - 5 = 165 s old sends one last initiation. */
	established(true);
	mg_wg_timers_data_received(&p, T0 + 165 * SEC - 1);
	mg_wg_timers_any_packet_sent(&p, T0 + 165 * SEC - 1);
	CU_ASSERT_EQUAL(at(T0 + 165 * SEC - 1, 0), 0);
	mg_wg_timers_data_received(&p, T0 + 165 * SEC);
	CU_ASSERT_EQUAL(at(T0 + 165 * SEC, 0) & MG_WG_TIMER_SEND_INITIATION,
			MG_WG_TIMER_SEND_INITIATION);
	mg_wg_timers_handshake_initiated(&p, T0 + 165 * SEC, false);
	mg_wg_timers_handshake_gave_up(&p);
	mg_wg_timers_data_received(&p, T0 + 170 * SEC);
	CU_ASSERT_EQUAL(at(T0 + 170 * SEC, 0) & MG_WG_TIMER_SEND_INITIATION, 0);

	/* Not for the responder. */
	established(false);
	mg_wg_timers_data_received(&p, T0 + 170 * SEC);
	CU_ASSERT_EQUAL(at(T0 + 170 * SEC, 0) & MG_WG_TIMER_SEND_INITIATION, 0);
}

static void test_expire_current(void)
{
	established(false);
	CU_ASSERT_EQUAL(at(T0 + 180 * SEC - 1, 0), 0);
	CU_ASSERT_EQUAL(next, T0 + 180 * SEC);
	CU_ASSERT_EQUAL(at(T0 + 180 * SEC, 0), MG_WG_TIMER_EXPIRE_CURRENT);
	mg_wg_timers_current_expired(&p);
	CU_ASSERT_EQUAL(at(T0 + 180 * SEC, 0), 0);
	CU_ASSERT_EQUAL(next, T0 + 540 * SEC);

	established(false);
	p.keypair_send_counter = MG_WG_REJECT_AFTER_MESSAGES - 1;
	CU_ASSERT_EQUAL(at(T0 + 1 * SEC, 0), 0);
	p.keypair_send_counter = MG_WG_REJECT_AFTER_MESSAGES;
	CU_ASSERT_EQUAL(at(T0 + 1 * SEC, 0) & MG_WG_TIMER_EXPIRE_CURRENT, MG_WG_TIMER_EXPIRE_CURRENT);
}

static void test_zero_all_keys(void)
{
	established(true);
	mg_wg_timers_current_expired(&p);
	CU_ASSERT_EQUAL(at(T0 + 540 * SEC - 1, 0), 0);
	CU_ASSERT_EQUAL(at(T0 + 540 * SEC, 0), MG_WG_TIMER_ZERO_ALL_KEYS);
	mg_wg_timers_keys_zeroed(&p);
	CU_ASSERT_EQUAL(at(T0 + 540 * SEC, 0), 0);
	CU_ASSERT_EQUAL(next, NEVER);

	/* A failed attempt while the session's timer runs does not postpone it. */
	established(true);
	mg_wg_timers_current_expired(&p);
	p.last_handshake_initiated_ns = T0 + 300 * SEC;
	CU_ASSERT_EQUAL(at(T0 + 540 * SEC, 0), MG_WG_TIMER_ZERO_ALL_KEYS);
	/* Residue of an attempt made after the session's timer ran out is wiped 540 s later. */
	p.last_handshake_initiated_ns = T0 + 600 * SEC;
	CU_ASSERT_EQUAL(at(T0 + 1000 * SEC, 0), 0);
	CU_ASSERT_EQUAL(next, T0 + 1140 * SEC);
}

static void test_persistent_keepalive(void)
{
	established(false);
	p.persistent_keepalive_s = 25;
	mg_wg_timers_any_packet_sent(&p, T0);
	CU_ASSERT_EQUAL(at(T0 + 25 * SEC - 1, 0), 0);
	CU_ASSERT_EQUAL(next, T0 + 25 * SEC);
	mg_wg_timers_any_packet_received(&p, T0 + 10 * SEC); /* traffic either way resets it */
	CU_ASSERT_EQUAL(at(T0 + 25 * SEC, 0), 0);
	CU_ASSERT_EQUAL(at(T0 + 35 * SEC, 0), MG_WG_TIMER_SEND_KEEPALIVE);
	mg_wg_timers_any_packet_sent(&p, T0 + 35 * SEC);
	CU_ASSERT_EQUAL(at(T0 + 36 * SEC, 0), 0);
	CU_ASSERT_EQUAL(next, T0 + 60 * SEC);
	/* Without a keypair, the keepalive becomes an initiation. */
	mg_wg_timers_current_expired(&p);
	CU_ASSERT_EQUAL(at(T0 + 60 * SEC, 0), MG_WG_TIMER_SEND_INITIATION);
	/* Off when the interval is 0. */
	p.persistent_keepalive_s = 0;
	CU_ASSERT_EQUAL(at(T0 + 60 * SEC, 0), 0);
}

/* A peer driven by random events and by its own actions never reports a deadline that has
 * already passed (which would make the control lcore spin). */
static void test_deadlines_are_ahead(void)
{
	unsigned seed = 7;
	uint64_t now = T0;

	established(true);
	p.persistent_keepalive_s = 25;
	for (int i = 0; i < 200000; i++) {
		uint32_t a = at(now, (uint64_t)(rand_r(&seed) % 335) * MS);

		CU_ASSERT_TRUE_FATAL(next > now);
		if (a & MG_WG_TIMER_SEND_INITIATION)
			mg_wg_timers_handshake_initiated(&p, now, a & MG_WG_TIMER_INITIATION_RETRY);
		if (a & MG_WG_TIMER_GIVE_UP_HANDSHAKE)
			mg_wg_timers_handshake_gave_up(&p);
		if (a & MG_WG_TIMER_SEND_KEEPALIVE)
			mg_wg_timers_any_packet_sent(&p, now);
		if (a & MG_WG_TIMER_EXPIRE_CURRENT)
			mg_wg_timers_current_expired(&p);
		if (a & MG_WG_TIMER_ZERO_ALL_KEYS)
			mg_wg_timers_keys_zeroed(&p);
		switch (rand_r(&seed) % 8) {
		case 0: mg_wg_timers_data_sent(&p, now); p.keypair_send_counter++; break;
		case 1: mg_wg_timers_data_received(&p, now); break;
		case 2:
			if (p.handshake_in_flight && rand_r(&seed) % 4 == 0) {
				mg_wg_timers_any_packet_received(&p, now);
				mg_wg_timers_session_derived(&p, now, true);
				mg_wg_timers_handshake_complete(&p);
			}
			break;
		default: break;
		}
		if (a == 0 && rand_r(&seed) % 2)
			now = next == NEVER ? now + SEC : next; /* sleep until the deadline */
		else
			now += (uint64_t)(rand_r(&seed) % 3000) * MS;
	}
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "idle peer does nothing", test_idle_peer_does_nothing },
		{ "retransmit, then give up", test_retransmit_and_give_up },
		{ "completion stops retransmission", test_complete_stops_retransmit },
		{ "no endpoint: give up", test_no_endpoint_gives_up },
		{ "passive keepalive", test_passive_keepalive },
		{ "new handshake when unanswered", test_new_handshake_when_unanswered },
		{ "rekey on send", test_rekey_on_send },
		{ "rekey on receive", test_rekey_on_receive },
		{ "expire current keypair", test_expire_current },
		{ "zero all keys", test_zero_all_keys },
		{ "persistent keepalive", test_persistent_keepalive },
		{ "deadlines are always ahead", test_deadlines_are_ahead },
	};

	return MG_CUNIT_RUN("timers", cases);
}
