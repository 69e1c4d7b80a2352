/* The data-plane suites' gateway assembly (see dp_test_env.h): EAL, the mbuf pool and the two
 * ring ports once per process; per test the tables, policy, NAT, worker and a keypair from a
 * real handshake between two lib/wg devices, in the order app/meshgate/gateway.c uses.
 */
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <sodium.h>

#include "device.h"
#include "dp_test_env.h"
#include "nat.h"
#include "neigh.h"
#include "policy.h"

enum {
	POOL_SIZE = 4095,
	RING_SLOTS = 256,
};

static uint16_t port_id[DPT_N_PORTS];

static int
port_create(unsigned i)
{
	static const char *const names[DPT_N_PORTS] = { "dpt_mesh", "dpt_inet" };
	struct rte_eth_conf conf = { 0 };
	char rn[32];
	int id;

	snprintf(rn, sizeof(rn), "dpt_rx%u", i);
	dpt_rx_ring[i] = rte_ring_create(rn, RING_SLOTS, SOCKET_ID_ANY, 0);
	snprintf(rn, sizeof(rn), "dpt_tx%u", i);
	dpt_tx_ring[i] = rte_ring_create(rn, RING_SLOTS, SOCKET_ID_ANY, 0);
	if (dpt_rx_ring[i] == NULL || dpt_tx_ring[i] == NULL)
		return -1;
	id = rte_eth_from_rings(names[i], &dpt_rx_ring[i], 1, &dpt_tx_ring[i], 1,
				(unsigned)rte_socket_id());
	if (id < 0)
		return -1;
	port_id[i] = (uint16_t)id;
	/* The ring PMD's burst functions only become reachable once the port is started. */
	if (rte_eth_dev_configure(port_id[i], 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port_id[i], 0, RING_SLOTS, SOCKET_ID_ANY, NULL, dpt_pool) != 0 ||
	    rte_eth_tx_queue_setup(port_id[i], 0, RING_SLOTS, SOCKET_ID_ANY, NULL) != 0 ||
	    rte_eth_dev_start(port_id[i]) != 0)
		return -1;
	return 0;
}

static int
process_init(const char *prog)
{
	/* --in-memory is refused with --no-huge by DPDK 22.11; --no-shconf leaves no files. */
	char *argv[] = { (char *)prog, "-l", "0", "--no-huge", "--no-pci", "-m", "512",
			 "--no-shconf", "--no-telemetry", "--log-level=error" };

	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0 || sodium_init() < 0)
		return -1;
	mg_dp_clock_init();
	dpt_pool = rte_pktmbuf_pool_create("dpt_pool", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					   (int)rte_socket_id());
	if (dpt_pool == NULL)
		return -1;
	for (unsigned i = 0; i < DPT_N_PORTS; i++)
		if (port_create(i) != 0)
			return -1;
	return 0;
}

int
dpt_main(const char *prog, const char *suite, const struct mg_cunit_case *cases, size_t n)
{
	int rc;

	if (process_init(prog) != 0) {
		fprintf(stderr, "%s: EAL, pool or ring ports could not be set up\n", prog);
		return 2;
	}
	rc = mg_cunit_run(suite, cases, n);
	for (unsigned i = 0; i < DPT_N_PORTS; i++) {
		rte_eth_dev_stop(port_id[i]);
		rte_eth_dev_close(port_id[i]);
	}
	rte_mempool_free(dpt_pool);
	rte_eal_cleanup();
	return rc;
}

void
dpt_setup_ports(struct mg_dp *dp)
{
	struct mg_dp_port *mesh = &dp->ports[DPT_MESH], *inet = &dp->ports[DPT_INET];

	dp->n_ports = DPT_N_PORTS;
	*mesh = (struct mg_dp_port){ .name = "mesh", .port_id = port_id[DPT_MESH],
				     .role = MG_DP_ROLE_MESH, .mtu = 1500, .mac = dpt_mac_mesh,
				     .ip_be = rte_cpu_to_be_32(DPT_MESH_IP),
				     .mask_be = rte_cpu_to_be_32(0xffffff00) };
	*inet = (struct mg_dp_port){ .name = "inet", .port_id = port_id[DPT_INET],
				     .role = MG_DP_ROLE_INTERNET, .mtu = 1500, .mac = dpt_mac_inet,
				     .ip_be = rte_cpu_to_be_32(DPT_INET_IP),
				     .mask_be = rte_cpu_to_be_32(0xffffff00),
				     .gateway_be = rte_cpu_to_be_32(DPT_GATEWAY_IP) };
	dp->mesh_port = DPT_MESH;
	dp->internet_port = DPT_INET;
	dp->public_ip_be = inet->ip_be;
	dp->listen_port_be = rte_cpu_to_be_16(DPT_LISTEN_PORT);
	dp->tunnel_mtu = DPT_TUNNEL_MTU;
	dp->icmp_reply_denied = true;
}

static void
set_neigh(struct mg_dp *dp, unsigned port, uint32_t ip, const struct rte_ether_addr *mac)
{
	struct mg_neigh_entry *n = mg_neigh_get(dp->neigh, (uint16_t)port, rte_cpu_to_be_32(ip));

	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	mg_neigh_set_mac(n, mac, mg_dp_now_ns());
}

/* As gateway.c: own addresses and subnets protected, then the default denies. */
static struct mg_policy *
make_policy(void)
{
	struct mg_policy *p = mg_policy_create();

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(mg_policy_add_protected(p, DPT_MESH_IP, 32), 0);
	CU_ASSERT_EQUAL(mg_policy_add_protected(p, DPT_MESH_IP, 24), 0);
	CU_ASSERT_EQUAL(mg_policy_add_protected(p, DPT_INET_IP, 32), 0);
	CU_ASSERT_EQUAL(mg_policy_add_protected(p, DPT_INET_IP, 24), 0);
	mg_policy_add_default_denies(p);
	return p;
}

static struct mg_nat *
make_nat(void)
{
	struct mg_nat_params np = {
		.name = "dpt_nat", .socket_id = SOCKET_ID_ANY,
		.public_ip = rte_cpu_to_be_32(DPT_INET_IP),
		.port_lo = DPT_NAT_PORT_LO, .port_hi = DPT_NAT_PORT_HI,
		.max_sessions = 256, .max_peers = 4, .seed = 7,
	};
	struct mg_nat *nat = mg_nat_create(&np);

	CU_ASSERT_PTR_NOT_NULL_FATAL(nat);
	return nat;
}

static struct mg_wg_device *
make_device(uint8_t pub[32])
{
	struct mg_wg_device_params p = { .handshake_rate = 20, .handshake_burst = 5,
					 .max_peers = 4 };
	struct mg_wg_device *dev;

	randombytes_buf(p.private_key, sizeof(p.private_key));
	dev = mg_wg_device_create(&p);
	sodium_memzero(p.private_key, sizeof(p.private_key));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	mg_wg_device_public_key(dev, pub);
	return dev;
}

/* Client (initiator) and gateway (responder) devices complete a handshake; the client keeps
 * its keys in e->client, the gateway's go to *gw (caller wipes). */
static void
handshake(struct dpt_env *e, struct mg_dp_keys *gw)
{
	uint8_t pub_c[32], pub_g[32], init[MG_WG_MSG_INITIATION_LEN];
	uint8_t resp[MG_WG_DEVICE_OUT_MIN], none[MG_WG_DEVICE_OUT_MIN];
	struct mg_wg_device *cdev = make_device(pub_c), *gdev = make_device(pub_g);
	struct mg_wg_handshake_result rg, rc;
	struct timespec wall;
	size_t resp_len = 0, none_len = 0;
	uint64_t now = mg_dp_now_ns();

	clock_gettime(CLOCK_REALTIME, &wall);
	CU_ASSERT_EQUAL_FATAL(mg_wg_device_add_peer(cdev, pub_g, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(mg_wg_device_add_peer(gdev, pub_c, NULL), DPT_PEER_ID);
	CU_ASSERT_EQUAL_FATAL(mg_wg_device_create_initiation(cdev, 0, now, &wall, init), 0);
	mg_wg_device_handle(gdev, rte_cpu_to_be_32(DPT_CLIENT_EP_IP),
			    rte_cpu_to_be_16(DPT_CLIENT_EP_PORT), init, sizeof(init), now, &wall,
			    false, resp, &resp_len, &rg);
	CU_ASSERT_FATAL((rg.actions & MG_WG_ACT_SESSION) && resp_len == MG_WG_MSG_RESPONSE_LEN);
	mg_wg_device_handle(cdev, rte_cpu_to_be_32(DPT_MESH_IP), rte_cpu_to_be_16(DPT_LISTEN_PORT),
			    resp, resp_len, now, &wall, false, none, &none_len, &rc);
	CU_ASSERT_FATAL((rc.actions & MG_WG_ACT_SESSION) && rc.keys.initiator &&
			!rg.keys.initiator);

	memcpy(e->client.send_key, rc.keys.send_key, 32);
	memcpy(e->client.recv_key, rc.keys.recv_key, 32);
	e->client.local_index = rc.keys.local_index;
	e->client.remote_index = rc.keys.remote_index;
	e->client.send_counter = 0;
	memcpy(gw->send_key, rg.keys.send_key, 32);
	memcpy(gw->recv_key, rg.keys.recv_key, 32);
	gw->local_index = rg.keys.local_index;
	gw->remote_index = rg.keys.remote_index;
	gw->initiator = false;
	sodium_memzero(&rg.keys, sizeof(rg.keys));
	sodium_memzero(&rc.keys, sizeof(rc.keys));
	mg_wg_device_destroy(cdev);
	mg_wg_device_destroy(gdev);
}

/* What the control lcore does on CONFIRM_NEXT, after checking that the worker asked for it. */
static void
confirm(struct dpt_env *e)
{
	struct mg_dp_event ev = { 0 };
	uint32_t released[3];
	unsigned n_released = 9;

	dpt_inject(DPT_MESH, dpt_client_frame(e, NULL, 0)); /* keepalive */
	dpt_run(e);
	CU_ASSERT_EQUAL(dpt_drain(), 0);
	CU_ASSERT_EQUAL_FATAL(rte_ring_dequeue_elem(e->w->event_ring, &ev, sizeof(ev)), 0);
	CU_ASSERT_EQUAL(ev.type, MG_DP_EVENT_CONFIRM_NEXT);
	CU_ASSERT_EQUAL(ev.value, DPT_PEER_ID);
	mg_dp_keypair_confirm(e->dp, DPT_PEER_ID, released, &n_released);
	CU_ASSERT_EQUAL(n_released, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->dp->peers[DPT_PEER_ID].current);
	CU_ASSERT_PTR_NULL(e->dp->peers[DPT_PEER_ID].next);
}

static void install(struct dpt_env *e, struct mg_dp_keys *keys);

static void
build_gateway(struct dpt_env *e)
{
	struct mg_dp_params dpp = { .max_peers = 4, .n_workers = 1, .socket_id = SOCKET_ID_ANY };
	struct mg_dp_worker_params wp = { .idx = 0, .lcore = rte_lcore_id(),
					  .socket_id = SOCKET_ID_ANY, .pool = dpt_pool };
	const struct mg_dp_prefix allowed = { .addr_be = rte_cpu_to_be_32(DPT_CLIENT_INNER),
					      .mask_be = 0xffffffff };

	e->dp = mg_dp_create(&dpp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->dp);
	e->quit = false;
	e->dp->quit = &e->quit;
	dpt_setup_ports(e->dp);
	set_neigh(e->dp, DPT_INET, DPT_GATEWAY_IP, &dpt_mac_gateway);
	set_neigh(e->dp, DPT_MESH, DPT_CLIENT_EP_IP, &dpt_mac_client);
	set_neigh(e->dp, DPT_MESH, DPT_ROAM_EP_IP, &dpt_mac_roam);
	e->policy = make_policy();
	e->dp->policy = e->policy;
	e->nat = make_nat();
	wp.nat = e->nat;
	e->w = mg_dp_worker_create(e->dp, &wp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->w);
	e->dp->workers[0] = e->w;
	e->dp->n_workers = 1;
	CU_ASSERT_EQUAL_FATAL(mg_dp_peer_publish(e->dp, DPT_PEER_ID, &allowed, 1), 0);
	/* This thread is the worker: it reports quiescent states in mg_dp_worker_poll(). */
	rte_rcu_qsbr_thread_register(e->dp->qsbr, 0);
	rte_rcu_qsbr_thread_online(e->dp->qsbr, 0);
}

void
dpt_setup(struct dpt_env *e, bool confirmed)
{
	struct mg_dp_keys keys;

	memset(e, 0, sizeof(*e));
	build_gateway(e);
	handshake(e, &keys);
	/* As the control lcore: the handshake's source becomes the endpoint, keys go in. */
	e->dp->peers[DPT_PEER_ID].endpoint =
		mg_dp_endpoint_pack(rte_cpu_to_be_32(DPT_CLIENT_EP_IP),
				    rte_cpu_to_be_16(DPT_CLIENT_EP_PORT));
	install(e, &keys);
	if (confirmed)
		confirm(e);
	dpt_mark(e);
}

static void
install(struct dpt_env *e, struct mg_dp_keys *keys)
{
	uint32_t released[3];
	unsigned n_released = 9;

	CU_ASSERT_EQUAL_FATAL(mg_dp_keypair_install(e->dp, DPT_PEER_ID, keys, mg_dp_now_ns(),
						    released, &n_released), 0);
	sodium_memzero(keys, sizeof(*keys));
	CU_ASSERT_EQUAL(n_released, 0);
}

void
dpt_rekey(struct dpt_env *e, struct dpt_client *old)
{
	struct mg_dp_keys keys;

	*old = e->client;
	handshake(e, &keys);
	install(e, &keys);
}

void
dpt_teardown(struct dpt_env *e)
{
	dpt_drain();
	rte_rcu_qsbr_thread_offline(e->dp->qsbr, 0);
	rte_rcu_qsbr_thread_unregister(e->dp->qsbr, 0);
	mg_dp_worker_destroy(e->w);
	mg_nat_destroy(e->nat);
	mg_policy_destroy(e->policy);
	mg_dp_destroy(e->dp);
	sodium_memzero(&e->client, sizeof(e->client));
	/* Every mbuf the worker took or made was sent (and freed here) or freed by it. */
	CU_ASSERT_EQUAL(rte_mempool_avail_count(dpt_pool), POOL_SIZE);
	memset(e, 0, sizeof(*e));
}
