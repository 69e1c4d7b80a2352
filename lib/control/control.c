/* The control lcore's loop: drain what the workers punted (ARP, ICMP to us, handshakes) and the
 * events they raised (keypair confirmations, next hops to resolve), then every 100 ms run the
 * timers, ARP refresh, RCU reclamation and, when asked, the periodic statistics.
 */
#include <stdio.h>
#include <time.h>
#include <netinet/in.h>

#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "control_internal.h"
#include "dp.h"
#include "encap.h"

enum { PUNT_BURST = 32, EVENT_BURST = 64, IDLE_SLEEP_US = 200 };

struct mg_control *
mg_control_create(const struct mg_control_params *p, char *err, size_t errlen)
{
	struct mg_control *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(err, errlen, "control: out of memory");
		return NULL;
	}
	c->p = *p;
	c->dp = p->dp;
	c->peers = calloc(p->dp->max_peers, sizeof(*c->peers));
	if (c->peers == NULL) {
		snprintf(err, errlen, "control: out of memory for %u peers", p->dp->max_peers);
		free(c);
		return NULL;
	}
	if (p->mesh != NULL && mg_ctl_mesh_create(c, p->mesh, err, errlen) != 0) {
		free(c->peers);
		free(c);
		return NULL;
	}
	for (uint32_t i = 0; i < p->dp->max_peers; i++)
		mg_wg_timers_init(&c->peers[i].timers, 0);
	c->started_ns = mg_dp_now_ns();
	if (mg_ctl_telemetry_register(c) != 0 ||
	    (c->mesh != NULL && mg_ctl_mesh_telemetry_register(c) != 0))
		fprintf(stderr, "meshgate: telemetry commands not registered\n");
	return c;
}

void
mg_control_destroy(struct mg_control *c)
{
	if (c == NULL)
		return;
	mg_ctl_mesh_destroy(c);
	free(c->peers);
	free(c);
}

int
mg_control_publish_peer(struct mg_control *c, uint32_t peer_id, const struct mg_dp_prefix *allowed,
			uint16_t n_allowed)
{
	return mg_dp_peer_publish(c->dp, peer_id, allowed, n_allowed);
}

void
mg_control_start(struct mg_control *c)
{
	mg_ctl_arp_announce(c);
	mg_ctl_arp_tick(c, mg_dp_now_ns());
}

static bool
is_udp(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const uint8_t *ip = (const uint8_t *)(eth + 1);

	return eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) && ip[9] == IPPROTO_UDP;
}

/* UDP punted to us: the mesh control protocol on its port, else a WireGuard handshake. */
static void
udp_input(struct mg_control *c, struct rte_mbuf *m, bool under_load, uint64_t now)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct mg_pkt_udp4_outer outer;

	if (c->mesh != NULL &&
	    mg_pkt_udp4_outer_parse((const uint8_t *)(eth + 1), rte_pktmbuf_data_len(m) - sizeof(*eth),
				    c->dp->ports[m->port].ip_be, &outer) == MG_PKT_VERDICT_OK &&
	    outer.dport_be == c->p.mesh_port_be) {
		MG_CTL_COUNT(c, MESH_PACKETS);
		mg_ctl_mesh_input(c, &outer, now);
		return;
	}
	mg_ctl_handshake_input(c, m, under_load, now);
}

static void
dispatch(struct mg_control *c, struct rte_mbuf *m, bool under_load, uint64_t now)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
		mg_ctl_arp_input(c, m); /* consumes m */
	} else if (is_udp(m)) {
		udp_input(c, m, under_load, now);
		rte_pktmbuf_free(m);
	} else {
		mg_ctl_icmp_input(c, m); /* consumes m */
	}
}

static unsigned
drain_punts(struct mg_control *c, uint64_t now)
{
	unsigned total = 0;

	for (unsigned w = 0; w < c->dp->n_workers; w++) {
		struct rte_ring *r = c->dp->workers[w]->punt_ring;
		struct rte_mbuf *pkts[PUNT_BURST];
		unsigned backlog = rte_ring_count(r);
		unsigned n;

		/* Linux WireGuard's rule: a handshake queue this long means we are under load. */
		if (backlog >= c->p.under_load_backlog)
			c->under_load_until_ns = now + MG_CTL_UNDER_LOAD_HOLD_NS;
		n = rte_ring_dequeue_burst(r, (void **)pkts, PUNT_BURST, NULL);
		for (unsigned i = 0; i < n; i++)
			dispatch(c, pkts[i], now < c->under_load_until_ns, now);
		total += n;
	}
	return total;
}

static unsigned
drain_events(struct mg_control *c, uint64_t now)
{
	unsigned total = 0;

	for (unsigned w = 0; w < c->dp->n_workers; w++) {
		struct mg_dp_event ev[EVENT_BURST];
		unsigned n = rte_ring_dequeue_burst_elem(c->dp->workers[w]->event_ring, ev,
							 sizeof(ev[0]), EVENT_BURST, NULL);

		for (unsigned i = 0; i < n; i++) {
			if ((ev[i].type & 0xff) == MG_DP_EVENT_CONFIRM_NEXT)
				mg_ctl_confirm(c, ev[i].value);
			else if ((ev[i].type & 0xff) == MG_DP_EVENT_RESOLVE &&
				 (ev[i].type >> 8) < c->dp->n_ports)
				mg_ctl_arp_resolve(c, ev[i].type >> 8, ev[i].value, now);
		}
		total += n;
	}
	return total;
}

unsigned
mg_control_poll(struct mg_control *c)
{
	uint64_t now = mg_dp_now_ns();
	unsigned work = drain_punts(c, now) + drain_events(c, now);

	mg_ctl_mesh_tick(c, now);

	if (now - c->last_tick_ns >= MG_CTL_TICK_NS) {
		c->last_tick_ns = now;
		if (now < c->under_load_until_ns)
			MG_CTL_COUNT(c, UNDER_LOAD_SECONDS);
		mg_ctl_timers_tick(c, now);
		mg_ctl_arp_tick(c, now);
		mg_dp_reclaim(c->dp);
	}
	if (c->p.stats_interval_s &&
	    now - c->last_stats_ns >= (uint64_t)c->p.stats_interval_s * 1000000000ULL) {
		c->last_stats_ns = now;
		mg_control_print_stats(c, stdout);
	}
	return work;
}

void
mg_control_run(struct mg_control *c, volatile bool *quit)
{
	while (!*quit) {
		if (mg_control_poll(c) == 0) {
			struct timespec ts = { 0, IDLE_SLEEP_US * 1000 };
			nanosleep(&ts, NULL);
		}
	}
}
