/* From the `mesh` group of the configuration to the mesh node's own configuration: the Ed25519
 * key from the identity seed, the record the node announces about itself (WireGuard key, roles,
 * region, capacity, exit policy summary, endpoints) and the bootstrap seeds.
 *
 * Endpoint convention (docs/protocol.md): endpoints[0] is where the node's control protocol
 * listens (mesh port address : mesh.port), endpoints[1] its WireGuard endpoint (same address :
 * wireguard.listen_port). An exit originates the route 0.0.0.0/0.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <sodium.h>

#include "mesh_setup.h"

static uint8_t
continent_of(const char *code)
{
	static const char *const codes[] = { "ZZ", "AF", "AN", "AS", "EU", "NA", "OC", "SA" };

	for (uint8_t i = 0; i < RTE_DIM(codes); i++)
		if (strcmp(code, codes[i]) == 0)
			return i; /* the same order as enum mg_mesh_continent */
	return MG_MESH_CONT_UNKNOWN;
}

static void
ipv4_addr(struct mg_mesh_addr *a, uint32_t addr_host, uint16_t port)
{
	uint32_t be = rte_cpu_to_be_32(addr_host);

	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->port = port;
	memcpy(a->ip, &be, 4);
}

/* What the exit lets out, coarsely, from its default-deny list and the operator's rules. */
static uint16_t
exit_policy_summary(const struct mg_config *cfg)
{
	uint16_t p = MG_MESH_EXIT_WEB | MG_MESH_EXIT_TCP_ALL | MG_MESH_EXIT_UDP_ALL |
		     MG_MESH_EXIT_DNS;

	for (unsigned i = 0; i < cfg->n_rules; i++)
		if (cfg->rules[i].action == MG_RULE_ALLOW && cfg->rules[i].port_lo <= 25 &&
		    cfg->rules[i].port_hi >= 25)
			p |= MG_MESH_EXIT_SMTP;
	return p;
}

int
mg_gateway_mesh_config(const struct mg_config *cfg, const struct mg_port_config *mesh_port,
		       struct mg_mesh_config *out, struct mg_mesh_seed *seeds)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	struct mg_mesh_record *self = &out->self;

	memset(out, 0, sizeof(*out));
	mg_mesh_config_defaults(out);
	if (crypto_sign_seed_keypair(pk, out->sign_sk, cfg->mesh_identity_seed) != 0)
		return -1;
	crypto_scalarmult_base(self->wg_key, cfg->private_key);
	self->roles = (uint8_t)cfg->mesh_roles; /* same bits as enum mg_mesh_roles */
	memcpy(self->country, cfg->mesh_country, 2);
	self->continent = continent_of(cfg->mesh_continent);
	self->capacity_mbps = cfg->mesh_capacity_mbps;
	self->exit_policy = (cfg->mesh_roles & MG_MESH_ROLE_CFG_EXIT) ? exit_policy_summary(cfg) : 0;
	self->n_endpoints = 2;
	ipv4_addr(&self->endpoints[0], mesh_port->address.addr, cfg->mesh_port);
	ipv4_addr(&self->endpoints[1], mesh_port->address.addr, cfg->listen_port);
	if (cfg->mesh_roles & MG_MESH_ROLE_CFG_EXIT) {
		/* An exit announces the internet, 0.0.0.0/0, at its capacity: clients and relays
		 * pick exits by the routes' metric and bandwidth. */
		static const struct mg_mesh_prefix internet = { .family = 4, .plen = 0 };

		out->prefixes = &internet;
		out->n_prefixes = 1;
	}
	for (unsigned i = 0; i < cfg->n_mesh_seeds; i++) {
		memset(&seeds[i], 0, sizeof(seeds[i]));
		ipv4_addr(&seeds[i].addr, cfg->mesh_seeds[i].addr, cfg->mesh_seeds[i].port);
	}
	out->seeds = seeds;
	out->n_seeds = cfg->n_mesh_seeds;
	return 0;
}
