/* The worker loop (run-to-completion): rx -> classify -> {decrypt -> egress | ingress ->
 * encrypt | punt} -> tx, plus the control lcore's rings, incremental NAT expiry, the RCU
 * quiescent-state report and the idle back-off.
 */
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "data_crypto.h"
#include "dp_stages.h"
#include "nat.h"
#include "peer_flush.h"
#include "worker.h"

enum {
	RING_SIZE = 1024,
	NAT_EXPIRE_BUDGET = 64,
	IDLE_SPINS_BEFORE_SLEEP = 256,
};

struct tx_queue {
	uint16_t n;
	struct rte_mbuf *m[MG_DP_BURST * 4];
};

/* Per-lcore transmit buffers; only the owning worker touches its own. */
static RTE_DEFINE_PER_LCORE(struct tx_queue, tx_bufs[MG_DP_MAX_PORTS]);

static uint64_t ns_per_cycle_q32; /* nanoseconds per TSC cycle, 32.32 fixed point */

#ifdef MG_DP_STAGE_CYCLES
/* Benchmark builds only (meson -Dstage_cycles=true): TSC cycles spent in each stage function,
 * per lcore, read by perf/bench. Without the option the macros below expand to nothing. */
#define MG_DP_STAGE_LIST(X) X(RX, "rx") X(CLASSIFY, "classify") X(DECRYPT, "decrypt") \
	X(EGRESS, "egress") X(STEER, "steer") X(INGRESS, "ingress") X(ENCRYPT, "encrypt") \
	X(TX, "tx") X(NAT_EXPIRE, "nat_expire")
#define MG_DP_STAGE_ENUM(id, name) STAGE_##id,
enum { MG_DP_STAGE_LIST(MG_DP_STAGE_ENUM) STAGE_MAX };
#define MG_DP_STAGE_NAME(id, name) name,
static const char *const stage_names[] = { MG_DP_STAGE_LIST(MG_DP_STAGE_NAME) };
static RTE_DEFINE_PER_LCORE(uint64_t, stage_tsc[STAGE_MAX]);
#define STAGE_BEGIN(id) const uint64_t stage_t0_##id = rte_rdtsc()
#define STAGE_END(id) (RTE_PER_LCORE(stage_tsc)[STAGE_##id] += rte_rdtsc() - stage_t0_##id)

unsigned mg_dp_stage_cycles_read(const char **names, uint64_t *cycles, unsigned max);
void mg_dp_stage_cycles_reset(void);

unsigned
mg_dp_stage_cycles_read(const char **names, uint64_t *cycles, unsigned max)
{
	unsigned n = RTE_MIN(max, (unsigned)STAGE_MAX);

	for (unsigned i = 0; i < n; i++) {
		names[i] = stage_names[i];
		cycles[i] = RTE_PER_LCORE(stage_tsc)[i];
	}
	return n;
}

void
mg_dp_stage_cycles_reset(void)
{
	memset(RTE_PER_LCORE(stage_tsc), 0, sizeof(RTE_PER_LCORE(stage_tsc)));
}
#else
#define STAGE_BEGIN(id)
#define STAGE_END(id)
#endif

void
mg_dp_clock_init(void)
{
	ns_per_cycle_q32 = ((uint64_t)1000000000 << 32) / rte_get_tsc_hz();
}

uint64_t
mg_dp_now_ns(void)
{
	return (uint64_t)(((unsigned __int128)rte_get_tsc_cycles() * ns_per_cycle_q32) >> 32);
}

/* Queue packets on their ports' transmit buffers, a run of packets for one port (a stage's
 * output usually is one run) at a time. */
static void
tx_enqueue(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0, end; i < n; i = end) {
		struct tx_queue *q = &RTE_PER_LCORE(tx_bufs)[pkts[i]->port];
		uint16_t take;

		for (end = i + 1; end < n && pkts[end]->port == pkts[i]->port; end++)
			;
		take = (uint16_t)RTE_MIN((unsigned)(end - i), RTE_DIM(q->m) - q->n);
		memcpy(&q->m[q->n], &pkts[i], take * sizeof(pkts[0]));
		q->n += take;
		if (unlikely(i + take < end)) {
			w->counters.drop[MG_DP_DROP_TX_FULL] += end - i - take;
			rte_pktmbuf_free_bulk(&pkts[i + take], end - i - take);
		}
	}
}

static void
tx_flush(struct mg_dp_worker *w)
{
	for (unsigned p = 0; p < w->dp->n_ports; p++) {
		struct tx_queue *q = &RTE_PER_LCORE(tx_bufs)[p];
		uint16_t sent;

		if (q->n == 0)
			continue;
		uint64_t bytes = 0;
		for (uint16_t i = 0; i < q->n; i++)
			bytes += rte_pktmbuf_pkt_len(q->m[i]);
		sent = rte_eth_tx_burst(w->dp->ports[p].port_id, w->idx, q->m, q->n);
		for (uint16_t i = sent; i < q->n; i++) /* still ours: the port did not take them */
			bytes -= rte_pktmbuf_pkt_len(q->m[i]);
		MG_DP_COUNT(w, TX_PACKETS, sent);
		MG_DP_COUNT(w, TX_BYTES, bytes);
		if (unlikely(sent < q->n)) {
			w->counters.drop[MG_DP_DROP_TX_FULL] += q->n - sent;
			rte_pktmbuf_free_bulk(&q->m[sent], q->n - sent);
		}
		q->n = 0;
	}
}

static void
free_tail(struct rte_mbuf **pkts, uint16_t kept, uint16_t n)
{
	if (kept < n)
		rte_pktmbuf_free_bulk(&pkts[kept], n - kept);
}

static void
to_peers(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	STAGE_BEGIN(ENCRYPT);
	uint16_t k = mg_dp_encrypt(w, pkts, n, now);
	STAGE_END(ENCRYPT);

	tx_enqueue(w, pkts, k);
	free_tail(pkts, k, n);
}

void
mg_dp_punt(struct mg_dp_worker *w, struct mg_dp_burst *b)
{
	unsigned q;

	if (b->n == 0)
		return;
	q = rte_ring_enqueue_burst(w->punt_ring, (void **)b->m, b->n, NULL);
	MG_DP_COUNT(w, PUNTED, q);
	if (q < b->n) {
		w->counters.drop[MG_DP_DROP_PUNT_RING_FULL] += b->n - q;
		rte_pktmbuf_free_bulk(&b->m[q], b->n - q);
	}
}

static void
from_internet(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct mg_dp_burst icmp;

	MG_DP_BURST_INIT(icmp);
	STAGE_BEGIN(INGRESS);
	uint16_t k = mg_dp_ingress(w, pkts, n, now, &icmp);
	STAGE_END(INGRESS);

	free_tail(pkts, k, n);
	to_peers(w, pkts, k, now);
	tx_enqueue(w, icmp.m, icmp.n);
}

/* WireGuard data frames this worker decrypts: decrypt, egress, tx; ICMP errors egress answers
 * with go back through the tunnel. */
static void
from_peers(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct mg_dp_burst icmp;

	MG_DP_BURST_INIT(icmp);
	STAGE_BEGIN(DECRYPT);
	uint16_t k = mg_dp_decrypt(w, pkts, n, now);
	STAGE_END(DECRYPT);
	free_tail(pkts, k, n);
	STAGE_BEGIN(EGRESS);
	uint16_t e = mg_dp_egress(w, pkts, k, now, &icmp);
	STAGE_END(EGRESS);
	tx_enqueue(w, pkts, e);
	free_tail(pkts, e, k);
	if (icmp.n)
		to_peers(w, icmp.m, icmp.n, now);
}

void
mg_dp_worker_process_rx(struct mg_dp_worker *w, unsigned int port, struct rte_mbuf **pkts,
			uint16_t n, uint64_t now)
{
	struct mg_dp_classified c;

	STAGE_BEGIN(CLASSIFY);
	mg_dp_classify(w, port, pkts, n, &c);
	STAGE_END(CLASSIFY);
	mg_dp_punt(w, &c.punt);
	if (c.drop.n)
		rte_pktmbuf_free_bulk(c.drop.m, c.drop.n);

	if (c.wg_data.n) {
		uint16_t local = c.wg_data.n;

		if (mg_dp_owner_id(w) != 0) { /* several workers: each keypair to its owner */
			STAGE_BEGIN(STEER);
			local = mg_dp_steer_wg(w, c.wg_data.m, c.wg_data.n);
			STAGE_END(STEER);
		}
		if (local)
			from_peers(w, c.wg_data.m, local, now);
	}
	if (c.internet.n) {
		STAGE_BEGIN(STEER);
		uint16_t local = mg_dp_steer(w, c.internet.m, c.internet.n);
		STAGE_END(STEER);
		from_internet(w, c.internet.m, local, now);
	}
}

/* Frames and inner packets the control lcore handed over, and what other workers handed to this
 * one: internet packets for its NAT sessions, WireGuard data for its keypairs. */
static unsigned
drain_control(struct mg_dp_worker *w, uint64_t now)
{
	struct rte_mbuf *pkts[MG_DP_BURST];
	unsigned n, total;

	n = rte_ring_dequeue_burst(w->ctl_tx_ring, (void **)pkts, MG_DP_BURST, NULL);
	MG_DP_COUNT(w, CONTROL_TX, n);
	tx_enqueue(w, pkts, n);
	total = n;
	n = rte_ring_dequeue_burst(w->ctl_seal_ring, (void **)pkts, MG_DP_BURST, NULL);
	if (n)
		to_peers(w, pkts, n, now);
	total += n;
	n = rte_ring_dequeue_burst(w->handoff_ring, (void **)pkts, MG_DP_BURST, NULL);
	if (n)
		from_internet(w, pkts, n, now);
	total += n;
	n = rte_ring_dequeue_burst(w->wg_handoff_ring, (void **)pkts, MG_DP_BURST, NULL);
	if (n)
		from_peers(w, pkts, n, now);
	return total + n;
}

unsigned
mg_dp_worker_poll(struct mg_dp_worker *w)
{
	struct rte_mbuf *pkts[MG_DP_BURST];
	uint64_t now = mg_dp_now_ns();
	unsigned handled = 0;

	for (unsigned p = 0; p < w->dp->n_ports; p++) {
		STAGE_BEGIN(RX);
		uint16_t n = rte_eth_rx_burst(w->dp->ports[p].port_id, w->idx, pkts, MG_DP_BURST);
		STAGE_END(RX);
		if (n) {
			mg_dp_worker_process_rx(w, p, pkts, n, now);
			handled += n;
		}
	}
	handled += drain_control(w, now);
	STAGE_BEGIN(TX);
	tx_flush(w);
	STAGE_END(TX);
	STAGE_BEGIN(NAT_EXPIRE);
	if (w->nat != NULL)
		mg_nat_expire(w->nat, now, NAT_EXPIRE_BUDGET);
	STAGE_END(NAT_EXPIRE);
	mg_dp_flush_poll(w); /* removed peers' NAT sessions, before the quiescent report */
	rte_rcu_qsbr_quiescent(w->dp->qsbr, w->idx);
	return handled;
}

void
mg_dp_idle_backoff(struct mg_dp_worker *w, unsigned *idle)
{
	uint32_t us;

	if (!w->dp->idle_backoff || ++*idle < IDLE_SPINS_BEFORE_SLEEP) {
		rte_pause();
		return;
	}
	/* Sleep in growing steps: 1, 2, 4 ... up to the configured ceiling. */
	us = 1u << RTE_MIN(*idle - IDLE_SPINS_BEFORE_SLEEP, 16u);
	if (us > w->dp->idle_max_sleep_us)
		us = w->dp->idle_max_sleep_us;
	rte_delay_us_sleep(us);
}

int
mg_dp_worker_main(void *arg)
{
	struct mg_dp_worker *w = arg;
	unsigned idle = 0;

	rte_rcu_qsbr_thread_register(w->dp->qsbr, w->idx);
	rte_rcu_qsbr_thread_online(w->dp->qsbr, w->idx);
	while (!*w->dp->quit) {
		if (mg_dp_worker_poll(w)) {
			idle = 0;
			MG_DP_COUNT(w, BUSY_LOOPS, 1);
		} else {
			MG_DP_COUNT(w, IDLE_LOOPS, 1);
			mg_dp_idle_backoff(w, &idle);
		}
	}
	tx_flush(w);
	rte_rcu_qsbr_thread_offline(w->dp->qsbr, w->idx);
	rte_rcu_qsbr_thread_unregister(w->dp->qsbr, w->idx);
	return 0;
}

static struct rte_ring *
ring_for(const char *what, unsigned idx, int socket, unsigned flags, unsigned esize)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "mg_%s_%u", what, idx);
	if (esize)
		return rte_ring_create_elem(name, esize, RING_SIZE, socket, flags);
	return rte_ring_create(name, RING_SIZE, socket, flags);
}

struct mg_dp_worker *
mg_dp_worker_create(struct mg_dp *dp, const struct mg_dp_worker_params *p)
{
	const unsigned spsc = RING_F_SP_ENQ | RING_F_SC_DEQ;
	struct mg_dp_worker *w;

	w = rte_zmalloc_socket("mg_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (w == NULL)
		return NULL;
	w->dp = dp;
	w->idx = p->idx;
	w->lcore = p->lcore;
	w->pool = p->pool;
	w->nat = p->nat;
	w->role = p->role;
	w->pipe = p->pipe;
	w->polls_control = p->role == MG_DP_ROLE_RUN_TO_COMPLETION || p->role == MG_DP_ROLE_PIPE_RX;
	w->crypto = mg_wg_crypto_create();
	w->punt_ring = ring_for("punt", p->idx, p->socket_id, spsc, 0);
	w->event_ring = ring_for("event", p->idx, p->socket_id, spsc, sizeof(struct mg_dp_event));
	w->ctl_tx_ring = ring_for("ctltx", p->idx, p->socket_id, spsc, 0);
	w->ctl_seal_ring = ring_for("ctlseal", p->idx, p->socket_id, spsc, 0);
	w->handoff_ring = ring_for("handoff", p->idx, p->socket_id, RING_F_SC_DEQ, 0);
	w->wg_handoff_ring = ring_for("wghandoff", p->idx, p->socket_id, RING_F_SC_DEQ, 0);
	w->traffic = rte_zmalloc_socket("mg_peer_traffic", sizeof(*w->traffic) * dp->max_peers,
					RTE_CACHE_LINE_SIZE, p->socket_id);
	if (w->crypto == NULL || w->punt_ring == NULL || w->event_ring == NULL ||
	    w->ctl_tx_ring == NULL || w->ctl_seal_ring == NULL || w->handoff_ring == NULL ||
	    w->wg_handoff_ring == NULL || w->traffic == NULL) {
		mg_dp_worker_destroy(w);
		return NULL;
	}
	return w;
}

void
mg_dp_ring_free(struct rte_ring *r)
{
	void *m;

	while (r != NULL && rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

void
mg_dp_worker_destroy(struct mg_dp_worker *w)
{
	if (w == NULL)
		return;
	mg_dp_ring_free(w->punt_ring);
	mg_dp_ring_free(w->ctl_tx_ring);
	mg_dp_ring_free(w->ctl_seal_ring);
	mg_dp_ring_free(w->handoff_ring);
	mg_dp_ring_free(w->wg_handoff_ring);
	rte_ring_free(w->event_ring); /* holds events, not mbufs */
	rte_free(w->traffic);
	mg_wg_crypto_destroy(w->crypto);
	rte_free(w);
}
