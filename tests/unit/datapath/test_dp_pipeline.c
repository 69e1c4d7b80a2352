/* The pipeline arrangement in-process: rx, two crypto, NAT and tx roles, each on its own thread
 * running mg_dp_lcore_main (the OS spreads the five threads over this machine's CPUs), on the
 * fixture's ring ports. One peer's stream must leave each port in the order it came in: inner
 * IPv4 ids 0, 1, 2 ... go in, the same ids must come out in that order. Packets are sealed and
 * opened with libsodium by the fixture, never by the code under test.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <sodium.h>

#include "dp.h"
#include "dp_test_env.h"
#include "nat.h"
#include "neigh.h"
#include "pipeline.h"
#include "policy.h"

enum {
	N_ROLES = 5,
	STREAM = 3000,
	IN_FLIGHT = 96,           /* below the ring ports' 255 slots: the test never loses frames */
	DEADLINE_NS = 30000000000ULL,
	REMOTE_PORT = 5000,
	CLIENT_PORT = 40000,
};

/* Long enough that a hole would stall the stream past the deadline instead of being skipped:
 * the tests then see a stall as a failure. */
static const uint64_t hole_ns = 3600ULL * 1000000000ULL;

static const enum mg_dp_role roles[N_ROLES] = {
	MG_DP_ROLE_PIPE_RX, MG_DP_ROLE_PIPE_CRYPTO, MG_DP_ROLE_PIPE_CRYPTO, MG_DP_ROLE_PIPE_NAT,
	MG_DP_ROLE_PIPE_TX,
};

struct pipe_env {
	struct dpt_env e; /* dp, NAT, policy, the client's keys and quit */
	struct mg_dp_pipeline *pipe;
	struct mg_dp_worker *w[N_ROLES];
	pthread_t th[N_ROLES];
	unsigned pool_avail;
};

static void
tables(struct pipe_env *pe)
{
	struct mg_dp *dp = pe->e.dp;
	struct mg_nat_params np = {
		.name = "dpt_pipe_nat", .socket_id = SOCKET_ID_ANY,
		.public_ip = rte_cpu_to_be_32(DPT_INET_IP),
		.port_lo = DPT_NAT_PORT_LO, .port_hi = DPT_NAT_PORT_HI,
		.max_sessions = 256, .max_peers = 4, .seed = 7,
	};

	mg_neigh_set_mac(mg_neigh_get(dp->neigh, DPT_INET, rte_cpu_to_be_32(DPT_GATEWAY_IP)),
			 &dpt_mac_gateway, mg_dp_now_ns());
	mg_neigh_set_mac(mg_neigh_get(dp->neigh, DPT_MESH, rte_cpu_to_be_32(DPT_CLIENT_EP_IP)),
			 &dpt_mac_client, mg_dp_now_ns());
	pe->e.policy = mg_policy_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(pe->e.policy);
	mg_policy_add_protected(pe->e.policy, DPT_MESH_IP, 24);
	mg_policy_add_protected(pe->e.policy, DPT_INET_IP, 24);
	mg_policy_add_default_denies(pe->e.policy);
	dp->policy = pe->e.policy;
	pe->e.nat = mg_nat_create(&np);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pe->e.nat);
	dp->nat_port_lo = DPT_NAT_PORT_LO;
	dp->nat_port_span = DPT_NAT_PORT_HI - DPT_NAT_PORT_LO + 1;
}

/* The session as the control lcore would install it after a handshake: random transport keys,
 * the client's copy mirrored, the gateway's keypair current at once. */
static void
session(struct pipe_env *pe)
{
	const struct mg_dp_prefix allowed = { .addr_be = rte_cpu_to_be_32(DPT_CLIENT_INNER),
					      .mask_be = 0xffffffff };
	struct mg_dp_keys k = { .local_index = 0x11223344, .remote_index = 0x55667788,
				.initiator = true };
	struct dpt_client *c = &pe->e.client;
	uint32_t released[3];
	unsigned n_released = 0;

	randombytes_buf(k.send_key, sizeof(k.send_key));
	randombytes_buf(k.recv_key, sizeof(k.recv_key));
	memcpy(c->send_key, k.recv_key, 32);
	memcpy(c->recv_key, k.send_key, 32);
	c->remote_index = k.local_index;
	c->local_index = k.remote_index;
	c->send_counter = 0;
	CU_ASSERT_EQUAL_FATAL(mg_dp_peer_publish(pe->e.dp, DPT_PEER_ID, &allowed, 1), 0);
	pe->e.dp->peers[DPT_PEER_ID].endpoint =
		mg_dp_endpoint_pack(rte_cpu_to_be_32(DPT_CLIENT_EP_IP),
				    rte_cpu_to_be_16(DPT_CLIENT_EP_PORT));
	CU_ASSERT_EQUAL_FATAL(mg_dp_keypair_install(pe->e.dp, DPT_PEER_ID, &k, mg_dp_now_ns(),
						    released, &n_released), 0);
	sodium_memzero(&k, sizeof(k));
}

static void *
lcore_thread(void *arg)
{
	mg_dp_lcore_main(arg);
	return NULL;
}

static void
pipe_setup(struct pipe_env *pe)
{
	struct mg_dp_params dpp = { .max_peers = 4, .n_workers = N_ROLES,
				    .socket_id = SOCKET_ID_ANY };
	struct mg_dp *dp;

	memset(pe, 0, sizeof(*pe));
	pe->pool_avail = rte_mempool_avail_count(dpt_pool);
	dp = pe->e.dp = mg_dp_create(&dpp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	dp->quit = &pe->e.quit;
	dp->idle_backoff = true; /* idle roles sleep, so that five threads share two CPUs */
	dp->idle_max_sleep_us = 50;
	dpt_setup_ports(dp);
	tables(pe);
	pe->pipe = dp->pipeline = mg_dp_pipeline_create(SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pe->pipe);
	mg_dp_pipeline_set_hole_ns(pe->pipe, hole_ns);
	for (unsigned i = 0; i < N_ROLES; i++) {
		struct mg_dp_worker_params wp = {
			.idx = i, .lcore = i, .socket_id = SOCKET_ID_ANY, .pool = dpt_pool,
			.role = roles[i], .pipe = pe->pipe,
			.nat = roles[i] == MG_DP_ROLE_PIPE_NAT ? pe->e.nat : NULL,
		};

		pe->w[i] = dp->workers[i] = mg_dp_worker_create(dp, &wp);
		CU_ASSERT_PTR_NOT_NULL_FATAL(pe->w[i]);
	}
	dp->n_workers = N_ROLES;
	session(pe);
	for (unsigned i = 0; i < N_ROLES; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&pe->th[i], NULL, lcore_thread, pe->w[i]), 0);
}

static void
pipe_teardown(struct pipe_env *pe)
{
	__atomic_store_n(&pe->e.quit, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < N_ROLES; i++)
		pthread_join(pe->th[i], NULL);
	for (unsigned i = 0; i < N_ROLES; i++)
		mg_dp_worker_destroy(pe->w[i]);
	mg_dp_pipeline_destroy(pe->pipe);
	mg_nat_destroy(pe->e.nat);
	mg_policy_destroy(pe->e.policy);
	mg_dp_destroy(pe->e.dp);
	dpt_drain();
	sodium_memzero(&pe->e.client, sizeof(pe->e.client));
	CU_ASSERT_EQUAL(rte_mempool_avail_count(dpt_pool), pe->pool_avail);
}

static uint64_t
drops(const struct pipe_env *pe, enum mg_dp_drop d)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < N_ROLES; i++)
		n += pe->w[i]->counters.drop[d];
	return n;
}

static uint64_t
drops_other(const struct pipe_env *pe, enum mg_dp_drop except)
{
	uint64_t n = 0;

	for (unsigned d = 0; d < MG_DP_DROP_MAX; d++)
		if (d != except)
			n += drops(pe, (enum mg_dp_drop)d);
	return n;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A UDP packet whose IPv4 id and 4-byte payload both say `id`. */
static uint32_t
numbered_udp(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint16_t id)
{
	uint8_t payload[4] = { 0, 0, (uint8_t)(id >> 8), (uint8_t)id };
	uint32_t len = dpt_build_udp(buf, src, sport, dst, dport, 64, payload, sizeof(payload));

	buf[4] = (uint8_t)(id >> 8);
	buf[5] = (uint8_t)id;
	dpt_set_csums(buf);
	return len;
}

/* What a stream run saw: the ids in the order they left, and keepalives among them. */
struct seen {
	uint16_t id[STREAM];
	unsigned n, keepalives, stray;
};

/* Check the ids left in exactly the order want[0..n). */
static void
check_order(const struct seen *s, const uint16_t *want, unsigned n)
{
	unsigned misplaced = 0;

	CU_ASSERT_EQUAL(s->n, n);
	for (unsigned i = 0; i < s->n && i < n; i++)
		misplaced += s->id[i] != want[i];
	CU_ASSERT_EQUAL(misplaced, 0);
	if (misplaced)
		fprintf(stderr, "\n    %u of %u packets left out of order\n", misplaced, n);
}

/* Client -> internet: the frame as it left the internet port; records its id. */
static void
take_outbound(struct rte_mbuf *m, struct seen *s, uint16_t *nat_port)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *), *ip = p + 14;

	CU_ASSERT_EQUAL(memcmp(p, &dpt_mac_gateway, 6), 0);
	CU_ASSERT_EQUAL(rte_be_to_cpu_32(*(const uint32_t *)(ip + 12)), DPT_INET_IP);
	CU_ASSERT_EQUAL(rte_be_to_cpu_32(*(const uint32_t *)(ip + 16)), DPT_REMOTE_IP);
	dpt_check_csums(ip);
	CU_ASSERT_EQUAL(get16(ip + 4), get16(ip + 30)); /* id and payload agree */
	*nat_port = get16(ip + 20);
	if (s->n < STREAM)
		s->id[s->n++] = get16(ip + 4);
}

/* Internet -> client: open the frame the mesh port sent; records its id (or a keepalive). */
static void
take_inbound(struct pipe_env *pe, struct rte_mbuf *m, struct seen *s)
{
	uint8_t plain[DPT_MAX_PKT];
	uint32_t len = 0;

	CU_ASSERT_FATAL(dpt_open_reply(&pe->e, m, DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT,
				       &dpt_mac_client, plain, &len, NULL));
	if (len == 0) {
		s->keepalives++;
		return;
	}
	CU_ASSERT_EQUAL(rte_be_to_cpu_32(*(const uint32_t *)(plain + 16)), DPT_CLIENT_INNER);
	CU_ASSERT_EQUAL(get16(plain + 4), get16(plain + 30));
	if (s->n < STREAM)
		s->id[s->n++] = get16(plain + 4);
}

/* Feed STREAM frames made by make(i) on port `in` (keeping at most IN_FLIGHT unanswered) and
 * collect what leaves port `out` until `expect` frames came or the deadline passed. */
static void
run_stream(struct pipe_env *pe, enum dpt_port in, enum dpt_port out, unsigned expect,
	   struct rte_mbuf *(*make)(struct pipe_env *, unsigned), struct seen *s,
	   uint16_t *nat_port)
{
	uint64_t deadline = mg_dp_now_ns() + DEADLINE_NS;
	unsigned sent = 0, got = 0;

	memset(s, 0, sizeof(*s));
	while (got < expect && mg_dp_now_ns() < deadline) {
		struct rte_mbuf *m[32];
		unsigned k;

		while (sent < STREAM && sent < got + IN_FLIGHT)
			dpt_inject(in, make(pe, sent++));
		k = dpt_collect(out, m, RTE_DIM(m));
		for (unsigned i = 0; i < k; i++) {
			if (out == DPT_INET)
				take_outbound(m[i], s, nat_port);
			else
				take_inbound(pe, m[i], s);
		}
		rte_pktmbuf_free_bulk(m, k);
		got = s->n + s->keepalives;
		s->stray += dpt_collect(in, m, RTE_DIM(m)); /* nothing goes back the way it came */
		if (k == 0)
			usleep(20);
	}
	/* Give anything still in the pipeline a moment to show up (there should be nothing). */
	usleep(20000);
	CU_ASSERT_EQUAL(dpt_drain(), 0);
	CU_ASSERT_EQUAL(s->stray, 0);
}

static int bad_at = -1; /* the frame whose tag make_out() breaks */

static struct rte_mbuf *
make_out(struct pipe_env *pe, unsigned i)
{
	uint8_t inner[64];
	uint32_t len = numbered_udp(inner, DPT_CLIENT_INNER, CLIENT_PORT, DPT_REMOTE_IP,
				    REMOTE_PORT, (uint16_t)i);
	struct rte_mbuf *m = dpt_client_frame(&pe->e, inner, len);

	if ((int)i == bad_at) {
		uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

		p[rte_pktmbuf_data_len(m) - 1] ^= 0x01; /* last byte of the Poly1305 tag */
		dpt_set_csums(p + 14);                  /* still a well-formed UDP datagram */
	}
	return m;
}

static uint16_t nat_port_seen;

static struct rte_mbuf *
make_in(struct pipe_env *pe, unsigned i)
{
	uint8_t ip[64];
	uint32_t len = numbered_udp(ip, DPT_REMOTE_IP, REMOTE_PORT, DPT_INET_IP, nat_port_seen,
				    (uint16_t)i);

	(void)pe;
	if (i == STREAM / 2) { /* the control lcore seals a keepalive meanwhile: not numbered */
		struct rte_mbuf *ka = rte_pktmbuf_alloc(dpt_pool);

		CU_ASSERT_PTR_NOT_NULL_FATAL(ka);
		mg_dp_mbuf_set_peer(ka, DPT_PEER_ID);
		CU_ASSERT_EQUAL(rte_ring_enqueue(pe->w[0]->ctl_seal_ring, ka), 0);
	}
	return dpt_inet_frame(ip, len);
}

static void
test_both_directions_in_order(void)
{
	static struct seen s;
	static uint16_t want[STREAM];
	struct pipe_env pe;

	for (unsigned i = 0; i < STREAM; i++)
		want[i] = (uint16_t)i;
	pipe_setup(&pe);
	bad_at = -1;
	run_stream(&pe, DPT_MESH, DPT_INET, STREAM, make_out, &s, &nat_port_seen);
	check_order(&s, want, STREAM);
	CU_ASSERT(nat_port_seen >= DPT_NAT_PORT_LO && nat_port_seen <= DPT_NAT_PORT_HI);
	/* Both crypto lcores did part of the work (else order would be kept trivially). */
	CU_ASSERT(pe.w[1]->counters.c[MG_DP_DECRYPTED] > 0);
	CU_ASSERT(pe.w[2]->counters.c[MG_DP_DECRYPTED] > 0);

	run_stream(&pe, DPT_INET, DPT_MESH, STREAM + 1, make_in, &s, NULL);
	check_order(&s, want, STREAM);
	CU_ASSERT_EQUAL(s.keepalives, 1);
	CU_ASSERT(pe.w[1]->counters.c[MG_DP_ENCRYPTED] > 0);
	CU_ASSERT(pe.w[2]->counters.c[MG_DP_ENCRYPTED] > 0);
	CU_ASSERT_EQUAL(drops_other(&pe, MG_DP_DROP_MAX), 0);
	pipe_teardown(&pe);
}

/* One frame in the middle fails authentication: the rest leave in order, without waiting for
 * the hole timeout (an hour here), and the drop is counted once. */
static void
test_bad_tag_no_stall(void)
{
	static struct seen s;
	static uint16_t want[STREAM];
	struct pipe_env pe;

	bad_at = STREAM / 2;
	for (unsigned i = 0, j = 0; i < STREAM; i++)
		if ((int)i != bad_at)
			want[j++] = (uint16_t)i;
	pipe_setup(&pe);
	run_stream(&pe, DPT_MESH, DPT_INET, STREAM - 1, make_out, &s, &nat_port_seen);
	check_order(&s, want, STREAM - 1);
	CU_ASSERT_EQUAL(drops(&pe, MG_DP_DROP_WG_BAD_TAG), 1);
	CU_ASSERT_EQUAL(drops_other(&pe, MG_DP_DROP_WG_BAD_TAG), 0);
	bad_at = -1;
	pipe_teardown(&pe);
}

int
main(int argc, char **argv)
{
	static const struct mg_cunit_case cases[] = {
		{ "one peer over two crypto lcores leaves both ports in order",
		  test_both_directions_in_order },
		{ "a bad tag mid-stream neither stalls nor reorders the rest, counted once",
		  test_bad_tag_no_stall },
	};

	(void)argc;
	return dpt_main(argv[0], "datapath_pipeline", cases, MG_CUNIT_N(cases));
}
