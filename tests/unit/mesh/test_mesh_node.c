/* CUnit suite for whole nodes in-process: a tiny network with a virtual clock delivers their
 * datagrams. Gossip converges from one seed; SWIM keeps a slow node (late acks) alive, declares
 * a dead one dead (also one killed right after the view converged: every member is somebody's
 * neighbour by then), and a refuted suspicion (a newer record) restores the node; replayed and
 * malformed datagrams are refused and counted; routes spread and are withdrawn.
 */
#include <stdlib.h>
#include <string.h>

#include "mg_cunit.h"
#include <sodium.h>

#include "node.h"

#define MAXN 8
#define QMAX 20000
#define T0 (1700000000ULL * MG_MESH_NS_PER_S)
#define MS MG_MESH_NS_PER_MS

struct pkt {
	uint64_t at;
	int from, to;
	uint16_t len;
	uint8_t buf[MG_MESH_DGRAM_MAX];
};

static struct {
	int n;
	struct mg_mesh_node *node[MAXN];
	uint8_t sk[MAXN][64], pk[MAXN][32];
	struct mg_mesh_addr addr[MAXN];
	bool down[MAXN];
	uint64_t delay[MAXN];      /* extra delay on what node i sends */
	uint64_t now;
	struct pkt *q;
	int nq;
	int suspect_ev[MAXN], down_ev[MAXN], down_local_ev[MAXN];
	struct pkt last_from0;     /* a datagram node 0 sent to node 1, for the replay test */
	bool have_last;
} net;

static struct mg_mesh_dgram dg[256];
static struct mg_mesh_event ev[256];

static int node_of_id(const uint8_t *id)
{
	for (int i = 0; i < net.n; i++)
		if (!memcmp(net.pk[i], id, 32))
			return i;
	return -1;
}

static int node_of_addr(const struct mg_mesh_addr *a)
{
	for (int i = 0; i < net.n; i++)
		if (mg_mesh_addr_eq(&net.addr[i], a))
			return i;
	return -1;
}

static void collect(int from, struct mg_mesh_out *out)
{
	for (uint32_t i = 0; i < out->n_events; i++) {
		int who = node_of_id(out->events[i].id);

		if (who < 0)
			continue;
		if (out->events[i].type == MG_MESH_EV_NODE_SUSPECT)
			net.suspect_ev[who]++;
		if (out->events[i].type == MG_MESH_EV_NODE_DOWN) {
			net.down_ev[who]++;
			net.down_local_ev[who] += out->events[i].local;
		}
	}
	for (uint32_t i = 0; i < out->n_dgrams && !net.down[from]; i++) {
		struct pkt *p = &net.q[net.nq];
		int to = node_of_addr(&out->dgrams[i].dst);

		if (to < 0 || net.nq >= QMAX)
			continue;
		p->at = net.now + 5 * MS + net.delay[from];
		p->from = from;
		p->to = to;
		p->len = out->dgrams[i].len;
		memcpy(p->buf, out->dgrams[i].buf, p->len);
		if (from == 0 && to == 1) {
			net.last_from0 = *p;
			net.have_last = true;
		}
		net.nq++;
	}
	mg_mesh_out_reset(out);
}

static void net_create(int n)
{
	struct mg_mesh_seed seed = { 0 };
	char err[128];

	memset(&net, 0, sizeof(net));
	net.q = calloc(QMAX, sizeof(*net.q));
	net.n = n;
	net.now = T0;
	for (int i = 0; i < n; i++) {
		uint8_t s[32] = { (uint8_t)(i + 1) };

		crypto_sign_seed_keypair(net.pk[i], net.sk[i], s);
		net.addr[i].family = 4;
		net.addr[i].port = 51820;
		memcpy(net.addr[i].ip, (uint8_t[]){ 198, 51, 100, (uint8_t)(10 + i) }, 4);
	}
	seed.addr = net.addr[0];
	for (int i = 0; i < n; i++) {
		struct mg_mesh_config cfg = { 0 };

		mg_mesh_config_defaults(&cfg);
		memcpy(cfg.sign_sk, net.sk[i], 64);
		cfg.self.country[0] = 'N';
		cfg.self.country[1] = 'L';
		cfg.self.roles = MG_MESH_ROLE_RELAY;
		cfg.self.n_endpoints = 1;
		cfg.self.endpoints[0] = net.addr[i];
		cfg.seeds = &seed;
		cfg.n_seeds = i ? 1 : 0;
		net.node[i] = mg_mesh_node_create(&cfg, net.now, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(net.node[i]);
	}
}

static void net_destroy(void)
{
	for (int i = 0; i < net.n; i++)
		mg_mesh_node_destroy(net.node[i]);
	free(net.q);
}

/* Advance the virtual clock in 10 ms steps: deliver what is due, then tick every node. */
static void net_run(uint64_t dur_ns)
{
	struct mg_mesh_out out;
	uint64_t end = net.now + dur_ns;

	mg_mesh_out_init(&out, dg, 256, ev, 256);
	while (net.now < end) {
		net.now += 10 * MS;
		for (int k = 0; k < net.nq; k++) {
			struct pkt p = net.q[k];

			if (p.at > net.now)
				continue;
			net.q[k--] = net.q[--net.nq];
			if (net.down[p.to] || net.down[p.from])
				continue;
			mg_mesh_node_input(net.node[p.to], &net.addr[p.from], p.buf, p.len, net.now,
					   &out);
			collect(p.to, &out);
		}
		for (int i = 0; i < net.n; i++) {
			if (net.down[i])
				continue;
			mg_mesh_node_tick(net.node[i], net.now, &out);
			collect(i, &out);
		}
	}
}

static bool all_know_all(void)
{
	for (int i = 0; i < net.n; i++) {
		if (net.down[i])
			continue;
		for (int j = 0; j < net.n; j++)
			if (!net.down[j] &&
			    mg_mesh_node_member_state(net.node[i], net.pk[j]) != MG_MESH_ALIVE)
				return false;
	}
	return true;
}

static void test_gossip_converges(void)
{
	net_create(6);
	CU_ASSERT_FALSE(all_know_all());
	net_run(20 * MG_MESH_NS_PER_S);
	CU_ASSERT_TRUE(all_know_all());
	for (int i = 0; i < net.n; i++)
		CU_ASSERT_EQUAL(mg_mesh_node_members(net.node[i], true), 6);
	for (int i = 0; i < net.n; i++)
		CU_ASSERT_EQUAL(net.down_ev[i] + net.suspect_ev[i], 0);
	net_destroy();
}

/* Node 4 answers 1.5 s late: past the probe period (so it is suspected), well within the 6 s
 * suspicion timeout. It must never be declared dead. */
static void test_swim_slow_not_dead(void)
{
	net_create(5);
	net_run(20 * MG_MESH_NS_PER_S);
	CU_ASSERT_TRUE_FATAL(all_know_all());
	net.delay[4] = 1500 * MS;
	net_run(60 * MG_MESH_NS_PER_S);
	CU_ASSERT_TRUE(net.suspect_ev[4] > 0);   /* the slowness was seen ... */
	CU_ASSERT_EQUAL(net.down_ev[4], 0);      /* ... and forgiven */
	for (int i = 0; i < 4; i++)              /* suspect again and again maybe, never dead */
		CU_ASSERT_NOT_EQUAL(mg_mesh_node_member_state(net.node[i], net.pk[4]),
				    MG_MESH_DEAD);
	net.delay[4] = 0;
	net_run(20 * MG_MESH_NS_PER_S);
	CU_ASSERT_TRUE(all_know_all());          /* once fast again, plain alive everywhere */
	net_destroy();
}

/* Node 3 stops answering: every other node ends up with it DEAD, decided locally by at least
 * one of them, in about a probe round plus the suspicion timeout. */
static void test_swim_dead(void)
{
	net_create(5);
	net_run(20 * MG_MESH_NS_PER_S);
	CU_ASSERT_TRUE_FATAL(all_know_all());
	net.down[3] = true;
	net_run(30 * MG_MESH_NS_PER_S);
	for (int i = 0; i < net.n; i++)
		if (i != 3)
			CU_ASSERT_EQUAL(mg_mesh_node_member_state(net.node[i], net.pk[3]),
					MG_MESH_DEAD);
	CU_ASSERT_TRUE(net.down_local_ev[3] >= 1);
	for (int i = 0; i < net.n; i++)
		if (i != 3)
			CU_ASSERT_EQUAL(net.down_ev[i], 0);
	CU_ASSERT_TRUE(all_know_all());          /* the live ones still know each other */
	net_destroy();
}

static uint32_t neighbours_of(int i)
{
	struct mg_mesh_nbr_info info[2 * MG_MESH_DEF_NEIGHBOURS];

	return mg_mesh_node_neighbours(net.node[i], info, 2 * MG_MESH_DEF_NEIGHBOURS);
}

/* Neighbours are picked among the few members of a mostly empty store (4096 slots) within a
 * couple of ticks of learning them, so a node killed right after the view converged is probed
 * and declared dead: a member no one has as a neighbour would stay alive in every view. */
static void test_swim_dead_right_after_join(void)
{
	uint64_t waited = 0;

	net_create(5);
	while (!all_know_all() && waited < 20 * MG_MESH_NS_PER_S) {
		net_run(100 * MS);
		waited += 100 * MS;
	}
	CU_ASSERT_TRUE_FATAL(all_know_all());
	net_run(1000 * MS);
	for (int i = 0; i < net.n; i++)
		CU_ASSERT_EQUAL(neighbours_of(i), (uint32_t)net.n - 1);
	net.down[3] = true;
	net_run(15 * MG_MESH_NS_PER_S);
	for (int i = 0; i < net.n; i++)
		if (i != 3)
			CU_ASSERT_EQUAL(mg_mesh_node_member_state(net.node[i], net.pk[3]),
					MG_MESH_DEAD);
	net_destroy();
}

struct seq_probe { const uint8_t *id; uint64_t seq; };

static void find_seq(void *ctx, const struct mg_mesh_record *r, uint8_t state)
{
	struct seq_probe *p = ctx;

	(void)state;
	if (!memcmp(r->id, p->id, 32))
		p->seq = r->seq;
}

static uint64_t seq_at(int viewer, int who)
{
	struct seq_probe p = { net.pk[who], 0 };

	mg_mesh_node_foreach_member(net.node[viewer], find_seq, &p);
	return p.seq;
}

/* A datagram signed by node `from` carrying one SUSPECT message about node `who`. */
static size_t forge_suspect(uint8_t *buf, int from, int who, uint64_t seq)
{
	struct mg_mesh_writer w;
	uint8_t *p;

	mg_mesh_wire_begin(&w, buf, MG_MESH_DGRAM_MAX, net.pk[from], net.now + 1);
	p = mg_mesh_wire_add(&w, MG_MESH_MSG_SUSPECT, MG_MESH_MEMBER_LEN);
	memcpy(p, net.pk[who], 32);
	mg_mesh_put_u64(p + 32, seq);
	return mg_mesh_wire_finish(&w, net.sk[from]);
}

/* Node 0 claims node 2 is suspect at its current seq: node 1 believes it, node 2 refutes with
 * a higher incarnation (a newer record), node 1 restores it; nobody declares it dead. */
static void test_swim_refuted(void)
{
	struct mg_mesh_out out;
	uint8_t buf[MG_MESH_DGRAM_MAX];
	uint64_t seq;
	size_t len;

	net_create(4);
	net_run(20 * MG_MESH_NS_PER_S);
	CU_ASSERT_TRUE_FATAL(all_know_all());
	seq = seq_at(1, 2);
	CU_ASSERT_EQUAL_FATAL(seq, seq_at(2, 2));
	mg_mesh_out_init(&out, dg, 256, ev, 256);
	len = forge_suspect(buf, 0, 2, seq);
	CU_ASSERT_EQUAL(mg_mesh_node_input(net.node[1], &net.addr[0], buf, len, net.now, &out), 0);
	collect(1, &out);
	CU_ASSERT_EQUAL(mg_mesh_node_member_state(net.node[1], net.pk[2]), MG_MESH_SUSPECT);
	CU_ASSERT_EQUAL(net.suspect_ev[2], 1);
	net_run(10 * MG_MESH_NS_PER_S);
	CU_ASSERT_TRUE(seq_at(2, 2) > seq);
	CU_ASSERT_TRUE(seq_at(1, 2) > seq);
	CU_ASSERT_EQUAL(mg_mesh_node_member_state(net.node[1], net.pk[2]), MG_MESH_ALIVE);
	CU_ASSERT_TRUE(mg_mesh_node_counters(net.node[1])[MG_MESH_CTR_MEMBER_REFUTED] >= 1);
	CU_ASSERT_TRUE(mg_mesh_node_counters(net.node[2])[MG_MESH_CTR_MEMBER_REFUTED] >= 1);
	CU_ASSERT_EQUAL(net.down_ev[2], 0);
	/* A stale claim about the old incarnation changes nothing. */
	len = forge_suspect(buf, 0, 2, seq);
	mg_mesh_node_input(net.node[1], &net.addr[0], buf, len, net.now, &out);
	collect(1, &out);
	CU_ASSERT_EQUAL(mg_mesh_node_member_state(net.node[1], net.pk[2]), MG_MESH_ALIVE);
	net_destroy();
}

static void test_replay_and_garbage(void)
{
	struct mg_mesh_out out;
	const uint64_t *c;
	uint8_t buf[MG_MESH_DGRAM_MAX + 1];
	struct pkt p;
	size_t len;

	net_create(3);
	net_run(10 * MG_MESH_NS_PER_S);
	CU_ASSERT_TRUE_FATAL(net.have_last);
	p = net.last_from0;
	mg_mesh_out_init(&out, dg, 256, ev, 256);
	c = mg_mesh_node_counters(net.node[1]);
	/* Already delivered once by the network: a second copy is a replay. */
	CU_ASSERT_EQUAL(mg_mesh_node_input(net.node[1], &net.addr[0], p.buf, p.len, net.now, &out),
			MG_MESH_CTR_RX_REPLAY);
	CU_ASSERT_EQUAL(c[MG_MESH_CTR_RX_REPLAY], 1);
	/* Far outside the clock window. */
	CU_ASSERT_EQUAL(mg_mesh_node_input(net.node[1], &net.addr[0], p.buf, p.len,
					   net.now + 60 * MG_MESH_NS_PER_S, &out),
			MG_MESH_CTR_RX_CLOCK_SKEW);
	for (size_t l = 0; l < p.len; l++)
		CU_ASSERT_NOT_EQUAL(mg_mesh_node_input(net.node[1], &net.addr[0], p.buf, l,
						       net.now, &out), 0);
	for (int i = 0; i < 3000; i++) {
		len = randombytes_uniform(sizeof(buf));
		randombytes_buf(buf, len);
		CU_ASSERT_NOT_EQUAL(mg_mesh_node_input(net.node[1], &net.addr[0], buf, len,
						       net.now, &out), 0);
	}
	CU_ASSERT_EQUAL(out.n_dgrams + out.n_events, 0);
	net_destroy();
}

/* Properly signed datagrams from a known node whose messages are random: every message type
 * with random lengths and bytes. The node must survive, count, and keep working. */
static void test_signed_garbage_messages(void)
{
	struct mg_mesh_out out;
	uint8_t buf[MG_MESH_DGRAM_MAX], val[600];
	const uint64_t *c;

	net_create(3);
	net_run(10 * MG_MESH_NS_PER_S);
	mg_mesh_out_init(&out, dg, 256, ev, 256);
	c = mg_mesh_node_counters(net.node[1]);
	for (int i = 0; i < 3000; i++) {
		struct mg_mesh_writer w;
		uint16_t l = (uint16_t)randombytes_uniform(i % 2 ? 80 : sizeof(val));
		uint8_t *p;

		mg_mesh_wire_begin(&w, buf, sizeof(buf), net.pk[2], net.now + 1 + (uint64_t)i);
		p = mg_mesh_wire_add(&w, (uint8_t)(1 + i % 16), l);
		randombytes_buf(val, l);
		memcpy(p, val, l);
		mg_mesh_node_input(net.node[1], &net.addr[2], buf, mg_mesh_wire_finish(&w, net.sk[2]),
				   net.now, &out);
		mg_mesh_out_reset(&out);
	}
	CU_ASSERT_TRUE(c[MG_MESH_CTR_RX_BAD_TLV] + c[MG_MESH_CTR_REC_MALFORMED] > 1000);
	CU_ASSERT_TRUE(c[MG_MESH_CTR_RX_UNKNOWN_TLV] > 100);
	net_run(10 * MG_MESH_NS_PER_S);
	CU_ASSERT_TRUE(all_know_all());
	net_destroy();
}

static void test_routes_spread_and_withdraw(void)
{
	struct mg_mesh_prefix pf = { .family = 4, .plen = 24, .addr = { 203, 0, 113, 0 } };
	uint8_t hop[32];
	uint16_t metric;

	net_create(5);
	net_run(20 * MG_MESH_NS_PER_S);
	CU_ASSERT_EQUAL(mg_mesh_node_originate(net.node[3], &pf, 1000), 0);
	net_run(15 * MG_MESH_NS_PER_S);
	for (int i = 0; i < net.n; i++) {
		CU_ASSERT_TRUE(mg_mesh_node_route(net.node[i], &pf, hop, &metric));
		CU_ASSERT_TRUE(i == 3 ? metric == 0 : (metric > 0 && metric < MG_MESH_METRIC_INF));
	}
	CU_ASSERT_EQUAL(mg_mesh_node_withdraw(net.node[3], &pf), 0);
	net_run(15 * MG_MESH_NS_PER_S);
	for (int i = 0; i < net.n; i++)
		CU_ASSERT_FALSE(mg_mesh_node_route(net.node[i], &pf, hop, &metric));
	net_destroy();
}

int main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "gossip converges", test_gossip_converges },
		{ "swim slow node not dead", test_swim_slow_not_dead },
		{ "swim dead node", test_swim_dead },
		{ "swim dead right after join", test_swim_dead_right_after_join },
		{ "swim refuted suspicion", test_swim_refuted },
		{ "replay and garbage", test_replay_and_garbage },
		{ "signed garbage messages", test_signed_garbage_messages },
		{ "routes spread and withdraw", test_routes_spread_and_withdraw },
	};

	if (sodium_init() < 0)
		return 2;
	return MG_CUNIT_RUN("mesh_node", cases);
}
