/* Pipeline lcores (see pipeline.h). Each role's loop takes bursts from its input rings, runs its
 * stage functions and enqueues what goes on; a full ring drops the burst's rest, counted as
 * pipeline_ring_full. Every role reports its RCU quiescent state and backs off when idle.
 *
 * Order (reorder.h): the rx lcore numbers the WireGuard packets it hands to the crypto lcores and
 * the NAT lcore puts them back in that order before egress; the NAT lcore numbers what it hands
 * them to encrypt and the tx lcore reorders those. Packets a crypto stage drops travel on marked
 * (so no number goes missing); numbers a full ring refused are reported on a "lost" ring.
 */
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dp_stages.h"
#include "nat.h"
#include "peer_flush.h"
#include "pipeline.h"
#include "reorder.h"
#include "worker.h"

enum {
	PIPE_RING_SIZE = 4096,
	NAT_EXPIRE_BUDGET = 64,
	/* Numbers between the stamping and the reordering lcore: the ring into the crypto lcores,
	 * their bursts and the ring out of them; the window covers both rings. */
	PIPE_REORDER_SIZE = 2 * PIPE_RING_SIZE,
};

struct mg_dp_pipeline {
	struct rte_ring *to_decrypt; /* rx -> crypto */
	struct rte_ring *to_egress;  /* crypto -> nat */
	struct rte_ring *to_ingress; /* rx -> nat */
	struct rte_ring *to_encrypt; /* nat, rx (control keepalives) -> crypto */
	struct rte_ring *to_tx;      /* every role -> tx */
	struct rte_ring *lost_dec;   /* crypto -> nat: numbers to_egress refused (uint32_t) */
	struct rte_ring *lost_enc;   /* crypto -> tx: numbers to_tx refused */
	struct mg_dp_reorder *dec_order; /* the NAT lcore's: decrypted packets back in rx order */
	struct mg_dp_reorder *enc_order; /* the tx lcore's: encrypted packets in NAT order */
	uint32_t dec_next __rte_cache_aligned; /* next number the rx lcore stamps */
	uint32_t enc_next __rte_cache_aligned; /* next number the NAT lcore stamps */
};

static struct rte_ring *
pipe_ring(const char *name, int socket, unsigned flags)
{
	return rte_ring_create(name, PIPE_RING_SIZE, socket, flags);
}

static int
create_order(struct mg_dp_pipeline *p, int socket_id)
{
	/* The reorder buffers first: they register the sequence number field the rings carry. */
	p->dec_order = mg_dp_reorder_create("mg_ord_dec", socket_id, PIPE_REORDER_SIZE,
					    MG_DP_REORDER_HOLE_NS);
	p->enc_order = mg_dp_reorder_create("mg_ord_enc", socket_id, PIPE_REORDER_SIZE,
					    MG_DP_REORDER_HOLE_NS);
	p->lost_dec = rte_ring_create_elem("mg_pipe_lostd", sizeof(uint32_t), PIPE_RING_SIZE,
					   socket_id, RING_F_SC_DEQ);
	p->lost_enc = rte_ring_create_elem("mg_pipe_loste", sizeof(uint32_t), PIPE_RING_SIZE,
					   socket_id, RING_F_SC_DEQ);
	return p->dec_order && p->enc_order && p->lost_dec && p->lost_enc ? 0 : -1;
}

struct mg_dp_pipeline *
mg_dp_pipeline_create(int socket_id)
{
	struct mg_dp_pipeline *p = rte_zmalloc_socket("mg_pipe", sizeof(*p), 0, socket_id);

	if (p == NULL)
		return NULL;
	if (create_order(p, socket_id) != 0) {
		mg_dp_pipeline_destroy(p);
		return NULL;
	}
	p->to_decrypt = pipe_ring("mg_pipe_dec", socket_id, RING_F_SP_ENQ);
	p->to_egress = pipe_ring("mg_pipe_egr", socket_id, RING_F_SC_DEQ);
	p->to_ingress = pipe_ring("mg_pipe_ing", socket_id, RING_F_SP_ENQ | RING_F_SC_DEQ);
	p->to_encrypt = pipe_ring("mg_pipe_enc", socket_id, 0);
	p->to_tx = pipe_ring("mg_pipe_tx", socket_id, RING_F_SC_DEQ);
	if (!p->to_decrypt || !p->to_egress || !p->to_ingress || !p->to_encrypt || !p->to_tx) {
		mg_dp_pipeline_destroy(p);
		return NULL;
	}
	return p;
}

void
mg_dp_pipeline_destroy(struct mg_dp_pipeline *p)
{
	if (p == NULL)
		return;
	mg_dp_ring_free(p->to_decrypt);
	mg_dp_ring_free(p->to_egress);
	mg_dp_ring_free(p->to_ingress);
	mg_dp_ring_free(p->to_encrypt);
	mg_dp_ring_free(p->to_tx);
	rte_ring_free(p->lost_dec); /* numbers, not mbufs */
	rte_ring_free(p->lost_enc);
	mg_dp_reorder_free(p->dec_order);
	mg_dp_reorder_free(p->enc_order);
	rte_free(p);
}

void
mg_dp_pipeline_set_hole_ns(struct mg_dp_pipeline *p, uint64_t hole_ns)
{
	mg_dp_reorder_set_hole_ns(p->dec_order, hole_ns);
	mg_dp_reorder_set_hole_ns(p->enc_order, hole_ns);
}

/* Enqueue pkts[0..n) to r; what does not fit is freed and counted. Returns how many went on. */
static unsigned
pass_on(struct mg_dp_worker *w, struct rte_ring *r, struct rte_mbuf **pkts, unsigned n)
{
	unsigned q;

	if (n == 0)
		return 0;
	q = rte_ring_enqueue_burst(r, (void **)pkts, n, NULL);
	if (unlikely(q < n)) {
		w->counters.drop[MG_DP_DROP_PIPELINE_RING_FULL] += n - q;
		rte_pktmbuf_free_bulk(&pkts[q], n - q);
	}
	return q;
}

/* Number pkts[0..n) from *next on and enqueue them to r. The numbers of what does not fit are
 * taken back (this lcore is the only one stamping them), so the sequence stays dense. */
static void
pass_on_numbered(struct mg_dp_worker *w, struct rte_ring *r, struct rte_mbuf **pkts, unsigned n,
		 uint32_t *next)
{
	for (unsigned i = 0; i < n; i++)
		mg_dp_seq_stamp(pkts[i], *next + i);
	*next += pass_on(w, r, pkts, n);
}

/* What a full ring refused from a crypto lcore: counted (unless dropped already) and freed; the
 * numbers of sequenced packets go to the lost ring so the reordering lcore skips them at once. */
static void
refused(struct mg_dp_worker *w, struct rte_ring *lost, struct rte_mbuf **pkts, unsigned n)
{
	uint32_t seqn[MG_DP_BURST];
	unsigned n_seqn = 0;

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (!(m->ol_flags & mg_dp_seq_drop_flag))
			w->counters.drop[MG_DP_DROP_PIPELINE_RING_FULL]++;
		if (mg_dp_seq_is(m))
			seqn[n_seqn++] = mg_dp_seq_of(m);
		rte_pktmbuf_free(m);
	}
	/* A full lost ring leaves the hole to the reorder timeout. */
	rte_ring_enqueue_burst_elem(lost, seqn, sizeof(seqn[0]), n_seqn, NULL);
}

/* A crypto stage's output pkts[0..n), the first `kept` going on: numbered packets it dropped
 * (counted by their reason) go on too, marked, so that their number is not missing; the others
 * it dropped are freed here. */
static void
pass_on_crypto(struct mg_dp_worker *w, struct rte_ring *r, struct rte_ring *lost,
	       struct rte_mbuf **pkts, unsigned kept, unsigned n)
{
	unsigned out = kept, q;

	for (unsigned i = kept; i < n; i++) {
		if (mg_dp_seq_is(pkts[i])) {
			mg_dp_seq_mark_dropped(pkts[i]);
			pkts[out++] = pkts[i];
		} else {
			rte_pktmbuf_free(pkts[i]);
		}
	}
	if (out == 0)
		return;
	q = rte_ring_enqueue_burst(r, (void **)pkts, out, NULL);
	if (unlikely(q < out))
		refused(w, lost, &pkts[q], out - q);
}

static void
free_tail(struct rte_mbuf **pkts, uint16_t kept, uint16_t n)
{
	if (kept < n)
		rte_pktmbuf_free_bulk(&pkts[kept], n - kept);
}

/* Numbers reported lost since the last pass: skip them when their turn comes. */
static void
note_lost(struct rte_ring *lost, struct mg_dp_reorder *order)
{
	uint32_t seqn[MG_DP_BURST];
	unsigned n = rte_ring_dequeue_burst_elem(lost, seqn, sizeof(seqn[0]), MG_DP_BURST, NULL);

	for (unsigned i = 0; i < n; i++)
		mg_dp_reorder_lost(order, seqn[i]);
}

static unsigned
rx_pass(struct mg_dp_worker *w)
{
	struct mg_dp_pipeline *p = w->pipe;
	struct rte_mbuf *pkts[MG_DP_BURST];
	unsigned work = 0, n;

	for (unsigned port = 0; port < w->dp->n_ports; port++) {
		struct mg_dp_classified c;

		n = rte_eth_rx_burst(w->dp->ports[port].port_id, 0, pkts, MG_DP_BURST);
		if (n == 0)
			continue;
		work += n;
		mg_dp_classify(w, port, pkts, (uint16_t)n, &c);
		mg_dp_punt(w, &c.punt);
		if (c.drop.n)
			rte_pktmbuf_free_bulk(c.drop.m, c.drop.n);
		pass_on_numbered(w, p->to_decrypt, c.wg_data.m, c.wg_data.n, &p->dec_next);
		pass_on(w, p->to_ingress, c.internet.m, c.internet.n);
	}
	n = rte_ring_dequeue_burst(w->ctl_tx_ring, (void **)pkts, MG_DP_BURST, NULL);
	MG_DP_COUNT(w, CONTROL_TX, n);
	for (unsigned i = 0; i < n; i++)
		mg_dp_seq_clear(pkts[i]); /* not numbered: tx sends them as they come */
	pass_on(w, p->to_tx, pkts, n);
	work += n;
	n = rte_ring_dequeue_burst(w->ctl_seal_ring, (void **)pkts, MG_DP_BURST, NULL);
	for (unsigned i = 0; i < n; i++)
		mg_dp_seq_clear(pkts[i]); /* keepalives, ICMP errors: not numbered (tx sends at once) */
	pass_on(w, p->to_encrypt, pkts, n);
	return work + n;
}

static unsigned
crypto_pass(struct mg_dp_worker *w, uint64_t now)
{
	struct mg_dp_pipeline *p = w->pipe;
	struct rte_mbuf *pkts[MG_DP_BURST];
	unsigned n, k, work;

	n = rte_ring_dequeue_burst(p->to_decrypt, (void **)pkts, MG_DP_BURST, NULL);
	k = mg_dp_decrypt(w, pkts, (uint16_t)n, now);
	pass_on_crypto(w, p->to_egress, p->lost_dec, pkts, k, n);
	work = n;
	n = rte_ring_dequeue_burst(p->to_encrypt, (void **)pkts, MG_DP_BURST, NULL);
	k = mg_dp_encrypt(w, pkts, (uint16_t)n, now);
	pass_on_crypto(w, p->to_tx, p->lost_enc, pkts, k, n);
	return work + n;
}

/* Decrypted packets, back in order: egress, then on to tx (ICMP errors back to crypto). */
static void
egress_out(struct mg_dp_worker *w, struct rte_mbuf **pkts, unsigned n, uint64_t now)
{
	struct mg_dp_pipeline *p = w->pipe;
	struct mg_dp_burst icmp;
	unsigned k;

	if (n == 0)
		return;
	MG_DP_BURST_INIT(icmp);
	k = mg_dp_egress(w, pkts, (uint16_t)n, now, &icmp);
	free_tail(pkts, (uint16_t)k, (uint16_t)n);
	pass_on(w, p->to_tx, pkts, k);
	pass_on(w, p->to_encrypt, icmp.m, icmp.n); /* not numbered: their own path through tx */
}

static void send_sorted(struct mg_dp_worker *w, struct rte_mbuf **pkts, unsigned n);

/* Put pkts[0..n) into order and hand on what is next in order: to egress (NAT lcore) or to the
 * ports (tx lcore). Drains on no input too, so that a hole times out. Returns the packets handed
 * on. */
static unsigned
reorder_run(struct mg_dp_worker *w, struct mg_dp_reorder *order, struct rte_mbuf **pkts,
	    unsigned n, uint64_t now, bool to_egress)
{
	struct rte_mbuf *ready[MG_DP_BURST];
	unsigned taken = 0, k, total = 0;

	do {
		taken += mg_dp_reorder_insert(order, pkts + taken, n - taken,
					      &w->counters.drop[MG_DP_DROP_REORDER_LATE]);
		k = mg_dp_reorder_drain(order, ready, MG_DP_BURST, now);
		if (to_egress)
			egress_out(w, ready, k, now);
		else
			send_sorted(w, ready, k);
		total += k;
	} while (taken < n || k == MG_DP_BURST);
	return total;
}

static unsigned
nat_pass(struct mg_dp_worker *w, uint64_t now)
{
	struct mg_dp_pipeline *p = w->pipe;
	struct rte_mbuf *pkts[MG_DP_BURST];
	struct mg_dp_burst icmp;
	unsigned n, k, work;

	MG_DP_BURST_INIT(icmp);
	note_lost(p->lost_dec, p->dec_order);
	n = rte_ring_dequeue_burst(p->to_egress, (void **)pkts, MG_DP_BURST, NULL);
	k = reorder_run(w, p->dec_order, pkts, n, now, true);
	work = RTE_MAX(n, k); /* a timed-out hole releases packets with no input */
	n = rte_ring_dequeue_burst(p->to_ingress, (void **)pkts, MG_DP_BURST, NULL);
	k = mg_dp_ingress(w, pkts, (uint16_t)n, now, &icmp);
	free_tail(pkts, (uint16_t)k, (uint16_t)n);
	pass_on_numbered(w, p->to_encrypt, pkts, k, &p->enc_next);
	pass_on(w, p->to_tx, icmp.m, icmp.n);
	mg_nat_expire(w->nat, now, NAT_EXPIRE_BUDGET);
	return work + n;
}

/* Transmit pkts[0..n) (at most a burst), each on its m->port, in their order per port. */
static void
send_sorted(struct mg_dp_worker *w, struct rte_mbuf **pkts, unsigned n)
{
	struct rte_mbuf *by_port[MG_DP_MAX_PORTS][MG_DP_BURST];
	uint16_t count[MG_DP_MAX_PORTS] = { 0 };

	for (unsigned i = 0; i < n; i++)
		by_port[pkts[i]->port][count[pkts[i]->port]++] = pkts[i];
	for (unsigned port = 0; port < w->dp->n_ports; port++) {
		uint64_t bytes = 0;
		uint16_t sent;

		if (count[port] == 0)
			continue;
		for (uint16_t i = 0; i < count[port]; i++)
			bytes += rte_pktmbuf_pkt_len(by_port[port][i]);
		sent = rte_eth_tx_burst(w->dp->ports[port].port_id, 0, by_port[port], count[port]);
		for (uint16_t i = sent; i < count[port]; i++)
			bytes -= rte_pktmbuf_pkt_len(by_port[port][i]);
		MG_DP_COUNT(w, TX_PACKETS, sent);
		MG_DP_COUNT(w, TX_BYTES, bytes);
		if (sent < count[port]) {
			w->counters.drop[MG_DP_DROP_TX_FULL] += count[port] - sent;
			rte_pktmbuf_free_bulk(&by_port[port][sent], count[port] - sent);
		}
	}
}

/* Encrypted packets numbered by the NAT lcore go through the reorder buffer; everything else
 * (control frames, egress output, ICMP errors, sealed control packets) goes out at once. */
static unsigned
tx_pass(struct mg_dp_worker *w, uint64_t now)
{
	struct mg_dp_pipeline *p = w->pipe;
	struct rte_mbuf *pkts[MG_DP_BURST], *numbered[MG_DP_BURST];
	unsigned n, n_num = 0, n_now = 0;

	note_lost(p->lost_enc, p->enc_order);
	n = rte_ring_dequeue_burst(p->to_tx, (void **)pkts, MG_DP_BURST, NULL);
	for (unsigned i = 0; i < n; i++) {
		if (mg_dp_seq_is(pkts[i]))
			numbered[n_num++] = pkts[i];
		else
			pkts[n_now++] = pkts[i];
	}
	send_sorted(w, pkts, n_now);
	return RTE_MAX(n, reorder_run(w, p->enc_order, numbered, n_num, now, false));
}

unsigned
mg_dp_pipeline_pass(struct mg_dp_worker *w)
{
	uint64_t now = mg_dp_now_ns();

	switch (w->role) {
	case MG_DP_ROLE_PIPE_RX: return rx_pass(w);
	case MG_DP_ROLE_PIPE_CRYPTO: return crypto_pass(w, now);
	case MG_DP_ROLE_PIPE_NAT: return nat_pass(w, now);
	case MG_DP_ROLE_PIPE_TX: return tx_pass(w, now);
	default: return 0;
	}
}

int
mg_dp_lcore_main(void *arg)
{
	struct mg_dp_worker *w = arg;
	unsigned idle = 0;

	if (w->role == MG_DP_ROLE_RUN_TO_COMPLETION)
		return mg_dp_worker_main(w);
	rte_rcu_qsbr_thread_register(w->dp->qsbr, w->idx);
	rte_rcu_qsbr_thread_online(w->dp->qsbr, w->idx);
	while (!*w->dp->quit) {
		if (mg_dp_pipeline_pass(w)) {
			idle = 0;
			MG_DP_COUNT(w, BUSY_LOOPS, 1);
		} else {
			MG_DP_COUNT(w, IDLE_LOOPS, 1);
			mg_dp_idle_backoff(w, &idle);
		}
		mg_dp_flush_poll(w); /* NAT lcore flushes removed peers; the others just acknowledge */
		rte_rcu_qsbr_quiescent(w->dp->qsbr, w->idx);
	}
	rte_rcu_qsbr_thread_offline(w->dp->qsbr, w->idx);
	rte_rcu_qsbr_thread_unregister(w->dp->qsbr, w->idx);
	return 0;
}
