/* The built-in defaults of every key (the values conf/meshgate.conf and docs/config.md document),
 * and the release of what a loaded config owns. Defaults hold no ports: every file names its own,
 * and the embedded default (conf/meshgate.conf) supplies the two-port layout.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config.h"

/* Defaults that are not self-explanatory in the code below. */
enum mg_config_default_values {
	DEF_MEMORY_MB = 512,
	DEF_IDLE_MAX_SLEEP_US = 200,
	DEF_MBUFS = 8191,               /* 2^13 - 1: the optimum size for an rte_mempool */
	DEF_LISTEN_PORT = 51820,
	DEF_TUNNEL_MTU = 1420,          /* 1500 minus the 80 bytes of IPv6+UDP+WireGuard overhead */
	DEF_OPEN_MAX_PEERS = 1024,
	DEF_HANDSHAKE_RATE = 20,        /* per second per source address, as Linux WireGuard */
	DEF_HANDSHAKE_BURST = 40,
	DEF_UNDER_LOAD_BACKLOG = 64,
	DEF_NAT_PORT_LO = 1024,
	DEF_NAT_PORT_HI = 65535,
	DEF_NAT_MAX_SESSIONS = 1048576,
	DEF_NAT_MAX_SESSIONS_PER_PEER = 8192,
	DEF_UDP_TIMEOUT_S = 300,        /* RFC 4787 REQ-5 recommends 300 s */
	DEF_TCP_ESTABLISHED_TIMEOUT_S = 7440, /* RFC 5382 REQ-5: 2 h 4 min */
	DEF_TCP_TRANSITORY_TIMEOUT_S = 240,   /* RFC 5382 REQ-5: 4 min */
	DEF_ICMP_TIMEOUT_S = 60,        /* RFC 5508 REQ-1 */
	DEF_PORT_REUSE_DELAY_S = 120,
};

void mg_config_defaults(struct mg_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->source, "<defaults>");
	strcpy(cfg->instance, "meshgate");

	cfg->hugepages = MG_HUGEPAGES_AUTO;
	cfg->memory_mb = DEF_MEMORY_MB;
	cfg->workers = 1;
	cfg->idle_backoff = true;
	cfg->idle_max_sleep_us = DEF_IDLE_MAX_SLEEP_US;
	cfg->stats_interval_s = 0;
	cfg->mbufs = DEF_MBUFS;

	strcpy(cfg->private_key_file, "/var/lib/meshgate/private.key");
	cfg->mesh_port = 51821;
	strcpy(cfg->mesh_identity_key_file, "/var/lib/meshgate/identity.key");
	cfg->mesh_roles = MG_MESH_ROLE_CFG_EXIT;
	strcpy(cfg->mesh_country, "ZZ");
	strcpy(cfg->mesh_continent, "ZZ");
	cfg->mesh_capacity_mbps = 1000;
	cfg->listen_port = DEF_LISTEN_PORT;
	cfg->tunnel_mtu = DEF_TUNNEL_MTU;
	cfg->open_mode = false;
	cfg->open_max_peers = DEF_OPEN_MAX_PEERS;
	cfg->open_allowed_ips[0] = (struct mg_prefix){ .addr = 0, .len = 0 };
	cfg->n_open_allowed_ips = 1;
	cfg->handshake_rate = DEF_HANDSHAKE_RATE;
	cfg->handshake_burst = DEF_HANDSHAKE_BURST;
	cfg->under_load_backlog = DEF_UNDER_LOAD_BACKLOG;

	cfg->nat_public_ip = 0;
	cfg->nat_port_lo = DEF_NAT_PORT_LO;
	cfg->nat_port_hi = DEF_NAT_PORT_HI;
	cfg->nat_max_sessions = DEF_NAT_MAX_SESSIONS;
	cfg->nat_max_sessions_per_peer = DEF_NAT_MAX_SESSIONS_PER_PEER;
	cfg->nat_udp_timeout_s = DEF_UDP_TIMEOUT_S;
	cfg->nat_tcp_established_timeout_s = DEF_TCP_ESTABLISHED_TIMEOUT_S;
	cfg->nat_tcp_transitory_timeout_s = DEF_TCP_TRANSITORY_TIMEOUT_S;
	cfg->nat_icmp_timeout_s = DEF_ICMP_TIMEOUT_S;
	cfg->nat_port_reuse_delay_s = DEF_PORT_REUSE_DELAY_S;

	cfg->policy_icmp_reply = true;
}

void mg_config_free(struct mg_config *cfg)
{
	for (unsigned int i = 0; i < cfg->n_eal_args; i++)
		free(cfg->eal_args[i]);
	cfg->n_eal_args = 0;
	if (cfg->peers != NULL) {
		sodium_memzero(cfg->peers, sizeof(*cfg->peers) * cfg->n_peers);
		free(cfg->peers);
	}
	cfg->peers = NULL;
	cfg->n_peers = 0;
	sodium_memzero(cfg->private_key, sizeof(cfg->private_key));
	sodium_memzero(cfg->mesh_identity_seed, sizeof(cfg->mesh_identity_seed));
	cfg->has_private_key = false;
}

unsigned int
mg_config_dataplane_lcores(const struct mg_config *cfg)
{
	return cfg->datapath == MG_DATAPATH_PIPELINE ? cfg->workers + 3 : cfg->workers;
}

unsigned int
mg_config_port_queues(const struct mg_config *cfg)
{
	return cfg->datapath == MG_DATAPATH_PIPELINE ? 1 : cfg->workers;
}
