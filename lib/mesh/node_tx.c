/* Output side of a node: datagrams being built into struct mg_mesh_out, events, the send
 * counter, randomness (also a random choice among the view's members), and the refresh of this node's own signed record.
 *
 * The send counter is the datagram replay defence: max(now_ns, previous + 1), so it grows
 * strictly per sender, also across restarts (it is a wall-clock time).
 */
#include <string.h>

#include <sodium.h>

#include "node_internal.h"

void mg_mesh_out_init(struct mg_mesh_out *out, struct mg_mesh_dgram *dgrams, uint32_t cap_dgrams,
		      struct mg_mesh_event *events, uint32_t cap_events)
{
	out->dgrams = dgrams;
	out->cap_dgrams = cap_dgrams;
	out->events = events;
	out->cap_events = cap_events;
	mg_mesh_out_reset(out);
}

void mg_mesh_out_reset(struct mg_mesh_out *out)
{
	out->n_dgrams = 0;
	out->n_events = 0;
}

uint32_t mg_mesh_rand(struct mg_mesh_node *n, uint32_t upper)
{
	if (upper <= 1)
		return 0;
	if (n->cfg.rand_uniform)
		return n->cfg.rand_uniform(n->cfg.rand_ctx, upper);
	return randombytes_uniform(upper);
}

/* Knuth's selection sampling (TAOCP 3.4.2, Algorithm S): count the candidates, then take each
 * with probability still-needed / still-left. Random slots instead would seldom hit the few
 * members of a mostly empty store (5 of 4096 slots), and walking on from a random slot would
 * nearly always land on the first used one. */
void mg_mesh_pick_members(struct mg_mesh_node *n, uint32_t k,
			  bool (*want)(struct mg_mesh_node *n, const struct mg_mesh_entry *e),
			  void (*take)(struct mg_mesh_node *n, struct mg_mesh_entry *e, void *ctx),
			  void *ctx)
{
	uint32_t left = 0;

	for (uint32_t i = 0; i < n->store.cap; i++) {
		struct mg_mesh_entry *e = mg_mesh_store_at(&n->store, i);

		left += e && want(n, e);
	}
	for (uint32_t i = 0; i < n->store.cap && k && left; i++) {
		struct mg_mesh_entry *e = mg_mesh_store_at(&n->store, i);

		if (!e || !want(n, e))
			continue;
		if (mg_mesh_rand(n, left--) < k) {
			take(n, e, ctx);
			k--;
		}
	}
}

const struct mg_mesh_addr *mg_mesh_entry_addr(const struct mg_mesh_entry *e)
{
	return e->rec.n_endpoints ? &e->rec.endpoints[0] : NULL;
}

void mg_mesh_tx_begin(struct mg_mesh_node *n, struct mg_mesh_out *out,
		      const struct mg_mesh_addr *dst, const uint8_t *dst_id, uint64_t now_ns)
{
	n->w_slot = out->n_dgrams < out->cap_dgrams ? &out->dgrams[out->n_dgrams] : &n->scratch;
	n->w_slot->dst = *dst;
	n->w_dst_known = dst_id != NULL;
	if (dst_id)
		memcpy(n->w_dst_id, dst_id, MG_MESH_ID_LEN);
	n->tx_counter = now_ns > n->tx_counter ? now_ns : n->tx_counter + 1;
	mg_mesh_wire_begin(&n->w, n->w_slot->buf, sizeof(n->w_slot->buf), n->id, n->tx_counter);
}

void mg_mesh_tx_end(struct mg_mesh_node *n, struct mg_mesh_out *out)
{
	if (!n->w_slot)
		return;
	mg_mesh_gossip_piggyback(n);
	n->w_slot->len = (uint16_t)mg_mesh_wire_finish(&n->w, n->sk);
	if (n->w_slot == &n->scratch) {
		n->ctr[MG_MESH_CTR_TX_OUT_FULL]++;
	} else {
		out->n_dgrams++;
		n->ctr[MG_MESH_CTR_TX_DGRAMS]++;
		n->ctr[MG_MESH_CTR_TX_BYTES] += n->w_slot->len;
	}
	n->w_slot = NULL;
}

uint8_t *mg_mesh_tx_add(struct mg_mesh_node *n, struct mg_mesh_out *out, uint8_t type,
			uint16_t len, uint64_t now_ns)
{
	uint8_t *p = mg_mesh_wire_add(&n->w, type, len);
	struct mg_mesh_addr dst;
	uint8_t id[MG_MESH_ID_LEN];
	bool known = n->w_dst_known;

	if (p)
		return p;
	dst = n->w_slot->dst;
	memcpy(id, n->w_dst_id, sizeof(id));
	mg_mesh_tx_end(n, out);
	mg_mesh_tx_begin(n, out, &dst, known ? id : NULL, now_ns);
	return mg_mesh_wire_add(&n->w, type, len);
}

struct mg_mesh_event *mg_mesh_ev(struct mg_mesh_node *n, struct mg_mesh_out *out, uint8_t type,
				 const uint8_t *id)
{
	struct mg_mesh_event *ev = &n->ev_scratch;

	if (out->n_events < out->cap_events)
		ev = &out->events[out->n_events++];
	else
		n->ctr[MG_MESH_CTR_EV_OUT_FULL]++;
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	if (id)
		memcpy(ev->id, id, MG_MESH_ID_LEN);
	return ev;
}

/* seq = max(seq + 1, now in ms): it keeps growing across restarts without stored state. */
void mg_mesh_self_refresh(struct mg_mesh_node *n, uint64_t now_ns)
{
	uint64_t ms = now_ns / MG_MESH_NS_PER_MS;

	n->self.seq = ms > n->self.seq ? ms : n->self.seq + 1;
	n->self.issued_ns = now_ns;
	n->self.expires_ns = now_ns + n->cfg.record_lifetime_ns;
	n->self.uptime_s = (uint32_t)((now_ns - n->created_ns) / MG_MESH_NS_PER_S);
	mg_mesh_record_sign(&n->self, n->sk);
	mg_mesh_store_set_self(&n->store, &n->self, now_ns);
	mg_mesh_rumour_add(&n->rumours, MG_MESH_RUMOUR_RECORD, n->id, n->self.seq,
			   mg_mesh_rumour_times(n->store.n));
	n->next_refresh_ns = now_ns + n->cfg.record_refresh_ns;
}
