/* Private state of the control lcore, shared by its files (handshake, ARP, ICMP, timers,
 * telemetry). Nothing outside lib/control includes this. */
#ifndef MG_CONTROL_INTERNAL_H
#define MG_CONTROL_INTERNAL_H

#include <stdio.h>

#include <rte_mbuf.h>

#include "control.h"
#include "timers.h"

enum mg_control_limits {
	MG_CTL_TICK_NS = 100 * 1000 * 1000,   /* timers and housekeeping every 100 ms */
	MG_CTL_UNDER_LOAD_HOLD_NS = 1000 * 1000 * 1000, /* stay "under load" 1 s after a burst */
	MG_CTL_ARP_REFRESH_NS = 60ULL * 1000 * 1000 * 1000,
	MG_CTL_ARP_RETRY_NS = 1000 * 1000 * 1000,
	/* Open-mode reclamation (reclaim.c): a peer admitted in open mode is idle, and its id is
	 * reclaimed, once it holds no key material (the timers zeroed its keys) and no handshake was
	 * completed or initiated, and it was not admitted, within this many seconds. It equals the
	 * timers' ZERO_ALL_KEYS delay, 3 x REJECT_AFTER_TIME = 540 s. */
	MG_CTL_RECLAIM_IDLE_S = 3 * MG_WG_REJECT_AFTER_TIME_S,
};

#define MG_CTL_COUNTER_LIST(X)                                                                   \
	X(ARP_REQUESTS_ANSWERED, "arp_requests_answered")                                        \
	X(ARP_REPLIES_LEARNED, "arp_replies_learned")                                            \
	X(ARP_REQUESTS_SENT, "arp_requests_sent")                                                \
	X(ARP_INVALID, "arp_invalid")                                                            \
	X(ICMP_ECHO_ANSWERED, "icmp_echo_answered")                                              \
	X(ICMP_INVALID, "icmp_invalid")                                                          \
	X(HANDSHAKE_PACKETS, "handshake_packets")                                                \
	X(HANDSHAKE_MALFORMED, "handshake_malformed")                                            \
	X(KEYPAIRS_INSTALLED, "keypairs_installed")                                              \
	X(KEYPAIRS_CONFIRMED, "keypairs_confirmed")                                              \
	X(KEYPAIR_TABLE_FULL, "keypair_table_full")                                              \
	X(KEEPALIVES_SENT, "keepalives_sent")                                                    \
	X(KEYS_EXPIRED, "keys_expired")                                                          \
	X(KEYS_ZEROED, "keys_zeroed")                                                            \
	X(PEERS_RECLAIMED, "peers_reclaimed")                                                    \
	X(RECLAIM_HANDSHAKE_REFUSED, "handshakes_refused_reclaiming")                            \
	X(UNDER_LOAD_SECONDS, "under_load_ticks")                                                \
	X(TX_RING_FULL, "control_tx_ring_full")                                                  \
	X(MESH_PACKETS, "mesh_packets")                                                          \
	X(MESH_RX_DROPPED, "mesh_rx_dropped")                                                    \
	X(MESH_TX_UNROUTABLE, "mesh_tx_unroutable")                                              \
	X(NO_MBUF, "control_no_mbuf")

#define MG_CTL_ENUM(id, name) MG_CTL_##id,
enum mg_ctl_counter { MG_CTL_COUNTER_LIST(MG_CTL_ENUM) MG_CTL_COUNTER_MAX };
#undef MG_CTL_ENUM

/* Where a peer is in its reclamation (reclaim.c). */
enum mg_ctl_reclaim_state {
	MG_CTL_RECLAIM_NONE = 0,
	MG_CTL_RECLAIM_QUEUED,     /* unpublished, waiting for a flush batch */
	MG_CTL_RECLAIM_FLUSHING,   /* in the posted batch: waiting for acks and a grace period */
};

/* The flush batch in flight (reclaim.c). */
struct mg_ctl_reclaim {
	uint32_t batch[MG_DP_FLUSH_BATCH];
	uint32_t n_batch;          /* 0: no batch in flight */
	uint32_t n_queued;
	uint64_t grace_token;      /* RCU token taken when the batch was posted */
};

/* What the control lcore remembers per peer for the timers. */
struct mg_ctl_peer {
	struct mg_wg_timer_peer timers;
	uint64_t seen_rx_data_ns;  /* last values read from the data plane */
	uint64_t seen_tx_ns;
	uint64_t seen_rx_ns;
	uint64_t admitted_ns;      /* open mode: when the device admitted it */
	bool open_mode;            /* admitted through MG_WG_ACT_NEW_PEER: may be reclaimed */
	uint8_t reclaim;           /* enum mg_ctl_reclaim_state */
};

struct mg_ctl_mesh;
struct mg_mesh_config;
struct mg_mesh_node;
struct mg_pkt_udp4_outer;

struct mg_control {
	struct mg_control_params p;
	struct mg_ctl_mesh *mesh;   /* NULL when the mesh is off */
	struct mg_dp *dp;
	struct mg_ctl_peer *peers;
	struct mg_ctl_reclaim reclaim;
	uint64_t counters[MG_CTL_COUNTER_MAX];
	uint64_t last_tick_ns;
	uint64_t last_stats_ns;
	uint64_t under_load_until_ns;
	uint64_t started_ns;
	unsigned int tx_worker;    /* round robin over workers for control frames */
};

#define MG_CTL_COUNT(c, id) ((c)->counters[MG_CTL_##id]++)

/* tx.c: hand frames to a worker; build an Ethernet+IPv4+UDP frame to an endpoint. */
void mg_ctl_send_frame(struct mg_control *c, unsigned int port, struct rte_mbuf *m);
void mg_ctl_send_udp(struct mg_control *c, unsigned int port, const struct rte_ether_addr *dst_mac,
		     uint32_t dst_be, uint16_t dport_be, const uint8_t *payload, uint32_t len);
void mg_ctl_send_udp_from(struct mg_control *c, unsigned int port,
			  const struct rte_ether_addr *dst_mac, uint16_t sport_be, uint32_t dst_be,
			  uint16_t dport_be, const uint8_t *payload, uint32_t len);
void mg_ctl_send_keepalive(struct mg_control *c, uint32_t peer_id);
struct rte_mbuf *mg_ctl_alloc(struct mg_control *c);

/* arp.c */
void mg_ctl_arp_input(struct mg_control *c, struct rte_mbuf *m);
void mg_ctl_arp_resolve(struct mg_control *c, unsigned int port, uint32_t ip_be, uint64_t now);
void mg_ctl_arp_tick(struct mg_control *c, uint64_t now);
void mg_ctl_arp_announce(struct mg_control *c);

/* icmp_self.c */
void mg_ctl_icmp_input(struct mg_control *c, struct rte_mbuf *m);

/* handshake.c */
void mg_ctl_handshake_input(struct mg_control *c, struct rte_mbuf *m, bool under_load,
			    uint64_t now);
void mg_ctl_confirm(struct mg_control *c, uint32_t peer_id);
void mg_ctl_release(struct mg_control *c, const uint32_t *released, unsigned n);

/* reclaim.c: open-mode peers' ids back to the pool (see docs/wireguard.md, "Reclamation"). */
void mg_ctl_reclaim_admitted(struct mg_control *c, uint32_t peer_id, uint64_t now);
bool mg_ctl_reclaim_idle(const struct mg_control *c, uint32_t peer_id, uint64_t now);
bool mg_ctl_reclaim_pending(const struct mg_control *c, uint32_t peer_id);

/* peer_timers.c */
void mg_ctl_timers_tick(struct mg_control *c, uint64_t now);

/* mesh.c, mesh_telemetry.c */
int mg_ctl_mesh_create(struct mg_control *c, const struct mg_mesh_config *cfg, char *err,
		       size_t errlen);
void mg_ctl_mesh_destroy(struct mg_control *c);
void mg_ctl_mesh_input(struct mg_control *c, const struct mg_pkt_udp4_outer *outer,
		       uint64_t now_mono);
void mg_ctl_mesh_tick(struct mg_control *c, uint64_t now_mono);
const struct mg_mesh_node *mg_ctl_mesh_acquire(struct mg_control *c);
void mg_ctl_mesh_release(struct mg_control *c);
int mg_ctl_mesh_telemetry_register(struct mg_control *c);

/* telemetry.c */
int mg_ctl_telemetry_register(struct mg_control *c);
const char *mg_ctl_counter_name(enum mg_ctl_counter id);

#endif /* MG_CONTROL_INTERNAL_H */
