/* WireGuard transport rules in the worker: replay protection, authentication, unknown receiver
 * indices, keepalives, and the responder's keypair rule (whitepaper 5.4.6 and 6.1: a responder
 * may send with new keys only after the initiator has sent data with them).
 *
 * Client packets are sealed with libsodium from keys of a real handshake; each case asserts what
 * was transmitted and which per-worker counter moved.
 */
#include <string.h>

#include <rte_ring.h>
#include <sodium.h>

#include "dp_test_env.h"

enum {
	CLIENT_SPORT = 6000,
	REMOTE_PORT = 7000,
	FAR_COUNTER = 20000, /* further ahead than any replay window WireGuard uses (<= 8192) */
};

static struct dpt_env env;
static const uint8_t payload[] = "transport data";

static uint32_t
inner_udp(uint8_t *buf)
{
	return dpt_build_udp(buf, DPT_CLIENT_INNER, CLIENT_SPORT, DPT_REMOTE_IP, REMOTE_PORT, 64,
			     payload, sizeof(payload));
}

/* Send a frame; returns how many frames the internet port transmitted (all freed). */
static unsigned
send_count_out(struct rte_mbuf *m)
{
	struct rte_mbuf *out[8];
	unsigned n;

	dpt_inject(DPT_MESH, m);
	dpt_run(&env);
	n = dpt_collect(DPT_INET, out, 8);
	rte_pktmbuf_free_bulk(out, n);
	CU_ASSERT_EQUAL(dpt_drain(), 0); /* nothing else, on either port */
	return n;
}

static struct rte_mbuf *
frame_with_counter(const uint8_t *inner, uint32_t len, uint64_t counter)
{
	return dpt_wg_frame(env.client.send_key, env.client.remote_index, counter, inner, len,
			    DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT, &dpt_mac_client);
}

static void
test_replay_dropped(void)
{
	uint8_t inner[128];
	uint32_t len;

	dpt_setup(&env, true);
	len = inner_udp(inner);
	CU_ASSERT_EQUAL(send_count_out(frame_with_counter(inner, len, 5)), 1);
	CU_ASSERT_EQUAL(send_count_out(frame_with_counter(inner, len, 5)), 0);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_REPLAY), 1);
	/* Out of order but new: accepted. */
	CU_ASSERT_EQUAL(send_count_out(frame_with_counter(inner, len, 3)), 1);
	/* The keepalive the fixture sent used counter 0. */
	CU_ASSERT_EQUAL(send_count_out(frame_with_counter(inner, len, 0)), 0);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_REPLAY), 2);
	/* Far ahead is fine; then a never-seen counter behind the window is too old. */
	CU_ASSERT_EQUAL(send_count_out(frame_with_counter(inner, len, FAR_COUNTER)), 1);
	CU_ASSERT_EQUAL(send_count_out(frame_with_counter(inner, len, 7)), 0);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_REPLAY), 3);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_DECRYPTED), 3);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_WG_REPLAY), 0);
	dpt_teardown(&env);
}

static void
test_tampered_dropped(void)
{
	uint8_t inner[128];
	uint32_t len;
	struct rte_mbuf *m;
	uint8_t *last;

	dpt_setup(&env, true);
	len = inner_udp(inner);
	m = frame_with_counter(inner, len, 1);
	last = rte_pktmbuf_mtod_offset(m, uint8_t *, rte_pktmbuf_data_len(m) - 1);
	*last ^= 0x01; /* a bit of the Poly1305 tag */
	CU_ASSERT_EQUAL(send_count_out(m), 0);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_BAD_TAG), 1);

	m = frame_with_counter(inner, len, 1);
	*rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 28 + 16 + 3) ^= 0x80; /* ciphertext */
	CU_ASSERT_EQUAL(send_count_out(m), 0);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_BAD_TAG), 2);

	/* Forgeries do not burn the counter: the genuine packet 1 still goes through. */
	CU_ASSERT_EQUAL(send_count_out(frame_with_counter(inner, len, 1)), 1);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_DECRYPTED), 1);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_WG_BAD_TAG), 0);
	dpt_teardown(&env);
}

static void
test_unknown_index_dropped(void)
{
	uint8_t inner[128];
	uint32_t len;
	struct rte_mbuf *m;

	dpt_setup(&env, true);
	len = inner_udp(inner);
	m = dpt_wg_frame(env.client.send_key, env.client.remote_index ^ 0x5a5a5a5a, 1, inner, len,
			 DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT, &dpt_mac_client);
	CU_ASSERT_EQUAL(send_count_out(m), 0);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_UNKNOWN_INDEX), 1);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_DECRYPTED), 0);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_WG_UNKNOWN_INDEX), 0);
	dpt_teardown(&env);
}

static void
test_keepalive_consumed(void)
{
	uint64_t rx_before;

	dpt_setup(&env, true);
	rx_before = dpt_traffic(&env).rx_packets;
	CU_ASSERT_EQUAL(send_count_out(dpt_client_frame(&env, NULL, 0)), 0);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_KEEPALIVES_RX), 1);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_DECRYPTED), 0);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_TX_PACKETS), 0);
	CU_ASSERT_EQUAL(dpt_traffic(&env).rx_packets, rx_before + 1);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_MAX), 0);
	dpt_teardown(&env);
}

/* Hand one inner packet for the peer straight to mg_dp_encrypt; returns the sealed frame or
 * NULL (then it was dropped and is freed here). */
static struct rte_mbuf *
encrypt_direct(const uint8_t *inner, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpt_pool);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), inner, len);
	mg_dp_mbuf_set_peer(m, DPT_PEER_ID);
	if (mg_dp_encrypt(env.w, &m, 1, mg_dp_now_ns()) == 1)
		return m;
	rte_pktmbuf_free(m);
	return NULL;
}

/* The sealed frame m opens with the client keys c and holds inner. */
static void
expect_sealed_for(struct rte_mbuf *m, const struct dpt_client *c, const uint8_t *inner,
		  uint32_t len, uint64_t counter)
{
	struct dpt_client keep = env.client;
	uint8_t plain[DPT_MAX_PKT];
	uint32_t plen = 0;
	uint64_t ctr = 99;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	env.client = *c;
	CU_ASSERT(dpt_open_reply(&env, m, DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT, &dpt_mac_client,
				 plain, &plen, &ctr));
	env.client = keep;
	CU_ASSERT_EQUAL(ctr, counter);
	CU_ASSERT_EQUAL(plen, (len + 15) & ~15u);
	CU_ASSERT_EQUAL(memcmp(plain, inner, len), 0);
	rte_pktmbuf_free(m);
}

static void
test_responder_waits_for_first_data(void)
{
	uint8_t inner[128], back[128];
	uint32_t len, blen;
	struct mg_dp_event ev;
	struct dpt_client old;
	uint32_t released[3];
	unsigned n_released;

	dpt_setup(&env, false);
	len = inner_udp(inner);
	blen = dpt_build_udp(back, DPT_REMOTE_IP, REMOTE_PORT, DPT_CLIENT_INNER, CLIENT_SPORT, 63,
			     payload, sizeof(payload));
	CU_ASSERT_PTR_NULL(encrypt_direct(back, blen));
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_NO_SESSION), 1);
	CU_ASSERT_EQUAL(rte_ring_count(env.w->event_ring), 0);

	CU_ASSERT_EQUAL(send_count_out(dpt_client_frame(&env, inner, len)), 1);
	CU_ASSERT_EQUAL_FATAL(rte_ring_dequeue_elem(env.w->event_ring, &ev, sizeof(ev)), 0);
	CU_ASSERT_EQUAL(ev.type, MG_DP_EVENT_CONFIRM_NEXT);
	CU_ASSERT_EQUAL(ev.value, DPT_PEER_ID);
	/* Usable already, before the control lcore rotates it to "current". */
	expect_sealed_for(encrypt_direct(back, blen), &env.client, back, blen, 0);
	mg_dp_keypair_confirm(env.dp, DPT_PEER_ID, released, &n_released);
	CU_ASSERT_EQUAL(n_released, 0);
	expect_sealed_for(encrypt_direct(back, blen), &env.client, back, blen, 1);

	/* Rekey: the new "next" is not used until the client sends with it; "current" is. */
	dpt_rekey(&env, &old);
	expect_sealed_for(encrypt_direct(back, blen), &old, back, blen, 2);
	CU_ASSERT_EQUAL(send_count_out(dpt_client_frame(&env, inner, len)), 1);
	CU_ASSERT_EQUAL(rte_ring_count(env.w->event_ring), 1);
	mg_dp_keypair_confirm(env.dp, DPT_PEER_ID, released, &n_released);
	CU_ASSERT_EQUAL(n_released, 0); /* the old keypair becomes "previous", nothing retired */
	expect_sealed_for(encrypt_direct(back, blen), &env.client, back, blen, 0);
	/* The old keys still open data in flight ("previous"). */
	CU_ASSERT_EQUAL(send_count_out(dpt_wg_frame(old.send_key, old.remote_index,
						    old.send_counter, inner, len, DPT_CLIENT_EP_IP,
						    DPT_CLIENT_EP_PORT, &dpt_mac_client)), 1);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_WG_NO_SESSION), 0);
	sodium_memzero(&old, sizeof(old));
	dpt_teardown(&env);
}

/* Frames that are not WireGuard for us are dropped before any crypto: another MAC, another
 * destination address, an outer fragment. */
static void
test_outer_not_for_us(void)
{
	uint8_t inner[128];
	uint32_t len;
	struct rte_mbuf *m;
	uint8_t *ip;

	dpt_setup(&env, true);
	len = inner_udp(inner);
	m = frame_with_counter(inner, len, 1);
	rte_pktmbuf_mtod(m, uint8_t *)[5] ^= 0x40; /* unicast to another station */
	CU_ASSERT_EQUAL(send_count_out(m), 0);
	m = frame_with_counter(inner, len, 1);
	ip = rte_pktmbuf_mtod(m, uint8_t *) + 14;
	ip[19] = 50;                               /* 198.51.100.50 */
	dpt_set_csums(ip);
	CU_ASSERT_EQUAL(send_count_out(m), 0);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_NOT_FOR_US), 2);
	m = frame_with_counter(inner, len, 1);
	ip = rte_pktmbuf_mtod(m, uint8_t *) + 14;
	ip[6] = 0x20;                              /* MF: an outer fragment */
	dpt_set_csums(ip);
	CU_ASSERT_EQUAL(send_count_out(m), 0);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_OUTER_FRAGMENT), 1);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_DECRYPTED), 0);
	/* None of them touched the replay window: counter 1 is still fresh. */
	CU_ASSERT_EQUAL(send_count_out(frame_with_counter(inner, len, 1)), 1);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_REPLAY), 0);
	dpt_teardown(&env);
}

/* Inner UDP to REMOTE_PORT + tag from the client, so a frame that comes out says which it was. */
static struct rte_mbuf *
tagged_frame(uint16_t tag, uint64_t counter)
{
	uint8_t inner[128];
	uint32_t len = dpt_build_udp(inner, DPT_CLIENT_INNER, CLIENT_SPORT, DPT_REMOTE_IP,
				     REMOTE_PORT + tag, 64, payload, sizeof(payload));

	return frame_with_counter(inner, len, counter);
}

/* Take what the internet port sent; out_tags[i] = destination port - REMOTE_PORT of frame i. */
static unsigned
collect_tags(uint16_t *out_tags, unsigned max)
{
	struct rte_mbuf *out[64];
	unsigned n = dpt_collect(DPT_INET, out, RTE_MIN(max, RTE_DIM(out)));

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *udp = rte_pktmbuf_mtod_offset(out[i], const uint8_t *, 14 + 20);

		out_tags[i] = (uint16_t)(((udp[2] << 8) | udp[3]) - REMOTE_PORT);
	}
	rte_pktmbuf_free_bulk(out, n);
	return n;
}

/* One burst holding a duplicate, a forgery ahead of its genuine copy, an unknown index, a
 * keepalive and an older counter: the AEAD runs for the burst at once, yet each packet gets the
 * verdict it would get alone, and the survivors leave in their order. */
static bool several_workers; /* the cases below as one lcore of two sharing the windows */

static void
setup_for_burst_cases(void)
{
	dpt_setup(&env, true);
	if (several_workers) {
		/* As a pipeline crypto lcore of two (the other never runs): mg_dp_single_writer()
		 * false, and the replay windows are shared, committed with compare-and-swap. */
		env.dp->n_workers = 2;
		env.w->role = MG_DP_ROLE_PIPE_CRYPTO;
	}
}

static void
teardown_for_burst_cases(void)
{
	env.w->role = MG_DP_ROLE_RUN_TO_COMPLETION;
	env.dp->n_workers = 1;
	dpt_teardown(&env);
}

static void
test_one_burst_mixed(void)
{
	uint16_t tags[8];
	struct rte_mbuf *m;
	uint8_t inner[128];
	uint32_t len = inner_udp(inner);

	setup_for_burst_cases();
	dpt_inject(DPT_MESH, tagged_frame(1, 10));
	dpt_inject(DPT_MESH, tagged_frame(9, 10));     /* duplicate of 10: replay */
	m = tagged_frame(9, 11);
	*rte_pktmbuf_mtod_offset(m, uint8_t *, rte_pktmbuf_data_len(m) - 3) ^= 0x10;
	dpt_inject(DPT_MESH, m);                       /* forged 11: bad tag */
	dpt_inject(DPT_MESH, tagged_frame(2, 11));     /* the genuine 11 still counts */
	dpt_inject(DPT_MESH, dpt_wg_frame(env.client.send_key, env.client.remote_index ^ 0x33, 12,
					  inner, len, DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT,
					  &dpt_mac_client));
	dpt_inject(DPT_MESH, frame_with_counter(NULL, 0, 13)); /* keepalive */
	dpt_inject(DPT_MESH, tagged_frame(3, 9));      /* older, never seen: kept */
	dpt_run(&env);
	CU_ASSERT_EQUAL_FATAL(collect_tags(tags, RTE_DIM(tags)), 3);
	CU_ASSERT_EQUAL(tags[0], 1);
	CU_ASSERT_EQUAL(tags[1], 2);
	CU_ASSERT_EQUAL(tags[2], 3);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_DECRYPTED), 3);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_KEEPALIVES_RX), 1);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_REPLAY), 1);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_BAD_TAG), 1);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_UNKNOWN_INDEX), 1);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_MAX), 3);
	/* Nothing past the burst was committed: 14 is fresh, 11 and 13 are not. */
	CU_ASSERT_EQUAL(send_count_out(tagged_frame(4, 14)), 1);
	CU_ASSERT_EQUAL(send_count_out(tagged_frame(4, 11)), 0);
	CU_ASSERT_EQUAL(send_count_out(frame_with_counter(NULL, 0, 13)), 0);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_REPLAY), 3);
	teardown_for_burst_cases();
}

/* More packets than one receive burst (and one AEAD burst) holds, counters shuffled within the
 * window and one duplicate at the far end: every fresh one leaves, in order. */
static void
test_full_bursts_in_order(void)
{
	enum { N = 70 };
	uint16_t tags[N];
	unsigned got = 0, n;

	setup_for_burst_cases();
	for (unsigned i = 0; i < N; i++)
		dpt_inject(DPT_MESH, tagged_frame((uint16_t)i, 100 + (i * 37) % N));
	dpt_inject(DPT_MESH, tagged_frame(N, 100)); /* counter of packet 0 again */
	dpt_run(&env);
	while (got < N + 1 && (n = collect_tags(tags + got, N - got)) > 0)
		got += n;
	CU_ASSERT_EQUAL(got, N);
	for (unsigned i = 0; i < got; i++)
		CU_ASSERT_EQUAL(tags[i], i);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_DECRYPTED), N);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_REPLAY), 1);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_WG_REPLAY), 0);
	teardown_for_burst_cases();
}

/* Run-to-completion with two workers: the first worker to decrypt for a keypair owns its replay
 * window; the other hands that keypair's frames to it (before any crypto) instead of committing
 * to the window itself, and the owner drops the duplicate among them. A frame with an unknown
 * index stays where it arrived and is dropped there. */
static void
test_keypair_owner_gets_its_frames(void)
{
	struct mg_dp_worker_params wp = { .idx = 1, .lcore = rte_lcore_id(),
					  .socket_id = SOCKET_ID_ANY, .pool = dpt_pool };
	struct rte_mbuf *burst[4];
	struct mg_dp_worker *w1;
	uint16_t tags[8];
	uint8_t inner[128];
	uint32_t len;

	dpt_setup(&env, true);
	len = inner_udp(inner);
	w1 = mg_dp_worker_create(env.dp, &wp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w1);
	env.dp->workers[1] = w1;
	env.dp->n_workers = 2;

	dpt_inject(DPT_MESH, tagged_frame(1, 5)); /* worker 0 decrypts first: it owns the keypair */
	dpt_run(&env);
	CU_ASSERT_EQUAL(collect_tags(tags, RTE_DIM(tags)), 1);

	burst[0] = tagged_frame(2, 6);
	burst[1] = tagged_frame(3, 7);
	burst[2] = tagged_frame(9, 6); /* counter 6 again */
	burst[3] = dpt_wg_frame(env.client.send_key, env.client.remote_index ^ 0x55, 8, inner, len,
				DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT, &dpt_mac_client);
	mg_dp_worker_process_rx(w1, DPT_MESH, burst, 4, mg_dp_now_ns());
	CU_ASSERT_EQUAL(w1->counters.c[MG_DP_WG_HANDED_OFF], 3);
	CU_ASSERT_EQUAL(w1->counters.c[MG_DP_DECRYPTED], 0);
	CU_ASSERT_EQUAL(w1->counters.drop[MG_DP_DROP_WG_UNKNOWN_INDEX], 1);
	CU_ASSERT_EQUAL(rte_ring_count(env.w->wg_handoff_ring), 3);

	dpt_run(&env); /* the owner drains its hand-off ring */
	CU_ASSERT_EQUAL_FATAL(collect_tags(tags, RTE_DIM(tags)), 2);
	CU_ASSERT_EQUAL(tags[0], 2);
	CU_ASSERT_EQUAL(tags[1], 3);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_DECRYPTED), 3);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_REPLAY), 1);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_NOT_OWNER), 0);
	CU_ASSERT_EQUAL(dpt_drain(), 0);

	env.dp->n_workers = 1;
	env.dp->workers[1] = NULL;
	mg_dp_worker_destroy(w1);
	dpt_teardown(&env);
}

/* A burst of replies larger than one seal batch (32), with a packet for a peer without keys and
 * an oversized one among them: the others are sealed in their order with consecutive counters
 * of the keypair, the two are dropped by reason and left at the tail, the peer's counters move
 * by what was sent. Run alone and as one worker of several (locked counter reservation). */
static void
encrypt_burst_case(void)
{
	enum { N = 40, NO_KEYS_AT = 5, OVERSIZE_AT = 33, OTHER_PEER = DPT_PEER_ID + 1 };
	struct rte_mbuf *pkts[N];
	uint8_t back[DPT_MAX_PKT], plain[DPT_MAX_PKT];
	uint64_t counter = 0, tx_before;
	uint16_t kept;

	setup_for_burst_cases();
	tx_before = dpt_traffic(&env).tx_packets;
	for (unsigned i = 0; i < N; i++) {
		uint8_t tag[2] = { (uint8_t)(i >> 8), (uint8_t)i };
		uint32_t blen = dpt_build_udp(back, DPT_REMOTE_IP, REMOTE_PORT, DPT_CLIENT_INNER,
					      CLIENT_SPORT, 63, tag, sizeof(tag));

		if (i == OVERSIZE_AT)
			blen = DPT_TUNNEL_MTU + 1;
		pkts[i] = rte_pktmbuf_alloc(dpt_pool);
		CU_ASSERT_PTR_NOT_NULL_FATAL(pkts[i]);
		memcpy(rte_pktmbuf_append(pkts[i], (uint16_t)blen), back, blen);
		mg_dp_mbuf_set_peer(pkts[i], i == NO_KEYS_AT ? OTHER_PEER : DPT_PEER_ID);
	}
	kept = mg_dp_encrypt(env.w, pkts, N, mg_dp_now_ns());
	CU_ASSERT_EQUAL_FATAL(kept, N - 2);
	for (unsigned i = 0, want = 0; i < kept; i++, want++) {
		uint32_t plen = 0;
		uint64_t ctr = UINT64_MAX;

		if (want == NO_KEYS_AT || want == OVERSIZE_AT)
			want++;
		CU_ASSERT(dpt_open_reply(&env, pkts[i], DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT,
					 &dpt_mac_client, plain, &plen, &ctr));
		if (i == 0)
			counter = ctr;
		CU_ASSERT_EQUAL(ctr, counter + i);
		CU_ASSERT_EQUAL(plain[28], want >> 8); /* the tag after the IPv4 and UDP headers */
		CU_ASSERT_EQUAL(plain[29], want & 0xff);
	}
	CU_ASSERT_EQUAL(mg_dp_mbuf_peer(pkts[kept]), OTHER_PEER);
	CU_ASSERT_EQUAL(rte_pktmbuf_data_len(pkts[kept + 1]), DPT_TUNNEL_MTU + 1);
	rte_pktmbuf_free_bulk(pkts, N);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_ENCRYPTED), N - 2);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_NO_SESSION), 1);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_TOO_BIG), 1);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_MAX), 2);
	CU_ASSERT_EQUAL(dpt_traffic(&env).tx_packets, tx_before + N - 2);
	CU_ASSERT_NOT_EQUAL(env.dp->peers[DPT_PEER_ID].last_tx_data_ns, 0);
	teardown_for_burst_cases();
}

static void
test_encrypt_burst(void)
{
	encrypt_burst_case();
	several_workers = true;
	encrypt_burst_case();
	several_workers = false;
}

/* Both burst cases again as one worker of several: the replay window is committed lock-free,
 * a block of counters per compare-and-swap, with a duplicate inside one group. */
static void
test_burst_cases_several_workers(void)
{
	several_workers = true;
	test_one_burst_mixed();
	test_full_bursts_in_order();
	several_workers = false;
}

int
main(int argc, char **argv)
{
	static const struct mg_cunit_case cases[] = {
		{ "replayed counter dropped (wg_replay), reordering inside the window kept",
		  test_replay_dropped },
		{ "tampered tag or ciphertext dropped (wg_bad_tag)", test_tampered_dropped },
		{ "unknown receiver index dropped (wg_unknown_index)", test_unknown_index_dropped },
		{ "keepalive consumed, nothing transmitted", test_keepalive_consumed },
		{ "responder sends with new keys only after the client used them",
		  test_responder_waits_for_first_data },
		{ "other MAC, other address, outer fragment: dropped", test_outer_not_for_us },
		{ "one burst: duplicate, forgery, unknown index, keepalive; verdicts per packet",
		  test_one_burst_mixed },
		{ "70 packets, shuffled counters: all fresh ones out in order", test_full_bursts_in_order },
		{ "40 replies, one without keys, one too big: the rest sealed in order, counters in a row",
		  test_encrypt_burst },
		{ "two workers: a keypair's frames go to the worker that owns its replay window",
		  test_keypair_owner_gets_its_frames },
		{ "both, as one worker of several (lock-free replay commit)",
		  test_burst_cases_several_workers },
	};

	(void)argc;
	return dpt_main(argv[0], "datapath_wg", cases, RTE_DIM(cases));
}
