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
	unsigned workers;
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
/* The flow id carried in the first 4 payload bytes of a translated frame leaving the internet
 * port, and its public source port (network order). False if it is not such a frame. */
bool mg_bench_parse_out(const struct rte_mbuf *m, uint32_t *flow_id, uint16_t *sport_be);

/* Stage names of this build (static strings in lib/datapath/worker.c); 0 without stage_cycles. */
unsigned mg_bench_stage_names(const char **names, unsigned max);

#endif /* MG_BENCH_INT_H */
