/* The gateway a benchmark run measures: a generated configuration (two DPDK ring ports, open mode
 * sized for K peers, NAT sized for the run, run-to-completion or pipeline) assembled by
 * lib/gateway, then K peers published with random session keys installed the way the control
 * lcore installs them after a handshake, and the neighbours resolved (the timed jobs then
 * confirm keypairs as the control lcore does). Ring ports are made here so the benchmark can fill
 * and drain them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_ring.h>
#include <sodium.h>

#include "bench_int.h"
#include "config.h"
#include "dp.h"
#include "gateway.h"
#include "neigh.h"

enum {
	ENDPOINTS_PER_IP = 50000,
};

static const char *const port_names[MG_BENCH_N_PORTS] = { "net_ring0", "net_ring1" };
static volatile bool never_quit;

/* A ring vdev made at run time creates one ring per queue that is both its receive and its
 * transmit ring. That serves here: the benchmark enqueues a burst, the worker's poll receives it
 * and transmits on the other port at the end of the pass, and the benchmark drains that before
 * the next burst, so a frame is never received back. */
static int
make_ports(struct mg_bench_gw *g)
{
	for (unsigned p = 0; p < MG_BENCH_N_PORTS; p++) {
		char n[RTE_RING_NAMESIZE];

		if (rte_vdev_init(port_names[p], NULL) != 0)
			return -1;
		g->port_made[p] = true;
		for (unsigned w = 0; w < g->queues; w++) {
			snprintf(n, sizeof(n), "ETH_RXTX%u_%s", w, port_names[p]);
			g->rx[p][w] = g->tx[p][w] = rte_ring_lookup(n);
			if (g->rx[p][w] == NULL)
				return -1;
		}
	}
	return 0;
}

static int
load_config(struct mg_bench_gw *g, const struct mg_bench_gw_params *p, char *err, size_t errlen)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "instance = \"mgbench\"; hugepages = \"off\"; workers = %u; datapath = \"%s\";\n"
		 "idle_backoff = false; mbufs = %u; stats_interval = 0;\n"
		 "ports = (\n"
		 " { name = \"mesh\"; driver = \"ring\"; role = \"mesh\"; address = \"198.51.100.1/24\";"
		 " rx_desc = 1024; tx_desc = 1024; },\n"
		 " { name = \"inet\"; driver = \"ring\"; role = \"internet\";"
		 " address = \"203.0.113.1/24\"; gateway = \"203.0.113.254\";"
		 " rx_desc = 1024; tx_desc = 1024; }\n);\n"
		 "wireguard = { private_key = \"UExgQJmoDcZWb/vCfgW0uyhXHA/1SXrS9Ey9Gx8i634=\";\n"
		 " listen_port = %u; mtu = 1420;\n"
		 " open = { enabled = true; max_peers = %u; allowed_ips = [ \"100.64.0.0/10\" ]; }; };\n"
		 "nat = { port_range = [ 1024, 65535 ]; max_sessions = %u;"
		 " max_sessions_per_peer = %u; };\n",
		 p->workers, p->pipeline ? "pipeline" : "run-to-completion", MG_BENCH_MBUFS,
		 MG_BENCH_LISTEN_PORT, p->peers, p->nat_sessions, p->nat_sessions);
	return mg_config_load_string(&g->cfg, text, "<benchmark>", err, errlen);
}

static void
set_neigh(struct mg_dp *dp, unsigned port, uint32_t ip_host, uint8_t last)
{
	struct rte_ether_addr mac = { { 0x02, 0, 0, 0, (uint8_t)(port + 1), last } };
	struct mg_neigh_entry *n = mg_neigh_get(dp->neigh, (uint16_t)port, rte_cpu_to_be_32(ip_host));

	if (n != NULL)
		mg_neigh_set_mac(n, &mac, mg_dp_now_ns());
}

/* Peer i: inner address 100.64.0.0 + i + 1 (/32), endpoint 198.51.100.(2 + i / 50000) port
 * 10000 + i % 50000, so a few neighbour entries cover every endpoint. */
void
mg_bench_peer_addrs(uint32_t i, uint32_t *inner, uint32_t *ep_ip, uint16_t *ep_port)
{
	*inner = MG_BENCH_CLIENT_NET + i + 1;
	*ep_ip = MG_BENCH_MESH_IP + 1 + i / ENDPOINTS_PER_IP;
	*ep_port = (uint16_t)(10000 + i % ENDPOINTS_PER_IP);
}

static int
install_peer(struct mg_bench_gw *g, uint32_t i)
{
	struct mg_dp_keys k = { .local_index = i + 1, .remote_index = 0x80000000u + i };
	struct mg_dp_prefix allowed = { .mask_be = 0xffffffff };
	uint32_t released[3], inner, ep_ip;
	unsigned n_rel;
	uint16_t ep_port;
	int rc;

	mg_bench_peer_addrs(i, &inner, &ep_ip, &ep_port);
	allowed.addr_be = rte_cpu_to_be_32(inner);
	if (mg_dp_peer_publish(g->dp, i, &allowed, 1) != 0)
		return -1;
	randombytes_buf(k.send_key, sizeof(k.send_key));
	randombytes_buf(k.recv_key, sizeof(k.recv_key));
	memcpy(g->keys[i], k.recv_key, 32); /* the client seals with what we open with */
	g->dp->peers[i].endpoint = mg_dp_endpoint_pack(rte_cpu_to_be_32(ep_ip),
						       rte_cpu_to_be_16(ep_port));
	/* As responder the keypair is "next" until the client's first packet confirms it: the
	 * worker then posts CONFIRM_NEXT and the jobs rotate it to current as the control lcore
	 * would (drain_events in bench_run.c). Confirming here would do nothing yet. */
	rc = mg_dp_keypair_install(g->dp, i, &k, mg_dp_now_ns(), released, &n_rel);
	sodium_memzero(&k, sizeof(k));
	return rc != 0 ? -1 : 0;
}

static int
install_peers(struct mg_bench_gw *g)
{
	g->keys = calloc(g->peers, sizeof(*g->keys));
	g->counter = calloc(g->peers, sizeof(*g->counter));
	if (g->keys == NULL || g->counter == NULL)
		return -1;
	for (uint32_t i = 0; i < g->peers; i++)
		if (install_peer(g, i) != 0)
			return -1;
	set_neigh(g->dp, MG_BENCH_INET, MG_BENCH_INET_GW, 0xfe);
	for (uint32_t ip = 0; ip <= g->peers / ENDPOINTS_PER_IP; ip++)
		set_neigh(g->dp, MG_BENCH_MESH, MG_BENCH_MESH_IP + 1 + ip, (uint8_t)(2 + ip));
	return 0;
}

/* Touch every mbuf of the pool once: with --no-huge its pages are faulted in lazily, and the
 * first measurement would otherwise pay for that. */
static void
prefault_pool(struct rte_mempool *pool)
{
	unsigned n = rte_mempool_avail_count(pool), k = 0;
	struct rte_mbuf **all = calloc(n, sizeof(*all));

	if (all == NULL)
		return;
	while (k < n && (all[k] = rte_pktmbuf_alloc(pool)) != NULL) {
		memset(rte_pktmbuf_mtod(all[k], void *), 0, rte_pktmbuf_tailroom(all[k]));
		k++;
	}
	if (k)
		rte_pktmbuf_free_bulk(all, k);
	free(all);
}

struct mg_bench_gw *
mg_bench_gw_create(const struct mg_bench_gw_params *p, char *err, size_t errlen)
{
	struct mg_bench_gw *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->peers = p->peers;
	g->pipeline = p->pipeline;
	rte_spinlock_init(&g->control);
	if (load_config(g, p, err, errlen) != 0)
		goto fail_config;
	g->cfg_loaded = true;
	g->workers = mg_config_dataplane_lcores(&g->cfg);
	g->queues = mg_config_port_queues(&g->cfg);
	if (g->workers > MG_BENCH_MAX_WORKERS) {
		snprintf(err, errlen, "%u data-plane lcores: at most %u", g->workers,
			 MG_BENCH_MAX_WORKERS);
		goto fail;
	}
	if (make_ports(g) != 0) {
		snprintf(err, errlen, "ring ports %s, %s: cannot create", port_names[0],
			 port_names[1]);
		goto fail;
	}
	g->gw = mg_gateway_create(&g->cfg, &never_quit, err, errlen);
	if (g->gw == NULL)
		goto fail;
	g->dp = mg_gateway_dp(g->gw);
	if (install_peers(g) != 0) {
		snprintf(err, errlen, "cannot install %u peers (memory?)", g->peers);
		goto fail;
	}
	for (unsigned w = 0; w < g->workers; w++)
		g->w[w] = g->dp->workers[w];
	prefault_pool(g->w[0]->pool);
	return g;
fail:
	mg_bench_gw_destroy(g);
	return NULL;
fail_config:
	free(g);
	return NULL;
}

static void
ring_drain(struct rte_ring *r)
{
	void *m;

	while (r != NULL && rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

void
mg_bench_gw_destroy(struct mg_bench_gw *g)
{
	if (g == NULL)
		return;
	if (g->keys != NULL)
		sodium_memzero(g->keys, (size_t)g->peers * sizeof(*g->keys));
	free(g->keys);
	free(g->counter);
	for (unsigned p = 0; p < MG_BENCH_N_PORTS; p++) /* mbufs back before the pool goes */
		for (unsigned w = 0; w < g->queues; w++)
			ring_drain(g->rx[p][w]);
	mg_gateway_destroy(g->gw); /* stops and closes the ports */
	for (unsigned p = 0; p < MG_BENCH_N_PORTS; p++)
		if (g->port_made[p])
			rte_vdev_uninit(port_names[p]); /* frees the port's rings */
	if (g->cfg_loaded)
		mg_config_free(&g->cfg);
	free(g);
}
