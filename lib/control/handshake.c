/* WireGuard handshakes on the control lcore: the punted datagram goes to the sans-I/O device
 * (lib/wg/device.c), whose verdict we carry out: send its reply, admit a new peer (open mode),
 * install the derived keypair for the workers, note the peer's endpoint. Keys are wiped here as
 * soon as they have been copied into the data-plane slot.
 */
#include <time.h>

#include <rte_ether.h>
#include <sodium.h>

#include "control_internal.h"
#include "device.h"
#include "dp.h"
#include "encap.h"

void
mg_ctl_release(struct mg_control *c, const uint32_t *released, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		mg_wg_device_release_index(c->p.dev, released[i]);
}

static void
admit_peer(struct mg_control *c, int peer_id, uint64_t now)
{
	if (mg_dp_peer_publish(c->dp, (uint32_t)peer_id, c->p.open_allowed,
			       c->p.n_open_allowed) == 0) {
		mg_wg_timers_init(&c->peers[peer_id].timers, 0);
		mg_ctl_reclaim_admitted(c, (uint32_t)peer_id, now); /* open mode: reclaimable */
	}
}

static void
install_session(struct mg_control *c, struct mg_wg_handshake_result *res, uint64_t now)
{
	struct mg_dp_keys keys;
	uint32_t released[3];
	unsigned n_released = 0;

	memcpy(keys.send_key, res->keys.send_key, sizeof(keys.send_key));
	memcpy(keys.recv_key, res->keys.recv_key, sizeof(keys.recv_key));
	keys.local_index = res->keys.local_index;
	keys.remote_index = res->keys.remote_index;
	keys.initiator = res->keys.initiator;
	if (mg_dp_keypair_install(c->dp, (uint32_t)res->peer_id, &keys, now, released,
				  &n_released) == 0) {
		MG_CTL_COUNT(c, KEYPAIRS_INSTALLED);
		mg_wg_timers_session_derived(&c->peers[res->peer_id].timers, now, keys.initiator);
	} else {
		MG_CTL_COUNT(c, KEYPAIR_TABLE_FULL);
		mg_wg_device_release_index(c->p.dev, keys.local_index);
	}
	mg_ctl_release(c, released, n_released);
	sodium_memzero(&keys, sizeof(keys));
}

void
mg_ctl_handshake_input(struct mg_control *c, struct rte_mbuf *m, bool under_load, uint64_t now)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct mg_dp_port *port = &c->dp->ports[m->port];
	struct mg_pkt_udp4_outer outer;
	struct mg_wg_handshake_result res;
	uint8_t out[MG_WG_DEVICE_OUT_MIN];
	size_t out_len = 0;
	struct timespec wall;

	MG_CTL_COUNT(c, HANDSHAKE_PACKETS);
	if (mg_pkt_udp4_outer_parse((const uint8_t *)(eth + 1),
				    rte_pktmbuf_data_len(m) - sizeof(*eth), port->ip_be,
				    &outer) != MG_PKT_VERDICT_OK) {
		MG_CTL_COUNT(c, HANDSHAKE_MALFORMED);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &wall);
	mg_wg_device_handle(c->p.dev, outer.src_be, outer.sport_be, outer.payload,
			    outer.payload_len, now, &wall, under_load, out, &out_len, &res);

	if ((res.actions & MG_WG_ACT_SESSION) && mg_ctl_reclaim_pending(c, (uint32_t)res.peer_id)) {
		/* Its id is being reclaimed: no keys for an unpublished peer, no reply. The client
		 * retries after REKEY_TIMEOUT and is admitted afresh once the id is free. */
		mg_wg_device_release_index(c->p.dev, res.keys.local_index);
		MG_CTL_COUNT(c, RECLAIM_HANDSHAKE_REFUSED);
		sodium_memzero(&res.keys, sizeof(res.keys));
		return;
	}
	if (res.actions & MG_WG_ACT_NEW_PEER)
		admit_peer(c, res.peer_id, now);
	if (res.actions & MG_WG_ACT_SESSION) {
		/* An authenticated handshake: its source is the peer's endpoint from now on. */
		__atomic_store_n(&c->dp->peers[res.peer_id].endpoint,
				 mg_dp_endpoint_pack(outer.src_be, outer.sport_be), __ATOMIC_RELAXED);
		install_session(c, &res, now);
	}
	if ((res.actions & MG_WG_ACT_REPLY) && out_len > 0)
		/* Reply to the Ethernet sender: it is the hop the initiation came through. */
		mg_ctl_send_udp(c, m->port, &eth->src_addr, outer.src_be, outer.sport_be, out,
				(uint32_t)out_len);
	sodium_memzero(&res.keys, sizeof(res.keys));
}

void
mg_ctl_confirm(struct mg_control *c, uint32_t peer_id)
{
	uint32_t released[3];
	unsigned n_released = 0;

	if (peer_id >= c->dp->max_peers)
		return;
	mg_dp_keypair_confirm(c->dp, peer_id, released, &n_released);
	mg_ctl_release(c, released, n_released);
	mg_wg_timers_handshake_complete(&c->peers[peer_id].timers);
	MG_CTL_COUNT(c, KEYPAIRS_CONFIRMED);
}
