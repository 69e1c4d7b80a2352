/* Reclamation of idle open-mode peers, in process: the real worker and the real control lcore
 * code (lib/control) on the fixture's ring ports, with clients that are lib/wg devices doing real
 * handshakes through the mesh port.
 *
 * What must hold (docs/wireguard.md, "Reclamation"): a full open gateway admits a new key once an
 * idle one was reclaimed; the id is not reused before every lcore flushed the old peer's NAT
 * sessions; a new peer given the same id does not receive the old peer's return traffic (it is
 * dropped as nat_no_session); static peers are never reclaimed; the timers start reclamation
 * 3 x REJECT_AFTER_TIME = 540 s (WireGuard whitepaper, section 6.1) after the last handshake.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_ring.h>
#include <sodium.h>

#include "control.h"
#include "control_internal.h"
#include "device.h"
#include "dp_test_env.h"
#include "nat.h"

enum {
	CLIENT_SPORT = 7500,
	REMOTE_PORT = 53,
	IDLE_S = 3 * 180,      /* 3 x REJECT_AFTER_TIME, from the whitepaper, not from the code */
	SEC = 1000000000,
};

static struct dpt_env env;

struct client {
	struct mg_wg_device *dev;
	uint8_t pub[32];
	struct dpt_client keys;
};

struct gateway {
	struct mg_wg_device *dev;
	struct mg_control *ctl;
	uint8_t pub[32];
	struct mg_dp_prefix open_allowed;
};

static struct mg_wg_device *
device_make(bool open_mode, uint32_t max_peers)
{
	struct mg_wg_device_params p = { .handshake_rate = 20, .handshake_burst = 5,
					 .open_mode = open_mode, .max_peers = max_peers };
	struct mg_wg_device *dev;

	randombytes_buf(p.private_key, sizeof(p.private_key));
	dev = mg_wg_device_create(&p);
	sodium_memzero(p.private_key, sizeof(p.private_key));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	return dev;
}

/* The fixture's gateway, its own peer 0 keys dropped, driven by a real control lcore whose
 * device runs in open mode with room for one peer. */
static void
gateway_make(struct gateway *g, bool open_mode)
{
	struct mg_control_params p = { 0 };
	uint32_t released[3];
	unsigned n_released;
	char err[128];

	dpt_setup(&env, false);
	mg_dp_peer_clear_keys(env.dp, DPT_PEER_ID, released, &n_released);
	mg_dp_reclaim(env.dp);
	g->dev = device_make(open_mode, 1);
	mg_wg_device_public_key(g->dev, g->pub);
	g->open_allowed = (struct mg_dp_prefix){ .addr_be = rte_cpu_to_be_32(RTE_IPV4(100, 64, 0, 0)),
						 .mask_be = rte_cpu_to_be_32(0xffc00000) };
	p.dp = env.dp;
	p.dev = g->dev;
	p.pool = dpt_pool;
	p.open_allowed = &g->open_allowed;
	p.n_open_allowed = 1;
	p.under_load_backlog = 1024;
	p.instance = "dpt_reclaim";
	g->ctl = mg_control_create(&p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(g->ctl);
}

static void
gateway_free(struct gateway *g)
{
	mg_control_destroy(g->ctl);
	mg_wg_device_destroy(g->dev);
	dpt_teardown(&env);
}

/* Ethernet + IPv4 + UDP from the client's endpoint to the gateway's WireGuard port. */
static struct rte_mbuf *
handshake_frame(const uint8_t *msg, uint16_t len)
{
	uint8_t ip[DPT_MAX_PKT];
	uint32_t iplen = dpt_build_udp(ip, DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT, DPT_MESH_IP,
				       DPT_LISTEN_PORT, 64, msg, len);
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpt_pool);
	uint8_t *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + iplen));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	rte_ether_addr_copy(&dpt_mac_mesh, (struct rte_ether_addr *)p);
	rte_ether_addr_copy(&dpt_mac_client, (struct rte_ether_addr *)(p + 6));
	p[12] = 0x08;
	p[13] = 0x00;
	memcpy(p + 14, ip, iplen);
	return m;
}

/* Take the mesh port's output; copy out the WireGuard response (type 2) sent to the client's
 * endpoint, if any. Everything collected is freed. */
static bool
take_response(uint8_t resp[MG_WG_MSG_RESPONSE_LEN])
{
	struct rte_mbuf *m[32];
	unsigned n = dpt_collect(DPT_MESH, m, 32);
	bool found = false;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(m[i], const uint8_t *), *ip = p + 14;
		const uint8_t *udp = ip + 20;

		if (rte_pktmbuf_data_len(m[i]) == 14 + 20 + 8 + MG_WG_MSG_RESPONSE_LEN &&
		    ip[9] == IPPROTO_UDP && (udp[2] << 8 | udp[3]) == DPT_CLIENT_EP_PORT &&
		    udp[8] == MG_WG_MSG_RESPONSE) {
			memcpy(resp, udp + 8, MG_WG_MSG_RESPONSE_LEN);
			found = true;
		}
	}
	rte_pktmbuf_free_bulk(m, n);
	return found;
}

/* A port's IPv4 output; anything else (the control lcore's ARP requests) is freed. */
static unsigned
collect_ipv4(enum dpt_port port, struct rte_mbuf **out, unsigned max)
{
	struct rte_mbuf *m[32];
	unsigned n = dpt_collect(port, m, 32), kept = 0;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(m[i], const uint8_t *);

		if (kept < max && p[12] == 0x08 && p[13] == 0x00)
			out[kept++] = m[i];
		else
			rte_pktmbuf_free(m[i]);
	}
	return kept;
}

/* A client with the gateway as its only peer. */
static void
client_make(struct client *cl, const struct gateway *g)
{
	cl->dev = device_make(false, 1);
	mg_wg_device_public_key(cl->dev, cl->pub);
	CU_ASSERT_EQUAL_FATAL(mg_wg_device_add_peer(cl->dev, g->pub, NULL), 0);
}

/* The client sends an initiation through the mesh port; the worker punts it, the control lcore
 * answers. Returns true when the client completed the handshake (its keys in cl->keys). */
static bool
client_handshake(struct client *cl, struct gateway *g)
{
	uint8_t init[MG_WG_MSG_INITIATION_LEN], resp[MG_WG_MSG_RESPONSE_LEN];
	uint8_t none[MG_WG_DEVICE_OUT_MIN];
	struct mg_wg_handshake_result r;
	struct timespec wall;
	size_t none_len;

	clock_gettime(CLOCK_REALTIME, &wall);
	CU_ASSERT_EQUAL_FATAL(mg_wg_device_create_initiation(cl->dev, 0, mg_dp_now_ns(), &wall,
							     init), 0);
	dpt_inject(DPT_MESH, handshake_frame(init, sizeof(init)));
	dpt_run(&env);
	mg_control_poll(g->ctl);
	dpt_run(&env); /* sends what the control lcore queued */
	if (!take_response(resp))
		return false;
	mg_wg_device_handle(cl->dev, rte_cpu_to_be_32(DPT_MESH_IP),
			    rte_cpu_to_be_16(DPT_LISTEN_PORT), resp, sizeof(resp), mg_dp_now_ns(),
			    &wall, false, none, &none_len, &r);
	if (!(r.actions & MG_WG_ACT_SESSION))
		return false;
	memcpy(cl->keys.send_key, r.keys.send_key, 32);
	memcpy(cl->keys.recv_key, r.keys.recv_key, 32);
	cl->keys.local_index = r.keys.local_index;
	cl->keys.remote_index = r.keys.remote_index;
	cl->keys.send_counter = 0;
	sodium_memzero(&r.keys, sizeof(r.keys));
	return true;
}

/* The client's first data (a keepalive) confirms the responder's keypair (CONFIRM_NEXT event to
 * the control lcore), so the gateway may send to it. The fixture's frames use env.client. */
static void
client_confirm(struct client *cl, struct gateway *g)
{
	env.client = cl->keys;
	dpt_inject(DPT_MESH, dpt_client_frame(&env, NULL, 0));
	dpt_run(&env);
	mg_control_poll(g->ctl);
	cl->keys = env.client;
	CU_ASSERT_PTR_NOT_NULL(env.dp->peers[DPT_PEER_ID].current);
}

/* The client sends one UDP packet to the internet host; returns the NAT's public port. */
static uint16_t
client_send(struct client *cl)
{
	uint8_t inner[64];
	struct rte_mbuf *m[4];
	uint32_t len = dpt_build_udp(inner, DPT_CLIENT_INNER, CLIENT_SPORT, DPT_REMOTE_IP,
				     REMOTE_PORT, 64, (const uint8_t *)"query", 5);
	uint16_t mapped = 0;
	unsigned n;

	env.client = cl->keys;
	dpt_inject(DPT_MESH, dpt_client_frame(&env, inner, len));
	dpt_run(&env);
	cl->keys = env.client;
	n = collect_ipv4(DPT_INET, m, 4);
	CU_ASSERT_EQUAL(n, 1);
	if (n >= 1)
		mapped = (uint16_t)(rte_pktmbuf_mtod(m[0], uint8_t *)[14 + 20] << 8 |
				    rte_pktmbuf_mtod(m[0], uint8_t *)[14 + 21]);
	rte_pktmbuf_free_bulk(m, n);
	return mapped;
}

/* The internet host answers to the public port; returns the frames on the mesh port (kept in
 * out, caller frees). */
static unsigned
reply_from_internet(uint16_t mapped, struct rte_mbuf **out, unsigned max)
{
	uint8_t ip[64];
	uint32_t len = dpt_build_udp(ip, DPT_REMOTE_IP, REMOTE_PORT, DPT_INET_IP, mapped, 64,
				     (const uint8_t *)"answer", 6);

	dpt_inject(DPT_INET, dpt_inet_frame(ip, len));
	dpt_run(&env);
	return collect_ipv4(DPT_MESH, out, max);
}

/* The reply reaches the client: it opens with the client's keys and is addressed to its inner
 * address. */
static bool
reply_reaches(struct client *cl, struct rte_mbuf *m)
{
	uint8_t plain[DPT_MAX_PKT];
	uint32_t plen;
	bool ok;

	env.client = cl->keys;
	ok = dpt_open_reply(&env, m, DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT, &dpt_mac_client, plain,
			    &plen, NULL);
	return ok && rte_be_to_cpu_32(*(const uint32_t *)(plain + 16)) == DPT_CLIENT_INNER;
}

static void
test_new_peer_with_same_id_gets_no_old_traffic(void)
{
	struct gateway g;
	struct client a, b;
	struct rte_mbuf *m[4];
	struct mg_wg_device_stats st;
	struct mg_dp_peer_traffic t;
	uint16_t mapped_a, mapped_b;
	unsigned n;

	gateway_make(&g, true);
	client_make(&a, &g);
	client_make(&b, &g);

	/* A is admitted (id 0), talks to the internet and gets its answer. */
	CU_ASSERT_FATAL(client_handshake(&a, &g));
	client_confirm(&a, &g);
	mapped_a = client_send(&a);
	CU_ASSERT_EQUAL(mg_nat_peer_sessions(env.nat, DPT_PEER_ID), 1);
	n = reply_from_internet(mapped_a, m, 4);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_TRUE(reply_reaches(&a, m[0]));
	rte_pktmbuf_free_bulk(m, n);
	t = dpt_traffic(&env);
	CU_ASSERT(t.rx_packets > 0 && t.rx_bytes > 0 && t.tx_packets > 0 && t.tx_bytes > 0);

	/* The gateway is full: B is refused. */
	CU_ASSERT_FALSE(client_handshake(&b, &g));
	mg_wg_device_get_stats(g.dev, &st);
	CU_ASSERT_EQUAL(st.drops[MG_WG_DROP_PEERS_FULL], 1);

	/* A is reclaimed. Until the worker has flushed its NAT, the id is not given out. */
	CU_ASSERT_EQUAL(mg_control_reclaim_peer(g.ctl, DPT_PEER_ID), 0);
	CU_ASSERT_EQUAL(mg_control_reclaim_peer(g.ctl, DPT_PEER_ID), -EINVAL); /* already */
	CU_ASSERT_FALSE(env.dp->peers[DPT_PEER_ID].in_use);
	CU_ASSERT_EQUAL(mg_control_reclaim_poll(g.ctl), 0); /* batch posted */
	CU_ASSERT_EQUAL(mg_control_reclaim_poll(g.ctl), 0); /* no acknowledgement yet */
	CU_ASSERT_EQUAL(mg_nat_peer_sessions(env.nat, DPT_PEER_ID), 1);
	CU_ASSERT_EQUAL(mg_wg_device_peer_count(g.dev), 1);
	dpt_run(&env); /* the worker flushes and acknowledges */
	CU_ASSERT_EQUAL(mg_nat_peer_sessions(env.nat, DPT_PEER_ID), 0);
	CU_ASSERT_EQUAL(mg_control_reclaim_poll(g.ctl), 1);
	CU_ASSERT_EQUAL(g.ctl->counters[MG_CTL_PEERS_RECLAIMED], 1);
	/* Released: the id's next owner starts from zero in every lcore's counters. */
	t = dpt_traffic(&env);
	CU_ASSERT_EQUAL(t.rx_packets + t.rx_bytes + t.tx_packets + t.tx_bytes, 0);
	CU_ASSERT_EQUAL(mg_wg_device_peer_count(g.dev), 0);
	CU_ASSERT_EQUAL(mg_wg_device_find_peer(g.dev, a.pub), -1);

	/* B is admitted now, with A's old id, and can receive. */
	CU_ASSERT_FATAL(client_handshake(&b, &g));
	mg_wg_device_get_stats(g.dev, &st);
	CU_ASSERT_EQUAL(st.peers_admitted, 2);
	CU_ASSERT_EQUAL(mg_wg_device_find_peer(g.dev, b.pub), DPT_PEER_ID);
	client_confirm(&b, &g);

	/* A's old flow answers again: no session, dropped; nothing reaches B. */
	dpt_mark(&env);
	n = reply_from_internet(mapped_a, m, 4);
	CU_ASSERT_EQUAL(n, 0);
	for (unsigned i = 0; i < n; i++)
		CU_ASSERT_FALSE(reply_reaches(&b, m[i]));
	rte_pktmbuf_free_bulk(m, n);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_NAT_NO_SESSION), 1);

	/* B's own flow works (so the silence above is not B being unreachable). */
	mapped_b = client_send(&b);
	n = reply_from_internet(mapped_b, m, 4);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_TRUE(reply_reaches(&b, m[0]));
	rte_pktmbuf_free_bulk(m, n);

	mg_wg_device_destroy(a.dev);
	mg_wg_device_destroy(b.dev);
	gateway_free(&g);
}

/* A peer from the configuration (added to the device, published by the caller) is never
 * reclaimed, neither on request nor by the timers. */
static void
test_static_peer_never_reclaimed(void)
{
	struct gateway g;
	struct client a;
	uint64_t now = mg_dp_now_ns();

	gateway_make(&g, false);
	client_make(&a, &g);
	CU_ASSERT_EQUAL_FATAL(mg_wg_device_add_peer(g.dev, a.pub, NULL), 0);
	CU_ASSERT_EQUAL(mg_control_publish_peer(g.ctl, 0, &g.open_allowed, 1), 0);
	CU_ASSERT_FATAL(client_handshake(&a, &g));
	CU_ASSERT_EQUAL(mg_control_reclaim_peer(g.ctl, 0), -EINVAL);
	mg_ctl_timers_tick(g.ctl, now + (uint64_t)(IDLE_S + 60) * SEC);
	dpt_run(&env);
	mg_ctl_timers_tick(g.ctl, now + (uint64_t)(IDLE_S + 61) * SEC);
	CU_ASSERT_TRUE(env.dp->peers[0].in_use);
	CU_ASSERT_EQUAL(mg_wg_device_peer_count(g.dev), 1);
	CU_ASSERT_EQUAL(g.ctl->counters[MG_CTL_KEYS_ZEROED], 1); /* the timers did run */
	CU_ASSERT_EQUAL(g.ctl->counters[MG_CTL_PEERS_RECLAIMED], 0);
	mg_wg_device_destroy(a.dev);
	gateway_free(&g);
}

/* The timers start reclamation 540 s after the last handshake, not before; the id is free one
 * tick later, once the worker acknowledged; the next key is admitted. */
static void
test_timers_reclaim_after_540_s(void)
{
	struct gateway g;
	struct client a, b;
	uint64_t t0;

	gateway_make(&g, true);
	client_make(&a, &g);
	client_make(&b, &g);
	CU_ASSERT_FATAL(client_handshake(&a, &g));
	client_confirm(&a, &g);
	t0 = g.ctl->peers[0].timers.last_handshake_completed_ns;
	CU_ASSERT_FATAL(t0 != 0);

	mg_ctl_timers_tick(g.ctl, t0 + (uint64_t)(IDLE_S - 1) * SEC);
	CU_ASSERT_TRUE(env.dp->peers[0].in_use);
	CU_ASSERT_EQUAL(g.ctl->counters[MG_CTL_KEYS_ZEROED], 0);
	mg_ctl_timers_tick(g.ctl, t0 + (uint64_t)IDLE_S * SEC + 1);
	CU_ASSERT_EQUAL(g.ctl->counters[MG_CTL_KEYS_ZEROED], 1);
	CU_ASSERT_FALSE(env.dp->peers[0].in_use);      /* reclamation started */
	CU_ASSERT_EQUAL(mg_wg_device_peer_count(g.dev), 1); /* id not free yet */
	dpt_run(&env);
	mg_ctl_timers_tick(g.ctl, t0 + (uint64_t)(IDLE_S + 1) * SEC);
	CU_ASSERT_EQUAL(g.ctl->counters[MG_CTL_PEERS_RECLAIMED], 1);
	CU_ASSERT_EQUAL(mg_wg_device_peer_count(g.dev), 0);
	CU_ASSERT_TRUE(client_handshake(&b, &g));
	mg_wg_device_destroy(a.dev);
	mg_wg_device_destroy(b.dev);
	gateway_free(&g);
}

int
main(int argc, char **argv)
{
	static const struct mg_cunit_case cases[] = {
		{ "new peer with a reclaimed id gets no old NAT traffic",
		  test_new_peer_with_same_id_gets_no_old_traffic },
		{ "static peer never reclaimed", test_static_peer_never_reclaimed },
		{ "timers reclaim after 540 s", test_timers_reclaim_after_540_s },
	};

	(void)argc;
	return dpt_main(argv[0], "datapath reclaim", cases, RTE_DIM(cases));
}
