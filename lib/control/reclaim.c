/* Reclamation of idle open-mode peers: gives the id of a peer admitted in open mode back to the
 * WireGuard device once it has been idle for MG_CTL_RECLAIM_IDLE_S, so that an open gateway does
 * not stay full of clients that left long ago. Static peers from the configuration never are.
 *
 * Per peer: NONE -> QUEUED (keys dropped, unpublished: no worker accepts its packets any more)
 * -> FLUSHING (in the batch every data-plane lcore is asked to flush from its NAT, RCU grace
 * period started) -> NONE once every lcore acknowledged and the grace period is over: then the
 * data-plane peer is released and the device forgets the key, which makes the id reusable. Until
 * then a new peer cannot get the id, so it can never receive the old peer's return traffic.
 */
#include <errno.h>
#include <string.h>

#include "control_internal.h"
#include "device.h"
#include "dp.h"
#include "peer_flush.h"

static uint64_t
max3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a > b ? a : b;

	return m > c ? m : c;
}

void
mg_ctl_reclaim_admitted(struct mg_control *c, uint32_t peer_id, uint64_t now)
{
	struct mg_ctl_peer *cp = &c->peers[peer_id];

	cp->open_mode = true;
	cp->admitted_ns = now;
	cp->reclaim = MG_CTL_RECLAIM_NONE;
}

/* Open mode, no key material left (the timers zeroed it), and no handshake either way nor the
 * admission itself within MG_CTL_RECLAIM_IDLE_S. */
bool
mg_ctl_reclaim_idle(const struct mg_control *c, uint32_t peer_id, uint64_t now)
{
	const struct mg_ctl_peer *cp = &c->peers[peer_id];
	uint64_t last;

	if (!cp->open_mode || cp->reclaim != MG_CTL_RECLAIM_NONE || cp->timers.has_key_material)
		return false;
	last = max3(cp->admitted_ns, cp->timers.last_handshake_completed_ns,
		    cp->timers.last_handshake_initiated_ns);
	return now >= last && now - last >= (uint64_t)MG_CTL_RECLAIM_IDLE_S * MG_WG_NSEC_PER_SEC;
}

bool
mg_ctl_reclaim_pending(const struct mg_control *c, uint32_t peer_id)
{
	return peer_id < c->dp->max_peers && c->peers[peer_id].reclaim != MG_CTL_RECLAIM_NONE;
}

int
mg_control_reclaim_peer(struct mg_control *c, uint32_t peer_id)
{
	struct mg_ctl_peer *cp;
	uint32_t released[3];
	unsigned n_released = 0;

	if (peer_id >= c->dp->max_peers ||
	    mg_wg_device_peer_public_key(c->p.dev, (int)peer_id) == NULL)
		return -EINVAL;
	cp = &c->peers[peer_id];
	if (!cp->open_mode || cp->reclaim != MG_CTL_RECLAIM_NONE)
		return -EINVAL;
	/* Keys first (no-ops when the timers already zeroed them): retired through RCU, their
	 * indices back to the device, the handshake in flight abandoned. */
	mg_dp_peer_clear_keys(c->dp, peer_id, released, &n_released);
	mg_ctl_release(c, released, n_released);
	mg_wg_device_clear_handshake(c->p.dev, (int)peer_id);
	mg_wg_timers_keys_zeroed(&cp->timers);
	mg_dp_peer_unpublish(c->dp, peer_id);
	cp->reclaim = MG_CTL_RECLAIM_QUEUED;
	c->reclaim.n_queued++;
	return 0;
}

/* The batch in flight is done on every lcore and past its grace period: free its ids. */
static unsigned
finish_batch(struct mg_control *c)
{
	struct mg_ctl_reclaim *r = &c->reclaim;
	unsigned n = r->n_batch;

	if (n == 0 || !mg_dp_flush_acked(c->dp) || !mg_dp_grace_over(c->dp, r->grace_token))
		return 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t id = r->batch[i];
		struct mg_ctl_peer *cp = &c->peers[id];

		mg_dp_peer_release(c->dp, id);
		mg_wg_device_remove_peer(c->p.dev, (int)id); /* the id is now the next admission's */
		memset(cp, 0, sizeof(*cp));
		mg_wg_timers_init(&cp->timers, 0);
		MG_CTL_COUNT(c, PEERS_RECLAIMED);
	}
	r->n_batch = 0;
	return n;
}

/* Put up to MG_DP_FLUSH_BATCH queued peers in a flush request to every lcore. */
static void
post_batch(struct mg_control *c)
{
	struct mg_ctl_reclaim *r = &c->reclaim;
	uint32_t end = mg_wg_device_peer_id_end(c->p.dev);

	if (r->n_batch != 0 || r->n_queued == 0 || !mg_dp_flush_acked(c->dp))
		return;
	for (uint32_t id = 0; id < end && id < c->dp->max_peers; id++) {
		if (c->peers[id].reclaim != MG_CTL_RECLAIM_QUEUED)
			continue;
		r->batch[r->n_batch++] = id;
		if (r->n_batch == MG_DP_FLUSH_BATCH)
			break;
	}
	/* The token is taken after every peer in the batch was unpublished. */
	r->grace_token = mg_dp_grace_start(c->dp);
	if (!mg_dp_flush_post(c->dp, r->batch, r->n_batch)) {
		r->n_batch = 0; /* cannot happen (acked above); retry next tick */
		return;
	}
	for (unsigned i = 0; i < r->n_batch; i++)
		c->peers[r->batch[i]].reclaim = MG_CTL_RECLAIM_FLUSHING;
	r->n_queued -= r->n_batch;
}

unsigned
mg_control_reclaim_poll(struct mg_control *c)
{
	unsigned freed = finish_batch(c);

	post_batch(c);
	return freed;
}
