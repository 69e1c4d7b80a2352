/* One mesh node: identity, view, gossip, health and routes tied together, sans-I/O.
 *
 * The caller (the daemon's control lcore, a unit test, the simulator) owns sockets and clocks:
 * it hands every received datagram to mg_mesh_node_input() and calls mg_mesh_node_tick() at
 * least every MG_MESH_TICK_NS (or at mg_mesh_node_next_deadline()); both append datagrams to
 * send (with their destination) and events to a struct mg_mesh_out. now_ns is Unix time in ns.
 */
#ifndef MG_MESH_NODE_H
#define MG_MESH_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh_const.h"
#include "record.h"
#include "route.h"
#include "wire.h"

#define MG_MESH_TICK_NS (50 * MG_MESH_NS_PER_MS)

struct mg_mesh_node;

/* A bootstrap peer from the config; its id pins who must answer from there when known. */
struct mg_mesh_seed {
	struct mg_mesh_addr addr;
	bool id_known;
	uint8_t id[MG_MESH_ID_LEN];
};

struct mg_mesh_config {
	uint8_t sign_sk[MG_MESH_SK_LEN];   /* Ed25519 secret key; copied, wiped by destroy */
	/* What this node says about itself; id, seq, times and sig are filled in by the node. */
	struct mg_mesh_record self;
	const struct mg_mesh_seed *seeds;
	uint32_t n_seeds;
	const struct mg_mesh_prefix *prefixes;  /* originated at metric 0 */
	uint32_t n_prefixes;
	uint32_t store_cap, source_cap;
	uint32_t max_neighbours, fanout, gossip_records, indirect_probes;
	uint32_t max_prefixes, routes_per_prefix;
	uint64_t gossip_interval_ns, probe_interval_ns, probe_timeout_ns, suspicion_ns;
	uint64_t record_lifetime_ns, record_refresh_ns, route_interval_ns;
	/* Randomness: NULL = libsodium randombytes_uniform. The simulator passes a seeded PRNG. */
	uint32_t (*rand_uniform)(void *ctx, uint32_t upper_bound);
	void *rand_ctx;
};

/* A datagram to send. */
struct mg_mesh_dgram {
	struct mg_mesh_addr dst;
	uint16_t len;
	uint8_t buf[MG_MESH_DGRAM_MAX];
};

enum mg_mesh_event_type {
	MG_MESH_EV_NODE_UP = 1,        /* a node joined the view, or came back */
	MG_MESH_EV_NODE_SUSPECT,
	MG_MESH_EV_NODE_ALIVE,         /* a suspicion was refuted */
	MG_MESH_EV_NODE_DOWN,          /* declared dead (local = by this node's probes) or expired */
	MG_MESH_EV_NEIGHBOUR_COLOUR,   /* colour, score of a neighbour changed */
	MG_MESH_EV_ROUTE_CHANGED,      /* selected route of prefix changed; metric INF = none */
};

struct mg_mesh_event {
	uint8_t type;                  /* enum mg_mesh_event_type */
	bool local;                    /* NODE_DOWN/SUSPECT decided by this node itself */
	uint8_t colour, score;
	uint8_t id[MG_MESH_ID_LEN];    /* the node, or the next hop of a route */
	struct mg_mesh_prefix prefix;
	uint16_t metric;
	uint8_t source[MG_MESH_ID_LEN];
};

/* Output of one input or tick: caller-provided arrays, appended to; overflow is counted. */
struct mg_mesh_out {
	struct mg_mesh_dgram *dgrams;
	uint32_t n_dgrams, cap_dgrams;
	struct mg_mesh_event *events;
	uint32_t n_events, cap_events;
};

void mg_mesh_out_init(struct mg_mesh_out *out, struct mg_mesh_dgram *dgrams, uint32_t cap_dgrams,
		      struct mg_mesh_event *events, uint32_t cap_events);
void mg_mesh_out_reset(struct mg_mesh_out *out);

/* Defaults for every field but the key and the self record. */
void mg_mesh_config_defaults(struct mg_mesh_config *cfg);
/* Create a node: signs its first record at now_ns. NULL with a message in err on failure. */
struct mg_mesh_node *mg_mesh_node_create(const struct mg_mesh_config *cfg, uint64_t now_ns,
					 char *err, size_t errlen);
void mg_mesh_node_destroy(struct mg_mesh_node *n);

/* A datagram from src. Returns 0 if accepted, else the counter index of why it was dropped. */
int mg_mesh_node_input(struct mg_mesh_node *n, const struct mg_mesh_addr *src,
		       const uint8_t *buf, size_t len, uint64_t now_ns, struct mg_mesh_out *out);
/* Timers: probes, suspicion, gossip rounds, record refresh, route updates and expiry. */
void mg_mesh_node_tick(struct mg_mesh_node *n, uint64_t now_ns, struct mg_mesh_out *out);
/* Earliest time at which tick has something to do. */
uint64_t mg_mesh_node_next_deadline(const struct mg_mesh_node *n);

/* Operator inputs: new load (re-signs the record), originate or withdraw a prefix. */
void mg_mesh_node_set_load(struct mg_mesh_node *n, uint16_t load_permille, uint64_t now_ns);
int mg_mesh_node_originate(struct mg_mesh_node *n, const struct mg_mesh_prefix *pf,
			   uint32_t bw_mbps);
int mg_mesh_node_withdraw(struct mg_mesh_node *n, const struct mg_mesh_prefix *pf);

/* Read-only views for telemetry and meshctl. */
const uint8_t *mg_mesh_node_id(const struct mg_mesh_node *n);
const uint64_t *mg_mesh_node_counters(const struct mg_mesh_node *n); /* MG_MESH_CTR__COUNT */
uint32_t mg_mesh_node_members(const struct mg_mesh_node *n, bool alive_only);
/* Calls cb for each record of the view with its membership state. */
void mg_mesh_node_foreach_member(const struct mg_mesh_node *n,
				 void (*cb)(void *ctx, const struct mg_mesh_record *r,
					    uint8_t state), void *ctx);
/* Membership state of id in the view: MG_MESH_ALIVE/SUSPECT/DEAD, or -1 if unknown. */
int mg_mesh_node_member_state(const struct mg_mesh_node *n, const uint8_t id[MG_MESH_ID_LEN]);

struct mg_mesh_nbr_info {
	uint8_t id[MG_MESH_ID_LEN];
	struct mg_mesh_addr addr;
	uint8_t state, colour, score;
	uint64_t srtt_ns, jitter_ns;
	uint32_t loss_permille;
	uint16_t link_cost;
};
uint32_t mg_mesh_node_neighbours(const struct mg_mesh_node *n, struct mg_mesh_nbr_info *info,
				 uint32_t cap);
/* Selected route for a prefix: next hop id (zeroes when local), metric; false if none. */
bool mg_mesh_node_route(const struct mg_mesh_node *n, const struct mg_mesh_prefix *pf,
			uint8_t next_hop[MG_MESH_ID_LEN], uint16_t *metric);

/* The selected route of one prefix, for operators. */
struct mg_mesh_route_info {
	struct mg_mesh_prefix prefix;
	bool local;                         /* originated by this node */
	uint8_t next_hop[MG_MESH_ID_LEN];   /* zeroes when local */
	uint8_t source[MG_MESH_ID_LEN];     /* the originating node */
	uint32_t seqno;
	uint16_t metric;
	uint32_t bw_mbps;
};
/* Calls cb for every prefix that has a selected route (node_view.c). */
void mg_mesh_node_foreach_route(const struct mg_mesh_node *n,
				void (*cb)(void *ctx, const struct mg_mesh_route_info *ri),
				void *ctx);

#endif /* MG_MESH_NODE_H */
