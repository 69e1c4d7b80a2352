/* The data-plane state shared by the workers and the control lcore.
 *
 * Ownership: the control lcore creates peers and keypairs and changes the keypair pointers; the
 * workers read them lock-free and write only per-peer timestamps, byte counters and the roaming
 * endpoint, all with relaxed atomics. Keypairs are reclaimed after an RCU (QSBR) grace period, so a
 * worker holding a pointer from the previous loop iteration never sees it reused.
 */
#ifndef MG_DP_STATE_H
#define MG_DP_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_spinlock.h>

#include "dp_counters.h"
#include "index_table.h"
#include "replay.h"

struct rte_hash;
struct rte_rcu_qsbr;
struct rte_ring;
struct rte_mempool;
struct mg_neigh_table;
struct mg_policy;
struct mg_nat;
struct mg_wg_crypto;

enum mg_dp_limits {
	MG_DP_MAX_PORTS = 4,
	MG_DP_MAX_WORKERS = 32,
	MG_DP_BURST = 32,
	MG_DP_KEYPAIRS_PER_PEER = 3, /* previous, current, next */
	MG_DP_OUTER_HEADROOM = 14 + 20 + 8 + 16, /* Ethernet, IPv4, UDP, WireGuard data header */
	MG_DP_FLUSH_BATCH = 32,      /* peers per NAT flush request (peer_flush.h) */
};

enum mg_dp_port_role {
	MG_DP_ROLE_MESH = 1 << 0,
	MG_DP_ROLE_INTERNET = 1 << 1,
};

struct mg_dp_port {
	char name[32];
	uint16_t port_id;
	unsigned int role;
	uint32_t ip_be;
	uint32_t mask_be;
	uint32_t gateway_be;      /* 0 = none */
	uint16_t mtu;
	struct rte_ether_addr mac;
};

/* One direction-pair of transport keys from a completed handshake. */
struct mg_dp_keypair {
	uint8_t send_key[32];
	uint8_t recv_key[32];
	uint64_t send_counter;    /* atomically incremented by workers */
	uint64_t birth_ns;
	uint32_t local_index;     /* as on the wire (little-endian value) */
	uint32_t remote_index;
	uint32_t peer_id;
	bool initiator;
	bool confirm_sent;        /* the worker told control this "next" keypair received data */
	uint32_t owner;           /* run-to-completion with several workers: 1 + idx of the worker
				   * that commits to the replay window (the first to claim it,
				   * steer.c); 0 = not claimed yet */
	struct mg_replay_window replay; /* lock-free when shared (lib/wg/replay.h) */
} __rte_cache_aligned;

struct mg_dp_prefix {
	uint32_t addr_be;
	uint32_t mask_be;
};

struct mg_dp_peer {
	struct mg_dp_keypair *current;   /* written by control only (atomic stores) */
	struct mg_dp_keypair *previous;
	struct mg_dp_keypair *next;
	uint64_t endpoint;               /* (ip_be << 16) | port_be; 0 = unknown */
	uint64_t last_rx_ns;             /* any authenticated packet */
	uint64_t last_rx_data_ns;        /* non-keepalive data */
	uint64_t last_tx_ns;             /* anything sent */
	uint64_t last_tx_data_ns;
	const struct mg_dp_prefix *allowed; /* immutable once the peer is published */
	uint16_t n_allowed;
	bool in_use;
} __rte_cache_aligned;

/* One data-plane lcore's traffic counters of one peer. Only that lcore writes them (plain stores,
 * no locked adds, though several lcores may carry one peer's packets); readers add up every
 * lcore's (mg_dp_peer_traffic). Kept beside the peer, not in it, so no two lcores write one
 * line for a peer they share. */
struct mg_dp_peer_traffic {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
};

/* Events a worker sends the control lcore through its event ring (type in the top byte). */
enum mg_dp_event_type {
	MG_DP_EVENT_CONFIRM_NEXT = 1, /* peer's "next" keypair received data: rotate */
	MG_DP_EVENT_RESOLVE = 2,      /* no neighbour entry: value is the next hop's IPv4 address
				       * (network order), the port index sits in bits 8..15 of type */
};

struct mg_dp;

/* What a data-plane lcore does: everything (run-to-completion), or one pipeline stage. */
enum mg_dp_role {
	MG_DP_ROLE_RUN_TO_COMPLETION = 0,
	MG_DP_ROLE_PIPE_RX,     /* poll ports, classify, punt; hands bursts to crypto and NAT */
	MG_DP_ROLE_PIPE_CRYPTO, /* decrypt and encrypt */
	MG_DP_ROLE_PIPE_NAT,    /* egress (policy, NAT out) and ingress (NAT in) */
	MG_DP_ROLE_PIPE_TX,     /* transmit on every port */
};

struct mg_dp_pipeline;

struct mg_dp_worker {
	struct mg_dp *dp;
	unsigned int idx;               /* queue index on every port, QSBR thread id */
	unsigned int lcore;
	enum mg_dp_role role;
	bool polls_control;             /* drains ctl_tx/ctl_seal: the control lcore may use it */
	struct mg_dp_pipeline *pipe;    /* the pipeline's rings (pipeline roles only) */
	struct mg_nat *nat;             /* NULL on lcores that do no NAT */
	struct mg_wg_crypto *crypto;
	struct rte_mempool *pool;       /* for packets the worker creates (ICMP errors) */
	struct rte_ring *punt_ring;     /* worker -> control: ARP, handshakes, ICMP to self */
	struct rte_ring *event_ring;    /* worker -> control: struct mg_dp_event values */
	struct rte_ring *ctl_tx_ring;   /* control -> worker: frames to send, m->port set */
	struct rte_ring *ctl_seal_ring; /* control -> worker: inner packets (or empty keepalives)
					 * to encrypt for the peer in m->hash.usr */
	struct rte_ring *wg_handoff_ring; /* other workers -> this one: WireGuard data frames for
					   * keypairs this worker owns (multi-producer) */
	struct rte_ring *handoff_ring;  /* other workers -> this one: internet packets whose NAT
					 * session this worker owns (multi-producer) */
	uint32_t flush_ack;             /* last flush request (mg_dp.flush.seq) this lcore carried
					 * out; written by the lcore, read by control (peer_flush.h) */
	uint64_t resolve_last_ns;       /* rate limit for RESOLVE events: the last address asked */
	uint32_t resolve_last_ip;       /* for and when */
	struct mg_dp_peer_traffic *traffic; /* max_peers entries: this lcore's share per peer */
	struct mg_dp_counters counters;
} __rte_cache_aligned;

struct mg_dp_event {
	uint32_t type;
	uint32_t value;                 /* peer id, or an IPv4 address (network order) */
};

/* Control -> data-plane lcores: "flush the NAT sessions of these peers" (peer_flush.h). The
 * control lcore fills peers/n, then bumps seq (release); each lcore flushes once and sets its
 * flush_ack to seq. The batch is rewritten only after every lcore acknowledged it. */
struct mg_dp_flush_request {
	uint32_t peers[MG_DP_FLUSH_BATCH];
	uint32_t n;
	uint32_t seq;
};

struct mg_dp {
	struct mg_dp_port ports[MG_DP_MAX_PORTS];
	unsigned int n_ports;
	unsigned int mesh_port;         /* index into ports */
	unsigned int internet_port;     /* may equal mesh_port (one-armed) */
	uint16_t listen_port_be;
	uint16_t mesh_port_be;          /* mesh control protocol; 0 = off */
	uint32_t public_ip_be;
	uint16_t tunnel_mtu;
	bool icmp_reply_denied;

	struct mg_dp_peer *peers;
	uint32_t max_peers;
	struct mg_dp_keypair *keypairs;
	uint32_t max_keypairs;
	struct mg_dp_index_table index_table; /* local index -> keypair slot, lock-free readers */
	struct rte_hash *relay_targets; /* mesh nodes' WireGuard endpoints (relay.h); NULL = none */
	bool relay_only;                /* forward only to relay targets (a relay, not an exit) */
	struct rte_rcu_qsbr *qsbr;
	struct mg_neigh_table *neigh;
	const struct mg_policy *policy;

	struct mg_dp_worker *workers[MG_DP_MAX_WORKERS];
	unsigned int n_workers;
	uint16_t nat_port_lo;           /* worker w's NAT owns [lo + w*span, lo + (w+1)*span) */
	uint16_t nat_port_span;

	struct mg_dp_pipeline *pipeline; /* NULL in run-to-completion */
	struct mg_dp_flush_request flush; /* written by control only */

	bool idle_backoff;
	uint32_t idle_max_sleep_us;
	volatile bool *quit;
};

/* Monotonic time in nanoseconds from the TSC, the clock of every protocol function. */
uint64_t mg_dp_now_ns(void);
void mg_dp_clock_init(void);

static inline uint64_t
mg_dp_endpoint_pack(uint32_t ip_be, uint16_t port_be)
{
	return ((uint64_t)ip_be << 16) | port_be;
}

static inline uint32_t
mg_dp_endpoint_ip(uint64_t ep)
{
	return (uint32_t)(ep >> 16);
}

static inline uint16_t
mg_dp_endpoint_port(uint64_t ep)
{
	return (uint16_t)ep;
}

#endif /* MG_DP_STATE_H */
