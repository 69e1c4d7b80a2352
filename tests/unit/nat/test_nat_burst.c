/* NAT out over a burst (mg_nat_out_lookup_burst) against the one-packet fast path: two instances
 * with the same seed get the same sessions, then the same packets go through the burst call on
 * one and through mg_nat_out_lookup one by one on the other; results, bytes and statistics must
 * agree. Cases: hits, misses, malformed packets, one flow twice, an expired session met twice
 * (freed once), more packets than one bulk lookup takes, runs of one flow's packets (looked up
 * once per run), and the same mix right after a burst that all hit (whose lookup then goes in
 * two halves). Also the table keys as the fast path writes them (nat_internal.h).
 */
#include "nat_test_util.h"
#include "nat_internal.h"

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

/* Packet i of the burst: a mix of live flows, expired flows (some twice) unless live_only
 * (each even flow then replaced by the next, odd one), unknown flows, a flow of another peer id,
 * and truncated packets. */
static void
mix_pkt(struct tpkt *p, uint32_t *peer, unsigned i, bool live_only)
{
	unsigned f = (i * 7) % (FLOWS + 8);

	if (live_only && f < FLOWS && f % 2 == 0)
		f++;
	flow_pkt(p, f);
	*peer = f % 4;
	if (i % 11 == 5)
		*peer = (f + 1) % 4;     /* same 5-tuple, another peer: no session */
	if (i % 13 == 6)
		p->len = 24;             /* UDP header cut: ERR_TRUNCATED */
}

static void
burst_pkt(struct tpkt *p, uint32_t *peer, unsigned i)
{
	mix_pkt(p, peer, i, false);
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

/* What one burst met: hits, misses and errors, and the sessions left afterwards. */
struct burst_outcome {
	unsigned hits, misses, errs;
	uint64_t sessions;
};

/* Every live flow twice (the odd ones, 1, 3, ... 39, then again), through the burst call on a
 * and one by one on b: all hit, so a halves its next lookup. */
static void
all_hit_first(struct mg_nat *a, struct mg_nat *b, uint64_t now)
{
	enum { N = FLOWS };
	static struct tpkt pa[N], pb[N];
	struct rte_ipv4_hdr *ips[N];
	uint32_t peers[N], lens[N];
	enum mg_nat_result r[N];

	for (unsigned i = 0; i < N; i++) {
		unsigned f = (2 * i + 1) % FLOWS;

		flow_pkt(&pa[i], f);
		pb[i] = pa[i];
		peers[i] = f % 4;
		ips[i] = tp_ip(&pa[i]);
		lens[i] = pa[i].len;
	}
	CU_ASSERT_FALSE(a->split_out_lookup); /* a new instance looks a burst up whole */
	t_out_burst(a, peers, ips, lens, N, now, r);
	for (unsigned i = 0; i < N; i++) {
		CU_ASSERT_EQUAL(r[i], MG_NAT_OK);
		CU_ASSERT_EQUAL(mg_nat_out_lookup(b, peers[i], tp_ip(&pb[i]), pb[i].len, now),
				MG_NAT_OK);
	}
	CU_ASSERT_TRUE(a->split_out_lookup);
}

/* The burst of pkt_of(i) through mg_nat_out_lookup_burst on one instance and one by one on
 * another with the same sessions: same results, bytes, sessions and counters; after_hits: right
 * after a burst that all hit. */
static void
burst_against_one_by_one(const char *name_a, const char *name_b,
			 void (*pkt_of)(struct tpkt *, uint32_t *, unsigned), bool after_hits,
			 struct burst_outcome *o)
{
	struct mg_nat *a = t_nat(name_a), *b = t_nat(name_b);
	static struct tpkt pa[BURST], pb[BURST];
	struct rte_ipv4_hdr *ips[BURST];
	uint32_t peers[BURST], lens[BURST];
	enum mg_nat_result ra[BURST], rb;
	struct mg_nat_stats sa, sb;
	uint64_t now = 302 * T_SEC, not_met[MG_NAT_RESULT_COUNT] = { 0 };

	*o = (struct burst_outcome){ 0 };
	fill(a);
	fill(b);
	if (after_hits)
		all_hit_first(a, b, now);
	for (unsigned i = 0; i < BURST; i++) {
		pkt_of(&pa[i], &peers[i], i);
		pb[i] = pa[i];
		ips[i] = tp_ip(&pa[i]);
		lens[i] = pa[i].len;
	}
	t_out_burst(a, peers, ips, lens, BURST, now, ra);
	for (unsigned i = 0; i < BURST; i++) {
		rb = mg_nat_out_lookup(b, peers[i], tp_ip(&pb[i]), pb[i].len, now);
		/* A packet the parser refused never met NAT; NAT refuses it too. */
		if (ra[i] == MG_NAT_RESULT_COUNT) {
			CU_ASSERT(rb != MG_NAT_OK && rb != MG_NAT_MISS);
			not_met[rb]++;
		} else {
			CU_ASSERT_EQUAL(ra[i], rb);
		}
		CU_ASSERT_EQUAL(memcmp(pa[i].buf, pb[i].buf, sizeof(pa[i].buf)), 0);
		o->hits += rb == MG_NAT_OK;
		o->misses += rb == MG_NAT_MISS;
		o->errs += rb != MG_NAT_OK && rb != MG_NAT_MISS;
	}
	for (unsigned i = 0; i < BURST; i++)
		if (ra[i] == MG_NAT_OK)
			CU_ASSERT_EQUAL(tp_ip(&pa[i])->src_addr, rte_cpu_to_be_32(T_PUBLIC));
	mg_nat_get_stats(a, &sa);
	mg_nat_get_stats(b, &sb);
	CU_ASSERT_EQUAL(sa.sessions, sb.sessions);
	CU_ASSERT_EQUAL(sa.expired, sb.expired);
	for (unsigned r = 0; r < MG_NAT_RESULT_COUNT; r++)
		CU_ASSERT_EQUAL(sa.out_lookup[r] + not_met[r], sb.out_lookup[r]);
	o->sessions = sa.sessions;
	/* Both instances expire the same sessions at the same time afterwards. */
	CU_ASSERT_EQUAL(mg_nat_expire(a, 600 * T_SEC, 100), mg_nat_expire(b, 600 * T_SEC, 100));
	mg_nat_destroy(a);
	mg_nat_destroy(b);
}

static void
test_burst_matches_one_by_one(void)
{
	struct burst_outcome o;

	burst_against_one_by_one("nb_a", "nb_b", burst_pkt, false, &o);
	/* The mix really has all three outcomes. */
	CU_ASSERT(o.hits > 10 && o.misses > 10 && o.errs > 3);
	/* Every expired session the burst met was freed, exactly once; the others wait. */
	CU_ASSERT_EQUAL(o.sessions, FLOWS - expired_met());
}

/* Runs of one flow, as a transfer sends them: flow (i / 4) * 5 for four packets, live,
 * expired (the first packet of the run frees the session, the rest miss) or unknown; a run
 * broken by another peer's packet of the same 5-tuple and by a truncated packet. */
static void
run_pkt(struct tpkt *p, uint32_t *peer, unsigned i)
{
	unsigned f = ((i / 4) * 5) % (FLOWS + 8);

	flow_pkt(p, f);
	*peer = f % 4;
	if (i % 9 == 2)
		*peer = (f + 1) % 4;
	if (i % 17 == 7)
		p->len = 24;
}

static void
test_runs_of_one_flow(void)
{
	struct burst_outcome o;

	burst_against_one_by_one("nb_c", "nb_d", run_pkt, false, &o);
	CU_ASSERT(o.hits > 10 && o.misses > 10 && o.errs > 3);
}

/* burst_pkt without the expired flows: an expiry met in a burst sends every later packet of it
 * to a lookup of its own, and this mix is to depend on the bulk lookup's hits to the end. */
static void
live_pkt(struct tpkt *p, uint32_t *peer, unsigned i)
{
	mix_pkt(p, peer, i, true);
}

static void
test_halved_lookup_matches_one_by_one(void)
{
	struct burst_outcome o;

	burst_against_one_by_one("nb_e", "nb_f", live_pkt, true, &o);
	CU_ASSERT(o.hits > 10 && o.misses > 10 && o.errs > 3);
	CU_ASSERT_EQUAL(o.sessions, FLOWS); /* nothing expired was met */
}

/* The fast path writes a session key as two words (nat_okey_set) and hashes it inline
 * (nat_key_hash): the words must be the key the fields describe, and the hash the table's. */
static void
test_key_words_and_hash(void)
{
	struct mg_nat *nat = t_nat("nb_k");
	struct nat_okey fields = { .peer_id = 0xabcdef, .proto = IPPROTO_UDP,
				   .src_addr = rte_cpu_to_be_32(T_CLIENT),
				   .dst_addr = rte_cpu_to_be_32(T_REMOTE),
				   .src_port = rte_cpu_to_be_16(1234),
				   .dst_port = rte_cpu_to_be_16(53) };
	struct nat_okey words;

	nat_okey_set(&words, 0xabcdef, IPPROTO_UDP, fields.src_addr, fields.dst_addr,
		     fields.src_port, fields.dst_port);
	CU_ASSERT_EQUAL(memcmp(&words, &fields, sizeof(words)), 0);
	CU_ASSERT(nat_key_eq(&words, &fields));
	words.dst_port ^= 1;
	CU_ASSERT(!nat_key_eq(&words, &fields));
	CU_ASSERT_EQUAL(nat_key_hash(nat, &fields), rte_hash_hash(nat->out_h, &fields));
	CU_ASSERT_EQUAL(nat_key_hash(nat, &fields), rte_hash_hash(nat->in_h, &fields));
	CU_ASSERT_EQUAL(nat_key_hash(nat, &fields), rte_hash_hash(nat->map_h, &fields));
	mg_nat_destroy(nat);
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
	t_out_burst(nat, peers, ips, lens, 2, 100 * T_SEC, r);
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
		{ "runs of one flow", test_runs_of_one_flow },
		{ "halved lookup after all hits = one by one", test_halved_lookup_matches_one_by_one },
		{ "key words and hash", test_key_words_and_hash },
	};

	(void)argc;
	return t_run(argv[0], "nat_burst", cases, RTE_DIM(cases));
}
