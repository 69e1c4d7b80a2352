/* A minimal WireGuard responder over a plain UDP socket, for interop tests with stock clients.
 *
 * It drives mg_wg_device with real datagrams: answers initiations (and cookie-challenges them
 * with --under-load), keeps the resulting transport keys, and opens type-4 data with libsodium's
 * ChaCha20-Poly1305. It exits 0 once it has completed a handshake and decrypted an ICMP echo
 * request from the expected inner source address, 1 on timeout or error.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "device.h"
#include "wg_messages.h"

enum { BUF_LEN = 2048, IPV4_MIN = 20, ICMP_ECHO_REQUEST = 8, PROTO_ICMP = 1 };

struct opts {
	uint8_t private_key[MG_WG_KEY_LEN], peer_public[MG_WG_KEY_LEN], psk[MG_WG_KEY_LEN];
	bool have_psk, under_load;
	uint16_t port;
	int timeout_s;
	const char *expect_src, *dump_path;
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * MG_WG_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static bool
parse_key(const char *b64, uint8_t out[MG_WG_KEY_LEN])
{
	size_t n = 0;

	return sodium_base642bin(out, MG_WG_KEY_LEN, b64, strlen(b64), " \n", &n, NULL,
				 sodium_base64_VARIANT_ORIGINAL) == 0 && n == MG_WG_KEY_LEN;
}

static bool
read_key_file(const char *path, uint8_t out[MG_WG_KEY_LEN])
{
	char line[128] = {0};
	FILE *f = fopen(path, "r");
	bool ok;

	if (f == NULL)
		return false;
	ok = fgets(line, sizeof(line), f) != NULL && parse_key(line, out);
	fclose(f);
	sodium_memzero(line, sizeof(line));
	return ok;
}

static void
usage(void)
{
	fprintf(stderr, "usage: wg_responder --private-key-file F --peer PUB_B64 [--psk-file F] [--port 51820]\n"
			"       [--expect-src 100.64.0.2] [--timeout 30] [--under-load] [--dump-initiation F]\n");
	exit(2);
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"private-key-file", 1, 0, 'k'}, {"peer", 1, 0, 'p'}, {"psk-file", 1, 0, 's'},
		{"port", 1, 0, 'P'}, {"expect-src", 1, 0, 'e'}, {"timeout", 1, 0, 't'},
		{"under-load", 0, 0, 'u'}, {"dump-initiation", 1, 0, 'd'}, {0, 0, 0, 0}};
	bool have_key = false, have_peer = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->port = 51820;
	o->timeout_s = 30;
	o->expect_src = "100.64.0.2";
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'k': have_key = read_key_file(optarg, o->private_key); break;
		case 'p': have_peer = parse_key(optarg, o->peer_public); break;
		case 's': o->have_psk = read_key_file(optarg, o->psk); if (!o->have_psk) usage(); break;
		case 'P': o->port = (uint16_t)atoi(optarg); break;
		case 'e': o->expect_src = optarg; break;
		case 't': o->timeout_s = atoi(optarg); break;
		case 'u': o->under_load = true; break;
		case 'd': o->dump_path = optarg; break;
		default: usage();
		}
	}
	if (!have_key || !have_peer)
		usage();
}

/* Write the first initiation we see as hex, for building fixed test vectors. */
static void
dump_initiation(const char *path, const uint8_t *msg, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return;
	for (size_t i = 0; i < len; i++)
		fprintf(f, "%02x%s", msg[i], (i % 16 == 15) ? "\n" : "");
	fprintf(f, "\n");
	fclose(f);
}

struct session {
	bool have;
	struct mg_noise_keys keys;
};

/* Open a type-4 datagram; returns true when it holds an ICMP echo request from expect_src. */
static bool
open_data(const struct session *s, uint8_t *msg, size_t len, uint32_t expect_src_be)
{
	const struct mg_wg_msg_data_header *h = (const void *)msg;
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES] = {0};
	uint8_t plain[BUF_LEN];
	unsigned long long plen;
	uint32_t src;

	if (!s->have || len < MG_WG_DATA_MIN_LEN || mg_wg_le32_get(h->receiver_index) != s->keys.local_index)
		return false;
	memcpy(nonce + 4, &h->counter, sizeof(h->counter)); /* already little-endian on the wire */
	if (crypto_aead_chacha20poly1305_ietf_decrypt(plain, &plen, NULL, msg + MG_WG_DATA_HEADER_LEN,
						      len - MG_WG_DATA_HEADER_LEN, NULL, 0, nonce,
						      s->keys.recv_key) != 0) {
		printf("data: authentication failed (counter %llu)\n", (unsigned long long)le64toh(h->counter));
		return false;
	}
	printf("data: counter %llu, %llu bytes decrypted%s\n", (unsigned long long)le64toh(h->counter),
	       plen, plen == 0 ? " (keepalive)" : "");
	if (plen < IPV4_MIN || (plain[0] >> 4) != 4)
		return false;
	memcpy(&src, plain + 12, sizeof(src));
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, plain + 12, a, sizeof(a));
	inet_ntop(AF_INET, plain + 16, b, sizeof(b));
	size_t ihl = (size_t)(plain[0] & 0xf) * 4;
	printf("data: IPv4 %s -> %s proto %u", a, b, plain[9]);
	if (plain[9] == PROTO_ICMP && plen > ihl)
		printf(" icmp type %u", plain[ihl]);
	printf("\n");
	return src == expect_src_be && plain[9] == PROTO_ICMP && plen > ihl && plain[ihl] == ICMP_ECHO_REQUEST;
}

static int
open_socket(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = INADDR_ANY};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("wg_responder: socket/bind");
		exit(1);
	}
	return fd;
}

static void
report_handshake(const struct mg_wg_handshake_result *res, uint8_t type)
{
	printf("handshake: type %u -> actions%s%s%s%s peer %d drop \"%s\"\n", type,
	       res->actions & MG_WG_ACT_REPLY ? " REPLY" : "", res->actions & MG_WG_ACT_SESSION ? " SESSION" : "",
	       res->actions & MG_WG_ACT_NEW_PEER ? " NEW_PEER" : "", res->actions & MG_WG_ACT_COOKIE ? " COOKIE" : "",
	       res->peer_id, mg_wg_drop_reason_str(res->drop));
	if (res->actions & MG_WG_ACT_SESSION)
		printf("session: local index %08x remote index %08x\n", res->keys.local_index, res->keys.remote_index);
}

/* One datagram from the client: handshake class goes to the device, data is opened. */
static bool
on_datagram(struct mg_wg_device *dev, const struct opts *o, struct session *s, int fd, uint8_t *buf,
	    size_t len, const struct sockaddr_in *from, uint32_t expect_be)
{
	uint8_t type = mg_wg_msg_type(buf, len), out[MG_WG_DEVICE_OUT_MIN];
	struct mg_wg_handshake_result res;
	struct timespec wall;
	size_t out_len = 0;

	if (type == MG_WG_MSG_DATA)
		return open_data(s, buf, len, expect_be);
	clock_gettime(CLOCK_REALTIME, &wall);
	mg_wg_device_handle(dev, from->sin_addr.s_addr, from->sin_port, buf, len, mono_ns(), &wall,
			    o->under_load && !s->have, out, &out_len, &res);
	report_handshake(&res, type);
	if (out_len > 0)
		sendto(fd, out, out_len, 0, (const struct sockaddr *)from, sizeof(*from));
	if (res.actions & MG_WG_ACT_SESSION) {
		s->keys = res.keys;
		s->have = true;
	}
	sodium_memzero(&res, sizeof(res));
	return false;
}

int
main(int argc, char **argv)
{
	struct mg_wg_device_params p = {.handshake_rate = 20, .handshake_burst = 5, .max_peers = 4};
	struct session s = {0};
	struct opts o;
	uint32_t expect_be;
	uint8_t buf[BUF_LEN];
	bool done = false;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_opts(argc, argv, &o);
	if (sodium_init() < 0 || inet_pton(AF_INET, o.expect_src, &expect_be) != 1)
		usage();
	memcpy(p.private_key, o.private_key, sizeof(p.private_key));
	struct mg_wg_device *dev = mg_wg_device_create(&p);
	sodium_memzero(&p, sizeof(p));
	if (dev == NULL || mg_wg_device_add_peer(dev, o.peer_public, o.have_psk ? o.psk : NULL) != 0) {
		fprintf(stderr, "wg_responder: device set-up failed\n");
		return 1;
	}
	int fd = open_socket(o.port);
	uint64_t deadline = mono_ns() + (uint64_t)o.timeout_s * MG_WG_NSEC_PER_SEC;
	printf("listening on udp/%u, psk %s%s\n", o.port, o.have_psk ? "yes" : "no",
	       o.under_load ? ", under load (cookies required)" : "");
	while (!done && mono_ns() < deadline) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n <= 0)
			continue;
		if (o.dump_path != NULL && n == MG_WG_MSG_INITIATION_LEN &&
		    mg_wg_msg_type(buf, (size_t)n) == MG_WG_MSG_INITIATION) {
			dump_initiation(o.dump_path, buf, (size_t)n);
			o.dump_path = NULL; /* the first one only */
		}
		done = on_datagram(dev, &o, &s, fd, buf, (size_t)n, &from, expect_be);
	}
	struct mg_wg_device_stats st;
	mg_wg_device_get_stats(dev, &st);
	printf("stats: handshakes %llu, initiations rx %llu, responses tx %llu, cookie replies tx %llu\n",
	       (unsigned long long)st.handshakes_completed, (unsigned long long)st.initiations_received,
	       (unsigned long long)st.responses_sent, (unsigned long long)st.cookie_replies_sent);
	printf("%s\n", done ? "RESULT: handshake completed and ICMP echo request decrypted"
			    : "RESULT: timed out without a decrypted ICMP echo request");
	close(fd);
	sodium_memzero(&s, sizeof(s));
	sodium_memzero(&o, sizeof(o));
	mg_wg_device_destroy(dev);
	return done ? 0 : 1;
}
