/* The single-peer lines: one peer's WireGuard frames decrypted on one crypto lcore, then on two at
 * once, as the pipeline spreads one peer over its crypto lcores; then the same for its replies
 * (encrypt). The lcores share the peer's keypair (replay window under its spinlock, the send
 * counter, statistics), which is the contention measured. Each lcore builds a batch of the peer's
 * frames (decrypt: counters from one shared atomic counter, so every counter is unique, then
 * classified; encrypt: inner packets as NAT in leaves them), waits at a barrier with the others
 * so the timed parts overlap, then times mg_dp_decrypt or mg_dp_encrypt burst by burst. The
 * one-lcore lines run each of the two lcores alone in turn; the control lines give each lcore a
 * peer of its own: what two lcores reach with nothing shared.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "bench_int.h"
#include "data_crypto.h"
#include "dp.h"
#include "dp_stages.h"

enum {
	BATCH_BURSTS = 8, /* 256 frames per lcore between barriers: well inside the replay window */
};

/* What the lcores of one line share: a barrier and how many batches each does. */
struct peer_shared {
	unsigned n;
	uint32_t arrived;
	uint32_t generation;
	uint64_t batches;
};

struct peer_job {
	struct mg_bench_gw *g;
	struct mg_dp_worker *w;
	struct peer_shared *sh;         /* set by launch() */
	enum mg_bench_size size;
	bool encrypt;
	uint32_t peer;                  /* 0, or its own (1) on the control lines */
	struct mg_wg_crypto *crypto;
	struct mg_dp_classified cls[BATCH_BURSTS]; /* encrypt: the packets in cls[].wg_data */
	uint64_t seq, fed, done, consumed, cycles;
	struct mg_bench_samples bursts; /* per full burst of 32 */
	struct mg_dp_counters before, after;
	int rc;
	char err[96];
};

static void
barrier(struct peer_shared *sh)
{
	uint32_t gen = __atomic_load_n(&sh->generation, __ATOMIC_ACQUIRE);

	if (__atomic_add_fetch(&sh->arrived, 1, __ATOMIC_ACQ_REL) == sh->n) {
		__atomic_store_n(&sh->arrived, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&sh->generation, gen + 1, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&sh->generation, __ATOMIC_ACQUIRE) == gen)
		rte_pause();
}

/* Build (and for decrypt classify) one burst of peer 0's frames into j->cls[b] (untimed). */
static int
build_one(struct peer_job *j, unsigned b)
{
	/* peer p of a gateway with K >= 2: worker p of 2 owns it */
	const struct mg_bench_flows fs = { .worker = j->peer, .workers = 2, .peers = 2,
					   .active = 1, .n = 1 };
	struct mg_bench_flow fl[MG_BENCH_BURST];
	struct rte_mbuf *pkts[MG_BENCH_BURST];
	uint32_t ids[MG_BENCH_BURST] = { 0 };
	uint16_t sizes[MG_BENCH_BURST];
	struct mg_dp_classified *c = &j->cls[b];

	for (unsigned i = 0; i < MG_BENCH_BURST; i++) {
		mg_bench_flow_get(&fs, 0, &fl[i]);
		sizes[i] = mg_bench_inner_size(j->size, (unsigned)(j->seq + i));
	}
	c->wg_data.n = 0;
	if (j->encrypt) {
		if (mg_bench_build_inner(j->w->pool, fl, sizes, MG_BENCH_BURST, c->wg_data.m) != 0)
			return -1;
		c->wg_data.n = MG_BENCH_BURST;
	} else if (mg_bench_build_wg(j->g, j->crypto, j->w->pool, fl, ids, sizes, MG_BENCH_BURST,
				     pkts) != 0) {
		return -1;
	}
	j->seq += MG_BENCH_BURST;
	j->fed += MG_BENCH_BURST;
	if (j->encrypt)
		return 0;
	mg_dp_classify(j->w, MG_BENCH_MESH, pkts, MG_BENCH_BURST, c);
	/* anything but transport data would be a bug of the generator; it stays counted */
	j->consumed += c->punt.n;
	if (c->punt.n)
		rte_pktmbuf_free_bulk(c->punt.m, c->punt.n);
	if (c->internet.n)
		rte_pktmbuf_free_bulk(c->internet.m, c->internet.n);
	if (c->drop.n)
		rte_pktmbuf_free_bulk(c->drop.m, c->drop.n);
	return 0;
}

/* Decrypt or encrypt the batch, timing each call; free what came out (untimed). */
static void
crypto_batch(struct peer_job *j)
{
	uint64_t now = mg_dp_now_ns();

	for (unsigned b = 0; b < BATCH_BURSTS; b++) {
		struct mg_dp_burst *d = &j->cls[b].wg_data;
		uint64_t t0, t1;
		uint16_t k;

		if (d->n == 0)
			continue;
		t0 = rte_rdtsc_precise();
		k = j->encrypt ? mg_dp_encrypt(j->w, d->m, d->n, now)
			       : mg_dp_decrypt(j->w, d->m, d->n, now);
		t1 = rte_rdtsc_precise();
		j->cycles += t1 - t0;
		j->done += k;
		if (d->n == MG_BENCH_BURST)
			mg_bench_samples_add(&j->bursts, t1 - t0);
		rte_pktmbuf_free_bulk(d->m, d->n); /* kept first, dropped and keepalives after */
	}
}

static void
peer_loop(struct peer_job *j)
{
	struct rte_rcu_qsbr *q = j->g->dp->qsbr;

	for (uint64_t i = 0; i < j->sh->batches; i++) {
		for (unsigned b = 0; b < BATCH_BURSTS; b++)
			if (build_one(j, b) != 0 && j->rc == 0) {
				j->rc = -1;
				snprintf(j->err, sizeof(j->err), "out of mbufs building frames");
			}
		barrier(j->sh); /* every lcore takes part in every batch, even after a failure */
		crypto_batch(j);
		mg_bench_drain_events(j->g, j->w);
		rte_rcu_qsbr_quiescent(q, j->w->idx);
	}
}

static int
peer_main(void *arg)
{
	struct peer_job *j = arg;
	struct rte_rcu_qsbr *q = j->g->dp->qsbr;

	rte_rcu_qsbr_thread_register(q, j->w->idx);
	rte_rcu_qsbr_thread_online(q, j->w->idx);
	j->crypto = mg_wg_crypto_create();
	if (j->crypto == NULL) {
		/* still meet the others at every barrier */
		j->rc = -1;
		snprintf(j->err, sizeof(j->err), "IPsec-MB manager");
		for (uint64_t i = 0; i < j->sh->batches; i++)
			barrier(j->sh);
	} else {
		j->before = j->w->counters;
		peer_loop(j);
		j->after = j->w->counters;
	}
	mg_wg_crypto_destroy(j->crypto);
	rte_rcu_qsbr_thread_offline(q, j->w->idx);
	rte_rcu_qsbr_thread_unregister(q, j->w->idx);
	return 0;
}

/* The first CPU lcore runs on (rte_lcore_to_cpu_id gives the core id, not the CPU). */
static unsigned
cpu_of(unsigned lcore)
{
	rte_cpuset_t set = rte_lcore_cpuset(lcore);

	for (unsigned c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return 0;
}

/* Mpps from the median burst: a timed burst the kernel preempted (the machine is shared) costs
 * milliseconds and moves the total, never the median. */
static double
median_mpps(struct mg_bench_samples *b)
{
	double c = mg_bench_samples_median_per_pkt(b);

	return c > 0 ? (double)rte_get_tsc_hz() / c / 1e6 : 0;
}

/* The two crypto lcores (on different CPUs where there are two). */
static unsigned
pick_lcores(struct mg_bench_gw *g, struct mg_dp_worker **out)
{
	unsigned n = 0;

	for (unsigned w = 0; w < g->workers && n < MG_BENCH_PEER_LCORES; w++)
		if (g->w[w]->role == MG_DP_ROLE_PIPE_CRYPTO)
			out[n++] = g->w[w];
	return n;
}

static void
summarise(struct peer_job *jobs, unsigned n, struct mg_bench_peer_figure *f)
{
	double hz = (double)rte_get_tsc_hz();

	for (unsigned i = 0; i < n; i++) {
		struct peer_job *j = &jobs[i];

		f->cpu[i] = cpu_of(j->w->lcore);
		f->packets[i] = j->done;
		f->busy_cycles[i] = j->cycles;
		f->mpps_lcore[i] = j->cycles ? (double)j->done * hz / (double)j->cycles / 1e6 : 0;
		f->mpps += f->mpps_lcore[i];
		f->mpps_median_lcore[i] = median_mpps(&j->bursts);
		f->mpps_median += f->mpps_median_lcore[i];
		f->fed += j->fed;
		f->done += j->done;
		f->consumed += j->consumed + j->after.c[MG_DP_KEEPALIVES_RX] -
			       j->before.c[MG_DP_KEEPALIVES_RX];
		for (unsigned d = 0; d < MG_DP_DROP_MAX; d++)
			f->drops[d] += j->after.drop[d] - j->before.drop[d];
	}
}

/* Run jobs[0..n) at once: n lcores meeting at every barrier. */
static int
launch(struct mg_bench_gw *g, struct peer_job *jobs, unsigned n, struct peer_shared *sh,
       char *err, size_t errlen)
{
	sh->n = n;
	sh->arrived = 0;
	for (unsigned i = 0; i < n; i++) {
		jobs[i].sh = sh;
		rte_eal_remote_launch(peer_main, &jobs[i], jobs[i].w->lcore);
	}
	mg_bench_wait_lcores(g);
	for (unsigned i = 0; i < n; i++)
		if (jobs[i].rc != 0) {
			snprintf(err, errlen, "lcore %u: %s", jobs[i].w->lcore, jobs[i].err);
			return -1;
		}
	return 0;
}

int
mg_bench_peer_run(struct mg_bench_gw *g, enum mg_bench_dir dir, enum mg_bench_size size,
		  unsigned lcores, bool own_peers, uint64_t packets,
		  struct mg_bench_peer_figure *out, char *err, size_t errlen)
{
	struct mg_dp_worker *w[MG_BENCH_PEER_LCORES];
	struct peer_shared sh = { 0 };
	static struct peer_job jobs[MG_BENCH_PEER_LCORES]; /* large (classified bursts) */
	int rc;

	if (lcores == 0 || lcores > MG_BENCH_PEER_LCORES || !g->pipeline ||
	    g->peers < MG_BENCH_PEER_LCORES || pick_lcores(g, w) != MG_BENCH_PEER_LCORES) {
		snprintf(err, errlen, "wants a pipeline gateway with %u crypto lcores and peers",
			 MG_BENCH_PEER_LCORES);
		return -1;
	}
	sh.batches = (packets + BATCH_BURSTS * MG_BENCH_BURST - 1) / (BATCH_BURSTS * MG_BENCH_BURST);
	for (unsigned i = 0; i < MG_BENCH_PEER_LCORES; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		if (mg_bench_samples_init(&jobs[i].bursts, sh.batches * BATCH_BURSTS) != 0) {
			snprintf(err, errlen, "out of memory");
			mg_bench_samples_free(&jobs[0].bursts);
			return -1;
		}
		jobs[i].g = g;
		jobs[i].w = w[i];
		jobs[i].size = size;
		jobs[i].encrypt = dir == MG_BENCH_INET_TO_MESH;
		jobs[i].peer = own_peers ? i : 0;
	}
	/* One lcore: each in turn, alone, so every CPU has its own one-lcore figure. */
	if (lcores == 1) {
		rc = launch(g, &jobs[0], 1, &sh, err, errlen);
		if (rc == 0)
			rc = launch(g, &jobs[1], 1, &sh, err, errlen);
	} else {
		rc = launch(g, jobs, MG_BENCH_PEER_LCORES, &sh, err, errlen);
	}
	*out = (struct mg_bench_peer_figure){ .dir = dir, .size = size, .lcores = lcores,
					      .own_peers = own_peers };
	if (rc == 0)
		summarise(jobs, MG_BENCH_PEER_LCORES, out);
	if (rc == 0 && lcores == 1) { /* the mean of the CPUs, one at a time */
		out->mpps /= MG_BENCH_PEER_LCORES;
		out->mpps_median /= MG_BENCH_PEER_LCORES;
	}
	for (unsigned i = 0; i < MG_BENCH_PEER_LCORES; i++)
		mg_bench_samples_free(&jobs[i].bursts);
	return rc;
}
