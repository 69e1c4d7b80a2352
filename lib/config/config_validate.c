/* Cross-field checks run after the walk: the port layout (roles, unique names and interfaces,
 * addresses and gateways that make sense together), peers (unique keys), NAT limits and the RFC
 * lower bounds of its timeouts. Each failure blames the line of the key a person should edit.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "config_internal.h"

enum mg_config_validate_limits {
	WG_OUTER_OVERHEAD = 60,         /* IPv4 20 + UDP 8 + WireGuard data header 16 + tag 16 */
	TIMEOUT_MAX_S = 7 * 86400,
	RFC4787_UDP_MIN_S = 120,        /* RFC 4787 REQ-5 */
	RFC5382_ESTABLISHED_MIN_S = 7440, /* RFC 5382 REQ-5 */
	RFC5382_TRANSITORY_MIN_S = 240, /* RFC 5382 REQ-5 */
	RFC5508_ICMP_MIN_S = 60,        /* RFC 5508 REQ-1 */
	PATH_BUF = 64,
};

static uint32_t prefix_mask(uint8_t len)
{
	return len ? ~0u << (32 - len) : 0;
}

static bool same_subnet(uint32_t a, uint32_t b, uint8_t len)
{
	return ((a ^ b) & prefix_mask(len)) == 0;
}

static const char *port_path(unsigned int i, const char *key, char *buf)
{
	snprintf(buf, PATH_BUF, "ports[%u]%s%s", i, key[0] ? "." : "", key);
	return buf;
}

static int check_roles(const struct mg_config *cfg, struct mg_cfg_ctx *ctx)
{
	unsigned int roles = 0;

	if (cfg->n_ports == 0)
		return mg_cfg_fail_path(ctx, "ports", "no ports: add one with role \"mesh\" and one "
					"with role \"internet\", or one with role \"both\"");
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		roles |= cfg->ports[i].role;
	if (!(roles & MG_PORT_ROLE_MESH))
		return mg_cfg_fail_path(ctx, "ports", "no port has role \"mesh\" (where WireGuard "
					"clients arrive): set role = \"mesh\" or \"both\" on one");
	if (!(roles & MG_PORT_ROLE_INTERNET))
		return mg_cfg_fail_path(ctx, "ports", "no port has role \"internet\": set role = "
					"\"internet\" or \"both\" on one");
	return 0;
}

/* Kernel-backed and PCI ports need an interface; pcap needs its files somewhere. */
static int check_port_device(const struct mg_port_config *p, unsigned int i,
			     struct mg_cfg_ctx *ctx)
{
	unsigned int dom, bus, dev, fn;
	char path[PATH_BUF], tail;
	bool kernel = strcmp(p->driver, "af_packet") == 0 || strcmp(p->driver, "tap") == 0;
	bool pci = strcmp(p->driver, "pci") == 0;

	if ((kernel || pci) && p->iface[0] == '\0')
		return mg_cfg_fail_path(ctx, port_path(i, "iface", path), "missing: driver \"%s\" "
					"needs %s", p->driver, pci ? "a PCI address such as "
					"\"0000:01:00.0\"" : "a kernel interface name");
	if (pci && sscanf(p->iface, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) != 4 &&
	    sscanf(p->iface, "%2x:%2x.%1x%c", &bus, &dev, &fn, &tail) != 3)
		return mg_cfg_fail_path(ctx, port_path(i, "iface", path), "'%s' is not a PCI "
					"address (expected DDDD:BB:DD.F, e.g. \"0000:01:00.0\"; "
					"see `dpdk-devbind.py --status`)", p->iface);
	if (strcmp(p->driver, "pcap") == 0 && p->iface[0] == '\0' && p->devargs[0] == '\0')
		return mg_cfg_fail_path(ctx, port_path(i, "devargs", path), "missing: driver "
					"\"pcap\" needs iface or devargs such as "
					"\"rx_pcap=in.pcap,tx_pcap=out.pcap\"");
	return 0;
}

static int check_port_address(const struct mg_port_config *p, unsigned int i,
			      struct mg_cfg_ctx *ctx)
{
	uint32_t host = p->address.addr & ~prefix_mask(p->address.len);
	char path[PATH_BUF];

	if (p->address.len == 0 || p->address.addr == 0 || (p->address.addr >> 28) >= 0xe ||
	    (p->address.addr >> 24) == 127)
		return mg_cfg_fail_path(ctx, port_path(i, "address", path), "not a usable unicast "
					"address with a prefix length of 1..32");
	if (p->address.len <= 30 && (host == 0 || host == ~prefix_mask(p->address.len)))
		return mg_cfg_fail_path(ctx, port_path(i, "address", path), "is the %s address of "
					"its /%u; give the gateway's own host address",
					host ? "broadcast" : "network", p->address.len);
	if (p->gateway == 0)
		return 0;
	if (p->gateway == p->address.addr)
		return mg_cfg_fail_path(ctx, port_path(i, "gateway", path), "is the port's own "
					"address; give the next-hop router");
	if (!same_subnet(p->gateway, p->address.addr, p->address.len))
		return mg_cfg_fail_path(ctx, port_path(i, "gateway", path), "is outside the port's "
					"subnet /%u: the next hop must be on-link", p->address.len);
	return 0;
}

/* Pairs of ports: names and devices unique, subnets disjoint (ARP must know its port). */
static int check_port_pair(const struct mg_config *cfg, unsigned int i, unsigned int j,
			   struct mg_cfg_ctx *ctx)
{
	const struct mg_port_config *a = &cfg->ports[i], *b = &cfg->ports[j];
	uint8_t len = a->address.len < b->address.len ? a->address.len : b->address.len;
	char path[PATH_BUF];

	if (strcmp(a->name, b->name) == 0)
		return mg_cfg_fail_path(ctx, port_path(j, "name", path), "duplicate port name "
					"'%s' (ports[%u] has it too); names must be unique",
					b->name, i);
	if (a->iface[0] != '\0' && strcmp(a->driver, b->driver) == 0 &&
	    strcmp(a->iface, b->iface) == 0)
		return mg_cfg_fail_path(ctx, port_path(j, "iface", path), "'%s' is already used by "
					"port '%s'", b->iface, a->name);
	if (same_subnet(a->address.addr, b->address.addr, len))
		return mg_cfg_fail_path(ctx, port_path(j, "address", path), "subnet overlaps "
					"port '%s'; each port needs its own subnet", a->name);
	return 0;
}

static int check_ports(const struct mg_config *cfg, struct mg_cfg_ctx *ctx)
{
	char path[PATH_BUF];

	if (check_roles(cfg, ctx) < 0)
		return -1;
	for (unsigned int i = 0; i < cfg->n_ports; i++) {
		const struct mg_port_config *p = &cfg->ports[i];

		if (check_port_device(p, i, ctx) < 0 || check_port_address(p, i, ctx) < 0)
			return -1;
		for (unsigned int j = 0; j < i; j++)
			if (check_port_pair(cfg, j, i, ctx) < 0)
				return -1;
		if ((p->role & MG_PORT_ROLE_MESH) && cfg->tunnel_mtu + WG_OUTER_OVERHEAD > p->mtu)
			return mg_cfg_fail_path(ctx, "wireguard.mtu", "%u plus %u bytes of outer "
						"headers exceeds %s %u; lower wireguard.mtu to %u",
						cfg->tunnel_mtu, WG_OUTER_OVERHEAD,
						port_path(i, "mtu", path), p->mtu,
						p->mtu - WG_OUTER_OVERHEAD);
	}
	return 0;
}

static int check_peers(const struct mg_config *cfg, struct mg_cfg_ctx *ctx)
{
	char path[PATH_BUF];

	if (cfg->n_peers == 0 && !cfg->open_mode)
		return mg_cfg_fail_path(ctx, "peers", "no peers and open mode is off, so nobody "
					"can connect: add peers or set wireguard.open.enabled = true");
	for (unsigned int i = 0; i < cfg->n_peers; i++) {
		const struct mg_peer_config *p = &cfg->peers[i];

		snprintf(path, sizeof(path), "peers[%u].public_key", i);
		if (sodium_is_zero(p->public_key, MG_CONFIG_KEY_LEN))
			return mg_cfg_fail_path(ctx, path, "the all-zero key is not a public key");
		for (unsigned int j = 0; j < i; j++)
			if (sodium_memcmp(p->public_key, cfg->peers[j].public_key,
					  MG_CONFIG_KEY_LEN) == 0)
				return mg_cfg_fail_path(ctx, path, "duplicate key: peers[%u] (line "
							"%d) has the same public key", j,
							cfg->peers[j].line);
		snprintf(path, sizeof(path), "peers[%u].max_sessions", i);
		if (p->max_sessions > cfg->nat_max_sessions)
			return mg_cfg_fail_path(ctx, path, "%u is above nat.max_sessions (%u)",
						p->max_sessions, cfg->nat_max_sessions);
	}
	return 0;
}

static int check_timeout(struct mg_cfg_ctx *ctx, const char *key, uint32_t v, uint32_t min,
			 const char *rfc)
{
	if (v < min)
		return mg_cfg_fail_path(ctx, key, "%u s is below the %u s minimum of %s; "
					"use at least %u", v, min, rfc, min);
	if (v > TIMEOUT_MAX_S)
		return mg_cfg_fail_path(ctx, key, "%u s is above one week (%u s)", v,
					TIMEOUT_MAX_S);
	return 0;
}

/* When translated flows leave from the address WireGuard listens on (one-armed, or a public
 * address shared with a mesh port), a NAT port equal to listen_port would steal its replies. */
static int check_listen_port_clash(const struct mg_config *cfg, struct mg_cfg_ctx *ctx)
{
	uint32_t public_ip = cfg->nat_public_ip;

	for (unsigned int i = 0; i < cfg->n_ports && public_ip == 0; i++)
		if (cfg->ports[i].role & MG_PORT_ROLE_INTERNET)
			public_ip = cfg->ports[i].address.addr;
	if (cfg->listen_port < cfg->nat_port_lo || cfg->listen_port > cfg->nat_port_hi)
		return 0;
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		if ((cfg->ports[i].role & MG_PORT_ROLE_MESH) &&
		    cfg->ports[i].address.addr == public_ip)
			return mg_cfg_fail_path(ctx, "nat.port_range", "[ %u, %u ] includes "
						"wireguard.listen_port %u on port '%s''s address, which "
						"NAT shares with WireGuard: keep the range clear of it "
						"(e.g. [ 1024, 49151 ]) or move listen_port",
						cfg->nat_port_lo, cfg->nat_port_hi, cfg->listen_port,
						cfg->ports[i].name);
	return 0;
}

static int check_nat(const struct mg_config *cfg, struct mg_cfg_ctx *ctx)
{
	unsigned int n_ports = cfg->nat_port_hi - cfg->nat_port_lo + 1u;

	if (n_ports < cfg->workers)
		return mg_cfg_fail_path(ctx, "nat.port_range", "%u ports cannot be shared among "
					"%u workers; widen the range", n_ports, cfg->workers);
	if (cfg->nat_max_sessions_per_peer > cfg->nat_max_sessions)
		return mg_cfg_fail_path(ctx, "nat.max_sessions_per_peer", "%u is above "
					"nat.max_sessions (%u)", cfg->nat_max_sessions_per_peer,
					cfg->nat_max_sessions);
	if (check_timeout(ctx, "nat.udp_timeout", cfg->nat_udp_timeout_s, RFC4787_UDP_MIN_S,
			  "RFC 4787 REQ-5") < 0 ||
	    check_timeout(ctx, "nat.tcp_established_timeout", cfg->nat_tcp_established_timeout_s,
			  RFC5382_ESTABLISHED_MIN_S, "RFC 5382 REQ-5") < 0 ||
	    check_timeout(ctx, "nat.tcp_transitory_timeout", cfg->nat_tcp_transitory_timeout_s,
			  RFC5382_TRANSITORY_MIN_S, "RFC 5382 REQ-5") < 0 ||
	    check_timeout(ctx, "nat.icmp_timeout", cfg->nat_icmp_timeout_s, RFC5508_ICMP_MIN_S,
			  "RFC 5508 REQ-1") < 0)
		return -1;
	if (cfg->nat_public_ip != 0 && ((cfg->nat_public_ip >> 28) >= 0xe ||
					(cfg->nat_public_ip >> 24) == 127))
		return mg_cfg_fail_path(ctx, "nat.public_address", "not a usable unicast address");
	return check_listen_port_clash(cfg, ctx);
}

int mg_config_validate(const struct mg_config *cfg, struct mg_cfg_ctx *ctx)
{
	if (check_ports(cfg, ctx) < 0 || check_peers(cfg, ctx) < 0 || check_nat(cfg, ctx) < 0)
		return -1;
	return 0;
}
