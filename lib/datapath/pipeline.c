/* Pipeline lcores (see pipeline.h). Each role's loop takes bursts from its input rings, runs its
 * stage functions and enqueues what goes on; a full ring drops the burst's rest, counted as
 * pipeline_ring_full. Every role reports its RCU quiescent state and backs off when idle.
 */
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dp_stages.h"
#include "nat.h"
#include "peer_flush.h"
#include "pipeline.h"
#include "worker.h"

enum { PIPE_RING_SIZE = 4096, NAT_EXPIRE_BUDGET = 64 };

struct mg_dp_pipeline {
	struct rte_ring *to_decrypt; /* rx -> crypto */
	struct rte_ring *to_egress;  /* crypto -> nat */
	struct rte_ring *to_ingress; /* rx -> nat */
	struct rte_ring *to_encrypt; /* nat, rx (control keepalives) -> crypto */
	struct rte_ring *to_tx;      /* every role -> tx */
};

static struct rte_ring *
pipe_ring(const char *name, int socket, unsigned flags)
{
	return rte_ring_create(name, PIPE_RING_SIZE, socket, flags);
}

struct mg_dp_pipeline *
mg_dp_pipeline_create(int socket_id)
{
	struct mg_dp_pipeline *p = rte_zmalloc_socket("mg_pipe", sizeof(*p), 0, socket_id);

	if (p == NULL)
		return NULL;
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
	rte_free(p);
}

/* Enqueue pkts[0..n) to r; what does not fit is freed and counted. */
static void
pass_on(struct mg_dp_worker *w, struct rte_ring *r, struct rte_mbuf **pkts, unsigned n)
{
	unsigned q;

	if (n == 0)
		return;
	q = rte_ring_enqueue_burst(r, (void **)pkts, n, NULL);
	if (unlikely(q < n)) {
		w->counters.drop[MG_DP_DROP_PIPELINE_RING_FULL] += n - q;
		rte_pktmbuf_free_bulk(&pkts[q], n - q);
	}
}

static void
free_tail(struct rte_mbuf **pkts, uint16_t kept, uint16_t n)
{
	if (kept < n)
		rte_pktmbuf_free_bulk(&pkts[kept], n - kept);
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
		pass_on(w, p->to_decrypt, c.wg_data.m, c.wg_data.n);
		pass_on(w, p->to_ingress, c.internet.m, c.internet.n);
	}
	n = rte_ring_dequeue_burst(w->ctl_tx_ring, (void **)pkts, MG_DP_BURST, NULL);
	MG_DP_COUNT(w, CONTROL_TX, n);
	pass_on(w, p->to_tx, pkts, n);
	work += n;
	n = rte_ring_dequeue_burst(w->ctl_seal_ring, (void **)pkts, MG_DP_BURST, NULL);
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
	free_tail(pkts, (uint16_t)k, (uint16_t)n);
	pass_on(w, p->to_egress, pkts, k);
	work = n;
	n = rte_ring_dequeue_burst(p->to_encrypt, (void **)pkts, MG_DP_BURST, NULL);
	k = mg_dp_encrypt(w, pkts, (uint16_t)n, now);
	free_tail(pkts, (uint16_t)k, (uint16_t)n);
	pass_on(w, p->to_tx, pkts, k);
	return work + n;
}

static unsigned
nat_pass(struct mg_dp_worker *w, uint64_t now)
{
	struct mg_dp_pipeline *p = w->pipe;
	struct rte_mbuf *pkts[MG_DP_BURST];
	struct mg_dp_burst icmp = { 0 };
	unsigned n, k, work;

	n = rte_ring_dequeue_burst(p->to_egress, (void **)pkts, MG_DP_BURST, NULL);
	k = mg_dp_egress(w, pkts, (uint16_t)n, now, &icmp);
	free_tail(pkts, (uint16_t)k, (uint16_t)n);
	pass_on(w, p->to_tx, pkts, k);
	pass_on(w, p->to_encrypt, icmp.m, icmp.n);
	work = n;
	n = rte_ring_dequeue_burst(p->to_ingress, (void **)pkts, MG_DP_BURST, NULL);
	icmp.n = 0;
	k = mg_dp_ingress(w, pkts, (uint16_t)n, now, &icmp);
	free_tail(pkts, (uint16_t)k, (uint16_t)n);
	pass_on(w, p->to_encrypt, pkts, k);
	pass_on(w, p->to_tx, icmp.m, icmp.n);
	mg_nat_expire(w->nat, now, NAT_EXPIRE_BUDGET);
	return work + n;
}

static unsigned
tx_pass(struct mg_dp_worker *w)
{
	struct rte_mbuf *pkts[MG_DP_BURST], *by_port[MG_DP_MAX_PORTS][MG_DP_BURST];
	uint16_t count[MG_DP_MAX_PORTS] = { 0 };
	unsigned n = rte_ring_dequeue_burst(w->pipe->to_tx, (void **)pkts, MG_DP_BURST, NULL);

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
	return n;
}

unsigned
mg_dp_pipeline_pass(struct mg_dp_worker *w)
{
	uint64_t now = mg_dp_now_ns();

	switch (w->role) {
	case MG_DP_ROLE_PIPE_RX: return rx_pass(w);
	case MG_DP_ROLE_PIPE_CRYPTO: return crypto_pass(w, now);
	case MG_DP_ROLE_PIPE_NAT: return nat_pass(w, now);
	case MG_DP_ROLE_PIPE_TX: return tx_pass(w);
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
