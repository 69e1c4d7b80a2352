/* Walks the libconfig tree into struct mg_config: one function per group, each listing its keys
 * (unknown keys and wrong types are refused before any value is read) and their limits. Also the
 * public entry points that read a file or a string, then hand the result to config_validate.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sodium.h>

#include "config_internal.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Limits of single values; cross-field rules live in config_validate.c. */
enum mg_config_value_limits {
	MEMORY_MB_MIN = 16,
	MEMORY_MB_MAX = 1 << 20,
	WORKERS_MAX = 128,
	IDLE_SLEEP_MAX_US = 1000000,
	STATS_INTERVAL_MAX_S = 86400,
	MBUFS_MIN = 511,
	MBUFS_MAX = (1 << 24) - 1,
	PORT_MTU_MIN = 576,
	PORT_MTU_MAX = 9600,
	DESC_MIN = 64,
	DESC_MAX = 32768,
	TUNNEL_MTU_MIN = 576,
	TUNNEL_MTU_MAX = 9000,
	RATE_MAX = 1000000,
	BACKLOG_MAX = 1 << 16,
	OPEN_MAX_PEERS_MAX = 1 << 20,
	SESSIONS_MAX = 1 << 26,
	REUSE_DELAY_MAX_S = 3600,
};

static const struct mg_cfg_key root_keys[] = {
	{ "instance", MG_CFG_STRING }, { "hugepages", MG_CFG_STRING },
	{ "memory_mb", MG_CFG_INT }, { "workers", MG_CFG_INT }, { "datapath", MG_CFG_STRING },
	{ "idle_backoff", MG_CFG_BOOL }, { "idle_max_sleep_us", MG_CFG_INT },
	{ "stats_interval", MG_CFG_INT }, { "mbufs", MG_CFG_INT },
	{ "eal_args", MG_CFG_SCALAR_LIST }, { "ports", MG_CFG_GROUP_LIST },
	{ "wireguard", MG_CFG_GROUP }, { "peers", MG_CFG_GROUP_LIST },
	{ "nat", MG_CFG_GROUP }, { "policy", MG_CFG_GROUP }, { "mesh", MG_CFG_GROUP },
};
static const struct mg_cfg_key port_keys[] = {
	{ "name", MG_CFG_STRING }, { "driver", MG_CFG_STRING }, { "iface", MG_CFG_STRING },
	{ "devargs", MG_CFG_STRING }, { "role", MG_CFG_STRING }, { "address", MG_CFG_STRING },
	{ "gateway", MG_CFG_STRING }, { "mtu", MG_CFG_INT }, { "rx_desc", MG_CFG_INT },
	{ "tx_desc", MG_CFG_INT },
};
static const struct mg_cfg_key wg_keys[] = {
	{ "private_key", MG_CFG_STRING }, { "private_key_file", MG_CFG_STRING },
	{ "listen_port", MG_CFG_INT }, { "mtu", MG_CFG_INT },
	{ "handshake_rate", MG_CFG_INT }, { "handshake_burst", MG_CFG_INT },
	{ "under_load_backlog", MG_CFG_INT }, { "open", MG_CFG_GROUP },
};
static const struct mg_cfg_key open_keys[] = {
	{ "enabled", MG_CFG_BOOL }, { "max_peers", MG_CFG_INT },
	{ "allowed_ips", MG_CFG_SCALAR_LIST },
};
static const struct mg_cfg_key peer_keys[] = {
	{ "public_key", MG_CFG_STRING }, { "preshared_key", MG_CFG_STRING },
	{ "allowed_ips", MG_CFG_SCALAR_LIST }, { "max_sessions", MG_CFG_INT },
};
static const struct mg_cfg_key nat_keys[] = {
	{ "public_address", MG_CFG_STRING }, { "port_range", MG_CFG_SCALAR_LIST },
	{ "max_sessions", MG_CFG_INT }, { "max_sessions_per_peer", MG_CFG_INT },
	{ "udp_timeout", MG_CFG_INT }, { "tcp_established_timeout", MG_CFG_INT },
	{ "tcp_transitory_timeout", MG_CFG_INT }, { "icmp_timeout", MG_CFG_INT },
	{ "port_reuse_delay", MG_CFG_INT },
};
static const struct mg_cfg_key policy_keys[] = {
	{ "icmp_unreachable", MG_CFG_BOOL }, { "rules", MG_CFG_GROUP_LIST },
};
static const struct mg_cfg_key rule_keys[] = {
	{ "action", MG_CFG_STRING }, { "prefix", MG_CFG_STRING },
	{ "proto", MG_CFG_STRING }, { "ports", MG_CFG_SCALAR_LIST },
};

static const struct mg_cfg_choice hugepage_modes[] = {
	{ "auto", MG_HUGEPAGES_AUTO }, { "on", MG_HUGEPAGES_ON }, { "off", MG_HUGEPAGES_OFF },
};
static const struct mg_cfg_choice datapath_modes[] = {
	{ "run-to-completion", MG_DATAPATH_RUN_TO_COMPLETION }, { "pipeline", MG_DATAPATH_PIPELINE },
};
static const struct mg_cfg_choice port_roles[] = {
	{ "mesh", MG_PORT_ROLE_MESH }, { "internet", MG_PORT_ROLE_INTERNET },
	{ "both", MG_PORT_ROLE_BOTH },
};
static const struct mg_cfg_choice drivers[] = {
	{ "af_packet", 0 }, { "tap", 0 }, { "ring", 0 }, { "null", 0 }, { "pcap", 0 }, { "pci", 0 },
};
static const struct mg_cfg_choice rule_actions[] = {
	{ "allow", MG_RULE_ALLOW }, { "deny", MG_RULE_DENY },
};
static const struct mg_cfg_choice protocols[] = {
	{ "any", 0 }, { "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "icmp", IPPROTO_ICMP },
};

/* Names (instance, ports) end up in file paths and devargs: keep them to a safe alphabet. */
static int check_name(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		      const char *v)
{
	if (v[0] == '\0' || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789_-") != strlen(v))
		return mg_cfg_fail_at(ctx, mg_cfg_member(g, key), "'%s' must be non-empty and use "
				      "only letters, digits, '_' and '-'", v);
	return 0;
}

static int parse_eal_args(struct mg_config *cfg, struct mg_cfg_ctx *ctx,
			  const config_setting_t *s)
{
	int n;

	if (s == NULL)
		return 0;
	n = config_setting_length(s);
	if (n > MG_CONFIG_MAX_EAL_ARGS)
		return mg_cfg_fail_at(ctx, s, "too many arguments (%d; at most %d)", n,
				      MG_CONFIG_MAX_EAL_ARGS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return mg_cfg_fail_at(ctx, e, "wrong type: expected a string");
		cfg->eal_args[i] = strdup(config_setting_get_string(e));
		if (cfg->eal_args[i] == NULL)
			return mg_cfg_fail_at(ctx, e, "out of memory");
		cfg->n_eal_args = i + 1;
	}
	return 0;
}

static int parse_root_scalars(struct mg_config *cfg, struct mg_cfg_ctx *ctx,
			      const config_setting_t *r)
{
	int huge = cfg->hugepages;
	int mode = cfg->datapath;

	if (mg_cfg_get_string(ctx, r, "instance", cfg->instance, sizeof(cfg->instance)) < 0 ||
	    check_name(ctx, r, "instance", cfg->instance) < 0 ||
	    mg_cfg_get_choice(ctx, r, "hugepages", hugepage_modes, N(hugepage_modes), &huge) < 0 ||
	    mg_cfg_get_u32(ctx, r, "memory_mb", MEMORY_MB_MIN, MEMORY_MB_MAX, &cfg->memory_mb) < 0 ||
	    mg_cfg_get_u32(ctx, r, "workers", 1, WORKERS_MAX, &cfg->workers) < 0 ||
	    mg_cfg_get_choice(ctx, r, "datapath", datapath_modes, N(datapath_modes), &mode) < 0 ||
	    mg_cfg_get_bool(ctx, r, "idle_backoff", &cfg->idle_backoff) < 0 ||
	    mg_cfg_get_u32(ctx, r, "idle_max_sleep_us", 1, IDLE_SLEEP_MAX_US,
			   &cfg->idle_max_sleep_us) < 0 ||
	    mg_cfg_get_u32(ctx, r, "stats_interval", 0, STATS_INTERVAL_MAX_S,
			   &cfg->stats_interval_s) < 0 ||
	    mg_cfg_get_u32(ctx, r, "mbufs", MBUFS_MIN, MBUFS_MAX, &cfg->mbufs) < 0)
		return -1;
	cfg->hugepages = (enum mg_hugepages_mode)huge;
	cfg->datapath = (enum mg_datapath_mode)mode;
	return parse_eal_args(cfg, ctx, mg_cfg_member(r, "eal_args"));
}

static int parse_port(struct mg_port_config *p, struct mg_cfg_ctx *ctx, const config_setting_t *g)
{
	int role = 0, drv = 0;

	p->mtu = 1500;
	p->rx_desc = 1024;
	p->tx_desc = 1024;
	if (mg_cfg_check_keys(ctx, g, port_keys, N(port_keys)) < 0 ||
	    mg_cfg_require(ctx, g, "name", "a unique name, e.g. name = \"mesh\";") < 0 ||
	    mg_cfg_require(ctx, g, "driver", "one of af_packet, tap, ring, null, pcap, pci") < 0 ||
	    mg_cfg_require(ctx, g, "role", "role = \"mesh\", \"internet\" or \"both\";") < 0 ||
	    mg_cfg_require(ctx, g, "address", "the gateway's address on this port with its "
			   "prefix length, e.g. \"198.51.100.1/24\"") < 0)
		return -1;
	if (mg_cfg_get_string(ctx, g, "name", p->name, sizeof(p->name)) < 0 ||
	    check_name(ctx, g, "name", p->name) < 0 ||
	    mg_cfg_get_choice(ctx, g, "driver", drivers, N(drivers), &drv) < 0 ||
	    mg_cfg_get_string(ctx, g, "driver", p->driver, sizeof(p->driver)) < 0 ||
	    mg_cfg_get_string(ctx, g, "iface", p->iface, sizeof(p->iface)) < 0 ||
	    mg_cfg_get_string(ctx, g, "devargs", p->devargs, sizeof(p->devargs)) < 0 ||
	    mg_cfg_get_choice(ctx, g, "role", port_roles, N(port_roles), &role) < 0 ||
	    mg_cfg_get_prefix(ctx, g, "address", true, &p->address) < 0 ||
	    mg_cfg_get_addr(ctx, g, "gateway", &p->gateway) < 0 ||
	    mg_cfg_get_u16(ctx, g, "mtu", PORT_MTU_MIN, PORT_MTU_MAX, &p->mtu) < 0 ||
	    mg_cfg_get_u16(ctx, g, "rx_desc", DESC_MIN, DESC_MAX, &p->rx_desc) < 0 ||
	    mg_cfg_get_u16(ctx, g, "tx_desc", DESC_MIN, DESC_MAX, &p->tx_desc) < 0)
		return -1;
	p->role = (unsigned int)role;
	return 0;
}

static int parse_ports(struct mg_config *cfg, struct mg_cfg_ctx *ctx, const config_setting_t *s)
{
	int n;

	if (s == NULL)
		return 0;
	n = config_setting_length(s);
	if (n > MG_CONFIG_MAX_PORTS)
		return mg_cfg_fail_at(ctx, s, "too many ports (%d; at most %d)", n,
				      MG_CONFIG_MAX_PORTS);
	for (int i = 0; i < n; i++)
		if (parse_port(&cfg->ports[i], ctx, config_setting_get_elem(s, i)) < 0)
			return -1;
	cfg->n_ports = (unsigned int)n;
	return 0;
}

static int parse_open(struct mg_config *cfg, struct mg_cfg_ctx *ctx, const config_setting_t *g)
{
	if (g == NULL)
		return 0;
	if (mg_cfg_check_keys(ctx, g, open_keys, N(open_keys)) < 0 ||
	    mg_cfg_get_bool(ctx, g, "enabled", &cfg->open_mode) < 0 ||
	    mg_cfg_get_u32(ctx, g, "max_peers", 1, OPEN_MAX_PEERS_MAX, &cfg->open_max_peers) < 0 ||
	    mg_cfg_get_prefixes(ctx, g, "allowed_ips", cfg->open_allowed_ips,
				MG_CONFIG_MAX_ALLOWED_IPS, &cfg->n_open_allowed_ips) < 0)
		return -1;
	return 0;
}

static int parse_wireguard(struct mg_config *cfg, struct mg_cfg_ctx *ctx,
			   const config_setting_t *g)
{
	if (g == NULL)
		return 0;
	if (mg_cfg_check_keys(ctx, g, wg_keys, N(wg_keys)) < 0 ||
	    mg_cfg_get_key(ctx, g, "private_key", cfg->private_key, &cfg->has_private_key) < 0 ||
	    mg_cfg_get_string(ctx, g, "private_key_file", cfg->private_key_file,
			      sizeof(cfg->private_key_file)) < 0 ||
	    mg_cfg_get_u16(ctx, g, "listen_port", 1, 65535, &cfg->listen_port) < 0 ||
	    mg_cfg_get_u16(ctx, g, "mtu", TUNNEL_MTU_MIN, TUNNEL_MTU_MAX, &cfg->tunnel_mtu) < 0 ||
	    mg_cfg_get_u32(ctx, g, "handshake_rate", 1, RATE_MAX, &cfg->handshake_rate) < 0 ||
	    mg_cfg_get_u32(ctx, g, "handshake_burst", 1, RATE_MAX, &cfg->handshake_burst) < 0 ||
	    mg_cfg_get_u32(ctx, g, "under_load_backlog", 1, BACKLOG_MAX,
			   &cfg->under_load_backlog) < 0)
		return -1;
	if (!cfg->has_private_key && cfg->private_key_file[0] != '/')
		return mg_cfg_fail_path(ctx, "wireguard.private_key_file", "must be an absolute "
					"path (got \"%s\"), or set private_key inline",
					cfg->private_key_file);
	return parse_open(cfg, ctx, mg_cfg_member(g, "open"));
}

static int parse_peer(struct mg_peer_config *p, struct mg_cfg_ctx *ctx, const config_setting_t *g)
{
	p->line = config_setting_source_line(g);
	if (mg_cfg_check_keys(ctx, g, peer_keys, N(peer_keys)) < 0 ||
	    mg_cfg_require(ctx, g, "public_key", "the peer's key as `wg pubkey` prints it") < 0 ||
	    mg_cfg_require(ctx, g, "allowed_ips", "the tunnel addresses this peer may use, "
			   "e.g. [ \"100.64.0.2/32\" ]") < 0 ||
	    mg_cfg_get_key(ctx, g, "public_key", p->public_key, NULL) < 0 ||
	    mg_cfg_get_key(ctx, g, "preshared_key", p->preshared_key, &p->has_preshared_key) < 0 ||
	    mg_cfg_get_prefixes(ctx, g, "allowed_ips", p->allowed_ips, MG_CONFIG_MAX_ALLOWED_IPS,
				&p->n_allowed_ips) < 0 ||
	    mg_cfg_get_u32(ctx, g, "max_sessions", 0, SESSIONS_MAX, &p->max_sessions) < 0)
		return -1;
	if (p->n_allowed_ips == 0)
		return mg_cfg_fail_at(ctx, mg_cfg_member(g, "allowed_ips"), "empty: the peer could "
				      "send nothing; list its tunnel addresses");
	return 0;
}

static int parse_peers(struct mg_config *cfg, struct mg_cfg_ctx *ctx, const config_setting_t *s)
{
	int n;

	if (s == NULL || (n = config_setting_length(s)) == 0)
		return 0;
	if (n > MG_CONFIG_MAX_PEERS)
		return mg_cfg_fail_at(ctx, s, "too many peers (%d; at most %d)", n,
				      MG_CONFIG_MAX_PEERS);
	cfg->peers = calloc((size_t)n, sizeof(*cfg->peers));
	if (cfg->peers == NULL)
		return mg_cfg_fail_at(ctx, s, "out of memory for %d peers", n);
	cfg->n_peers = (unsigned int)n;
	for (int i = 0; i < n; i++)
		if (parse_peer(&cfg->peers[i], ctx, config_setting_get_elem(s, i)) < 0)
			return -1;
	return 0;
}

static int parse_nat(struct mg_config *cfg, struct mg_cfg_ctx *ctx, const config_setting_t *g)
{
	if (g == NULL)
		return 0;
	if (mg_cfg_check_keys(ctx, g, nat_keys, N(nat_keys)) < 0 ||
	    mg_cfg_get_addr(ctx, g, "public_address", &cfg->nat_public_ip) < 0 ||
	    mg_cfg_get_range(ctx, g, "port_range", 1, &cfg->nat_port_lo, &cfg->nat_port_hi) < 0 ||
	    mg_cfg_get_u32(ctx, g, "max_sessions", 1, SESSIONS_MAX, &cfg->nat_max_sessions) < 0 ||
	    mg_cfg_get_u32(ctx, g, "max_sessions_per_peer", 1, SESSIONS_MAX,
			   &cfg->nat_max_sessions_per_peer) < 0 ||
	    mg_cfg_get_u32(ctx, g, "udp_timeout", 0, UINT32_MAX, &cfg->nat_udp_timeout_s) < 0 ||
	    mg_cfg_get_u32(ctx, g, "tcp_established_timeout", 0, UINT32_MAX,
			   &cfg->nat_tcp_established_timeout_s) < 0 ||
	    mg_cfg_get_u32(ctx, g, "tcp_transitory_timeout", 0, UINT32_MAX,
			   &cfg->nat_tcp_transitory_timeout_s) < 0 ||
	    mg_cfg_get_u32(ctx, g, "icmp_timeout", 0, UINT32_MAX, &cfg->nat_icmp_timeout_s) < 0 ||
	    mg_cfg_get_u32(ctx, g, "port_reuse_delay", 0, REUSE_DELAY_MAX_S,
			   &cfg->nat_port_reuse_delay_s) < 0)
		return -1;
	return 0;
}

static int parse_rule(struct mg_rule_config *r, struct mg_cfg_ctx *ctx, const config_setting_t *g)
{
	int action = 0, proto = 0;

	r->port_lo = 0;
	r->port_hi = 65535;
	if (mg_cfg_check_keys(ctx, g, rule_keys, N(rule_keys)) < 0 ||
	    mg_cfg_require(ctx, g, "action", "action = \"allow\" or \"deny\";") < 0 ||
	    mg_cfg_require(ctx, g, "prefix", "the destination network, e.g. \"0.0.0.0/0\"") < 0 ||
	    mg_cfg_get_choice(ctx, g, "action", rule_actions, N(rule_actions), &action) < 0 ||
	    mg_cfg_get_prefix(ctx, g, "prefix", false, &r->prefix) < 0 ||
	    mg_cfg_get_choice(ctx, g, "proto", protocols, N(protocols), &proto) < 0 ||
	    mg_cfg_get_range(ctx, g, "ports", 0, &r->port_lo, &r->port_hi) < 0)
		return -1;
	r->action = (enum mg_policy_action_cfg)action;
	r->proto = (uint8_t)proto;
	if (proto == IPPROTO_ICMP && mg_cfg_member(g, "ports") != NULL)
		return mg_cfg_fail_at(ctx, mg_cfg_member(g, "ports"), "ICMP has no ports: drop "
				      "'ports' or use proto \"tcp\", \"udp\" or \"any\"");
	return 0;
}

static int parse_policy(struct mg_config *cfg, struct mg_cfg_ctx *ctx, const config_setting_t *g)
{
	const config_setting_t *rules = mg_cfg_member(g, "rules");
	int n;

	if (g == NULL)
		return 0;
	if (mg_cfg_check_keys(ctx, g, policy_keys, N(policy_keys)) < 0 ||
	    mg_cfg_get_bool(ctx, g, "icmp_unreachable", &cfg->policy_icmp_reply) < 0)
		return -1;
	if (rules == NULL)
		return 0;
	n = config_setting_length(rules);
	if (n > MG_CONFIG_MAX_RULES)
		return mg_cfg_fail_at(ctx, rules, "too many rules (%d; at most %d)", n,
				      MG_CONFIG_MAX_RULES);
	for (int i = 0; i < n; i++)
		if (parse_rule(&cfg->rules[i], ctx, config_setting_get_elem(rules, i)) < 0)
			return -1;
	cfg->n_rules = (unsigned int)n;
	return 0;
}

int mg_config_parse_tree(struct mg_config *cfg, struct mg_cfg_ctx *ctx)
{
	const config_setting_t *r = ctx->root;

	if (mg_cfg_check_keys(ctx, r, root_keys, N(root_keys)) < 0 ||
	    parse_root_scalars(cfg, ctx, r) < 0 ||
	    parse_ports(cfg, ctx, mg_cfg_member(r, "ports")) < 0 ||
	    parse_wireguard(cfg, ctx, mg_cfg_member(r, "wireguard")) < 0 ||
	    parse_peers(cfg, ctx, mg_cfg_member(r, "peers")) < 0 ||
	    parse_nat(cfg, ctx, mg_cfg_member(r, "nat")) < 0 ||
	    parse_policy(cfg, ctx, mg_cfg_member(r, "policy")) < 0 ||
	    mg_config_parse_mesh(cfg, ctx, mg_cfg_member(r, "mesh")) < 0)
		return -1;
	return 0;
}

/* libconfig's own errors carry a file and a line but no key. */
static void syntax_error(const config_t *tree, const char *name, char *err, size_t errlen)
{
	const char *file = config_error_file(tree), *dir = config_get_include_dir(tree);
	bool rel = file != NULL && strcmp(file, name) != 0 && file[0] != '/' && dir != NULL;

	snprintf(err, errlen, "%s%s%s:%d: %s%s", rel ? dir : "", rel ? "/" : "",
		 file ? file : name, config_error_line(tree), config_error_text(tree),
		 strcmp(config_error_text(tree), "syntax error") == 0 ?
		 " (look for a missing value, quote, bracket or '=' on this line or the one before)" : "");
}

/* Common tail of both loaders: syntax errors, the walk, validation, cleanup on failure. */
static int load(struct mg_config *cfg, config_t *tree, int read_ok, const char *name,
		char *err, size_t errlen)
{
	struct mg_cfg_ctx ctx = { .name = name, .include_dir = config_get_include_dir(tree),
				  .err = err, .errlen = errlen };
	int saved_errno = errno, rc = -1;

	mg_config_defaults(cfg);
	snprintf(cfg->source, sizeof(cfg->source), "%s", name);
	if (!read_ok) {
		if (config_error_type(tree) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read: %s", name, strerror(saved_errno));
		else
			syntax_error(tree, name, err, errlen);
		goto out_destroy;
	}
	ctx.root = config_root_setting(tree);
	if (mg_config_parse_tree(cfg, &ctx) == 0 && mg_config_validate(cfg, &ctx) == 0)
		rc = 0;
out_destroy:
	config_destroy(tree);
	if (rc < 0) {
		mg_config_free(cfg);
		mg_config_defaults(cfg);
		snprintf(cfg->source, sizeof(cfg->source), "%s", name);
	}
	return rc;
}

int mg_config_load_file(struct mg_config *cfg, const char *path, char *err, size_t errlen)
{
	char dir[MG_CONFIG_PATH_LEN];
	const char *slash = strrchr(path, '/');
	config_t tree;

	config_init(&tree);
	/* @include "x" is relative to the including file's directory, not to the cwd. */
	if (slash != NULL && (size_t)(slash - path) < sizeof(dir)) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		config_set_include_dir(&tree, slash == path ? "/" : dir);
	}
	return load(cfg, &tree, config_read_file(&tree, path), path, err, errlen);
}

int mg_config_load_string(struct mg_config *cfg, const char *text, const char *name,
			  char *err, size_t errlen)
{
	config_t tree;

	config_init(&tree);
	return load(cfg, &tree, config_read_string(&tree, text), name, err, errlen);
}
