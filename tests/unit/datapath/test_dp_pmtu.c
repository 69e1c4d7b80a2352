/* Path MTU discovery through the tunnel (RFC 1191, RFC 1812 5.2.7.1): a packet from the
 * internet with DF set that is larger than the tunnel MTU is dropped as too_big and its sender
 * gets ICMP "fragmentation needed" with the tunnel MTU as next-hop MTU — but only for a packet
 * that belongs to a NAT session, so strangers cannot probe the gateway. TCP is covered by MSS
 * clamping; this is what keeps UDP and ICMP flows from being black-holed.
 */
#include <string.h>

#include "dp_test_env.h"

enum { CLIENT_SPORT = 7300, REMOTE_PORT = 7400, BIG = DPT_TUNNEL_MTU + 30 };

static struct dpt_env env;

static void
test_big_df_packet_gets_frag_needed(void)
{
	static uint8_t data[BIG];
	uint8_t inner[128], big[DPT_MAX_PKT];
	struct rte_mbuf *m[4];
	uint32_t len, blen;
	uint16_t mapped;
	unsigned n;

	dpt_setup(&env, true);
	len = dpt_build_udp(inner, DPT_CLIENT_INNER, CLIENT_SPORT, DPT_REMOTE_IP, REMOTE_PORT, 64,
			    data, 16);
	dpt_inject(DPT_MESH, dpt_client_frame(&env, inner, len));
	dpt_run(&env);
	CU_ASSERT_EQUAL_FATAL(dpt_collect(DPT_INET, m, 4), 1);
	mapped = (uint16_t)(rte_pktmbuf_mtod(m[0], uint8_t *)[14 + 20] << 8 |
			    rte_pktmbuf_mtod(m[0], uint8_t *)[14 + 21]);
	rte_pktmbuf_free(m[0]);

	blen = dpt_build_udp(big, DPT_REMOTE_IP, REMOTE_PORT, DPT_INET_IP, mapped, 64, data,
			     BIG - 28); /* DF is set by the builder */
	dpt_inject(DPT_INET, dpt_inet_frame(big, blen));
	dpt_run(&env);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_TOO_BIG), 1);
	n = dpt_collect(DPT_INET, m, 4);
	CU_ASSERT_EQUAL(n, 1); /* expected: ICMP 3/4 to 192.0.2.80; today: nothing */
	if (n == 1) {
		const uint8_t *ip = rte_pktmbuf_mtod(m[0], uint8_t *) + 14;
		CU_ASSERT_EQUAL(ip[9], IPPROTO_ICMP);
		CU_ASSERT_EQUAL(ip[20], 3);
		CU_ASSERT_EQUAL(ip[21], 4);
		CU_ASSERT_EQUAL(ip[26] << 8 | ip[27], DPT_TUNNEL_MTU);
		dpt_check_csums(ip);
	}
	rte_pktmbuf_free_bulk(m, n);
	dpt_teardown(&env);
}

static void
test_big_df_packet_without_session_is_silent(void)
{
	static uint8_t data[BIG];
	uint8_t big[DPT_MAX_PKT];
	struct rte_mbuf *m[4];
	uint32_t blen;
	unsigned n;

	dpt_setup(&env, true);
	blen = dpt_build_udp(big, DPT_REMOTE_IP, REMOTE_PORT, DPT_INET_IP, DPT_NAT_PORT_LO + 7, 64,
			     data, BIG - 28);
	dpt_inject(DPT_INET, dpt_inet_frame(big, blen));
	dpt_run(&env);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_TOO_BIG), 1);
	n = dpt_collect(DPT_INET, m, 4);
	CU_ASSERT_EQUAL(n, 0); /* no session: no ICMP for a stranger */
	rte_pktmbuf_free_bulk(m, n);
	n = dpt_collect(DPT_MESH, m, 4);
	CU_ASSERT_EQUAL(n, 0);
	rte_pktmbuf_free_bulk(m, n);
	dpt_teardown(&env);
}

int
main(int argc, char **argv)
{
	static const struct mg_cunit_case cases[] = {
		{ "DF packet over the tunnel MTU gets ICMP frag needed",
		  test_big_df_packet_gets_frag_needed },
		{ "no ICMP for an oversized packet without a session",
		  test_big_df_packet_without_session_is_silent },
	};

	(void)argc;
	return dpt_main(argv[0], "datapath_pmtu", cases, RTE_DIM(cases));
}
