/* Route messages of a node: periodic and triggered ROUTE updates to the neighbours, seqno
 * requests on starvation, and ROUTE_CHANGED events. The decisions are route.c's; this file
 * only moves them between the table and the wire.
 */
#include <string.h>

#include "node_internal.h"

static void adv_put(uint8_t *p, const struct mg_mesh_route_adv *a)
{
	mg_mesh_prefix_put(p, &a->prefix);
	memcpy(p + 18, a->source, MG_MESH_ID_LEN);
	mg_mesh_put_u32(p + 50, a->seqno);
	mg_mesh_put_u16(p + 54, a->metric);
	mg_mesh_put_u32(p + 56, a->bw_mbps);
	mg_mesh_put_u16(p + 60, a->ttl_s);
}

static int adv_get(struct mg_mesh_route_adv *a, const uint8_t *p)
{
	if (mg_mesh_prefix_get(&a->prefix, p) != 0)
		return -1;
	memcpy(a->source, p + 18, MG_MESH_ID_LEN);
	a->seqno = mg_mesh_get_u32(p + 50);
	a->metric = mg_mesh_get_u16(p + 54);
	a->bw_mbps = mg_mesh_get_u32(p + 56);
	a->ttl_s = mg_mesh_get_u16(p + 60);
	return a->ttl_s ? 0 : -1;
}

/* Send the adverts of all prefix slots (only the dirty ones if dirty_only) to every live
 * neighbour (only to new ones if new_only). */
static void send_adverts(struct mg_mesh_node *n, bool dirty_only, bool new_only,
			 uint64_t now_ns, struct mg_mesh_out *out)
{
	struct mg_mesh_route_table *t = &n->routes;

	for (uint32_t k = 0; k < n->nbr_cap; k++) {
		struct mg_mesh_nbr *nb = &n->nbr[k];

		if (!nb->used || nb->state == MG_MESH_DEAD || (new_only && !nb->routes_due))
			continue;
		nb->routes_due = false;
		mg_mesh_tx_begin(n, out, &nb->addr, nb->id, now_ns);
		for (uint32_t i = 0; i < t->cap; i++) {
			struct mg_mesh_route_adv adv;
			uint8_t *p;

			if ((dirty_only && !(t->p[i].used && t->p[i].dirty)) ||
			    !mg_mesh_route_advert(t, i, &adv))
				continue;
			p = mg_mesh_tx_add(n, out, MG_MESH_MSG_ROUTE, MG_MESH_ROUTE_LEN, now_ns);
			if (p)
				adv_put(p, &adv);
		}
		if (mg_mesh_wire_empty(&n->w))
			n->w_slot = NULL;   /* nothing to say to this one: drop the empty datagram */
		else
			mg_mesh_tx_end(n, out);
	}
}

static void send_seqreq(struct mg_mesh_node *n, struct mg_mesh_nbr *nb,
			const struct mg_mesh_prefix *pf, const uint8_t *source, uint32_t seqno,
			uint8_t hops, uint64_t now_ns, struct mg_mesh_out *out)
{
	uint8_t *p;

	mg_mesh_tx_begin(n, out, &nb->addr, nb->id, now_ns);
	p = mg_mesh_tx_add(n, out, MG_MESH_MSG_SEQREQ, MG_MESH_SEQREQ_LEN, now_ns);
	if (p) {
		mg_mesh_prefix_put(p, pf);
		memcpy(p + 18, source, MG_MESH_ID_LEN);
		mg_mesh_put_u32(p + 50, seqno);
		p[54] = hops;
	}
	mg_mesh_tx_end(n, out);
	n->ctr[MG_MESH_CTR_ROUTE_SEQREQ_SENT]++;
}

/* Starving: ask the neighbour offering the cheapest unfeasible route for a newer seqno of its
 * source; at most once per route interval per prefix, so requests cannot storm. */
static void starving(struct mg_mesh_node *n, struct mg_mesh_rprefix *p, uint64_t now_ns,
		     struct mg_mesh_out *out)
{
	struct mg_mesh_route *best = NULL;

	p->starving = false;
	if (now_ns < p->seqreq_ns)
		return;
	for (uint32_t j = 0; j < n->routes.per_prefix; j++) {
		struct mg_mesh_route *r = &p->r[j];

		if (r->used && r->nbr < n->nbr_cap && n->nbr[r->nbr].used &&
		    r->metric != MG_MESH_METRIC_INF && (!best || r->metric < best->metric))
			best = r;
	}
	if (!best)
		return;
	p->seqreq_ns = now_ns + n->cfg.route_interval_ns;
	send_seqreq(n, &n->nbr[best->nbr], &p->prefix, best->source, best->seqno + 1,
		    MG_MESH_SEQREQ_HOPS, now_ns, out);
}

void mg_mesh_routes_flush(struct mg_mesh_node *n, uint64_t now_ns, struct mg_mesh_out *out)
{
	struct mg_mesh_route_table *t = &n->routes;
	bool any_dirty = false;

	for (uint32_t i = 0; i < t->cap; i++) {
		struct mg_mesh_rprefix *p = &t->p[i];

		if (!p->used)
			continue;
		if (p->changed) {
			const struct mg_mesh_route *r = p->selected >= 0 ? &p->r[p->selected] : NULL;
			struct mg_mesh_event *ev = mg_mesh_ev(n, out, MG_MESH_EV_ROUTE_CHANGED,
				r && r->nbr < n->nbr_cap ? n->nbr[r->nbr].id : NULL);

			ev->prefix = p->prefix;
			ev->metric = r ? r->metric : MG_MESH_METRIC_INF;
			if (r)
				memcpy(ev->source, r->source, MG_MESH_ID_LEN);
			p->changed = false;
		}
		if (p->starving)
			starving(n, p, now_ns, out);
		any_dirty |= p->dirty;
	}
	/* Batch triggered updates: at most one burst per quarter route interval, so a flapping
	 * link costs a bounded number of datagrams (Babel rate-limits them too). */
	if (!any_dirty || now_ns < n->next_trigger_ns)
		return;
	n->next_trigger_ns = now_ns + n->cfg.route_interval_ns / 4;
	send_adverts(n, true, false, now_ns, out);
	for (uint32_t i = 0; i < t->cap; i++)
		t->p[i].dirty = false;
}

void mg_mesh_routes_tick(struct mg_mesh_node *n, uint64_t now_ns, struct mg_mesh_out *out)
{
	if (now_ns < n->next_route_ns) {
		send_adverts(n, false, true, now_ns, out);   /* a new neighbour learns all at once */
		return;
	}
	n->next_route_ns = now_ns + n->cfg.route_interval_ns;
	mg_mesh_route_expire(&n->routes, now_ns);
	send_adverts(n, false, false, now_ns, out);
}

static void on_seqreq(struct mg_mesh_node *n, const uint8_t *v, uint64_t now_ns,
		      struct mg_mesh_out *out)
{
	struct mg_mesh_prefix pf;
	struct mg_mesh_rprefix *p;
	const struct mg_mesh_route *r;
	uint32_t want = mg_mesh_get_u32(v + 50);

	if (mg_mesh_prefix_get(&pf, v) != 0) {
		n->ctr[MG_MESH_CTR_RX_BAD_TLV]++;
		return;
	}
	n->ctr[MG_MESH_CTR_ROUTE_SEQREQ_RCVD]++;
	if (!memcmp(v + 18, n->id, MG_MESH_ID_LEN) && mg_mesh_route_bump(&n->routes, &pf, want))
		return;
	p = mg_mesh_route_find(&n->routes, &pf);
	r = p && p->selected >= 0 ? &p->r[p->selected] : NULL;
	if (r && !memcmp(r->source, v + 18, MG_MESH_ID_LEN) && (int32_t)(r->seqno - want) >= 0)
		p->dirty = true;     /* we already have what they want: tell them */
	else if (r && r->nbr < n->nbr_cap && v[54] > 1 && now_ns >= p->seqreq_ns) {
		p->seqreq_ns = now_ns + n->cfg.route_interval_ns;   /* forward once, not a storm */
		send_seqreq(n, &n->nbr[r->nbr], &pf, v + 18, want, v[54] - 1, now_ns, out);
	}
}

void mg_mesh_routes_on_msg(struct mg_mesh_node *n, const uint8_t *sender,
			   const struct mg_mesh_tlv *tlv, uint64_t now_ns, struct mg_mesh_out *out)
{
	struct mg_mesh_route_adv adv;
	struct mg_mesh_nbr *nb;

	if (tlv->type == MG_MESH_MSG_SEQREQ) {
		if (tlv->len != MG_MESH_SEQREQ_LEN)
			n->ctr[MG_MESH_CTR_RX_BAD_TLV]++;
		else
			on_seqreq(n, tlv->val, now_ns, out);
		return;
	}
	if (tlv->len != MG_MESH_ROUTE_LEN || adv_get(&adv, tlv->val) != 0) {
		n->ctr[MG_MESH_CTR_RX_BAD_TLV]++;
		return;
	}
	nb = mg_mesh_nbr_find(n, sender);
	if (!nb)
		return;   /* distance vector runs between neighbours only */
	mg_mesh_route_update(&n->routes, (uint32_t)(nb - n->nbr), nb->link_cost, &adv, now_ns);
}
