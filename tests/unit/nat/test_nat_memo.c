/* The slow path after a bulk lookup (lib/nat/nat_burst.c): a packet the bulk lookup missed is
 * not looked up again while the memo proves it still has no session. These cases try to make
 * the memo lie: a session created for its key through another buffer, more creations than the
 * memo records, the buffer rewritten to another flow, a burst with repeated new flows processed
 * as the egress stage does; the results must equal those of an instance that never saw a bulk
 * lookup (same seed, so the same public ports).
 */
#include "nat_test_util.h"

enum { MANY = 200 };

/* Flow f of the suite: UDP from client port 2000 + f to the remote's port 53. */
static void
flow_pkt(struct tpkt *p, unsigned f)
{
	t_build(p, IPPROTO_UDP, T_CLIENT, (uint16_t)(2000 + f), T_REMOTE, 53, 0, 8);
}

/* One packet through the bulk lookup, as the first step of a burst. */
static enum mg_nat_result
bulk_one(struct mg_nat *nat, struct tpkt *p, uint64_t now)
{
	struct rte_ipv4_hdr *ip = tp_ip(p);
	uint32_t peer = 0, len = p->len;
	enum mg_nat_result r;

	t_out_burst(nat, &peer, &ip, &len, 1, now, &r);
	return r;
}

static uint16_t
sport(struct tpkt *p)
{
	return tp_udp(p)->src_port;
}

/* Flow 0 misses in the bulk lookup; then its session is created through another buffer. The
 * missed buffer must now find it, by lookup and by create (which must not make a second). */
static void
test_created_through_another_buffer(void)
{
	struct mg_nat *nat = t_nat("nm_a");
	struct tpkt p, q, r;
	struct mg_nat_stats st;

	flow_pkt(&p, 0);
	flow_pkt(&q, 0);
	flow_pkt(&r, 0);
	CU_ASSERT_EQUAL(bulk_one(nat, &p, T_SEC), MG_NAT_MISS);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 0, tp_ip(&q), q.len, T_SEC), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_out_lookup(nat, 0, tp_ip(&p), p.len, T_SEC), MG_NAT_OK);
	CU_ASSERT_EQUAL(sport(&p), sport(&q));
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 0, tp_ip(&r), r.len, T_SEC), MG_NAT_OK);
	mg_nat_get_stats(nat, &st);
	CU_ASSERT_EQUAL(st.created, 1);
	CU_ASSERT_EQUAL(st.sessions, 1);
	mg_nat_destroy(nat);
}

/* More sessions created after the bulk lookup than the memo records, the last one for the
 * missed flow: the memo has lost track and must fall back to a real lookup. */
static void
test_more_creations_than_recorded(void)
{
	struct mg_nat *nat = t_nat("nm_b");
	struct tpkt p, q;

	flow_pkt(&p, 0);
	CU_ASSERT_EQUAL(bulk_one(nat, &p, T_SEC), MG_NAT_MISS);
	for (unsigned f = 1; f <= MANY; f++) {
		flow_pkt(&q, f);
		CU_ASSERT_EQUAL(mg_nat_out_create(nat, 0, tp_ip(&q), q.len, T_SEC), MG_NAT_OK);
	}
	flow_pkt(&q, 0);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 0, tp_ip(&q), q.len, T_SEC), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_out_lookup(nat, 0, tp_ip(&p), p.len, T_SEC), MG_NAT_OK);
	CU_ASSERT_EQUAL(sport(&p), sport(&q));
	CU_ASSERT_EQUAL(mg_nat_peer_sessions(nat, 0), MANY + 1);
	mg_nat_destroy(nat);
}

/* The missed buffer is rewritten to a flow that has a session: it is another key, so the memo
 * entry does not apply. */
static void
test_buffer_rewritten(void)
{
	struct mg_nat *nat = t_nat("nm_c");
	struct tpkt p, q;

	flow_pkt(&q, 1);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 0, tp_ip(&q), q.len, T_SEC), MG_NAT_OK);
	flow_pkt(&p, 0);
	CU_ASSERT_EQUAL(bulk_one(nat, &p, T_SEC), MG_NAT_MISS);
	flow_pkt(&p, 1);
	CU_ASSERT_EQUAL(mg_nat_out_lookup(nat, 0, tp_ip(&p), p.len, T_SEC), MG_NAT_OK);
	CU_ASSERT_EQUAL(sport(&p), sport(&q));
	mg_nat_destroy(nat);
}

/* Packet i of a burst of new flows where flows repeat (i % 7) and one peer differs. */
static void
burst_pkt(struct tpkt *p, uint32_t *peer, unsigned i)
{
	flow_pkt(p, i % 7);
	*peer = i == 9 ? 1 : 0;
}

/* A burst processed as the egress stage does (bulk lookup; for each miss, a look again once a
 * session was created in the burst, then a create) against the same packets created one by one
 * on an instance with the same seed: same results, same bytes, same counters. */
static void
test_egress_pattern_matches_one_by_one(void)
{
	enum { N = 40 };
	struct mg_nat *a = t_nat("nm_d"), *b = t_nat("nm_e");
	static struct tpkt pa[N], pb[N];
	struct rte_ipv4_hdr *ips[N];
	uint32_t peers[N], lens[N];
	enum mg_nat_result res[N];
	struct mg_nat_stats sa, sb;
	bool created = false;

	for (unsigned i = 0; i < N; i++) {
		burst_pkt(&pa[i], &peers[i], i);
		pb[i] = pa[i];
		ips[i] = tp_ip(&pa[i]);
		lens[i] = pa[i].len;
	}
	t_out_burst(a, peers, ips, lens, N, T_SEC, res);
	for (unsigned i = 0; i < N; i++) {
		enum mg_nat_result r = res[i];

		CU_ASSERT_EQUAL(r, MG_NAT_MISS);
		if (r == MG_NAT_MISS && created)
			r = mg_nat_out_lookup(a, peers[i], ips[i], lens[i], T_SEC);
		if (r == MG_NAT_MISS)
			r = mg_nat_out_create(a, peers[i], ips[i], lens[i], T_SEC);
		created |= r == MG_NAT_OK;
		CU_ASSERT_EQUAL(r, MG_NAT_OK);
		CU_ASSERT_EQUAL(mg_nat_out_create(b, peers[i], tp_ip(&pb[i]), pb[i].len, T_SEC),
				MG_NAT_OK);
		CU_ASSERT_EQUAL(memcmp(pa[i].buf, pb[i].buf, sizeof(pa[i].buf)), 0);
	}
	mg_nat_get_stats(a, &sa);
	mg_nat_get_stats(b, &sb);
	CU_ASSERT_EQUAL(sa.created, 8); /* 7 flows of peer 0, one of peer 1 */
	CU_ASSERT_EQUAL(sa.created, sb.created);
	CU_ASSERT_EQUAL(sa.mappings, sb.mappings);
	/* Flow 2 of peer 0 appears at 2, 16, 23, ...: every later packet found the first's port. */
	CU_ASSERT_EQUAL(sport(&pa[2]), sport(&pa[16]));
	CU_ASSERT_NOT_EQUAL(sport(&pa[2]), sport(&pa[9]));
	mg_nat_destroy(a);
	mg_nat_destroy(b);
}

int
main(int argc, char **argv)
{
	static const struct mg_cunit_case cases[] = {
		{ "created through another buffer", test_created_through_another_buffer },
		{ "more creations than recorded", test_more_creations_than_recorded },
		{ "buffer rewritten to another flow", test_buffer_rewritten },
		{ "egress pattern = one by one", test_egress_pattern_matches_one_by_one },
	};

	(void)argc;
	return t_run(argv[0], "nat_memo", cases, RTE_DIM(cases));
}
