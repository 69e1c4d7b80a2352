/* The shared data-plane tables: peers, keypair slots, the receiver-index table and the RCU
 * state that lets the control lcore change them under running workers.
 *
 * Keypair slots are preallocated (three per peer plus a margin) and move between a free stack and
 * the peers; a retired slot goes through an RCU defer queue, which wipes its keys and returns it to
 * the stack once no worker can still hold it.
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <sodium.h>

#include "dp.h"
#include "neigh.h"

struct mg_dp_private {
	struct mg_dp dp;
	uint32_t *free_slots;       /* stack of free keypair slot numbers */
	uint32_t n_free;
	struct rte_rcu_qsbr_dq *dq; /* retired slots waiting for their grace period */
};

static struct mg_dp_private *
priv(struct mg_dp *dp)
{
	return (struct mg_dp_private *)dp;
}

static void
slot_reclaimed(void *p, void *elem, unsigned n)
{
	struct mg_dp_private *pv = p;
	const uint32_t *slots = elem;

	for (unsigned i = 0; i < n; i++) {
		struct mg_dp_keypair *kp = &pv->dp.keypairs[slots[i]];
		sodium_memzero(kp, sizeof(*kp));
		pv->free_slots[pv->n_free++] = slots[i];
	}
}

static int
create_rcu(struct mg_dp_private *pv, const struct mg_dp_params *p)
{
	size_t sz = rte_rcu_qsbr_get_memsize(p->n_workers);
	struct rte_rcu_qsbr_dq_parameters dq = {
		.name = "mg_keypairs_dq",
		.size = pv->dp.max_keypairs,
		.esize = sizeof(uint32_t),
		.trigger_reclaim_limit = 0,
		.max_reclaim_size = 64,
		.free_fn = slot_reclaimed,
		.p = pv,
	};

	pv->dp.qsbr = rte_zmalloc_socket("mg_qsbr", sz, RTE_CACHE_LINE_SIZE, p->socket_id);
	if (pv->dp.qsbr == NULL || rte_rcu_qsbr_init(pv->dp.qsbr, p->n_workers) != 0)
		return -ENOMEM;
	dq.v = pv->dp.qsbr;
	pv->dq = rte_rcu_qsbr_dq_create(&dq);
	return pv->dq != NULL ? 0 : -ENOMEM;
}

struct mg_dp *
mg_dp_create(const struct mg_dp_params *p)
{
	struct mg_dp_private *pv;
	struct mg_dp *dp;

	pv = rte_zmalloc_socket("mg_dp", sizeof(*pv), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (pv == NULL)
		return NULL;
	dp = &pv->dp;
	dp->max_peers = p->max_peers;
	dp->max_keypairs = p->max_peers * MG_DP_KEYPAIRS_PER_PEER + 64;
	dp->peers = rte_zmalloc_socket("mg_peers", sizeof(*dp->peers) * p->max_peers,
				       RTE_CACHE_LINE_SIZE, p->socket_id);
	dp->keypairs = rte_zmalloc_socket("mg_keypairs", sizeof(*dp->keypairs) * dp->max_keypairs,
					  RTE_CACHE_LINE_SIZE, p->socket_id);
	pv->free_slots = rte_malloc_socket("mg_free_slots", sizeof(uint32_t) * dp->max_keypairs, 0,
					   p->socket_id);
	dp->neigh = mg_neigh_create(p->socket_id);
	if (dp->peers == NULL || dp->keypairs == NULL || pv->free_slots == NULL ||
	    dp->neigh == NULL || mg_dp_index_init(&dp->index_table, dp->max_keypairs, randombytes_random(),
			     p->socket_id) != 0 ||
	    create_rcu(pv, p) != 0) {
		mg_dp_destroy(dp);
		return NULL;
	}
	for (uint32_t i = 0; i < dp->max_keypairs; i++)
		pv->free_slots[pv->n_free++] = dp->max_keypairs - 1 - i;
	return dp;
}

void
mg_dp_destroy(struct mg_dp *dp)
{
	struct mg_dp_private *pv = priv(dp);

	if (dp == NULL)
		return;
	if (pv->dq != NULL)
		rte_rcu_qsbr_dq_delete(pv->dq);
	mg_dp_index_free(&dp->index_table);
	if (dp->keypairs != NULL)
		sodium_memzero(dp->keypairs, sizeof(*dp->keypairs) * dp->max_keypairs);
	for (uint32_t i = 0; dp->peers != NULL && i < dp->max_peers; i++)
		rte_free((void *)dp->peers[i].allowed);
	rte_free(dp->keypairs);
	rte_free(dp->peers);
	rte_free(pv->free_slots);
	rte_free(dp->qsbr);
	mg_neigh_destroy(dp->neigh);
	rte_free(pv);
}

int
mg_dp_peer_publish(struct mg_dp *dp, uint32_t peer_id, const struct mg_dp_prefix *allowed,
		   uint16_t n_allowed)
{
	struct mg_dp_peer *peer;
	struct mg_dp_prefix *copy;

	if (peer_id >= dp->max_peers)
		return -ENOSPC;
	peer = &dp->peers[peer_id];
	copy = rte_malloc("mg_allowed", sizeof(*copy) * (n_allowed ? n_allowed : 1), 0);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, allowed, sizeof(*copy) * n_allowed);
	rte_free((void *)peer->allowed); /* a re-published peer: no worker reads it before */
	peer->allowed = copy;
	peer->n_allowed = n_allowed;
	__atomic_store_n(&peer->in_use, true, __ATOMIC_RELEASE);
	return 0;
}

void
mg_dp_peer_unpublish(struct mg_dp *dp, uint32_t peer_id)
{
	struct mg_dp_peer *peer;

	if (peer_id >= dp->max_peers)
		return;
	peer = &dp->peers[peer_id];
	/* n_allowed first: a worker that still sees in_use finds no allowed source. The list itself
	 * stays readable until mg_dp_peer_release(), after the grace period. */
	__atomic_store_n(&peer->n_allowed, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&peer->in_use, false, __ATOMIC_RELEASE);
	__atomic_store_n(&peer->endpoint, 0, __ATOMIC_RELAXED);
}

void
mg_dp_peer_release(struct mg_dp *dp, uint32_t peer_id)
{
	struct mg_dp_peer *peer;

	if (peer_id >= dp->max_peers)
		return;
	peer = &dp->peers[peer_id];
	rte_free((void *)peer->allowed);
	/* No keypair pointers are left (cleared before unpublishing); this zeroes the allowed
	 * pointer, endpoint and timestamps for the id's next owner, and, since no lcore counts for
	 * the peer any more (grace period over), every lcore's counters of it. */
	memset(peer, 0, sizeof(*peer));
	for (unsigned w = 0; w < dp->n_workers; w++)
		if (dp->workers[w] != NULL)
			memset(&dp->workers[w]->traffic[peer_id], 0, sizeof(struct mg_dp_peer_traffic));
}

void
mg_dp_peer_traffic(const struct mg_dp *dp, uint32_t peer_id, struct mg_dp_peer_traffic *sum)
{
	*sum = (struct mg_dp_peer_traffic){ 0 };
	if (peer_id >= dp->max_peers)
		return;
	for (unsigned w = 0; w < dp->n_workers; w++) {
		const struct mg_dp_peer_traffic *t;

		if (dp->workers[w] == NULL)
			continue;
		t = &dp->workers[w]->traffic[peer_id];
		sum->rx_packets += __atomic_load_n(&t->rx_packets, __ATOMIC_RELAXED);
		sum->rx_bytes += __atomic_load_n(&t->rx_bytes, __ATOMIC_RELAXED);
		sum->tx_packets += __atomic_load_n(&t->tx_packets, __ATOMIC_RELAXED);
		sum->tx_bytes += __atomic_load_n(&t->tx_bytes, __ATOMIC_RELAXED);
	}
}

uint64_t
mg_dp_grace_start(struct mg_dp *dp)
{
	return rte_rcu_qsbr_start(dp->qsbr);
}

bool
mg_dp_grace_over(struct mg_dp *dp, uint64_t token)
{
	return rte_rcu_qsbr_check(dp->qsbr, token, false) == 1;
}

/* Unlink a keypair from the index table and queue its slot for reclamation. */
static void
retire(struct mg_dp *dp, struct mg_dp_keypair *kp, uint32_t released[3], unsigned *n_released)
{
	uint32_t slot;

	if (kp == NULL)
		return;
	slot = (uint32_t)(kp - dp->keypairs);
	mg_dp_index_del(&dp->index_table, kp->local_index, slot);
	released[(*n_released)++] = kp->local_index;
	if (rte_rcu_qsbr_dq_enqueue(priv(dp)->dq, &slot) != 0) {
		/* The queue is sized for every slot, so this means a bug; keep the slot leaked
		 * rather than reuse memory a worker may read. */
		return;
	}
}

int
mg_dp_keypair_install(struct mg_dp *dp, uint32_t peer_id, const struct mg_dp_keys *keys,
		      uint64_t now, uint32_t released[3], unsigned *n_released)
{
	struct mg_dp_private *pv = priv(dp);
	struct mg_dp_peer *peer = &dp->peers[peer_id];
	struct mg_dp_keypair *kp;

	*n_released = 0;
	if (pv->n_free == 0)
		mg_dp_reclaim(dp);
	if (pv->n_free == 0)
		return -ENOSPC;
	kp = &dp->keypairs[pv->free_slots[--pv->n_free]];
	memset(kp, 0, sizeof(*kp));
	memcpy(kp->send_key, keys->send_key, sizeof(kp->send_key));
	memcpy(kp->recv_key, keys->recv_key, sizeof(kp->recv_key));
	kp->local_index = keys->local_index;
	kp->remote_index = keys->remote_index;
	kp->peer_id = peer_id;
	kp->initiator = keys->initiator;
	kp->birth_ns = now;
	mg_replay_init(&kp->replay);
	if (mg_dp_index_add(&dp->index_table, kp->local_index,
			    (uint32_t)(kp - dp->keypairs)) != 0) {
		sodium_memzero(kp, sizeof(*kp));
		pv->free_slots[pv->n_free++] = (uint32_t)(kp - dp->keypairs);
		return -ENOSPC;
	}

	if (keys->initiator) {
		/* Our own handshake completed: the new keys are confirmed by the response. */
		retire(dp, peer->previous, released, n_released);
		retire(dp, peer->next, released, n_released);
		__atomic_store_n(&peer->previous, peer->current, __ATOMIC_RELEASE);
		__atomic_store_n(&peer->next, NULL, __ATOMIC_RELEASE);
		__atomic_store_n(&peer->current, kp, __ATOMIC_RELEASE);
	} else {
		/* WireGuard's responder rule: send with it only after the initiator used it. */
		retire(dp, peer->next, released, n_released);
		__atomic_store_n(&peer->next, kp, __ATOMIC_RELEASE);
	}
	return 0;
}

void
mg_dp_keypair_confirm(struct mg_dp *dp, uint32_t peer_id, uint32_t released[3],
		      unsigned *n_released)
{
	struct mg_dp_peer *peer = &dp->peers[peer_id];
	struct mg_dp_keypair *next = peer->next;

	*n_released = 0;
	if (next == NULL || !next->confirm_sent)
		return;
	retire(dp, peer->previous, released, n_released);
	__atomic_store_n(&peer->previous, peer->current, __ATOMIC_RELEASE);
	__atomic_store_n(&peer->current, next, __ATOMIC_RELEASE);
	__atomic_store_n(&peer->next, NULL, __ATOMIC_RELEASE);
}

void
mg_dp_peer_clear_keys(struct mg_dp *dp, uint32_t peer_id, uint32_t released[3],
		      unsigned *n_released)
{
	struct mg_dp_peer *peer = &dp->peers[peer_id];
	struct mg_dp_keypair *cur = peer->current, *prev = peer->previous, *next = peer->next;

	*n_released = 0;
	__atomic_store_n(&peer->current, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&peer->previous, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&peer->next, NULL, __ATOMIC_RELEASE);
	retire(dp, cur, released, n_released);
	retire(dp, prev, released, n_released);
	retire(dp, next, released, n_released);
}

void
mg_dp_reclaim(struct mg_dp *dp)
{
	unsigned freed, pending, available;

	rte_rcu_qsbr_dq_reclaim(priv(dp)->dq, 64, &freed, &pending, &available);
}

uint32_t
mg_dp_keypairs_in_use(const struct mg_dp *dp)
{
	const struct mg_dp_private *pv = (const struct mg_dp_private *)dp;

	return dp->max_keypairs - pv->n_free;
}
