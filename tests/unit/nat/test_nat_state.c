/* NAT44 state tests on a controlled clock: timeouts per protocol (RFC 4787 / 5382 / 5508 values),
 * TCP state transitions, table and per-peer limits, the port reuse delay, seeded port choice,
 * the expire budget and flushing a peer.
 */
#include "nat_test_util.h"

static struct mg_nat *
mk_with(const char *name, uint32_t max_sessions, uint32_t per_peer, uint16_t lo, uint16_t hi)
{
	struct mg_nat_params p;
	struct mg_nat *nat;

	t_params(&p, name);
	p.max_sessions = max_sessions;
	p.max_sessions_per_peer = per_peer;
	p.port_lo = lo;
	p.port_hi = hi;
	nat = mg_nat_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nat);
	return nat;
}

/* Send a UDP packet of flow (client port sport -> remote:53) out; returns the result. */
static enum mg_nat_result
udp_out(struct mg_nat *nat, uint32_t peer, uint16_t sport, uint64_t now, bool create,
	uint16_t *pub)
{
	struct tpkt o;
	enum mg_nat_result r;

	t_build(&o, IPPROTO_UDP, T_CLIENT, sport, T_REMOTE, 53, 0, 8);
	r = create ? mg_nat_out_create(nat, peer, tp_ip(&o), o.len, now) :
		     mg_nat_out_lookup(nat, peer, tp_ip(&o), o.len, now);
	if (pub != NULL)
		*pub = rte_be_to_cpu_16(tp_udp(&o)->src_port);
	return r;
}

static enum mg_nat_result
tcp_out(struct mg_nat *nat, uint16_t sport, uint8_t flags, uint64_t now, uint16_t *pub)
{
	struct tpkt o;
	enum mg_nat_result r;

	t_build(&o, IPPROTO_TCP, T_CLIENT, sport, T_REMOTE, 443, flags, 0);
	r = mg_nat_out_lookup(nat, 1, tp_ip(&o), o.len, now);
	if (r == MG_NAT_MISS)
		r = mg_nat_out_create(nat, 1, tp_ip(&o), o.len, now);
	if (pub != NULL)
		*pub = rte_be_to_cpu_16(tp_tcp(&o)->src_port);
	return r;
}

static enum mg_nat_result
tcp_in(struct mg_nat *nat, uint16_t pub, uint8_t flags, uint64_t now)
{
	struct tpkt r;
	uint32_t peer;

	t_build(&r, IPPROTO_TCP, T_REMOTE, 443, T_PUBLIC, pub, flags, 0);
	return mg_nat_in(nat, tp_ip(&r), r.len, now, &peer);
}

static void
test_udp_timeout(void)
{
	struct mg_nat *nat = t_nat("s_udp");
	struct mg_nat_stats st;

	CU_ASSERT_EQUAL(udp_out(nat, 1, 5000, 0, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5000, 299 * T_SEC, false, NULL), MG_NAT_OK); /* refresh */
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5000, 598 * T_SEC, false, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5000, 899 * T_SEC, false, NULL), MG_NAT_MISS);
	mg_nat_get_stats(nat, &st);
	CU_ASSERT_EQUAL(st.expired, 1); /* found expired by the lookup, freed there */
	CU_ASSERT_EQUAL(st.sessions, 0);
	CU_ASSERT_EQUAL(st.mappings, 0);
	CU_ASSERT_EQUAL(st.out_lookup[MG_NAT_MISS], 1);
	mg_nat_destroy(nat);
}

/* RFC 4787 REQ-5: whatever is configured, a UDP mapping lives at least 120 s. */
static void
test_udp_timeout_floor(void)
{
	struct mg_nat_params p;
	struct mg_nat *nat;

	t_params(&p, "s_udpmin");
	p.udp_timeout_s = 30;
	nat = mg_nat_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nat);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5000, 0, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 119 * T_SEC, 100), 0);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5001, 0, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 121 * T_SEC, 100), 2);
	mg_nat_destroy(nat);
}

static void
test_icmp_timeout(void)
{
	struct mg_nat *nat = t_nat("s_icmp");
	struct tpkt o;

	t_build_echo(&o, RTE_IP_ICMP_ECHO_REQUEST, T_CLIENT, T_REMOTE, 77, 8);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 1, tp_ip(&o), o.len, 0), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 59 * T_SEC, 100), 0);
	t_build_echo(&o, RTE_IP_ICMP_ECHO_REQUEST, T_CLIENT, T_REMOTE, 77, 8);
	CU_ASSERT_EQUAL(mg_nat_out_lookup(nat, 1, tp_ip(&o), o.len, 59 * T_SEC), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 118 * T_SEC, 100), 0);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 120 * T_SEC, 100), 1);
	mg_nat_destroy(nat);
}

/* Only a bare SYN opens; SYN only (transitory) lasts 240 s. */
static void
test_tcp_syn_only_is_transitory(void)
{
	struct mg_nat *nat = t_nat("s_tcpsyn");
	struct tpkt o, copy;

	t_build(&o, IPPROTO_TCP, T_CLIENT, 7000, T_REMOTE, 443, RTE_TCP_ACK_FLAG, 0);
	copy = o;
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 1, tp_ip(&o), o.len, 0), MG_NAT_ERR_TCP_NOT_SYN);
	CU_ASSERT(memcmp(o.buf, copy.buf, o.len) == 0);
	t_build(&o, IPPROTO_TCP, T_CLIENT, 7000, T_REMOTE, 443,
		RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 1, tp_ip(&o), o.len, 0), MG_NAT_ERR_TCP_NOT_SYN);
	CU_ASSERT_EQUAL(tcp_out(nat, 7000, RTE_TCP_SYN_FLAG, 0, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 239 * T_SEC, 100), 0);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 241 * T_SEC, 100), 1);
	mg_nat_destroy(nat);
}

/* SYN out, SYN+ACK in, ACK out: established, 7440 s; then FIN both ways: transitory again. */
static void
test_tcp_established_and_close(void)
{
	struct mg_nat *nat = t_nat("s_tcpest");
	const uint8_t ack = RTE_TCP_ACK_FLAG;
	uint16_t pub;

	CU_ASSERT_EQUAL(tcp_out(nat, 7001, RTE_TCP_SYN_FLAG, 0, &pub), MG_NAT_OK);
	CU_ASSERT_EQUAL(tcp_in(nat, pub, RTE_TCP_SYN_FLAG | ack, T_SEC), MG_NAT_OK);
	CU_ASSERT_EQUAL(tcp_out(nat, 7001, ack, 2 * T_SEC, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 1000 * T_SEC, 100), 0);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 7441 * T_SEC, 100), 0);
	CU_ASSERT_EQUAL(tcp_in(nat, pub, ack, 7441 * T_SEC), MG_NAT_OK); /* refresh */
	CU_ASSERT_EQUAL(mg_nat_expire(nat, (7441 + 7439) * T_SEC, 100), 0);

	/* FIN one way keeps the established timeout; FIN both ways makes it transitory. */
	uint64_t t = 8000 * T_SEC;
	CU_ASSERT_EQUAL(tcp_out(nat, 7001, RTE_TCP_FIN_FLAG | ack, t, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, t + 241 * T_SEC, 100), 0);
	t += 241 * T_SEC;
	CU_ASSERT_EQUAL(tcp_in(nat, pub, RTE_TCP_FIN_FLAG | ack, t), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, t + 239 * T_SEC, 100), 0);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, t + 241 * T_SEC, 100), 1);
	mg_nat_destroy(nat);
}

/* SYN+ACK in without the client's ACK is not established yet; RST makes it transitory. */
static void
test_tcp_rst_and_half_open(void)
{
	struct mg_nat *nat = t_nat("s_tcprst");
	uint16_t pa, pb;

	CU_ASSERT_EQUAL(tcp_out(nat, 7100, RTE_TCP_SYN_FLAG, 0, &pa), MG_NAT_OK);
	CU_ASSERT_EQUAL(tcp_in(nat, pa, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0), MG_NAT_OK);
	CU_ASSERT_EQUAL(tcp_out(nat, 7101, RTE_TCP_SYN_FLAG, 0, &pb), MG_NAT_OK);
	CU_ASSERT_EQUAL(tcp_in(nat, pb, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0), MG_NAT_OK);
	CU_ASSERT_EQUAL(tcp_out(nat, 7101, RTE_TCP_ACK_FLAG, 0, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(tcp_in(nat, pb, RTE_TCP_RST_FLAG, 10 * T_SEC), MG_NAT_OK);
	/* a: half open since 0; b: reset at 10 s. Both transitory. */
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 241 * T_SEC, 100), 1);
	CU_ASSERT_EQUAL(tcp_out(nat, 7100, RTE_TCP_ACK_FLAG, 241 * T_SEC, NULL), MG_NAT_ERR_TCP_NOT_SYN);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 251 * T_SEC, 100), 1);
	mg_nat_destroy(nat);
}

/* Table full: the new flow is refused, existing flows keep translating; expired sessions are
 * reclaimed to make room without waiting for mg_nat_expire. */
static void
test_table_full(void)
{
	struct mg_nat *nat = mk_with("s_full", 8, 0, 20000, 29999);
	struct mg_nat_stats st;

	for (uint16_t i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(udp_out(nat, i % 4, (uint16_t)(5000 + i), 0, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 6000, T_SEC, true, NULL), MG_NAT_ERR_TABLE_FULL);
	for (uint16_t i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(udp_out(nat, i % 4, (uint16_t)(5000 + i), 200 * T_SEC, false, NULL),
				MG_NAT_OK);
	/* Flows 0..3 stay busy; 4..7 go idle and expire at 500 s. */
	for (uint16_t i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(udp_out(nat, i % 4, (uint16_t)(5000 + i), 450 * T_SEC, false, NULL),
				MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 6000, 499 * T_SEC, true, NULL), MG_NAT_ERR_TABLE_FULL);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 6000, 501 * T_SEC, true, NULL), MG_NAT_OK);
	for (uint16_t i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(udp_out(nat, i % 4, (uint16_t)(5000 + i), 502 * T_SEC, false, NULL),
				MG_NAT_OK);
	mg_nat_get_stats(nat, &st);
	CU_ASSERT_EQUAL(st.out_create[MG_NAT_ERR_TABLE_FULL], 2);
	CU_ASSERT(st.expired >= 1);
	mg_nat_destroy(nat);
}

static void
test_peer_limit(void)
{
	struct mg_nat *nat = mk_with("s_peer", 64, 2, 20000, 29999);

	CU_ASSERT_EQUAL(udp_out(nat, 1, 5000, 0, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5001, 0, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5002, 0, true, NULL), MG_NAT_ERR_PEER_LIMIT);
	CU_ASSERT_EQUAL(udp_out(nat, 2, 5002, 0, true, NULL), MG_NAT_OK); /* other peers unaffected */
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5000, 0, false, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5001, 0, false, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_peer_sessions(nat, 1), 2);
	mg_nat_set_peer_limit(nat, 1, 3);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5002, 0, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5003, 0, true, NULL), MG_NAT_ERR_PEER_LIMIT);
	/* At the limit, the peer's own expired sessions are reclaimed first. */
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5000, 200 * T_SEC, false, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5003, 301 * T_SEC, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_peer_sessions(nat, 1), 2);
	mg_nat_destroy(nat);
}

/* Two public ports only: a port freed when its mapping goes is not handed out for 120 s. */
static void
test_port_reuse_delay(void)
{
	struct mg_nat *nat = mk_with("s_reuse", 64, 0, 40000, 40001);
	uint16_t pa, pb, pc;

	CU_ASSERT_EQUAL(udp_out(nat, 1, 5000, 0, true, &pa), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 300 * T_SEC, 10), 1); /* pa waits until 420 s */
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5001, 300 * T_SEC, true, &pb), MG_NAT_OK);
	CU_ASSERT_NOT_EQUAL(pa, pb);
	CU_ASSERT(pb == 40000 || pb == 40001);
	CU_ASSERT_EQUAL(udp_out(nat, 2, 5002, 300 * T_SEC, true, NULL), MG_NAT_ERR_NO_PORT);
	CU_ASSERT_EQUAL(udp_out(nat, 2, 5002, 419 * T_SEC, true, NULL), MG_NAT_ERR_NO_PORT);
	CU_ASSERT_EQUAL(udp_out(nat, 2, 5002, 420 * T_SEC, true, &pc), MG_NAT_OK);
	CU_ASSERT_EQUAL(pc, pa);
	/* Ports are per protocol: TCP still has both. */
	CU_ASSERT_EQUAL(tcp_out(nat, 5000, RTE_TCP_SYN_FLAG, 420 * T_SEC, NULL), MG_NAT_OK);
	mg_nat_destroy(nat);
}

/* Same seed, same ports; ports spread over the range rather than counting up. */
static void
test_seeded_port_choice(void)
{
	struct mg_nat *a = t_nat("s_seed_a"), *b = t_nat("s_seed_b");
	uint16_t pa, pb, prev = 0;
	int sequential = 0;

	for (uint16_t i = 0; i < 50; i++) {
		CU_ASSERT_EQUAL(udp_out(a, 1, (uint16_t)(5000 + i), 0, true, &pa), MG_NAT_OK);
		CU_ASSERT_EQUAL(udp_out(b, 1, (uint16_t)(5000 + i), 0, true, &pb), MG_NAT_OK);
		CU_ASSERT_EQUAL(pa, pb);
		CU_ASSERT(pa >= 20000 && pa <= 29999);
		sequential += pa == prev + 1;
		prev = pa;
	}
	CU_ASSERT(sequential < 5);
	mg_nat_destroy(a);
	mg_nat_destroy(b);
}

static void
test_expire_budget(void)
{
	struct mg_nat *nat = t_nat("s_budget");
	struct mg_nat_stats st;

	for (uint16_t i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(udp_out(nat, 1, (uint16_t)(5000 + i), 0, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(tcp_out(nat, 5000, RTE_TCP_SYN_FLAG, 0, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 299 * T_SEC, 100), 1); /* TCP transitory only */
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 301 * T_SEC, 0), 0);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 301 * T_SEC, 3), 3);
	mg_nat_get_stats(nat, &st);
	CU_ASSERT_EQUAL(st.sessions, 7);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 301 * T_SEC, 100), 7);
	mg_nat_get_stats(nat, &st);
	CU_ASSERT_EQUAL(st.sessions, 0);
	CU_ASSERT_EQUAL(st.mappings, 0);
	CU_ASSERT_EQUAL(st.expired, 11);
	mg_nat_destroy(nat);
}

/* The timer lists are kept lazily (nat_session.c): a touch within a second of a session joining
 * its list leaves it in place, a later one moves it to the tail. So reclaim can free a session up
 * to a second after it expired, never more, and never before; a lookup never uses it once it
 * has expired. UDP timeout 300 s. */
static void
test_expire_lazy_lists(void)
{
	const uint64_t ms = T_SEC / 1000;
	struct mg_nat *nat = t_nat("s_lazy");
	struct mg_nat_stats st;

	/* A (5000) queued at 0 and touched at 0.9 s stays ahead of B (5001, queued at 0.5 s). */
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5000, 0, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5001, 500 * ms, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5000, 900 * ms, false, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 300500 * ms - 1, 100), 0);  /* neither expired */
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 300600 * ms, 100), 0);      /* B expired, behind A */
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 300900 * ms, 100), 2);      /* A, then B: 0.4 s late */
	mg_nat_get_stats(nat, &st);
	CU_ASSERT_EQUAL(st.sessions, 0);

	/* C queued at 1000 s, D at 1000.5 s; C touched at 1002 s moves behind D, so D goes on time. */
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5002, 1000 * T_SEC, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5003, 1000500 * ms, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5002, 1002 * T_SEC, false, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_expire(nat, 1300500 * ms, 100), 1);     /* D, at its expiry */
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5002, 1302 * T_SEC - 1, false, NULL), MG_NAT_OK);

	/* A lookup right at E's expiry misses, although reclaim has not reached E. */
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5004, 2000 * T_SEC, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5004, 2300 * T_SEC, false, NULL), MG_NAT_MISS);
	mg_nat_destroy(nat);
}

static void
test_flush_peer(void)
{
	struct mg_nat *nat = t_nat("s_flush");
	struct mg_nat_stats st;

	CU_ASSERT_EQUAL(udp_out(nat, 1, 5000, 0, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5001, 0, true, NULL), MG_NAT_OK);
	CU_ASSERT_EQUAL(udp_out(nat, 2, 5000, 0, true, NULL), MG_NAT_OK);
	mg_nat_flush_peer(nat, 1);
	CU_ASSERT_EQUAL(mg_nat_peer_sessions(nat, 1), 0);
	CU_ASSERT_EQUAL(udp_out(nat, 1, 5000, T_SEC, false, NULL), MG_NAT_MISS);
	CU_ASSERT_EQUAL(udp_out(nat, 2, 5000, T_SEC, false, NULL), MG_NAT_OK);
	mg_nat_get_stats(nat, &st);
	CU_ASSERT_EQUAL(st.flushed, 2);
	CU_ASSERT_EQUAL(st.sessions, 1);
	mg_nat_destroy(nat);
}

int
main(int argc, char **argv)
{
	static const struct mg_cunit_case cases[] = {
		{ "udp timeout 300 s, refreshed by traffic", test_udp_timeout },
		{ "udp timeout never below 120 s", test_udp_timeout_floor },
		{ "icmp echo timeout 60 s", test_icmp_timeout },
		{ "tcp: only SYN opens; SYN only is transitory", test_tcp_syn_only_is_transitory },
		{ "tcp: established 7440 s, FIN both ways transitory", test_tcp_established_and_close },
		{ "tcp: half open and RST are transitory", test_tcp_rst_and_half_open },
		{ "table full", test_table_full },
		{ "per-peer limit", test_peer_limit },
		{ "port reuse delay", test_port_reuse_delay },
		{ "seeded random port choice", test_seeded_port_choice },
		{ "expire budget", test_expire_budget },
		{ "lazy timer lists: freed at most a second late, never used once expired",
		  test_expire_lazy_lists },
		{ "flush peer", test_flush_peer },
	};

	(void)argc;
	return t_run(argv[0], "nat_state", cases, RTE_DIM(cases));
}
