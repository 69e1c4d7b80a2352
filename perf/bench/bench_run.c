/* The timed loops. Every worker lcore of the gateway runs one job at once: it builds a burst of
 * 32 frames (untimed), puts it on its receive ring, and times one real pass of the worker loop
 * (mg_dp_worker_poll: rx, classify, the stages, tx, NAT expiry, RCU report) with the TSC; what
 * the worker transmitted is drained from the transmit rings (untimed). A warm-up pass first opens
 * one NAT session per flow and learns each flow's public port from the translated frames. The
 * job itself (bursts, warm-up, measure loop) is shared with bench_pipe.c through its ops.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "bench_int.h"
#include "data_crypto.h"
#include "dp.h"
#include "worker.h"

void
mg_bench_job_drain_tx(struct mg_bench_job *j, bool learn)
{
	struct rte_mbuf *m[MG_BENCH_BURST];
	unsigned n;

	for (unsigned p = 0; p < MG_BENCH_N_PORTS; p++) {
		while ((n = rte_ring_dequeue_burst(j->g->tx[p][j->idx], (void **)m, MG_BENCH_BURST,
						   NULL)) > 0) {
			for (unsigned i = 0; learn && p == MG_BENCH_INET && i < n; i++) {
				uint32_t id;
				uint16_t port;
				if (mg_bench_parse_out(m[i], &id, &port) && id < j->fs.n)
					j->fs.public_port[id] = port;
			}
			rte_pktmbuf_free_bulk(m, n);
		}
	}
}

/* Play the control lcore, untimed: rotate every "next" keypair a worker saw used (its
 * CONFIRM_NEXT events) to current, as lib/control does. Without it no keypair ever becomes
 * current, the event ring fills after ~1000 peers, and the worker may not send with the
 * unconfirmed keypairs of the peers after that (wg_no_session on replies). */
void
mg_bench_drain_events(struct mg_bench_gw *g, struct mg_dp_worker *w)
{
	struct mg_dp_event ev[MG_BENCH_BURST];
	uint32_t released[3];
	unsigned n, n_rel;

	while ((n = rte_ring_dequeue_burst_elem(w->event_ring, ev, sizeof(ev[0]), MG_BENCH_BURST,
						 NULL)) > 0) {
		rte_spinlock_lock(&g->control);
		for (unsigned i = 0; i < n; i++)
			if ((ev[i].type & 0xff) == MG_DP_EVENT_CONFIRM_NEXT)
				mg_dp_keypair_confirm(g->dp, ev[i].value, released, &n_rel);
		rte_spinlock_unlock(&g->control);
	}
}

/* Run to completion: one timed pass of the worker loop. */
static uint64_t
rtc_push(struct mg_bench_job *j, unsigned port, struct rte_mbuf **pkts, unsigned n)
{
	uint64_t t0, t1;

	if (rte_ring_enqueue_bulk(j->g->rx[port][j->idx], (void **)pkts, n, NULL) != n) {
		rte_pktmbuf_free_bulk(pkts, n);
		return 0;
	}
	j->fed += n;
	t0 = rte_rdtsc_precise();
	mg_dp_worker_poll(j->w);
	t1 = rte_rdtsc_precise();
	mg_bench_drain_events(j->g, j->w);
	return t1 - t0;
}

static void
rtc_begin(struct mg_bench_job *j)
{
	j->before = j->w->counters;
#ifdef MG_DP_STAGE_CYCLES
	mg_dp_stage_cycles_reset();
#endif
}

static void
rtc_end(struct mg_bench_job *j)
{
	j->after = j->w->counters;
#ifdef MG_DP_STAGE_CYCLES
	j->n_stages = mg_dp_stage_cycles_read(j->stage_names, j->stage, MG_BENCH_MAX_STAGES);
#endif
}

static const struct mg_bench_job_ops rtc_ops = {
	.push = rtc_push, .begin = rtc_begin, .end = rtc_end,
};

static uint32_t
next_flow(struct mg_bench_job *j, uint64_t seq)
{
	if (j->c->dir == MG_BENCH_NEW_FLOW)
		return (uint32_t)seq;
	if (j->c->random_flows) { /* xorshift64: cheap and good enough to defeat the caches */
		j->rng ^= j->rng << 13;
		j->rng ^= j->rng >> 7;
		j->rng ^= j->rng << 17;
		return (uint32_t)(j->rng % j->fs.n);
	}
	return (uint32_t)(seq % j->fs.n);
}

/* One burst of frames for the case: WireGuard from clients, or replies from the internet. */
static int
build_burst(struct mg_bench_job *j, bool inbound, enum mg_bench_size size, uint64_t seq,
	    unsigned n, struct rte_mbuf **pkts, uint64_t *bytes)
{
	struct mg_bench_flow fl[MG_BENCH_BURST];
	uint32_t ids[MG_BENCH_BURST];
	uint16_t sizes[MG_BENCH_BURST], ports[MG_BENCH_BURST];

	for (unsigned i = 0; i < n; i++) {
		ids[i] = next_flow(j, seq + i);
		mg_bench_flow_get(&j->fs, ids[i], &fl[i]);
		sizes[i] = mg_bench_inner_size(size, (unsigned)(seq + i));
		ports[i] = j->fs.public_port ? j->fs.public_port[ids[i]] : 0;
		*bytes += sizes[i];
	}
	if (inbound)
		return mg_bench_build_reply(j->g, j->w->pool, fl, ports, sizes, n, pkts);
	return mg_bench_build_wg(j->g, j->crypto, j->w->pool, fl, ids, sizes, n, pkts);
}

static int
warm_up(struct mg_bench_job *j)
{
	struct rte_mbuf *pkts[MG_BENCH_BURST];
	uint64_t bytes = 0;
	uint32_t missing = 0;

	for (uint64_t f = 0; f < j->fs.n; f += MG_BENCH_BURST) {
		unsigned n = (unsigned)RTE_MIN((uint64_t)MG_BENCH_BURST, j->fs.n - f);
		if (build_burst(j, false, MG_BENCH_SIZE_64, f, n, pkts, &bytes) != 0)
			return -1;
		j->ops->push(j, MG_BENCH_MESH, pkts, n);
		mg_bench_job_drain_tx(j, true);
	}
	for (uint32_t f = 0; f < j->fs.n; f++)
		missing += j->fs.public_port[f] == 0;
	if (missing) {
		snprintf(j->err, sizeof(j->err), "warm-up: %u of %u flows got no NAT session",
			 missing, j->fs.n);
		return -1;
	}
	return 0;
}

static int
measure(struct mg_bench_job *j)
{
	const struct mg_bench_case *c = j->c;
	bool inbound = c->dir == MG_BENCH_INET_TO_MESH;
	uint64_t target = c->dir == MG_BENCH_NEW_FLOW ? j->fs.n : c->packets;
	struct rte_mbuf *pkts[MG_BENCH_BURST];

	j->fed = 0;
	j->ops->begin(j);
	for (uint64_t seq = 0; seq < target; seq += MG_BENCH_BURST) {
		unsigned n = (unsigned)RTE_MIN((uint64_t)MG_BENCH_BURST, target - seq);
		if (build_burst(j, inbound, c->size, seq, n, pkts, &j->bytes) != 0) {
			snprintf(j->err, sizeof(j->err), "out of mbufs building frames");
			return -1;
		}
		uint64_t cyc = j->ops->push(j, inbound ? MG_BENCH_INET : MG_BENCH_MESH, pkts, n);
		j->cycles += cyc;
		j->packets += n;
		if (n == MG_BENCH_BURST)
			mg_bench_samples_add(&j->bursts, cyc);
		mg_bench_job_drain_tx(j, false);
	}
	j->ops->end(j);
	return 0;
}

int
mg_bench_job_main(void *arg)
{
	struct mg_bench_job *j = arg;
	struct rte_rcu_qsbr *q = j->g->dp->qsbr;

	rte_rcu_qsbr_thread_register(q, j->idx);
	rte_rcu_qsbr_thread_online(q, j->idx);
	j->crypto = mg_wg_crypto_create();
	j->rc = -1;
	if (j->crypto == NULL)
		snprintf(j->err, sizeof(j->err), "IPsec-MB manager");
	else if ((j->c->warmed || j->c->dir == MG_BENCH_NEW_FLOW || warm_up(j) == 0) &&
		 measure(j) == 0)
		j->rc = 0;
	else if (j->err[0] == '\0')
		snprintf(j->err, sizeof(j->err), "out of mbufs");
	mg_wg_crypto_destroy(j->crypto);
	rte_rcu_qsbr_thread_offline(q, j->idx);
	rte_rcu_qsbr_thread_unregister(q, j->idx);
	return 0;
}

void
mg_bench_counts_add(struct mg_bench_counts *k, const struct mg_dp_counters *before,
		    const struct mg_dp_counters *after)
{
	const uint64_t *a = after->c, *b = before->c;

	k->rx += a[MG_DP_RX_PACKETS] - b[MG_DP_RX_PACKETS];
	k->tx += a[MG_DP_TX_PACKETS] - b[MG_DP_TX_PACKETS];
	k->punted += a[MG_DP_PUNTED] - b[MG_DP_PUNTED];
	k->keepalives += a[MG_DP_KEEPALIVES_RX] - b[MG_DP_KEEPALIVES_RX];
	k->handed_off += a[MG_DP_HANDED_OFF] - b[MG_DP_HANDED_OFF];
	k->decrypted += a[MG_DP_DECRYPTED] - b[MG_DP_DECRYPTED];
	k->encrypted += a[MG_DP_ENCRYPTED] - b[MG_DP_ENCRYPTED];
	k->nat_out += a[MG_DP_NAT_OUT] - b[MG_DP_NAT_OUT];
	k->nat_in += a[MG_DP_NAT_IN] - b[MG_DP_NAT_IN];
	k->nat_created += a[MG_DP_NAT_CREATED] - b[MG_DP_NAT_CREATED];
	for (unsigned d = 0; d < MG_DP_DROP_MAX; d++)
		k->drops[d] += after->drop[d] - before->drop[d];
}

static void
summarise(struct mg_bench_job *jobs, unsigned n, struct mg_bench_figure *f)
{
	double hz = (double)rte_get_tsc_hz();

	for (unsigned w = 0; w < n; w++) {
		f->median_cycles_per_pkt += mg_bench_samples_median_per_pkt(&jobs[w].bursts) / n;
		f->packets += jobs[w].packets;
		f->inner_bytes += jobs[w].bytes;
		f->busy_cycles += jobs[w].cycles;
		f->n_stages = jobs[w].n_stages;
		for (unsigned s = 0; s < jobs[w].n_stages; s++)
			f->stage_cycles[s] += jobs[w].stage[s];
		f->counts.fed += jobs[w].fed;
		mg_bench_counts_add(&f->counts, &jobs[w].before, &jobs[w].after);
	}
	if (f->packets == 0 || f->busy_cycles == 0)
		return;
	f->cycles_per_pkt = (double)f->busy_cycles / (double)f->packets;
	f->mpps_per_worker = hz / f->cycles_per_pkt / 1e6;
	f->gbps_per_worker = (double)f->inner_bytes * 8.0 * hz / (double)f->busy_cycles / 1e9;
	f->mpps_total = f->mpps_per_worker * n;
}

int
mg_bench_job_init(struct mg_bench_job *j, struct mg_bench_gw *g, const struct mg_bench_case *c,
		  struct mg_dp_worker *w, unsigned idx, unsigned n_jobs,
		  const struct mg_bench_job_ops *ops)
{
	uint32_t owned = (g->peers - idx + n_jobs - 1) / n_jobs;
	uint32_t active = RTE_MAX(1u, c->active_peers / n_jobs);

	memset(j, 0, sizeof(*j));
	j->g = g;
	j->c = c;
	j->ops = ops;
	j->w = w;
	j->idx = idx;
	j->rng = 0x9e3779b97f4a7c15ull * (idx + 1);
	j->fs = (struct mg_bench_flows){ .worker = idx, .workers = n_jobs, .peers = g->peers,
					 .active = RTE_MIN(active, owned) };
	j->fs.n = c->flows ? c->flows / n_jobs : j->fs.active;
	if (mg_bench_samples_init(&j->bursts, (c->dir == MG_BENCH_NEW_FLOW ? j->fs.n : c->packets) /
						      MG_BENCH_BURST + 1) != 0)
		return -1;
	if (c->dir == MG_BENCH_NEW_FLOW)
		return 0;
	j->fs.public_port = calloc(j->fs.n, sizeof(uint16_t));
	return j->fs.public_port != NULL ? 0 : -1;
}

void
mg_bench_job_fini(struct mg_bench_job *j)
{
	free(j->fs.public_port);
	j->fs.public_port = NULL;
	mg_bench_samples_free(&j->bursts);
}

int
mg_bench_samples_init(struct mg_bench_samples *s, uint64_t max)
{
	s->n = 0;
	s->max = max;
	s->v = calloc(max ? max : 1, sizeof(*s->v));
	return s->v != NULL ? 0 : -1;
}

void
mg_bench_samples_add(struct mg_bench_samples *s, uint64_t cycles)
{
	if (s->n < s->max)
		s->v[s->n++] = (uint32_t)RTE_MIN(cycles, (uint64_t)UINT32_MAX);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

double
mg_bench_samples_median_per_pkt(struct mg_bench_samples *s)
{
	if (s->n == 0)
		return 0;
	qsort(s->v, s->n, sizeof(*s->v), cmp_u32);
	return (double)s->v[s->n / 2] / MG_BENCH_BURST;
}

void
mg_bench_samples_free(struct mg_bench_samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->max = 0;
}

void
mg_bench_wait_lcore(unsigned lcore)
{
	/* Sleep rather than spin: the main lcore may share a CPU with a worker. */
	while (rte_eal_get_lcore_state(lcore) != WAIT)
		usleep(1000);
	rte_eal_wait_lcore(lcore);
}

void
mg_bench_wait_lcores(struct mg_bench_gw *g)
{
	for (unsigned w = 0; w < g->workers; w++)
		mg_bench_wait_lcore(g->w[w]->lcore);
	rte_eal_mp_wait_lcore();
}

int
mg_bench_run(struct mg_bench_gw *g, const struct mg_bench_case *c, struct mg_bench_figure *out,
	     char *err, size_t errlen)
{
	/* rte_zmalloc, not calloc: a job holds cache-aligned counter blocks, which the compiler
	 * may store with aligned vector instructions (a fault at any alignment below 64). */
	struct mg_bench_job *jobs = rte_zmalloc("mg_bench_jobs", g->workers * sizeof(*jobs),
						RTE_CACHE_LINE_SIZE);
	int rc = 0;

	if (jobs == NULL)
		return -1;
	for (unsigned w = 0; w < g->workers && rc == 0; w++)
		rc = mg_bench_job_init(&jobs[w], g, c, g->w[w], w, g->workers, &rtc_ops);
	for (unsigned w = 0; w < g->workers && rc == 0; w++)
		rte_eal_remote_launch(mg_bench_job_main, &jobs[w], g->w[w]->lcore);
	if (rc == 0)
		mg_bench_wait_lcores(g);
	*out = (struct mg_bench_figure){ .dir = c->dir, .size = c->size, .peers = g->peers,
					 .workers = g->workers };
	for (unsigned w = 0; w < g->workers; w++) {
		out->active_peers += jobs[w].fs.active;
		if (rc == 0 && jobs[w].rc != 0) {
			snprintf(err, errlen, "worker %u: %s", w, jobs[w].err);
			rc = -1;
		}
	}
	if (rc == 0)
		summarise(jobs, g->workers, out);
	for (unsigned w = 0; w < g->workers; w++)
		mg_bench_job_fini(&jobs[w]);
	rte_free(jobs);
	return rc;
}

/* Stage names of this build (static strings in lib/datapath/worker.c), for the report. */
unsigned
mg_bench_stage_names(const char **names, unsigned max)
{
#ifdef MG_DP_STAGE_CYCLES
	uint64_t scratch[MG_BENCH_MAX_STAGES];

	return mg_dp_stage_cycles_read(names, scratch, RTE_MIN(max, (unsigned)MG_BENCH_MAX_STAGES));
#else
	(void)names;
	(void)max;
	return 0;
#endif
}
