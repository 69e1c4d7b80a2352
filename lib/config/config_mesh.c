/* The `mesh` group: the node's part in the mesh control plane — its identity key file, the UDP
 * port of the control protocol, bootstrap seeds ("address:port"), the roles and region it
 * announces and its capacity. An empty or absent group leaves the mesh disabled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_internal.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct mg_cfg_key mesh_keys[] = {
	{ "enabled", MG_CFG_BOOL }, { "port", MG_CFG_INT },
	{ "identity_key_file", MG_CFG_STRING }, { "seeds", MG_CFG_SCALAR_LIST },
	{ "roles", MG_CFG_SCALAR_LIST }, { "country", MG_CFG_STRING },
	{ "continent", MG_CFG_STRING }, { "capacity_mbps", MG_CFG_INT },
};

static const char *const continents[] = { "AF", "AN", "AS", "EU", "NA", "OC", "SA", "ZZ" };

static int
parse_seed(struct mg_cfg_ctx *ctx, const config_setting_t *e, struct mg_mesh_seed_config *seed)
{
	const char *text = config_setting_get_string(e);
	char addr[32];
	const char *colon;
	char *end;
	unsigned long port;

	if (text == NULL)
		return mg_cfg_fail_at(ctx, e, "wrong type: expected a string \"address:port\"");
	colon = strrchr(text, ':');
	if (colon == NULL || (size_t)(colon - text) >= sizeof(addr))
		return mg_cfg_fail_at(ctx, e, "\"%s\" is not \"address:port\"", text);
	memcpy(addr, text, (size_t)(colon - text));
	addr[colon - text] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (mg_config_parse_addr(addr, &seed->addr) < 0 || *end != '\0' || port == 0 ||
	    port > 65535)
		return mg_cfg_fail_at(ctx, e, "\"%s\" is not \"address:port\" with an IPv4 "
				      "address and a port 1..65535", text);
	seed->port = (uint16_t)port;
	return 0;
}

static int
parse_seeds(struct mg_config *cfg, struct mg_cfg_ctx *ctx, const config_setting_t *s)
{
	int n = s ? config_setting_length(s) : 0;

	if (n > MG_CONFIG_MAX_SEEDS)
		return mg_cfg_fail_at(ctx, s, "too many seeds (%d; at most %d)", n,
				      MG_CONFIG_MAX_SEEDS);
	for (int i = 0; i < n; i++)
		if (parse_seed(ctx, config_setting_get_elem(s, i), &cfg->mesh_seeds[i]) < 0)
			return -1;
	cfg->n_mesh_seeds = (unsigned int)n;
	return 0;
}

static int
parse_roles(struct mg_config *cfg, struct mg_cfg_ctx *ctx, const config_setting_t *s)
{
	static const struct { const char *name; unsigned int bit; } roles[] = {
		{ "entry", MG_MESH_ROLE_CFG_ENTRY },
		{ "relay", MG_MESH_ROLE_CFG_RELAY },
		{ "exit", MG_MESH_ROLE_CFG_EXIT },
	};
	int n = s ? config_setting_length(s) : 0;

	if (s == NULL)
		return 0;
	cfg->mesh_roles = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *name = config_setting_get_string(e);
		size_t r;

		for (r = 0; name != NULL && r < N(roles); r++)
			if (strcmp(name, roles[r].name) == 0)
				break;
		if (name == NULL || r == N(roles))
			return mg_cfg_fail_at(ctx, e, "unknown role (expected \"entry\", \"relay\" "
					      "or \"exit\")");
		cfg->mesh_roles |= roles[r].bit;
	}
	return 0;
}

static int
check_region(struct mg_config *cfg, struct mg_cfg_ctx *ctx, const config_setting_t *g)
{
	size_t c;

	if (strlen(cfg->mesh_country) != 2 || cfg->mesh_country[0] < 'A' ||
	    cfg->mesh_country[0] > 'Z' || cfg->mesh_country[1] < 'A' || cfg->mesh_country[1] > 'Z')
		return mg_cfg_fail_at(ctx, mg_cfg_member(g, "country"), "expected an ISO 3166-1 "
				      "alpha-2 code in capitals, e.g. \"DE\" (\"ZZ\" = unknown)");
	for (c = 0; c < N(continents); c++)
		if (strcmp(cfg->mesh_continent, continents[c]) == 0)
			return 0;
	return mg_cfg_fail_at(ctx, mg_cfg_member(g, "continent"), "expected one of AF, AN, AS, "
			      "EU, NA, OC, SA (or ZZ = unknown)");
}

int
mg_config_parse_mesh(struct mg_config *cfg, struct mg_cfg_ctx *ctx, const config_setting_t *g)
{
	if (g == NULL)
		return 0;
	cfg->mesh_enabled = config_setting_length(g) > 0;
	if (mg_cfg_check_keys(ctx, g, mesh_keys, N(mesh_keys)) < 0 ||
	    mg_cfg_get_bool(ctx, g, "enabled", &cfg->mesh_enabled) < 0 ||
	    mg_cfg_get_u16(ctx, g, "port", 1, 65535, &cfg->mesh_port) < 0 ||
	    mg_cfg_get_string(ctx, g, "identity_key_file", cfg->mesh_identity_key_file,
			      sizeof(cfg->mesh_identity_key_file)) < 0 ||
	    mg_cfg_get_string(ctx, g, "country", cfg->mesh_country, sizeof(cfg->mesh_country)) < 0 ||
	    mg_cfg_get_string(ctx, g, "continent", cfg->mesh_continent,
			      sizeof(cfg->mesh_continent)) < 0 ||
	    mg_cfg_get_u32(ctx, g, "capacity_mbps", 1, 10000000, &cfg->mesh_capacity_mbps) < 0 ||
	    parse_seeds(cfg, ctx, mg_cfg_member(g, "seeds")) < 0 ||
	    parse_roles(cfg, ctx, mg_cfg_member(g, "roles")) < 0 ||
	    check_region(cfg, ctx, g) < 0)
		return -1;
	if (cfg->mesh_enabled && cfg->mesh_identity_key_file[0] != '/')
		return mg_cfg_fail_at(ctx, mg_cfg_member(g, "identity_key_file") ?
				      mg_cfg_member(g, "identity_key_file") : g,
				      "must be an absolute path");
	if (cfg->mesh_enabled && cfg->mesh_roles == 0)
		return mg_cfg_fail_at(ctx, mg_cfg_member(g, "roles") ? mg_cfg_member(g, "roles") : g,
				      "a mesh node needs at least one role");
	return 0;
}
