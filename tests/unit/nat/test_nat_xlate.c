/* NAT44 translation tests: address/port rewriting with checksums recomputed from scratch by DPDK,
 * peers with the same inner tuple, endpoint-independent mapping, address-and-port-dependent
 * filtering, ICMP echo, inbound ICMP errors (RFC 5508) and malformed input.
 */
#include <stdlib.h>

#include <rte_malloc.h>

#include "nat_test_util.h"

static uint16_t
sport_of(struct tpkt *p)
{
	return rte_be_to_cpu_16(tp_udp(p)->src_port); /* same offset for TCP */
}

/* The reply the remote would send to the translated packet o. */
static void
reply_to(struct tpkt *r, struct tpkt *o, uint8_t tcp_flags)
{
	struct rte_ipv4_hdr *ip = tp_ip(o);

	t_build(r, ip->next_proto_id, rte_be_to_cpu_32(ip->dst_addr),
		rte_be_to_cpu_16(tp_udp(o)->dst_port), rte_be_to_cpu_32(ip->src_addr),
		sport_of(o), tcp_flags, 33);
}

static void
test_udp_out_and_back(void)
{
	struct mg_nat *nat = t_nat("x_udp");
	struct tpkt o, copy, r;
	uint32_t peer = 99;
	uint16_t pub;

	t_build(&o, IPPROTO_UDP, T_CLIENT, 5000, T_REMOTE, 53, 0, 40);
	copy = o;
	CU_ASSERT_EQUAL(mg_nat_out_lookup(nat, 3, tp_ip(&o), o.len, 0), MG_NAT_MISS);
	CU_ASSERT(memcmp(o.buf, copy.buf, o.len) == 0);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 3, tp_ip(&o), o.len, 0), MG_NAT_OK);
	CU_ASSERT_EQUAL(tp_ip(&o)->src_addr, rte_cpu_to_be_32(T_PUBLIC));
	CU_ASSERT_EQUAL(tp_ip(&o)->dst_addr, rte_cpu_to_be_32(T_REMOTE));
	pub = sport_of(&o);
	CU_ASSERT(pub >= 20000 && pub <= 29999);
	CU_ASSERT_EQUAL(rte_be_to_cpu_16(tp_udp(&o)->dst_port), 53);
	CU_ASSERT(tp_udp(&o)->dgram_cksum != 0);
	t_check_csums(tp_ip(&o));

	/* Next packet of the flow: fast path, same public port. */
	t_build(&o, IPPROTO_UDP, T_CLIENT, 5000, T_REMOTE, 53, 0, 7);
	CU_ASSERT_EQUAL(mg_nat_out_lookup(nat, 3, tp_ip(&o), o.len, T_SEC), MG_NAT_OK);
	CU_ASSERT_EQUAL(sport_of(&o), pub);
	t_check_csums(tp_ip(&o));

	reply_to(&r, &o, 0);
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&r), r.len, 2 * T_SEC, &peer), MG_NAT_OK);
	CU_ASSERT_EQUAL(peer, 3);
	CU_ASSERT_EQUAL(tp_ip(&r)->dst_addr, rte_cpu_to_be_32(T_CLIENT));
	CU_ASSERT_EQUAL(tp_ip(&r)->src_addr, rte_cpu_to_be_32(T_REMOTE));
	CU_ASSERT_EQUAL(rte_be_to_cpu_16(tp_udp(&r)->dst_port), 5000);
	CU_ASSERT_EQUAL(rte_be_to_cpu_16(tp_udp(&r)->src_port), 53);
	t_check_csums(tp_ip(&r));
	mg_nat_destroy(nat);
}

static void
test_udp_zero_checksum_stays_zero(void)
{
	struct mg_nat *nat = t_nat("x_udp0");
	struct tpkt o, r;
	uint32_t peer;

	t_build(&o, IPPROTO_UDP, T_CLIENT, 6000, T_REMOTE, 4000, 0, 20);
	tp_udp(&o)->dgram_cksum = 0;
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 1, tp_ip(&o), o.len, 0), MG_NAT_OK);
	CU_ASSERT_EQUAL(tp_udp(&o)->dgram_cksum, 0);
	t_check_csums(tp_ip(&o));
	reply_to(&r, &o, 0);
	tp_udp(&r)->dgram_cksum = 0;
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&r), r.len, 0, &peer), MG_NAT_OK);
	CU_ASSERT_EQUAL(tp_udp(&r)->dgram_cksum, 0);
	CU_ASSERT_EQUAL(rte_be_to_cpu_16(tp_udp(&r)->dst_port), 6000);
	t_check_csums(tp_ip(&r));
	mg_nat_destroy(nat);
}

/* A UDP checksum that computes to 0 must be sent as 0xffff (RFC 768). Sweep one payload word
 * over all 65536 values on one flow: exactly one makes the translated sum come out as 0. */
static void
test_udp_checksum_never_zero(void)
{
	struct mg_nat *nat = t_nat("x_udpffff");
	struct tpkt o;
	int hits = 0;

	for (uint32_t w = 0; w < 65536; w++) {
		uint16_t want;

		t_build(&o, IPPROTO_UDP, T_CLIENT, 5000, T_REMOTE, 53, 0, 2);
		memcpy(tp_udp(&o) + 1, &(uint16_t){ (uint16_t)w }, 2);
		tp_udp(&o)->dgram_cksum = 0;
		tp_udp(&o)->dgram_cksum = rte_ipv4_udptcp_cksum(tp_ip(&o), tp_udp(&o));
		CU_ASSERT_EQUAL_FATAL(mg_nat_out_create(nat, 1, tp_ip(&o), o.len, 0), MG_NAT_OK);
		tp_udp(&o)->dgram_cksum = 0;
		want = rte_ipv4_udptcp_cksum(tp_ip(&o), tp_udp(&o));
		if (want != 0xffff)
			continue;
		hits++;
		/* The same packet again, now through the fast path. */
		t_build(&o, IPPROTO_UDP, T_CLIENT, 5000, T_REMOTE, 53, 0, 2);
		memcpy(tp_udp(&o) + 1, &(uint16_t){ (uint16_t)w }, 2);
		tp_udp(&o)->dgram_cksum = 0;
		tp_udp(&o)->dgram_cksum = rte_ipv4_udptcp_cksum(tp_ip(&o), tp_udp(&o));
		CU_ASSERT_EQUAL(mg_nat_out_lookup(nat, 1, tp_ip(&o), o.len, 0), MG_NAT_OK);
		CU_ASSERT_EQUAL(tp_udp(&o)->dgram_cksum, 0xffff);
	}
	CU_ASSERT(hits >= 1);
	mg_nat_destroy(nat);
}

/* Many flows with varied addresses, ports and payloads: every checksum must match a from-scratch
 * computation, both ways, for TCP and UDP. */
static void
test_checksums_many_flows(void)
{
	struct mg_nat *nat = t_nat("x_many");
	struct tpkt o, r;
	uint32_t peer;

	srand(7);
	for (int i = 0; i < 400; i++) {
		uint8_t proto = (i & 1) ? IPPROTO_TCP : IPPROTO_UDP;
		uint32_t src = RTE_IPV4(100, 64 + (rand() & 63), rand() & 255, rand() & 255);
		uint16_t sport = (uint16_t)(1 + rand() % 65535);
		uint32_t dst = RTE_IPV4(198, 51, 100, rand() & 255);
		uint16_t dport = (uint16_t)(1 + rand() % 65535);
		uint16_t plen = (uint16_t)(rand() % 200);

		t_build(&o, proto, src, sport, dst, dport, RTE_TCP_SYN_FLAG, plen);
		CU_ASSERT_EQUAL_FATAL(mg_nat_out_create(nat, (uint32_t)i % 16, tp_ip(&o), o.len,
							(uint64_t)i), MG_NAT_OK);
		t_check_csums(tp_ip(&o));
		reply_to(&r, &o, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
		CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&r), r.len, (uint64_t)i, &peer), MG_NAT_OK);
		CU_ASSERT_EQUAL(peer, (uint32_t)i % 16);
		CU_ASSERT_EQUAL(tp_ip(&r)->dst_addr, rte_cpu_to_be_32(src));
		CU_ASSERT_EQUAL(rte_be_to_cpu_16(tp_udp(&r)->dst_port), sport);
		t_check_csums(tp_ip(&r));
	}
	mg_nat_destroy(nat);
}

static void
test_two_peers_same_inner_tuple(void)
{
	struct mg_nat *nat = t_nat("x_peers");
	struct tpkt a, b, ra, rb;
	uint32_t peer;

	t_build(&a, IPPROTO_UDP, T_CLIENT, 5000, T_REMOTE, 53, 0, 10);
	t_build(&b, IPPROTO_UDP, T_CLIENT, 5000, T_REMOTE, 53, 0, 10);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 1, tp_ip(&a), a.len, 0), MG_NAT_OK);
	/* Peer 2's packet must not hit peer 1's session. */
	CU_ASSERT_EQUAL(mg_nat_out_lookup(nat, 2, tp_ip(&b), b.len, 0), MG_NAT_MISS);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 2, tp_ip(&b), b.len, 0), MG_NAT_OK);
	CU_ASSERT_NOT_EQUAL(sport_of(&a), sport_of(&b));

	reply_to(&rb, &b, 0);
	reply_to(&ra, &a, 0);
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&rb), rb.len, 0, &peer), MG_NAT_OK);
	CU_ASSERT_EQUAL(peer, 2);
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&ra), ra.len, 0, &peer), MG_NAT_OK);
	CU_ASSERT_EQUAL(peer, 1);
	CU_ASSERT_EQUAL(tp_ip(&ra)->dst_addr, rte_cpu_to_be_32(T_CLIENT));
	CU_ASSERT_EQUAL(rte_be_to_cpu_16(tp_udp(&ra)->dst_port), 5000);
	mg_nat_destroy(nat);
}

/* RFC 4787 REQ-1: one public port per inner endpoint, whatever the destination. */
static void
test_endpoint_independent_mapping(void)
{
	struct mg_nat *nat = t_nat("x_eim");
	struct tpkt a, b, c;
	struct mg_nat_stats st;

	t_build(&a, IPPROTO_UDP, T_CLIENT, 5000, T_REMOTE, 53, 0, 10);
	t_build(&b, IPPROTO_UDP, T_CLIENT, 5000, T_REMOTE2, 123, 0, 10);
	t_build(&c, IPPROTO_UDP, T_CLIENT, 5001, T_REMOTE, 53, 0, 10);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 1, tp_ip(&a), a.len, 0), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 1, tp_ip(&b), b.len, 0), MG_NAT_OK);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 1, tp_ip(&c), c.len, 0), MG_NAT_OK);
	CU_ASSERT_EQUAL(sport_of(&a), sport_of(&b));
	CU_ASSERT_NOT_EQUAL(sport_of(&a), sport_of(&c));
	mg_nat_get_stats(nat, &st);
	CU_ASSERT_EQUAL(st.sessions, 3);
	CU_ASSERT_EQUAL(st.mappings, 2);
	CU_ASSERT_EQUAL(st.created, 3);
	CU_ASSERT_EQUAL(st.out_create[MG_NAT_OK], 3);
	mg_nat_destroy(nat);
}

/* Address-and-port-dependent filtering: only the session's remote endpoint gets in. */
static void
test_filtering(void)
{
	struct mg_nat *nat = t_nat("x_filter");
	struct tpkt o, r, copy;
	uint32_t peer = 77;
	uint16_t pub;

	t_build(&o, IPPROTO_UDP, T_CLIENT, 5000, T_REMOTE, 53, 0, 10);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 1, tp_ip(&o), o.len, 0), MG_NAT_OK);
	pub = sport_of(&o);

	t_build(&r, IPPROTO_UDP, T_REMOTE2, 53, T_PUBLIC, pub, 0, 10); /* other host */
	copy = r;
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&r), r.len, 0, &peer), MG_NAT_MISS);
	CU_ASSERT(memcmp(r.buf, copy.buf, r.len) == 0);
	t_build(&r, IPPROTO_UDP, T_REMOTE, 54, T_PUBLIC, pub, 0, 10); /* same host, other port */
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&r), r.len, 0, &peer), MG_NAT_MISS);
	t_build(&r, IPPROTO_TCP, T_REMOTE, 53, T_PUBLIC, pub, RTE_TCP_SYN_FLAG, 0); /* other proto */
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&r), r.len, 0, &peer), MG_NAT_MISS);
	t_build(&r, IPPROTO_UDP, T_REMOTE, 53, T_REMOTE2, pub, 0, 10); /* not our address */
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&r), r.len, 0, &peer), MG_NAT_MISS);
	CU_ASSERT_EQUAL(peer, 77);
	t_build(&r, IPPROTO_UDP, T_REMOTE, 53, T_PUBLIC, pub, 0, 10); /* the session's remote */
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&r), r.len, 0, &peer), MG_NAT_OK);
	mg_nat_destroy(nat);
}

static void
test_icmp_echo(void)
{
	struct mg_nat *nat = t_nat("x_echo");
	struct tpkt o, r;
	uint32_t peer;
	uint16_t pub;

	t_build_echo(&o, RTE_IP_ICMP_ECHO_REQUEST, T_CLIENT, T_REMOTE, 0x1234, 56);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 4, tp_ip(&o), o.len, 0), MG_NAT_OK);
	pub = rte_be_to_cpu_16(tp_icmp(&o)->icmp_ident);
	CU_ASSERT(pub >= 20000 && pub <= 29999);
	CU_ASSERT_EQUAL(tp_ip(&o)->src_addr, rte_cpu_to_be_32(T_PUBLIC));
	CU_ASSERT_EQUAL(rte_be_to_cpu_16(tp_icmp(&o)->icmp_seq_nb), 7);
	t_check_csums(tp_ip(&o));

	t_build_echo(&r, RTE_IP_ICMP_ECHO_REPLY, T_REMOTE, T_PUBLIC, pub, 56);
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&r), r.len, 0, &peer), MG_NAT_OK);
	CU_ASSERT_EQUAL(peer, 4);
	CU_ASSERT_EQUAL(rte_be_to_cpu_16(tp_icmp(&r)->icmp_ident), 0x1234);
	CU_ASSERT_EQUAL(tp_ip(&r)->dst_addr, rte_cpu_to_be_32(T_CLIENT));
	t_check_csums(tp_ip(&r));

	/* An echo request from outside is for the gateway, not a client. */
	t_build_echo(&r, RTE_IP_ICMP_ECHO_REQUEST, T_REMOTE, T_PUBLIC, pub, 8);
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&r), r.len, 0, &peer), MG_NAT_ERR_UNSUPPORTED);
	/* Other ICMP types outbound are not translated (timestamp request, type 13). */
	t_build_echo(&o, 13, T_CLIENT, T_REMOTE, 0x1, 12);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 4, tp_ip(&o), o.len, 0), MG_NAT_ERR_UNSUPPORTED);
	mg_nat_destroy(nat);
}

/* Translate o out for peer, then build an ICMP error from `from` quoting the translated o,
 * run it in, and check the quoted packet reads as the client sent it. */
static void
check_icmp_error(struct mg_nat *nat, struct tpkt *o, uint32_t peer_id, uint8_t type,
		 uint8_t code)
{
	struct tpkt orig = *o, e, copy;
	struct rte_ipv4_hdr *q;
	uint32_t peer = 1000;

	CU_ASSERT_EQUAL_FATAL(mg_nat_out_create(nat, peer_id, tp_ip(o), o->len, 0), MG_NAT_OK);
	t_build_icmp_error(&e, type, code, T_REMOTE2, T_PUBLIC, o);
	copy = e;
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&e), e.len, 0, &peer), MG_NAT_OK);
	CU_ASSERT_EQUAL(peer, peer_id);
	CU_ASSERT_EQUAL(tp_ip(&e)->dst_addr, rte_cpu_to_be_32(T_CLIENT));
	CU_ASSERT_EQUAL(tp_ip(&e)->src_addr, rte_cpu_to_be_32(T_REMOTE2));
	CU_ASSERT_EQUAL(tp_icmp(&e)->icmp_type, type);
	t_check_csums(tp_ip(&e)); /* outer IP header and the ICMP checksum over the quote */
	q = (struct rte_ipv4_hdr *)(tp_icmp(&e) + 1);
	/* The quote is now byte for byte the packet the client sent. */
	CU_ASSERT(memcmp(q, orig.buf, orig.len) == 0);
	t_check_csums(q);
	/* An error about a flow nobody has is left alone. */
	e = copy;
	q = (struct rte_ipv4_hdr *)(tp_icmp(&e) + 1);
	q->dst_addr = rte_cpu_to_be_32(RTE_IPV4(192, 0, 2, 9));
	copy = e;
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&e), e.len, 0, &peer), MG_NAT_MISS);
	CU_ASSERT(memcmp(e.buf, copy.buf, e.len) == 0);
}

static void
test_icmp_errors_in(void)
{
	struct mg_nat *nat = t_nat("x_icmperr");
	struct mg_nat_stats st;
	struct tpkt o;

	t_build(&o, IPPROTO_UDP, T_CLIENT, 5353, T_REMOTE, 9999, 0, 24);
	check_icmp_error(nat, &o, 5, 3, 3); /* port unreachable */
	t_build(&o, IPPROTO_TCP, T_CLIENT, 40000, T_REMOTE, 80, RTE_TCP_SYN_FLAG, 0);
	check_icmp_error(nat, &o, 6, 11, 0); /* time exceeded */
	t_build_echo(&o, RTE_IP_ICMP_ECHO_REQUEST, T_CLIENT, T_REMOTE, 0x4242, 16);
	check_icmp_error(nat, &o, 7, 3, 1); /* host unreachable about a ping */
	t_build(&o, IPPROTO_UDP, T_CLIENT, 5354, T_REMOTE, 9999, 0, 3);
	tp_udp(&o)->dgram_cksum = 0;
	check_icmp_error(nat, &o, 8, 12, 0); /* parameter problem, UDP without checksum */
	mg_nat_get_stats(nat, &st);
	CU_ASSERT_EQUAL(st.icmp_errors_in, 4);
	mg_nat_destroy(nat);
}

/* A router quotes only the IP header and 8 bytes: ports still translated, ICMP checksum right. */
static void
test_icmp_error_short_quote(void)
{
	struct mg_nat *nat = t_nat("x_icmpshort");
	struct tpkt o, e, cut;
	uint32_t peer = 0;
	struct rte_ipv4_hdr *q;

	t_build(&o, IPPROTO_TCP, T_CLIENT, 40001, T_REMOTE, 443, RTE_TCP_SYN_FLAG, 0);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 9, tp_ip(&o), o.len, 0), MG_NAT_OK);
	cut = o;
	cut.len = sizeof(struct rte_ipv4_hdr) + 8;
	t_build_icmp_error(&e, 11, 0, T_REMOTE2, T_PUBLIC, &cut);
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&e), e.len, 0, &peer), MG_NAT_OK);
	CU_ASSERT_EQUAL(peer, 9);
	q = (struct rte_ipv4_hdr *)(tp_icmp(&e) + 1);
	CU_ASSERT_EQUAL(q->src_addr, rte_cpu_to_be_32(T_CLIENT));
	CU_ASSERT_EQUAL(rte_be_to_cpu_16(((struct rte_tcp_hdr *)(q + 1))->src_port), 40001);
	t_check_csums(tp_ip(&e));
	{ /* the quoted IP header checksum, recomputed */
		uint16_t got = q->hdr_checksum;

		q->hdr_checksum = 0;
		CU_ASSERT_EQUAL(got, rte_ipv4_cksum(q));
	}
	/* Fewer than 8 quoted L4 bytes: truncated. */
	cut.len = sizeof(struct rte_ipv4_hdr) + 4;
	t_build_icmp_error(&e, 11, 0, T_REMOTE2, T_PUBLIC, &cut);
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&e), e.len, 0, &peer), MG_NAT_ERR_TRUNCATED);
	mg_nat_destroy(nat);
}

static void
test_malformed(void)
{
	struct mg_nat *nat = t_nat("x_bad");
	struct tpkt o, copy;
	uint32_t peer;

	t_build(&o, IPPROTO_UDP, T_CLIENT, 5000, T_REMOTE, 53, 0, 10);
	copy = o;
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 1, tp_ip(&o), sizeof(struct rte_ipv4_hdr) + 7, 0),
			MG_NAT_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 16, tp_ip(&o), o.len, 0), MG_NAT_ERR_BAD_PEER);
	CU_ASSERT(memcmp(o.buf, copy.buf, o.len) == 0);
	t_build(&o, IPPROTO_TCP, T_CLIENT, 5000, T_REMOTE, 80, RTE_TCP_SYN_FLAG, 0);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 1, tp_ip(&o), sizeof(struct rte_ipv4_hdr) + 19, 0),
			MG_NAT_ERR_TRUNCATED);
	tp_ip(&o)->next_proto_id = 47; /* GRE */
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 1, tp_ip(&o), o.len, 0), MG_NAT_ERR_UNSUPPORTED);
	t_build(&o, IPPROTO_UDP, T_CLIENT, 5000, T_REMOTE, 53, 0, 10);
	tp_ip(&o)->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	CU_ASSERT_EQUAL(mg_nat_out_create(nat, 1, tp_ip(&o), o.len, 0), MG_NAT_ERR_FRAGMENT);
	t_build(&o, IPPROTO_UDP, T_REMOTE, 53, T_PUBLIC, 20000, 0, 10);
	CU_ASSERT_EQUAL(mg_nat_in(nat, tp_ip(&o), sizeof(struct rte_ipv4_hdr) + 4, 0, &peer),
			MG_NAT_ERR_TRUNCATED);
	CU_ASSERT_STRING_EQUAL(mg_nat_result_str(MG_NAT_ERR_TCP_NOT_SYN),
			       "TCP session may only be opened by a SYN");
	CU_ASSERT_STRING_EQUAL(mg_nat_result_str(MG_NAT_OK), "ok");
	mg_nat_destroy(nat);
}

static void
test_create_params(void)
{
	struct mg_nat_params p;
	struct mg_nat *a, *b;

	t_params(&p, "x_par");
	p.port_lo = 3000;
	p.port_hi = 2999;
	CU_ASSERT_PTR_NULL(mg_nat_create(&p));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	t_params(&p, "x_par");
	p.max_sessions = 0;
	CU_ASSERT_PTR_NULL(mg_nat_create(&p));
	t_params(&p, "x_par");
	a = mg_nat_create(&p);
	CU_ASSERT_PTR_NOT_NULL(a);
	b = mg_nat_create(&p); /* same name */
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_EQUAL(rte_errno, EEXIST);
	mg_nat_destroy(a);
	a = mg_nat_create(&p); /* the name is free again */
	CU_ASSERT_PTR_NOT_NULL(a);
	mg_nat_destroy(a);
	p.name = "abcdefghijklmnopqr"; /* 18 characters: the longest that fits the hash names */
	a = mg_nat_create(&p);
	CU_ASSERT_PTR_NOT_NULL(a);
	mg_nat_destroy(a);
	p.name = "abcdefghijklmnopqrs";
	CU_ASSERT_PTR_NULL(mg_nat_create(&p));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
}

/* The estimate must match what the heap actually gives out, within 15 %. */
static void
test_memory_per_session(void)
{
	struct rte_malloc_socket_stats before, after;
	struct mg_nat_params p;
	struct mg_nat *nat;
	const uint32_t n = 1 << 16;
	double per, est = (double)mg_nat_memory_per_session();

	t_params(&p, "x_mem");
	p.max_sessions = n;
	p.max_peers = 1;
	p.port_hi = p.port_lo;
	rte_malloc_get_socket_stats(0, &before);
	nat = mg_nat_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nat);
	rte_malloc_get_socket_stats(0, &after);
	per = (double)(after.heap_allocsz_bytes - before.heap_allocsz_bytes) / n;
	printf("\n    measured %.1f B/session, estimate %.0f B ", per, est);
	CU_ASSERT(est > per * 0.85 && est < per * 1.15);
	mg_nat_destroy(nat);
}

int
main(int argc, char **argv)
{
	static const struct mg_cunit_case cases[] = {
		{ "udp out and back, checksums", test_udp_out_and_back },
		{ "udp checksum 0 stays 0", test_udp_zero_checksum_stays_zero },
		{ "udp checksum computing to 0 is sent as 0xffff", test_udp_checksum_never_zero },
		{ "checksums over 400 flows", test_checksums_many_flows },
		{ "two peers, same inner tuple", test_two_peers_same_inner_tuple },
		{ "endpoint-independent mapping", test_endpoint_independent_mapping },
		{ "address-and-port-dependent filtering", test_filtering },
		{ "icmp echo", test_icmp_echo },
		{ "icmp errors in (RFC 5508)", test_icmp_errors_in },
		{ "icmp error with 8-byte quote", test_icmp_error_short_quote },
		{ "malformed and unsupported", test_malformed },
		{ "create parameters and names", test_create_params },
		{ "memory per session", test_memory_per_session },
	};

	(void)argc;
	return t_run(argv[0], "nat_xlate", cases, RTE_DIM(cases));
}
