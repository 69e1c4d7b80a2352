/* ARP on the control lcore: answer requests for our addresses, learn senders that ask for us
 * and replies to our requests, resolve next hops the workers asked for, and refresh entries in
 * use. Workers only ever read the resulting neighbour table.
 */
#include <rte_arp.h>
#include <rte_ether.h>

#include "arp.h"
#include "control_internal.h"
#include "neigh.h"

static void
send_request(struct mg_control *c, unsigned int port, uint32_t ip_be)
{
	const struct mg_dp_port *p = &c->dp->ports[port];
	struct rte_mbuf *m = mg_ctl_alloc(c);
	uint32_t len;

	if (m == NULL)
		return;
	len = mg_pkt_arp_build_request(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m),
				       &p->mac, p->ip_be, ip_be);
	rte_pktmbuf_append(m, len);
	MG_CTL_COUNT(c, ARP_REQUESTS_SENT);
	mg_ctl_send_frame(c, port, m);
}

void
mg_ctl_arp_resolve(struct mg_control *c, unsigned int port, uint32_t ip_be, uint64_t now)
{
	struct mg_neigh_entry *e = mg_neigh_get(c->dp->neigh, port, ip_be);

	if (e == NULL || now - e->requested_ns < MG_CTL_ARP_RETRY_NS)
		return;
	e->requested_ns = now;
	send_request(c, port, ip_be);
}

static void
learn(struct mg_control *c, unsigned int port, const struct mg_pkt_arp_info *a)
{
	struct mg_neigh_entry *e = mg_neigh_get(c->dp->neigh, port, a->spa_be);

	if (e != NULL) {
		mg_neigh_set_mac(e, &a->sha, mg_dp_now_ns());
		MG_CTL_COUNT(c, ARP_REPLIES_LEARNED);
	}
}

void
mg_ctl_arp_input(struct mg_control *c, struct rte_mbuf *m)
{
	unsigned int port = m->port;
	const struct mg_dp_port *p = &c->dp->ports[port];
	struct mg_pkt_arp_info a;

	if (mg_pkt_arp_parse(rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN),
			     rte_pktmbuf_data_len(m) - RTE_ETHER_HDR_LEN, &a) != MG_PKT_VERDICT_OK) {
		MG_CTL_COUNT(c, ARP_INVALID);
		rte_pktmbuf_free(m);
		return;
	}
	if (a.op == RTE_ARP_OP_REPLY && a.tpa_be == p->ip_be) {
		learn(c, port, &a);
	} else if (a.op == RTE_ARP_OP_REQUEST && a.tpa_be == p->ip_be) {
		/* RFC 826: whoever asks for us is someone we will talk to; learn them. */
		learn(c, port, &a);
		uint32_t len = mg_pkt_arp_build_reply(rte_pktmbuf_mtod(m, uint8_t *),
						      rte_pktmbuf_data_len(m) + rte_pktmbuf_tailroom(m),
						      &p->mac, p->ip_be, &a);
		if (len != 0) {
			rte_pktmbuf_reset(m);
			rte_pktmbuf_append(m, len);
			MG_CTL_COUNT(c, ARP_REQUESTS_ANSWERED);
			mg_ctl_send_frame(c, port, m);
			return;
		}
	}
	rte_pktmbuf_free(m);
}

/* Re-request entries older than the refresh interval, and unresolved gateways. */
void
mg_ctl_arp_tick(struct mg_control *c, uint64_t now)
{
	struct mg_neigh_table *t = c->dp->neigh;

	for (unsigned p = 0; p < c->dp->n_ports; p++)
		if (c->dp->ports[p].gateway_be != 0)
			mg_ctl_arp_resolve(c, p, c->dp->ports[p].gateway_be, now);
	for (unsigned i = 0; i < MG_NEIGH_SLOTS; i++) {
		struct mg_neigh_entry *e = &t->slots[i];

		if (e->ip_be == 0)
			continue;
		if (!mg_neigh_entry_valid(e) || now - e->updated_ns > MG_CTL_ARP_REFRESH_NS)
			mg_ctl_arp_resolve(c, e->port, e->ip_be, now);
	}
}

void
mg_ctl_arp_announce(struct mg_control *c)
{
	for (unsigned port = 0; port < c->dp->n_ports; port++) {
		const struct mg_dp_port *p = &c->dp->ports[port];
		struct rte_mbuf *m = mg_ctl_alloc(c);

		if (m == NULL)
			return;
		rte_pktmbuf_append(m, mg_pkt_arp_build_gratuitous(rte_pktmbuf_mtod(m, uint8_t *),
								  rte_pktmbuf_tailroom(m), &p->mac,
								  p->ip_be));
		mg_ctl_send_frame(c, port, m);
	}
}
