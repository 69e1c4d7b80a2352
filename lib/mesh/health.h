/* Neighbour health and SWIM failure detection: probe, ack, indirect probe, suspicion.
 *
 * Each protocol period this node pings one neighbour (round robin); with no ack within the probe
 * timeout it asks up to k other neighbours to probe indirectly; with none by the end of the
 * period the neighbour becomes SUSPECT, and DEAD only after the suspicion timeout unless it
 * answers late or refutes with a newer record (a higher incarnation). RTT is smoothed as in
 * RFC 6298, jitter as in RFC 3550, loss over the last 32 probes; they give a score and a colour.
 */
#ifndef MG_MESH_HEALTH_H
#define MG_MESH_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "mesh_const.h"
#include "wire.h"

enum mg_mesh_probe_phase { MG_MESH_PROBE_IDLE = 0, MG_MESH_PROBE_DIRECT, MG_MESH_PROBE_INDIRECT };

struct mg_mesh_nbr {
	bool used;
	uint8_t id[MG_MESH_ID_LEN];
	struct mg_mesh_addr addr;
	uint8_t state;             /* enum mg_mesh_member_state */
	uint8_t colour;            /* enum mg_mesh_colour */
	uint8_t score;             /* 0 (useless) .. 100 (perfect) */
	bool have_rtt;
	uint64_t srtt_ns, rttvar_ns, jitter_ns, last_rtt_ns;
	uint32_t loss_bits;        /* 1 = lost, newest in bit 0 */
	uint8_t loss_n;            /* outcomes in the window, up to MG_MESH_LOSS_WINDOW */
	uint8_t phase;             /* enum mg_mesh_probe_phase */
	uint32_t probe_seq;        /* seq of the probe in flight, or of the last one */
	uint32_t failed_seq;       /* seq of the last probe that timed out: a late ack clears */
	uint64_t probe_sent_ns;
	uint64_t probe_deadline_ns;
	uint64_t suspect_since_ns;
	uint64_t suspect_seq;      /* record seq the suspicion is about */
	uint64_t last_heard_ns;
	uint16_t link_cost;        /* as last given to the route table */
	bool routes_due;           /* new neighbour: send it the full route table at the next tick */
};

/* Pure pieces, unit-tested on their own. */
void mg_mesh_health_rtt_sample(struct mg_mesh_nbr *n, uint64_t rtt_ns);
void mg_mesh_health_outcome(struct mg_mesh_nbr *n, bool acked);
uint32_t mg_mesh_health_loss_permille(const struct mg_mesh_nbr *n);
/* Score from srtt, jitter and loss; colour from score and state. Both update n. */
void mg_mesh_health_grade(struct mg_mesh_nbr *n);
/* Route cost of the hop to n: grows with RTT and loss; MG_MESH_METRIC_INF when red or dead. */
uint16_t mg_mesh_health_link_cost(const struct mg_mesh_nbr *n);
/* Direct probe timeout: srtt + 4 rttvar, at least min_ns, at most half the period. */
uint64_t mg_mesh_health_timeout(const struct mg_mesh_nbr *n, uint64_t min_ns,
				uint64_t period_ns);

#endif /* MG_MESH_HEALTH_H */
