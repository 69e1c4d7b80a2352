/* Route table: Babel-style distance vector (RFC 8966) over the mesh neighbours.
 *
 * A route is (prefix, source = originating node id, seqno, metric = cost). Each prefix keeps a
 * feasibility distance per source; an update is accepted for selection only if it is feasible
 * (newer seqno, or same seqno and a strictly smaller metric), so no loop and no
 * count-to-infinity can form. Selection, triggered updates, retractions and starvation
 * (seqno requests) are decided here; node.c turns them into messages.
 */
#ifndef MG_MESH_ROUTE_H
#define MG_MESH_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "mesh_const.h"
#include "wire.h"

#define MG_MESH_ROUTE_LOCAL UINT32_MAX  /* neighbour handle of a route this node originates */

/* A route advertisement as carried on the wire (MG_MESH_MSG_ROUTE). */
struct mg_mesh_route_adv {
	struct mg_mesh_prefix prefix;
	uint8_t source[MG_MESH_ID_LEN];
	uint32_t seqno;
	uint16_t metric;        /* MG_MESH_METRIC_INF: retraction */
	uint32_t bw_mbps;       /* bottleneck bandwidth along the path */
	uint16_t ttl_s;         /* how long the receiver may keep it without a refresh */
};

/* One route learnt from one neighbour (or originated here). */
struct mg_mesh_route {
	bool used;
	uint32_t nbr;           /* neighbour handle, or MG_MESH_ROUTE_LOCAL */
	uint8_t source[MG_MESH_ID_LEN];
	uint32_t seqno;
	uint16_t adv_metric;    /* as the neighbour advertised it */
	uint16_t link_cost;     /* cost of the hop to that neighbour */
	uint16_t metric;        /* adv_metric + link_cost, saturating at MG_MESH_METRIC_INF */
	uint32_t bw_mbps;
	uint64_t expires_ns;
};

/* Feasibility distance of one source for one prefix. */
struct mg_mesh_fd {
	bool used;
	uint8_t source[MG_MESH_ID_LEN];
	uint32_t seqno;
	uint16_t metric;
};

struct mg_mesh_rprefix {
	bool used;
	bool dirty;             /* a triggered update is due */
	bool changed;           /* selection changed since the owner last looked */
	bool starving;          /* no feasible route but unfeasible ones exist: ask for a seqno */
	struct mg_mesh_prefix prefix;
	int selected;           /* index into r, or -1 */
	uint32_t local_seqno;   /* when originated here */
	uint8_t last_source[MG_MESH_ID_LEN]; /* of the last selected route, for retractions */
	uint32_t last_seqno;
	uint64_t seqreq_ns;     /* no seqno request sent or forwarded for it before this time */
	struct mg_mesh_route *r;     /* per_prefix slots */
	struct mg_mesh_fd *fd;       /* per_prefix slots */
};

struct mg_mesh_route_table {
	struct mg_mesh_rprefix *p;
	uint32_t cap;           /* prefixes */
	uint32_t per_prefix;    /* routes and feasibility distances per prefix */
	uint8_t self[MG_MESH_ID_LEN];
	uint16_t ttl_s;         /* TTL this node puts in its advertisements */
	uint64_t *ctr;
};

enum mg_mesh_route_result {
	MG_MESH_ROUTE_OK = 0,          /* stored, feasible */
	MG_MESH_ROUTE_UNFEASIBLE = 1,  /* stored (or dropped) but not selectable */
	MG_MESH_ROUTE_RETRACTED = 2,
	MG_MESH_ROUTE_FULL = 3,
	MG_MESH_ROUTE_IGNORED = 4,     /* about a prefix this node originates */
};

int mg_mesh_route_init(struct mg_mesh_route_table *t, uint32_t cap, uint32_t per_prefix,
		       const uint8_t self[MG_MESH_ID_LEN], uint16_t ttl_s, uint64_t *ctr);
void mg_mesh_route_free(struct mg_mesh_route_table *t);

/* Feasibility condition of RFC 8966 section 3.5.1. */
bool mg_mesh_route_feasible(const struct mg_mesh_fd *fd, uint32_t seqno, uint16_t metric);
/* Originate (metric 0) or withdraw (retract) a prefix of this node. */
int mg_mesh_route_originate(struct mg_mesh_route_table *t, const struct mg_mesh_prefix *pf,
			    uint32_t bw_mbps);
int mg_mesh_route_withdraw(struct mg_mesh_route_table *t, const struct mg_mesh_prefix *pf);
/* An advertisement received from neighbour `nbr` over a hop of cost `link_cost`. */
int mg_mesh_route_update(struct mg_mesh_route_table *t, uint32_t nbr, uint16_t link_cost,
			 const struct mg_mesh_route_adv *adv, uint64_t now_ns);
/* The hop to `nbr` now costs `link_cost` (MG_MESH_METRIC_INF when it is red or gone). */
void mg_mesh_route_link_cost(struct mg_mesh_route_table *t, uint32_t nbr, uint16_t link_cost);
/* Forget every route through `nbr`. */
void mg_mesh_route_nbr_down(struct mg_mesh_route_table *t, uint32_t nbr);
/* Drop routes past their TTL; free prefixes left with no route. */
void mg_mesh_route_expire(struct mg_mesh_route_table *t, uint64_t now_ns);
/* A seqno request for a prefix this node originates: bump its seqno. Returns true if it did. */
bool mg_mesh_route_bump(struct mg_mesh_route_table *t, const struct mg_mesh_prefix *pf,
			uint32_t want_seqno);

struct mg_mesh_rprefix *mg_mesh_route_find(const struct mg_mesh_route_table *t,
					   const struct mg_mesh_prefix *pf);
/* The selected route of a prefix, or NULL. */
const struct mg_mesh_route *mg_mesh_route_selected(const struct mg_mesh_route_table *t,
						   const struct mg_mesh_prefix *pf);
/* What this node advertises for prefix slot i (selected route, or a retraction). Returns false
 * if slot i is unused or has nothing to say. */
bool mg_mesh_route_advert(const struct mg_mesh_route_table *t, uint32_t i,
			  struct mg_mesh_route_adv *adv);

#endif /* MG_MESH_ROUTE_H */
