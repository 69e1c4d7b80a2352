/* Read-only walks over a node's tables for operators (telemetry, meshctl): the selected route of
 * every prefix with its next hop. Nothing here changes the node. */
#include <string.h>

#include "node.h"
#include "node_internal.h"

void
mg_mesh_node_foreach_route(const struct mg_mesh_node *n,
			   void (*cb)(void *ctx, const struct mg_mesh_route_info *ri), void *ctx)
{
	for (uint32_t i = 0; i < n->routes.cap; i++) {
		const struct mg_mesh_rprefix *p = &n->routes.p[i];
		const struct mg_mesh_route *r;
		struct mg_mesh_route_info ri;

		if (!p->used || p->selected < 0)
			continue;
		r = &p->r[p->selected];
		memset(&ri, 0, sizeof(ri));
		ri.prefix = p->prefix;
		ri.local = r->nbr == MG_MESH_ROUTE_LOCAL;
		if (r->nbr < n->nbr_cap)
			memcpy(ri.next_hop, n->nbr[r->nbr].id, MG_MESH_ID_LEN);
		memcpy(ri.source, r->source, MG_MESH_ID_LEN);
		ri.seqno = r->seqno;
		ri.metric = r->metric;
		ri.bw_mbps = r->bw_mbps;
		cb(ctx, &ri);
	}
}
