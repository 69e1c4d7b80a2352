/* mesh_inject: hostile mesh control datagrams for the integration tests (test_mesh_forgery.sh).
 *
 * Each mode builds one datagram with lib/mesh's own encoders (wire.h, record.h) and libsodium and
 * sends it over a plain UDP socket: a datagram or a record that claims another node's id but is
 * signed by a fresh key, a record that expired an hour ago, a node's record re-signed with a lower
 * sequence (needs that node's identity file), or the UDP payload of a captured datagram replayed.
 *
 *   mesh_inject forged-dgram  TO --claim ID64          header sender = ID, signed by a fresh key
 *   mesh_inject forged-record TO --claim ID64 [--seq N] record of ID signed by a fresh key
 *   mesh_inject expired       TO                       fresh key, issued 2 h ago, expired 1 h ago
 *   mesh_inject stale         TO --key FILE --seq N    the key file's node, re-signed at seq N
 *   mesh_inject replay        TO --pcap FILE           UDP payload of the capture's first packet
 *
 * TO is "a.b.c.d:port". Every mode prints one line saying what it sent (the record's id, seq).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "record.h"
#include "wire.h"

enum { PCAP_GLOBAL_HDR = 24, PCAP_REC_HDR = 16, ETH_HDR = 14, UDP_HDR = 8 };

struct opts {
	const char *mode;
	struct sockaddr_in to;
	uint8_t claim[MG_MESH_ID_LEN];
	int have_claim;
	uint64_t seq;
	int have_seq;
	const char *key_file;
	const char *pcap_file;
};

static int
usage(void)
{
	fprintf(stderr, "usage: mesh_inject forged-dgram|forged-record|expired|stale|replay "
		"A.B.C.D:PORT [--claim ID64] [--seq N] [--key FILE] [--pcap FILE]\n");
	return 2;
}

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * MG_MESH_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static int
parse_to(const char *text, struct sockaddr_in *sa)
{
	char addr[32];
	const char *colon = strrchr(text, ':');

	if (colon == NULL || (size_t)(colon - text) >= sizeof(addr))
		return -1;
	memcpy(addr, text, (size_t)(colon - text));
	addr[colon - text] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, addr, &sa->sin_addr) == 1 && sa->sin_port != 0 ? 0 : -1;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	size_t bin_len;

	if (argc < 3 || parse_to(argv[2], &o->to) != 0)
		return -1;
	o->mode = argv[1];
	for (int i = 3; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--claim") == 0) {
			if (sodium_hex2bin(o->claim, sizeof(o->claim), argv[i + 1], strlen(argv[i + 1]),
					   NULL, &bin_len, NULL) != 0 || bin_len != MG_MESH_ID_LEN)
				return -1;
			o->have_claim = 1;
		} else if (strcmp(argv[i], "--seq") == 0) {
			o->seq = strtoull(argv[i + 1], NULL, 10);
			o->have_seq = 1;
		} else if (strcmp(argv[i], "--key") == 0) {
			o->key_file = argv[i + 1];
		} else if (strcmp(argv[i], "--pcap") == 0) {
			o->pcap_file = argv[i + 1];
		} else {
			return -1;
		}
	}
	return 0;
}

/* The Ed25519 key of a node from its identity file: one base64 line of a 32-byte seed. */
static int
load_identity(const char *path, uint8_t sk[MG_MESH_SK_LEN])
{
	char line[128];
	uint8_t seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];
	size_t len = 0;
	FILE *f = fopen(path, "r");
	int rc = -1;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	if (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (sodium_base642bin(seed, sizeof(seed), line, strlen(line), NULL, &len, NULL,
				      sodium_base64_VARIANT_ORIGINAL) == 0 && len == sizeof(seed))
			rc = crypto_sign_seed_keypair(pk, sk, seed);
	}
	fclose(f);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(line, sizeof(line));
	if (rc != 0)
		fprintf(stderr, "mesh_inject: %s: not one base64 line of a 32-byte seed\n", path);
	return rc;
}

/* A plausible record: an exit in DE at 203.0.113.99 (an address no test node uses). */
static void
record_template(struct mg_mesh_record *r, uint64_t seq, uint64_t issued_ns, uint64_t expires_ns)
{
	static const uint8_t ep_ip[4] = { 203, 0, 113, 99 };

	memset(r, 0, sizeof(*r));
	randombytes_buf(r->wg_key, sizeof(r->wg_key));
	r->seq = seq;
	r->issued_ns = issued_ns;
	r->expires_ns = expires_ns;
	r->roles = MG_MESH_ROLE_EXIT | MG_MESH_ROLE_RELAY;
	memcpy(r->country, "DE", 2);
	r->continent = MG_MESH_CONT_EU;
	r->capacity_mbps = 100000;
	r->exit_policy = MG_MESH_EXIT_WEB;
	r->n_endpoints = 2;
	for (int i = 0; i < 2; i++) {
		r->endpoints[i].family = 4;
		r->endpoints[i].port = i == 0 ? 51821 : 51820;
		memcpy(r->endpoints[i].ip, ep_ip, 4);
	}
}

/* One datagram from `sender` signed with sk, carrying one RECORD message (r encoded). */
static size_t
dgram_with_record(uint8_t *buf, const uint8_t *sender, const uint8_t *sk,
		  const struct mg_mesh_record *r)
{
	struct mg_mesh_writer w;
	size_t len = mg_mesh_record_size(r);
	uint8_t *val;

	mg_mesh_wire_begin(&w, buf, MG_MESH_DGRAM_MAX, sender, wall_ns());
	val = mg_mesh_wire_add(&w, MG_MESH_MSG_RECORD, (uint16_t)len);
	if (val == NULL || mg_mesh_record_encode(r, val, len) != len)
		return 0;
	return mg_mesh_wire_finish(&w, sk);
}

static void
print_record(const char *what, const struct mg_mesh_record *r)
{
	char hex[2 * MG_MESH_ID_LEN + 1];

	sodium_bin2hex(hex, sizeof(hex), r->id, MG_MESH_ID_LEN);
	printf("%s id=%s seq=%llu\n", what, hex, (unsigned long long)r->seq);
}

/* Build the datagram of a record mode into buf; returns its length or 0. */
static size_t
build_record_mode(const struct opts *o, uint8_t *buf, uint8_t sk[MG_MESH_SK_LEN])
{
	uint8_t pk[MG_MESH_ID_LEN], node_sk[MG_MESH_SK_LEN];
	struct mg_mesh_record r;
	uint64_t now = wall_ns(), hour = 3600 * MG_MESH_NS_PER_S;
	size_t len = 0;

	crypto_sign_keypair(pk, sk); /* the injector's own, fresh identity */
	if (strcmp(o->mode, "forged-dgram") == 0 && o->have_claim) {
		record_template(&r, now / MG_MESH_NS_PER_MS + 1000000, now, now + hour);
		mg_mesh_record_sign(&r, sk);
		memcpy(r.id, o->claim, MG_MESH_ID_LEN);
		len = dgram_with_record(buf, o->claim, sk, &r); /* header claims the node */
		print_record("forged datagram (sender claimed, signed by a fresh key), record", &r);
	} else if (strcmp(o->mode, "forged-record") == 0 && o->have_claim) {
		record_template(&r, o->have_seq ? o->seq : now / MG_MESH_NS_PER_MS + 1000000, now,
				now + hour);
		mg_mesh_record_sign(&r, sk);
		memcpy(r.id, o->claim, MG_MESH_ID_LEN); /* the signature is the fresh key's */
		len = dgram_with_record(buf, pk, sk, &r);
		print_record("forged record", &r);
	} else if (strcmp(o->mode, "expired") == 0) {
		record_template(&r, now / MG_MESH_NS_PER_MS, now - 2 * hour, now - hour);
		mg_mesh_record_sign(&r, sk);
		len = dgram_with_record(buf, pk, sk, &r);
		print_record("expired record", &r);
	} else if (strcmp(o->mode, "stale") == 0 && o->key_file && o->have_seq) {
		if (load_identity(o->key_file, node_sk) == 0) {
			record_template(&r, o->seq, now, now + hour);
			mg_mesh_record_sign(&r, node_sk);
			len = dgram_with_record(buf, pk, sk, &r);
			print_record("stale record (the node's own key)", &r);
		}
		sodium_memzero(node_sk, sizeof(node_sk));
	}
	return len;
}

/* The UDP payload of the first packet of a classic pcap file (Ethernet, IPv4, UDP). */
static size_t
pcap_first_udp(const char *path, uint8_t *buf, size_t cap)
{
	uint8_t raw[65536];
	size_t n, ihl, udp_len;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		perror(path);
		return 0;
	}
	n = fread(raw, 1, sizeof(raw), f);
	fclose(f);
	if (n < PCAP_GLOBAL_HDR + PCAP_REC_HDR + ETH_HDR + 20 + UDP_HDR)
		return 0;
	const uint8_t *eth = raw + PCAP_GLOBAL_HDR + PCAP_REC_HDR;
	const uint8_t *ip = eth + ETH_HDR;

	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (eth[12] != 0x08 || eth[13] != 0x00 || ip[9] != IPPROTO_UDP || ihl < 20 ||
	    ip + ihl + UDP_HDR > raw + n)
		return 0;
	udp_len = (size_t)(ip[ihl + 4] << 8 | ip[ihl + 5]);
	if (udp_len < UDP_HDR || udp_len - UDP_HDR > cap || ip + ihl + udp_len > raw + n)
		return 0;
	memcpy(buf, ip + ihl + UDP_HDR, udp_len - UDP_HDR);
	printf("replayed %zu bytes (captured datagram)\n", udp_len - UDP_HDR);
	return udp_len - UDP_HDR;
}

int
main(int argc, char **argv)
{
	uint8_t buf[MG_MESH_DGRAM_MAX], sk[MG_MESH_SK_LEN];
	struct opts o = { 0 };
	size_t len;
	int fd, rc = 1;

	if (sodium_init() < 0 || parse_args(argc, argv, &o) != 0)
		return usage();
	if (strcmp(o.mode, "replay") == 0)
		len = o.pcap_file ? pcap_first_udp(o.pcap_file, buf, sizeof(buf)) : 0;
	else
		len = build_record_mode(&o, buf, sk);
	sodium_memzero(sk, sizeof(sk));
	if (len == 0) {
		fprintf(stderr, "mesh_inject: %s: nothing to send (arguments, key or capture)\n",
			o.mode);
		return usage();
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd >= 0 && sendto(fd, buf, len, 0, (struct sockaddr *)&o.to, sizeof(o.to)) ==
	    (ssize_t)len)
		rc = 0;
	else
		perror("mesh_inject: sendto");
	if (fd >= 0)
		close(fd);
	return rc;
}
