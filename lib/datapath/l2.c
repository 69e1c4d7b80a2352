/* Link-layer output: next-hop choice and the Ethernet header.
 * A missing neighbour entry drops the packet (counted) and asks the control lcore to resolve it
 * (the same address at most once per 100 ms per worker; the control lcore also rate-limits its
 * ARP requests per entry); the next packets then find it. A stage can keep the last neighbour it
 * found for the rest of its burst (struct mg_dp_l2_cache), so a burst to one next hop, the
 * usual case on the internet side, looks the table up once. */
#include <string.h>

#include <rte_ether.h>
#include <rte_ring.h>

#include "dp_stages.h"
#include "neigh.h"

enum { RESOLVE_INTERVAL_NS = 100 * 1000 * 1000 };

uint32_t
mg_dp_next_hop(const struct mg_dp_port *port, uint32_t dst_be)
{
	if (((dst_be ^ port->ip_be) & port->mask_be) == 0)
		return dst_be;
	return port->gateway_be;
}

static void
ask_resolve(struct mg_dp_worker *w, unsigned int port, uint32_t ip_be, uint64_t now)
{
	struct mg_dp_event ev = { .type = MG_DP_EVENT_RESOLVE | (port << 8), .value = ip_be };

	if (ip_be == w->resolve_last_ip && now - w->resolve_last_ns < RESOLVE_INTERVAL_NS)
		return;
	w->resolve_last_ns = now;
	w->resolve_last_ip = ip_be;
	rte_ring_enqueue_elem(w->event_ring, &ev, sizeof(ev));
}

static bool
write_eth(struct mg_dp_worker *w, struct rte_mbuf *m, const struct rte_ether_hdr *hdr)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eth));

	if (unlikely(eth == NULL)) {
		MG_DP_DROP(w, TOO_BIG);
		return false;
	}
	memcpy(eth, hdr, sizeof(*eth));
	return true;
}

bool
mg_dp_l2_prepend_cached(struct mg_dp_worker *w, unsigned int port, struct rte_mbuf *m,
			uint32_t hop_be, uint64_t now, struct mg_dp_l2_cache *c)
{
	if (likely(hop_be != 0 && hop_be == c->hop_be && port == c->port))
		return write_eth(w, m, &c->eth);
	if (unlikely(hop_be == 0 ||
		     !mg_neigh_lookup(w->dp->neigh, port, hop_be, &c->eth.dst_addr))) {
		MG_DP_DROP(w, NO_NEIGHBOUR);
		if (hop_be != 0)
			ask_resolve(w, port, hop_be, now);
		c->hop_be = 0;
		return false;
	}
	c->hop_be = hop_be;
	c->port = port;
	c->eth.src_addr = w->dp->ports[port].mac;
	c->eth.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	return write_eth(w, m, &c->eth);
}

bool
mg_dp_l2_prepend(struct mg_dp_worker *w, unsigned int port, struct rte_mbuf *m, uint32_t hop_be,
		 uint64_t now)
{
	struct mg_dp_l2_cache c = { .hop_be = 0 };

	return mg_dp_l2_prepend_cached(w, port, m, hop_be, now, &c);
}
