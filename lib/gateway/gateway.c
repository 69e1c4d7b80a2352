/* Assembly of the gateway from a validated configuration (see gateway.h). Every step that can
 * fail says which port, peer or table it was about. */
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <sodium.h>

#include "control.h"
#include "data_crypto.h"
#include "device.h"
#include "dp.h"
#include "gateway.h"
#include "mesh_setup.h"
#include "nat.h"
#include "pipeline.h"
#include "relay.h"
#include "policy.h"
#include "port.h"
#include "worker.h"

struct mg_gateway {
	const struct mg_config *cfg;
	struct mg_dp *dp;
	struct mg_policy *policy;
	struct mg_wg_device *dev;
	struct mg_control *ctl;
	struct rte_mempool *pool;
	struct mg_dp_prefix open_allowed[MG_CONFIG_MAX_ALLOWED_IPS];
	bool ports_started[MG_CONFIG_MAX_PORTS];
};

static uint32_t
mask_be(uint8_t len)
{
	return rte_cpu_to_be_32(len == 0 ? 0 : ~0u << (32 - len));
}

static struct mg_dp_prefix
to_dp_prefix(const struct mg_prefix *p)
{
	struct mg_dp_prefix d = { .mask_be = mask_be(p->len) };

	d.addr_be = rte_cpu_to_be_32(p->addr) & d.mask_be;
	return d;
}

static int
setup_ports(struct mg_gateway *g, char *err, size_t errlen)
{
	const struct mg_config *cfg = g->cfg;
	struct mg_dp *dp = g->dp;

	dp->n_ports = cfg->n_ports;
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct mg_port_config *pc = &cfg->ports[i];
		struct mg_dp_port *p = &dp->ports[i];

		if (mg_port_lookup(pc, i, &p->port_id) != 0) {
			snprintf(err, errlen, "port %s: device not found (%s %s)", pc->name,
				 pc->driver, pc->iface);
			return -1;
		}
		if (mg_port_start(p->port_id, pc, mg_config_port_queues(cfg), g->pool, &p->mac, err,
				  errlen) != 0)
			return -1;
		g->ports_started[i] = true;
		snprintf(p->name, sizeof(p->name), "%s", pc->name);
		p->role = ((pc->role & MG_PORT_ROLE_MESH) ? MG_DP_ROLE_MESH : 0) |
			  ((pc->role & MG_PORT_ROLE_INTERNET) ? MG_DP_ROLE_INTERNET : 0);
		p->ip_be = rte_cpu_to_be_32(pc->address.addr);
		p->mask_be = mask_be(pc->address.len);
		p->gateway_be = rte_cpu_to_be_32(pc->gateway);
		p->mtu = pc->mtu ? pc->mtu : RTE_ETHER_MTU;
		if (p->role & MG_DP_ROLE_MESH)
			dp->mesh_port = i;
		if (p->role & MG_DP_ROLE_INTERNET)
			dp->internet_port = i;
	}
	dp->public_ip_be = cfg->nat_public_ip ? rte_cpu_to_be_32(cfg->nat_public_ip)
					      : dp->ports[dp->internet_port].ip_be;
	return 0;
}

/* The exit policy: our own addresses and subnets are protected, then the operator's rules, then
 * the default denies. */
static int
setup_policy(struct mg_gateway *g)
{
	const struct mg_config *cfg = g->cfg;

	g->policy = mg_policy_create();
	if (g->policy == NULL)
		return -1;
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct mg_prefix *a = &cfg->ports[i].address;
		mg_policy_add_protected(g->policy, a->addr, 32);
		mg_policy_add_protected(g->policy, a->addr, a->len);
	}
	if (cfg->nat_public_ip)
		mg_policy_add_protected(g->policy, cfg->nat_public_ip, 32);
	for (unsigned i = 0; i < cfg->n_rules; i++) {
		const struct mg_rule_config *r = &cfg->rules[i];
		if (mg_policy_add_rule(g->policy,
				       r->action == MG_RULE_ALLOW ? MG_POLICY_ALLOW : MG_POLICY_DENY,
				       r->prefix.addr, r->prefix.len, r->proto, r->port_lo,
				       r->port_hi) != 0)
			return -1;
	}
	mg_policy_add_default_denies(g->policy);
	g->dp->policy = g->policy;
	return 0;
}

/* NAT instance `idx` of `n`: each owns a slice of the public port range and of the sessions. */
static struct mg_nat *
create_nat(const struct mg_config *cfg, const struct mg_dp *dp, unsigned idx, unsigned n)
{
	uint32_t span = dp->nat_port_span; /* instance i owns [lo + i*span, lo + (i+1)*span) */
	char name[32];
	struct mg_nat_params np = {
		.name = name,
		.socket_id = (int)rte_socket_id(),
		.public_ip = dp->public_ip_be,
		.port_lo = (uint16_t)(cfg->nat_port_lo + idx * span),
		.port_hi = idx + 1 == n ? cfg->nat_port_hi
					: (uint16_t)(cfg->nat_port_lo + (idx + 1) * span - 1),
		.max_sessions = cfg->nat_max_sessions / n,
		.max_sessions_per_peer = cfg->nat_max_sessions_per_peer,
		.max_peers = dp->max_peers,
		.udp_timeout_s = cfg->nat_udp_timeout_s,
		.tcp_established_timeout_s = cfg->nat_tcp_established_timeout_s,
		.tcp_transitory_timeout_s = cfg->nat_tcp_transitory_timeout_s,
		.icmp_timeout_s = cfg->nat_icmp_timeout_s,
		.port_reuse_delay_s = cfg->nat_port_reuse_delay_s,
	};

	randombytes_buf(&np.seed, sizeof(np.seed));
	snprintf(name, sizeof(name), "mg_nat%u", idx);
	return mg_nat_create(&np);
}

/* Data-plane lcore i: every one runs everything, or the pipeline's rx, crypto x workers, NAT, tx. */
static enum mg_dp_role
role_of(const struct mg_config *cfg, unsigned i)
{
	if (cfg->datapath == MG_DATAPATH_RUN_TO_COMPLETION)
		return MG_DP_ROLE_RUN_TO_COMPLETION;
	if (i == 0)
		return MG_DP_ROLE_PIPE_RX;
	if (i <= cfg->workers)
		return MG_DP_ROLE_PIPE_CRYPTO;
	return i == cfg->workers + 1 ? MG_DP_ROLE_PIPE_NAT : MG_DP_ROLE_PIPE_TX;
}

static int
create_worker(struct mg_gateway *g, unsigned i, unsigned lcore, char *err, size_t errlen)
{
	const struct mg_config *cfg = g->cfg;
	enum mg_dp_role role = role_of(cfg, i);
	bool pipeline = cfg->datapath == MG_DATAPATH_PIPELINE;
	struct mg_dp_worker_params wp = {
		.idx = i, .lcore = lcore, .socket_id = (int)rte_lcore_to_socket_id(lcore),
		.pool = g->pool, .role = role, .pipe = g->dp->pipeline,
	};

	if (role == MG_DP_ROLE_RUN_TO_COMPLETION || role == MG_DP_ROLE_PIPE_NAT) {
		wp.nat = pipeline ? create_nat(cfg, g->dp, 0, 1)
				  : create_nat(cfg, g->dp, i, cfg->workers);
		if (wp.nat == NULL)
			goto fail;
	}
	g->dp->workers[i] = mg_dp_worker_create(g->dp, &wp);
	if (g->dp->workers[i] != NULL)
		return 0;
	mg_nat_destroy(wp.nat);
fail:
	snprintf(err, errlen, "data-plane lcore %u: out of memory for its NAT table or rings "
		 "(raise memory_mb)", i);
	return -1;
}

static int
setup_workers(struct mg_gateway *g, char *err, size_t errlen)
{
	const struct mg_config *cfg = g->cfg;
	unsigned n = mg_config_dataplane_lcores(cfg), n_nat, i = 0, lcore;

	n_nat = cfg->datapath == MG_DATAPATH_PIPELINE ? 1 : cfg->workers;
	g->dp->n_workers = n;
	g->dp->nat_port_lo = cfg->nat_port_lo;
	g->dp->nat_port_span = (uint16_t)((cfg->nat_port_hi - cfg->nat_port_lo + 1) / n_nat);
	if (cfg->datapath == MG_DATAPATH_PIPELINE &&
	    (g->dp->pipeline = mg_dp_pipeline_create((int)rte_socket_id())) == NULL) {
		snprintf(err, errlen, "pipeline: out of memory for its rings");
		return -1;
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i == n)
			break;
		if (create_worker(g, i++, lcore, err, errlen) != 0)
			return -1;
	}
	if (i != n) {
		snprintf(err, errlen, "%u data-plane lcores needed but only %u available", n, i);
		return -1;
	}
	return 0;
}

static int
setup_peers(struct mg_gateway *g, char *err, size_t errlen)
{
	const struct mg_config *cfg = g->cfg;
	struct mg_wg_device_params wp = {
		.handshake_rate = cfg->handshake_rate,
		.handshake_burst = cfg->handshake_burst,
		.open_mode = cfg->open_mode,
		.max_peers = g->dp->max_peers,
	};

	memcpy(wp.private_key, cfg->private_key, sizeof(wp.private_key));
	g->dev = mg_wg_device_create(&wp);
	sodium_memzero(wp.private_key, sizeof(wp.private_key));
	if (g->dev == NULL) {
		snprintf(err, errlen, "wireguard: cannot create the handshake device");
		return -1;
	}
	for (unsigned i = 0; i < cfg->n_peers; i++) {
		const struct mg_peer_config *pc = &cfg->peers[i];
		struct mg_dp_prefix allowed[MG_CONFIG_MAX_ALLOWED_IPS];
		int id = mg_wg_device_add_peer(g->dev, pc->public_key,
					       pc->has_preshared_key ? pc->preshared_key : NULL);

		for (unsigned a = 0; a < pc->n_allowed_ips; a++)
			allowed[a] = to_dp_prefix(&pc->allowed_ips[a]);
		if (id < 0 || mg_dp_peer_publish(g->dp, (uint32_t)id, allowed,
						 (uint16_t)pc->n_allowed_ips) != 0) {
			snprintf(err, errlen, "%s:%d: peers: peer %u cannot be added", cfg->source,
				 pc->line, i);
			return -1;
		}
		for (unsigned w = 0; pc->max_sessions && w < g->dp->n_workers; w++)
			if (g->dp->workers[w]->nat != NULL)
				mg_nat_set_peer_limit(g->dp->workers[w]->nat, (uint32_t)id,
						      pc->max_sessions);
	}
	return 0;
}

static int
setup_control(struct mg_gateway *g, char *err, size_t errlen)
{
	const struct mg_config *cfg = g->cfg;
	struct mg_mesh_seed seeds[MG_CONFIG_MAX_SEEDS];
	struct mg_mesh_config mesh;
	struct mg_control_params cp = {
		.dp = g->dp,
		.dev = g->dev,
		.pool = g->pool,
		.open_allowed = g->open_allowed,
		.n_open_allowed = (uint16_t)cfg->n_open_allowed_ips,
		.under_load_backlog = cfg->under_load_backlog,
		.stats_interval_s = cfg->stats_interval_s,
		.instance = cfg->instance,
	};

	for (unsigned i = 0; i < cfg->n_open_allowed_ips; i++)
		g->open_allowed[i] = to_dp_prefix(&cfg->open_allowed_ips[i]);
	if (cfg->mesh_enabled) {
		if (mg_gateway_mesh_config(cfg, &cfg->ports[g->dp->mesh_port], &mesh, seeds) != 0) {
			snprintf(err, errlen, "mesh: cannot derive the node key");
			return -1;
		}
		if (mg_dp_relay_create(g->dp, mesh.store_cap, (int)rte_socket_id()) != 0) {
			snprintf(err, errlen, "mesh: out of memory for the relay targets");
			sodium_memzero(&mesh, sizeof(mesh));
			return -1;
		}
		g->dp->relay_only = (cfg->mesh_roles & MG_MESH_ROLE_CFG_RELAY) &&
				    !(cfg->mesh_roles & MG_MESH_ROLE_CFG_EXIT);
		cp.mesh = &mesh;
		cp.mesh_port_be = rte_cpu_to_be_16(cfg->mesh_port);
		g->dp->mesh_port_be = cp.mesh_port_be;
	}
	g->ctl = mg_control_create(&cp, err, errlen);
	sodium_memzero(&mesh, sizeof(mesh));
	return g->ctl ? 0 : -1;
}

struct mg_gateway *
mg_gateway_create(const struct mg_config *cfg, volatile bool *quit, char *err, size_t errlen)
{
	struct mg_gateway *g = calloc(1, sizeof(*g));
	struct mg_dp_params dpp = {
		.max_peers = cfg->n_peers + (cfg->open_mode ? cfg->open_max_peers : 0),
		.n_workers = mg_config_dataplane_lcores(cfg),
		.socket_id = (int)rte_socket_id(),
	};

	if (g == NULL)
		return NULL;
	g->cfg = cfg;
	g->pool = rte_pktmbuf_pool_create("mg_pool", cfg->mbufs * (cfg->n_ports + 1), 256, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	g->dp = g->pool ? mg_dp_create(&dpp) : NULL;
	if (g->dp == NULL) {
		snprintf(err, errlen, "out of memory for %u mbufs and %u peers (raise memory_mb)",
			 cfg->mbufs * (cfg->n_ports + 1), dpp.max_peers);
		goto fail;
	}
	g->dp->quit = quit;
	g->dp->listen_port_be = rte_cpu_to_be_16(cfg->listen_port);
	g->dp->tunnel_mtu = cfg->tunnel_mtu;
	g->dp->icmp_reply_denied = cfg->policy_icmp_reply;
	g->dp->idle_backoff = cfg->idle_backoff;
	g->dp->idle_max_sleep_us = cfg->idle_max_sleep_us;
	if (setup_ports(g, err, errlen) != 0 || setup_workers(g, err, errlen) != 0)
		goto fail;
	if (setup_policy(g) != 0) {
		snprintf(err, errlen, "policy: cannot build the rule set");
		goto fail;
	}
	if (setup_peers(g, err, errlen) != 0)
		goto fail;
	if (setup_control(g, err, errlen) != 0)
		goto fail;
	return g;
fail:
	mg_gateway_destroy(g);
	return NULL;
}

void
mg_gateway_run(struct mg_gateway *g)
{
	for (unsigned w = 0; w < g->dp->n_workers; w++)
		rte_eal_remote_launch(mg_dp_lcore_main, g->dp->workers[w], g->dp->workers[w]->lcore);
	mg_control_start(g->ctl);
	mg_control_run(g->ctl, g->dp->quit);
	rte_eal_mp_wait_lcore();
}

void
mg_gateway_print_stats(struct mg_gateway *g)
{
	if (g->ctl)
		mg_control_print_stats(g->ctl, stdout);
}

void
mg_gateway_describe_aead(const struct mg_gateway *g, char *buf, size_t len)
{
	/* Every worker's manager was initialised for the same CPU: the first one speaks for all. */
	snprintf(buf, len, "IPsec-MB %s, %s code path", mg_wg_crypto_version(),
		 g->dp->n_workers > 0 ? mg_wg_crypto_arch(g->dp->workers[0]->crypto) : "no");
}

void
mg_gateway_destroy(struct mg_gateway *g)
{
	if (g == NULL)
		return;
	mg_control_destroy(g->ctl);
	for (unsigned i = 0; g->dp && i < g->cfg->n_ports; i++)
		if (g->ports_started[i])
			mg_port_stop(g->dp->ports[i].port_id);
	for (unsigned w = 0; g->dp && w < g->dp->n_workers; w++) {
		if (g->dp->workers[w] == NULL)
			continue;
		mg_nat_destroy(g->dp->workers[w]->nat);
		mg_dp_worker_destroy(g->dp->workers[w]);
	}
	if (g->dp) {
		mg_dp_pipeline_destroy(g->dp->pipeline);
		mg_dp_relay_destroy(g->dp);
	}
	mg_wg_device_destroy(g->dev);
	mg_policy_destroy(g->policy);
	mg_dp_destroy(g->dp);
	rte_mempool_free(g->pool);
	free(g);
}

struct mg_dp *
mg_gateway_dp(struct mg_gateway *g)
{
	return g->dp;
}

struct mg_wg_device *
mg_gateway_device(struct mg_gateway *g)
{
	return g->dev;
}

struct mg_control *
mg_gateway_control(struct mg_gateway *g)
{
	return g->ctl;
}
