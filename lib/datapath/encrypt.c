/* The encrypt stage: inner packets (or empty keepalives) for a peer become WireGuard transport
 * data on the mesh port, sealed with one IPsec-MB burst submission per batch of up to 32
 * (its multi-buffer code is what makes the AEAD cheap; one call per packet costs ~1.7x at 64 B
 * on AVX-512). Padding follows WireGuard (to a multiple of 16, within the MTU).
 *
 * Send counters are reserved per run of one keypair's packets in the batch, with one atomic add
 * (a plain store when one lcore is the whole data plane), so any number of lcores can send for
 * one peer without bouncing its keypair's line once per packet; the send times are written once
 * per run too, and the packets and bytes sent go to this lcore's own counters of the peer.
 */
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "data_crypto.h"
#include "dp_stages.h"
#include "encap.h"
#include "wg_const.h"

struct wg_data_hdr {
	uint32_t type;
	uint32_t receiver;
	uint64_t counter;
} __attribute__((packed));

enum { WG_OUTER_HEADERS = RTE_ETHER_HDR_LEN + MG_PKT_UDP4_HDR_LEN + sizeof(struct wg_data_hdr) };

static bool
usable(const struct mg_dp_keypair *kp, uint64_t now)
{
	return kp != NULL &&
	       now - kp->birth_ns < (uint64_t)MG_WG_REJECT_AFTER_TIME_S * MG_WG_NSEC_PER_SEC;
}

/* current if fresh; else a "next" keypair the peer has already used (rotation pending). */
static struct mg_dp_keypair *
send_keypair(struct mg_dp_peer *peer, uint64_t now)
{
	struct mg_dp_keypair *kp = __atomic_load_n(&peer->current, __ATOMIC_ACQUIRE);

	if (likely(usable(kp, now)))
		return kp;
	kp = __atomic_load_n(&peer->next, __ATOMIC_ACQUIRE);
	if (usable(kp, now) && kp->confirm_sent)
		return kp;
	return NULL;
}

static uint32_t
padded_len(uint32_t len, uint32_t mtu)
{
	uint32_t p = RTE_ALIGN_CEIL(len, MG_WG_PADDING_MULTIPLE);

	if (p > mtu)
		p = len > mtu ? len : mtu;
	return p;
}

/* Packets that passed the checks, padded, waiting for one AEAD burst: op[i] seals m[i] (its
 * buffer, length and tag are set when queued, key and counter when the counters are reserved)
 * for peer[i] at endpoint[i] (read once: the control lcore may clear it meanwhile), whose inner
 * packet was inner_len[i] bytes (0: a keepalive). */
struct seal_batch {
	unsigned n;
	struct rte_mbuf *m[MG_WG_CRYPTO_BURST_MAX];
	struct mg_dp_peer *peer[MG_WG_CRYPTO_BURST_MAX];
	struct mg_dp_keypair *kp[MG_WG_CRYPTO_BURST_MAX];
	uint64_t endpoint[MG_WG_CRYPTO_BURST_MAX];
	uint32_t inner_len[MG_WG_CRYPTO_BURST_MAX];
	struct mg_wg_crypto_op op[MG_WG_CRYPTO_BURST_MAX];
};

/* A peer's sent packets and bytes and its send times over a run of its packets in the burst,
 * written once when the peer changes or the burst ends: the counts to this lcore's own counters
 * of the peer (own), the times to the peer. */
struct tx_tally {
	struct mg_dp_peer *peer;
	struct mg_dp_peer_traffic *own;
	uint64_t packets, bytes, now;
	bool single_writer;  /* mg_dp_single_writer(): the send counter without a locked add */
};

static void
tally_flush(struct tx_tally *t)
{
	if (t->packets == 0)
		return;
	mg_dp_own_add(&t->own->tx_packets, t->packets);
	__atomic_store_n(&t->peer->last_tx_ns, t->now, __ATOMIC_RELAXED);
	if (t->bytes != 0) {
		mg_dp_own_add(&t->own->tx_bytes, t->bytes);
		__atomic_store_n(&t->peer->last_tx_data_ns, t->now, __ATOMIC_RELAXED);
	}
	t->packets = t->bytes = 0;
}

static void
tally_add(struct mg_dp_worker *w, struct tx_tally *t, struct mg_dp_peer *peer, uint32_t bytes)
{
	if (peer != t->peer) {
		tally_flush(t);
		t->peer = peer;
		t->own = &w->traffic[peer - w->dp->peers];
	}
	t->packets++;
	t->bytes += bytes;
}

/* The first of n consecutive send counters of kp; a locked add only when other lcores may send
 * with it. */
static uint64_t
reserve_counters(struct mg_dp_keypair *kp, unsigned n, bool single_writer)
{
	uint64_t c;

	if (!single_writer)
		return __atomic_fetch_add(&kp->send_counter, n, __ATOMIC_RELAXED);
	c = __atomic_load_n(&kp->send_counter, __ATOMIC_RELAXED);
	__atomic_store_n(&kp->send_counter, c + n, __ATOMIC_RELAXED);
	return c;
}

/* What the stage carries from one batch of a burst to the next. */
struct encrypt_ctx {
	struct tx_tally tally;
	struct mg_dp_l2_cache l2;
};

/* The checks that need no counter: a usable keypair and endpoint, the size, room for the tag in
 * the tailroom and for the outer headers in the headroom. Pads the packet and queues it. */
static bool
queue_seal(struct mg_dp_worker *w, struct rte_mbuf *m, uint64_t now, struct seal_batch *b)
{
	const struct mg_dp *dp = w->dp;
	uint32_t peer_id = mg_dp_mbuf_peer(m);
	struct mg_dp_peer *peer = &dp->peers[peer_id];
	struct mg_dp_keypair *kp = send_keypair(peer, now);
	uint64_t ep = __atomic_load_n(&peer->endpoint, __ATOMIC_RELAXED);
	uint32_t len = rte_pktmbuf_data_len(m), plen;
	unsigned i = b->n;
	uint8_t *body;

	if (unlikely(kp == NULL || ep == 0)) {
		MG_DP_DROP(w, WG_NO_SESSION);
		return false;
	}
	plen = padded_len(len, dp->tunnel_mtu);
	if (unlikely(len > dp->tunnel_mtu || rte_pktmbuf_headroom(m) < WG_OUTER_HEADERS ||
		     rte_pktmbuf_append(m, plen - len + MG_WG_TAG_LEN) == NULL)) {
		MG_DP_DROP(w, TOO_BIG);
		return false;
	}
	body = rte_pktmbuf_mtod(m, uint8_t *);
	memset(body + len, 0, plen - len);
	rte_prefetch0(&w->traffic[peer_id]); /* counted once the batch is sealed */
	b->m[i] = m;
	b->peer[i] = peer;
	b->kp[i] = kp;
	b->endpoint[i] = ep;
	b->inner_len[i] = len;
	b->op[i] = (struct mg_wg_crypto_op){ .key = kp->send_key, .buf = body, .len = plen,
					     .tag = body + plen };
	b->n++;
	return true;
}

/* Counters for the batch, a run of one keypair's packets at a time; a packet past the
 * keypair's last counter is dropped (bit cleared in the returned mask of usable packets). */
static uint32_t
assign_counters(struct mg_dp_worker *w, struct seal_batch *b, bool single_writer)
{
	uint32_t usable_mask = 0;

	for (unsigned i = 0, j; i < b->n; i = j) {
		struct mg_dp_keypair *kp = b->kp[i];
		uint64_t c;

		for (j = i + 1; j < b->n && b->kp[j] == kp; j++)
			;
		c = reserve_counters(kp, j - i, single_writer);
		for (unsigned k = i; k < j; k++, c++) {
			b->op[k].counter = c;
			if (likely(c < MG_WG_REJECT_AFTER_MESSAGES))
				usable_mask |= 1u << k;
			else
				MG_DP_DROP(w, WG_KEY_EXPIRED);
		}
	}
	return usable_mask;
}

/* The outer headers of packet i (UDP/IPv4 to the peer's endpoint, WireGuard data header,
 * Ethernet to the next hop); false when the next hop is not resolved (counted). */
static bool
add_headers(struct mg_dp_worker *w, const struct seal_batch *b, unsigned i, uint64_t now,
	    struct mg_dp_l2_cache *l2c)
{
	const struct mg_dp *dp = w->dp;
	const struct mg_dp_port *port = &dp->ports[dp->mesh_port];
	struct rte_mbuf *m = b->m[i];
	uint64_t ep = b->endpoint[i];
	uint64_t counter = b->op[i].counter;
	uint32_t wg_len = sizeof(struct wg_data_hdr) + (uint32_t)b->op[i].len + MG_WG_TAG_LEN;
	uint8_t *udp = (uint8_t *)rte_pktmbuf_prepend(m, sizeof(struct wg_data_hdr) +
							 MG_PKT_UDP4_HDR_LEN);
	struct wg_data_hdr *hdr = (struct wg_data_hdr *)(udp + MG_PKT_UDP4_HDR_LEN);

	/* The headroom was checked when the packet was queued. */
	mg_pkt_udp4_encap(udp, port->ip_be, mg_dp_endpoint_ip(ep), dp->listen_port_be,
			  mg_dp_endpoint_port(ep), wg_len, (uint16_t)counter);
	hdr->type = rte_cpu_to_le_32(MG_WG_MSG_DATA);
	hdr->receiver = rte_cpu_to_le_32(b->kp[i]->remote_index);
	hdr->counter = rte_cpu_to_le_64(counter);
	if (unlikely(!mg_dp_l2_prepend_cached(w, dp->mesh_port, m,
					      mg_dp_next_hop(port, mg_dp_endpoint_ip(ep)), now,
					      l2c)))
		return false;
	m->port = dp->mesh_port;
	return true;
}

/* Counters, headers, one AEAD burst over the packets that still go on, then the bookkeeping;
 * the batch's packets are sorted into pkts (kept, in order) and the split's tail. */
static void
seal_batch_run(struct mg_dp_worker *w, struct seal_batch *b, struct rte_mbuf **pkts,
	       struct mg_dp_split *split, uint64_t now, struct encrypt_ctx *ctx)
{
	struct mg_wg_crypto_op ops[MG_WG_CRYPTO_BURST_MAX];
	uint32_t go = assign_counters(w, b, ctx->tally.single_writer);
	unsigned n_ops = 0;
	bool sealed;

	for (unsigned i = 0; i < b->n; i++) {
		if (!(go & (1u << i)))
			continue;
		if (add_headers(w, b, i, now, &ctx->l2))
			ops[n_ops++] = b->op[i];
		else
			go &= ~(1u << i);
	}
	sealed = n_ops == 0 || mg_wg_data_seal_burst(w->crypto, ops, n_ops) == n_ops;
	for (unsigned i = 0; i < b->n; i++) {
		bool keep = (go & (1u << i)) != 0;

		if (keep && unlikely(!sealed)) {
			MG_DP_DROP(w, WG_SEAL_FAILED);
			keep = false;
		}
		if (keep) {
			tally_add(w, &ctx->tally, b->peer[i], b->inner_len[i]);
			MG_DP_COUNT(w, ENCRYPTED, 1);
			MG_DP_COUNT(w, ENCRYPTED_BYTES, b->inner_len[i]);
		}
		mg_dp_sort(pkts, split, b->m[i], keep);
	}
	b->n = 0;
}

uint16_t
mg_dp_encrypt(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct encrypt_ctx ctx = { .tally = { .single_writer = mg_dp_single_writer(w), .now = now },
				   .l2 = { .hop_be = 0 } };
	struct mg_dp_split split;
	struct seal_batch batch;

	MG_DP_SPLIT_INIT(split);
	batch.n = 0;
	for (uint16_t i = 0; i < n; i++) {
		if (!queue_seal(w, pkts[i], now, &batch))
			mg_dp_reject(&split, pkts[i]);
		else if (batch.n == MG_WG_CRYPTO_BURST_MAX)
			seal_batch_run(w, &batch, pkts, &split, now, &ctx);
	}
	seal_batch_run(w, &batch, pkts, &split, now, &ctx);
	tally_flush(&ctx.tally);
	return mg_dp_split_finish(pkts, &split);
}
