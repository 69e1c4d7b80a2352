/* The mesh view through DPDK telemetry, for meshctl and the tests:
 *   /meshgate/mesh/nodes   every node of the view: roles, region, capacity, load, state
 *   /meshgate/mesh/health  every neighbour: state, colour, score, RTT, jitter, loss, link cost
 *   /meshgate/mesh/routes  the selected route of every prefix: next hop, metric, source, seqno
 *   /meshgate/mesh/stats   the protocol's counters (datagrams, records, probes, routes)
 * Readers take the mesh lock, so they see the view between two steps of the control lcore.
 */
#include <inttypes.h>
#include <stdio.h>

#include <rte_telemetry.h>

#include "control_internal.h"
#include "node.h"

static struct mg_control *mesh_tel;

enum { MAX_LISTED = 200 };

static void
id_hex(const uint8_t *id, char *out, size_t len)
{
	size_t n = 0;

	for (int i = 0; i < MG_MESH_ID_LEN && n + 3 <= len; i++)
		n += (size_t)snprintf(out + n, len - n, "%02x", id[i]);
}

static void
addr_text(const struct mg_mesh_addr *a, char *out, size_t len)
{
	if (a->family == 4)
		snprintf(out, len, "%u.%u.%u.%u:%u", a->ip[0], a->ip[1], a->ip[2], a->ip[3], a->port);
	else
		snprintf(out, len, "family %u", a->family);
}

static const char *
roles_text(uint8_t roles)
{
	static const char *const names[] = {
		"none", "entry", "relay", "entry+relay", "exit", "entry+exit", "relay+exit",
		"entry+relay+exit",
	};
	return names[roles & 7];
}

struct nodes_ctx {
	struct rte_tel_data *d;
	unsigned n;
};

static void
add_node(void *arg, const struct mg_mesh_record *r, uint8_t state)
{
	static const char *const states[] = { "alive", "suspect", "dead" };
	struct nodes_ctx *ctx = arg;
	struct rte_tel_data *nd;
	char id[2 * MG_MESH_ID_LEN + 1], ep[64], country[3] = { r->country[0], r->country[1], 0 };

	if (ctx->n >= MAX_LISTED || (nd = rte_tel_data_alloc()) == NULL)
		return;
	id_hex(r->id, id, sizeof(id));
	rte_tel_data_start_dict(nd);
	rte_tel_data_add_dict_string(nd, "state", state < 3 ? states[state] : "unknown");
	rte_tel_data_add_dict_string(nd, "roles", roles_text(r->roles));
	rte_tel_data_add_dict_string(nd, "country", country);
	rte_tel_data_add_dict_u64(nd, "continent", r->continent);
	rte_tel_data_add_dict_u64(nd, "capacity_mbps", r->capacity_mbps);
	rte_tel_data_add_dict_u64(nd, "load_permille", r->load_permille);
	rte_tel_data_add_dict_u64(nd, "uptime_s", r->uptime_s);
	rte_tel_data_add_dict_u64(nd, "seq", r->seq);
	if (r->n_endpoints > 0) {
		addr_text(&r->endpoints[0], ep, sizeof(ep));
		rte_tel_data_add_dict_string(nd, "endpoint", ep);
	}
	/* Telemetry names are at most 63 characters: the first 16 bytes of the id name the node. */
	id[32] = '\0';
	rte_tel_data_add_dict_container(ctx->d, id, nd, 0);
	ctx->n++;
}

static int
cmd_nodes(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	const struct mg_mesh_node *node = mg_ctl_mesh_acquire(mesh_tel);
	struct nodes_ctx ctx = { .d = d };

	rte_tel_data_start_dict(d);
	if (node != NULL)
		mg_mesh_node_foreach_member(node, add_node, &ctx);
	mg_ctl_mesh_release(mesh_tel);
	return 0;
}

static int
cmd_health(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	static const char *const colours[] = { "green", "yellow", "red" };
	static struct mg_mesh_nbr_info nbrs[MAX_LISTED];
	const struct mg_mesh_node *node = mg_ctl_mesh_acquire(mesh_tel);
	uint32_t n = node ? mg_mesh_node_neighbours(node, nbrs, MAX_LISTED) : 0;

	mg_ctl_mesh_release(mesh_tel);
	rte_tel_data_start_dict(d);
	for (uint32_t i = 0; i < n; i++) {
		struct rte_tel_data *nd = rte_tel_data_alloc();
		char id[2 * MG_MESH_ID_LEN + 1], ep[64];

		if (nd == NULL)
			break;
		id_hex(nbrs[i].id, id, sizeof(id));
		id[32] = '\0';
		addr_text(&nbrs[i].addr, ep, sizeof(ep));
		rte_tel_data_start_dict(nd);
		rte_tel_data_add_dict_string(nd, "address", ep);
		rte_tel_data_add_dict_u64(nd, "state", nbrs[i].state);
		rte_tel_data_add_dict_string(nd, "colour",
					     nbrs[i].colour < 3 ? colours[nbrs[i].colour] : "?");
		rte_tel_data_add_dict_u64(nd, "score", nbrs[i].score);
		rte_tel_data_add_dict_u64(nd, "srtt_us", nbrs[i].srtt_ns / 1000);
		rte_tel_data_add_dict_u64(nd, "jitter_us", nbrs[i].jitter_ns / 1000);
		rte_tel_data_add_dict_u64(nd, "loss_permille", nbrs[i].loss_permille);
		rte_tel_data_add_dict_u64(nd, "link_cost", nbrs[i].link_cost);
		rte_tel_data_add_dict_container(d, id, nd, 0);
	}
	return 0;
}

static void
prefix_text(const struct mg_mesh_prefix *p, char *out, size_t len)
{
	if (p->family == 4)
		snprintf(out, len, "%u.%u.%u.%u/%u", p->addr[0], p->addr[1], p->addr[2], p->addr[3],
			 p->plen);
	else
		snprintf(out, len, "family %u/%u", p->family, p->plen);
}

struct routes_ctx {
	struct rte_tel_data *d;
	unsigned n;
};

static void
add_route(void *arg, const struct mg_mesh_route_info *ri)
{
	struct routes_ctx *ctx = arg;
	struct rte_tel_data *rd;
	char pf[48], hop[2 * MG_MESH_ID_LEN + 1], src[2 * MG_MESH_ID_LEN + 1];

	if (ctx->n >= MAX_LISTED || (rd = rte_tel_data_alloc()) == NULL)
		return;
	prefix_text(&ri->prefix, pf, sizeof(pf));
	id_hex(ri->next_hop, hop, sizeof(hop));
	id_hex(ri->source, src, sizeof(src));
	hop[32] = src[32] = '\0';
	rte_tel_data_start_dict(rd);
	rte_tel_data_add_dict_string(rd, "next_hop", ri->local ? "local" : hop);
	rte_tel_data_add_dict_string(rd, "source", src);
	rte_tel_data_add_dict_u64(rd, "metric", ri->metric);
	rte_tel_data_add_dict_u64(rd, "seqno", ri->seqno);
	rte_tel_data_add_dict_u64(rd, "bandwidth_mbps", ri->bw_mbps);
	/* Names allow letters, digits, '_' and '/': a prefix 0.0.0.0/0 becomes 0_0_0_0/0. */
	for (char *c = pf; *c; c++)
		if (*c == '.')
			*c = '_';
	rte_tel_data_add_dict_container(ctx->d, pf, rd, 0);
	ctx->n++;
}

static int
cmd_routes(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	const struct mg_mesh_node *node = mg_ctl_mesh_acquire(mesh_tel);
	struct routes_ctx ctx = { .d = d };

	rte_tel_data_start_dict(d);
	if (node != NULL)
		mg_mesh_node_foreach_route(node, add_route, &ctx);
	mg_ctl_mesh_release(mesh_tel);
	return 0;
}

static int
cmd_stats(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	const struct mg_mesh_node *node = mg_ctl_mesh_acquire(mesh_tel);
	char id[2 * MG_MESH_ID_LEN + 1];

	rte_tel_data_start_dict(d);
	if (node != NULL) {
		const uint64_t *ctr = mg_mesh_node_counters(node);

		id_hex(mg_mesh_node_id(node), id, sizeof(id));
		rte_tel_data_add_dict_string(d, "id", id);
		rte_tel_data_add_dict_u64(d, "members", mg_mesh_node_members(node, false));
		rte_tel_data_add_dict_u64(d, "members_alive", mg_mesh_node_members(node, true));
		for (int i = 0; i < MG_MESH_CTR__COUNT; i++)
			rte_tel_data_add_dict_u64(d, mg_mesh_counter_name(i), ctr[i]);
	}
	mg_ctl_mesh_release(mesh_tel);
	return 0;
}

int
mg_ctl_mesh_telemetry_register(struct mg_control *c)
{
	mesh_tel = c;
	return rte_telemetry_register_cmd("/meshgate/mesh/nodes", cmd_nodes,
					  "Nodes of the mesh view (first 16 bytes of each id)") |
	       rte_telemetry_register_cmd("/meshgate/mesh/health", cmd_health,
					  "Neighbour health: RTT, jitter, loss, colour") |
	       rte_telemetry_register_cmd("/meshgate/mesh/routes", cmd_routes,
					  "Selected route of every prefix") |
	       rte_telemetry_register_cmd("/meshgate/mesh/stats", cmd_stats,
					  "Mesh protocol counters");
}
