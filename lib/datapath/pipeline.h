/* The pipeline arrangement of the data plane: the same stage functions as run-to-completion,
 * spread over lcores linked by rings —
 *
 *   rx lcore ──wg data──► crypto lcore(s): decrypt ──► NAT lcore: egress ──► tx lcore
 *      │     ──internet──► NAT lcore: ingress ──► crypto lcore(s): encrypt ──► tx lcore
 *      └── punts to the control lcore; drains the control lcore's rings
 *
 * One NAT lcore owns the whole NAT table; any number of crypto lcores share the crypto rings, so
 * one peer's packets use several cores. Order is kept per direction (reorder.h): the rx lcore
 * numbers what goes to decrypt and the NAT lcore restores that order before egress; the NAT lcore
 * numbers what goes to encrypt and the tx lcore restores it before sending. The control lcore's
 * packets (keepalives, ICMP errors) are not numbered and pass the reorder buffers by.
 */
#ifndef MG_DP_PIPELINE_H
#define MG_DP_PIPELINE_H

#include "dp_state.h"

struct mg_dp_pipeline *mg_dp_pipeline_create(int socket_id);
void mg_dp_pipeline_destroy(struct mg_dp_pipeline *p);

/* How long a missing number may hold later packets back in either reorder buffer (default
 * MG_DP_REORDER_HOLE_NS). Set before the lcores start. */
void mg_dp_pipeline_set_hole_ns(struct mg_dp_pipeline *p, uint64_t hole_ns);

/* One pass of a pipeline role's loop (w->role): what mg_dp_lcore_main repeats; returns the number
 * of packets it handled. The benchmark drives roles pass by pass with it. */
unsigned mg_dp_pipeline_pass(struct mg_dp_worker *w);

/* lcore entry point for any role (run-to-completion included); arg is the mg_dp_worker. */
int mg_dp_lcore_main(void *arg);

#endif /* MG_DP_PIPELINE_H */
