/* meshgate configuration: the in-memory form of a libconfig file.
 *
 * mg_config_load_file() parses and validates a file into struct mg_config; any error names the
 * file, the line and the key, and the caller refuses to start. The structure is plain data, owned
 * by the caller and released with mg_config_free(); nothing here depends on DPDK.
 */
#ifndef MG_CONFIG_H
#define MG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mg_config_limits {
	MG_CONFIG_MAX_PORTS = 4,
	MG_CONFIG_MAX_PEERS = 4096,
	MG_CONFIG_MAX_ALLOWED_IPS = 64,
	MG_CONFIG_MAX_RULES = 256,
	MG_CONFIG_MAX_EAL_ARGS = 32,
	MG_CONFIG_MAX_SEEDS = 16,
	MG_CONFIG_NAME_LEN = 32,
	MG_CONFIG_PATH_LEN = 256,
	MG_CONFIG_ERR_LEN = 512,
};

enum mg_config_key_sizes {
	MG_CONFIG_KEY_LEN = 32,     /* X25519 keys and preshared keys */
	MG_CONFIG_KEY_B64_LEN = 45, /* standard base64 of 32 bytes (44 chars) plus NUL */
};

enum mg_port_role {
	MG_PORT_ROLE_MESH = 1 << 0,     /* carries WireGuard from clients and other nodes */
	MG_PORT_ROLE_INTERNET = 1 << 1, /* carries translated traffic to and from the internet */
	MG_PORT_ROLE_BOTH = MG_PORT_ROLE_MESH | MG_PORT_ROLE_INTERNET, /* one-armed */
};

enum mg_hugepages_mode {
	MG_HUGEPAGES_AUTO = 0, /* use them when hugetlbfs is mounted with free pages */
	MG_HUGEPAGES_ON,
	MG_HUGEPAGES_OFF,
};

enum mg_datapath_mode {
	MG_DATAPATH_RUN_TO_COMPLETION = 0, /* every worker runs every stage on its RSS queues */
	MG_DATAPATH_PIPELINE,              /* rx, crypto (x workers), NAT and tx on separate lcores */
};

enum mg_policy_action_cfg {
	MG_RULE_ALLOW = 1,
	MG_RULE_DENY = 2,
};

/* Roles a node announces in the mesh (bits, as in its signed node record). */
enum mg_mesh_role_cfg {
	MG_MESH_ROLE_CFG_ENTRY = 1 << 0,
	MG_MESH_ROLE_CFG_RELAY = 1 << 1,
	MG_MESH_ROLE_CFG_EXIT = 1 << 2,
};

/* A mesh bootstrap peer: address and control port, host order. */
struct mg_mesh_seed_config {
	uint32_t addr;
	uint16_t port;
};

/* An IPv4 prefix; address in host byte order. */
struct mg_prefix {
	uint32_t addr;
	uint8_t len;
};

struct mg_port_config {
	char name[MG_CONFIG_NAME_LEN];
	/* "af_packet", "tap", "ring", "null", "pcap" or "pci". */
	char driver[MG_CONFIG_NAME_LEN];
	/* Kernel interface for af_packet/tap, PCI address for pci, file pair for pcap. */
	char iface[MG_CONFIG_PATH_LEN];
	/* Extra devargs appended verbatim for the PMD, e.g. "blocksz=4096". May be empty. */
	char devargs[MG_CONFIG_PATH_LEN];
	unsigned int role;     /* enum mg_port_role bits */
	struct mg_prefix address; /* the gateway's address on this port, with its subnet */
	uint32_t gateway;      /* next hop for everything off-subnet, host order; 0 = none */
	uint16_t mtu;
	uint16_t rx_desc;
	uint16_t tx_desc;
};

struct mg_peer_config {
	uint8_t public_key[32];
	uint8_t preshared_key[32];
	bool has_preshared_key;
	struct mg_prefix allowed_ips[MG_CONFIG_MAX_ALLOWED_IPS];
	unsigned int n_allowed_ips;
	uint32_t max_sessions;  /* NAT sessions for this peer; 0 = the nat default */
	int line;               /* line in the file, for later messages */
};

struct mg_rule_config {
	enum mg_policy_action_cfg action;
	struct mg_prefix prefix;
	uint8_t proto;          /* 0 = any, else IPPROTO_TCP/UDP/ICMP */
	uint16_t port_lo;       /* destination port range; 0..65535 = any */
	uint16_t port_hi;
};

struct mg_config {
	char source[MG_CONFIG_PATH_LEN]; /* file name, or "<embedded>" */

	/* Instance name: the EAL --file-prefix, so the telemetry socket is
	 * /var/run/dpdk/<instance>/dpdk_telemetry.v2 and several gateways can share a machine. */
	char instance[MG_CONFIG_NAME_LEN];

	/* EAL and lcores */
	char *eal_args[MG_CONFIG_MAX_EAL_ARGS]; /* extra EAL arguments, owned */
	unsigned int n_eal_args;
	enum mg_hugepages_mode hugepages;
	uint32_t memory_mb;           /* EAL memory, used with --no-huge too */
	enum mg_datapath_mode datapath;
	uint32_t workers;             /* run-to-completion: data-plane lcores;
				       * pipeline: crypto lcores (plus rx, NAT and tx lcores) */
	bool idle_backoff;            /* idle workers pause then sleep in growing steps */
	uint32_t idle_max_sleep_us;   /* ceiling for that sleep */
	uint32_t stats_interval_s;    /* print stats every N seconds; 0 = off */
	uint32_t mbufs;               /* mbufs per port pool */

	struct mg_port_config ports[MG_CONFIG_MAX_PORTS];
	unsigned int n_ports;

	/* wireguard */
	uint8_t private_key[32];
	char private_key_file[MG_CONFIG_PATH_LEN]; /* created with a fresh key if absent */
	bool has_private_key;         /* private_key holds the key: inline, or after resolve */
	uint16_t listen_port;
	uint16_t tunnel_mtu;          /* inner MTU; MSS is clamped to it */
	bool open_mode;               /* any key may connect */
	uint32_t open_max_peers;
	struct mg_prefix open_allowed_ips[MG_CONFIG_MAX_ALLOWED_IPS];
	unsigned int n_open_allowed_ips;
	uint32_t handshake_rate;      /* handshakes per second per source address */
	uint32_t handshake_burst;
	uint32_t under_load_backlog;  /* queued handshakes above which cookies are demanded */

	struct mg_peer_config *peers; /* owned, n_peers entries */
	unsigned int n_peers;

	/* nat */
	uint32_t nat_public_ip;       /* host order; 0 = the internet port's address */
	uint16_t nat_port_lo, nat_port_hi;
	uint32_t nat_max_sessions;
	uint32_t nat_max_sessions_per_peer;
	uint32_t nat_udp_timeout_s;
	uint32_t nat_tcp_established_timeout_s;
	uint32_t nat_tcp_transitory_timeout_s;
	uint32_t nat_icmp_timeout_s;
	uint32_t nat_port_reuse_delay_s;

	/* mesh control plane */
	bool mesh_enabled;
	uint16_t mesh_port;                  /* UDP port of the control protocol */
	char mesh_identity_key_file[MG_CONFIG_PATH_LEN];
	uint8_t mesh_identity_seed[32];      /* Ed25519 seed, from the key file */
	bool has_mesh_identity;
	struct mg_mesh_seed_config mesh_seeds[MG_CONFIG_MAX_SEEDS];
	unsigned int n_mesh_seeds;
	unsigned int mesh_roles;             /* enum mg_mesh_role_cfg bits */
	char mesh_country[3];                /* ISO 3166-1 alpha-2, or "ZZ" */
	char mesh_continent[3];              /* AF AN AS EU NA OC SA, or "ZZ" */
	uint32_t mesh_capacity_mbps;

	/* policy */
	bool policy_icmp_reply;       /* answer denied packets with ICMP admin prohibited */
	struct mg_rule_config rules[MG_CONFIG_MAX_RULES];
	unsigned int n_rules;
};

/* Data-plane lcores the configuration asks for (workers, or workers + 3 in the pipeline). */
unsigned int mg_config_dataplane_lcores(const struct mg_config *cfg);

/* RX/TX queue pairs each port needs (one per polling lcore). */
unsigned int mg_config_port_queues(const struct mg_config *cfg);

/* Fill cfg with the built-in defaults (every value documented in conf/meshgate.conf). */
void mg_config_defaults(struct mg_config *cfg);

/* Parse and validate a file. cfg is overwritten (defaults first, then the file), so it must not
 * hold a loaded config. On error returns -1, leaves cfg holding only defaults (nothing to free)
 * and writes "FILE:LINE: KEY: reason" to err. */
int mg_config_load_file(struct mg_config *cfg, const char *path, char *err, size_t errlen);

/* Same for text in memory; name stands in for the file name in messages. */
int mg_config_load_string(struct mg_config *cfg, const char *text, const char *name,
			  char *err, size_t errlen);

/* The embedded default configuration (conf/meshgate.conf compiled in). */
const char *mg_config_embedded_default(void);

/* Read the mesh identity (an Ed25519 seed, one base64 line) from mesh.identity_key_file, or
 * create it (mode 0600) on first start. No-op when the mesh is disabled. */
int mg_config_resolve_mesh_identity(struct mg_config *cfg, char *err, size_t errlen);

/* Resolve the private key: inline, or read from private_key_file, or create that file with a
 * fresh key (mode 0600). Returns -1 with a message on failure. */
int mg_config_resolve_private_key(struct mg_config *cfg, char *err, size_t errlen);

/* Release what cfg owns (peers, eal_args) and wipe all key material in it. */
void mg_config_free(struct mg_config *cfg);

/* Helpers shared with the CLI and tests. All return 0 on success, -1 on malformed input. */
/* "a.b.c.d/len": strict dotted quad, len 0..32; host bits are kept as written. */
int mg_config_parse_prefix(const char *text, struct mg_prefix *out);
/* "a.b.c.d" into host byte order. */
int mg_config_parse_addr(const char *text, uint32_t *out_host);
/* WireGuard's standard base64 (44 chars, padded) into exactly 32 bytes. */
int mg_config_parse_key(const char *base64, uint8_t out[32]);
/* 32 bytes into standard base64, as `wg` prints keys. */
int mg_config_format_key(const uint8_t key[32], char out[MG_CONFIG_KEY_B64_LEN]);

#endif /* MG_CONFIG_H */
