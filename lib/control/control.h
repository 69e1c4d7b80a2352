/* The control lcore: everything that is not bulk data. It answers ARP and pings to the gateway,
 * runs WireGuard handshakes (through the sans-I/O device in lib/wg) and installs the resulting
 * keypairs for the workers, runs the per-peer timers, and exposes counters through DPDK
 * telemetry. It sends through the workers' control rings, never through a port queue of its own.
 */
#ifndef MG_CONTROL_H
#define MG_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_state.h"

struct mg_wg_device;
struct mg_mesh_config;
struct rte_mempool;
struct mg_control;

struct mg_control_params {
	struct mg_dp *dp;
	struct mg_wg_device *dev;      /* owned by the caller */
	struct rte_mempool *pool;      /* for frames the control lcore builds */
	const struct mg_dp_prefix *open_allowed; /* inner sources for peers admitted in open mode */
	uint16_t n_open_allowed;
	uint32_t under_load_backlog;   /* queued handshakes above which cookies are demanded */
	uint32_t stats_interval_s;     /* 0 = no periodic print */
	const char *instance;
	const struct mg_mesh_config *mesh; /* NULL: no mesh control protocol */
	uint16_t mesh_port_be;         /* its UDP port on the mesh port's address */
};

/* NULL with a message in err on failure. */
struct mg_control *mg_control_create(const struct mg_control_params *p, char *err, size_t errlen);
void mg_control_destroy(struct mg_control *c);

/* Register the static peers' data-plane side (the device already knows their keys). */
int mg_control_publish_peer(struct mg_control *c, uint32_t peer_id,
			    const struct mg_dp_prefix *allowed, uint16_t n_allowed);

/* Start reclaiming an open-mode peer's id now (the timers do it by themselves once the peer is
 * idle, MG_CTL_RECLAIM_IDLE_S): its keys are dropped and it is unpublished at once; its NAT
 * sessions are flushed on every lcore and the id freed by mg_control_reclaim_poll(). Returns 0,
 * or -EINVAL for a static, unknown or already reclaiming peer. */
int mg_control_reclaim_peer(struct mg_control *c, uint32_t peer_id);

/* Advance reclamation: free the ids whose flush every lcore acknowledged after an RCU grace
 * period, then post the next batch. Returns the ids freed. The control tick calls it. */
unsigned mg_control_reclaim_poll(struct mg_control *c);

/* Resolve the ports' gateways and announce our addresses (gratuitous ARP). */
void mg_control_start(struct mg_control *c);

/* One pass of the control loop; returns the work done (0 when idle). */
unsigned mg_control_poll(struct mg_control *c);

/* Loop until *quit, sleeping briefly when idle. */
void mg_control_run(struct mg_control *c, volatile bool *quit);

/* Print the counters (periodic and final statistics). */
void mg_control_print_stats(struct mg_control *c, FILE *out);

#endif /* MG_CONTROL_H */
