/* Creation of the shared data-plane state, and the control lcore's operations on it: publishing
 * and removing peers, installing and rotating keypairs, retiring them through RCU.
 *
 * Every function here runs on the control lcore only (the single writer). Workers never block on
 * it: they see either the old or the new pointer, and memory is reused only after every worker
 * has passed a quiescent state.
 */
#ifndef MG_DP_H
#define MG_DP_H

#include "dp_state.h"

struct mg_dp_params {
	uint32_t max_peers;
	unsigned int n_workers;
	int socket_id;
};

struct mg_dp *mg_dp_create(const struct mg_dp_params *p);
/* Wipes every key, frees everything. Workers must have stopped. */
void mg_dp_destroy(struct mg_dp *dp);

/* Make peer_id usable by the data plane with the allowed inner source prefixes (copied). */
int mg_dp_peer_publish(struct mg_dp *dp, uint32_t peer_id, const struct mg_dp_prefix *allowed,
		       uint16_t n_allowed);

/* Removing a peer (open-mode reclamation) takes three steps, all on the control lcore:
 * 1. mg_dp_peer_unpublish(): in_use false, no inner source allowed any more (egress drops its
 *    packets as source_not_allowed, so no new NAT session can appear), endpoint forgotten. Its
 *    keypairs must have been cleared already (mg_dp_peer_clear_keys).
 * 2. take a token with mg_dp_grace_start() and ask every lcore to flush the peer's NAT sessions
 *    (peer_flush.h); wait until mg_dp_grace_over() and every lcore acknowledged.
 * 3. mg_dp_peer_release(): free the allowed list, zero counters and timestamps. The id may then
 *    be published again. */
void mg_dp_peer_unpublish(struct mg_dp *dp, uint32_t peer_id);
void mg_dp_peer_release(struct mg_dp *dp, uint32_t peer_id);

/* A peer's packets and bytes received and sent: the sum of every data-plane lcore's own counters
 * of it (each lcore counts what it carried, without locked adds). Any lcore may call it. */
void mg_dp_peer_traffic(const struct mg_dp *dp, uint32_t peer_id, struct mg_dp_peer_traffic *sum);

/* RCU (QSBR) grace period without blocking: a token now; over once every registered lcore has
 * reported a quiescent state since. */
uint64_t mg_dp_grace_start(struct mg_dp *dp);
bool mg_dp_grace_over(struct mg_dp *dp, uint64_t token);

struct mg_dp_keys {
	uint8_t send_key[32];
	uint8_t recv_key[32];
	uint32_t local_index;
	uint32_t remote_index;
	bool initiator;
};

/* Install a keypair from a completed handshake. As responder it becomes the peer's "next" (usable
 * once the initiator has sent data with it); as initiator it becomes "current" at once. Returns 0
 * or -ENOSPC. The local indices of keypairs retired by this call are written to released[]
 * (at most 3) so the handshake code can free them; *n_released says how many. */
int mg_dp_keypair_install(struct mg_dp *dp, uint32_t peer_id, const struct mg_dp_keys *keys,
			  uint64_t now, uint32_t released[3], unsigned *n_released);

/* The peer's "next" keypair received data: it becomes current, current becomes previous. */
void mg_dp_keypair_confirm(struct mg_dp *dp, uint32_t peer_id, uint32_t released[3],
			   unsigned *n_released);

/* Drop every keypair of a peer (expiry, key erasure). */
void mg_dp_peer_clear_keys(struct mg_dp *dp, uint32_t peer_id, uint32_t released[3],
			   unsigned *n_released);

/* Reclaim retired keypairs whose grace period ended; call periodically. */
void mg_dp_reclaim(struct mg_dp *dp);

uint32_t mg_dp_keypairs_in_use(const struct mg_dp *dp);

#endif /* MG_DP_H */
