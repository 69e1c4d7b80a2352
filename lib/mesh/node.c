/* One mesh node: creation, the input path (framing, signature, replay, dispatch by message
 * type), the tick that drives every timer, and read-only views for telemetry.
 *
 * Replay defence for datagrams: the header counter is the sender's send time in ns. It must be
 * within MG_MESH_MAX_CLOCK_SKEW_NS of our clock, and, for senders in the view, either above the
 * highest counter seen from them or, within MG_MESH_REPLAY_REORDER_NS below it, one not seen
 * among the last MG_MESH_REPLAY_RECENT (so reordered datagrams still pass, repeats never do).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node_internal.h"

#define CTR_NAME(n) #n,
static const char *const counter_names[] = { MG_MESH_COUNTERS(CTR_NAME) };
#undef CTR_NAME

const char *mg_mesh_counter_name(enum mg_mesh_counter c)
{
	return c < MG_MESH_CTR__COUNT ? counter_names[c] : "?";
}

void mg_mesh_config_defaults(struct mg_mesh_config *cfg)
{
	cfg->store_cap = MG_MESH_DEF_STORE_CAP;
	cfg->source_cap = MG_MESH_DEF_SOURCE_CAP;
	cfg->max_neighbours = MG_MESH_DEF_NEIGHBOURS;
	cfg->fanout = MG_MESH_DEF_FANOUT;
	cfg->gossip_records = MG_MESH_DEF_GOSSIP_RECORDS;
	cfg->indirect_probes = MG_MESH_DEF_INDIRECT;
	cfg->max_prefixes = MG_MESH_DEF_MAX_PREFIXES;
	cfg->routes_per_prefix = MG_MESH_DEF_ROUTES_PER_PREFIX;
	cfg->gossip_interval_ns = MG_MESH_DEF_GOSSIP_INTERVAL_NS;
	cfg->probe_interval_ns = MG_MESH_DEF_PROBE_INTERVAL_NS;
	cfg->probe_timeout_ns = MG_MESH_DEF_PROBE_TIMEOUT_NS;
	cfg->suspicion_ns = MG_MESH_DEF_SUSPICION_NS;
	cfg->record_lifetime_ns = MG_MESH_DEF_RECORD_LIFETIME_NS;
	cfg->record_refresh_ns = MG_MESH_DEF_RECORD_REFRESH_NS;
	cfg->route_interval_ns = MG_MESH_DEF_ROUTE_INTERVAL_NS;
}

static const char *check_config(const struct mg_mesh_config *c)
{
	if (c->store_cap < 2 || c->max_neighbours < 1 || c->max_prefixes < 1 ||
	    c->routes_per_prefix < 1)
		return "store_cap >= 2, max_neighbours, max_prefixes, routes_per_prefix >= 1";
	if (!c->gossip_interval_ns || !c->probe_interval_ns || !c->route_interval_ns ||
	    c->probe_timeout_ns >= c->probe_interval_ns)
		return "intervals must be > 0 and probe_timeout < probe_interval";
	if (c->record_refresh_ns >= c->record_lifetime_ns ||
	    c->record_lifetime_ns > MG_MESH_MAX_RECORD_LIFETIME_NS)
		return "record_refresh < record_lifetime <= 24 h";
	if (c->n_seeds > 64 || c->self.n_endpoints > MG_MESH_MAX_ENDPOINTS ||
	    c->self.load_permille > 1000)
		return "at most 64 seeds, 4 endpoints, load <= 1000";
	return NULL;
}

static uint16_t route_ttl_s(const struct mg_mesh_config *c)
{
	uint64_t ttl = (c->route_interval_ns * 7 / 2 + MG_MESH_NS_PER_S - 1) / MG_MESH_NS_PER_S;

	return ttl > 65535 ? 65535 : (uint16_t)ttl;
}

static int setup(struct mg_mesh_node *n, const struct mg_mesh_config *cfg, uint64_t now_ns)
{
	n->seeds = calloc(cfg->n_seeds ? cfg->n_seeds : 1, sizeof(*n->seeds));
	n->nbr_cap = 2 * cfg->max_neighbours;
	n->nbr = calloc(n->nbr_cap, sizeof(*n->nbr));
	if (!n->seeds || !n->nbr)
		return -1;
	memcpy(n->seeds, cfg->seeds, cfg->n_seeds * sizeof(*n->seeds));
	n->cfg.seeds = n->seeds;
	n->cfg.prefixes = NULL;
	if (mg_mesh_store_init(&n->store, cfg->store_cap, cfg->source_cap, n->ctr) != 0 ||
	    mg_mesh_route_init(&n->routes, cfg->max_prefixes,
			       cfg->routes_per_prefix > n->nbr_cap ? cfg->routes_per_prefix :
			       n->nbr_cap, n->id,
			       route_ttl_s(cfg), n->ctr) != 0)
		return -1;
	for (uint32_t i = 0; i < cfg->n_prefixes; i++)
		if (mg_mesh_route_originate(&n->routes, &cfg->prefixes[i], cfg->self.capacity_mbps))
			return -1;
	n->created_ns = now_ns;
	mg_mesh_self_refresh(n, now_ns);
	return mg_mesh_store_find(&n->store, n->id) ? 0 : -1;
}

struct mg_mesh_node *mg_mesh_node_create(const struct mg_mesh_config *cfg, uint64_t now_ns,
					 char *err, size_t errlen)
{
	const char *why = check_config(cfg);
	struct mg_mesh_node *n;

	if (why) {
		snprintf(err, errlen, "mesh config: %s", why);
		return NULL;
	}
	if (sodium_init() < 0 || !(n = calloc(1, sizeof(*n)))) {
		snprintf(err, errlen, "mesh: out of memory or libsodium failed to start");
		return NULL;
	}
	n->cfg = *cfg;
	sodium_memzero(n->cfg.sign_sk, sizeof(n->cfg.sign_sk));
	memcpy(n->sk, cfg->sign_sk, MG_MESH_SK_LEN);
	crypto_sign_ed25519_sk_to_pk(n->id, n->sk);
	n->self = cfg->self;
	n->self.seq = 0;
	if (setup(n, cfg, now_ns) != 0) {
		snprintf(err, errlen, "mesh: cannot allocate store (%u) or routes (%u x %u), or "
			 "sign the own record", cfg->store_cap, cfg->max_prefixes,
			 cfg->routes_per_prefix);
		mg_mesh_node_destroy(n);
		return NULL;
	}
	return n;
}

void mg_mesh_node_destroy(struct mg_mesh_node *n)
{
	if (!n)
		return;
	mg_mesh_store_free(&n->store);
	mg_mesh_route_free(&n->routes);
	free(n->seeds);
	free(n->nbr);
	sodium_memzero(n->sk, sizeof(n->sk));
	free(n);
}

/* Replay check and update for a sender of the view (see the header comment). */
static bool replayed(struct mg_mesh_entry *e, uint64_t ctr)
{
	uint32_t low = 0;

	if (ctr <= e->rx_max_counter) {
		if (e->rx_max_counter - ctr > MG_MESH_REPLAY_REORDER_NS)
			return true;
		for (uint32_t i = 0; i < MG_MESH_REPLAY_RECENT; i++)
			if (e->rx_recent[i] == ctr)
				return true;
	}
	for (uint32_t i = 1; i < MG_MESH_REPLAY_RECENT; i++)
		if (e->rx_recent[i] < e->rx_recent[low])
			low = i;
	if (ctr <= e->rx_recent[low])
		return true;      /* older than everything remembered: cannot tell, refuse */
	e->rx_recent[low] = ctr;
	if (ctr > e->rx_max_counter)
		e->rx_max_counter = ctr;
	return false;
}

static int admit(struct mg_mesh_node *n, const struct mg_mesh_addr *src,
		 const struct mg_mesh_dgram_hdr *h, uint64_t now_ns)
{
	struct mg_mesh_entry *e;

	if (!memcmp(h->sender, n->id, MG_MESH_ID_LEN))
		return MG_MESH_CTR_RX_FROM_SELF;
	if (h->counter > now_ns + MG_MESH_MAX_CLOCK_SKEW_NS ||
	    h->counter + MG_MESH_MAX_CLOCK_SKEW_NS < now_ns)
		return MG_MESH_CTR_RX_CLOCK_SKEW;
	for (uint32_t i = 0; i < n->cfg.n_seeds; i++)
		if (n->seeds[i].id_known && mg_mesh_addr_eq(&n->seeds[i].addr, src) &&
		    memcmp(n->seeds[i].id, h->sender, MG_MESH_ID_LEN))
			return MG_MESH_CTR_RX_SEED_MISMATCH;
	e = mg_mesh_store_find(&n->store, h->sender);
	if (e && replayed(e, h->counter))
		return MG_MESH_CTR_RX_REPLAY;
	if (e)
		mg_mesh_store_confirm(&n->store, e);
	return 0;
}

/* Walk all messages once for framing before acting on any: a datagram is taken whole. */
static bool tlvs_ok(const struct mg_mesh_dgram_hdr *h)
{
	struct mg_mesh_tlv tlv;
	size_t off = 0;
	int rc;

	while ((rc = mg_mesh_wire_next(h, &off, &tlv)) > 0)
		;
	return rc == 0;
}

static void dispatch(struct mg_mesh_node *n, const struct mg_mesh_addr *src,
		     const struct mg_mesh_dgram_hdr *h, const struct mg_mesh_tlv *tlv,
		     uint64_t now_ns, struct mg_mesh_out *out)
{
	switch (tlv->type) {
	case MG_MESH_MSG_PING: case MG_MESH_MSG_ACK:
	case MG_MESH_MSG_PING_REQ: case MG_MESH_MSG_IND_ACK:
		mg_mesh_health_on_msg(n, src, h->sender, tlv, now_ns, out);
		break;
	case MG_MESH_MSG_DIGEST:
		mg_mesh_gossip_on_digest(n, src, h->sender, tlv, now_ns, out);
		break;
	case MG_MESH_MSG_SUMMARY:
		mg_mesh_gossip_on_summary(n, src, h->sender, tlv, now_ns, out);
		break;
	case MG_MESH_MSG_REQUEST:
		mg_mesh_gossip_on_request(n, src, h->sender, tlv, now_ns, out);
		break;
	case MG_MESH_MSG_RECORD:
		mg_mesh_gossip_on_record(n, h->sender, tlv, now_ns, out);
		break;
	case MG_MESH_MSG_SUSPECT: case MG_MESH_MSG_DEAD:
		mg_mesh_gossip_on_member(n, tlv, now_ns, out);
		break;
	case MG_MESH_MSG_ROUTE: case MG_MESH_MSG_SEQREQ:
		mg_mesh_routes_on_msg(n, h->sender, tlv, now_ns, out);
		break;
	default:
		n->ctr[MG_MESH_CTR_RX_UNKNOWN_TLV]++;   /* a newer minor version: skip it */
	}
}

int mg_mesh_node_input(struct mg_mesh_node *n, const struct mg_mesh_addr *src,
		       const uint8_t *buf, size_t len, uint64_t now_ns, struct mg_mesh_out *out)
{
	struct mg_mesh_dgram_hdr h;
	struct mg_mesh_tlv tlv;
	size_t off = 0;
	int rc;

	n->ctr[MG_MESH_CTR_RX_DGRAMS]++;
	n->ctr[MG_MESH_CTR_RX_BYTES] += len;
	rc = mg_mesh_wire_open(&h, buf, len);
	if (!rc)
		rc = tlvs_ok(&h) ? admit(n, src, &h, now_ns) : MG_MESH_CTR_RX_BAD_TLV;
	if (rc) {
		n->ctr[rc]++;
		return rc;
	}
	while (mg_mesh_wire_next(&h, &off, &tlv) > 0)
		dispatch(n, src, &h, &tlv, now_ns, out);
	mg_mesh_routes_flush(n, now_ns, out);
	return 0;
}

static void expired(void *ctx, struct mg_mesh_entry *e)
{
	void **a = ctx;
	struct mg_mesh_node *n = a[0];
	struct mg_mesh_nbr *nb = mg_mesh_nbr_find(n, e->rec.id);

	if (e->state != MG_MESH_DEAD)
		mg_mesh_ev(n, a[1], MG_MESH_EV_NODE_DOWN, e->rec.id);
	if (nb)
		mg_mesh_nbr_remove(n, nb);
}

void mg_mesh_node_tick(struct mg_mesh_node *n, uint64_t now_ns, struct mg_mesh_out *out)
{
	if (now_ns >= n->next_refresh_ns)
		mg_mesh_self_refresh(n, now_ns);
	if (now_ns >= n->next_sweep_ns) {
		void *ctx[2] = { n, out };

		n->next_sweep_ns = now_ns + 5 * n->cfg.gossip_interval_ns;
		mg_mesh_store_expire(&n->store, now_ns, expired, ctx);
	}
	mg_mesh_health_tick(n, now_ns, out);
	mg_mesh_gossip_tick(n, now_ns, out);
	mg_mesh_routes_tick(n, now_ns, out);
	mg_mesh_routes_flush(n, now_ns, out);
}

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

uint64_t mg_mesh_node_next_deadline(const struct mg_mesh_node *n)
{
	uint64_t t = min64(min64(n->next_gossip_ns, n->next_probe_ns),
			   min64(n->next_route_ns, min64(n->next_refresh_ns, n->next_sweep_ns)));

	for (uint32_t i = 0; i < n->routes.cap; i++)
		if (n->routes.p[i].used && n->routes.p[i].dirty)
			t = min64(t, n->next_trigger_ns);

	for (uint32_t i = 0; i < n->nbr_cap; i++) {
		const struct mg_mesh_nbr *nb = &n->nbr[i];

		if (!nb->used)
			continue;
		if (nb->phase != MG_MESH_PROBE_IDLE)
			t = min64(t, nb->probe_deadline_ns);
		if (nb->state == MG_MESH_SUSPECT)
			t = min64(t, nb->suspect_since_ns + n->cfg.suspicion_ns);
	}
	return t;
}

void mg_mesh_node_set_load(struct mg_mesh_node *n, uint16_t load_permille, uint64_t now_ns)
{
	n->self.load_permille = load_permille > 1000 ? 1000 : load_permille;
	mg_mesh_self_refresh(n, now_ns);
}

int mg_mesh_node_originate(struct mg_mesh_node *n, const struct mg_mesh_prefix *pf,
			   uint32_t bw_mbps)
{
	return mg_mesh_route_originate(&n->routes, pf, bw_mbps);
}

int mg_mesh_node_withdraw(struct mg_mesh_node *n, const struct mg_mesh_prefix *pf)
{
	return mg_mesh_route_withdraw(&n->routes, pf);
}

const uint8_t *mg_mesh_node_id(const struct mg_mesh_node *n)
{
	return n->id;
}

const uint64_t *mg_mesh_node_counters(const struct mg_mesh_node *n)
{
	return n->ctr;
}

uint32_t mg_mesh_node_members(const struct mg_mesh_node *n, bool alive_only)
{
	uint32_t c = 0;

	for (uint32_t i = 0; i < n->store.cap; i++) {
		const struct mg_mesh_entry *e = mg_mesh_store_at(&n->store, i);

		if (e && (!alive_only || e->state != MG_MESH_DEAD))
			c++;
	}
	return c;
}

void mg_mesh_node_foreach_member(const struct mg_mesh_node *n,
				 void (*cb)(void *ctx, const struct mg_mesh_record *r,
					    uint8_t state), void *ctx)
{
	for (uint32_t i = 0; i < n->store.cap; i++) {
		const struct mg_mesh_entry *e = mg_mesh_store_at(&n->store, i);

		if (e)
			cb(ctx, &e->rec, e->state);
	}
}

int mg_mesh_node_member_state(const struct mg_mesh_node *n, const uint8_t id[MG_MESH_ID_LEN])
{
	const struct mg_mesh_entry *e = mg_mesh_store_find(&n->store, id);

	return e ? e->state : -1;
}

uint32_t mg_mesh_node_neighbours(const struct mg_mesh_node *n, struct mg_mesh_nbr_info *info,
				 uint32_t cap)
{
	uint32_t c = 0;

	for (uint32_t i = 0; i < n->nbr_cap && c < cap; i++) {
		const struct mg_mesh_nbr *nb = &n->nbr[i];

		if (!nb->used)
			continue;
		memcpy(info[c].id, nb->id, MG_MESH_ID_LEN);
		info[c].addr = nb->addr;
		info[c].state = nb->state;
		info[c].colour = nb->colour;
		info[c].score = nb->score;
		info[c].srtt_ns = nb->srtt_ns;
		info[c].jitter_ns = nb->jitter_ns;
		info[c].loss_permille = mg_mesh_health_loss_permille(nb);
		info[c].link_cost = nb->link_cost;
		c++;
	}
	return c;
}

bool mg_mesh_node_route(const struct mg_mesh_node *n, const struct mg_mesh_prefix *pf,
			uint8_t next_hop[MG_MESH_ID_LEN], uint16_t *metric)
{
	const struct mg_mesh_route *r = mg_mesh_route_selected(&n->routes, pf);

	if (!r)
		return false;
	memset(next_hop, 0, MG_MESH_ID_LEN);
	if (r->nbr < n->nbr_cap)
		memcpy(next_hop, n->nbr[r->nbr].id, MG_MESH_ID_LEN);
	*metric = r->metric;
	return true;
}
