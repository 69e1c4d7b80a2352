/* Gossip: bootstrap from seeds, push-pull anti-entropy over bucket digests, rumours.
 *
 * Round: DIGEST(reply wanted) to `fanout` random members (the seeds while the view is empty).
 * The receiver answers with a SUMMARY (tag, seq, dead?) of the buckets that differ; the first
 * node pushes the records the peer lacks and REQUESTs those it lacks (pull), so no record crosses
 * twice. Dead members travel as DEAD messages, so anti-entropy also heals missed rumours.
 */
#include <string.h>

#include "node_internal.h"

void mg_mesh_rumour_add(struct mg_mesh_rumours *q, uint8_t kind,
			const uint8_t id[MG_MESH_ID_LEN], uint64_t seq, uint8_t times)
{
	struct mg_mesh_rumour *slot = NULL, *weakest = NULL;

	for (uint32_t i = 0; i < MG_MESH_RUMOURS_MAX; i++) {
		struct mg_mesh_rumour *r = &q->r[i];

		if (r->kind && memcmp(r->id, id, MG_MESH_ID_LEN) == 0) {
			slot = r;
			break;
		}
		if (!r->kind && !slot)
			slot = r;
		if (r->kind && (!weakest || r->left < weakest->left))
			weakest = r;
	}
	if (!slot)
		slot = weakest;   /* full: the rumour closest to done makes room */
	if (!slot->kind)
		q->n++;
	slot->kind = kind;
	slot->left = times;
	slot->seq = seq;
	memcpy(slot->id, id, MG_MESH_ID_LEN);
}

uint8_t mg_mesh_rumour_times(uint32_t n_members)
{
	uint8_t bits = 0;

	while (n_members) {
		bits++;
		n_members >>= 1;
	}
	return (uint8_t)(3 * (bits ? bits : 1));
}

uint32_t mg_mesh_digest_diff(const uint32_t mine[MG_MESH_BUCKETS],
			     const uint32_t theirs[MG_MESH_BUCKETS], uint8_t mismatch[32])
{
	uint32_t c = 0;

	memset(mismatch, 0, 32);
	for (uint32_t b = 0; b < MG_MESH_BUCKETS; b++)
		if (mine[b] != theirs[b]) {
			mismatch[b / 8] |= (uint8_t)(1u << (b % 8));
			c++;
		}
	return c;
}

void mg_mesh_digest_put(uint8_t *p, uint8_t flags, const uint32_t buckets[MG_MESH_BUCKETS])
{
	p[0] = flags;
	mg_mesh_put_u16(p + 1, MG_MESH_BUCKETS);
	for (uint32_t b = 0; b < MG_MESH_BUCKETS; b++)
		mg_mesh_put_u32(p + 3 + 4 * b, buckets[b]);
}

int mg_mesh_digest_get(const uint8_t *p, uint16_t len, uint8_t *flags,
		       uint32_t buckets[MG_MESH_BUCKETS])
{
	if (len != MG_MESH_DIGEST_LEN || (p[0] & ~MG_MESH_DIGEST_REPLY) ||
	    mg_mesh_get_u16(p + 1) != MG_MESH_BUCKETS)
		return -1;
	*flags = p[0];
	for (uint32_t b = 0; b < MG_MESH_BUCKETS; b++)
		buckets[b] = mg_mesh_get_u32(p + 3 + 4 * b);
	return 0;
}

struct digest_round { struct mg_mesh_out *out; uint64_t now_ns; };

static void send_digest(struct mg_mesh_node *n, struct mg_mesh_out *out,
			const struct mg_mesh_addr *dst, const uint8_t *dst_id, uint64_t now_ns)
{
	uint8_t *p;

	mg_mesh_tx_begin(n, out, dst, dst_id, now_ns);
	p = mg_mesh_tx_add(n, out, MG_MESH_MSG_DIGEST, MG_MESH_DIGEST_LEN, now_ns);
	if (p)
		mg_mesh_digest_put(p, MG_MESH_DIGEST_REPLY, n->store.buckets);
	mg_mesh_tx_end(n, out);
}

/* Members to gossip with: live or suspect, not us, with an endpoint. */
static bool gossip_partner(struct mg_mesh_node *n, const struct mg_mesh_entry *e)
{
	(void)n;
	return !e->self && e->state != MG_MESH_DEAD && mg_mesh_entry_addr(e);
}

static void digest_to(struct mg_mesh_node *n, struct mg_mesh_entry *e, void *ctx)
{
	struct digest_round *round = ctx;

	send_digest(n, round->out, mg_mesh_entry_addr(e), e->rec.id, round->now_ns);
}

void mg_mesh_gossip_tick(struct mg_mesh_node *n, uint64_t now_ns, struct mg_mesh_out *out)
{
	struct digest_round round = { out, now_ns };

	if (now_ns < n->next_gossip_ns)
		return;
	n->next_gossip_ns = now_ns + n->cfg.gossip_interval_ns;
	/* While we know (almost) nobody, the seeds are the way in. */
	if (n->store.n <= 2)
		for (uint32_t i = 0; i < n->cfg.n_seeds; i++)
			send_digest(n, out, &n->seeds[i].addr,
				    n->seeds[i].id_known ? n->seeds[i].id : NULL, now_ns);
	/* `fanout` distinct members, picked at random each round. */
	mg_mesh_pick_members(n, n->cfg.fanout, gossip_partner, digest_to, &round);
}

static bool bit(const uint8_t *map, uint32_t b)
{
	return map[b / 8] & (1u << (b % 8));
}

/* One entry as the peer should learn it: its record, or a DEAD notice when it died. */
static void send_entry(struct mg_mesh_node *n, struct mg_mesh_out *out,
		       const struct mg_mesh_entry *e, uint64_t now_ns)
{
	uint8_t *p;

	if (e->state == MG_MESH_DEAD) {
		p = mg_mesh_tx_add(n, out, MG_MESH_MSG_DEAD, MG_MESH_MEMBER_LEN, now_ns);
		if (p) {
			memcpy(p, e->rec.id, MG_MESH_ID_LEN);
			mg_mesh_put_u64(p + MG_MESH_ID_LEN, e->state_seq);
		}
		return;
	}
	p = mg_mesh_tx_add(n, out, MG_MESH_MSG_RECORD, e->raw_len, now_ns);
	if (p)
		memcpy(p, e->raw, e->raw_len);
}

/* Entries of the view in bucket b, counted (and written into the summary when p is set). */
static uint32_t bucket_entries(struct mg_mesh_node *n, uint32_t b, uint8_t *p)
{
	uint32_t c = 0;

	for (uint32_t i = 0; i < n->store.cap; i++) {
		const struct mg_mesh_entry *e = mg_mesh_store_at(&n->store, i);

		if (!e || mg_mesh_store_bucket(e->rec.id) != b)
			continue;
		if (p) {
			uint8_t *q = p + c * MG_MESH_SUMMARY_ENTRY_LEN;

			memcpy(q, e->rec.id, MG_MESH_TAG_LEN);
			mg_mesh_put_u64(q + MG_MESH_TAG_LEN, e->rec.seq);
			q[16] = e->state == MG_MESH_DEAD ? MG_MESH_DEAD : MG_MESH_ALIVE;
		}
		c++;
	}
	return c;
}

/* SUMMARY of the differing buckets, whole buckets only, from a random one, up to 60 entries. */
static void send_summary(struct mg_mesh_node *n, struct mg_mesh_out *out,
			 const uint8_t mismatch[32], uint64_t now_ns)
{
	uint8_t val[32 + MG_MESH_SUMMARY_MAX * MG_MESH_SUMMARY_ENTRY_LEN], *p;
	uint32_t start = mg_mesh_rand(n, MG_MESH_BUCKETS), used = 0;

	memset(val, 0, 32);
	for (uint32_t k = 0; k < MG_MESH_BUCKETS; k++) {
		uint32_t b = (start + k) % MG_MESH_BUCKETS, c;

		if (!bit(mismatch, b))
			continue;
		c = bucket_entries(n, b, NULL);
		if (used + c > MG_MESH_SUMMARY_MAX)
			continue;
		bucket_entries(n, b, val + 32 + used * MG_MESH_SUMMARY_ENTRY_LEN);
		val[b / 8] |= (uint8_t)(1u << (b % 8));
		used += c;
	}
	p = mg_mesh_tx_add(n, out, MG_MESH_MSG_SUMMARY,
			   (uint16_t)(32 + used * MG_MESH_SUMMARY_ENTRY_LEN), now_ns);
	if (p)
		memcpy(p, val, 32 + used * MG_MESH_SUMMARY_ENTRY_LEN);
}

void mg_mesh_gossip_on_digest(struct mg_mesh_node *n, const struct mg_mesh_addr *src,
			      const uint8_t *sender, const struct mg_mesh_tlv *tlv,
			      uint64_t now_ns, struct mg_mesh_out *out)
{
	uint32_t theirs[MG_MESH_BUCKETS];
	uint8_t flags, mismatch[32];

	if (mg_mesh_digest_get(tlv->val, tlv->len, &flags, theirs) != 0) {
		n->ctr[MG_MESH_CTR_RX_BAD_TLV]++;
		return;
	}
	if (!(flags & MG_MESH_DIGEST_REPLY) ||
	    !mg_mesh_digest_diff(n->store.buckets, theirs, mismatch))
		return;
	mg_mesh_tx_begin(n, out, src, sender, now_ns);
	send_summary(n, out, mismatch, now_ns);
	mg_mesh_tx_end(n, out);
}

static bool listed(const uint8_t *entries, uint32_t cnt, const uint8_t *id)
{
	for (uint32_t i = 0; i < cnt; i++)
		if (!memcmp(entries + i * MG_MESH_SUMMARY_ENTRY_LEN, id, MG_MESH_TAG_LEN))
			return true;
	return false;
}

/* Compare the peer's summary with the view: push what it lacks, REQUEST what we lack. */
void mg_mesh_gossip_on_summary(struct mg_mesh_node *n, const struct mg_mesh_addr *src,
			       const uint8_t *sender, const struct mg_mesh_tlv *tlv,
			       uint64_t now_ns, struct mg_mesh_out *out)
{
	const uint8_t *ent = tlv->val + 32;
	uint8_t want[MG_MESH_SUMMARY_MAX * MG_MESH_TAG_LEN], *p;
	uint32_t cnt, nwant = 0, sent = 0;

	if (tlv->len < 32 || (tlv->len - 32) % MG_MESH_SUMMARY_ENTRY_LEN ||
	    (tlv->len - 32) / MG_MESH_SUMMARY_ENTRY_LEN > MG_MESH_SUMMARY_MAX) {
		n->ctr[MG_MESH_CTR_RX_BAD_TLV]++;
		return;
	}
	cnt = (tlv->len - 32u) / MG_MESH_SUMMARY_ENTRY_LEN;
	mg_mesh_tx_begin(n, out, src, sender, now_ns);
	for (uint32_t i = 0; i < cnt; i++) {
		const uint8_t *q = ent + i * MG_MESH_SUMMARY_ENTRY_LEN;
		uint64_t seq = mg_mesh_get_u64(q + MG_MESH_TAG_LEN);
		struct mg_mesh_entry *e = mg_mesh_store_find_tag(&n->store, q);

		if ((!e || e->rec.seq < seq) && q[16] != MG_MESH_DEAD)
			memcpy(want + MG_MESH_TAG_LEN * nwant++, q, MG_MESH_TAG_LEN);
		else if (e && (e->rec.seq > seq || (e->rec.seq == seq && e->state == MG_MESH_DEAD &&
						    q[16] != MG_MESH_DEAD)) &&
			 sent++ < n->cfg.gossip_records)
			send_entry(n, out, e, now_ns);
	}
	for (uint32_t i = 0; i < n->store.cap && sent < n->cfg.gossip_records; i++) {
		const struct mg_mesh_entry *e = mg_mesh_store_at(&n->store, i);

		if (e && bit(tlv->val, mg_mesh_store_bucket(e->rec.id)) &&
		    !listed(ent, cnt, e->rec.id)) {
			send_entry(n, out, e, now_ns);
			sent++;
		}
	}
	p = nwant ? mg_mesh_tx_add(n, out, MG_MESH_MSG_REQUEST,
				   (uint16_t)(nwant * MG_MESH_TAG_LEN), now_ns) : NULL;
	if (p)
		memcpy(p, want, nwant * MG_MESH_TAG_LEN);
	if (mg_mesh_wire_empty(&n->w))
		n->w_slot = NULL;
	else
		mg_mesh_tx_end(n, out);
}

void mg_mesh_gossip_on_request(struct mg_mesh_node *n, const struct mg_mesh_addr *src,
			       const uint8_t *sender, const struct mg_mesh_tlv *tlv,
			       uint64_t now_ns, struct mg_mesh_out *out)
{
	uint32_t cnt = tlv->len / MG_MESH_TAG_LEN, sent = 0;

	if (!tlv->len || tlv->len % MG_MESH_TAG_LEN || cnt > MG_MESH_REQUEST_MAX) {
		n->ctr[MG_MESH_CTR_RX_BAD_TLV]++;
		return;
	}
	mg_mesh_tx_begin(n, out, src, sender, now_ns);
	for (uint32_t i = 0; i < cnt && sent < n->cfg.gossip_records; i++) {
		const struct mg_mesh_entry *e = mg_mesh_store_find_tag(&n->store,
							tlv->val + i * MG_MESH_TAG_LEN);

		if (e) {
			send_entry(n, out, e, now_ns);
			sent++;
		}
	}
	if (mg_mesh_wire_empty(&n->w))
		n->w_slot = NULL;
	else
		mg_mesh_tx_end(n, out);
}

/* Someone gossips a record of ours with a seq we have not issued (we restarted, or it was
 * forged and failed elsewhere): outbid it. */
static void own_record_seen(struct mg_mesh_node *n, const struct mg_mesh_tlv *tlv,
			    uint64_t now_ns)
{
	struct mg_mesh_record r;

	if (mg_mesh_record_parse(&r, tlv->val, tlv->len, now_ns) == 0 && r.seq > n->self.seq) {
		n->self.seq = r.seq;
		mg_mesh_self_refresh(n, now_ns);
	}
}

void mg_mesh_gossip_on_record(struct mg_mesh_node *n, const uint8_t *sender,
			      const struct mg_mesh_tlv *tlv, uint64_t now_ns,
			      struct mg_mesh_out *out)
{
	struct mg_mesh_entry *e;
	uint8_t before = MG_MESH_ALIVE;
	int reason, rc;

	if (tlv->len >= MG_MESH_RECORD_MIN && memcmp(tlv->val + 2, n->id, MG_MESH_ID_LEN) == 0) {
		own_record_seen(n, tlv, now_ns);
		return;
	}
	if (tlv->len >= MG_MESH_RECORD_MIN) {
		e = mg_mesh_store_find(&n->store, tlv->val + 2);
		before = e ? e->state : MG_MESH_ALIVE;
	}
	rc = mg_mesh_store_offer(&n->store, tlv->val, tlv->len, sender, now_ns, &e, &reason);
	if (rc == MG_MESH_OFFER_NEW) {
		mg_mesh_ev(n, out, MG_MESH_EV_NODE_UP, e->rec.id);
	} else if (rc == MG_MESH_OFFER_NEWER && before != MG_MESH_ALIVE &&
		   e->state == MG_MESH_ALIVE) {
		n->ctr[MG_MESH_CTR_MEMBER_REFUTED]++;
		mg_mesh_ev(n, out, before == MG_MESH_DEAD ? MG_MESH_EV_NODE_UP : MG_MESH_EV_NODE_ALIVE,
			   e->rec.id);
		mg_mesh_health_refuted(n, e->rec.id);
		mg_mesh_rumour_add(&n->rumours, MG_MESH_RUMOUR_RECORD, e->rec.id, e->rec.seq,
				   mg_mesh_rumour_times(n->store.n));
	}
}

void mg_mesh_gossip_on_member(struct mg_mesh_node *n, const struct mg_mesh_tlv *tlv,
			      uint64_t now_ns, struct mg_mesh_out *out)
{
	uint8_t state = tlv->type == MG_MESH_MSG_DEAD ? MG_MESH_DEAD : MG_MESH_SUSPECT;
	const uint8_t *id = tlv->val;
	uint64_t seq;
	struct mg_mesh_entry *e;
	struct mg_mesh_nbr *nb;

	if (tlv->len != MG_MESH_MEMBER_LEN) {
		n->ctr[MG_MESH_CTR_RX_BAD_TLV]++;
		return;
	}
	seq = mg_mesh_get_u64(tlv->val + MG_MESH_ID_LEN);
	if (memcmp(id, n->id, MG_MESH_ID_LEN) == 0) {
		/* About us: refute with a higher incarnation (a newer record). */
		if (seq >= n->self.seq) {
			n->ctr[MG_MESH_CTR_MEMBER_REFUTED]++;
			mg_mesh_self_refresh(n, now_ns);
		}
		return;
	}
	e = mg_mesh_store_find(&n->store, id);
	if (!e || !mg_mesh_store_mark(&n->store, e, state, seq, now_ns))
		return;
	n->ctr[state == MG_MESH_DEAD ? MG_MESH_CTR_MEMBER_DEAD : MG_MESH_CTR_MEMBER_SUSPECT]++;
	mg_mesh_ev(n, out, state == MG_MESH_DEAD ? MG_MESH_EV_NODE_DOWN : MG_MESH_EV_NODE_SUSPECT,
		   id);
	mg_mesh_rumour_add(&n->rumours, tlv->type, id, seq, mg_mesh_rumour_times(n->store.n));
	nb = state == MG_MESH_DEAD ? mg_mesh_nbr_find(n, id) : NULL;
	if (nb)
		mg_mesh_nbr_remove(n, nb);
}

/* One rumour into the writer; false when it does not fit (or is gone from the view). */
static bool put_rumour(struct mg_mesh_node *n, struct mg_mesh_rumour *r)
{
	struct mg_mesh_entry *e = NULL;
	uint8_t *p;

	if (r->kind == MG_MESH_RUMOUR_RECORD) {
		e = mg_mesh_store_find(&n->store, r->id);
		if (!e || e->state == MG_MESH_DEAD) {
			r->left = 1;          /* nothing to say any more: let it go */
			return true;
		}
		p = mg_mesh_wire_add(&n->w, r->kind, e->raw_len);
		if (p)
			memcpy(p, e->raw, e->raw_len);
	} else {
		p = mg_mesh_wire_add(&n->w, r->kind, MG_MESH_MEMBER_LEN);
		if (p) {
			memcpy(p, r->id, MG_MESH_ID_LEN);
			mg_mesh_put_u64(p + MG_MESH_ID_LEN, r->seq);
		}
	}
	return p != NULL;
}

void mg_mesh_gossip_piggyback(struct mg_mesh_node *n)
{
	struct mg_mesh_rumours *q = &n->rumours;

	for (int pass = 0; pass < 2 && q->n; pass++)
		for (uint32_t i = 0; i < MG_MESH_RUMOURS_MAX && q->n; i++) {
			struct mg_mesh_rumour *r = &q->r[i];
			bool about_dst = n->w_dst_known &&
					 memcmp(r->id, n->w_dst_id, MG_MESH_ID_LEN) == 0;

			if (!r->kind || (pass == 0) != about_dst)
				continue;
			if (mg_mesh_wire_room(&n->w) < MG_MESH_MEMBER_LEN)
				return;
			if (!put_rumour(n, r))
				continue;
			if (--r->left == 0) {
				r->kind = 0;
				q->n--;
			}
		}
}
