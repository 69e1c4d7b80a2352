/* The data-plane suites' fixture (see dp_test_env.h): process-wide EAL, mbuf pool and ring ports;
 * per test a whole gateway built the way app/meshgate/gateway.c builds it, with keys from a real
 * handshake. Client packets are sealed and opened with libsodium and checksums are recomputed
 * with a local RFC 1071 sum, so nothing expected comes from the code under test.
 */
#include <string.h>
#include <time.h>

#include <rte_ring.h>
#include <sodium.h>

#include "dp_test_env.h"

enum {
	RUN_MAX_POLLS = 64,
};

const struct rte_ether_addr dpt_mac_mesh = { { 0x02, 0, 0, 0, 0x01, 0x01 } };
const struct rte_ether_addr dpt_mac_inet = { { 0x02, 0, 0, 0, 0x02, 0x01 } };
const struct rte_ether_addr dpt_mac_client = { { 0x02, 0, 0, 0, 0x01, 0x02 } };
const struct rte_ether_addr dpt_mac_roam = { { 0x02, 0, 0, 0, 0x01, 0x03 } };
const struct rte_ether_addr dpt_mac_gateway = { { 0x02, 0, 0, 0, 0x02, 0xfe } };

/* Created by dp_test_gw.c once per process. */
struct rte_mempool *dpt_pool;
struct rte_ring *dpt_rx_ring[DPT_N_PORTS], *dpt_tx_ring[DPT_N_PORTS];

/* ---- checksums (RFC 1071), independent of DPDK and lib/pkt ---- */

static uint32_t
sum16(const uint8_t *p, uint32_t len, uint32_t acc)
{
	for (uint32_t i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	return acc;
}

static uint16_t
fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* Pseudo-header + L4 sum of the IPv4 packet at ip. */
static uint32_t
l4_sum(const uint8_t *ip)
{
	uint32_t hl = (ip[0] & 0xf) * 4u, tot = (uint32_t)(ip[2] << 8 | ip[3]);
	uint32_t acc = sum16(ip + 12, 8, 0) + ip[9] + (tot - hl);

	return sum16(ip + hl, tot - hl, acc);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

void
dpt_set_csums(uint8_t *ip)
{
	uint32_t hl = (ip[0] & 0xf) * 4u;
	uint8_t *l4 = ip + hl;
	uint8_t *ck = ip[9] == IPPROTO_UDP ? l4 + 6 : ip[9] == IPPROTO_TCP ? l4 + 16 : l4 + 2;

	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~fold(sum16(ip, hl, 0)));
	put16(ck, 0);
	if (ip[9] == IPPROTO_ICMP) {
		uint32_t tot = (uint32_t)(ip[2] << 8 | ip[3]);
		put16(ck, (uint16_t)~fold(sum16(l4, tot - hl, 0)));
	} else {
		uint16_t c = (uint16_t)~fold(l4_sum(ip));
		put16(ck, ip[9] == IPPROTO_UDP && c == 0 ? 0xffff : c);
	}
}

void
dpt_check_csums(const uint8_t *ip)
{
	uint32_t hl = (ip[0] & 0xf) * 4u, tot = (uint32_t)(ip[2] << 8 | ip[3]);
	const uint8_t *l4 = ip + hl;

	CU_ASSERT_EQUAL(fold(sum16(ip, hl, 0)), 0xffff);
	if (ip[9] == IPPROTO_UDP && l4[6] == 0 && l4[7] == 0)
		return; /* no checksum: callers assert on that where it matters */
	if (ip[9] == IPPROTO_UDP || ip[9] == IPPROTO_TCP)
		CU_ASSERT_EQUAL(fold(l4_sum(ip)), 0xffff);
	if (ip[9] == IPPROTO_ICMP)
		CU_ASSERT_EQUAL(fold(sum16(l4, tot - hl, 0)), 0xffff);
}

/* ---- inner packets ---- */

static void
ip_header(uint8_t *ip, uint8_t proto, uint32_t src, uint32_t dst, uint16_t l4len, uint8_t ttl)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	put16(ip + 4, 0x4242);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = ttl;
	ip[9] = proto;
	put32(ip + 12, src);
	put32(ip + 16, dst);
}

uint32_t
dpt_build_udp(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
	      uint8_t ttl, const uint8_t *payload, uint16_t plen)
{
	uint8_t *udp = buf + 20;

	ip_header(buf, IPPROTO_UDP, src, dst, (uint16_t)(8 + plen), ttl);
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + plen));
	memcpy(udp + 8, payload, plen);
	dpt_set_csums(buf);
	return 28u + plen;
}

uint32_t
dpt_build_tcp(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
	      uint8_t flags, uint16_t mss)
{
	uint8_t *tcp = buf + 20;

	ip_header(buf, IPPROTO_TCP, src, dst, 24, 64);
	memset(tcp, 0, 24);
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, 0x01020304);  /* sequence */
	if (flags & 0x10)
		put32(tcp + 8, 0x0a0b0c0d); /* acknowledgement */
	tcp[12] = 6 << 4;            /* data offset: 24 bytes */
	tcp[13] = flags;
	put16(tcp + 14, 64240);      /* window */
	tcp[20] = 2;                 /* option MSS (RFC 9293 3.2) */
	tcp[21] = 4;
	put16(tcp + 22, mss);
	dpt_set_csums(buf);
	return 44;
}

uint32_t
dpt_build_icmp(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
	       uint32_t rest, const uint8_t *data, uint16_t dlen)
{
	uint8_t *icmp = buf + 20;

	ip_header(buf, IPPROTO_ICMP, src, dst, (uint16_t)(8 + dlen), 64);
	icmp[0] = type;
	icmp[1] = code;
	put32(icmp + 4, rest);
	memcpy(icmp + 8, data, dlen);
	dpt_set_csums(buf);
	return 28u + dlen;
}

bool
dpt_ip_hdr_csum_ok(const uint8_t *ip)
{
	return fold(sum16(ip, (ip[0] & 0xf) * 4u, 0)) == 0xffff;
}

/* ---- frames ---- */

static uint8_t *
frame_start(struct rte_mbuf **mp, uint32_t len, const struct rte_ether_addr *dst,
	    const struct rte_ether_addr *src)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpt_pool);
	uint8_t *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* Non-zero bytes behind the frame: padding the gateway adds must be written, not found. */
	memset(rte_pktmbuf_mtod(m, uint8_t *), 0xa5, rte_pktmbuf_tailroom(m));
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + len));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	rte_ether_addr_copy(dst, (struct rte_ether_addr *)p);
	rte_ether_addr_copy(src, (struct rte_ether_addr *)(p + 6));
	put16(p + 12, 0x0800);
	*mp = m;
	return p + 14;
}

static void
wg_nonce(uint8_t nonce[12], uint64_t counter)
{
	memset(nonce, 0, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

struct rte_mbuf *
dpt_wg_frame(const uint8_t key[32], uint32_t receiver, uint64_t counter, const uint8_t *inner,
	     uint32_t len, uint32_t src_ip, uint16_t sport, const struct rte_ether_addr *src_mac)
{
	uint32_t plen = (len + 15) & ~15u, udp_len = 8 + 16 + plen + 16;
	struct rte_mbuf *m;
	uint8_t *ip = frame_start(&m, 20 + udp_len, &dpt_mac_mesh, src_mac);
	uint8_t *udp = ip + 20, *wg = udp + 8, *body = wg + 16, nonce[12];

	ip_header(ip, IPPROTO_UDP, src_ip, DPT_MESH_IP, (uint16_t)udp_len, 64);
	put16(udp, sport);
	put16(udp + 2, DPT_LISTEN_PORT);
	put16(udp + 4, (uint16_t)udp_len);
	for (int i = 0; i < 4; i++) { /* type 4 and reserved zeros, receiver, counter: LE */
		wg[i] = i == 0 ? 4 : 0;
		wg[4 + i] = (uint8_t)(receiver >> (8 * i));
	}
	for (int i = 0; i < 8; i++)
		wg[8 + i] = (uint8_t)(counter >> (8 * i));
	memset(body, 0, plen);
	if (len)
		memcpy(body, inner, len);
	wg_nonce(nonce, counter);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(body, body + plen, NULL, body, plen,
							   NULL, 0, NULL, nonce, key);
	dpt_set_csums(ip);
	return m;
}

struct rte_mbuf *
dpt_client_frame(struct dpt_env *e, const uint8_t *inner, uint32_t len)
{
	return dpt_wg_frame(e->client.send_key, e->client.remote_index, e->client.send_counter++,
			    inner, len, DPT_CLIENT_EP_IP, DPT_CLIENT_EP_PORT, &dpt_mac_client);
}

struct rte_mbuf *
dpt_inet_frame(const uint8_t *ip, uint32_t len)
{
	struct rte_mbuf *m;

	memcpy(frame_start(&m, len, &dpt_mac_inet, &dpt_mac_gateway), ip, len);
	return m;
}

bool
dpt_open_reply(struct dpt_env *e, struct rte_mbuf *m, uint32_t ip_host, uint16_t port,
	       const struct rte_ether_addr *dst_mac, uint8_t *plain, uint32_t *len,
	       uint64_t *counter)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *), *ip = p + 14, *udp = ip + 20;
	const uint8_t *wg = udp + 8;
	uint32_t dlen = rte_pktmbuf_data_len(m), udp_len, clen;
	uint8_t nonce[12];
	uint64_t ctr = 0;

	CU_ASSERT_FATAL(dlen >= 14 + 20 + 8 + 32);
	CU_ASSERT_EQUAL(memcmp(p, dst_mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(p + 6, &dpt_mac_mesh, 6), 0);
	CU_ASSERT_EQUAL(p[12] << 8 | p[13], 0x0800);
	CU_ASSERT_EQUAL(ip[0], 0x45);
	CU_ASSERT_EQUAL(ip[9], IPPROTO_UDP);
	CU_ASSERT_EQUAL(rte_be_to_cpu_32(*(const uint32_t *)(ip + 12)), DPT_MESH_IP);
	CU_ASSERT_EQUAL(rte_be_to_cpu_32(*(const uint32_t *)(ip + 16)), ip_host);
	CU_ASSERT_EQUAL((uint32_t)(ip[2] << 8 | ip[3]), dlen - 14);
	dpt_check_csums(ip);
	CU_ASSERT_EQUAL(udp[0] << 8 | udp[1], DPT_LISTEN_PORT);
	CU_ASSERT_EQUAL(udp[2] << 8 | udp[3], port);
	udp_len = (uint32_t)(udp[4] << 8 | udp[5]);
	CU_ASSERT_EQUAL_FATAL(udp_len, dlen - 14 - 20);
	CU_ASSERT_EQUAL(memcmp(wg, "\x04\x00\x00\x00", 4), 0);
	CU_ASSERT_EQUAL(wg[4] | wg[5] << 8 | wg[6] << 16 | (uint32_t)wg[7] << 24,
			e->client.local_index);
	for (int i = 7; i >= 0; i--)
		ctr = ctr << 8 | wg[8 + i];
	clen = udp_len - 8 - 16 - 16;
	wg_nonce(nonce, ctr);
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(plain, NULL, wg + 16, clen,
							       wg + 16 + clen, NULL, 0, nonce,
							       e->client.recv_key) != 0)
		return false;
	*len = clen;
	if (counter)
		*counter = ctr;
	return true;
}

/* ---- rings and the worker ---- */

void
dpt_inject(enum dpt_port port, struct rte_mbuf *m)
{
	CU_ASSERT_EQUAL_FATAL(rte_ring_enqueue(dpt_rx_ring[port], m), 0);
}

void
dpt_run(struct dpt_env *e)
{
	for (int i = 0; i < RUN_MAX_POLLS; i++)
		if (mg_dp_worker_poll(e->w) == 0)
			return;
	CU_FAIL("worker never went idle");
}

unsigned
dpt_collect(enum dpt_port port, struct rte_mbuf **out, unsigned max)
{
	return rte_ring_dequeue_burst(dpt_tx_ring[port], (void **)out, max, NULL);
}

unsigned
dpt_drain(void)
{
	struct rte_mbuf *m[32];
	unsigned total = 0, n;

	for (unsigned p = 0; p < DPT_N_PORTS; p++) {
		while ((n = rte_ring_dequeue_burst(dpt_tx_ring[p], (void **)m, 32, NULL)) > 0) {
			rte_pktmbuf_free_bulk(m, n);
			total += n;
		}
		while ((n = rte_ring_dequeue_burst(dpt_rx_ring[p], (void **)m, 32, NULL)) > 0)
			rte_pktmbuf_free_bulk(m, n);
	}
	return total;
}

/* ---- counters ---- */

void
dpt_mark(struct dpt_env *e)
{
	e->mark = e->w->counters;
}

uint64_t
dpt_count(const struct dpt_env *e, enum mg_dp_counter c)
{
	return e->w->counters.c[c] - e->mark.c[c];
}

uint64_t
dpt_dropped(const struct dpt_env *e, enum mg_dp_drop d)
{
	return e->w->counters.drop[d] - e->mark.drop[d];
}

struct mg_dp_peer_traffic
dpt_traffic(const struct dpt_env *e)
{
	struct mg_dp_peer_traffic t;

	mg_dp_peer_traffic(e->dp, DPT_PEER_ID, &t);
	return t;
}

uint64_t
dpt_dropped_other(const struct dpt_env *e, enum mg_dp_drop except)
{
	uint64_t n = 0;

	for (unsigned d = 0; d < MG_DP_DROP_MAX; d++)
		if (d != except)
			n += dpt_dropped(e, (enum mg_dp_drop)d);
	return n;
}
