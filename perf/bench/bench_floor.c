/* The reference figures around the data path: the floor (IPsec-MB ChaCha20-Poly1305 alone, on
 * the same sizes, bursts of 32 over the same number of buffers, nothing else), WireGuard
 * handshakes (two lib/wg devices; only the responder's work is timed, which is what the control
 * lcore does per handshake, beside its floor: libsodium's X25519 alone) and memory per peer
 * and per NAT session (EAL heap growth).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_launch.h>
#include <rte_mbuf.h>
#include <rte_malloc.h>
#include <sodium.h>

#include "bench_int.h"
#include "data_crypto.h"
#include "device.h"
#include "nat.h"
#include "x25519_base.h"

enum {
	BUF_STRIDE = 1536, /* 1420 + tag, rounded up to whole cache lines */
	/* Where in its cache line a received frame's ciphertext starts: after the mbuf headroom
	 * and the Ethernet, IPv4, UDP and WireGuard headers. The floor's buffers start there too,
	 * since IPsec-MB's cost depends on it (on AMD Zen 4, 32-byte aligned buffers open ~2%
	 * faster at 1420 bytes than any other alignment; see docs/performance.md). */
	BUF_LINE_OFFSET = (RTE_PKTMBUF_HEADROOM + RTE_ETHER_HDR_LEN + 20 + 8 + 16) % 64,
	HS_STEP_NS = 25 * 1000 * 1000, /* initiations 25 ms apart: above the flood limit */
};

/* The sums of a size's timed rounds, and each full burst's cycles for the medians. */
struct floor_times {
	uint64_t seal, open;
	struct mg_bench_samples seal_bursts, open_bursts;
};

/* Time seal then open of every buffer in bursts of 32; returns false if a tag failed. */
static bool
floor_round(struct mg_wg_crypto *c, uint8_t *bufs, unsigned n, enum mg_bench_size s,
	    const uint8_t key[32], uint64_t *ctr, struct floor_times *t)
{
	struct mg_wg_crypto_op ops[MG_BENCH_BURST];

	for (unsigned b = 0; b < n; b += MG_BENCH_BURST) {
		unsigned k = RTE_MIN((unsigned)MG_BENCH_BURST, n - b);
		uint64_t t0, t1, t2;

		for (unsigned i = 0; i < k; i++) {
			uint8_t *p = bufs + BUF_LINE_OFFSET + (size_t)(b + i) * BUF_STRIDE;
			size_t len = (mg_bench_inner_size(s, b + i) + 15u) & ~15u;
			ops[i] = (struct mg_wg_crypto_op){ .key = key, .counter = (*ctr)++,
							   .buf = p, .len = len, .tag = p + len };
		}
		t0 = rte_rdtsc_precise();
		mg_wg_data_seal_burst(c, ops, k);
		t1 = rte_rdtsc_precise();
		uint32_t ok = mg_wg_data_open_burst(c, ops, k);
		t2 = rte_rdtsc_precise();
		t->seal += t1 - t0;
		t->open += t2 - t1;
		if (k == MG_BENCH_BURST) {
			mg_bench_samples_add(&t->seal_bursts, t1 - t0);
			mg_bench_samples_add(&t->open_bursts, t2 - t1);
		}
		if (ok != (k == 32 ? 0xffffffffu : (1u << k) - 1))
			return false;
	}
	return true;
}

/* The buffers of a floor measurement: cache-line aligned, plus one stride of slack for the
 * offset. */
static uint8_t *
floor_buffers(unsigned buffers)
{
	size_t bytes = (size_t)(buffers + 1) * BUF_STRIDE;
	uint8_t *bufs = aligned_alloc(64, bytes);

	if (bufs != NULL)
		memset(bufs, 0, bytes);
	return bufs;
}

/* One size: an untimed round first (page faults and cold caches are not the floor), then the
 * timed rounds into *t, whose sums and samples start empty. */
static bool
floor_size(struct mg_wg_crypto *c, uint8_t *bufs, unsigned buffers, unsigned rounds,
	   enum mg_bench_size s, const uint8_t key[32], struct floor_times *t)
{
	uint64_t ctr = 0;

	if (!floor_round(c, bufs, buffers, s, key, &ctr, t))
		return false;
	t->seal = t->open = 0;
	t->seal_bursts.n = t->open_bursts.n = 0;
	for (unsigned r = 0; r < rounds; r++)
		if (!floor_round(c, bufs, buffers, s, key, &ctr, t))
			return false;
	return true;
}

/* Cycles per packet of the timed rounds, from their sum. */
static double
floor_per_pkt(uint64_t cycles, unsigned buffers, unsigned rounds)
{
	return (double)cycles / ((double)buffers * rounds);
}

/* Everything one measurement holds, set up and torn down in one place. */
struct floor_rig {
	struct mg_wg_crypto *c;
	uint8_t *bufs, key[32];
	struct floor_times t;
};

static int
floor_rig_init(struct floor_rig *g, unsigned buffers, unsigned rounds)
{
	uint64_t bursts = (uint64_t)rounds * (buffers / MG_BENCH_BURST);

	memset(g, 0, sizeof(*g));
	g->c = mg_wg_crypto_create();
	g->bufs = floor_buffers(buffers);
	randombytes_buf(g->key, sizeof(g->key));
	if (mg_bench_samples_init(&g->t.seal_bursts, bursts) != 0 ||
	    mg_bench_samples_init(&g->t.open_bursts, bursts) != 0 || g->c == NULL ||
	    g->bufs == NULL)
		return -1;
	return 0;
}

static void
floor_rig_fini(struct floor_rig *g)
{
	mg_bench_samples_free(&g->t.seal_bursts);
	mg_bench_samples_free(&g->t.open_bursts);
	sodium_memzero(g->key, sizeof(g->key));
	free(g->bufs);
	mg_wg_crypto_destroy(g->c);
}

void
mg_bench_floor_measure(struct mg_bench_floor *f, unsigned buffers, unsigned rounds)
{
	struct floor_rig g;

	memset(f, 0, sizeof(*f));
	if (floor_rig_init(&g, buffers, rounds) != 0)
		goto out;
	snprintf(f->arch, sizeof(f->arch), "%s", mg_wg_crypto_arch(g.c));
	for (unsigned s = 0; s < MG_BENCH_N_SIZES; s++) {
		if (!floor_size(g.c, g.bufs, buffers, rounds, (enum mg_bench_size)s, g.key, &g.t))
			goto out; /* figures stay 0: the checker refuses them */
		f->seal_cycles_per_pkt[s] = floor_per_pkt(g.t.seal, buffers, rounds);
		f->open_cycles_per_pkt[s] = floor_per_pkt(g.t.open, buffers, rounds);
		f->seal_median_cycles_per_pkt[s] = mg_bench_samples_median_per_pkt(&g.t.seal_bursts);
		f->open_median_cycles_per_pkt[s] = mg_bench_samples_median_per_pkt(&g.t.open_bursts);
	}
out:
	floor_rig_fini(&g);
}

/* A line's floor, run on the line's worker lcore by mg_bench_floor_line. */
struct floor_line {
	enum mg_bench_size size;
	bool seal;
	unsigned buffers, rounds;
	double mean, median; /* out; 0 on failure */
};

static int
floor_line_main(void *arg)
{
	struct floor_line *l = arg;
	struct floor_rig g;

	if (floor_rig_init(&g, l->buffers, l->rounds) == 0 &&
	    floor_size(g.c, g.bufs, l->buffers, l->rounds, l->size, g.key, &g.t)) {
		l->mean = floor_per_pkt(l->seal ? g.t.seal : g.t.open, l->buffers, l->rounds);
		l->median = mg_bench_samples_median_per_pkt(l->seal ? &g.t.seal_bursts
								  : &g.t.open_bursts);
	}
	floor_rig_fini(&g);
	return 0;
}

int
mg_bench_floor_line(unsigned lcore, enum mg_bench_size size, bool seal, unsigned buffers,
		    unsigned rounds, double *mean, double *median)
{
	struct floor_line l = { .size = size, .seal = seal, .buffers = buffers, .rounds = rounds };

	if (rte_eal_remote_launch(floor_line_main, &l, lcore) != 0)
		return -1;
	mg_bench_wait_lcore(lcore);
	*mean = l.mean;
	*median = l.median;
	return l.mean > 0 && l.median > 0 ? 0 : -1;
}

static struct mg_wg_device *
hs_device(uint8_t pub[32])
{
	struct mg_wg_device_params p = { .handshake_rate = 1000000, .handshake_burst = 1000000,
					 .max_peers = 4 };
	struct mg_wg_device *d;

	randombytes_buf(p.private_key, sizeof(p.private_key));
	d = mg_wg_device_create(&p);
	sodium_memzero(p.private_key, sizeof(p.private_key));
	if (d != NULL)
		mg_wg_device_public_key(d, pub);
	return d;
}

/* One handshake; only the responder's handling of the initiation is timed: its cycles. */
static int
hs_once(struct mg_wg_device *ini, struct mg_wg_device *resp, uint64_t now,
	const struct timespec *wall, uint32_t old_idx[2], uint64_t *cycles)
{
	uint8_t init[MG_WG_MSG_INITIATION_LEN], out[MG_WG_DEVICE_OUT_MIN], none[MG_WG_DEVICE_OUT_MIN];
	struct mg_wg_handshake_result rr, ri;
	size_t out_len = 0, none_len = 0;
	uint64_t t0;

	if (mg_wg_device_create_initiation(ini, 0, now, wall, init) != 0)
		return -1;
	t0 = rte_rdtsc_precise();
	mg_wg_device_handle(resp, rte_cpu_to_be_32(RTE_IPV4(198, 51, 100, 2)),
			    rte_cpu_to_be_16(51000), init, sizeof(init), now, wall, false, out,
			    &out_len, &rr);
	*cycles = rte_rdtsc_precise() - t0;
	if (!(rr.actions & MG_WG_ACT_SESSION))
		return -1;
	mg_wg_device_handle(ini, rte_cpu_to_be_32(MG_BENCH_MESH_IP), rte_cpu_to_be_16(51820), out,
			    out_len, now, wall, false, none, &none_len, &ri);
	if (!(ri.actions & MG_WG_ACT_SESSION))
		return -1;
	/* As the data plane would: the previous keypairs retire, their indices go back. */
	if (old_idx[0])
		mg_wg_device_release_index(resp, old_idx[0]);
	if (old_idx[1])
		mg_wg_device_release_index(ini, old_idx[1]);
	old_idx[0] = rr.keys.local_index;
	old_idx[1] = ri.keys.local_index;
	sodium_memzero(&rr.keys, sizeof(rr.keys));
	sodium_memzero(&ri.keys, sizeof(ri.keys));
	return 0;
}

/* The handshake's floor, right after each handshake: one libsodium X25519 and the fixed-base
 * X25519 the handshake uses, alone, so both see the same machine (this host's speed drifts
 * within a run); and libsodium's fixed-base one beside them, which that one replaced. The
 * handshake makes its ephemerals a batch at a time, so the fixed-base figure is one batch's
 * cycles over its size. */
struct x25519_rig {
	uint8_t priv[MG_X25519_BATCH][32], pub[32], out[MG_X25519_BATCH][32];
};

static int
x25519_once(struct x25519_rig *x, uint64_t *var, uint64_t *base, uint64_t *sodium_base)
{
	uint64_t t0 = rte_rdtsc_precise();
	int rc = crypto_scalarmult(x->out[0], x->priv[0], x->pub);

	*var = rte_rdtsc_precise() - t0;
	t0 = rte_rdtsc_precise();
	rc |= mg_x25519_public_keys(x->out, (const uint8_t(*)[32])x->priv, MG_X25519_BATCH);
	*base = (rte_rdtsc_precise() - t0 + MG_X25519_BATCH / 2) / MG_X25519_BATCH;
	t0 = rte_rdtsc_precise();
	rc |= crypto_scalarmult_base(x->out[0], x->priv[0]);
	*sodium_base = rte_rdtsc_precise() - t0;
	return rc == 0 ? 0 : -1;
}

static double
median_of(struct mg_bench_samples *s)
{
	return mg_bench_samples_median_per_pkt(s) * MG_BENCH_BURST;
}

/* What one handshake round samples: the handshake, then its floor's operations. The
 * responder's samples are windows of MG_X25519_BATCH handshakes: one in that many makes the
 * next batch of ephemerals, so any such window holds exactly one batch and its median is
 * honest, where the median handshake would leave the batches out. */
enum hs_sample { HS_RESPONDER, HS_X25519, HS_BASE, HS_SODIUM_BASE, HS_N_SAMPLES };

int
mg_bench_handshakes_measure(struct mg_bench_handshakes *h, unsigned count)
{
	uint8_t pub_i[32], pub_r[32];
	struct mg_wg_device *ini = hs_device(pub_i), *resp = hs_device(pub_r);
	struct mg_bench_samples smp[HS_N_SAMPLES] = { { 0 } };
	struct x25519_rig x;
	struct timespec wall;
	uint32_t old_idx[2] = { 0, 0 };
	uint64_t sum[HS_N_SAMPLES] = { 0 }, window = 0, now = 1000000000ull;
	int rc = -1;

	memset(h, 0, sizeof(*h));
	randombytes_buf(x.priv, sizeof(x.priv));
	crypto_scalarmult_base(x.pub, x.priv[0]);
	randombytes_buf(x.priv, sizeof(x.priv));
	clock_gettime(CLOCK_REALTIME, &wall);
	if (ini == NULL || resp == NULL || mg_wg_device_add_peer(ini, pub_r, NULL) != 0 ||
	    mg_wg_device_add_peer(resp, pub_i, NULL) != 0)
		goto out;
	for (unsigned k = 0; k < HS_N_SAMPLES; k++)
		if (mg_bench_samples_init(&smp[k], count) != 0)
			goto out;
	for (unsigned i = 0; i < count; i++, now += HS_STEP_NS) {
		uint64_t c[HS_N_SAMPLES];

		wall.tv_nsec += HS_STEP_NS; /* virtual clocks: time is an argument here */
		if (wall.tv_nsec >= 1000000000L) {
			wall.tv_sec++;
			wall.tv_nsec -= 1000000000L;
		}
		if (hs_once(ini, resp, now, &wall, old_idx, &c[HS_RESPONDER]) != 0 ||
		    x25519_once(&x, &c[HS_X25519], &c[HS_BASE], &c[HS_SODIUM_BASE]) != 0)
			goto out;
		h->completed++;
		for (unsigned k = 0; k < HS_N_SAMPLES; k++)
			sum[k] += c[k];
		for (unsigned k = HS_X25519; k < HS_N_SAMPLES; k++)
			mg_bench_samples_add(&smp[k], c[k]);
		window += c[HS_RESPONDER];
		if ((i + 1) % MG_X25519_BATCH == 0) {
			mg_bench_samples_add(&smp[HS_RESPONDER], window);
			window = 0;
		}
	}
	h->responder_cycles = (double)sum[HS_RESPONDER] / count;
	h->per_second = (double)rte_get_tsc_hz() / h->responder_cycles;
	h->x25519_cycles = (double)sum[HS_X25519] / count;
	h->x25519_base_cycles = (double)sum[HS_BASE] / count;
	h->sodium_base_cycles = (double)sum[HS_SODIUM_BASE] / count;
	h->floor_cycles = 3 * h->x25519_cycles + h->x25519_base_cycles;
	h->responder_median_cycles = median_of(&smp[HS_RESPONDER]) / MG_X25519_BATCH;
	h->x25519_median_cycles = median_of(&smp[HS_X25519]);
	h->x25519_base_median_cycles = median_of(&smp[HS_BASE]);
	h->sodium_base_median_cycles = median_of(&smp[HS_SODIUM_BASE]);
	h->floor_median_cycles = 3 * h->x25519_median_cycles + h->x25519_base_median_cycles;
	rc = 0;
out:
	sodium_memzero(&x, sizeof(x));
	for (unsigned k = 0; k < HS_N_SAMPLES; k++)
		mg_bench_samples_free(&smp[k]);
	mg_wg_device_destroy(ini);
	mg_wg_device_destroy(resp);
	return rc;
}

static uint64_t
heap_used(void)
{
	struct rte_malloc_socket_stats st;
	uint64_t used = 0;

	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			used += st.heap_allocsz_bytes;
	return used;
}

/* EAL heap taken by a whole benchmark gateway with these parameters; 0 on failure. */
static uint64_t
gw_heap(uint32_t peers, uint32_t sessions)
{
	struct mg_bench_gw_params p = { .peers = peers, .nat_sessions = sessions, .workers = 1 };
	uint64_t before = heap_used(), after;
	char err[256];
	struct mg_bench_gw *g = mg_bench_gw_create(&p, err, sizeof(err));

	if (g == NULL) {
		fprintf(stderr, "mg_bench: memory: %s\n", err);
		return 0;
	}
	after = heap_used();
	mg_bench_gw_destroy(g);
	return after - before;
}

int
mg_bench_memory_measure(struct mg_bench_memory *m, bool quick)
{
	uint32_t k_lo = 16, k_hi = quick ? 4096 : 100000;
	uint32_t s_lo = 1024, s_hi = quick ? 65536 : 1048576;
	uint64_t a = gw_heap(k_lo, s_lo), b = gw_heap(k_hi, s_lo), c = gw_heap(k_lo, s_hi);

	memset(m, 0, sizeof(*m));
	m->nat_declared_per_session = mg_nat_memory_per_session();
	if (a == 0 || b == 0 || c == 0)
		return -1;
	m->bytes_per_peer = ((double)b - (double)a) / (k_hi - k_lo);
	m->bytes_per_session = ((double)c - (double)a) / (s_hi - s_lo);
	return 0;
}
