/* The decrypt stage: WireGuard transport data (type 4) from peers.
 *
 * For a burst: look the receiver indices up in the lock-free index table at once, reject replays
 * and expired keys before spending cycles on the AEAD, open in place with IPsec-MB, commit the
 * counter to the replay window, note the peer's endpoint (roaming) and leave the inner packet at
 * the start of the mbuf.
 */
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "data_crypto.h"
#include "dp_stages.h"
#include "replay.h"
#include "wg_const.h"

struct wg_data_hdr {
	uint32_t type;      /* little-endian 4, reserved bytes zero */
	uint32_t receiver;  /* little-endian */
	uint64_t counter;   /* little-endian */
} __attribute__((packed));

static void
signal_confirm(struct mg_dp_worker *w, struct mg_dp_keypair *kp)
{
	struct mg_dp_event ev = { .type = MG_DP_EVENT_CONFIRM_NEXT, .value = kp->peer_id };

	kp->confirm_sent = true;
	if (rte_ring_enqueue_elem(w->event_ring, &ev, sizeof(ev)) != 0)
		kp->confirm_sent = false; /* retry with the next packet */
}

/* A peer's received packets and bytes over a run of its packets in the burst, added with one
 * atomic each when the peer changes or the burst ends rather than two per packet (other lcores
 * may count the same peer, so the adds stay atomic). */
struct rx_tally {
	struct mg_dp_peer *peer;
	uint64_t packets, bytes;
};

static void
tally_flush(struct rx_tally *t)
{
	if (t->packets != 0) {
		__atomic_fetch_add(&t->peer->rx_packets, t->packets, __ATOMIC_RELAXED);
		__atomic_fetch_add(&t->peer->rx_bytes, t->bytes, __ATOMIC_RELAXED);
	}
	t->packets = t->bytes = 0;
}

static void
tally_add(struct rx_tally *t, struct mg_dp_peer *peer, uint32_t bytes)
{
	if (peer != t->peer) {
		tally_flush(t);
		t->peer = peer;
	}
	t->packets++;
	t->bytes += bytes;
}

static void
note_peer_rx(struct mg_dp_worker *w, struct mg_dp_peer *peer, struct mg_dp_keypair *kp,
	     uint64_t endpoint, uint32_t bytes, bool data, uint64_t now, struct rx_tally *tally)
{
	__atomic_store_n(&peer->last_rx_ns, now, __ATOMIC_RELAXED);
	if (data)
		__atomic_store_n(&peer->last_rx_data_ns, now, __ATOMIC_RELAXED);
	tally_add(tally, peer, bytes);
	if (unlikely(__atomic_load_n(&peer->endpoint, __ATOMIC_RELAXED) != endpoint)) {
		/* An authenticated packet from a new address: the peer roamed. */
		__atomic_store_n(&peer->endpoint, endpoint, __ATOMIC_RELAXED);
		MG_DP_COUNT(w, ENDPOINT_ROAMED, 1);
	}
	if (unlikely(!kp->confirm_sent) &&
	    __atomic_load_n(&peer->next, __ATOMIC_ACQUIRE) == kp)
		signal_confirm(w, kp);
}

/* Open one packet whose keypair is known. Returns false when it goes to the tail. */
static bool
open_one(struct mg_dp_worker *w, struct rte_mbuf *m, struct mg_dp_keypair *kp, uint64_t now,
	 struct rx_tally *tally)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
							  RTE_ETHER_HDR_LEN);
	uint16_t ihl = rte_ipv4_hdr_len(ip);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)((uint8_t *)ip + ihl);
	struct wg_data_hdr *hdr = (struct wg_data_hdr *)(udp + 1);
	uint32_t wg_len = rte_be_to_cpu_16(udp->dgram_len) - sizeof(*udp);
	uint32_t plain_len = wg_len - MG_WG_DATA_MIN_LEN;
	uint8_t *payload = (uint8_t *)(hdr + 1);
	uint64_t counter = rte_le_to_cpu_64(hdr->counter);
	struct mg_dp_peer *peer = &w->dp->peers[kp->peer_id];
	bool fresh;

	if (unlikely(now - kp->birth_ns >= (uint64_t)MG_WG_REJECT_AFTER_TIME_S * MG_WG_NSEC_PER_SEC)) {
		MG_DP_DROP(w, WG_KEY_EXPIRED);
		return false;
	}
	if (unlikely(!mg_replay_check(&kp->replay, counter))) {
		MG_DP_DROP(w, WG_REPLAY);
		return false;
	}
	if (unlikely(!mg_wg_data_open(w->crypto, kp->recv_key, counter, payload, plain_len,
				      payload + plain_len))) {
		MG_DP_DROP(w, WG_BAD_TAG);
		return false;
	}
	rte_spinlock_lock(&kp->replay_lock);
	fresh = mg_replay_update(&kp->replay, counter);
	rte_spinlock_unlock(&kp->replay_lock);
	if (unlikely(!fresh)) {
		MG_DP_DROP(w, WG_REPLAY);
		return false;
	}

	note_peer_rx(w, peer, kp, mg_dp_endpoint_pack(ip->src_addr, udp->src_port),
		     plain_len, plain_len != 0, now, tally);
	if (plain_len == 0) {
		MG_DP_COUNT(w, KEEPALIVES_RX, 1);
		return false;
	}
	MG_DP_COUNT(w, DECRYPTED, 1);
	MG_DP_COUNT(w, DECRYPTED_BYTES, plain_len);
	rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN + ihl + sizeof(*udp) + sizeof(*hdr));
	rte_pktmbuf_trim(m, rte_pktmbuf_data_len(m) - plain_len);
	mg_dp_mbuf_set_peer(m, kp->peer_id);
	return true;
}

/* Header checks done before the table lookup; the receiver index goes to keys[]. */
static bool
check_header(struct mg_dp_worker *w, struct rte_mbuf *m, uint32_t *receiver)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
								RTE_ETHER_HDR_LEN);
	const struct rte_udp_hdr *udp =
		(const struct rte_udp_hdr *)((const uint8_t *)ip + rte_ipv4_hdr_len(ip));
	const struct wg_data_hdr *hdr = (const struct wg_data_hdr *)(udp + 1);
	uint32_t wg_len = rte_be_to_cpu_16(udp->dgram_len) - sizeof(*udp);

	if (unlikely(wg_len < MG_WG_DATA_MIN_LEN)) {
		MG_DP_DROP(w, WG_BAD_SIZE);
		return false;
	}
	if (unlikely(rte_le_to_cpu_32(hdr->type) != MG_WG_MSG_DATA)) {
		MG_DP_DROP(w, WG_BAD_TYPE);
		return false;
	}
	*receiver = rte_le_to_cpu_32(hdr->receiver);
	return true;
}

uint16_t
mg_dp_decrypt(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct mg_dp_split split = { 0 };
	uint32_t receivers[MG_DP_BURST * 2];
	const void *keys[MG_DP_BURST * 2];
	void *data[MG_DP_BURST * 2];
	struct rte_mbuf *candidates[MG_DP_BURST * 2];
	uint16_t n_cand = 0;
	uint64_t hits = 0;
	struct rx_tally tally = { 0 };

	for (uint16_t i = 0; i < n; i++) {
		if (check_header(w, pkts[i], &receivers[n_cand])) {
			keys[n_cand] = &receivers[n_cand];
			candidates[n_cand++] = pkts[i];
		} else {
			mg_dp_reject(&split, pkts[i]);
		}
	}
	if (n_cand > 0)
		rte_hash_lookup_bulk_data(w->dp->index_table, keys, n_cand, &hits, data);

	for (uint16_t i = 0; i < n_cand; i++) {
		struct rte_mbuf *m = candidates[i];

		if (unlikely(!(hits & (1ULL << i)))) {
			MG_DP_DROP(w, WG_UNKNOWN_INDEX);
			mg_dp_reject(&split, m);
		} else if (open_one(w, m, data[i], now, &tally)) {
			mg_dp_keep(pkts, &split, m);
		} else {
			mg_dp_reject(&split, m);
		}
	}
	tally_flush(&tally);
	return mg_dp_split_finish(pkts, &split);
}
