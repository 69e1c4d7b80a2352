/* Per-peer WireGuard timers, driven every control tick. The rules themselves live in
 * lib/wg/timers.c; here we feed them what the workers recorded (timestamps of traffic) and carry
 * out the actions: passive keepalives, a new handshake when our data goes unanswered, expiry and,
 * after 3 x REJECT_AFTER_TIME without a handshake, erasure of every key of the peer; an open-mode
 * peer idle that long is then handed to reclaim.c, which frees its id.
 */
#include <time.h>

#include <sodium.h>

#include "control_internal.h"
#include "device.h"
#include "dp.h"
#include "dp_stages.h"
#include "neigh.h"

static void
sync_from_dataplane(struct mg_ctl_peer *cp, const struct mg_dp_peer *peer)
{
	uint64_t rx = __atomic_load_n(&peer->last_rx_ns, __ATOMIC_RELAXED);
	uint64_t rx_data = __atomic_load_n(&peer->last_rx_data_ns, __ATOMIC_RELAXED);
	uint64_t tx = __atomic_load_n(&peer->last_tx_ns, __ATOMIC_RELAXED);
	uint64_t tx_data = __atomic_load_n(&peer->last_tx_data_ns, __ATOMIC_RELAXED);
	const struct mg_dp_keypair *cur = __atomic_load_n(&peer->current, __ATOMIC_ACQUIRE);

	/* Replay what happened since the last tick, oldest first. */
	if (rx > cp->seen_rx_ns && (tx <= cp->seen_tx_ns || rx <= tx)) {
		if (rx_data > cp->seen_rx_data_ns)
			mg_wg_timers_data_received(&cp->timers, rx_data);
		mg_wg_timers_any_packet_received(&cp->timers, rx);
	}
	if (tx > cp->seen_tx_ns) {
		if (tx_data == tx)
			mg_wg_timers_data_sent(&cp->timers, tx);
		else
			mg_wg_timers_any_packet_sent(&cp->timers, tx);
	}
	if (rx > cp->seen_rx_ns && tx > cp->seen_tx_ns && rx > tx) {
		if (rx_data > cp->seen_rx_data_ns)
			mg_wg_timers_data_received(&cp->timers, rx_data);
		mg_wg_timers_any_packet_received(&cp->timers, rx);
	}
	cp->seen_rx_ns = rx;
	cp->seen_rx_data_ns = rx_data;
	cp->seen_tx_ns = tx;
	cp->timers.has_endpoint = __atomic_load_n(&peer->endpoint, __ATOMIC_RELAXED) != 0;
	if (cur != NULL)
		cp->timers.keypair_send_counter = __atomic_load_n(&cur->send_counter,
								  __ATOMIC_RELAXED);
}

static void
send_initiation(struct mg_control *c, uint32_t peer_id, uint64_t now, bool retry)
{
	const struct mg_dp_peer *peer = &c->dp->peers[peer_id];
	uint64_t ep = __atomic_load_n(&peer->endpoint, __ATOMIC_RELAXED);
	unsigned int port = c->dp->mesh_port;
	uint32_t hop = mg_dp_next_hop(&c->dp->ports[port], mg_dp_endpoint_ip(ep));
	uint8_t msg[MG_WG_MSG_INITIATION_LEN];
	struct rte_ether_addr mac;
	struct timespec wall;

	if (ep == 0 || hop == 0)
		return;
	if (!mg_neigh_lookup(c->dp->neigh, port, hop, &mac)) {
		mg_ctl_arp_resolve(c, port, hop, now);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &wall);
	if (mg_wg_device_create_initiation(c->p.dev, (int)peer_id, now, &wall, msg) != 0)
		return;
	mg_wg_timers_handshake_initiated(&c->peers[peer_id].timers, now, retry);
	mg_ctl_send_udp(c, port, &mac, mg_dp_endpoint_ip(ep), mg_dp_endpoint_port(ep), msg,
			sizeof(msg));
}

static void
zero_keys(struct mg_control *c, uint32_t peer_id)
{
	uint32_t released[3];
	unsigned n_released = 0;

	mg_dp_peer_clear_keys(c->dp, peer_id, released, &n_released);
	mg_ctl_release(c, released, n_released);
	mg_wg_device_clear_handshake(c->p.dev, (int)peer_id);
	mg_wg_timers_keys_zeroed(&c->peers[peer_id].timers);
	MG_CTL_COUNT(c, KEYS_ZEROED);
}

void
mg_ctl_timers_tick(struct mg_control *c, uint64_t now)
{
	uint32_t n = mg_wg_device_peer_id_end(c->p.dev); /* ids below may be free: not in_use */

	for (uint32_t id = 0; id < n && id < c->dp->max_peers; id++) {
		struct mg_ctl_peer *cp = &c->peers[id];
		uint64_t next_deadline;
		uint32_t act;

		if (!__atomic_load_n(&c->dp->peers[id].in_use, __ATOMIC_ACQUIRE))
			continue;
		sync_from_dataplane(cp, &c->dp->peers[id]);
		act = mg_wg_timers_decide(&cp->timers, now,
					  randombytes_uniform(MG_WG_REKEY_TIMEOUT_JITTER_MAX_MS) *
						  1000000ULL,
					  &next_deadline);
		if (act & MG_WG_TIMER_SEND_KEEPALIVE) {
			mg_ctl_send_keepalive(c, id);
			mg_wg_timers_any_packet_sent(&cp->timers, now);
		}
		if (act & MG_WG_TIMER_SEND_INITIATION)
			send_initiation(c, id, now, act & MG_WG_TIMER_INITIATION_RETRY);
		if (act & MG_WG_TIMER_GIVE_UP_HANDSHAKE) {
			mg_wg_device_clear_handshake(c->p.dev, (int)id);
			mg_wg_timers_handshake_gave_up(&cp->timers);
		}
		if (act & MG_WG_TIMER_EXPIRE_CURRENT) {
			mg_wg_timers_current_expired(&cp->timers);
			MG_CTL_COUNT(c, KEYS_EXPIRED);
		}
		if (act & MG_WG_TIMER_ZERO_ALL_KEYS)
			zero_keys(c, id);
		if (mg_ctl_reclaim_idle(c, id, now))
			mg_control_reclaim_peer(c, id);
	}
	mg_control_reclaim_poll(c);
}
