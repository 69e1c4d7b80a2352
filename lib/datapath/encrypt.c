/* The encrypt stage: inner packets (or empty keepalives) for a peer become WireGuard transport
 * data on the mesh port. The send counter is taken atomically per packet (a plain increment when
 * one lcore is the whole data plane), so any number of workers can send for one peer; padding
 * follows WireGuard (to a multiple of 16, within the MTU).
 */
#include <rte_ether.h>
#include <rte_ip.h>
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

/* A peer's sent packets and bytes over a run of its packets in the burst, added with one atomic
 * each when the peer changes or the burst ends rather than two per packet (other lcores may
 * count the same peer, so the adds stay atomic). */
struct tx_tally {
	struct mg_dp_peer *peer;
	uint64_t packets, bytes;
	bool single_writer;  /* mg_dp_single_writer(): no locked adds */
};

static void
tally_flush(struct tx_tally *t)
{
	if (t->packets != 0) {
		mg_dp_counter_add(&t->peer->tx_packets, t->packets, t->single_writer);
		mg_dp_counter_add(&t->peer->tx_bytes, t->bytes, t->single_writer);
	}
	t->packets = t->bytes = 0;
}

static void
tally_add(struct tx_tally *t, struct mg_dp_peer *peer, uint32_t bytes)
{
	if (peer != t->peer) {
		tally_flush(t);
		t->peer = peer;
	}
	t->packets++;
	t->bytes += bytes;
}

/* The keypair's next send counter; a locked add only when other lcores may send with it. */
static uint64_t
next_counter(struct mg_dp_keypair *kp, bool single_writer)
{
	uint64_t c;

	if (!single_writer)
		return __atomic_fetch_add(&kp->send_counter, 1, __ATOMIC_RELAXED);
	c = __atomic_load_n(&kp->send_counter, __ATOMIC_RELAXED);
	__atomic_store_n(&kp->send_counter, c + 1, __ATOMIC_RELAXED);
	return c;
}

/* What encrypt_one carries from one packet of a burst to the next. */
struct encrypt_ctx {
	struct tx_tally tally;
	struct mg_dp_l2_cache l2;
};

static bool
encrypt_one(struct mg_dp_worker *w, struct rte_mbuf *m, uint64_t now, void *arg)
{
	struct encrypt_ctx *ctx = arg;
	struct mg_dp *dp = w->dp;
	uint32_t peer_id = mg_dp_mbuf_peer(m);
	struct mg_dp_peer *peer = &dp->peers[peer_id];
	struct mg_dp_keypair *kp = send_keypair(peer, now);
	uint64_t ep = __atomic_load_n(&peer->endpoint, __ATOMIC_RELAXED);
	uint32_t len = rte_pktmbuf_data_len(m), plen;
	const struct mg_dp_port *port = &dp->ports[dp->mesh_port];
	uint64_t counter;
	uint8_t *body;

	if (unlikely(kp == NULL || ep == 0)) {
		MG_DP_DROP(w, WG_NO_SESSION);
		return false;
	}
	if (unlikely(len > dp->tunnel_mtu)) {
		MG_DP_DROP(w, TOO_BIG);
		return false;
	}
	plen = padded_len(len, dp->tunnel_mtu);
	if (unlikely(rte_pktmbuf_append(m, plen - len + MG_WG_TAG_LEN) == NULL)) {
		MG_DP_DROP(w, TOO_BIG);
		return false;
	}
	body = rte_pktmbuf_mtod(m, uint8_t *);
	memset(body + len, 0, plen - len);
	counter = next_counter(kp, ctx->tally.single_writer);
	if (unlikely(counter >= MG_WG_REJECT_AFTER_MESSAGES)) {
		MG_DP_DROP(w, WG_KEY_EXPIRED);
		return false;
	}
	mg_wg_data_seal(w->crypto, kp->send_key, counter, body, plen, body + plen);

	struct wg_data_hdr *hdr = (struct wg_data_hdr *)rte_pktmbuf_prepend(m, sizeof(*hdr) +
									    MG_PKT_UDP4_HDR_LEN);
	if (unlikely(hdr == NULL)) {
		MG_DP_DROP(w, TOO_BIG);
		return false;
	}
	mg_pkt_udp4_encap((uint8_t *)hdr, port->ip_be, mg_dp_endpoint_ip(ep), dp->listen_port_be,
			  mg_dp_endpoint_port(ep), sizeof(*hdr) + plen + MG_WG_TAG_LEN,
			  (uint16_t)counter);
	hdr = (struct wg_data_hdr *)((uint8_t *)hdr + MG_PKT_UDP4_HDR_LEN);
	hdr->type = rte_cpu_to_le_32(MG_WG_MSG_DATA);
	hdr->receiver = rte_cpu_to_le_32(kp->remote_index);
	hdr->counter = rte_cpu_to_le_64(counter);

	if (unlikely(!mg_dp_l2_prepend_cached(w, dp->mesh_port, m,
					      mg_dp_next_hop(port, mg_dp_endpoint_ip(ep)), now,
					      &ctx->l2)))
		return false;
	m->port = dp->mesh_port;
	__atomic_store_n(&peer->last_tx_ns, now, __ATOMIC_RELAXED);
	if (len != 0)
		__atomic_store_n(&peer->last_tx_data_ns, now, __ATOMIC_RELAXED);
	tally_add(&ctx->tally, peer, len);
	MG_DP_COUNT(w, ENCRYPTED, 1);
	MG_DP_COUNT(w, ENCRYPTED_BYTES, len);
	return true;
}

uint16_t
mg_dp_encrypt(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct encrypt_ctx ctx = { .tally = { .single_writer = mg_dp_single_writer(w) },
				   .l2 = { .hop_be = 0 } };
	uint16_t kept = mg_dp_filter(w, pkts, n, now, &ctx, encrypt_one);

	tally_flush(&ctx.tally);
	return kept;
}
