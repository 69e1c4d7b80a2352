/* Unit tests for lib/config. Expected values come from the documented file format and the brief
 * (addresses, defaults), from counting lines in the test texts by hand, from RFC-known base64
 * vectors, and from the stock `wg` tool (a `wg genkey` key and the `wg pubkey` it printed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mg_cunit.h"
#include <netinet/in.h>
#include <sodium.h>

#include "config.h"

/* From `wg genkey` and `wg pubkey` (wireguard-tools), run once by hand. */
#define WG_PRIV "0B2PA51eyEOeCYC8rJCqdmj4F0sISr0oDMP/KI66GWU="
#define WG_PUB "19qV7qh1rdjBjsubsTtHp8Cb3NWZQJfvySveAbxQ8gM="
#define PUB1 "Cr2LcKTsEGTffZCN23j1YPVsVqMoY2zOZ+wgVuJHBSw="

/* Four lines: a valid two-port layout. */
#define PORTS2                                                                                    \
	"ports = (\n"                                                                             \
	"  { name = \"mesh\"; driver = \"af_packet\"; iface = \"mesh0\"; role = \"mesh\"; "       \
	"address = \"198.51.100.1/24\"; },\n"                                                    \
	"  { name = \"inet\"; driver = \"af_packet\"; iface = \"inet0\"; role = \"internet\"; "  \
	"address = \"203.0.113.1/24\"; gateway = \"203.0.113.254\"; }\n"                         \
	");\n"
/* One line: an inline key and open mode. */
#define WG_OPEN "wireguard = { private_key = \"" WG_PRIV "\"; open = { enabled = true; }; };\n"

static char tmpdir[] = "/tmp/mg_config_test.XXXXXX";

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return a << 24 | b << 16 | c << 8 | d;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	fchmod(fd, mode);
	close(fd);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

/* ---- helpers: prefixes, addresses, keys ---- */

static void test_parse_prefix(void)
{
	static const char *bad[] = { "1.2.3.4", "1.2.3.4/33", "1.2.3/8", "01.2.3.4/8", "1.2.3.4/8x",
				     "1.2.3.4/", " 1.2.3.4/8", "1.2.3.4/-1", "256.1.1.1/8",
				     "1.2.3.4/008", "", "/8" };
	struct mg_prefix p;

	CU_ASSERT(mg_config_parse_prefix("198.51.100.1/24", &p) == 0);
	CU_ASSERT(p.addr == ip(198, 51, 100, 1) && p.len == 24); /* host bits kept */
	CU_ASSERT(mg_config_parse_prefix("0.0.0.0/0", &p) == 0);
	CU_ASSERT(p.addr == 0 && p.len == 0);
	CU_ASSERT(mg_config_parse_prefix("100.64.0.2/32", &p) == 0);
	CU_ASSERT(p.addr == ip(100, 64, 0, 2) && p.len == 32);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (mg_config_parse_prefix(bad[i], &p) == 0)
			fprintf(stderr, "accepted bad prefix '%s'\n", bad[i]);
		CU_ASSERT(mg_config_parse_prefix(bad[i], &p) == -1);
	}
}

static void test_parse_key(void)
{
	/* Standard base64 of the bytes 0..31 (python3 base64.b64encode(bytes(range(32)))). */
	static const char vec[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	uint8_t k[32];
	char out[MG_CONFIG_KEY_B64_LEN];

	CU_ASSERT_FATAL(mg_config_parse_key(vec, k) == 0);
	for (int i = 0; i < 32; i++)
		CU_ASSERT(k[i] == i);
	mg_config_format_key(k, out);
	CU_ASSERT_STRING_EQUAL(out, vec);
	CU_ASSERT(mg_config_parse_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", k) == -1);
	CU_ASSERT(mg_config_parse_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g", k) == -1);
	CU_ASSERT(mg_config_parse_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh*=", k) == -1);
	CU_ASSERT(mg_config_parse_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", k) == -1);
	CU_ASSERT(mg_config_parse_key("", k) == -1);
}

/* ---- the embedded default and the shipped files ---- */

static void check_default_layout(const struct mg_config *c)
{
	CU_ASSERT_STRING_EQUAL(c->instance, "meshgate");
	CU_ASSERT_FATAL(c->n_ports == 2);
	CU_ASSERT_STRING_EQUAL(c->ports[0].driver, "af_packet");
	CU_ASSERT_STRING_EQUAL(c->ports[0].iface, "mesh0");
	CU_ASSERT(c->ports[0].role == MG_PORT_ROLE_MESH);
	CU_ASSERT(c->ports[0].address.addr == ip(198, 51, 100, 1) && c->ports[0].address.len == 24);
	CU_ASSERT(c->ports[0].gateway == 0);
	CU_ASSERT_STRING_EQUAL(c->ports[1].driver, "af_packet");
	CU_ASSERT_STRING_EQUAL(c->ports[1].iface, "inet0");
	CU_ASSERT(c->ports[1].role == MG_PORT_ROLE_INTERNET);
	CU_ASSERT(c->ports[1].address.addr == ip(203, 0, 113, 1) && c->ports[1].address.len == 24);
	CU_ASSERT(c->ports[1].gateway == ip(203, 0, 113, 254));
	CU_ASSERT(c->ports[0].mtu == 1500 && c->ports[0].rx_desc == 1024);
	CU_ASSERT(c->open_mode);
	CU_ASSERT(c->n_open_allowed_ips == 1 && c->open_allowed_ips[0].len == 0);
	CU_ASSERT_STRING_EQUAL(c->private_key_file, "/var/lib/meshgate/private.key");
	CU_ASSERT(!c->has_private_key);
	CU_ASSERT(c->n_peers == 0 && c->n_rules == 0);
	CU_ASSERT(c->listen_port == 51820 && c->tunnel_mtu == 1420);
}

static void test_embedded_default(void)
{
	struct mg_config c;
	char err[MG_CONFIG_ERR_LEN] = "";
	char *file = read_text(MG_CONF_DIR "/meshgate.conf");

	CU_ASSERT_FATAL(file != NULL);
	CU_ASSERT_STRING_EQUAL(mg_config_embedded_default(), file); /* compiled in verbatim */
	free(file);
	if (mg_config_load_string(&c, mg_config_embedded_default(), "<embedded>", err,
				  sizeof(err)) != 0)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_FATAL(err[0] == '\0');
	check_default_layout(&c);
	CU_ASSERT_STRING_EQUAL(c.source, "<embedded>");
	mg_config_free(&c);
}

/* Every value conf/meshgate.conf writes out must equal the built-in default, except what the
 * file says it changes (the ports and open mode). */
static void test_defaults_match_file(void)
{
	struct mg_config d, f;
	char err[MG_CONFIG_ERR_LEN] = "";

	mg_config_defaults(&d);
	CU_ASSERT_FATAL(mg_config_load_file(&f, MG_CONF_DIR "/meshgate.conf", err,
					    sizeof(err)) == 0);
	CU_ASSERT_STRING_EQUAL(d.instance, f.instance);
	CU_ASSERT(d.hugepages == f.hugepages && d.memory_mb == f.memory_mb);
	CU_ASSERT(d.workers == f.workers && d.idle_backoff == f.idle_backoff);
	CU_ASSERT(d.idle_max_sleep_us == f.idle_max_sleep_us && d.mbufs == f.mbufs);
	CU_ASSERT(d.stats_interval_s == f.stats_interval_s && f.n_eal_args == 0);
	CU_ASSERT(d.listen_port == f.listen_port && d.tunnel_mtu == f.tunnel_mtu);
	CU_ASSERT(d.handshake_rate == f.handshake_rate && d.handshake_burst == f.handshake_burst);
	CU_ASSERT(d.under_load_backlog == f.under_load_backlog);
	CU_ASSERT(d.open_max_peers == f.open_max_peers);
	CU_ASSERT(!d.open_mode && f.open_mode);
	CU_ASSERT(d.nat_port_lo == f.nat_port_lo && d.nat_port_hi == f.nat_port_hi);
	CU_ASSERT(d.nat_max_sessions == f.nat_max_sessions);
	CU_ASSERT(d.nat_max_sessions_per_peer == f.nat_max_sessions_per_peer);
	CU_ASSERT(d.nat_udp_timeout_s == 300 && f.nat_udp_timeout_s == 300);
	CU_ASSERT(d.nat_tcp_established_timeout_s == f.nat_tcp_established_timeout_s);
	CU_ASSERT(d.nat_tcp_transitory_timeout_s == f.nat_tcp_transitory_timeout_s);
	CU_ASSERT(d.nat_icmp_timeout_s == f.nat_icmp_timeout_s);
	CU_ASSERT(d.nat_port_reuse_delay_s == f.nat_port_reuse_delay_s);
	CU_ASSERT(d.policy_icmp_reply == f.policy_icmp_reply);
	mg_config_free(&f);
	mg_config_free(&d);
}

static struct mg_config *load_example(const char *name, struct mg_config *c)
{
	char path[512], err[MG_CONFIG_ERR_LEN] = "";

	snprintf(path, sizeof(path), "%s/examples/%s", MG_CONF_DIR, name);
	if (mg_config_load_file(c, path, err, sizeof(err)) != 0)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT(err[0] == '\0');
	return c;
}

static void test_examples(void)
{
	struct mg_config c;

	load_example("one-armed.conf", &c);
	CU_ASSERT(c.n_ports == 1 && c.ports[0].role == MG_PORT_ROLE_BOTH);
	CU_ASSERT(c.ports[0].address.addr == ip(203, 0, 113, 1));
	CU_ASSERT(c.ports[0].gateway == ip(203, 0, 113, 254));
	mg_config_free(&c);

	load_example("two-port.conf", &c);
	CU_ASSERT(!c.open_mode && c.n_peers == 2);
	CU_ASSERT(c.n_peers == 2 && c.peers[0].has_preshared_key && c.peers[1].has_preshared_key);
	CU_ASSERT(c.n_rules == 2 && c.rules[1].proto == IPPROTO_TCP && c.rules[1].port_lo == 25);
	CU_ASSERT(c.rules[0].action == MG_RULE_DENY && c.rules[0].port_hi == 65535);
	mg_config_free(&c);

	load_example("physical-nic.conf", &c);
	CU_ASSERT(c.hugepages == MG_HUGEPAGES_ON && c.workers == 2);
	CU_ASSERT_STRING_EQUAL(c.ports[0].driver, "pci");
	CU_ASSERT(c.n_eal_args == 1);
	mg_config_free(&c);

	load_example("benchmark.conf", &c);
	CU_ASSERT_STRING_EQUAL(c.ports[0].driver, "ring");
	CU_ASSERT_STRING_EQUAL(c.ports[1].driver, "null");
	CU_ASSERT(c.has_private_key && c.hugepages == MG_HUGEPAGES_OFF);
	mg_config_free(&c);
}

/* A minimal file exercising the values on the edges of what is accepted. */
static void test_boundaries_accepted(void)
{
	static const char text[] = PORTS2 WG_OPEN
		"nat = { udp_timeout = 120; port_range = [ 1000, 1000 ]; icmp_timeout = 60; };\n"
		"peers = ( { public_key = \"" PUB1 "\"; allowed_ips = [ \"100.64.0.2/32\" ]; } );\n"
		"mesh = { };\n";
	struct mg_config c;
	char err[MG_CONFIG_ERR_LEN] = "";

	if (mg_config_load_string(&c, text, "edge.conf", err, sizeof(err)) != 0)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_FATAL(err[0] == '\0');
	CU_ASSERT(c.nat_udp_timeout_s == 120 && c.nat_port_lo == 1000 && c.nat_port_hi == 1000);
	CU_ASSERT(c.has_private_key && c.n_peers == 1 && c.peers[0].line == 7);
	CU_ASSERT(c.peers[0].allowed_ips[0].addr == ip(100, 64, 0, 2));
	mg_config_free(&c);
}

/* ---- bad files: each must fail with exactly this "FILE:LINE: KEY:" (FILE is %s) ---- */

struct bad_case {
	const char *what;
	const char *text;
	const char *expect; /* printf format with one %s for the file name */
};

static const struct bad_case bad_cases[] = {
	{ "syntax error", "instance = \"x\";\nworkers = ;\n", "%s:2: syntax error" },
	{ "duplicate setting", PORTS2 WG_OPEN "workers = 1;\nworkers = 2;\n",
	  "%s:7: duplicate setting name" },
	{ "unknown key", PORTS2 WG_OPEN "wrokers = 2;\n",
	  "%s:6: wrokers: unknown key (did you mean 'workers'?)" },
	{ "unknown nested key", PORTS2 "wireguard = {\n  private_key = \"" WG_PRIV "\";\n"
	  "  listen_prot = 51820;\n};\n", "%s:7: wireguard.listen_prot: unknown key" },
	{ "unknown mesh key", PORTS2 WG_OPEN "mesh = { gossip = true; };\n",
	  "%s:6: mesh.gossip: unknown key" },
	{ "mesh seed without port", PORTS2 WG_OPEN "mesh = {\n  seeds = [ \"198.51.100.7\" ];\n};\n",
	  "%s:7: mesh.seeds[0]: \"198.51.100.7\" is not \"address:port\"" },
	{ "mesh seed bad port", PORTS2 WG_OPEN "mesh = {\n  seeds = [ \"198.51.100.7:70000\" ];\n};\n",
	  "%s:7: mesh.seeds[0]: \"198.51.100.7:70000\" is not \"address:port\" with an IPv4" },
	{ "mesh unknown role", PORTS2 WG_OPEN "mesh = {\n  roles = [ \"exit\", \"bridge\" ];\n};\n",
	  "%s:7: mesh.roles[1]: unknown role" },
	{ "mesh lower-case country", PORTS2 WG_OPEN "mesh = {\n  country = \"de\";\n};\n",
	  "%s:7: mesh.country: expected an ISO 3166-1 alpha-2 code" },
	{ "mesh unknown continent", PORTS2 WG_OPEN "mesh = {\n  continent = \"XX\";\n};\n",
	  "%s:7: mesh.continent: expected one of AF" },
	{ "mesh relative key file", PORTS2 WG_OPEN "mesh = {\n  identity_key_file = \"id.key\";\n};\n",
	  "%s:7: mesh.identity_key_file: must be an absolute path" },
	{ "wrong type string for int", PORTS2 WG_OPEN "workers = \"2\";\n",
	  "%s:6: workers: wrong type: expected an integer, got a string" },
	{ "wrong type float for int", PORTS2 WG_OPEN "workers = 1.5;\n",
	  "%s:6: workers: wrong type: expected an integer" },
	{ "wrong type group for list", "ports = { name = \"x\"; };\n" WG_OPEN,
	  "%s:1: ports: wrong type" },
	{ "wrong type bool", PORTS2 WG_OPEN "idle_backoff = 1;\n",
	  "%s:6: idle_backoff: wrong type: expected true or false" },
	{ "bad prefix length", "ports = (\n  { name = \"m\"; driver = \"af_packet\"; iface = \"x\"; "
	  "role = \"both\";\n    address = \"198.51.100.1/33\"; }\n);\n" WG_OPEN,
	  "%s:3: ports[0].address: '198.51.100.1/33' is not an IPv4 prefix" },
	{ "host bits in allowed_ips", PORTS2 "wireguard = { private_key = \"" WG_PRIV "\";\n"
	  "  open = { enabled = true; allowed_ips = [ \"100.64.0.1/10\" ]; }; };\n",
	  "%s:6: wireguard.open.allowed_ips[0]: '100.64.0.1/10' has host bits set "
	  "(did you mean 100.64.0.0/10?)" },
	{ "bad gateway address", "ports = (\n  { name = \"m\"; driver = \"af_packet\"; iface = "
	  "\"x\"; role = \"both\"; address = \"203.0.113.1/24\";\n    gateway = \"203.0.113\"; }\n"
	  ");\n" WG_OPEN, "%s:3: ports[0].gateway: '203.0.113' is not an IPv4 address" },
	{ "bad peer key", PORTS2 WG_OPEN "peers = (\n  { public_key = \"abc\"; "
	  "allowed_ips = [ \"100.64.0.2/32\" ]; }\n);\n", "%s:7: peers[0].public_key: not a "
	  "WireGuard key" },
	{ "33-byte private key", PORTS2 "wireguard = { private_key = \"AAECAwQFBgcICQoLDA0ODxAREh"
	  "MUFRYXGBkaGxwdHh8g\"; open = { enabled = true; }; };\n",
	  "%s:5: wireguard.private_key: not a WireGuard key" },
	{ "listen_port out of range", PORTS2 "wireguard = { private_key = \"" WG_PRIV "\"; "
	  "open = { enabled = true; };\n  listen_port = 70000; };\n",
	  "%s:6: wireguard.listen_port: must be between 1 and 65535" },
	{ "port range element out of range", PORTS2 WG_OPEN
	  "nat = { port_range = [ 1024,\n 65536 ]; };\n",
	  "%s:7: nat.port_range[1]: port must be between 1 and 65535" },
	{ "missing mesh role", "ports = (\n  { name = \"a\"; driver = \"af_packet\"; iface = "
	  "\"inet0\"; role = \"internet\"; address = \"203.0.113.1/24\"; }\n);\n" WG_OPEN,
	  "%s:1: ports: no port has role \"mesh\"" },
	{ "missing internet role", "\n\nports = (\n  { name = \"a\"; driver = \"af_packet\"; "
	  "iface = \"mesh0\"; role = \"mesh\"; address = \"198.51.100.1/24\"; }\n);\n" WG_OPEN,
	  "%s:3: ports: no port has role \"internet\"" },
	{ "no ports at all", WG_OPEN, "%s:1: ports: no ports" },
	{ "missing role", "ports = (\n  { name = \"m\"; driver = \"af_packet\"; iface = \"mesh0\"; "
	  "address = \"198.51.100.1/24\"; }\n);\n" WG_OPEN, "%s:2: ports[0].role: missing" },
	{ "bad role", "ports = (\n  { name = \"m\"; driver = \"af_packet\"; iface = \"mesh0\"; "
	  "address = \"198.51.100.1/24\";\n role = \"exit\"; }\n);\n" WG_OPEN,
	  "%s:3: ports[0].role: must be \"mesh\", \"internet\" or \"both\" (got \"exit\")" },
	{ "duplicate port name", "ports = (\n"
	  "  { name = \"x\"; driver = \"af_packet\"; iface = \"mesh0\"; role = \"mesh\"; "
	  "address = \"198.51.100.1/24\"; },\n"
	  "  { name = \"x\"; driver = \"af_packet\"; iface = \"inet0\"; role = \"internet\"; "
	  "address = \"203.0.113.1/24\"; }\n);\n" WG_OPEN,
	  "%s:3: ports[1].name: duplicate port name 'x'" },
	{ "gateway off-subnet", "ports = (\n"
	  "  { name = \"x\"; driver = \"af_packet\"; iface = \"mesh0\"; role = \"mesh\"; "
	  "address = \"198.51.100.1/24\"; },\n"
	  "  { name = \"y\"; driver = \"af_packet\"; iface = \"inet0\"; role = \"internet\"; "
	  "address = \"203.0.113.1/24\";\n gateway = \"192.0.2.1\"; }\n);\n" WG_OPEN,
	  "%s:4: ports[1].gateway: is outside the port's subnet" },
	{ "network address as port address", "ports = (\n  { name = \"m\"; driver = \"af_packet\";"
	  " iface = \"x\"; role = \"both\"; address = \"203.0.113.0/24\"; }\n);\n" WG_OPEN,
	  "%s:2: ports[0].address: is the network address" },
	{ "pci address", "ports = (\n  { name = \"m\"; driver = \"pci\"; iface = \"eth0\"; "
	  "role = \"both\"; address = \"203.0.113.1/24\"; }\n);\n" WG_OPEN,
	  "%s:2: ports[0].iface: 'eth0' is not a PCI address" },
	{ "duplicate peer key", PORTS2 WG_OPEN "peers = (\n"
	  "  { public_key = \"" PUB1 "\"; allowed_ips = [ \"100.64.0.2/32\" ]; },\n"
	  "  { public_key = \"" PUB1 "\"; allowed_ips = [ \"100.64.0.3/32\" ]; }\n);\n",
	  "%s:8: peers[1].public_key: duplicate key: peers[0] (line 7)" },
	{ "no peers and no open mode", PORTS2 "wireguard = { private_key = \"" WG_PRIV "\"; };\n",
	  "%s:1: peers: no peers and open mode is off" },
	{ "udp_timeout 60", PORTS2 WG_OPEN "nat = {\n  udp_timeout = 60;\n};\n",
	  "%s:7: nat.udp_timeout: 60 s is below the 120 s minimum of RFC 4787" },
	{ "tcp established below RFC 5382", PORTS2 WG_OPEN
	  "nat = { tcp_established_timeout = 7439; };\n",
	  "%s:6: nat.tcp_established_timeout: 7439 s is below the 7440 s minimum" },
	{ "port range lo > hi", PORTS2 WG_OPEN "nat = { port_range = [ 2000, 1000 ]; };\n",
	  "%s:6: nat.port_range: first port 2000 is above last port 1000" },
	{ "one-armed NAT range covers listen_port", "ports = ( { name = \"w\"; driver = "
	  "\"af_packet\"; iface = \"inet0\"; role = \"both\"; address = \"203.0.113.1/24\"; } );\n"
	  WG_OPEN, "%s:1: nat.port_range: [ 1024, 65535 ] includes wireguard.listen_port 51820" },
	{ "workers 0", PORTS2 WG_OPEN "workers = 0;\n", "%s:6: workers: must be between 1 and" },
	{ "hugepages choice", PORTS2 WG_OPEN "hugepages = \"yes\";\n",
	  "%s:6: hugepages: must be \"auto\", \"on\" or \"off\" (got \"yes\")" },
	{ "icmp rule with ports", PORTS2 WG_OPEN "policy = { rules = (\n { action = \"deny\"; "
	  "prefix = \"192.0.2.0/24\"; proto = \"icmp\"; ports = [ 1, 2 ]; } ); };\n",
	  "%s:7: policy.rules[0].ports: ICMP has no ports" },
	{ "tunnel mtu too big for the port", PORTS2 "wireguard = { private_key = \"" WG_PRIV "\"; "
	  "open = { enabled = true; };\n  mtu = 1460; };\n",
	  "%s:6: wireguard.mtu: 1460 plus 60 bytes of outer headers exceeds ports[0].mtu 1500" },
	{ "instance name", PORTS2 WG_OPEN "instance = \"a/b\";\n", "%s:6: instance: 'a/b' must" },
	{ "list element not a group", PORTS2 WG_OPEN "peers = ( \"x\" );\n",
	  "%s:6: peers[0]: wrong type: expected a group" },
};

static void run_bad_case(const struct bad_case *bc, const char *path)
{
	struct mg_config c;
	char err[MG_CONFIG_ERR_LEN] = "", expect[512];

	snprintf(expect, sizeof(expect), bc->expect, path);
	write_file(path, bc->text, 0644);
	CU_ASSERT(mg_config_load_file(&c, path, err, sizeof(err)) == -1);
	if (getenv("MG_TEST_VERBOSE") != NULL)
		fprintf(stderr, "  %-40s %s\n", bc->what, err);
	if (strncmp(err, expect, strlen(expect)) != 0)
		fprintf(stderr, "\n  case '%s'\n    want: %s\n    got:  %s\n", bc->what, expect, err);
	CU_ASSERT(strncmp(err, expect, strlen(expect)) == 0);
	/* A failed load leaves nothing to free and only defaults behind. */
	CU_ASSERT(c.peers == NULL && c.n_peers == 0 && c.n_ports == 0 && c.n_eal_args == 0);
	mg_config_free(&c);
}

static void test_bad_files(void)
{
	char path[256];

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/bad%zu.conf", tmpdir, i);
		run_bad_case(&bad_cases[i], path);
		unlink(path);
	}
}

static void test_missing_file(void)
{
	struct mg_config c;
	char err[MG_CONFIG_ERR_LEN] = "", expect[300], path[256];

	snprintf(path, sizeof(path), "%s/nonexistent.conf", tmpdir);
	snprintf(expect, sizeof(expect), "%s: cannot read: %s", path, strerror(ENOENT));
	CU_ASSERT(mg_config_load_file(&c, path, err, sizeof(err)) == -1);
	CU_ASSERT_STRING_EQUAL(err, expect);
}

/* An error inside an @include'd file names that file and its own line. */
static void test_include_names_file(void)
{
	struct mg_config c;
	char main_path[256], inc_path[256], err[MG_CONFIG_ERR_LEN] = "", expect[600];

	snprintf(main_path, sizeof(main_path), "%s/main.conf", tmpdir);
	snprintf(inc_path, sizeof(inc_path), "%s/peers.inc", tmpdir);
	write_file(main_path, PORTS2 WG_OPEN "@include \"peers.inc\"\n", 0644);
	write_file(inc_path, "peers = (\n  { public_key = \"abc\"; allowed_ips = "
		   "[ \"100.64.0.2/32\" ]; }\n);\n", 0644);
	CU_ASSERT(mg_config_load_file(&c, main_path, err, sizeof(err)) == -1);
	snprintf(expect, sizeof(expect), "%s:2: peers[0].public_key: not a WireGuard key", inc_path);
	if (strncmp(err, expect, strlen(expect)) != 0)
		fprintf(stderr, "\n    want: %s\n    got:  %s\n", expect, err);
	CU_ASSERT(strncmp(err, expect, strlen(expect)) == 0);
	unlink(inc_path);
	unlink(main_path);
}

/* ---- the private key file ---- */

static void load_with_keyfile(struct mg_config *c, const char *keyfile)
{
	char text[1024], err[MG_CONFIG_ERR_LEN] = "";

	snprintf(text, sizeof(text), PORTS2 "wireguard = { private_key_file = \"%s\"; "
		 "open = { enabled = true; }; };\n", keyfile);
	if (mg_config_load_string(c, text, "key.conf", err, sizeof(err)) != 0)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_FATAL(err[0] == '\0');
}

static void test_keyfile_create(void)
{
	struct mg_config c, again;
	char path[256], err[MG_CONFIG_ERR_LEN] = "", *text;
	uint8_t k[32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/var/lib/meshgate/private.key", tmpdir);
	load_with_keyfile(&c, path);
	CU_ASSERT_FATAL(mg_config_resolve_private_key(&c, err, sizeof(err)) == 0);
	CU_ASSERT(c.has_private_key);
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	CU_ASSERT((st.st_mode & 07777) == 0600);
	text = read_text(path);
	CU_ASSERT_FATAL(text != NULL);
	CU_ASSERT(strlen(text) == 45 && text[44] == '\n'); /* `wg genkey` layout */
	text[44] = '\0';
	CU_ASSERT(mg_config_parse_key(text, k) == 0 && memcmp(k, c.private_key, 32) == 0);
	CU_ASSERT((k[0] & 7) == 0 && (k[31] & 0xc0) == 0x40); /* clamped as X25519 wants */
	free(text);

	load_with_keyfile(&again, path); /* a second start reads the same key back */
	CU_ASSERT(mg_config_resolve_private_key(&again, err, sizeof(err)) == 0);
	CU_ASSERT(memcmp(again.private_key, c.private_key, 32) == 0);
	mg_config_free(&again);
	mg_config_free(&c);
	CU_ASSERT(sodium_is_zero(c.private_key, 32)); /* free wipes */
}

static void test_keyfile_wg_genkey(void)
{
	struct mg_config c;
	char path[256], err[MG_CONFIG_ERR_LEN] = "", pub_b64[MG_CONFIG_KEY_B64_LEN];
	uint8_t pub[32];

	snprintf(path, sizeof(path), "%s/wg.key", tmpdir);
	write_file(path, WG_PRIV "\n", 0600);
	load_with_keyfile(&c, path);
	CU_ASSERT_FATAL(mg_config_resolve_private_key(&c, err, sizeof(err)) == 0);
	CU_ASSERT(crypto_scalarmult_base(pub, c.private_key) == 0);
	mg_config_format_key(pub, pub_b64);
	CU_ASSERT_STRING_EQUAL(pub_b64, WG_PUB); /* what `wg pubkey` printed for it */
	mg_config_free(&c);
}

static void test_keyfile_permissions(void)
{
	struct mg_config c;
	char path[256], err[MG_CONFIG_ERR_LEN] = "", expect[1024];

	snprintf(path, sizeof(path), "%s/open.key", tmpdir);
	write_file(path, WG_PRIV "\n", 0644);
	load_with_keyfile(&c, path);
	CU_ASSERT(mg_config_resolve_private_key(&c, err, sizeof(err)) == -1);
	snprintf(expect, sizeof(expect), "%s: private key is accessible by group or others "
		 "(mode 0644); run: chmod 600 %s", path, path);
	CU_ASSERT_STRING_EQUAL(err, expect);
	CU_ASSERT(!c.has_private_key && sodium_is_zero(c.private_key, 32));
	mg_config_free(&c);

	snprintf(path, sizeof(path), "%s/garbage.key", tmpdir);
	write_file(path, "not a key\n", 0600);
	load_with_keyfile(&c, path);
	CU_ASSERT(mg_config_resolve_private_key(&c, err, sizeof(err)) == -1);
	CU_ASSERT(strstr(err, "not a WireGuard private key") != NULL);
	mg_config_free(&c);
}

static void test_inline_key_wins(void)
{
	struct mg_config c;
	char text[1024], path[256], err[MG_CONFIG_ERR_LEN] = "";
	uint8_t want[32];

	snprintf(path, sizeof(path), "%s/never/created.key", tmpdir);
	snprintf(text, sizeof(text), PORTS2 "wireguard = { private_key = \"%s\"; private_key_file "
		 "= \"%s\"; open = { enabled = true; }; };\n", WG_PRIV, path);
	CU_ASSERT_FATAL(mg_config_load_string(&c, text, "inline.conf", err, sizeof(err)) == 0);
	CU_ASSERT(mg_config_resolve_private_key(&c, err, sizeof(err)) == 0);
	CU_ASSERT(mg_config_parse_key(WG_PRIV, want) == 0);
	CU_ASSERT(memcmp(c.private_key, want, 32) == 0);
	CU_ASSERT(access(path, F_OK) != 0);
	mg_config_free(&c);
}

static void remove_tree(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "parse prefix", test_parse_prefix },
		{ "parse and format keys", test_parse_key },
		{ "embedded default", test_embedded_default },
		{ "defaults match conf/meshgate.conf", test_defaults_match_file },
		{ "examples parse", test_examples },
		{ "boundary values accepted", test_boundaries_accepted },
		{ "bad files report file:line: key", test_bad_files },
		{ "missing file", test_missing_file },
		{ "@include errors name the included file", test_include_names_file },
		{ "key file created 0600", test_keyfile_create },
		{ "wg genkey file read back", test_keyfile_wg_genkey },
		{ "key file permissions refused", test_keyfile_permissions },
		{ "inline key wins", test_inline_key_wins },
	};
	int rc;

	if (sodium_init() < 0 || mkdtemp(tmpdir) == NULL)
		return 2;
	rc = MG_CUNIT_RUN("config", cases);
	remove_tree();
	return rc;
}
