/* SWIM failure detection and link health over the neighbour set.
 *
 * Timers, per neighbour: the direct probe timeout (then PING_REQ through k others), the end of
 * the protocol period (then SUSPECT), the suspicion timeout (then DEAD). A late ACK to the last
 * probe, or a newer record from the suspect (its refutation), clears a suspicion. Every probe
 * outcome feeds RTT (RFC 6298), jitter (RFC 3550), loss, score, colour and the route link cost.
 */
#include <string.h>

#include "node_internal.h"

static uint64_t absdiff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

void mg_mesh_health_rtt_sample(struct mg_mesh_nbr *n, uint64_t rtt_ns)
{
	if (!n->have_rtt) {
		n->srtt_ns = rtt_ns;
		n->rttvar_ns = rtt_ns / 2;
		n->have_rtt = true;
	} else {
		n->rttvar_ns = (3 * n->rttvar_ns + absdiff(n->srtt_ns, rtt_ns)) / 4;
		n->srtt_ns = (7 * n->srtt_ns + rtt_ns) / 8;
		/* RFC 3550 6.4.1: J += (|D| - J) / 16, D the change between consecutive RTTs. */
		int64_t d = (int64_t)absdiff(rtt_ns, n->last_rtt_ns) - (int64_t)n->jitter_ns;

		n->jitter_ns = (uint64_t)((int64_t)n->jitter_ns + d / 16);
	}
	n->last_rtt_ns = rtt_ns;
}

void mg_mesh_health_outcome(struct mg_mesh_nbr *n, bool acked)
{
	n->loss_bits = (n->loss_bits << 1) | (acked ? 0u : 1u);
	if (n->loss_n < MG_MESH_LOSS_WINDOW)
		n->loss_n++;
}

uint32_t mg_mesh_health_loss_permille(const struct mg_mesh_nbr *n)
{
	uint32_t mask = n->loss_n >= 32 ? UINT32_MAX : (1u << n->loss_n) - 1;

	if (!n->loss_n)
		return 0;
	return (uint32_t)__builtin_popcount(n->loss_bits & mask) * 1000 / n->loss_n;
}

static uint32_t cap_u32(uint64_t v, uint32_t max) { return v > max ? max : (uint32_t)v; }

void mg_mesh_health_grade(struct mg_mesh_nbr *n)
{
	uint32_t pen = cap_u32(n->srtt_ns / (10 * MG_MESH_NS_PER_MS), 40) +
		       cap_u32(n->jitter_ns / (5 * MG_MESH_NS_PER_MS), 20) +
		       cap_u32(mg_mesh_health_loss_permille(n) / 5, 60);

	n->score = pen >= 100 ? 0 : (uint8_t)(100 - pen);
	/* A suspect is most likely alive (loss, a slow moment): yellow, not red, so routes through
	 * it get dearer but do not all collapse at once; DEAD or a bad score is red. */
	if (n->state == MG_MESH_DEAD || n->score < 40)
		n->colour = MG_MESH_RED;
	else if (n->state == MG_MESH_SUSPECT)
		n->colour = MG_MESH_YELLOW;
	else
		n->colour = n->score >= 70 ? MG_MESH_GREEN : MG_MESH_YELLOW;
}

uint16_t mg_mesh_health_link_cost(const struct mg_mesh_nbr *n)
{
	uint64_t base = 16 + (n->have_rtt ? n->srtt_ns / MG_MESH_NS_PER_MS : 48);
	uint32_t loss = mg_mesh_health_loss_permille(n);
	uint64_t cost;

	if (n->colour == MG_MESH_RED)
		return MG_MESH_METRIC_INF;
	cost = base * 1000 / (1000 - (loss > 900 ? 900 : loss));
	if (n->state == MG_MESH_SUSPECT)
		cost *= 4;
	return cost >= MG_MESH_METRIC_INF ? MG_MESH_METRIC_INF - 1 : (uint16_t)cost;
}

uint64_t mg_mesh_health_timeout(const struct mg_mesh_nbr *n, uint64_t min_ns, uint64_t period_ns)
{
	uint64_t t = n->have_rtt ? n->srtt_ns + 4 * n->rttvar_ns : min_ns;

	if (t < min_ns)
		t = min_ns;
	return t > period_ns / 2 ? period_ns / 2 : t;
}

struct mg_mesh_nbr *mg_mesh_nbr_find(struct mg_mesh_node *n, const uint8_t *id)
{
	for (uint32_t i = 0; i < n->nbr_cap; i++)
		if (n->nbr[i].used && memcmp(n->nbr[i].id, id, MG_MESH_ID_LEN) == 0)
			return &n->nbr[i];
	return NULL;
}

static uint32_t nbr_count(const struct mg_mesh_node *n)
{
	uint32_t c = 0;

	for (uint32_t i = 0; i < n->nbr_cap; i++)
		c += n->nbr[i].used;
	return c;
}

static struct mg_mesh_nbr *nbr_add(struct mg_mesh_node *n, const uint8_t *id,
				   const struct mg_mesh_addr *addr)
{
	for (uint32_t i = 0; i < n->nbr_cap; i++) {
		struct mg_mesh_nbr *nb = &n->nbr[i];

		if (nb->used)
			continue;
		memset(nb, 0, sizeof(*nb));
		nb->used = true;
		memcpy(nb->id, id, MG_MESH_ID_LEN);
		nb->addr = *addr;
		nb->routes_due = true;
		mg_mesh_health_grade(nb);
		nb->link_cost = mg_mesh_health_link_cost(nb);
		return nb;
	}
	return NULL;
}

void mg_mesh_nbr_remove(struct mg_mesh_node *n, struct mg_mesh_nbr *nb)
{
	mg_mesh_route_nbr_down(&n->routes, (uint32_t)(nb - n->nbr));
	nb->used = false;
}

/* Colour, score and link cost after a change; tell the owner and the route table. */
static void regrade(struct mg_mesh_node *n, struct mg_mesh_nbr *nb, struct mg_mesh_out *out)
{
	uint8_t colour = nb->colour;
	uint16_t cost;

	mg_mesh_health_grade(nb);
	if (colour != nb->colour) {
		struct mg_mesh_event *ev = mg_mesh_ev(n, out, MG_MESH_EV_NEIGHBOUR_COLOUR, nb->id);

		ev->colour = nb->colour;
		ev->score = nb->score;
	}
	cost = mg_mesh_health_link_cost(nb);
	/* Hysteresis: RTT noise must not churn the routes; only moves of over 1/8 count. */
	if (cost != nb->link_cost &&
	    (cost == MG_MESH_METRIC_INF || nb->link_cost == MG_MESH_METRIC_INF ||
	     8u * (cost > nb->link_cost ? cost - nb->link_cost : nb->link_cost - cost) >
	     nb->link_cost)) {
		nb->link_cost = cost;
		mg_mesh_route_link_cost(&n->routes, (uint32_t)(nb - n->nbr), cost);
	}
}

static void send_small(struct mg_mesh_node *n, struct mg_mesh_out *out,
		       const struct mg_mesh_addr *dst, const uint8_t *dst_id, uint8_t type,
		       uint32_t seq, const uint8_t *id2, uint64_t now_ns)
{
	uint16_t len = type == MG_MESH_MSG_IND_ACK ? MG_MESH_IND_ACK_LEN : 4;
	uint8_t *p;

	mg_mesh_tx_begin(n, out, dst, dst_id, now_ns);
	p = mg_mesh_tx_add(n, out, type, len, now_ns);
	if (p) {
		mg_mesh_put_u32(p, seq);
		if (id2)
			memcpy(p + 4, id2, MG_MESH_ID_LEN);
	}
	mg_mesh_tx_end(n, out);
}

static void suspect(struct mg_mesh_node *n, struct mg_mesh_nbr *nb, uint64_t now_ns,
		    struct mg_mesh_out *out)
{
	struct mg_mesh_entry *e = mg_mesh_store_find(&n->store, nb->id);

	nb->state = MG_MESH_SUSPECT;
	nb->suspect_since_ns = now_ns;
	nb->suspect_seq = e ? e->rec.seq : 0;
	if (e)
		mg_mesh_store_mark(&n->store, e, MG_MESH_SUSPECT, nb->suspect_seq, now_ns);
	n->ctr[MG_MESH_CTR_MEMBER_SUSPECT]++;
	mg_mesh_rumour_add(&n->rumours, MG_MESH_RUMOUR_SUSPECT, nb->id, nb->suspect_seq,
			   mg_mesh_rumour_times(n->store.n));
	mg_mesh_ev(n, out, MG_MESH_EV_NODE_SUSPECT, nb->id)->local = true;
}

static void declare_dead(struct mg_mesh_node *n, struct mg_mesh_nbr *nb, uint64_t now_ns,
			 struct mg_mesh_out *out)
{
	struct mg_mesh_entry *e = mg_mesh_store_find(&n->store, nb->id);

	if (e)
		mg_mesh_store_mark(&n->store, e, MG_MESH_DEAD, nb->suspect_seq, now_ns);
	n->ctr[MG_MESH_CTR_MEMBER_DEAD]++;
	mg_mesh_rumour_add(&n->rumours, MG_MESH_RUMOUR_DEAD, nb->id, nb->suspect_seq,
			   mg_mesh_rumour_times(n->store.n));
	mg_mesh_ev(n, out, MG_MESH_EV_NODE_DOWN, nb->id)->local = true;
	mg_mesh_nbr_remove(n, nb);
}

static void clear_suspicion(struct mg_mesh_node *n, struct mg_mesh_nbr *nb,
			    struct mg_mesh_out *out)
{
	struct mg_mesh_entry *e = mg_mesh_store_find(&n->store, nb->id);

	if (nb->state != MG_MESH_SUSPECT)
		return;
	nb->state = MG_MESH_ALIVE;
	if (e && e->state == MG_MESH_SUSPECT)
		e->state = MG_MESH_ALIVE;   /* suspect and alive weigh the same in the digest */
	if (out)
		mg_mesh_ev(n, out, MG_MESH_EV_NODE_ALIVE, nb->id)->local = true;
}

void mg_mesh_health_refuted(struct mg_mesh_node *n, const uint8_t *id)
{
	struct mg_mesh_nbr *nb = mg_mesh_nbr_find(n, id);

	if (nb) {
		clear_suspicion(n, nb, NULL);
		mg_mesh_health_grade(nb);
	}
}

/* Ask up to k other live neighbours to probe nb for us. */
static void send_ping_reqs(struct mg_mesh_node *n, struct mg_mesh_nbr *nb, uint64_t now_ns,
			   struct mg_mesh_out *out)
{
	uint32_t start = mg_mesh_rand(n, n->nbr_cap), sent = 0;

	for (uint32_t k = 0; k < n->nbr_cap && sent < n->cfg.indirect_probes; k++) {
		struct mg_mesh_nbr *via = &n->nbr[(start + k) % n->nbr_cap];
		uint8_t *p;

		if (!via->used || via == nb || via->state != MG_MESH_ALIVE)
			continue;
		mg_mesh_tx_begin(n, out, &via->addr, via->id, now_ns);
		p = mg_mesh_tx_add(n, out, MG_MESH_MSG_PING_REQ, MG_MESH_PING_REQ_LEN, now_ns);
		if (p) {
			mg_mesh_put_u32(p, nb->probe_seq);
			memcpy(p + 4, nb->id, MG_MESH_ID_LEN);
			mg_mesh_addr_put(p + 4 + MG_MESH_ID_LEN, &nb->addr);
		}
		mg_mesh_tx_end(n, out);
		n->ctr[MG_MESH_CTR_PROBE_INDIRECT]++;
		sent++;
	}
}

static void probe_progress(struct mg_mesh_node *n, struct mg_mesh_nbr *nb, uint64_t now_ns,
			   struct mg_mesh_out *out)
{
	if (nb->phase == MG_MESH_PROBE_DIRECT && now_ns >= nb->probe_deadline_ns) {
		send_ping_reqs(n, nb, now_ns, out);
		nb->phase = MG_MESH_PROBE_INDIRECT;
		nb->probe_deadline_ns = nb->probe_sent_ns + n->cfg.probe_interval_ns;
	} else if (nb->phase == MG_MESH_PROBE_INDIRECT && now_ns >= nb->probe_deadline_ns) {
		nb->phase = MG_MESH_PROBE_IDLE;
		nb->failed_seq = nb->probe_seq;
		mg_mesh_health_outcome(nb, false);
		if (nb->state == MG_MESH_ALIVE)
			suspect(n, nb, now_ns, out);
		regrade(n, nb, out);
	}
	if (nb->used && nb->state == MG_MESH_SUSPECT &&
	    now_ns >= nb->suspect_since_ns + n->cfg.suspicion_ns)
		declare_dead(n, nb, now_ns, out);
}

/* Next neighbour to probe: a suspect one first (more chances to answer before the suspicion
 * runs out, as Lifeguard does), else round robin. */
static struct mg_mesh_nbr *probe_target(struct mg_mesh_node *n)
{
	for (uint32_t k = 0; k < n->nbr_cap; k++) {
		struct mg_mesh_nbr *nb = &n->nbr[k];

		if (nb->used && nb->phase == MG_MESH_PROBE_IDLE && nb->state == MG_MESH_SUSPECT)
			return nb;
	}
	for (uint32_t k = 0; k < n->nbr_cap; k++) {
		struct mg_mesh_nbr *nb = &n->nbr[n->probe_rr++ % n->nbr_cap];

		if (nb->used && nb->phase == MG_MESH_PROBE_IDLE)
			return nb;
	}
	return NULL;
}

static void send_probe(struct mg_mesh_node *n, uint64_t now_ns, struct mg_mesh_out *out)
{
	struct mg_mesh_nbr *nb = probe_target(n);

	if (nb) {
		nb->probe_seq = ++n->probe_seq;
		nb->probe_sent_ns = now_ns;
		nb->probe_deadline_ns = now_ns + mg_mesh_health_timeout(nb, n->cfg.probe_timeout_ns,
									n->cfg.probe_interval_ns);
		nb->phase = MG_MESH_PROBE_DIRECT;
		send_small(n, out, &nb->addr, nb->id, MG_MESH_MSG_PING, nb->probe_seq, NULL, now_ns);
		n->ctr[MG_MESH_CTR_PROBE_SENT]++;
		return;
	}
}

static bool neighbour_candidate(struct mg_mesh_node *n, const struct mg_mesh_entry *e)
{
	return !e->self && e->state == MG_MESH_ALIVE && mg_mesh_entry_addr(e) &&
	       !mg_mesh_nbr_find(n, e->rec.id);
}

static void take_neighbour(struct mg_mesh_node *n, struct mg_mesh_entry *e, void *ctx)
{
	(void)ctx;
	nbr_add(n, e->rec.id, mg_mesh_entry_addr(e));
}

/* Keep max_neighbours neighbours: random live members of the view. A member nobody has as a
 * neighbour is never probed, so it would stay alive in every view after it died. */
static void fill_neighbours(struct mg_mesh_node *n)
{
	uint32_t have = nbr_count(n);

	if (have < n->cfg.max_neighbours)
		mg_mesh_pick_members(n, n->cfg.max_neighbours - have, neighbour_candidate,
				     take_neighbour, NULL);
}

void mg_mesh_health_tick(struct mg_mesh_node *n, uint64_t now_ns, struct mg_mesh_out *out)
{
	fill_neighbours(n);
	for (uint32_t i = 0; i < n->nbr_cap; i++)
		if (n->nbr[i].used)
			probe_progress(n, &n->nbr[i], now_ns, out);
	if (now_ns >= n->next_probe_ns) {
		n->next_probe_ns = now_ns + n->cfg.probe_interval_ns;
		send_probe(n, now_ns, out);
	}
	for (uint32_t i = 0; i < MG_MESH_RELAY_PENDING; i++)
		if (n->relay[i].used && now_ns >= n->relay[i].deadline_ns)
			n->relay[i].used = false;
}

static void acked(struct mg_mesh_node *n, struct mg_mesh_nbr *nb, uint32_t seq, bool direct,
		  uint64_t now_ns, struct mg_mesh_out *out)
{
	if (seq && seq == nb->failed_seq) {
		/* Late, but within suspicion: slow is not dead. */
		nb->failed_seq = 0;
		if (nb->state == MG_MESH_SUSPECT) {
			n->ctr[MG_MESH_CTR_PROBE_LATE_ACK]++;
			clear_suspicion(n, nb, out);
			regrade(n, nb, out);
		}
		return;
	}
	if (seq != nb->probe_seq || nb->phase == MG_MESH_PROBE_IDLE)
		return;
	if (direct)
		mg_mesh_health_rtt_sample(nb, now_ns - nb->probe_sent_ns);
	nb->phase = MG_MESH_PROBE_IDLE;
	nb->last_heard_ns = now_ns;
	n->ctr[MG_MESH_CTR_PROBE_ACKED]++;
	mg_mesh_health_outcome(nb, true);
	clear_suspicion(n, nb, out);
	regrade(n, nb, out);
}

static void on_ping(struct mg_mesh_node *n, const struct mg_mesh_addr *src, const uint8_t *sender,
		    uint32_t seq, uint64_t now_ns, struct mg_mesh_out *out)
{
	struct mg_mesh_entry *e = mg_mesh_store_find(&n->store, sender);

	send_small(n, out, src, sender, MG_MESH_MSG_ACK, seq, NULL, now_ns);
	/* Links are symmetric: whoever probes us becomes our neighbour while there is room. */
	if (e && e->state == MG_MESH_ALIVE && !mg_mesh_nbr_find(n, sender))
		nbr_add(n, sender, src);
}

static void on_ping_req(struct mg_mesh_node *n, const struct mg_mesh_addr *src,
			const uint8_t *v, uint64_t now_ns, struct mg_mesh_out *out)
{
	struct mg_mesh_addr target;

	if (mg_mesh_addr_get(&target, v + 4 + MG_MESH_ID_LEN) != 0) {
		n->ctr[MG_MESH_CTR_RX_BAD_TLV]++;
		return;
	}
	for (uint32_t i = 0; i < MG_MESH_RELAY_PENDING; i++) {
		struct mg_mesh_relay *r = &n->relay[i];

		if (r->used)
			continue;
		r->used = true;
		r->my_seq = ++n->probe_seq;
		r->req_seq = mg_mesh_get_u32(v);
		memcpy(r->target, v + 4, MG_MESH_ID_LEN);
		r->req_addr = *src;
		r->deadline_ns = now_ns + n->cfg.probe_interval_ns;
		send_small(n, out, &target, r->target, MG_MESH_MSG_PING, r->my_seq, NULL, now_ns);
		n->ctr[MG_MESH_CTR_PROBE_RELAYED]++;
		return;
	}
}

static void on_ack(struct mg_mesh_node *n, const uint8_t *sender, uint32_t seq, uint64_t now_ns,
		   struct mg_mesh_out *out)
{
	struct mg_mesh_nbr *nb;

	for (uint32_t i = 0; i < MG_MESH_RELAY_PENDING; i++) {
		struct mg_mesh_relay *r = &n->relay[i];

		if (r->used && r->my_seq == seq && !memcmp(r->target, sender, MG_MESH_ID_LEN)) {
			send_small(n, out, &r->req_addr, NULL, MG_MESH_MSG_IND_ACK, r->req_seq,
				   r->target, now_ns);
			r->used = false;
			return;
		}
	}
	nb = mg_mesh_nbr_find(n, sender);
	if (nb)
		acked(n, nb, seq, true, now_ns, out);
}

static const uint16_t probe_len[] = {
	[MG_MESH_MSG_PING] = MG_MESH_PING_LEN, [MG_MESH_MSG_ACK] = MG_MESH_ACK_LEN,
	[MG_MESH_MSG_PING_REQ] = MG_MESH_PING_REQ_LEN, [MG_MESH_MSG_IND_ACK] = MG_MESH_IND_ACK_LEN,
};

void mg_mesh_health_on_msg(struct mg_mesh_node *n, const struct mg_mesh_addr *src,
			   const uint8_t *sender, const struct mg_mesh_tlv *tlv, uint64_t now_ns,
			   struct mg_mesh_out *out)
{
	struct mg_mesh_nbr *nb;
	uint32_t seq;

	if (tlv->len != probe_len[tlv->type]) {
		n->ctr[MG_MESH_CTR_RX_BAD_TLV]++;
		return;
	}
	seq = mg_mesh_get_u32(tlv->val);
	switch (tlv->type) {
	case MG_MESH_MSG_PING:
		on_ping(n, src, sender, seq, now_ns, out);
		break;
	case MG_MESH_MSG_ACK:
		on_ack(n, sender, seq, now_ns, out);
		break;
	case MG_MESH_MSG_PING_REQ:
		on_ping_req(n, src, tlv->val, now_ns, out);
		break;
	case MG_MESH_MSG_IND_ACK:
		nb = mg_mesh_nbr_find(n, tlv->val + 4);
		if (nb)
			acked(n, nb, seq, false, now_ns, out);
		break;
	}
}
