/* Babel-style route table: feasibility distances, selection, triggered updates, retractions.
 *
 * Feasibility (RFC 8966 3.5.1): an update (seqno, metric) for source S is feasible when this
 * node has no feasibility distance for S, or seqno is newer than FD(S).seqno, or equal with a
 * strictly smaller metric. Retractions are always accepted. The FD is lowered whenever a route
 * is selected (what is selected is what gets advertised), so it never increases for a seqno.
 */
#include <stdlib.h>
#include <string.h>

#include "route.h"

/* Sequence numbers compare modulo 2^32, as RFC 8966 does modulo 2^16. */
static bool seq_newer(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static uint16_t add_metric(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + b;

	if (a == MG_MESH_METRIC_INF || b == MG_MESH_METRIC_INF || s >= MG_MESH_METRIC_INF)
		return MG_MESH_METRIC_INF;
	return (uint16_t)s;
}

int mg_mesh_route_init(struct mg_mesh_route_table *t, uint32_t cap, uint32_t per_prefix,
		       const uint8_t self[MG_MESH_ID_LEN], uint16_t ttl_s, uint64_t *ctr)
{
	memset(t, 0, sizeof(*t));
	t->p = calloc(cap, sizeof(*t->p));
	if (!t->p)
		return -1;
	t->cap = cap;
	t->per_prefix = per_prefix;
	for (uint32_t i = 0; i < cap; i++) {
		t->p[i].r = calloc(per_prefix, sizeof(*t->p[i].r));
		t->p[i].fd = calloc(per_prefix, sizeof(*t->p[i].fd));
		if (!t->p[i].r || !t->p[i].fd) {
			mg_mesh_route_free(t);
			return -1;
		}
	}
	memcpy(t->self, self, MG_MESH_ID_LEN);
	t->ttl_s = ttl_s;
	t->ctr = ctr;
	return 0;
}

void mg_mesh_route_free(struct mg_mesh_route_table *t)
{
	for (uint32_t i = 0; t->p && i < t->cap; i++) {
		free(t->p[i].r);
		free(t->p[i].fd);
	}
	free(t->p);
	t->p = NULL;
}

bool mg_mesh_route_feasible(const struct mg_mesh_fd *fd, uint32_t seqno, uint16_t metric)
{
	if (metric == MG_MESH_METRIC_INF || !fd || !fd->used)
		return true;
	return seq_newer(seqno, fd->seqno) || (seqno == fd->seqno && metric < fd->metric);
}

struct mg_mesh_rprefix *mg_mesh_route_find(const struct mg_mesh_route_table *t,
					   const struct mg_mesh_prefix *pf)
{
	for (uint32_t i = 0; i < t->cap; i++)
		if (t->p[i].used && mg_mesh_prefix_eq(&t->p[i].prefix, pf))
			return &t->p[i];
	return NULL;
}

static struct mg_mesh_rprefix *get_prefix(struct mg_mesh_route_table *t,
					  const struct mg_mesh_prefix *pf)
{
	struct mg_mesh_rprefix *p = mg_mesh_route_find(t, pf);

	for (uint32_t i = 0; !p && i < t->cap; i++) {
		if (t->p[i].used)
			continue;
		p = &t->p[i];
		memset(p->r, 0, t->per_prefix * sizeof(*p->r));
		memset(p->fd, 0, t->per_prefix * sizeof(*p->fd));
		p->used = true;
		p->dirty = p->changed = p->starving = false;
		p->prefix = *pf;
		p->selected = -1;
		p->local_seqno = 0;
		p->seqreq_ns = 0;
	}
	return p;
}

static struct mg_mesh_fd *find_fd(const struct mg_mesh_route_table *t,
				  const struct mg_mesh_rprefix *p, const uint8_t *source)
{
	for (uint32_t i = 0; i < t->per_prefix; i++)
		if (p->fd[i].used && memcmp(p->fd[i].source, source, MG_MESH_ID_LEN) == 0)
			return &p->fd[i];
	return NULL;
}

/* Lower (or create) the feasibility distance of the source of route r. */
static void update_fd(struct mg_mesh_route_table *t, struct mg_mesh_rprefix *p,
		      const struct mg_mesh_route *r)
{
	struct mg_mesh_fd *fd = find_fd(t, p, r->source);

	for (uint32_t i = 0; !fd && i < t->per_prefix; i++)
		if (!p->fd[i].used)
			fd = &p->fd[i];
	if (!fd)
		fd = &p->fd[0];   /* full: the oldest slot; losing an FD only makes us stricter later */
	if (!fd->used || memcmp(fd->source, r->source, MG_MESH_ID_LEN) != 0 ||
	    seq_newer(r->seqno, fd->seqno) || (r->seqno == fd->seqno && r->metric < fd->metric)) {
		fd->used = true;
		memcpy(fd->source, r->source, MG_MESH_ID_LEN);
		fd->seqno = r->seqno;
		fd->metric = r->metric;
	}
}

static bool route_selectable(const struct mg_mesh_route_table *t, const struct mg_mesh_rprefix *p,
			     const struct mg_mesh_route *r)
{
	if (!r->used || r->metric == MG_MESH_METRIC_INF)
		return false;
	/* Feasibility compares the neighbour's own distance (adv_metric) with ours (the FD). */
	return r->nbr == MG_MESH_ROUTE_LOCAL ||
	       mg_mesh_route_feasible(find_fd(t, p, r->source), r->seqno, r->adv_metric);
}

/* Pick the cheapest feasible route; on a tie keep the current one (no flapping). */
static void select_route(struct mg_mesh_route_table *t, struct mg_mesh_rprefix *p)
{
	int old = p->selected, best = -1;
	uint16_t old_metric = old >= 0 && p->r[old].used ? p->r[old].metric : MG_MESH_METRIC_INF;
	bool any_unfeasible = false;

	for (uint32_t i = 0; i < t->per_prefix; i++) {
		const struct mg_mesh_route *r = &p->r[i];

		if (!r->used || r->metric == MG_MESH_METRIC_INF)
			continue;
		if (!route_selectable(t, p, r)) {
			any_unfeasible = true;
			continue;
		}
		if (best < 0 || r->metric < p->r[best].metric ||
		    (r->metric == p->r[best].metric && (int)i == old))
			best = (int)i;
	}
	p->selected = best;
	p->starving = best < 0 && any_unfeasible;
	if (best >= 0) {
		update_fd(t, p, &p->r[best]);
		memcpy(p->last_source, p->r[best].source, MG_MESH_ID_LEN);
		p->last_seqno = p->r[best].seqno;
	}
	if (best == old && (best < 0 || p->r[best].metric == old_metric))
		return;
	p->changed = true;
	/* Triggered update on a new next hop, a loss, or a change of the metric by more than a
	 * quarter (a hop degraded); smaller drifts wait for the periodic update. */
	if (best != old || p->r[best].metric > old_metric + old_metric / 4 ||
	    p->r[best].metric < old_metric - old_metric / 4) {
		p->dirty = true;
		t->ctr[MG_MESH_CTR_ROUTE_TRIGGERED]++;
	}
}

static struct mg_mesh_route *route_slot(struct mg_mesh_route_table *t, struct mg_mesh_rprefix *p,
					uint32_t nbr, const uint8_t *source)
{
	struct mg_mesh_route *free_r = NULL;

	for (uint32_t i = 0; i < t->per_prefix; i++) {
		struct mg_mesh_route *r = &p->r[i];

		if (r->used && r->nbr == nbr && memcmp(r->source, source, MG_MESH_ID_LEN) == 0)
			return r;
		if (!r->used && !free_r)
			free_r = r;
	}
	/* One route per (neighbour, prefix): a new source from the same neighbour replaces it. */
	for (uint32_t i = 0; !free_r && i < t->per_prefix; i++)
		if (p->r[i].used && p->r[i].nbr == nbr && (int)i != p->selected)
			free_r = &p->r[i];
	return free_r;
}

int mg_mesh_route_originate(struct mg_mesh_route_table *t, const struct mg_mesh_prefix *pf,
			    uint32_t bw_mbps)
{
	struct mg_mesh_rprefix *p = get_prefix(t, pf);
	struct mg_mesh_route *r;

	if (!p)
		return -1;
	r = route_slot(t, p, MG_MESH_ROUTE_LOCAL, t->self);
	if (!r)
		return -1;
	memset(r, 0, sizeof(*r));
	r->used = true;
	r->nbr = MG_MESH_ROUTE_LOCAL;
	memcpy(r->source, t->self, MG_MESH_ID_LEN);
	r->seqno = ++p->local_seqno;
	r->bw_mbps = bw_mbps;
	r->expires_ns = UINT64_MAX;
	select_route(t, p);
	p->dirty = true;
	return 0;
}

int mg_mesh_route_withdraw(struct mg_mesh_route_table *t, const struct mg_mesh_prefix *pf)
{
	struct mg_mesh_rprefix *p = mg_mesh_route_find(t, pf);

	for (uint32_t i = 0; p && i < t->per_prefix; i++)
		if (p->r[i].used && p->r[i].nbr == MG_MESH_ROUTE_LOCAL) {
			p->r[i].metric = MG_MESH_METRIC_INF;
			p->r[i].seqno = ++p->local_seqno;
			p->r[i].expires_ns = 0;  /* kept until the next expiry pass */
			select_route(t, p);
			p->dirty = true;
			return 0;
		}
	return -1;
}

int mg_mesh_route_update(struct mg_mesh_route_table *t, uint32_t nbr, uint16_t link_cost,
			 const struct mg_mesh_route_adv *adv, uint64_t now_ns)
{
	struct mg_mesh_rprefix *p;
	struct mg_mesh_route *r;
	bool feasible;

	if (memcmp(adv->source, t->self, MG_MESH_ID_LEN) == 0)
		return MG_MESH_ROUTE_IGNORED;      /* our own prefix coming back */
	p = adv->metric == MG_MESH_METRIC_INF ? mg_mesh_route_find(t, &adv->prefix)
					       : get_prefix(t, &adv->prefix);
	if (!p) {
		if (adv->metric == MG_MESH_METRIC_INF)
			return MG_MESH_ROUTE_RETRACTED;
		t->ctr[MG_MESH_CTR_ROUTE_TABLE_FULL]++;
		return MG_MESH_ROUTE_FULL;
	}
	feasible = mg_mesh_route_feasible(find_fd(t, p, adv->source), adv->seqno, adv->metric);
	r = route_slot(t, p, nbr, adv->source);
	if (!r) {
		t->ctr[MG_MESH_CTR_ROUTE_TABLE_FULL]++;
		return MG_MESH_ROUTE_FULL;
	}
	r->used = true;
	r->nbr = nbr;
	memcpy(r->source, adv->source, MG_MESH_ID_LEN);
	r->seqno = adv->seqno;
	r->adv_metric = adv->metric;
	r->link_cost = link_cost;
	r->metric = add_metric(adv->metric, link_cost);
	r->bw_mbps = adv->bw_mbps;
	r->expires_ns = now_ns + (uint64_t)adv->ttl_s * MG_MESH_NS_PER_S;
	select_route(t, p);
	if (adv->metric == MG_MESH_METRIC_INF) {
		t->ctr[MG_MESH_CTR_ROUTE_RETRACTED]++;
		return MG_MESH_ROUTE_RETRACTED;
	}
	t->ctr[feasible ? MG_MESH_CTR_ROUTE_ACCEPTED : MG_MESH_CTR_ROUTE_UNFEASIBLE]++;
	return feasible ? MG_MESH_ROUTE_OK : MG_MESH_ROUTE_UNFEASIBLE;
}

void mg_mesh_route_link_cost(struct mg_mesh_route_table *t, uint32_t nbr, uint16_t link_cost)
{
	for (uint32_t i = 0; i < t->cap; i++) {
		struct mg_mesh_rprefix *p = &t->p[i];
		bool hit = false;

		for (uint32_t j = 0; p->used && j < t->per_prefix; j++) {
			struct mg_mesh_route *r = &p->r[j];

			if (!r->used || r->nbr != nbr || r->link_cost == link_cost)
				continue;
			r->link_cost = link_cost;
			r->metric = add_metric(r->adv_metric, link_cost);
			hit = true;
		}
		if (hit)
			select_route(t, p);
	}
}

void mg_mesh_route_nbr_down(struct mg_mesh_route_table *t, uint32_t nbr)
{
	for (uint32_t i = 0; i < t->cap; i++) {
		struct mg_mesh_rprefix *p = &t->p[i];
		bool hit = false;

		for (uint32_t j = 0; p->used && j < t->per_prefix; j++)
			if (p->r[j].used && p->r[j].nbr == nbr) {
				p->r[j].used = false;
				hit = true;
			}
		if (hit)
			select_route(t, p);
	}
}

static bool prefix_empty(const struct mg_mesh_route_table *t, const struct mg_mesh_rprefix *p)
{
	for (uint32_t j = 0; j < t->per_prefix; j++)
		if (p->r[j].used)
			return false;
	return true;
}

void mg_mesh_route_expire(struct mg_mesh_route_table *t, uint64_t now_ns)
{
	for (uint32_t i = 0; i < t->cap; i++) {
		struct mg_mesh_rprefix *p = &t->p[i];
		bool hit = false;

		for (uint32_t j = 0; p->used && j < t->per_prefix; j++)
			if (p->r[j].used && p->r[j].expires_ns <= now_ns) {
				p->r[j].used = false;
				hit = true;
			}
		if (hit)
			select_route(t, p);
		/* Keep an emptied prefix until its retraction went out (dirty cleared). */
		if (p->used && !p->dirty && !p->changed && prefix_empty(t, p))
			p->used = false;
	}
}

bool mg_mesh_route_bump(struct mg_mesh_route_table *t, const struct mg_mesh_prefix *pf,
			uint32_t want_seqno)
{
	struct mg_mesh_rprefix *p = mg_mesh_route_find(t, pf);

	for (uint32_t j = 0; p && j < t->per_prefix; j++) {
		struct mg_mesh_route *r = &p->r[j];

		if (!r->used || r->nbr != MG_MESH_ROUTE_LOCAL || r->metric == MG_MESH_METRIC_INF)
			continue;
		if (seq_newer(want_seqno, r->seqno)) {
			p->local_seqno = want_seqno;
			r->seqno = want_seqno;
		}
		p->dirty = true;
		select_route(t, p);
		return true;
	}
	return false;
}

const struct mg_mesh_route *mg_mesh_route_selected(const struct mg_mesh_route_table *t,
						   const struct mg_mesh_prefix *pf)
{
	struct mg_mesh_rprefix *p = mg_mesh_route_find(t, pf);

	return p && p->selected >= 0 ? &p->r[p->selected] : NULL;
}

bool mg_mesh_route_advert(const struct mg_mesh_route_table *t, uint32_t i,
			  struct mg_mesh_route_adv *adv)
{
	const struct mg_mesh_rprefix *p = i < t->cap ? &t->p[i] : NULL;
	const struct mg_mesh_route *r;

	if (!p || !p->used || (p->selected < 0 && !p->dirty))
		return false;
	memset(adv, 0, sizeof(*adv));
	adv->prefix = p->prefix;
	adv->ttl_s = t->ttl_s;
	if (p->selected < 0) {
		memcpy(adv->source, p->last_source, MG_MESH_ID_LEN);
		adv->seqno = p->last_seqno;
		adv->metric = MG_MESH_METRIC_INF;
		return true;
	}
	r = &p->r[p->selected];
	memcpy(adv->source, r->source, MG_MESH_ID_LEN);
	adv->seqno = r->seqno;
	adv->metric = r->metric;
	adv->bw_mbps = r->bw_mbps;
	return true;
}
