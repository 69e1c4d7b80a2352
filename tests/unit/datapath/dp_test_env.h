/* Shared set-up for the in-process data-plane suites: EAL, two DPDK ring ports (mesh and
 * internet), a complete mg_dp with policy, NAT and one worker, and a client whose keys come from a
 * real handshake between two lib/wg devices. It also builds and opens the client's packets with
 * libsodium (never with the code under test), so expected values are derived independently.
 *
 * Addresses are host order in the constants (RTE_IPV4) and network order inside packets.
 */
#ifndef DP_TEST_ENV_H
#define DP_TEST_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mg_cunit.h"
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "dp_stages.h"
#include "worker.h"

/* Port indices inside the mg_dp (also the ring ports' order). */
enum dpt_port {
	DPT_MESH = 0,
	DPT_INET = 1,
	DPT_N_PORTS = 2,
};

#define DPT_MESH_IP RTE_IPV4(198, 51, 100, 1)
#define DPT_INET_IP RTE_IPV4(203, 0, 113, 1)       /* also the NAT public address */
#define DPT_GATEWAY_IP RTE_IPV4(203, 0, 113, 254)  /* internet port's default gateway */
#define DPT_CLIENT_EP_IP RTE_IPV4(198, 51, 100, 2) /* client's outer address, on-link */
#define DPT_ROAM_EP_IP RTE_IPV4(198, 51, 100, 3)   /* where the client roams to */
#define DPT_CLIENT_INNER RTE_IPV4(100, 64, 0, 2)   /* the peer's allowed IP (/32) */
#define DPT_REMOTE_IP RTE_IPV4(192, 0, 2, 80)      /* a host on the internet */

enum dpt_numbers {
	DPT_LISTEN_PORT = 51820,
	DPT_CLIENT_EP_PORT = 51000,
	DPT_ROAM_EP_PORT = 40000,
	DPT_TUNNEL_MTU = 1420,
	DPT_NAT_PORT_LO = 20000,
	DPT_NAT_PORT_HI = 29999,
	DPT_PEER_ID = 0,
	DPT_MAX_PKT = 2048,
};

/* Ethernet addresses: ours per port, the client's two next hops, the internet gateway. */
extern const struct rte_ether_addr dpt_mac_mesh, dpt_mac_inet, dpt_mac_client, dpt_mac_roam,
	dpt_mac_gateway;

/* The client's side of the session (from the initiator device's keys). */
struct dpt_client {
	uint8_t send_key[32];
	uint8_t recv_key[32];
	uint32_t local_index;  /* receiver index in packets the gateway sends us */
	uint32_t remote_index; /* receiver index we put in packets to the gateway */
	uint64_t send_counter; /* next counter we use */
};

struct dpt_env {
	struct mg_dp *dp;
	struct mg_dp_worker *w;
	struct mg_nat *nat;
	struct mg_policy *policy;
	struct dpt_client client;
	struct mg_dp_counters mark; /* snapshot taken by dpt_mark() */
	volatile bool quit;
};

/* Process-wide: the mbuf pool and each ring port's receive (we enqueue) and transmit (the worker
 * enqueues) rings, made by dpt_main(). */
extern struct rte_mempool *dpt_pool;
extern struct rte_ring *dpt_rx_ring[DPT_N_PORTS], *dpt_tx_ring[DPT_N_PORTS];

/* EAL, pool and ring ports once per process, then one CUnit suite; exit status for main(). */
int dpt_main(const char *prog, const char *suite, const struct mg_cunit_case *cases, size_t n);

/* A fresh gateway: tables, policy, NAT, worker, a handshake and the responder's keypair
 * installed for DPT_PEER_ID with the client's endpoint known (as the control lcore does).
 * confirmed: the client also sends one keepalive, and the CONFIRM_NEXT event is answered with
 * mg_dp_keypair_confirm, so the keypair is "current". Leaves a counter mark. */
/* The fixture's two ring ports as dp's mesh and internet ports (addresses, MTU, gateway). */
void dpt_setup_ports(struct mg_dp *dp);
void dpt_setup(struct dpt_env *e, bool confirmed);
void dpt_teardown(struct dpt_env *e);

/* A later handshake (the client rekeys): its responder keys are installed as the peer's "next",
 * not confirmed. e->client gets the new keys; the previous ones are copied to *old. */
void dpt_rekey(struct dpt_env *e, struct dpt_client *old);

/* Inner packets (IPv4 + L4, checksums computed from scratch with DPDK); return the length. */
uint32_t dpt_build_udp(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		       uint8_t ttl, const uint8_t *payload, uint16_t plen);
/* TCP with one option, MSS (kind 2), and the given flags (RTE_TCP_*_FLAG). */
uint32_t dpt_build_tcp(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		       uint8_t flags, uint16_t mss);

/* ICMP (type, code, the 4 bytes after the checksum as rest, then data), TTL 64. */
uint32_t dpt_build_icmp(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
			uint32_t rest, const uint8_t *data, uint16_t dlen);
/* A header-sum check alone (for a quoted header whose payload is cut). */
bool dpt_ip_hdr_csum_ok(const uint8_t *ip);

/* A WireGuard data frame to the mesh port: inner padded to 16, sealed with libsodium. */
struct rte_mbuf *dpt_wg_frame(const uint8_t key[32], uint32_t receiver, uint64_t counter,
			      const uint8_t *inner, uint32_t len, uint32_t src_ip, uint16_t sport,
			      const struct rte_ether_addr *src_mac);
/* The same from the client's usual endpoint with its keys and next counter. */
struct rte_mbuf *dpt_client_frame(struct dpt_env *e, const uint8_t *inner, uint32_t len);
/* An Ethernet frame around an IPv4 packet, addressed to the internet port's MAC. */
struct rte_mbuf *dpt_inet_frame(const uint8_t *ip, uint32_t len);

/* Put a frame on a port's receive ring, run the worker until it is idle (mg_dp_worker_poll),
 * and take up to max transmitted frames from each port's transmit ring. */
void dpt_inject(enum dpt_port port, struct rte_mbuf *m);
void dpt_run(struct dpt_env *e);
unsigned dpt_collect(enum dpt_port port, struct rte_mbuf **out, unsigned max);
/* Free whatever both transmit rings hold; returns how many frames that was. */
unsigned dpt_drain(void);

/* Check a frame the mesh port sent to (ip, port) behind dst_mac and open it with the client's
 * receive key: the plaintext (padding included) goes to plain, its length to *len. */
bool dpt_open_reply(struct dpt_env *e, struct rte_mbuf *m, uint32_t ip, uint16_t port,
		    const struct rte_ether_addr *dst_mac, uint8_t *plain, uint32_t *len,
		    uint64_t *counter);

/* Set the IPv4 header and L4 checksums of the packet at ip from scratch (after an edit). */
void dpt_set_csums(uint8_t *ip);
/* Recompute the IPv4 header and the TCP/UDP/ICMP checksums of the packet at ip and assert. */
void dpt_check_csums(const uint8_t *ip);

/* Counters relative to the last dpt_mark(). */
void dpt_mark(struct dpt_env *e);
uint64_t dpt_count(const struct dpt_env *e, enum mg_dp_counter c);
uint64_t dpt_dropped(const struct dpt_env *e, enum mg_dp_drop d);
/* Drops for every reason but `except` (MG_DP_DROP_MAX: all reasons). */
uint64_t dpt_dropped_other(const struct dpt_env *e, enum mg_dp_drop except);
/* The fixture peer's traffic counters, summed over the data-plane lcores. */
struct mg_dp_peer_traffic dpt_traffic(const struct dpt_env *e);

#endif /* DP_TEST_ENV_H */
