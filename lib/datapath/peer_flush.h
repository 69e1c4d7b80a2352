/* Control -> data-plane lcores: requests to flush the NAT sessions of removed peers, and the
 * lcores' acknowledgements. NAT instances belong to their lcores, so the control lcore cannot
 * flush them itself; it posts a batch of peer ids (mg_dp.flush) and waits until every lcore has
 * carried it out (mg_dp_worker.flush_ack) before a flushed id may be reused.
 */
#ifndef MG_DP_PEER_FLUSH_H
#define MG_DP_PEER_FLUSH_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_state.h"

/* Control lcore: post a batch of at most MG_DP_FLUSH_BATCH peer ids. Returns false (nothing
 * posted) while the previous batch is not acknowledged by every lcore, or for a bad n. */
bool mg_dp_flush_post(struct mg_dp *dp, const uint32_t *peers, uint32_t n);

/* Control lcore: true when every data-plane lcore (dp->workers[0..n_workers)) acknowledged the
 * last batch posted (true when none was). */
bool mg_dp_flush_acked(const struct mg_dp *dp);

/* Data-plane lcore, once per loop before its quiescent-state report: carry out a new batch on
 * its NAT instance (an lcore without NAT acknowledges at once). Returns the peers flushed. */
unsigned mg_dp_flush_poll(struct mg_dp_worker *w);

#endif /* MG_DP_PEER_FLUSH_H */
