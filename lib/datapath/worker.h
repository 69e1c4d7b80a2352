/* A data-plane worker lcore in the run-to-completion arrangement: it polls its RX queue on
 * every port, runs every stage on the burst, transmits on its own TX queue, and drains what the
 * control lcore handed it. Creation and teardown of the worker's resources live here too.
 */
#ifndef MG_DP_WORKER_H
#define MG_DP_WORKER_H

#include "dp_state.h"

struct mg_dp_worker_params {
	unsigned int idx;
	unsigned int lcore;
	int socket_id;
	struct rte_mempool *pool;
	struct mg_nat *nat;         /* NULL for lcores that do no NAT */
	enum mg_dp_role role;
	struct mg_dp_pipeline *pipe; /* pipeline roles only */
};

struct mg_dp_worker *mg_dp_worker_create(struct mg_dp *dp, const struct mg_dp_worker_params *p);
void mg_dp_worker_destroy(struct mg_dp_worker *w);

/* lcore entry point (rte_eal_remote_launch); arg is the struct mg_dp_worker. */
int mg_dp_worker_main(void *arg);

/* One pass of the loop; returns the number of packets handled. Exposed for benchmarks. */
unsigned mg_dp_worker_poll(struct mg_dp_worker *w);

/* Process a burst as if received on port index `port` (benchmarks and tests feed this). */
void mg_dp_worker_process_rx(struct mg_dp_worker *w, unsigned int port, struct rte_mbuf **pkts,
			     uint16_t n, uint64_t now);

/* Shared with the pipeline lcores: hand a burst to the control lcore; pause or sleep when idle
 * (*idle counts consecutive idle passes, reset it on work). */
struct mg_dp_burst;
void mg_dp_punt(struct mg_dp_worker *w, struct mg_dp_burst *b);
void mg_dp_idle_backoff(struct mg_dp_worker *w, unsigned *idle);

/* Free the mbufs still queued in r, then r itself (NULL is fine). */
struct rte_ring;
void mg_dp_ring_free(struct rte_ring *r);

#endif /* MG_DP_WORKER_H */
