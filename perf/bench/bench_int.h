/* Internals the benchmark's files share: the gateway under test with its ring ports and the
 * clients' keys, the addressing plan, and the traffic builders (flows, WireGuard frames sealed
 * outside the timed region, replies from the internet). Not used outside perf/bench.
 */
#ifndef MG_BENCH_INT_H
#define MG_BENCH_INT_H

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "bench.h"
#include "config.h"
#include "dp_state.h"

struct mg_wg_crypto;
struct mg_gateway;

enum mg_bench_plan {
	MG_BENCH_MESH = 0,          /* port index of the mesh ring port */
	MG_BENCH_INET = 1,          /* port index of the internet ring port */
	MG_BENCH_N_PORTS = 2,
	MG_BENCH_LISTEN_PORT = 51820,
	MG_BENCH_MBUFS = 16383,     /* per port; the pool holds 3x */
	MG_BENCH_SPORTS = 16,       /* source ports per active peer when flows > active peers */
	MG_BENCH_REMOTE_PORT = 9,   /* destination port of the single-flow-per-peer runs */
};

#define MG_BENCH_MESH_IP RTE_IPV4(198, 51, 100, 1)
#define MG_BENCH_INET_IP RTE_IPV4(203, 0, 113, 1)   /* also the NAT public address */
#define MG_BENCH_INET_GW RTE_IPV4(203, 0, 113, 254)
#define MG_BENCH_CLIENT_NET RTE_IPV4(100, 64, 0, 0)
#define MG_BENCH_REMOTE_NET RTE_IPV4(192, 0, 2, 0)

struct mg_bench_gw {
	struct mg_config cfg;
	bool cfg_loaded;
	struct mg_gateway *gw;
	struct mg_dp *dp;
	unsigned workers;           /* data-plane lcores (pipeline: crypto lcores + 3) */
	unsigned queues;            /* queues per port: workers, or 1 for the pipeline */
	bool pipeline;
	uint32_t peers;
	struct mg_dp_worker *w[MG_BENCH_MAX_WORKERS];
	struct rte_ring *rx[MG_BENCH_N_PORTS][MG_BENCH_MAX_WORKERS]; /* we enqueue, worker polls */
	struct rte_ring *tx[MG_BENCH_N_PORTS][MG_BENCH_MAX_WORKERS]; /* worker sends, we drain */
	bool port_made[MG_BENCH_N_PORTS];
	uint8_t (*keys)[32];        /* per peer: the client's send key (our receive key) */
	uint64_t *counter;          /* per peer: the client's next send counter */
	rte_spinlock_t control;     /* one job at a time plays the control lcore (keypair confirm) */
};

/* Addresses of peer i (host order). */
void mg_bench_peer_addrs(uint32_t i, uint32_t *inner, uint32_t *ep_ip, uint16_t *ep_port);

/* The flows one worker sends: active peers are spread over the peers the worker owns (peer
 * p belongs to worker p % W, as RSS on the outer 5-tuple would keep a peer on one queue). */
struct mg_bench_flows {
	unsigned worker, workers;
	uint32_t peers;         /* K */
	uint32_t active;        /* active peers of this worker */
	uint32_t n;             /* flows */
	uint16_t *public_port;  /* per flow, learnt in the warm-up (network order); may be NULL */
};

struct mg_bench_flow {
	uint32_t peer;
	uint32_t src, dst;      /* host order */
	uint16_t sport, dport;
};

void mg_bench_flow_get(const struct mg_bench_flows *fs, uint32_t f, struct mg_bench_flow *out);

/* Build n WireGuard data frames for flows[i] with inner sizes sizes[i] into pkts (allocated
 * from pool), sealed with the clients' keys and next counters through `c`. Returns 0 or -1. */
int mg_bench_build_wg(struct mg_bench_gw *g, struct mg_wg_crypto *c, struct rte_mempool *pool,
		      const struct mg_bench_flow *flows, const uint32_t *flow_ids,
		      const uint16_t *sizes, unsigned n, struct rte_mbuf **pkts);
/* Build n reply frames from the internet (remote -> public address:public port). */
int mg_bench_build_reply(struct mg_bench_gw *g, struct rte_mempool *pool,
			 const struct mg_bench_flow *flows, const uint16_t *public_port_be,
			 const uint16_t *sizes, unsigned n, struct rte_mbuf **pkts);
/* Build n inner packets for the clients of flows[i] (remote -> client, as NAT in leaves them),
 * peer id set: what the encrypt stage takes. */
int mg_bench_build_inner(struct rte_mempool *pool, const struct mg_bench_flow *flows,
			 const uint16_t *sizes, unsigned n, struct rte_mbuf **pkts);
/* The flow id carried in the first 4 payload bytes of a translated frame leaving the internet
 * port, and its public source port (network order). False if it is not such a frame. */
bool mg_bench_parse_out(const struct rte_mbuf *m, uint32_t *flow_id, uint16_t *sport_be);

/* Cycle samples, one per timed burst of 32: their median is what preemptions of a shared machine
 * (milliseconds inside one timed pass) do not move, where the totals do. */
struct mg_bench_samples {
	uint32_t *v;
	uint64_t n, max;
};

int mg_bench_samples_init(struct mg_bench_samples *s, uint64_t max);
void mg_bench_samples_add(struct mg_bench_samples *s, uint64_t cycles);
/* The median sample / MG_BENCH_BURST (sorts the samples); 0 without samples. */
double mg_bench_samples_median_per_pkt(struct mg_bench_samples *s);
void mg_bench_samples_free(struct mg_bench_samples *s);

/* A job: one lcore's share of a measurement. It builds bursts of the case's frames (untimed)
 * and hands each to ops->push, which runs the arrangement under test and returns the cycles it
 * timed; bench_run.c has the run-to-completion ops, bench_pipe.c the pipeline's. */
struct mg_bench_job;

struct mg_bench_job_ops {
	/* Enqueue pkts[0..n) on port's receive ring (queue j->idx), run and time the data plane
	 * until the burst is through; returns the busy cycles. */
	uint64_t (*push)(struct mg_bench_job *j, unsigned port, struct rte_mbuf **pkts, unsigned n);
	void (*begin)(struct mg_bench_job *j);   /* the timed part starts: counters before */
	void (*end)(struct mg_bench_job *j);     /* it ended: flush, counters after, stages */
};

struct mg_bench_job {
	struct mg_bench_gw *g;
	const struct mg_bench_case *c;
	const struct mg_bench_job_ops *ops;
	struct mg_dp_worker *w;      /* its worker (pipeline: the rx lcore); frames from its pool */
	unsigned idx;                /* queue of the port rings it feeds and drains; QSBR id */
	struct mg_bench_flows fs;
	struct mg_wg_crypto *crypto;
	uint64_t fed, packets, bytes, cycles, rng;
	struct mg_bench_samples bursts; /* cycles of each timed push of a full burst */
	unsigned n_stages;
	const char *stage_names[MG_BENCH_MAX_STAGES];
	uint64_t stage[MG_BENCH_MAX_STAGES];
	struct mg_dp_counters before, after;
	void *arg;                   /* the ops' own state */
	int rc;
	char err[160];
};

/* Job idx of n_jobs (peers p with p % n_jobs == idx are its own) on worker w. Allocates the
 * public-port table the warm-up fills; 0 or -1. mg_bench_job_fini frees it. */
int mg_bench_job_init(struct mg_bench_job *j, struct mg_bench_gw *g, const struct mg_bench_case *c,
		      struct mg_dp_worker *w, unsigned idx, unsigned n_jobs,
		      const struct mg_bench_job_ops *ops);
void mg_bench_job_fini(struct mg_bench_job *j);
/* lcore entry point (arg: the job): warm-up unless the case is warmed, then the measurement. */
int mg_bench_job_main(void *arg);
/* Free what is left on the job's port rings; with learn, note each flow's public port. */
void mg_bench_job_drain_tx(struct mg_bench_job *j, bool learn);
/* Play the control lcore for w's events (confirm "next" keypairs), untimed. */
void mg_bench_drain_events(struct mg_bench_gw *g, struct mg_dp_worker *w);
/* Add the counter deltas after - before to k (fed is the caller's). */
void mg_bench_counts_add(struct mg_bench_counts *k, const struct mg_dp_counters *before,
			 const struct mg_dp_counters *after);
/* Wait, sleeping, until a launched lcore, or every launched lcore of the gateway, is back. */
void mg_bench_wait_lcore(unsigned lcore);
void mg_bench_wait_lcores(struct mg_bench_gw *g);

/* Stage names of this build (static strings in lib/datapath/worker.c); 0 without stage_cycles. */
unsigned mg_bench_stage_names(const char **names, unsigned max);

#endif /* MG_BENCH_INT_H */
