/* What the gateway refuses, and what the client hears about it: spoofed inner sources, expiring
 * TTLs (ICMP time exceeded, RFC 792/1812), destinations the exit policy denies (ICMP destination
 * unreachable, code 13 "communication administratively prohibited", RFC 1812 5.2.7.1), inner
 * fragments, and internet packets that match no NAT session.
 *
 * ICMP errors come back through the tunnel; they are opened with libsodium and checked against
 * the offending packet we built.
 */
#include <string.h>

#include <rte_tcp.h>

#include "dp_test_env.h"

enum {
	CLIENT_SPORT = 7100,
	REMOTE_PORT = 7200,
	ICMP_TIME_EXCEEDED = 11,
	ICMP_UNREACH = 3,
	ICMP_ADMIN_PROHIBITED = 13,
	FRAG_MORE = 0x2000,
};

static struct dpt_env env;
static const uint8_t payload[] = "refused payload";

static uint32_t
inner_udp_to(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t ttl)
{
	return dpt_build_udp(buf, src, CLIENT_SPORT, dst, REMOTE_PORT, ttl, payload,
			     sizeof(payload));
}

static void
send_client(const uint8_t *inner, uint32_t len)
{
	dpt_inject(DPT_MESH, dpt_client_frame(&env, inner, len));
	dpt_run(&env);
}

/* Nothing transmitted on either port. */
static void
expect_silence(void)
{
	CU_ASSERT_EQUAL(dpt_drain(), 0);
}

/* Exactly one frame back to the client, nothing to the internet: an ICMP error of (type, code)
 * from the gateway to the client's inner address that quotes `offending`. */
static void
expect_icmp_back(const uint8_t *offending, uint32_t olen, uint8_t type, uint8_t code)
{
	struct rte_mbuf *m[4];
	uint8_t plain[DPT_MAX_PKT];
	uint32_t plen = 0, tot, quote;

	CU_ASSERT_EQUAL(dpt_collect(DPT_INET, m, 4), 0);
	CU_ASSERT_EQUAL_FATAL(dpt_collect(DPT_MESH, m, 4), 1);
	CU_ASSERT_FATAL(dpt_open_reply(&env, m[0], DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT,
				       &dpt_mac_client, plain, &plen, NULL));
	rte_pktmbuf_free(m[0]);
	tot = (uint32_t)(plain[2] << 8 | plain[3]);
	CU_ASSERT_FATAL(tot >= 20 + 8 + 28 && tot <= plen);
	CU_ASSERT_EQUAL(plain[0], 0x45);
	CU_ASSERT_EQUAL(plain[9], IPPROTO_ICMP);
	CU_ASSERT(plain[8] > 1);
	CU_ASSERT_EQUAL(rte_be_to_cpu_32(*(uint32_t *)(plain + 12)), DPT_INET_IP);
	CU_ASSERT_EQUAL(rte_be_to_cpu_32(*(uint32_t *)(plain + 16)), DPT_CLIENT_INNER);
	CU_ASSERT_EQUAL(plain[20], type);
	CU_ASSERT_EQUAL(plain[21], code);
	dpt_check_csums(plain);
	/* RFC 792: the offending header and at least its first 8 data bytes, unchanged. */
	quote = tot - 28;
	CU_ASSERT(quote >= 28 && quote <= olen);
	CU_ASSERT_EQUAL(memcmp(plain + 28, offending, quote < olen ? quote : olen), 0);
}

static void
test_source_not_allowed(void)
{
	uint8_t inner[128];
	uint32_t len;

	dpt_setup(&env, true);
	len = inner_udp_to(inner, RTE_IPV4(100, 64, 0, 3), DPT_REMOTE_IP, 64);
	send_client(inner, len);
	expect_silence();
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_SOURCE_NOT_ALLOWED), 1);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_ICMP_ERRORS_SENT), 0);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_NAT_CREATED), 0);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_SOURCE_NOT_ALLOWED), 0);
	dpt_teardown(&env);
}

static void
test_ttl_expired(void)
{
	uint8_t inner[128];
	uint32_t len;

	dpt_setup(&env, true);
	len = inner_udp_to(inner, DPT_CLIENT_INNER, DPT_REMOTE_IP, 1);
	send_client(inner, len);
	expect_icmp_back(inner, len, ICMP_TIME_EXCEEDED, 0);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_TTL_EXPIRED), 1);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_ICMP_ERRORS_SENT), 1);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_NAT_CREATED), 0);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_TTL_EXPIRED), 0);

	/* TTL 2 still leaves the gateway, with TTL 1. */
	dpt_mark(&env);
	len = inner_udp_to(inner, DPT_CLIENT_INNER, DPT_REMOTE_IP, 2);
	send_client(inner, len);
	{
		struct rte_mbuf *m[4];
		CU_ASSERT_EQUAL_FATAL(dpt_collect(DPT_INET, m, 4), 1);
		CU_ASSERT_EQUAL(rte_pktmbuf_mtod(m[0], uint8_t *)[14 + 8], 1);
		rte_pktmbuf_free(m[0]);
	}
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_MAX), 0);
	dpt_teardown(&env);
}

/* A destination the policy denies: dropped, counted, and answered with ICMP 3/13. */
static void
check_denied(uint32_t dst)
{
	uint8_t inner[128];
	uint32_t len = inner_udp_to(inner, DPT_CLIENT_INNER, dst, 64);

	dpt_mark(&env);
	send_client(inner, len);
	expect_icmp_back(inner, len, ICMP_UNREACH, ICMP_ADMIN_PROHIBITED);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_POLICY_DENIED), 1);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_NAT_CREATED), 0);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_POLICY_DENIED), 0);
}

static void
test_private_destination_denied(void)
{
	dpt_setup(&env, true);
	check_denied(RTE_IPV4(10, 0, 0, 1));       /* RFC 1918 */
	check_denied(RTE_IPV4(192, 168, 1, 1));
	check_denied(RTE_IPV4(100, 64, 0, 9));     /* another client's tunnel address (RFC 6598) */
	dpt_teardown(&env);
}

static void
test_own_networks_denied(void)
{
	dpt_setup(&env, true);
	check_denied(DPT_GATEWAY_IP);              /* the internet port's subnet */
	check_denied(DPT_INET_IP);                 /* our public address */
	check_denied(RTE_IPV4(198, 51, 100, 77));  /* the mesh port's subnet */
	dpt_teardown(&env);
}

static void
test_smtp_denied(void)
{
	uint8_t inner[128];
	uint32_t len;

	dpt_setup(&env, true);
	len = dpt_build_tcp(inner, DPT_CLIENT_INNER, CLIENT_SPORT, DPT_REMOTE_IP, 25,
			    RTE_TCP_SYN_FLAG, 1460);
	send_client(inner, len);
	expect_icmp_back(inner, len, ICMP_UNREACH, ICMP_ADMIN_PROHIBITED);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_POLICY_DENIED), 1);
	/* The same host on another port is fine. */
	len = dpt_build_tcp(inner, DPT_CLIENT_INNER, CLIENT_SPORT, DPT_REMOTE_IP, 587,
			    RTE_TCP_SYN_FLAG, 1460);
	send_client(inner, len);
	CU_ASSERT_EQUAL(dpt_drain(), 1);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_NAT_CREATED), 1);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_POLICY_DENIED), 0);
	dpt_teardown(&env);
}

static void
set_frag(uint8_t *ip, uint16_t field)
{
	ip[6] = (uint8_t)(field >> 8);
	ip[7] = (uint8_t)field;
	dpt_set_csums(ip);
}

static void
test_inner_fragments_dropped(void)
{
	uint8_t inner[128];
	uint32_t len;

	dpt_setup(&env, true);
	len = inner_udp_to(inner, DPT_CLIENT_INNER, DPT_REMOTE_IP, 64);
	set_frag(inner, FRAG_MORE);                /* first fragment */
	send_client(inner, len);
	expect_silence();
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_INNER_FRAGMENT), 1);

	set_frag(inner, 1480 / 8);             /* last fragment, offset 1480 */
	send_client(inner, len);
	expect_silence();
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_INNER_FRAGMENT), 2);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_NAT_CREATED), 0);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_INNER_FRAGMENT), 0);
	dpt_teardown(&env);
}

static void
test_internet_without_session(void)
{
	uint8_t pkt[128];
	uint32_t len;

	dpt_setup(&env, true);
	len = dpt_build_udp(pkt, DPT_REMOTE_IP, 53, DPT_INET_IP, DPT_NAT_PORT_LO + 5, 64, payload,
			    sizeof(payload));
	dpt_inject(DPT_INET, dpt_inet_frame(pkt, len));
	dpt_run(&env);
	expect_silence();
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_NAT_NO_SESSION), 1);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_ENCRYPTED), 0);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_NAT_NO_SESSION), 0);
	dpt_teardown(&env);
}

int
main(int argc, char **argv)
{
	static const struct mg_cunit_case cases[] = {
		{ "inner source outside allowed IPs dropped", test_source_not_allowed },
		{ "inner TTL 1: ICMP time exceeded through the tunnel", test_ttl_expired },
		{ "private destinations: policy_denied and ICMP 3/13",
		  test_private_destination_denied },
		{ "the gateway's own networks: policy_denied", test_own_networks_denied },
		{ "TCP/25 denied, other ports allowed", test_smtp_denied },
		{ "inner fragments dropped", test_inner_fragments_dropped },
		{ "internet packet without NAT session dropped", test_internet_without_session },
	};

	(void)argc;
	return dpt_main(argv[0], "datapath_refusals", cases, RTE_DIM(cases));
}
