/* Traffic for the benchmark: the flow plan (which peer, source port and destination each flow
 * uses), WireGuard transport frames as a client sends them (inner UDP packet, padding to 16,
 * ChaCha20-Poly1305 with the client's key and next counter) and replies from the internet to the
 * NAT's public address. Everything here runs outside the timed region.
 */
#include <string.h>

#include <rte_ether.h>
#include <rte_udp.h>

#include "bench_int.h"
#include "data_crypto.h"
#include "dp_burst.h"

enum {
	IMIX_PERIOD = 12, /* 7 x 64, 4 x 570, 1 x 1420 */
	WG_HDR = 16,
	WG_TAG = 16,
	OUTER = RTE_ETHER_HDR_LEN + 20 + 8,
};

uint16_t
mg_bench_inner_size(enum mg_bench_size s, unsigned i)
{
	/* IMIX order spreads the big packets: 64 570 64 570 64 570 64 1420 64 570 64 64 */
	static const uint16_t imix[IMIX_PERIOD] = { 64, 570, 64, 570, 64, 570, 64, 1420, 64, 570,
						    64, 64 };

	switch (s) {
	case MG_BENCH_SIZE_64: return 64;
	case MG_BENCH_SIZE_512: return 512;
	case MG_BENCH_SIZE_1420: return 1420;
	default: return imix[i % IMIX_PERIOD];
	}
}

const char *
mg_bench_size_name(enum mg_bench_size s)
{
	static const char *const n[] = { "64", "512", "1420", "imix" };

	return (unsigned)s < RTE_DIM(n) ? n[s] : "?";
}

const char *
mg_bench_dir_name(enum mg_bench_dir d)
{
	static const char *const n[] = { "mesh_to_internet", "internet_to_mesh", "new_flow" };

	return (unsigned)d < RTE_DIM(n) ? n[d] : "?";
}

const char *
mg_bench_role_name(enum mg_bench_role r)
{
	static const char *const n[] = { "rx", "crypto", "nat", "tx" };

	return (unsigned)r < RTE_DIM(n) ? n[r] : "?";
}

void
mg_bench_flow_get(const struct mg_bench_flows *fs, uint32_t f, struct mg_bench_flow *out)
{
	uint32_t owned = (fs->peers - fs->worker + fs->workers - 1) / fs->workers;
	uint32_t a = f % fs->active, j = f / fs->active, r, ep_ip;
	uint16_t ep_port;

	out->peer = fs->worker + fs->workers * (uint32_t)((uint64_t)a * owned / fs->active);
	mg_bench_peer_addrs(out->peer, &out->src, &ep_ip, &ep_port);
	if (fs->n <= fs->active) { /* one flow per peer */
		out->sport = 40000;
		out->dst = MG_BENCH_REMOTE_NET + 1;
		out->dport = MG_BENCH_REMOTE_PORT;
		return;
	}
	out->sport = (uint16_t)(1024 + j % MG_BENCH_SPORTS);
	r = j / MG_BENCH_SPORTS;
	out->dst = MG_BENCH_REMOTE_NET + 1 + r % 254;
	out->dport = (uint16_t)(1 + (r / 254) % 65000);
}

/* IPv4 + UDP of total length len, checksums set; the payload starts with the flow id. */
static void
inner_udp(uint8_t *p, uint16_t len, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
	  uint32_t flow_id)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(p + 20);

	memset(p, 0, len);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(len);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - 20));
	memcpy(p + 28, &flow_id, sizeof(flow_id));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
}

static uint8_t *
frame(struct rte_mbuf *m, uint32_t len, const struct rte_ether_addr *dst, uint8_t src_last)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)len);

	if (eth == NULL)
		return NULL;
	eth->dst_addr = *dst;
	eth->src_addr = (struct rte_ether_addr){ { 0x02, 0, 0, 0, 0x09, src_last } };
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	return (uint8_t *)(eth + 1);
}

static void
outer_ip_udp(uint8_t *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
	     uint16_t udp_len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(p + 20);

	memset(p, 0, 28);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + udp_len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(udp_len);
	/* UDP checksum 0: optional over IPv4, and WireGuard does not send one either. */
}

static int
one_wg(struct mg_bench_gw *g, struct rte_mbuf *m, const struct mg_bench_flow *fl, uint32_t id,
       uint16_t size, struct mg_wg_crypto_op *op)
{
	uint32_t plen = (size + 15u) & ~15u, udp_len = 8 + WG_HDR + plen + WG_TAG, inner, ep_ip;
	uint16_t ep_port;
	uint8_t *ip = frame(m, RTE_ETHER_HDR_LEN + 20 + udp_len, &g->dp->ports[MG_BENCH_MESH].mac,
			    0x02);
	uint8_t *wg, *body;
	uint32_t receiver = fl->peer + 1, type = 4;
	/* atomic: the single-peer lines seal one peer's frames on two lcores at once, and every
	 * counter must be unique for the replay window */
	uint64_t ctr = __atomic_fetch_add(&g->counter[fl->peer], 1, __ATOMIC_RELAXED);

	if (ip == NULL)
		return -1;
	mg_bench_peer_addrs(fl->peer, &inner, &ep_ip, &ep_port);
	outer_ip_udp(ip, ep_ip, MG_BENCH_MESH_IP, ep_port, MG_BENCH_LISTEN_PORT, (uint16_t)udp_len);
	wg = ip + 28;
	body = wg + WG_HDR;
	/* little-endian fields on the wire; this benchmark runs on x86 */
	memcpy(wg, &type, 4);
	memcpy(wg + 4, &receiver, 4);
	memcpy(wg + 8, &ctr, 8);
	inner_udp(body, size, fl->src, fl->dst, fl->sport, fl->dport, id);
	memset(body + size, 0, plen - size);
	*op = (struct mg_wg_crypto_op){ .key = g->keys[fl->peer], .counter = ctr, .buf = body,
					.len = plen, .tag = body + plen };
	return 0;
}

int
mg_bench_build_wg(struct mg_bench_gw *g, struct mg_wg_crypto *c, struct rte_mempool *pool,
		  const struct mg_bench_flow *flows, const uint32_t *flow_ids,
		  const uint16_t *sizes, unsigned n, struct rte_mbuf **pkts)
{
	struct mg_wg_crypto_op ops[MG_BENCH_BURST];

	if (n > MG_BENCH_BURST || rte_pktmbuf_alloc_bulk(pool, pkts, n) != 0)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		if (one_wg(g, pkts[i], &flows[i], flow_ids[i], sizes[i], &ops[i]) != 0) {
			rte_pktmbuf_free_bulk(pkts, n);
			return -1;
		}
	}
	mg_wg_data_seal_burst(c, ops, n);
	return 0;
}

int
mg_bench_build_reply(struct mg_bench_gw *g, struct rte_mempool *pool,
		     const struct mg_bench_flow *flows, const uint16_t *public_port_be,
		     const uint16_t *sizes, unsigned n, struct rte_mbuf **pkts)
{
	if (n > MG_BENCH_BURST || rte_pktmbuf_alloc_bulk(pool, pkts, n) != 0)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *ip = frame(pkts[i], RTE_ETHER_HDR_LEN + sizes[i],
				    &g->dp->ports[MG_BENCH_INET].mac, 0xfe);

		if (ip == NULL) {
			rte_pktmbuf_free_bulk(pkts, n);
			return -1;
		}
		inner_udp(ip, sizes[i], flows[i].dst, MG_BENCH_INET_IP, flows[i].dport,
			  rte_be_to_cpu_16(public_port_be[i]), 0);
	}
	return 0;
}

int
mg_bench_build_inner(struct rte_mempool *pool, const struct mg_bench_flow *flows,
		     const uint16_t *sizes, unsigned n, struct rte_mbuf **pkts)
{
	if (n > MG_BENCH_BURST || rte_pktmbuf_alloc_bulk(pool, pkts, n) != 0)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *ip = (uint8_t *)rte_pktmbuf_append(pkts[i], sizes[i]);

		if (ip == NULL) {
			rte_pktmbuf_free_bulk(pkts, n);
			return -1;
		}
		inner_udp(ip, sizes[i], flows[i].dst, flows[i].src, flows[i].dport, flows[i].sport, 0);
		mg_dp_mbuf_set_peer(pkts[i], flows[i].peer);
	}
	return 0;
}

bool
mg_bench_parse_out(const struct rte_mbuf *m, uint32_t *flow_id, uint16_t *sport_be)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 20);

	if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + 28 + 4 || ip[9] != IPPROTO_UDP ||
	    (ip[0] & 0xf) != 5)
		return false;
	memcpy(flow_id, ip + 28, sizeof(*flow_id));
	*sport_be = udp->src_port;
	return true;
}
