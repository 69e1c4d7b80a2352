/* NAT out over a burst (mg_nat_out_lookup_burst) against the one-packet fast path: two instances
 * with the same seed get the same sessions, then the same packets go through the burst call on
 * one and through mg_nat_out_lookup one by one on the other; results, bytes and statistics must
 * agree. Cases: hits, misses, malformed packets, one flow twice, an expired session met twice
 * (freed once), more packets than one bulk lookup takes.
 */
#include "nat_test_util.h"

enum { FLOWS = 40, BURST = 80 };

/* Flow f: UDP from client port 1000 + f to the remote's port 53 (peer f % 4); flows >= FLOWS
 * have no session. */
static void
flow_pkt(struct tpkt *p, unsigned f)
{
	t_build(p, IPPROTO_UDP, T_CLIENT, (uint16_t)(1000 + f), T_REMOTE, 53, 0, 8);
}

/* Sessions for flows 0..FLOWS-1: even flows at t = 1 s, odd ones at t = 200 s, so at 302 s the
 * even ones (UDP timeout 300 s) have expired and the odd ones live. */
static void
fill(struct mg_nat *nat)
{
	for (unsigned f = 0; f < FLOWS; f++) {
		struct tpkt p;

		flow_pkt(&p, f);
		CU_ASSERT_EQUAL(mg_nat_out_create(nat, f % 4, tp_ip(&p), p.len,
						  (f % 2 ? 200 : 1) * T_SEC), MG_NAT_OK);
	}
}

/* Packet i of the burst: a mix of live flows, expired flows (some twice), unknown flows, a flow
 * of another peer id, and truncated packets. */
static void
burst_pkt(struct tpkt *p, uint32_t *peer, unsigned i)
{
	unsigned f = (i * 7) % (FLOWS + 8);

	flow_pkt(p, f);
	*peer = f % 4;
	if (i % 11 == 5)
		*peer = (f + 1) % 4;     /* same 5-tuple, another peer: no session */
	if (i % 13 == 6)
		p->len = 24;             /* UDP header cut: ERR_TRUNCATED */
}

/* Expired flows (even, < FLOWS) that some packet of the burst looks up with its own peer id. */
static unsigned
expired_met(void)
{
	bool met[FLOWS] = { false };
	unsigned n = 0;

	for (unsigned i = 0; i < BURST; i++) {
		unsigned f = (i * 7) % (FLOWS + 8);

		if (f < FLOWS && f % 2 == 0 && i % 11 != 5 && i % 13 != 6)
			met[f] = true;
	}
	for (unsigned f = 0; f < FLOWS; f++)
		n += met[f];
	return n;
}

static void
test_burst_matches_one_by_one(void)
{
	struct mg_nat *a = t_nat("nb_a"), *b = t_nat("nb_b");
	static struct tpkt pa[BURST], pb[BURST];
	struct rte_ipv4_hdr *ips[BURST];
	uint32_t peers[BURST], lens[BURST];
	enum mg_nat_result ra[BURST], rb;
	struct mg_nat_stats sa, sb;
	uint64_t now = 302 * T_SEC;
	unsigned hits = 0, misses = 0, errs = 0;

	fill(a);
	fill(b);
	for (unsigned i = 0; i < BURST; i++) {
		burst_pkt(&pa[i], &peers[i], i);
		pb[i] = pa[i];
		ips[i] = tp_ip(&pa[i]);
		lens[i] = pa[i].len;
	}
	mg_nat_out_lookup_burst(a, peers, ips, lens, BURST, now, ra);
	for (unsigned i = 0; i < BURST; i++) {
		rb = mg_nat_out_lookup(b, peers[i], tp_ip(&pb[i]), pb[i].len, now);
		CU_ASSERT_EQUAL(ra[i], rb);
		CU_ASSERT_EQUAL(memcmp(pa[i].buf, pb[i].buf, sizeof(pa[i].buf)), 0);
		hits += rb == MG_NAT_OK;
		misses += rb == MG_NAT_MISS;
		errs += rb != MG_NAT_OK && rb != MG_NAT_MISS;
	}
	/* The mix really has all three outcomes, and hits were translated. */
	CU_ASSERT(hits > 10 && misses > 10 && errs > 3);
	for (unsigned i = 0; i < BURST; i++)
		if (ra[i] == MG_NAT_OK)
			CU_ASSERT_EQUAL(tp_ip(&pa[i])->src_addr, rte_cpu_to_be_32(T_PUBLIC));
	mg_nat_get_stats(a, &sa);
	mg_nat_get_stats(b, &sb);
	CU_ASSERT_EQUAL(sa.sessions, sb.sessions);
	/* Every expired session the burst met was freed, exactly once; the others wait. */
	CU_ASSERT_EQUAL(sa.sessions, FLOWS - expired_met());
	CU_ASSERT_EQUAL(sa.expired, sb.expired);
	CU_ASSERT_EQUAL(memcmp(sa.out_lookup, sb.out_lookup, sizeof(sa.out_lookup)), 0);
	/* Both instances expire the same sessions at the same time afterwards. */
	CU_ASSERT_EQUAL(mg_nat_expire(a, 600 * T_SEC, 100), mg_nat_expire(b, 600 * T_SEC, 100));
	mg_nat_destroy(a);
	mg_nat_destroy(b);
}

/* A live session touched by the burst keeps its timer: it expires 300 s after the burst. */
static void
test_burst_refreshes_timer(void)
{
	struct mg_nat *nat = t_nat("nb_t");
	struct tpkt p[2];
	struct rte_ipv4_hdr *ips[2];
	uint32_t peers[2] = { 1, 1 }, lens[2];
	enum mg_nat_result r[2];

	for (unsigned f = 0; f < 2; f++) {
		flow_pkt(&p[f], f);
		CU_ASSERT_EQUAL(mg_nat_out_create(nat, 1, tp_ip(&p[f]), p[f].len, T_SEC), MG_NAT_OK);
	}
	flow_pkt(&p[0], 0); /* flow 0 only: flow 1 stays idle */
	flow_pkt(&p[1], 0);
	for (unsigned i = 0; i < 2; i++) {
		ips[i] = tp_ip(&p[i]);
		lens[i] = p[i].len;
	}
	mg_nat_out_lookup_burst(nat, peers, ips, lens, 2, 100 * T_SEC, r);
	CU_ASSERT(r[0] == MG_NAT_OK && r[1] == MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 302 * T_SEC, 100), 1);  /* flow 1 */
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 399 * T_SEC, 100), 0);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 401 * T_SEC, 100), 1);  /* flow 0 */
	mg_nat_destroy(nat);
}

int
main(int argc, char **argv)
{
	static const struct mg_cunit_case cases[] = {
		{ "burst lookup = one by one", test_burst_matches_one_by_one },
		{ "burst lookup refreshes timers", test_burst_refreshes_timer },
	};

	(void)argc;
	return t_run(argv[0], "nat_burst", cases, RTE_DIM(cases));
}
