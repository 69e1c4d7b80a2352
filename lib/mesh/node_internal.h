/* The inside of struct mg_mesh_node, shared by node.c, node_tx.c, gossip.c, health.c and
 * node_route.c, which each own one concern of it. Not part of the public API.
 */
#ifndef MG_MESH_NODE_INTERNAL_H
#define MG_MESH_NODE_INTERNAL_H

#include "gossip.h"
#include "health.h"
#include "node.h"
#include "store.h"

/* An indirect probe this node runs for another (PING_REQ). */
struct mg_mesh_relay {
	bool used;
	uint32_t my_seq;
	uint32_t req_seq;
	uint8_t target[MG_MESH_ID_LEN];
	struct mg_mesh_addr req_addr;
	uint64_t deadline_ns;
};

struct mg_mesh_node {
	struct mg_mesh_config cfg;        /* seeds/prefixes point at own copies below */
	uint8_t sk[MG_MESH_SK_LEN];
	uint8_t id[MG_MESH_ID_LEN];
	uint64_t ctr[MG_MESH_CTR__COUNT];
	struct mg_mesh_record self;
	uint64_t created_ns;
	struct mg_mesh_store store;
	struct mg_mesh_rumours rumours;
	struct mg_mesh_nbr *nbr;
	uint32_t nbr_cap;                  /* 2 * max_neighbours: room for those who pick us */
	struct mg_mesh_relay relay[MG_MESH_RELAY_PENDING];
	struct mg_mesh_route_table routes;
	struct mg_mesh_seed *seeds;
	uint64_t tx_counter;
	uint32_t probe_seq;
	uint32_t probe_rr;
	uint64_t next_gossip_ns, next_probe_ns, next_refresh_ns, next_route_ns, next_sweep_ns;
	uint64_t next_trigger_ns;          /* triggered route updates: at most one batch per 1/4 interval */
	/* The datagram being built (node_tx.c). */
	struct mg_mesh_writer w;
	struct mg_mesh_dgram *w_slot;
	struct mg_mesh_dgram scratch;
	uint8_t w_dst_id[MG_MESH_ID_LEN];
	bool w_dst_known;
	struct mg_mesh_event ev_scratch;
};

/* node_tx.c: datagrams and events into struct mg_mesh_out. */
void mg_mesh_tx_begin(struct mg_mesh_node *n, struct mg_mesh_out *out,
		      const struct mg_mesh_addr *dst, const uint8_t *dst_id, uint64_t now_ns);
/* Append a message, starting a new datagram to the same destination when this one is full. */
uint8_t *mg_mesh_tx_add(struct mg_mesh_node *n, struct mg_mesh_out *out, uint8_t type,
			uint16_t len, uint64_t now_ns);
/* Fill the rest with rumours, sign, and commit to out. */
void mg_mesh_tx_end(struct mg_mesh_node *n, struct mg_mesh_out *out);
struct mg_mesh_event *mg_mesh_ev(struct mg_mesh_node *n, struct mg_mesh_out *out, uint8_t type,
				 const uint8_t *id);
/* Re-sign this node's record with a higher seq and queue it as a rumour. */
void mg_mesh_self_refresh(struct mg_mesh_node *n, uint64_t now_ns);
uint32_t mg_mesh_rand(struct mg_mesh_node *n, uint32_t upper);
/* Calls take() for up to k entries of the view that want() accepts: a uniform random choice
 * among all it accepts, in slot order. want() must not change for entries not yet taken. */
void mg_mesh_pick_members(struct mg_mesh_node *n, uint32_t k,
			  bool (*want)(struct mg_mesh_node *n, const struct mg_mesh_entry *e),
			  void (*take)(struct mg_mesh_node *n, struct mg_mesh_entry *e, void *ctx),
			  void *ctx);
/* Where to reach a node of the view: its first endpoint. */
const struct mg_mesh_addr *mg_mesh_entry_addr(const struct mg_mesh_entry *e);

/* gossip.c */
void mg_mesh_gossip_tick(struct mg_mesh_node *n, uint64_t now_ns, struct mg_mesh_out *out);
void mg_mesh_gossip_on_digest(struct mg_mesh_node *n, const struct mg_mesh_addr *src,
			      const uint8_t *sender, const struct mg_mesh_tlv *tlv,
			      uint64_t now_ns, struct mg_mesh_out *out);
void mg_mesh_gossip_on_summary(struct mg_mesh_node *n, const struct mg_mesh_addr *src,
			       const uint8_t *sender, const struct mg_mesh_tlv *tlv,
			       uint64_t now_ns, struct mg_mesh_out *out);
void mg_mesh_gossip_on_request(struct mg_mesh_node *n, const struct mg_mesh_addr *src,
			       const uint8_t *sender, const struct mg_mesh_tlv *tlv,
			       uint64_t now_ns, struct mg_mesh_out *out);
void mg_mesh_gossip_on_record(struct mg_mesh_node *n, const uint8_t *sender,
			      const struct mg_mesh_tlv *tlv, uint64_t now_ns,
			      struct mg_mesh_out *out);
void mg_mesh_gossip_on_member(struct mg_mesh_node *n, const struct mg_mesh_tlv *tlv,
			      uint64_t now_ns, struct mg_mesh_out *out);
/* Fill the writer's remaining room with rumours, those about the destination first. */
void mg_mesh_gossip_piggyback(struct mg_mesh_node *n);

/* health.c */
void mg_mesh_health_tick(struct mg_mesh_node *n, uint64_t now_ns, struct mg_mesh_out *out);
void mg_mesh_health_on_msg(struct mg_mesh_node *n, const struct mg_mesh_addr *src,
			   const uint8_t *sender, const struct mg_mesh_tlv *tlv, uint64_t now_ns,
			   struct mg_mesh_out *out);
struct mg_mesh_nbr *mg_mesh_nbr_find(struct mg_mesh_node *n, const uint8_t *id);
void mg_mesh_nbr_remove(struct mg_mesh_node *n, struct mg_mesh_nbr *nb);
/* A newer record refuted a suspicion of id: clear it locally. */
void mg_mesh_health_refuted(struct mg_mesh_node *n, const uint8_t *id);

/* node_route.c */
void mg_mesh_routes_tick(struct mg_mesh_node *n, uint64_t now_ns, struct mg_mesh_out *out);
void mg_mesh_routes_on_msg(struct mg_mesh_node *n, const uint8_t *sender,
			   const struct mg_mesh_tlv *tlv, uint64_t now_ns, struct mg_mesh_out *out);
/* Send triggered updates and seqno requests, emit ROUTE_CHANGED events. */
void mg_mesh_routes_flush(struct mg_mesh_node *n, uint64_t now_ns, struct mg_mesh_out *out);

#endif /* MG_MESH_NODE_INTERNAL_H */
