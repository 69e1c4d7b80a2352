/* Whole flows through the worker: a client's UDP packet out to the internet and the reply back
 * through the tunnel, TCP MSS clamping both ways, and endpoint roaming.
 *
 * Frames go in through the ring ports and come out of them; the expected frames follow from the
 * protocols (RFC 791/768/9293 fields and checksums, WireGuard's data message and padding), built
 * and checked with libsodium and a local checksum, not with the code under test.
 */
#include <string.h>

#include <rte_ring.h>
#include <rte_tcp.h>

#include "dp_test_env.h"
#include "neigh.h"

enum {
	CLIENT_SPORT = 5555,
	REMOTE_UDP_PORT = 5353,
	REMOTE_TCP_PORT = 443,
	MSS_IN = 1460,
	MSS_CLAMPED = DPT_TUNNEL_MTU - 40, /* 1380: tunnel MTU minus IPv4 and TCP headers */
};

static struct dpt_env env;
static const uint8_t request[] = "meshgate data plane: request payload";
static const uint8_t reply[] = "reply payload, 37 bytes long.........";

static uint32_t
ip_field32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint16_t
field16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Exactly one frame out of `port` and none out of the other; returns it. */
static struct rte_mbuf *
one_frame(enum dpt_port port)
{
	struct rte_mbuf *m[4];
	unsigned n = dpt_collect(port, m, 4);

	CU_ASSERT_EQUAL(dpt_collect(port == DPT_MESH ? DPT_INET : DPT_MESH, m + n, 4 - n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	return m[0];
}

/* The NATed copy of `inner` out of the internet port; returns the public source port. */
static uint16_t
check_nat_out(struct rte_mbuf *m, const uint8_t *inner, uint32_t len)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *), *ip = p + 14;
	uint16_t sport = field16(ip + 20);

	CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_data_len(m), 14 + len);
	CU_ASSERT_EQUAL(memcmp(p, &dpt_mac_gateway, 6), 0);
	CU_ASSERT_EQUAL(memcmp(p + 6, &dpt_mac_inet, 6), 0);
	CU_ASSERT_EQUAL(field16(p + 12), 0x0800);
	CU_ASSERT_EQUAL(ip_field32(ip + 12), DPT_INET_IP);
	CU_ASSERT_EQUAL(memcmp(ip + 16, inner + 16, 4), 0);  /* destination unchanged */
	CU_ASSERT_EQUAL(ip[8], inner[8] - 1);                 /* TTL */
	CU_ASSERT_EQUAL(memcmp(ip, inner, 8), 0);             /* version .. flags unchanged */
	CU_ASSERT(sport >= DPT_NAT_PORT_LO && sport <= DPT_NAT_PORT_HI);
	CU_ASSERT_EQUAL(memcmp(ip + 22, inner + 22, 2), 0);   /* destination port */
	dpt_check_csums(ip);
	return sport;
}

static void
test_udp_round_trip(void)
{
	uint8_t inner[256], back[256], plain[DPT_MAX_PKT];
	uint32_t len, blen, plen;
	uint64_t ctr = 99;
	uint16_t mapped;
	struct rte_mbuf *m;

	dpt_setup(&env, true);
	len = dpt_build_udp(inner, DPT_CLIENT_INNER, CLIENT_SPORT, DPT_REMOTE_IP,
			    REMOTE_UDP_PORT, 64, request, sizeof(request));
	dpt_inject(DPT_MESH, dpt_client_frame(&env, inner, len));
	dpt_run(&env);
	m = one_frame(DPT_INET);
	mapped = check_nat_out(m, inner, len);
	CU_ASSERT_NOT_EQUAL(field16(rte_pktmbuf_mtod(m, uint8_t *) + 14 + 26), 0); /* UDP csum */
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m, uint8_t *) + 14 + 28, request, sizeof(request)),
			0);
	rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_DECRYPTED), 1);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_NAT_CREATED), 1);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_NAT_OUT), 1);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_TX_PACKETS), 1);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_MAX), 0);

	dpt_mark(&env);
	blen = dpt_build_udp(back, DPT_REMOTE_IP, REMOTE_UDP_PORT, DPT_INET_IP, mapped, 64, reply,
			     sizeof(reply));
	m = dpt_inet_frame(back, blen);
	/* Trailing bytes past the IP total length (as Ethernet padding) are not part of it. */
	memset(rte_pktmbuf_append(m, 10), 0xee, 10);
	dpt_inject(DPT_INET, m);
	dpt_run(&env);
	m = one_frame(DPT_MESH);
	CU_ASSERT_FATAL(dpt_open_reply(&env, m, DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT,
				       &dpt_mac_client, plain, &plen, &ctr));
	rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(ctr, 0); /* the gateway's first message with this keypair */
	/* WireGuard pads the plaintext with zeros to a multiple of 16 (whitepaper 5.4.6). */
	CU_ASSERT_EQUAL_FATAL(plen, (blen + 15) & ~15u);
	for (uint32_t i = blen; i < plen; i++)
		CU_ASSERT_EQUAL(plain[i], 0);
	CU_ASSERT_EQUAL(ip_field32(plain + 12), DPT_REMOTE_IP);
	CU_ASSERT_EQUAL(ip_field32(plain + 16), DPT_CLIENT_INNER);
	CU_ASSERT_EQUAL(plain[8], 63);
	CU_ASSERT_EQUAL(field16(plain + 20), REMOTE_UDP_PORT);
	CU_ASSERT_EQUAL(field16(plain + 22), CLIENT_SPORT);
	CU_ASSERT_EQUAL(field16(plain + 2), blen);
	CU_ASSERT_EQUAL(memcmp(plain + 28, reply, sizeof(reply)), 0);
	dpt_check_csums(plain);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_NAT_IN), 1);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_ENCRYPTED), 1);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_ENCRYPTED_BYTES), blen);
	CU_ASSERT_EQUAL(dpt_traffic(&env).tx_packets, 1);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_MAX), 0);
	dpt_teardown(&env);
}

/* Offset of the MSS value inside the TCP header our builder writes (one option, first). */
enum { MSS_VALUE_OFF = 20 + 2 };

static void
test_tcp_mss_clamped(void)
{
	uint8_t inner[128], back[128], plain[DPT_MAX_PKT];
	uint32_t len, blen, plen;
	struct rte_mbuf *m;
	const uint8_t *ip;
	uint16_t mapped;

	dpt_setup(&env, true);
	len = dpt_build_tcp(inner, DPT_CLIENT_INNER, CLIENT_SPORT, DPT_REMOTE_IP, REMOTE_TCP_PORT,
			    RTE_TCP_SYN_FLAG, MSS_IN);
	dpt_inject(DPT_MESH, dpt_client_frame(&env, inner, len));
	dpt_run(&env);
	m = one_frame(DPT_INET);
	mapped = check_nat_out(m, inner, len);
	ip = rte_pktmbuf_mtod(m, const uint8_t *) + 14;
	CU_ASSERT_EQUAL(ip[20 + 13], RTE_TCP_SYN_FLAG);
	CU_ASSERT_EQUAL(field16(ip + 20 + MSS_VALUE_OFF), MSS_CLAMPED);
	rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_MAX), 0);

	/* The server's SYN-ACK is clamped on its way into the tunnel as well. */
	blen = dpt_build_tcp(back, DPT_REMOTE_IP, REMOTE_TCP_PORT, DPT_INET_IP, mapped,
			     RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, MSS_IN);
	dpt_inject(DPT_INET, dpt_inet_frame(back, blen));
	dpt_run(&env);
	m = one_frame(DPT_MESH);
	CU_ASSERT_FATAL(dpt_open_reply(&env, m, DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT,
				       &dpt_mac_client, plain, &plen, NULL));
	rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(field16(plain + 20 + 2), CLIENT_SPORT);
	CU_ASSERT_EQUAL(field16(plain + 20 + MSS_VALUE_OFF), MSS_CLAMPED);
	dpt_check_csums(plain);

	/* An MSS already below the clamp is left alone. */
	dpt_mark(&env);
	len = dpt_build_tcp(inner, DPT_CLIENT_INNER, CLIENT_SPORT + 1, DPT_REMOTE_IP,
			    REMOTE_TCP_PORT, RTE_TCP_SYN_FLAG, 1200);
	dpt_inject(DPT_MESH, dpt_client_frame(&env, inner, len));
	dpt_run(&env);
	m = one_frame(DPT_INET);
	check_nat_out(m, inner, len);
	CU_ASSERT_EQUAL(field16(rte_pktmbuf_mtod(m, uint8_t *) + 14 + 20 + MSS_VALUE_OFF), 1200);
	rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_MAX), 0);
	dpt_teardown(&env);
}

/* Send `inner` from (ip, port, mac) and expect it NATed out; returns the public port. */
static uint16_t
send_from(uint32_t ip, uint16_t port, const struct rte_ether_addr *mac, const uint8_t *inner,
	  uint32_t len)
{
	struct rte_mbuf *m = dpt_wg_frame(env.client.send_key, env.client.remote_index,
					  env.client.send_counter++, inner, len, ip, port, mac);
	uint16_t mapped;

	dpt_inject(DPT_MESH, m);
	dpt_run(&env);
	m = one_frame(DPT_INET);
	mapped = check_nat_out(m, inner, len);
	rte_pktmbuf_free(m);
	return mapped;
}

static void
test_endpoint_roaming(void)
{
	uint8_t inner[256], back[256], plain[DPT_MAX_PKT];
	uint32_t len, blen, plen;
	uint64_t roam_ep = mg_dp_endpoint_pack(rte_cpu_to_be_32(DPT_ROAM_EP_IP),
					       rte_cpu_to_be_16(DPT_ROAM_EP_PORT));
	uint16_t mapped, mapped2;
	struct rte_mbuf *m;

	dpt_setup(&env, true);
	len = dpt_build_udp(inner, DPT_CLIENT_INNER, CLIENT_SPORT, DPT_REMOTE_IP,
			    REMOTE_UDP_PORT, 64, request, sizeof(request));
	mapped = send_from(DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT, &dpt_mac_client, inner, len);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_ENDPOINT_ROAMED), 0);

	/* A forged packet from yet another address must not move the endpoint. */
	m = dpt_wg_frame(env.client.recv_key, env.client.remote_index, env.client.send_counter,
			 inner, len, RTE_IPV4(198, 51, 100, 9), 4444, &dpt_mac_roam);
	dpt_inject(DPT_MESH, m);
	dpt_run(&env);
	CU_ASSERT_EQUAL(dpt_drain(), 0);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_WG_BAD_TAG), 1);
	CU_ASSERT_NOT_EQUAL(env.dp->peers[DPT_PEER_ID].endpoint, roam_ep);

	mapped2 = send_from(DPT_ROAM_EP_IP, DPT_ROAM_EP_PORT, &dpt_mac_roam, inner, len);
	CU_ASSERT_EQUAL(mapped2, mapped); /* same flow, same mapping */
	CU_ASSERT_EQUAL(env.dp->peers[DPT_PEER_ID].endpoint, roam_ep);
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_ENDPOINT_ROAMED), 1);

	blen = dpt_build_udp(back, DPT_REMOTE_IP, REMOTE_UDP_PORT, DPT_INET_IP, mapped, 64, reply,
			     sizeof(reply));
	dpt_inject(DPT_INET, dpt_inet_frame(back, blen));
	dpt_run(&env);
	m = one_frame(DPT_MESH);
	CU_ASSERT(dpt_open_reply(&env, m, DPT_ROAM_EP_IP, DPT_ROAM_EP_PORT, &dpt_mac_roam, plain,
				 &plen, NULL));
	rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(memcmp(plain + 28, reply, sizeof(reply)), 0);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_WG_BAD_TAG), 0);
	dpt_teardown(&env);
}

/* A next hop without a neighbour entry, for a burst of n replies to a client that moved to
 * new_ep: every packet is dropped and counted, the control lcore is asked to resolve the hop once
 * (the output stage keeps the neighbour it found for the rest of a burst); once the entry exists,
 * every packet of the next burst leaves with its MAC. */
static void
no_neighbour_case(unsigned n, uint32_t new_ep, const struct rte_ether_addr *new_mac)
{
	uint8_t inner[256], back[256], plain[DPT_MAX_PKT];
	struct rte_mbuf *out[MG_DP_BURST];
	uint32_t len, blen, plen;
	struct mg_dp_event ev = { 0 };
	struct mg_neigh_entry *nb;
	uint16_t mapped;
	unsigned got;

	dpt_setup(&env, true);
	len = dpt_build_udp(inner, DPT_CLIENT_INNER, CLIENT_SPORT, DPT_REMOTE_IP,
			    REMOTE_UDP_PORT, 64, request, sizeof(request));
	mapped = send_from(new_ep, DPT_CLIENT_EP_PORT, new_mac, inner, len);
	blen = dpt_build_udp(back, DPT_REMOTE_IP, REMOTE_UDP_PORT, DPT_INET_IP, mapped, 64, reply,
			     sizeof(reply));
	for (unsigned i = 0; i < n; i++)
		dpt_inject(DPT_INET, dpt_inet_frame(back, blen));
	dpt_run(&env);
	CU_ASSERT_EQUAL(dpt_drain(), 0);
	CU_ASSERT_EQUAL(dpt_dropped(&env, MG_DP_DROP_NO_NEIGHBOUR), n);
	CU_ASSERT_EQUAL(rte_ring_count(env.w->event_ring), 1);
	CU_ASSERT_EQUAL_FATAL(rte_ring_dequeue_elem(env.w->event_ring, &ev, sizeof(ev)), 0);
	CU_ASSERT_EQUAL(ev.type & 0xff, MG_DP_EVENT_RESOLVE);
	CU_ASSERT_EQUAL(ev.type >> 8, DPT_MESH);
	CU_ASSERT_EQUAL(ev.value, rte_cpu_to_be_32(new_ep));

	nb = mg_neigh_get(env.dp->neigh, DPT_MESH, rte_cpu_to_be_32(new_ep));
	CU_ASSERT_PTR_NOT_NULL_FATAL(nb);
	mg_neigh_set_mac(nb, new_mac, mg_dp_now_ns());
	for (unsigned i = 0; i < n; i++)
		dpt_inject(DPT_INET, dpt_inet_frame(back, blen));
	dpt_run(&env);
	got = dpt_collect(DPT_MESH, out, MG_DP_BURST);
	CU_ASSERT_EQUAL_FATAL(got, n);
	for (unsigned i = 0; i < got; i++) {
		CU_ASSERT(dpt_open_reply(&env, out[i], new_ep, DPT_CLIENT_EP_PORT, new_mac, plain,
					 &plen, NULL));
		rte_pktmbuf_free(out[i]);
	}
	CU_ASSERT_EQUAL(dpt_drain(), 0);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_NO_NEIGHBOUR), 0);
	dpt_teardown(&env);
}

static void
test_no_neighbour_resolves(void)
{
	const struct rte_ether_addr mac = { { 0x02, 0, 0, 0, 0x01, 0x20 } };

	no_neighbour_case(1, RTE_IPV4(198, 51, 100, 20), &mac);
}

static void
test_no_neighbour_burst(void)
{
	const struct rte_ether_addr mac = { { 0x02, 0, 0, 0, 0x01, 0x21 } };

	no_neighbour_case(3, RTE_IPV4(198, 51, 100, 21), &mac);
}

/* Ping through the gateway (the echo identifier is translated like a port, RFC 5508), and an
 * ICMP error from the internet about a translated UDP flow reaches the client translated back. */
static void
test_icmp_echo_and_error(void)
{
	uint8_t inner[256], back[256], quoted[28], plain[DPT_MAX_PKT];
	uint32_t len, blen, plen;
	const uint8_t *ip;
	uint16_t mapped;
	struct rte_mbuf *m;

	dpt_setup(&env, true);
	len = dpt_build_icmp(inner, DPT_CLIENT_INNER, DPT_REMOTE_IP, 8, 0, 0x12340001u, request,
			     sizeof(request));
	dpt_inject(DPT_MESH, dpt_client_frame(&env, inner, len));
	dpt_run(&env);
	m = one_frame(DPT_INET);
	ip = rte_pktmbuf_mtod(m, const uint8_t *) + 14;
	mapped = field16(ip + 24);
	CU_ASSERT_EQUAL(ip_field32(ip + 12), DPT_INET_IP);
	CU_ASSERT_EQUAL(ip[8], 63);
	CU_ASSERT_EQUAL(ip[20], 8);
	CU_ASSERT(mapped >= DPT_NAT_PORT_LO && mapped <= DPT_NAT_PORT_HI);
	CU_ASSERT_EQUAL(field16(ip + 26), 1);
	CU_ASSERT_EQUAL(memcmp(ip + 28, request, sizeof(request)), 0);
	dpt_check_csums(ip);
	rte_pktmbuf_free(m);

	blen = dpt_build_icmp(back, DPT_REMOTE_IP, DPT_INET_IP, 0, 0, (uint32_t)mapped << 16 | 1,
			      request, sizeof(request));
	dpt_inject(DPT_INET, dpt_inet_frame(back, blen));
	dpt_run(&env);
	m = one_frame(DPT_MESH);
	CU_ASSERT_FATAL(dpt_open_reply(&env, m, DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT,
				       &dpt_mac_client, plain, &plen, NULL));
	rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(ip_field32(plain + 16), DPT_CLIENT_INNER);
	CU_ASSERT_EQUAL(plain[20], 0);
	CU_ASSERT_EQUAL(field16(plain + 24), 0x1234);
	CU_ASSERT_EQUAL(memcmp(plain + 28, request, sizeof(request)), 0);
	dpt_check_csums(plain);

	/* A UDP flow out, then "port unreachable" about its translated first 28 bytes. */
	len = dpt_build_udp(inner, DPT_CLIENT_INNER, CLIENT_SPORT, DPT_REMOTE_IP,
			    REMOTE_UDP_PORT, 64, request, sizeof(request));
	dpt_inject(DPT_MESH, dpt_client_frame(&env, inner, len));
	dpt_run(&env);
	m = one_frame(DPT_INET);
	memcpy(quoted, rte_pktmbuf_mtod(m, uint8_t *) + 14, sizeof(quoted));
	rte_pktmbuf_free(m);
	blen = dpt_build_icmp(back, DPT_REMOTE_IP, DPT_INET_IP, 3, 3, 0, quoted, sizeof(quoted));
	dpt_inject(DPT_INET, dpt_inet_frame(back, blen));
	dpt_run(&env);
	m = one_frame(DPT_MESH);
	CU_ASSERT_FATAL(dpt_open_reply(&env, m, DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT,
				       &dpt_mac_client, plain, &plen, NULL));
	rte_pktmbuf_free(m);
	CU_ASSERT_EQUAL(ip_field32(plain + 16), DPT_CLIENT_INNER);
	CU_ASSERT_EQUAL(plain[20], 3);
	CU_ASSERT_EQUAL(plain[21], 3);
	dpt_check_csums(plain);
	CU_ASSERT_EQUAL(ip_field32(plain + 28 + 12), DPT_CLIENT_INNER); /* the quoted packet */
	CU_ASSERT_EQUAL(ip_field32(plain + 28 + 16), DPT_REMOTE_IP);
	CU_ASSERT_EQUAL(field16(plain + 48), CLIENT_SPORT);
	CU_ASSERT_EQUAL(field16(plain + 50), REMOTE_UDP_PORT);
	CU_ASSERT(dpt_ip_hdr_csum_ok(plain + 28));
	CU_ASSERT_EQUAL(dpt_count(&env, MG_DP_NAT_IN), 2);
	CU_ASSERT_EQUAL(dpt_dropped_other(&env, MG_DP_DROP_MAX), 0);
	dpt_teardown(&env);
}

int
main(int argc, char **argv)
{
	static const struct mg_cunit_case cases[] = {
		{ "client UDP out through NAT, reply back through the tunnel", test_udp_round_trip },
		{ "TCP SYN MSS clamped to tunnel MTU - 40, both ways", test_tcp_mss_clamped },
		{ "authenticated packet from a new endpoint roams the peer", test_endpoint_roaming },
		{ "missing neighbour: dropped, resolution asked, then sent", test_no_neighbour_resolves },
		{ "missing neighbour for a whole burst: each counted, asked once, then all sent",
		  test_no_neighbour_burst },
		{ "ICMP echo round trip; ICMP error from the internet back to the client",
		  test_icmp_echo_and_error },
	};

	(void)argc;
	return dpt_main(argv[0], "datapath_flow", cases, RTE_DIM(cases));
}
