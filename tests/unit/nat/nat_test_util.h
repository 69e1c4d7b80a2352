/* Helpers for the NAT44 unit suites: EAL start-up, packet builders with checksums computed by
 * DPDK from scratch, checksum checks that recompute them the same way, and a CUnit runner.
 *
 * Addresses are given in host order (RTE_IPV4) and stored in network order in packets.
 */
#ifndef MG_NAT_TEST_UTIL_H
#define MG_NAT_TEST_UTIL_H

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "mg_cunit.h"
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "nat.h"

#define T_SEC 1000000000ULL

#define T_PUBLIC RTE_IPV4(203, 0, 113, 1)
#define T_CLIENT RTE_IPV4(100, 64, 0, 2)
#define T_REMOTE RTE_IPV4(198, 51, 100, 1)
#define T_REMOTE2 RTE_IPV4(198, 51, 100, 2)

struct tpkt {
	uint8_t buf[512] __attribute__((aligned(8)));
	uint32_t len;
};

static inline struct rte_ipv4_hdr *
tp_ip(struct tpkt *p)
{
	return (struct rte_ipv4_hdr *)p->buf;
}

static inline void *
tp_l4(struct tpkt *p)
{
	return p->buf + sizeof(struct rte_ipv4_hdr);
}

static inline struct rte_udp_hdr *
tp_udp(struct tpkt *p)
{
	return tp_l4(p);
}

static inline struct rte_tcp_hdr *
tp_tcp(struct tpkt *p)
{
	return tp_l4(p);
}

static inline struct rte_icmp_hdr *
tp_icmp(struct tpkt *p)
{
	return tp_l4(p);
}

static inline void
t_ip_init(uint8_t *buf, uint8_t proto, uint32_t src, uint32_t dst, uint16_t l4len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4len));
	ip->packet_id = rte_cpu_to_be_16(0x1234);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
}

/* Payload bytes derived from a seed so every packet differs. */
static inline void
t_fill(uint8_t *p, uint32_t n, uint32_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 3));
}

/* UDP or TCP packet; ports in host order; checksums computed from scratch by DPDK. */
static inline void
t_build(struct tpkt *p, uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst,
	uint16_t dport, uint8_t tcp_flags, uint16_t plen)
{
	uint16_t hl = proto == IPPROTO_TCP ? sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr);
	struct rte_ipv4_hdr *ip = tp_ip(p);

	memset(p, 0, sizeof(*p));
	t_ip_init(p->buf, proto, src, dst, (uint16_t)(hl + plen));
	t_fill((uint8_t *)tp_l4(p) + hl, plen, sport ^ dport ^ plen);
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = tp_tcp(p);

		t->src_port = rte_cpu_to_be_16(sport);
		t->dst_port = rte_cpu_to_be_16(dport);
		t->sent_seq = rte_cpu_to_be_32(1000 + sport);
		t->data_off = (sizeof(*t) / 4) << 4;
		t->tcp_flags = tcp_flags;
		t->rx_win = rte_cpu_to_be_16(65535);
		t->cksum = rte_ipv4_udptcp_cksum(ip, t);
	} else {
		struct rte_udp_hdr *u = tp_udp(p);

		u->src_port = rte_cpu_to_be_16(sport);
		u->dst_port = rte_cpu_to_be_16(dport);
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(hl + plen));
		u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
	}
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	p->len = (uint32_t)sizeof(*ip) + hl + plen;
}

static inline uint16_t
t_icmp_cksum(const void *icmp, uint32_t len)
{
	uint16_t c = (uint16_t)~rte_raw_cksum(icmp, len);

	return c;
}

static inline void
t_build_echo(struct tpkt *p, uint8_t type, uint32_t src, uint32_t dst, uint16_t id,
	     uint16_t plen)
{
	struct rte_ipv4_hdr *ip = tp_ip(p);
	struct rte_icmp_hdr *ic = tp_icmp(p);

	memset(p, 0, sizeof(*p));
	t_ip_init(p->buf, IPPROTO_ICMP, src, dst, (uint16_t)(sizeof(*ic) + plen));
	ic->icmp_type = type;
	ic->icmp_ident = rte_cpu_to_be_16(id);
	ic->icmp_seq_nb = rte_cpu_to_be_16(7);
	t_fill((uint8_t *)(ic + 1), plen, id);
	ic->icmp_cksum = t_icmp_cksum(ic, sizeof(*ic) + plen);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	p->len = (uint32_t)sizeof(*ip) + sizeof(*ic) + plen;
}

/* ICMP error (type/code) from `from` to `to`, quoting the whole of packet q. */
static inline void
t_build_icmp_error(struct tpkt *p, uint8_t type, uint8_t code, uint32_t from, uint32_t to,
		   const struct tpkt *q)
{
	struct rte_ipv4_hdr *ip = tp_ip(p);
	struct rte_icmp_hdr *ic = tp_icmp(p);

	memset(p, 0, sizeof(*p));
	t_ip_init(p->buf, IPPROTO_ICMP, from, to, (uint16_t)(sizeof(*ic) + q->len));
	ic->icmp_type = type;
	ic->icmp_code = code;
	memcpy(ic + 1, q->buf, q->len);
	ic->icmp_cksum = t_icmp_cksum(ic, sizeof(*ic) + q->len);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	p->len = (uint32_t)sizeof(*ip) + sizeof(*ic) + q->len;
}

/* Ones'-complement 0x0000 and 0xffff are the same checksum, except that UDP reserves 0. */
static inline int
t_csum_same(uint16_t got, uint16_t want, int udp)
{
	if (got == want)
		return 1;
	return !udp && (got == 0 || got == 0xffff) && (want == 0 || want == 0xffff);
}

/* Recompute the IP header and L4 checksums from scratch and compare with what the packet holds.
 * Works on a quoted packet too, as long as it is whole. */
static inline void
t_check_csums(struct rte_ipv4_hdr *ip)
{
	uint16_t got = ip->hdr_checksum, want;
	uint32_t l4len = rte_be_to_cpu_16(ip->total_length) - (uint32_t)sizeof(*ip);
	void *l4 = ip + 1;

	ip->hdr_checksum = 0;
	want = rte_ipv4_cksum(ip);
	ip->hdr_checksum = got;
	CU_ASSERT_EQUAL(got, want);
	if (ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP) {
		uint16_t *f = ip->next_proto_id == IPPROTO_TCP ? &((struct rte_tcp_hdr *)l4)->cksum :
			      &((struct rte_udp_hdr *)l4)->dgram_cksum;
		int udp = ip->next_proto_id == IPPROTO_UDP;

		got = *f;
		if (udp && got == 0)
			return; /* no checksum: the callers check that it stayed 0 */
		*f = 0;
		want = rte_ipv4_udptcp_cksum(ip, l4);
		*f = got;
		CU_ASSERT(t_csum_same(got, want, udp));
	} else if (ip->next_proto_id == IPPROTO_ICMP) {
		struct rte_icmp_hdr *ic = l4;

		got = ic->icmp_cksum;
		ic->icmp_cksum = 0;
		want = t_icmp_cksum(ic, l4len);
		ic->icmp_cksum = got;
		CU_ASSERT(t_csum_same(got, want, 0));
	}
}

/* mg_nat_out_lookup_burst as the egress stage calls it: each packet (lens[i] bytes) parsed first
 * with mg_pkt_ipv4_parse. A packet the parser refuses never reaches NAT: its res[i] is
 * MG_NAT_RESULT_COUNT. */
enum { T_BURST_MAX = 256 };

static inline void
t_out_burst(struct mg_nat *nat, const uint32_t *peers, struct rte_ipv4_hdr *const *ips,
	    const uint32_t *lens, unsigned n, uint64_t now, enum mg_nat_result *res)
{
	struct mg_pkt_ipv4_info info[T_BURST_MAX];
	struct rte_ipv4_hdr *parsed_ips[T_BURST_MAX];
	uint32_t parsed_peers[T_BURST_MAX];
	enum mg_nat_result r[T_BURST_MAX];
	unsigned at[T_BURST_MAX], k = 0;

	CU_ASSERT_FATAL(n <= T_BURST_MAX);
	for (unsigned i = 0; i < n; i++) {
		res[i] = MG_NAT_RESULT_COUNT;
		if (mg_pkt_ipv4_parse((const uint8_t *)ips[i], lens[i], &info[k]) !=
		    MG_PKT_VERDICT_OK)
			continue;
		parsed_ips[k] = ips[i];
		parsed_peers[k] = peers[i];
		at[k++] = i;
	}
	mg_nat_out_lookup_burst(nat, parsed_peers, parsed_ips, info, k, now, r);
	for (unsigned j = 0; j < k; j++)
		res[at[j]] = r[j];
}

static inline void
t_params(struct mg_nat_params *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->socket_id = SOCKET_ID_ANY;
	p->public_ip = rte_cpu_to_be_32(T_PUBLIC);
	p->port_lo = 20000;
	p->port_hi = 29999;
	p->max_sessions = 1024;
	p->max_peers = 16;
	p->seed = 42;
}

/* A NAT instance with t_params() (the test fails at once if it cannot be created). */
static inline struct mg_nat *
t_nat(const char *name)
{
	struct mg_nat_params p;
	struct mg_nat *nat;

	t_params(&p, name);
	nat = mg_nat_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nat);
	return nat;
}

static inline int
t_eal_init(const char *prog)
{
	/* --in-memory is refused with --no-huge by DPDK 22.11 (it implies legacy memory);
	 * --no-shconf alone leaves no files behind, and no telemetry socket is opened. */
	char *argv[] = { (char *)prog, "-l", "0", "--no-huge", "--no-pci", "-m", "256",
			 "--no-shconf", "--no-telemetry", "--log-level=error" };

	return rte_eal_init((int)RTE_DIM(argv), argv);
}

/* Run one suite of cases with the basic interface; non-zero when anything failed. */
static inline int
t_run(const char *prog, const char *suite, const struct mg_cunit_case *cases, size_t n)
{
	int rc;

	if (t_eal_init(prog) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 2;
	}
	rc = mg_cunit_run(suite, cases, n);
	rte_eal_cleanup();
	return rc;
}

#endif /* MG_NAT_TEST_UTIL_H */
