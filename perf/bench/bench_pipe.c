/* The pipeline lines: a gateway built with datapath = "pipeline" (rx, crypto, NAT and tx roles
 * linked by rte_rings, lib/datapath/pipeline.c), driven on one lcore one role pass at a time
 * (mg_dp_pipeline_pass), each pass timed. It owns the per-role accounting: cycles, and packets
 * in and out read from the fill levels of each role's rings around its pass.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "bench_int.h"
#include "pipeline.h"

enum {
	PIPE_RINGS = 5,        /* lib/datapath/pipeline.c: dec, egr, ing, enc, tx */
	ROLE_RINGS = 5,        /* per role and side: up to 4, NULL-terminated */
	MAX_ROUNDS = 8,        /* timed rounds per burst: one is the norm */
	FLUSH_ROUNDS = 64,
};

/* The pipeline's rings, by the names pipeline.c gives them. */
static const char *const ring_names[PIPE_RINGS] = {
	"mg_pipe_dec", "mg_pipe_egr", "mg_pipe_ing", "mg_pipe_enc", "mg_pipe_tx",
};
enum { R_DEC, R_EGR, R_ING, R_ENC, R_TX };

struct pipe_state {
	struct rte_ring *ring[PIPE_RINGS];
	struct mg_dp_worker *role_w[MG_BENCH_N_ROLES]; /* crypto: the first crypto lcore */
	struct rte_ring *in[MG_BENCH_N_ROLES][ROLE_RINGS];
	struct rte_ring *out[MG_BENCH_N_ROLES][ROLE_RINGS];
	struct mg_bench_role_figure fig[MG_BENCH_N_ROLES];
	struct mg_bench_samples passes[MG_BENCH_N_ROLES]; /* cycles of each timed pass */
	struct mg_dp_counters before[MG_BENCH_N_ROLES], after[MG_BENCH_N_ROLES];
};

static unsigned
ring_sum(struct rte_ring *const *r)
{
	unsigned n = 0;

	for (; *r != NULL; r++)
		n += rte_ring_count(*r);
	return n;
}

static struct mg_dp_worker *
role_worker(struct mg_bench_gw *g, enum mg_dp_role role)
{
	for (unsigned w = 0; w < g->workers; w++)
		if (g->w[w]->role == role)
			return g->w[w];
	return NULL;
}

/* A role's ring list: up to four, NULL-terminated. */
static void
wire(struct rte_ring **list, struct rte_ring *a, struct rte_ring *b, struct rte_ring *c,
     struct rte_ring *d)
{
	list[0] = a;
	list[1] = b;
	list[2] = c;
	list[3] = d;
	list[4] = NULL;
}

/* Find the roles and rings; each role's inputs and outputs as pipeline.c wires them. */
static int
pipe_state_init(struct pipe_state *s, struct mg_bench_gw *g)
{
	struct rte_ring *const mesh = g->rx[MG_BENCH_MESH][0], *const inet = g->rx[MG_BENCH_INET][0];

	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < PIPE_RINGS; i++)
		if ((s->ring[i] = rte_ring_lookup(ring_names[i])) == NULL)
			return -1;
	s->role_w[MG_BENCH_ROLE_RX] = role_worker(g, MG_DP_ROLE_PIPE_RX);
	s->role_w[MG_BENCH_ROLE_CRYPTO] = role_worker(g, MG_DP_ROLE_PIPE_CRYPTO);
	s->role_w[MG_BENCH_ROLE_NAT] = role_worker(g, MG_DP_ROLE_PIPE_NAT);
	s->role_w[MG_BENCH_ROLE_TX] = role_worker(g, MG_DP_ROLE_PIPE_TX);
	for (unsigned r = 0; r < MG_BENCH_N_ROLES; r++)
		if (s->role_w[r] == NULL)
			return -1;
	/* the port rings are both receive and transmit rings of the ring vdev (bench_gw.c); rx
	 * also forwards the control lcore's frames (to tx) and keepalives (to crypto) */
	wire(s->in[MG_BENCH_ROLE_RX], mesh, inet, NULL, NULL);
	wire(s->out[MG_BENCH_ROLE_RX], s->ring[R_DEC], s->ring[R_ING], s->ring[R_TX],
	     s->ring[R_ENC]);
	wire(s->in[MG_BENCH_ROLE_CRYPTO], s->ring[R_DEC], s->ring[R_ENC], NULL, NULL);
	wire(s->out[MG_BENCH_ROLE_CRYPTO], s->ring[R_EGR], s->ring[R_TX], NULL, NULL);
	wire(s->in[MG_BENCH_ROLE_NAT], s->ring[R_EGR], s->ring[R_ING], NULL, NULL);
	wire(s->out[MG_BENCH_ROLE_NAT], s->ring[R_TX], s->ring[R_ENC], NULL, NULL);
	wire(s->in[MG_BENCH_ROLE_TX], s->ring[R_TX], NULL, NULL, NULL);
	wire(s->out[MG_BENCH_ROLE_TX], mesh, inet, NULL, NULL);
	return 0;
}

static void
pipe_state_free(struct pipe_state *s)
{
	for (unsigned r = 0; r < MG_BENCH_N_ROLES; r++)
		mg_bench_samples_free(&s->passes[r]);
}

/* One pass of role r: timed when `timed`; ring levels give what it took and passed on. */
static uint64_t
role_pass(struct pipe_state *s, enum mg_bench_role r, bool timed, unsigned *work)
{
	struct mg_bench_role_figure *f = &s->fig[r];
	unsigned in0 = ring_sum(s->in[r]), out0 = ring_sum(s->out[r]);
	uint64_t t0, t1;

	t0 = rte_rdtsc_precise();
	*work += mg_dp_pipeline_pass(s->role_w[r]);
	t1 = rte_rdtsc_precise();
	f->in += in0 - ring_sum(s->in[r]);
	f->out += ring_sum(s->out[r]) - out0;
	if (!timed)
		return 0;
	f->passes++;
	f->cycles += t1 - t0;
	mg_bench_samples_add(&s->passes[r], t1 - t0);
	return t1 - t0;
}

static unsigned
in_flight(const struct pipe_state *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < PIPE_RINGS; i++)
		n += rte_ring_count(s->ring[i]);
	return n;
}

/* Each role once, in the order the packets go: mesh frames rx, crypto, NAT, tx; internet frames
 * rx, NAT, crypto, tx. Then what the tx role sent is taken off the port rings (untimed) so the
 * next rx pass does not receive it back, and the control lcore's part is played. */
static uint64_t
round_once(struct mg_bench_job *j, struct pipe_state *s, bool inbound, bool timed, unsigned *work)
{
	static const enum mg_bench_role mesh_order[] = { MG_BENCH_ROLE_RX, MG_BENCH_ROLE_CRYPTO,
							 MG_BENCH_ROLE_NAT, MG_BENCH_ROLE_TX };
	static const enum mg_bench_role inet_order[] = { MG_BENCH_ROLE_RX, MG_BENCH_ROLE_NAT,
							 MG_BENCH_ROLE_CRYPTO, MG_BENCH_ROLE_TX };
	const enum mg_bench_role *order = inbound ? inet_order : mesh_order;
	uint64_t cycles = 0;

	for (unsigned k = 0; k < MG_BENCH_N_ROLES; k++)
		cycles += role_pass(s, order[k], timed, work);
	mg_bench_job_drain_tx(j, j->fs.public_port != NULL);
	for (unsigned r = 0; r < MG_BENCH_N_ROLES; r++)
		mg_bench_drain_events(j->g, s->role_w[r]);
	rte_rcu_qsbr_quiescent(j->g->dp->qsbr, j->idx);
	return cycles;
}

static uint64_t
pipe_push(struct mg_bench_job *j, unsigned port, struct rte_mbuf **pkts, unsigned n)
{
	struct pipe_state *s = j->arg;
	uint64_t cycles = 0;
	unsigned work = 0;

	if (rte_ring_enqueue_bulk(j->g->rx[port][j->idx], (void **)pkts, n, NULL) != n) {
		rte_pktmbuf_free_bulk(pkts, n);
		return 0;
	}
	j->fed += n;
	for (unsigned r = 0; r < MAX_ROUNDS; r++) {
		cycles += round_once(j, s, port == MG_BENCH_INET, true, &work);
		if (in_flight(s) == 0)
			break;
	}
	return cycles;
}

static void
pipe_begin(struct mg_bench_job *j)
{
	struct pipe_state *s = j->arg;

	for (unsigned r = 0; r < MG_BENCH_N_ROLES; r++) {
		memset(&s->fig[r], 0, sizeof(s->fig[r]));
		s->passes[r].n = 0; /* the warm-up's passes do not count */
		s->before[r] = s->role_w[r]->counters;
	}
}

/* Untimed passes until nothing moves (a role may hold packets back, e.g. to reorder them), so
 * that every packet fed is accounted for; then the counters. */
static void
pipe_end(struct mg_bench_job *j)
{
	struct pipe_state *s = j->arg;
	unsigned work = 1;

	for (unsigned r = 0; r < FLUSH_ROUNDS && work > 0; r++) {
		work = 0;
		round_once(j, s, false, false, &work);
	}
	for (unsigned r = 0; r < MG_BENCH_N_ROLES; r++)
		s->after[r] = s->role_w[r]->counters;
}

static const struct mg_bench_job_ops pipe_ops = {
	.push = pipe_push, .begin = pipe_begin, .end = pipe_end,
};

/* Per role: drops and what ended there (punts, keepalives), per-packet cycles. */
static void
role_totals(struct mg_bench_pipe_figure *f, struct pipe_state *s)
{
	for (unsigned r = 0; r < MG_BENCH_N_ROLES; r++) {
		struct mg_bench_counts k = { 0 };

		mg_bench_counts_add(&k, &s->before[r], &s->after[r]);
		mg_bench_counts_add(&f->counts, &s->before[r], &s->after[r]);
		f->role[r] = s->fig[r];
		for (unsigned d = 0; d < MG_DP_DROP_MAX; d++)
			f->role[r].drops += k.drops[d];
		f->role[r].consumed = k.punted + k.keepalives + k.handed_off;
		f->role[r].cycles_per_pkt = (double)s->fig[r].cycles / (double)f->packets;
		f->role[r].median_cycles_per_pkt = mg_bench_samples_median_per_pkt(&s->passes[r]);
		f->busy_cycles += s->fig[r].cycles;
	}
}

/* The model: one core per role, the crypto role's work shared by c lcores; the slowest sets
 * the rate. From the totals, and from the median passes. */
static void
model(struct mg_bench_pipe_figure *f, bool median, double *mpps, enum mg_bench_role *worst_role)
{
	double hz = (double)rte_get_tsc_hz();

	for (unsigned c = 1; c <= MG_BENCH_PEER_LCORES; c++) {
		double worst = 0;

		for (unsigned r = 0; r < MG_BENCH_N_ROLES; r++) {
			double cyc = median ? f->role[r].median_cycles_per_pkt
					    : f->role[r].cycles_per_pkt;
			if (r == MG_BENCH_ROLE_CRYPTO)
				cyc /= c;
			if (cyc > worst) {
				worst = cyc;
				if (worst_role != NULL)
					worst_role[c - 1] = r;
			}
		}
		mpps[c - 1] = worst > 0 ? hz / worst / 1e6 : 0;
	}
}

static void
summarise(struct mg_bench_job *j, struct pipe_state *s, struct mg_bench_pipe_figure *f)
{
	f->packets = j->packets;
	f->inner_bytes = j->bytes;
	f->active_peers = j->fs.active;
	f->counts.fed = j->fed;
	if (f->packets == 0)
		return;
	role_totals(f, s);
	f->cycles_per_pkt = (double)f->busy_cycles / (double)f->packets;
	f->median_cycles_per_pkt = mg_bench_samples_median_per_pkt(&j->bursts);
	model(f, false, f->model_mpps, f->bottleneck);
	model(f, true, f->model_median_mpps, NULL);
}

int
mg_bench_pipe_run(struct mg_bench_gw *g, const struct mg_bench_case *c,
		  struct mg_bench_pipe_figure *out, char *err, size_t errlen)
{
	static struct pipe_state s; /* one pipeline run at a time */
	struct mg_bench_job j;
	struct mg_dp_worker *rx;
	int rc = 0;

	if (!g->pipeline || pipe_state_init(&s, g) != 0) {
		snprintf(err, errlen, "not a pipeline gateway, or its rings/roles not found");
		return -1;
	}
	rx = s.role_w[MG_BENCH_ROLE_RX];
	for (unsigned r = 0; r < MG_BENCH_N_ROLES; r++)
		if (mg_bench_samples_init(&s.passes[r], 2 * (c->packets / MG_BENCH_BURST + 1)) != 0)
			rc = -1;
	if (rc != 0 || mg_bench_job_init(&j, g, c, rx, 0, 1, &pipe_ops) != 0) {
		snprintf(err, errlen, "out of memory");
		pipe_state_free(&s);
		return -1;
	}
	j.arg = &s;
	/* on the rx role's lcore: the CPU the first run-to-completion worker uses */
	rte_eal_remote_launch(mg_bench_job_main, &j, rx->lcore);
	mg_bench_wait_lcores(g);
	*out = (struct mg_bench_pipe_figure){ .dir = c->dir, .size = c->size, .peers = g->peers,
					      .crypto_lcores = g->workers - 3 };
	if (j.rc == 0)
		summarise(&j, &s, out);
	else
		snprintf(err, errlen, "%s", j.err);
	mg_bench_job_fini(&j);
	pipe_state_free(&s);
	return j.rc;
}
