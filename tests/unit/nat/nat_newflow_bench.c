/* A driver for profiling the NAT44 slow path alone: fills one instance with N new flows the way
 * the egress stage meets them (bursts of 32: mg_nat_out_lookup_burst, then for each MISS a look
 * again when the burst already created a session, then mg_nat_out_create) and prints the cycles
 * per new session in slices of the fill. Not a test: it prints figures, for perf record.
 *
 * Flows as perf/bench's new_flow lines: 1000 peers, 16 source ports each, a new destination per
 * flow. Usage: nat_newflow_bench [sessions (1000000)] [rounds (1)].
 */
#include <stdlib.h>

#include <rte_cycles.h>

#include "nat_test_util.h"

enum { PEERS = 1000, SPORTS = 16, BURST = 32, SLICES = 4 };

static void
flow_pkt(struct tpkt *p, uint32_t f, uint32_t *peer)
{
	uint32_t j = f / PEERS, r = j / SPORTS;

	*peer = f % PEERS;
	t_build(p, IPPROTO_UDP, RTE_IPV4(100, 64, 0, 0) + *peer + 1, (uint16_t)(1024 + j % SPORTS),
		RTE_IPV4(192, 0, 2, 1 + r % 254), (uint16_t)(1 + (r / 254) % 65000), 0, 18);
}

/* What egress does with a burst of new flows; returns the cycles spent in NAT calls (and in
 * parsing each packet before the bulk lookup, as egress does). */
static uint64_t
one_burst(struct mg_nat *nat, struct tpkt *pk, const uint32_t *peers, unsigned n, uint64_t now)
{
	struct rte_ipv4_hdr *ips[BURST];
	uint32_t lens[BURST];
	enum mg_nat_result res[BURST];
	bool created = false;
	uint64_t t0;

	for (unsigned i = 0; i < n; i++) {
		ips[i] = tp_ip(&pk[i]);
		lens[i] = pk[i].len;
	}
	t0 = rte_rdtsc_precise();
	t_out_burst(nat, peers, ips, lens, n, now, res);
	for (unsigned i = 0; i < n; i++) {
		enum mg_nat_result r = res[i];

		if (r == MG_NAT_MISS && created)
			r = mg_nat_out_lookup(nat, peers[i], ips[i], lens[i], now);
		if (r == MG_NAT_MISS && mg_nat_out_create(nat, peers[i], ips[i], lens[i], now) ==
					    MG_NAT_OK)
			created = true;
	}
	return rte_rdtsc_precise() - t0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Fill nat with n new flows at now (timed), then free them all (untimed): the first round meets
 * fresh tables, later rounds the same tables warmed up, as a long-running worker does. */
static uint64_t
fill(struct mg_nat *nat, uint32_t n, uint64_t now, bool slices, uint32_t *per_burst)
{
	static struct tpkt pk[BURST];
	uint32_t peers[BURST];
	uint64_t cyc = 0;

	for (uint32_t f = 0; f < n; f += BURST) {
		unsigned b = RTE_MIN((uint32_t)BURST, n - f);

		for (unsigned i = 0; i < b; i++)
			flow_pkt(&pk[i], f + i, &peers[i]);
		per_burst[f / BURST] = (uint32_t)RTE_MIN(one_burst(nat, pk, peers, b, now + f),
						       (uint64_t)UINT32_MAX);
		cyc += per_burst[f / BURST];
		if (slices && ((f + b) % (n / SLICES) < BURST || f + b == n))
			printf("  %8u sessions: %6.0f cycles/new session\n", f + b,
			       (double)cyc / (f + b));
	}
	for (uint32_t p = 0; p < PEERS; p++)
		mg_nat_flush_peer(nat, p);
	return cyc;
}

static int
run(uint32_t n, unsigned rounds)
{
	struct mg_nat_params p;
	struct mg_nat *nat;
	struct mg_nat_stats st;
	uint32_t nb = n / BURST, *per_burst = calloc(nb + 1, sizeof(*per_burst));

	if (per_burst == NULL)
		return -1;
	t_params(&p, "nfb");
	p.port_lo = 1024;
	p.port_hi = 65535;
	p.max_sessions = n + n / 8 + 4096;
	p.max_peers = PEERS;
	nat = mg_nat_create(&p);
	if (nat == NULL)
		return -1;
	for (unsigned r = 0; r < rounds; r++) {
		/* 200 s apart: the ports freed by the last flush are past their reuse delay. */
		uint64_t cyc = fill(nat, n, (1 + 200 * (uint64_t)r) * T_SEC, r == 0, per_burst);

		qsort(per_burst, nb, sizeof(*per_burst), cmp_u32);
		printf("round %u: %u new sessions, %.0f cycles each (mean), %.0f (median burst)\n", r,
		       n, (double)cyc / n, (double)per_burst[nb / 2] / BURST);
	}
	free(per_burst);
	mg_nat_get_stats(nat, &st);
	mg_nat_destroy(nat);
	return st.created == (uint64_t)n * rounds && st.sessions == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1000000;
	unsigned rounds = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
	char *eal[] = { argv[0], "-l", "0", "--no-huge", "--no-pci", "-m", "1024", "--no-shconf",
			"--no-telemetry", "--log-level=error" };
	int rc = 0;

	if (n < BURST * SLICES || rte_eal_init((int)RTE_DIM(eal), eal) < 0)
		return 2;
	rc = run(n, rounds);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
