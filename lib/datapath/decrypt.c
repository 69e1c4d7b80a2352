/* The decrypt stage: WireGuard transport data (type 4) from peers.
 *
 * For a burst: look the receiver indices up in the lock-free index table (index_table.h; a run
 * of one index once), reject replays and expired keys before spending cycles on the AEAD, open the
 * survivors with one IPsec-MB burst submission, then, in packet order and only for packets that
 * authenticated, commit the counter to the replay window, note the peer's endpoint (roaming) and
 * leave the inner packet at the start of the mbuf.
 */
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
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

enum { WG_OUTER_UDP = sizeof(struct rte_udp_hdr) + sizeof(struct wg_data_hdr) };

/* Packets that passed the cheap checks, waiting for one AEAD burst. op[i] opens m[i] with
 * kp[i]; hdr_len[i] is what precedes the plaintext (Ethernet, IPv4, UDP, WireGuard header). */
struct open_batch {
	unsigned n;
	struct rte_mbuf *m[MG_WG_CRYPTO_BURST_MAX];
	struct mg_dp_keypair *kp[MG_WG_CRYPTO_BURST_MAX];
	uint64_t endpoint[MG_WG_CRYPTO_BURST_MAX];
	uint16_t hdr_len[MG_WG_CRYPTO_BURST_MAX];
	struct mg_wg_crypto_op op[MG_WG_CRYPTO_BURST_MAX];
};

static void
signal_confirm(struct mg_dp_worker *w, struct mg_dp_keypair *kp)
{
	struct mg_dp_event ev = { .type = MG_DP_EVENT_CONFIRM_NEXT, .value = kp->peer_id };

	kp->confirm_sent = true;
	if (rte_ring_enqueue_elem(w->event_ring, &ev, sizeof(ev)) != 0)
		kp->confirm_sent = false; /* retry with the next packet */
}

/* The bookkeeping of a run of one peer's packets in the burst, done once when the peer changes
 * or the burst ends rather than per packet: received packets and bytes (this lcore's own
 * counters of the peer, plain stores), the last-receive times, and the endpoint of the run's last
 * packet (roaming: WireGuard sends to where the latest authenticated packet came from). A
 * keypair's first packet may ask the control lcore to confirm it, checked when the keypair
 * changes within the run. */
struct rx_tally {
	struct mg_dp_peer *peer;
	struct mg_dp_keypair *kp;
	uint64_t packets, bytes, endpoint, now;
	bool single_writer;  /* mg_dp_single_writer() */
};

static void
confirm_check(struct mg_dp_worker *w, const struct mg_dp_peer *peer, struct mg_dp_keypair *kp)
{
	if (unlikely(!kp->confirm_sent) && __atomic_load_n(&peer->next, __ATOMIC_ACQUIRE) == kp)
		signal_confirm(w, kp);
}

static void
tally_flush(struct mg_dp_worker *w, struct rx_tally *t)
{
	struct mg_dp_peer *peer = t->peer;
	struct mg_dp_peer_traffic *own;

	if (peer == NULL)
		return;
	own = &w->traffic[peer - w->dp->peers];
	mg_dp_own_add(&own->rx_packets, t->packets);
	__atomic_store_n(&peer->last_rx_ns, t->now, __ATOMIC_RELAXED);
	if (t->bytes != 0) {
		mg_dp_own_add(&own->rx_bytes, t->bytes);
		__atomic_store_n(&peer->last_rx_data_ns, t->now, __ATOMIC_RELAXED);
	}
	if (unlikely(__atomic_load_n(&peer->endpoint, __ATOMIC_RELAXED) != t->endpoint)) {
		/* An authenticated packet from a new address: the peer roamed. */
		__atomic_store_n(&peer->endpoint, t->endpoint, __ATOMIC_RELAXED);
		MG_DP_COUNT(w, ENDPOINT_ROAMED, 1);
	}
	t->peer = NULL;
	t->kp = NULL;
	t->packets = t->bytes = 0;
}

static void
note_peer_rx(struct mg_dp_worker *w, struct mg_dp_peer *peer, struct mg_dp_keypair *kp,
	     uint64_t endpoint, uint32_t bytes, struct rx_tally *t)
{
	if (peer != t->peer) {
		tally_flush(w, t);
		t->peer = peer;
		rte_prefetch0(peer->allowed); /* egress checks the source against it next */
	}
	if (kp != t->kp) {
		confirm_check(w, peer, kp);
		t->kp = kp;
	}
	t->packets++;
	t->bytes += bytes;
	t->endpoint = endpoint;
}

/* Commit the counters of the packets that authenticated (bits of ok) to their keypairs' replay
 * windows, in packet order, when other lcores may commit to the same windows; returns the bits of
 * those that were fresh. Consecutive packets of one keypair whose counters share a block of 64
 * are committed together, lock-free, with one compare-and-swap
 * (mg_replay_update_block_shared); a counter twice in one group is a replay. */
static uint32_t
commit_replay_shared(const struct open_batch *b, uint32_t ok)
{
	uint32_t fresh = 0;

	for (unsigned i = 0; i < b->n; i++) {
		struct mg_dp_keypair *kp = b->kp[i];
		uint64_t block, mask = 0, accepted;
		uint32_t members = 0;
		unsigned j;

		if (!(ok & (1u << i)))
			continue;
		block = b->op[i].counter / MG_REPLAY_BLOCK_BITS;
		for (j = i; j < b->n && b->kp[j] == kp &&
			    b->op[j].counter / MG_REPLAY_BLOCK_BITS == block; j++) {
			uint64_t bit = 1ULL << (b->op[j].counter % MG_REPLAY_BLOCK_BITS);

			if (!(ok & (1u << j)) || (mask & bit))
				continue; /* a bad tag, or a second copy in this group */
			mask |= bit;
			members |= 1u << j;
		}
		accepted = mg_replay_update_block_shared(&kp->replay, block, mask);
		for (unsigned k = i; k < j; k++)
			if ((members & (1u << k)) &&
			    (accepted & (1ULL << (b->op[k].counter % MG_REPLAY_BLOCK_BITS))))
				fresh |= 1u << k;
		i = j - 1;
	}
	return fresh;
}

/* An authenticated, fresh packet: peer bookkeeping, then strip the outer headers and the tag so
 * the inner packet starts the mbuf. Returns false for a keepalive (consumed). */
static bool
finish_one(struct mg_dp_worker *w, const struct open_batch *b, unsigned i,
	   struct rx_tally *tally)
{
	struct rte_mbuf *m = b->m[i];
	struct mg_dp_keypair *kp = b->kp[i];
	struct mg_dp_peer *peer = &w->dp->peers[kp->peer_id];
	uint32_t plain_len = (uint32_t)b->op[i].len;

	note_peer_rx(w, peer, kp, b->endpoint[i], plain_len, tally);
	if (plain_len == 0) {
		MG_DP_COUNT(w, KEEPALIVES_RX, 1);
		return false;
	}
	mg_dp_mbuf_narrow(m, b->hdr_len[i], (uint16_t)plain_len);
	mg_dp_mbuf_set_peer(m, kp->peer_id);
	return true;
}

/* Whether this lcore shares the replay windows it commits to with other lcores (then it commits
 * with compare-and-swap): only pipeline crypto lcores do. One lcore alone writes its windows, and
 * run-to-completion workers of several write only the keypairs they own (steer.c). */
static bool
shares_windows(const struct mg_dp_worker *w, const struct rx_tally *t)
{
	return !t->single_writer && mg_dp_owner_id(w) == 0;
}

/* Open the batch with one AEAD burst, then commit and finish its packets in order. */
static void
open_batch_run(struct mg_dp_worker *w, struct open_batch *b, struct rte_mbuf **pkts,
	       struct mg_dp_split *split, struct rx_tally *tally)
{
	uint32_t ok, fresh;
	uint64_t decrypted = 0, decrypted_bytes = 0;
	bool shared;

	if (b->n == 0)
		return;
	ok = mg_wg_data_open_burst(w->crypto, b->op, b->n);
	/* A window only this lcore writes is committed packet by packet in the loop below (one pass
	 * over the batch instead of two); a shared one group by group first. */
	shared = shares_windows(w, tally);
	fresh = shared ? commit_replay_shared(b, ok) : 0;
	for (unsigned i = 0; i < b->n; i++) {
		bool keep = false;

		if (unlikely(!(ok & (1u << i))))
			MG_DP_DROP(w, WG_BAD_TAG);
		else if (unlikely(shared ? !(fresh & (1u << i))
					 : !mg_replay_update(&b->kp[i]->replay, b->op[i].counter)))
			MG_DP_DROP(w, WG_REPLAY);
		else if ((keep = finish_one(w, b, i, tally))) {
			decrypted++;
			decrypted_bytes += b->op[i].len;
		}
		mg_dp_sort(pkts, split, b->m[i], keep);
	}
	/* once per batch: a counter in memory added per packet chains each one to the last */
	MG_DP_COUNT(w, DECRYPTED, decrypted);
	MG_DP_COUNT(w, DECRYPTED_BYTES, decrypted_bytes);
	b->n = 0;
}

/* The checks before the AEAD: key age and the replay window (read only; the commit after
 * authentication decides). Queues the packet in the batch; false when it goes to the tail. */
static bool
queue_open(struct mg_dp_worker *w, struct rte_mbuf *m, struct mg_dp_keypair *kp, uint64_t now,
	   struct open_batch *b)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, RTE_ETHER_HDR_LEN);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + m->l3_len);
	struct wg_data_hdr *hdr = (struct wg_data_hdr *)(udp + 1);
	uint32_t plain_len = rte_be_to_cpu_16(udp->dgram_len) - WG_OUTER_UDP - MG_WG_TAG_LEN;
	uint64_t counter = rte_le_to_cpu_64(hdr->counter);
	uint8_t *payload = (uint8_t *)(hdr + 1);
	unsigned i = b->n;

	if (unlikely(now - kp->birth_ns >= (uint64_t)MG_WG_REJECT_AFTER_TIME_S * MG_WG_NSEC_PER_SEC)) {
		MG_DP_DROP(w, WG_KEY_EXPIRED);
		return false;
	}
	if (unlikely(!mg_replay_check(&kp->replay, counter))) {
		MG_DP_DROP(w, WG_REPLAY);
		return false;
	}
	if (i == 0 || kp != b->kp[i - 1]) { /* a run of one keypair's packets: fetched already */
		rte_prefetch0(&w->dp->peers[kp->peer_id]);
		rte_prefetch0(RTE_PTR_ADD(&w->dp->peers[kp->peer_id], RTE_CACHE_LINE_SIZE));
		rte_prefetch0(&w->traffic[kp->peer_id]);
	}
	b->m[i] = m;
	b->kp[i] = kp;
	b->endpoint[i] = mg_dp_endpoint_pack(((const struct rte_ipv4_hdr *)ip)->src_addr,
					     udp->src_port);
	b->hdr_len[i] = (uint16_t)(RTE_ETHER_HDR_LEN + m->l3_len + WG_OUTER_UDP);
	b->op[i] = (struct mg_wg_crypto_op){ .key = kp->recv_key, .counter = counter,
					     .buf = payload, .len = plain_len,
					     .tag = payload + plain_len };
	b->n++;
	return true;
}

/* Header checks done before the table lookup: the WireGuard header (classify found the outer
 * IPv4 and UDP headers valid and left the IPv4 header length in l3_len). */
static bool
check_header(struct mg_dp_worker *w, struct rte_mbuf *m, uint32_t *receiver)
{
	const struct rte_udp_hdr *udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *,
								RTE_ETHER_HDR_LEN + m->l3_len);
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

/* The keypairs of a burst's receiver indices (data[j] NULL: unknown), each run of one index
 * looked up once (a burst often carries several packets of one peer). All first buckets are
 * fetched before any is searched, then each keypair's replay window, which the pre-AEAD checks
 * read. key_of[c] is candidate c's entry in receivers. */
struct index_keys {
	uint16_t n;
	uint32_t receivers[MG_DP_BURST * 2];
	uint8_t key_of[MG_DP_BURST * 2];
};

static void
index_keys_add(struct index_keys *k, uint16_t cand, uint32_t receiver)
{
	if (k->n == 0 || k->receivers[k->n - 1] != receiver)
		k->receivers[k->n++] = receiver;
	k->key_of[cand] = (uint8_t)(k->n - 1);
}

static void
index_lookup(const struct mg_dp *dp, const struct index_keys *k, struct mg_dp_keypair **data)
{
	for (uint16_t j = 0; j < k->n; j++)
		mg_dp_index_prefetch(&dp->index_table, k->receivers[j]);
	for (uint16_t j = 0; j < k->n; j++) {
		int64_t slot = mg_dp_index_lookup(&dp->index_table, k->receivers[j]);

		data[j] = slot >= 0 ? &dp->keypairs[slot] : NULL;
		if (data[j] != NULL)
			rte_prefetch0(&data[j]->replay);
	}
}

uint16_t
mg_dp_decrypt(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct mg_dp_split split;
	struct index_keys k;
	struct mg_dp_keypair *data[MG_DP_BURST * 2];
	struct rte_mbuf *candidates[MG_DP_BURST * 2];
	struct open_batch batch;
	uint16_t n_cand = 0;
	struct rx_tally tally = { .single_writer = mg_dp_single_writer(w), .now = now };
	const uint32_t me = mg_dp_owner_id(w);

	MG_DP_SPLIT_INIT(split);
	k.n = 0;
	for (uint16_t i = 0; i < n; i++) {
		uint32_t receiver;

		if (check_header(w, pkts[i], &receiver)) {
			index_keys_add(&k, n_cand, receiver);
			candidates[n_cand++] = pkts[i];
		} else {
			mg_dp_reject(&split, pkts[i]);
		}
	}
	index_lookup(w->dp, &k, data);

	batch.n = 0;
	for (uint16_t i = 0; i < n_cand; i++) {
		struct rte_mbuf *m = candidates[i];
		uint8_t key = k.key_of[i];

		if (unlikely(data[key] == NULL)) {
			MG_DP_DROP(w, WG_UNKNOWN_INDEX);
			mg_dp_reject(&split, m);
		} else if (unlikely(me != 0 && __atomic_load_n(&data[key]->owner,
							       __ATOMIC_ACQUIRE) != me)) {
			/* Steered here, yet another worker's: the index was reused in between
			 * (a retired keypair's, freshly given out). Its window is not ours. */
			MG_DP_DROP(w, WG_NOT_OWNER);
			mg_dp_reject(&split, m);
		} else if (!queue_open(w, m, data[key], now, &batch)) {
			mg_dp_reject(&split, m);
		} else if (batch.n == MG_WG_CRYPTO_BURST_MAX) {
			open_batch_run(w, &batch, pkts, &split, &tally);
		}
	}
	open_batch_run(w, &batch, pkts, &split, &tally);
	tally_flush(w, &tally);
	return mg_dp_split_finish(pkts, &split);
}
