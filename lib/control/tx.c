/* How the control lcore sends: it builds frames in its own mempool and hands them to a worker's
 * control ring (round robin); the worker transmits them on its TX queue. Keepalives travel as
 * empty inner packets on the seal ring, so the worker encrypts them like any other packet.
 */
#include <string.h>

#include <rte_ether.h>
#include <rte_ring.h>

#include "control_internal.h"
#include "encap.h"

struct rte_mbuf *
mg_ctl_alloc(struct mg_control *c)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->p.pool);

	if (m == NULL)
		MG_CTL_COUNT(c, NO_MBUF);
	return m;
}

/* Round robin over the lcores that drain the control rings (every worker in run-to-completion,
 * the rx lcore in the pipeline). */
static struct mg_dp_worker *
next_worker(struct mg_control *c)
{
	for (unsigned i = 0; i < c->dp->n_workers; i++) {
		c->tx_worker = (c->tx_worker + 1) % c->dp->n_workers;
		if (c->dp->workers[c->tx_worker]->polls_control)
			break;
	}
	return c->dp->workers[c->tx_worker];
}

void
mg_ctl_send_frame(struct mg_control *c, unsigned int port, struct rte_mbuf *m)
{
	m->port = port;
	if (rte_ring_enqueue(next_worker(c)->ctl_tx_ring, m) != 0) {
		MG_CTL_COUNT(c, TX_RING_FULL);
		rte_pktmbuf_free(m);
	}
}

void
mg_ctl_send_udp(struct mg_control *c, unsigned int port, const struct rte_ether_addr *dst_mac,
		uint32_t dst_be, uint16_t dport_be, const uint8_t *payload, uint32_t len)
{
	mg_ctl_send_udp_from(c, port, dst_mac, c->dp->listen_port_be, dst_be, dport_be, payload,
			     len);
}

void
mg_ctl_send_udp_from(struct mg_control *c, unsigned int port, const struct rte_ether_addr *dst_mac,
		     uint16_t sport_be, uint32_t dst_be, uint16_t dport_be, const uint8_t *payload,
		     uint32_t len)
{
	const struct mg_dp_port *p = &c->dp->ports[port];
	struct rte_mbuf *m = mg_ctl_alloc(c);
	struct rte_ether_hdr *eth;

	if (m == NULL)
		return;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + MG_PKT_UDP4_HDR_LEN + len);
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	eth->dst_addr = *dst_mac;
	eth->src_addr = p->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	mg_pkt_udp4_encap((uint8_t *)(eth + 1), p->ip_be, dst_be, sport_be, dport_be, len, 0);
	memcpy((uint8_t *)(eth + 1) + MG_PKT_UDP4_HDR_LEN, payload, len);
	mg_ctl_send_frame(c, port, m);
}

void
mg_ctl_send_keepalive(struct mg_control *c, uint32_t peer_id)
{
	struct rte_mbuf *m = mg_ctl_alloc(c);

	if (m == NULL)
		return;
	m->hash.usr = peer_id;
	if (rte_ring_enqueue(next_worker(c)->ctl_seal_ring, m) != 0) {
		MG_CTL_COUNT(c, TX_RING_FULL);
		rte_pktmbuf_free(m);
		return;
	}
	MG_CTL_COUNT(c, KEEPALIVES_SENT);
}
