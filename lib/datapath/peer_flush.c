/* The NAT flush requests of removed peers (see peer_flush.h): one batch shared by every
 * data-plane lcore, written by the control lcore only while no lcore still has it to do, and a
 * per-lcore acknowledgement. Sequence numbers instead of an event ring: an acknowledgement cannot
 * be lost to a full ring, and no ring has to be created or drained.
 */
#include <rte_branch_prediction.h>

#include "nat.h"
#include "peer_flush.h"

bool
mg_dp_flush_acked(const struct mg_dp *dp)
{
	uint32_t seq = dp->flush.seq; /* only the control lcore writes it */

	for (unsigned w = 0; w < dp->n_workers; w++)
		if (__atomic_load_n(&dp->workers[w]->flush_ack, __ATOMIC_ACQUIRE) != seq)
			return false;
	return true;
}

bool
mg_dp_flush_post(struct mg_dp *dp, const uint32_t *peers, uint32_t n)
{
	if (n == 0 || n > MG_DP_FLUSH_BATCH || !mg_dp_flush_acked(dp))
		return false;
	for (uint32_t i = 0; i < n; i++)
		dp->flush.peers[i] = peers[i];
	dp->flush.n = n;
	/* Publishes peers[] and n, and everything the control lcore did before (the peers were
	 * unpublished): an lcore that sees the new seq sees them too. */
	__atomic_store_n(&dp->flush.seq, dp->flush.seq + 1, __ATOMIC_RELEASE);
	return true;
}

unsigned
mg_dp_flush_poll(struct mg_dp_worker *w)
{
	struct mg_dp *dp = w->dp;
	uint32_t seq = __atomic_load_n(&dp->flush.seq, __ATOMIC_ACQUIRE);
	unsigned n = 0;

	if (likely(seq == w->flush_ack))
		return 0;
	if (w->nat != NULL) {
		n = dp->flush.n;
		for (unsigned i = 0; i < n; i++)
			mg_nat_flush_peer(w->nat, dp->flush.peers[i]);
	}
	__atomic_store_n(&w->flush_ack, seq, __ATOMIC_RELEASE);
	return n;
}
