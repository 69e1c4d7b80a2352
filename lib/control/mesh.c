/* The mesh control protocol on the control lcore: datagrams to our mesh control port go to the
 * sans-I/O node (lib/mesh/node.c), its timers run every pass of the control loop, and what it
 * wants sent leaves through the mesh port like any control frame. Membership and route events are
 * logged; the view is exposed through telemetry (mesh_telemetry.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ether.h>
#include <sodium.h>

#include "control_internal.h"
#include "dp_stages.h"
#include "encap.h"
#include "neigh.h"
#include "node.h"
#include "relay.h"

enum { MESH_OUT_DGRAMS = 64, MESH_OUT_EVENTS = 64, MG_MESH_RELAY_TARGETS_MAX = 4096 };

#define LOAD_INTERVAL_NS (10ULL * 1000 * 1000 * 1000) /* how often the load is measured */
enum { LOAD_STEP_PERMILLE = 50 }; /* re-announce only a change at least this large */

struct mg_ctl_mesh {
	/* Held by the control lcore while it runs the node, and by telemetry while it reads the
	 * view: the node's tables change under input and ticks. */
	pthread_mutex_t lock;
	struct mg_mesh_node *node;
	struct mg_mesh_out out;
	struct mg_mesh_dgram dgrams[MESH_OUT_DGRAMS];
	struct mg_mesh_event events[MESH_OUT_EVENTS];
	uint64_t next_tick_ns;
	uint64_t next_load_ns;
	uint64_t busy_seen, idle_seen;  /* workers' loop counters at the last load update */
	int announced_load;             /* permille in the current record */
};

/* Mesh records carry Unix time; the data plane's monotonic clock is not enough here. */
static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
id_hex(const uint8_t *id, char out[17])
{
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

struct targets_ctx {
	const uint8_t *self;
	uint64_t *targets;
	uint32_t n, cap;
};

/* An alive node's WireGuard endpoint (endpoints[1], docs/protocol.md) is a relay target. */
static void
collect_target(void *arg, const struct mg_mesh_record *r, uint8_t state)
{
	struct targets_ctx *t = arg;
	uint32_t ip_be;

	if (state != MG_MESH_ALIVE || memcmp(r->id, t->self, MG_MESH_ID_LEN) == 0 ||
	    r->n_endpoints < 2 || r->endpoints[1].family != 4 || t->n == t->cap)
		return;
	memcpy(&ip_be, r->endpoints[1].ip, 4);
	t->targets[t->n++] = mg_dp_endpoint_pack(ip_be, rte_cpu_to_be_16(r->endpoints[1].port));
}

/* Keep the data plane's relay targets equal to the alive members' WireGuard endpoints. */
static void
sync_relay_targets(struct mg_control *c, struct mg_ctl_mesh *m)
{
	static uint64_t targets[MG_MESH_RELAY_TARGETS_MAX];
	struct targets_ctx t = { .self = mg_mesh_node_id(m->node), .targets = targets,
				 .cap = MG_MESH_RELAY_TARGETS_MAX };

	mg_mesh_node_foreach_member(m->node, collect_target, &t);
	mg_dp_relay_sync(c->dp, targets, t.n);
}

static void
log_events(struct mg_ctl_mesh *m)
{
	static const char *const names[] = {
		[MG_MESH_EV_NODE_UP] = "node up", [MG_MESH_EV_NODE_SUSPECT] = "node suspect",
		[MG_MESH_EV_NODE_ALIVE] = "node alive again", [MG_MESH_EV_NODE_DOWN] = "node down",
		[MG_MESH_EV_NEIGHBOUR_COLOUR] = "neighbour health changed",
		[MG_MESH_EV_ROUTE_CHANGED] = "route changed via",
	};

	for (uint32_t i = 0; i < m->out.n_events; i++) {
		const struct mg_mesh_event *e = &m->out.events[i];
		char id[17];

		id_hex(e->id, id);
		fprintf(stderr, "meshgate: mesh: %s %s\n",
			e->type < RTE_DIM(names) && names[e->type] ? names[e->type] : "event", id);
	}
}

/* Send what the node produced: UDP from our mesh control port, through the mesh port. */
static void
flush_out(struct mg_control *c, struct mg_ctl_mesh *m, uint64_t now_mono)
{
	unsigned int port = c->dp->mesh_port;

	for (uint32_t i = 0; i < m->out.n_dgrams; i++) {
		const struct mg_mesh_dgram *d = &m->out.dgrams[i];
		struct rte_ether_addr mac;
		uint32_t dst_be;
		uint32_t hop;

		if (d->dst.family != 4) {
			MG_CTL_COUNT(c, MESH_TX_UNROUTABLE);
			continue;
		}
		memcpy(&dst_be, d->dst.ip, 4);
		hop = mg_dp_next_hop(&c->dp->ports[port], dst_be);
		if (hop == 0 || !mg_neigh_lookup(c->dp->neigh, port, hop, &mac)) {
			/* The protocol retries; meanwhile resolve the next hop. */
			if (hop != 0)
				mg_ctl_arp_resolve(c, port, hop, now_mono);
			MG_CTL_COUNT(c, MESH_TX_UNROUTABLE);
			continue;
		}
		mg_ctl_send_udp_from(c, port, &mac, c->p.mesh_port_be, dst_be,
				     rte_cpu_to_be_16(d->dst.port), d->buf, d->len);
	}
	for (uint32_t i = 0; i < m->out.n_events; i++)
		if (m->out.events[i].type != MG_MESH_EV_ROUTE_CHANGED &&
		    m->out.events[i].type != MG_MESH_EV_NEIGHBOUR_COLOUR) {
			sync_relay_targets(c, m);
			break;
		}
	log_events(m);
	mg_mesh_out_reset(&m->out);
}

int
mg_ctl_mesh_create(struct mg_control *c, const struct mg_mesh_config *cfg, char *err,
		   size_t errlen)
{
	struct mg_ctl_mesh *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		snprintf(err, errlen, "mesh: out of memory");
		return -1;
	}
	m->node = mg_mesh_node_create(cfg, wall_ns(), err, errlen);
	if (m->node == NULL) {
		free(m);
		return -1;
	}
	mg_mesh_out_init(&m->out, m->dgrams, MESH_OUT_DGRAMS, m->events, MESH_OUT_EVENTS);
	pthread_mutex_init(&m->lock, NULL);
	c->mesh = m;
	return 0;
}

void
mg_ctl_mesh_destroy(struct mg_control *c)
{
	if (c->mesh == NULL)
		return;
	mg_mesh_node_destroy(c->mesh->node);
	pthread_mutex_destroy(&c->mesh->lock);
	free(c->mesh);
	c->mesh = NULL;
}

void
mg_ctl_mesh_input(struct mg_control *c, const struct mg_pkt_udp4_outer *outer, uint64_t now_mono)
{
	struct mg_ctl_mesh *m = c->mesh;
	struct mg_mesh_addr src = { .family = 4, .port = rte_be_to_cpu_16(outer->sport_be) };

	memcpy(src.ip, &outer->src_be, 4);
	pthread_mutex_lock(&m->lock);
	if (mg_mesh_node_input(m->node, &src, outer->payload, outer->payload_len, wall_ns(),
			       &m->out) != 0)
		MG_CTL_COUNT(c, MESH_RX_DROPPED);
	flush_out(c, m, now_mono);
	pthread_mutex_unlock(&m->lock);
}

/* The load a node announces: the share of worker loop passes that found work, in permille,
 * re-announced when it moved by LOAD_STEP_PERMILLE or more. */
static void
update_load(struct mg_control *c, struct mg_ctl_mesh *m, uint64_t now_mono, uint64_t now_wall)
{
	uint64_t busy = 0, idle = 0, db, di;

	if (now_mono < m->next_load_ns)
		return;
	m->next_load_ns = now_mono + LOAD_INTERVAL_NS;
	for (unsigned w = 0; w < c->dp->n_workers; w++) {
		busy += __atomic_load_n(&c->dp->workers[w]->counters.c[MG_DP_BUSY_LOOPS],
					__ATOMIC_RELAXED);
		idle += __atomic_load_n(&c->dp->workers[w]->counters.c[MG_DP_IDLE_LOOPS],
					__ATOMIC_RELAXED);
	}
	db = busy - m->busy_seen;
	di = idle - m->idle_seen;
	m->busy_seen = busy;
	m->idle_seen = idle;
	if (db + di > 0) {
		int load = (int)(db * 1000 / (db + di));

		/* Every new load is a newly signed record the whole mesh gossips: announce only a
		 * real change, not measurement noise. */
		if (abs(load - m->announced_load) >= LOAD_STEP_PERMILLE) {
			m->announced_load = load;
			mg_mesh_node_set_load(m->node, (uint16_t)load, now_wall);
		}
	}
}

void
mg_ctl_mesh_tick(struct mg_control *c, uint64_t now_mono)
{
	struct mg_ctl_mesh *m = c->mesh;
	uint64_t now;

	if (m == NULL || now_mono < m->next_tick_ns)
		return;
	m->next_tick_ns = now_mono + MG_MESH_TICK_NS;
	now = wall_ns();
	pthread_mutex_lock(&m->lock);
	update_load(c, m, now_mono, now);
	mg_mesh_node_tick(m->node, now, &m->out);
	flush_out(c, m, now_mono);
	pthread_mutex_unlock(&m->lock);
}

/* For telemetry: the node with the lock held; release it with mg_ctl_mesh_release(). */
const struct mg_mesh_node *
mg_ctl_mesh_acquire(struct mg_control *c)
{
	if (c->mesh == NULL)
		return NULL;
	pthread_mutex_lock(&c->mesh->lock);
	return c->mesh->node;
}

void
mg_ctl_mesh_release(struct mg_control *c)
{
	if (c->mesh != NULL)
		pthread_mutex_unlock(&c->mesh->lock);
}
