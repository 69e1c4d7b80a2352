/* Discrete-event simulation of the mesh control protocol: N real lib/mesh nodes, a virtual
 * clock, a seeded PRNG, datagram loss, per-pair latency with jitter, bootstrap from a few seeds,
 * and churn (nodes leave abruptly and later restart with the same key).
 *
 * It prints a table: view convergence, control bandwidth per node, false-positive failure
 * detections, detection time of really dead nodes, route convergence. With --check it exits
 * non-zero when loose bounds are missed (the registered test). Same seed, same run.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node.h"

#define T0 (1700000000ULL * MG_MESH_NS_PER_S)
#define MS MG_MESH_NS_PER_MS
#define SEC MG_MESH_NS_PER_S

enum ev_kind { EV_DELIVER, EV_TICK, EV_KILL, EV_REVIVE };

struct ev {
	uint64_t at;
	uint64_t order;            /* FIFO among equal times: determinism */
	uint32_t node;
	uint32_t gen;              /* a tick for an older incarnation is ignored */
	uint8_t kind;
	struct pkt *pkt;
};

struct pkt {
	uint32_t from;
	uint16_t len;
	uint8_t buf[];
};

struct simnode {
	struct mg_mesh_node *node;
	bool alive;
	uint32_t gen;
	uint64_t rng;
	uint8_t sk[64], pk[32];
	struct mg_mesh_addr addr;
	bool exit;
	struct mg_mesh_prefix prefix;
	uint64_t tx_bytes, alive_ns, up_since;
	uint64_t killed_at, first_detect, all_detect;
	bool was_killed, fp;
};

static struct {
	uint32_t n, n_seeds, exit_every;
	double loss, churn;
	uint64_t lat_min, lat_span, jitter, duration, kill_at, revive_at, suspicion;
	uint64_t seed, rng;
	bool check, counters;
	uint64_t ctr_sum[MG_MESH_CTR__COUNT];
	uint64_t by_type[16];           /* datagrams by the type of their first message */
	struct simnode *s;
	struct ev *heap;
	size_t nh, caph;
	uint64_t order, now;
	uint32_t *idmap;           /* open addressing: id -> node index + 1 */
	uint32_t idcap;
	uint64_t conv_at, reconv_at, route_at, dgrams, lost;
	double coverage;               /* route coverage just before the churn */
	uint64_t fp_decl, fp_view;
	struct mg_mesh_dgram *dg;
	struct mg_mesh_event *evs;
} sim;

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t node_rand(void *ctx, uint32_t upper)
{
	return (uint32_t)(splitmix(ctx) % upper);
}

static double unit(void)
{
	return (double)(splitmix(&sim.rng) >> 11) / (double)(1ULL << 53);
}

static void push(struct ev e)
{
	size_t i;

	if (sim.nh == sim.caph) {
		sim.caph = sim.caph ? 2 * sim.caph : 4096;
		sim.heap = realloc(sim.heap, sim.caph * sizeof(*sim.heap));
		if (!sim.heap)
			abort();
	}
	e.order = sim.order++;
	for (i = sim.nh++; i > 0; i = (i - 1) / 2) {
		struct ev *p = &sim.heap[(i - 1) / 2];

		if (p->at < e.at || (p->at == e.at && p->order < e.order))
			break;
		sim.heap[i] = *p;
	}
	sim.heap[i] = e;
}

static struct ev pop(void)
{
	struct ev top = sim.heap[0], last = sim.heap[--sim.nh];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= sim.nh)
			break;
		if (c + 1 < sim.nh && (sim.heap[c + 1].at < sim.heap[c].at ||
		    (sim.heap[c + 1].at == sim.heap[c].at && sim.heap[c + 1].order < sim.heap[c].order)))
			c++;
		if (last.at < sim.heap[c].at || (last.at == sim.heap[c].at && last.order < sim.heap[c].order))
			break;
		sim.heap[i] = sim.heap[c];
		i = c;
	}
	sim.heap[i] = last;
	return top;
}

static uint32_t id_home(const uint8_t *id)
{
	uint32_t h;

	memcpy(&h, id, 4);
	return h & (sim.idcap - 1);
}

static void id_put(const uint8_t *id, uint32_t idx)
{
	uint32_t i = id_home(id);

	while (sim.idmap[i])
		i = (i + 1) & (sim.idcap - 1);
	sim.idmap[i] = idx + 1;
}

static int id_find(const uint8_t *id)
{
	for (uint32_t i = id_home(id); sim.idmap[i]; i = (i + 1) & (sim.idcap - 1))
		if (!memcmp(sim.s[sim.idmap[i] - 1].pk, id, 32))
			return (int)sim.idmap[i] - 1;
	return -1;
}

/* Node i sits at 100.64.x.y, port 51820; addresses never leave this process. */
static void addr_of(uint32_t i, struct mg_mesh_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->port = 51820;
	a->ip[0] = 100;
	a->ip[1] = (uint8_t)(64 + (i >> 16));
	a->ip[2] = (uint8_t)(i >> 8);
	a->ip[3] = (uint8_t)i;
}

static int index_of_addr(const struct mg_mesh_addr *a)
{
	uint32_t i = (uint32_t)(a->ip[1] - 64) << 16 | (uint32_t)a->ip[2] << 8 | a->ip[3];

	return a->family == 4 && a->ip[0] == 100 && i < sim.n ? (int)i : -1;
}

/* Symmetric base latency per pair in [lat_min, lat_min + lat_span), plus jitter. */
static uint64_t latency(uint32_t a, uint32_t b)
{
	uint64_t x = (uint64_t)(a < b ? a : b) << 32 | (a < b ? b : a);
	uint64_t h = splitmix(&x) ^ sim.seed;

	return sim.lat_min + (sim.lat_span ? h % sim.lat_span : 0) +
	       (sim.jitter ? splitmix(&sim.rng) % sim.jitter : 0);
}

static void start_node(uint32_t i)
{
	struct simnode *sn = &sim.s[i];
	struct mg_mesh_seed seeds[8];
	struct mg_mesh_config cfg = { 0 };
	char err[160];

	mg_mesh_config_defaults(&cfg);
	memcpy(cfg.sign_sk, sn->sk, 64);
	cfg.self.roles = sn->exit ? MG_MESH_ROLE_EXIT | MG_MESH_ROLE_RELAY : MG_MESH_ROLE_RELAY;
	cfg.self.country[0] = 'Z';
	cfg.self.country[1] = 'Z';
	cfg.self.capacity_mbps = 1000;
	cfg.self.n_endpoints = 1;
	cfg.self.endpoints[0] = sn->addr;
	cfg.store_cap = 2 * sim.n + 64;
	cfg.source_cap = sim.n + 64;
	cfg.suspicion_ns = sim.suspicion;
	for (uint32_t k = 0; k < sim.n_seeds && k < 8; k++) {
		memset(&seeds[k], 0, sizeof(seeds[k]));
		addr_of(k, &seeds[k].addr);
		seeds[k].id_known = true;
		memcpy(seeds[k].id, sim.s[k].pk, 32);
	}
	cfg.seeds = seeds;
	cfg.n_seeds = sim.n_seeds < 8 ? sim.n_seeds : 8;
	cfg.prefixes = sn->exit ? &sn->prefix : NULL;
	cfg.n_prefixes = sn->exit ? 1 : 0;
	cfg.rand_uniform = node_rand;
	cfg.rand_ctx = &sn->rng;
	sn->node = mg_mesh_node_create(&cfg, sim.now, err, sizeof(err));
	if (!sn->node) {
		fprintf(stderr, "mesh_sim: node %u: %s\n", i, err);
		exit(2);
	}
	sn->alive = true;
	sn->up_since = sim.now;
	sn->gen++;
	push((struct ev){ .at = sim.now + splitmix(&sim.rng) % SEC, .node = i, .gen = sn->gen,
			  .kind = EV_TICK });
}

static void stop_node(uint32_t i)
{
	struct simnode *sn = &sim.s[i];

	sn->tx_bytes += mg_mesh_node_counters(sn->node)[MG_MESH_CTR_TX_BYTES];
	for (int c = 0; c < MG_MESH_CTR__COUNT; c++)
		sim.ctr_sum[c] += mg_mesh_node_counters(sn->node)[c];
	sn->alive_ns += sim.now - sn->up_since;
	mg_mesh_node_destroy(sn->node);
	sn->node = NULL;
	sn->alive = false;
	sn->gen++;
}

static void on_event(uint32_t observer, const struct mg_mesh_event *e)
{
	int who = id_find(e->id);

	(void)observer;
	if (e->type != MG_MESH_EV_NODE_DOWN || who < 0)
		return;
	if (sim.s[who].alive) {
		sim.fp_view++;
		if (e->local) {
			sim.fp_decl++;
			sim.s[who].fp = true;
		}
	} else if (e->local && !sim.s[who].first_detect) {
		sim.s[who].first_detect = sim.now;
	}
}

static void flush_out(uint32_t from, struct mg_mesh_out *out)
{
	for (uint32_t k = 0; k < out->n_events; k++)
		on_event(from, &out->events[k]);
	for (uint32_t k = 0; k < out->n_dgrams; k++) {
		const struct mg_mesh_dgram *d = &out->dgrams[k];
		int to = index_of_addr(&d->dst);
		struct pkt *p;

		sim.dgrams++;
		sim.by_type[d->buf[48] < 16 ? d->buf[48] : 0]++;
		if (to < 0 || unit() < sim.loss) {
			sim.lost++;
			continue;
		}
		p = malloc(sizeof(*p) + d->len);
		if (!p)
			abort();
		p->from = from;
		p->len = d->len;
		memcpy(p->buf, d->buf, d->len);
		push((struct ev){ .at = sim.now + latency(from, (uint32_t)to), .node = (uint32_t)to,
				  .kind = EV_DELIVER, .pkt = p });
	}
	mg_mesh_out_reset(out);
}

static void handle(const struct ev *e, struct mg_mesh_out *out)
{
	struct simnode *sn = &sim.s[e->node];
	uint64_t next;

	switch (e->kind) {
	case EV_DELIVER:
		if (sn->alive)
			mg_mesh_node_input(sn->node, &sim.s[e->pkt->from].addr, e->pkt->buf,
					   e->pkt->len, sim.now, out);
		free(e->pkt);
		break;
	case EV_TICK:
		if (!sn->alive || e->gen != sn->gen)
			return;
		mg_mesh_node_tick(sn->node, sim.now, out);
		next = mg_mesh_node_next_deadline(sn->node);
		if (next < sim.now + MS)
			next = sim.now + MS;
		if (next > sim.now + 200 * MS)
			next = sim.now + 200 * MS;
		push((struct ev){ .at = next, .node = e->node, .gen = sn->gen, .kind = EV_TICK });
		break;
	case EV_KILL:
		if (sn->alive) {
			stop_node(e->node);
			sn->was_killed = true;
			sn->killed_at = sim.now;
			sn->first_detect = sn->all_detect = 0;
		}
		return;
	case EV_REVIVE:
		if (!sn->alive)
			start_node(e->node);
		return;
	}
	if (sn->alive)
		flush_out(e->node, out);
	else
		mg_mesh_out_reset(out);
}

static bool view_converged(void)
{
	for (uint32_t i = 0; i < sim.n; i++) {
		if (!sim.s[i].alive)
			continue;
		for (uint32_t j = 0; j < sim.n; j++)
			if (sim.s[j].alive &&
			    mg_mesh_node_member_state(sim.s[i].node, sim.s[j].pk) != MG_MESH_ALIVE)
				return false;
	}
	return true;
}

/* Share of (live node, live exit) pairs with a selected route. */
static double route_coverage(void)
{
	uint8_t hop[32];
	uint16_t metric;
	uint64_t have = 0, all = 0;

	for (uint32_t j = 0; j < sim.n; j++) {
		if (!sim.s[j].alive || !sim.s[j].exit)
			continue;
		for (uint32_t i = 0; i < sim.n; i++)
			if (sim.s[i].alive) {
				all++;
				have += mg_mesh_node_route(sim.s[i].node, &sim.s[j].prefix, hop,
							   &metric);
			}
	}
	return all ? (double)have / (double)all : 1;
}

static bool routes_converged(void)
{
	uint8_t hop[32];
	uint16_t metric;

	for (uint32_t j = 0; j < sim.n; j++) {
		if (!sim.s[j].alive || !sim.s[j].exit)
			continue;
		for (uint32_t i = 0; i < sim.n; i++)
			if (sim.s[i].alive &&
			    !mg_mesh_node_route(sim.s[i].node, &sim.s[j].prefix, hop, &metric))
				return false;
	}
	return true;
}

/* A dead node is fully detected when no live node still holds it alive or suspect. */
static void check_dead(void)
{
	for (uint32_t j = 0; j < sim.n; j++) {
		struct simnode *d = &sim.s[j];
		bool all = true;

		if (d->alive || !d->was_killed || d->all_detect)
			continue;
		for (uint32_t i = 0; i < sim.n && all; i++) {
			int st = sim.s[i].alive ? mg_mesh_node_member_state(sim.s[i].node, d->pk) : -1;

			all = st == -1 || st == MG_MESH_DEAD;
		}
		if (all)
			d->all_detect = sim.now;
	}
}

static void checks(void)
{
	uint64_t t = sim.now - T0;

	if (!sim.conv_at && t < sim.kill_at && view_converged())
		sim.conv_at = sim.now;
	if (!sim.route_at && t < sim.kill_at && routes_converged())
		sim.route_at = sim.now;
	if (t + SEC == sim.kill_at)
		sim.coverage = route_coverage();
	if (!sim.reconv_at && t > sim.revive_at + 5 * SEC && view_converged())
		sim.reconv_at = sim.now;
	check_dead();
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void setup_nodes(void)
{
	sim.s = calloc(sim.n, sizeof(*sim.s));
	sim.idcap = 1;
	while (sim.idcap < 4 * sim.n)
		sim.idcap *= 2;
	sim.idmap = calloc(sim.idcap, sizeof(*sim.idmap));
	if (!sim.s || !sim.idmap)
		abort();
	for (uint32_t i = 0; i < sim.n; i++) {
		struct simnode *sn = &sim.s[i];
		uint8_t seed[32];
		uint64_t x = sim.seed * 1000003 + i;

		for (int k = 0; k < 4; k++) {
			uint64_t v = splitmix(&x);

			memcpy(seed + 8 * k, &v, 8);
		}
		crypto_sign_seed_keypair(sn->pk, sn->sk, seed);
		sn->rng = splitmix(&x);
		addr_of(i, &sn->addr);
		id_put(sn->pk, i);
		sn->exit = i >= sim.n_seeds && i % sim.exit_every == sim.exit_every - 1;
		sn->prefix.family = 4;
		sn->prefix.plen = 32;
		memcpy(sn->prefix.addr, (uint8_t[]){ 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8),
						     (uint8_t)i }, 4);
	}
}

static void schedule_churn(void)
{
	uint32_t want = (uint32_t)(sim.churn * sim.n), got = 0;

	while (got < want && sim.n > sim.n_seeds) {
		uint32_t i = sim.n_seeds + (uint32_t)(splitmix(&sim.rng) % (sim.n - sim.n_seeds));

		if (sim.s[i].was_killed)
			continue;
		sim.s[i].was_killed = true;    /* reset by EV_KILL; marks the choice meanwhile */
		push((struct ev){ .at = T0 + sim.kill_at + splitmix(&sim.rng) % (10 * SEC),
				  .node = i, .kind = EV_KILL });
		push((struct ev){ .at = T0 + sim.revive_at + splitmix(&sim.rng) % (5 * SEC),
				  .node = i, .kind = EV_REVIVE });
		got++;
	}
	for (uint32_t i = 0; i < sim.n; i++)
		sim.s[i].was_killed = false;
}

static void run(void)
{
	struct mg_mesh_out out;
	uint64_t next_check = T0 + SEC, end = T0 + sim.duration;

	sim.dg = calloc(1024, sizeof(*sim.dg));
	sim.evs = calloc(1024, sizeof(*sim.evs));
	if (!sim.dg || !sim.evs)
		abort();
	mg_mesh_out_init(&out, sim.dg, 1024, sim.evs, 1024);
	sim.now = T0;
	for (uint32_t i = 0; i < sim.n; i++)
		start_node(i);
	schedule_churn();
	while (sim.nh && sim.heap[0].at <= end) {
		struct ev e = pop();

		while (e.at >= next_check) {
			sim.now = next_check;
			checks();
			next_check += SEC;
		}
		sim.now = e.at;
		handle(&e, &out);
	}
	while (sim.nh) {
		struct ev e = pop();

		if (e.kind == EV_DELIVER)
			free(e.pkt);
	}
	sim.now = end;
}

struct stats {
	double bw_mean, bw_p99, det_first_mean, det_first_max, det_all_mean, det_all_max;
	uint32_t killed, undetected, fp_nodes, exits;
};

static void summarise(struct stats *st)
{
	double *bw = calloc(sim.n, sizeof(double)), sum = 0;
	uint32_t nbw = 0, ndet = 0;

	memset(st, 0, sizeof(*st));
	for (uint32_t i = 0; i < sim.n; i++) {
		struct simnode *sn = &sim.s[i];

		if (sn->alive)
			stop_node(i);
		if (sn->alive_ns)
			bw[nbw++] = (double)sn->tx_bytes / ((double)sn->alive_ns / SEC);
		st->fp_nodes += sn->fp;
		st->exits += sn->exit;
		if (!sn->was_killed)
			continue;
		st->killed++;
		if (!sn->all_detect) {
			st->undetected++;
			continue;
		}
		ndet++;
		double f = sn->first_detect ? (double)(sn->first_detect - sn->killed_at) / SEC : 0;
		double a = (double)(sn->all_detect - sn->killed_at) / SEC;

		st->det_first_mean += f;
		st->det_all_mean += a;
		st->det_first_max = fmax(st->det_first_max, f);
		st->det_all_max = fmax(st->det_all_max, a);
	}
	if (ndet) {
		st->det_first_mean /= ndet;
		st->det_all_mean /= ndet;
	}
	qsort(bw, nbw, sizeof(double), cmp_double);
	for (uint32_t i = 0; i < nbw; i++)
		sum += bw[i];
	st->bw_mean = nbw ? sum / nbw : 0;
	st->bw_p99 = nbw ? bw[(size_t)((nbw - 1) * 0.99)] : 0;
	free(bw);
}

static double secs(uint64_t at, uint64_t from)
{
	return at ? (double)(at - from) / SEC : -1;
}

static void report(const struct stats *st)
{
	printf("mesh_sim: %u nodes, %u seeds, %u exits, loss %.1f%%, latency %llu-%llu ms + "
	       "0-%llu ms jitter, churn %.0f%% (leave at %llu s, rejoin at %llu s), %llu s, "
	       "seed %llu\n\n", sim.n, sim.n_seeds, st->exits, sim.loss * 100,
	       (unsigned long long)(sim.lat_min / MS),
	       (unsigned long long)((sim.lat_min + sim.lat_span) / MS),
	       (unsigned long long)(sim.jitter / MS), sim.churn * 100,
	       (unsigned long long)(sim.kill_at / SEC), (unsigned long long)(sim.revive_at / SEC),
	       (unsigned long long)(sim.duration / SEC), (unsigned long long)sim.seed);
	printf("| metric | value |\n|---|---|\n");
	printf("| view convergence: every live node knows every live node (s) | %.1f |\n",
	       secs(sim.conv_at, T0));
	printf("| view reconvergence after the rejoin (s after rejoin start) | %.1f |\n",
	       secs(sim.reconv_at, T0 + sim.revive_at));
	printf("| route convergence: every node has a route to every exit (s) | %.1f |\n",
	       secs(sim.route_at, T0));
	printf("| route coverage just before the churn: (node, exit) pairs with a route | %.2f%% |\n",
	       sim.coverage * 100);
	printf("| control traffic per node, mean (bytes/s) | %.0f |\n", st->bw_mean);
	printf("| control traffic per node, p99 (bytes/s) | %.0f |\n", st->bw_p99);
	printf("| datagrams sent / lost | %llu / %llu |\n", (unsigned long long)sim.dgrams,
	       (unsigned long long)sim.lost);
	printf("| false positives: live nodes declared dead by a prober | %u nodes, %llu "
	       "declarations |\n", st->fp_nodes, (unsigned long long)sim.fp_decl);
	printf("| false positives: NODE_DOWN about live nodes, all views | %llu |\n",
	       (unsigned long long)sim.fp_view);
	printf("| dead nodes: first detection, mean / max (s) | %.1f / %.1f |\n",
	       st->det_first_mean, st->det_first_max);
	printf("| dead nodes: dead in every live view, mean / max (s) | %.1f / %.1f |\n",
	       st->det_all_mean, st->det_all_max);
	printf("| dead nodes never fully detected | %u of %u |\n", st->undetected, st->killed);
}

/* Loose bounds for the registered test: it converges, and seldom suspects wrongly. */
static int check(const struct stats *st)
{
	int failed = 0;

#define BOUND(cond, what) do { if (!(cond)) { printf("check failed: %s\n", what); failed++; } \
			  } while (0)
	BOUND(sim.conv_at && sim.conv_at - T0 < 45 * SEC, "view converges within 45 s");
	BOUND(sim.route_at, "routes to every exit converge before the churn");
	BOUND(!st->killed || sim.reconv_at, "view reconverges after the rejoin");
	BOUND(st->undetected == 0, "every dead node ends up dead in every live view");
	BOUND(st->det_all_max < 40, "dead nodes detected everywhere within 40 s");
	BOUND(st->fp_nodes <= 1 + sim.n / 50, "at most 2% of live nodes declared dead");
	BOUND(st->bw_mean < 20000, "mean control traffic under 20 kB/s per node");
#undef BOUND
	printf("%d passed, %d failed\n", 7 - failed, failed);
	return failed ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: mesh_sim [--nodes N] [--seed S] [--loss P] [--latency-ms MIN,MAX]"
		" [--jitter-ms J] [--churn F] [--seeds K] [--exit-every E] [--duration S]"
		" [--leave-at S] [--rejoin-at S] [--suspicion-ms M] [--check] [--counters]\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nodes", 1, 0, 'n' }, { "seed", 1, 0, 's' }, { "loss", 1, 0, 'l' },
		{ "latency-ms", 1, 0, 'L' }, { "jitter-ms", 1, 0, 'j' }, { "churn", 1, 0, 'c' },
		{ "seeds", 1, 0, 'k' }, { "exit-every", 1, 0, 'e' }, { "duration", 1, 0, 'd' },
		{ "leave-at", 1, 0, 'a' }, { "rejoin-at", 1, 0, 'r' },
		{ "suspicion-ms", 1, 0, 'S' }, { "check", 0, 0, 'C' }, { "counters", 0, 0, 'K' },
		{ 0, 0, 0, 0 },
	};
	unsigned long lo, hi;
	int o;

	sim.n = 1000; sim.seed = 1; sim.loss = 0.05; sim.lat_min = 10 * MS; sim.lat_span = 90 * MS;
	sim.jitter = 5 * MS; sim.churn = 0.05; sim.n_seeds = 3; sim.exit_every = 50;
	sim.duration = 120 * SEC; sim.kill_at = 50 * SEC; sim.revive_at = 80 * SEC;
	sim.suspicion = MG_MESH_DEF_SUSPICION_NS;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'n': sim.n = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 's': sim.seed = strtoull(optarg, NULL, 10); break;
		case 'l': sim.loss = strtod(optarg, NULL); break;
		case 'L':
			if (sscanf(optarg, "%lu,%lu", &lo, &hi) != 2 || hi < lo)
				usage();
			sim.lat_min = lo * MS;
			sim.lat_span = (hi - lo) * MS;
			break;
		case 'j': sim.jitter = strtoull(optarg, NULL, 10) * MS; break;
		case 'c': sim.churn = strtod(optarg, NULL); break;
		case 'k': sim.n_seeds = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'e': sim.exit_every = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'd': sim.duration = strtoull(optarg, NULL, 10) * SEC; break;
		case 'a': sim.kill_at = strtoull(optarg, NULL, 10) * SEC; break;
		case 'r': sim.revive_at = strtoull(optarg, NULL, 10) * SEC; break;
		case 'S': sim.suspicion = strtoull(optarg, NULL, 10) * MS; break;
		case 'C': sim.check = true; break;
		case 'K': sim.counters = true; break;
		default: usage();
		}
	}
	if (sim.n < 2 || sim.n_seeds < 1 || sim.n_seeds > sim.n || sim.exit_every < 1 ||
	    sim.loss < 0 || sim.loss >= 1 || sim.kill_at >= sim.revive_at ||
	    sim.revive_at >= sim.duration || sim.n > (1u << 20))
		usage();
}

int main(int argc, char **argv)
{
	struct stats st;

	parse(argc, argv);
	if (sodium_init() < 0)
		return 2;
	sim.rng = sim.seed ^ 0x5eed;
	setup_nodes();
	run();
	summarise(&st);
	report(&st);
	for (int t = 0; sim.counters && t < 16; t++)
		if (sim.by_type[t])
			printf("  first message type %-2d    %llu\n", t,
			       (unsigned long long)sim.by_type[t]);
	for (int c = 0; sim.counters && c < MG_MESH_CTR__COUNT; c++)
		if (sim.ctr_sum[c])
			printf("  %-24s %llu\n", mg_mesh_counter_name(c),
			       (unsigned long long)sim.ctr_sum[c]);
	return sim.check ? check(&st) : 0;
}
