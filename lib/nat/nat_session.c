/* NAT44 sessions and mappings: creation with limits, lookup by either side, TCP state tracking,
 * timers and reclaim (mg_nat_expire, mg_nat_flush_peer).
 *
 * Timers: one list per timer class, each with a fixed timeout, in the order sessions joined it
 * (queued_ns), and reclaim only ever looks at list heads. A touch moves the session's expiry;
 * it moves the session to the tail of its list only when it joined it a second
 * (NAT_RELINK_INTERVAL_NS) or more ago, so the packets of a busy flow do not write two other
 * sessions' lines each (its list neighbours: random lines of a big table). Every session expires
 * at least a timeout after it queued, and a head that is not expired yet was touched less than
 * a second after it queued: so what stands behind it is freed at most a second late. Lookups
 * compare expiry times exactly, so no packet ever uses an expired session.
 * A mapping lives as long as it has sessions; its port then waits out the reuse delay.
 */
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>

#include "nat_internal.h"

static void
list_remove(struct mg_nat *nat, struct nat_list *l, uint32_t i)
{
	struct nat_session *s = &nat->sessions[i];

	if (s->t_prev != NAT_NIL)
		nat->sessions[s->t_prev].t_next = s->t_next;
	else
		l->head = s->t_next;
	if (s->t_next != NAT_NIL)
		nat->sessions[s->t_next].t_prev = s->t_prev;
	else
		l->tail = s->t_prev;
}

static void
list_append(struct mg_nat *nat, struct nat_list *l, uint32_t i)
{
	struct nat_session *s = &nat->sessions[i];

	s->t_prev = l->tail;
	s->t_next = NAT_NIL;
	if (l->tail != NAT_NIL)
		nat->sessions[l->tail].t_next = i;
	else
		l->head = i;
	l->tail = i;
}

/* Session i joins the tail of its class's list now. */
static void
timer_enqueue(struct mg_nat *nat, uint32_t i, uint8_t cls, uint64_t now_ns)
{
	nat->sessions[i].timer_class = cls;
	nat->sessions[i].queued_ns = now_ns;
	list_append(nat, &nat->timers[cls], i);
}

static void
peer_link(struct mg_nat *nat, uint32_t i)
{
	struct nat_session *s = &nat->sessions[i];
	struct nat_peer *p = &nat->peers[s->okey.peer_id];

	s->p_prev = NAT_NIL;
	s->p_next = p->head;
	if (p->head != NAT_NIL)
		nat->sessions[p->head].p_prev = i;
	p->head = i;
	p->nsessions++;
}

static void
peer_unlink(struct mg_nat *nat, uint32_t i)
{
	struct nat_session *s = &nat->sessions[i];
	struct nat_peer *p = &nat->peers[s->okey.peer_id];

	if (s->p_prev != NAT_NIL)
		nat->sessions[s->p_prev].p_next = s->p_next;
	else
		p->head = s->p_next;
	if (s->p_next != NAT_NIL)
		nat->sessions[s->p_next].p_prev = s->p_prev;
	p->nsessions--;
}

static void
ikey_of(const struct mg_nat *nat, const struct nat_session *s, struct nat_ikey *k)
{
	RTE_SET_USED(nat);
	nat_ikey_make(&s->okey, s->public_port, k);
}

static void
mapping_put(struct mg_nat *nat, uint32_t mi, uint64_t now_ns)
{
	struct nat_mapping *m = &nat->mappings[mi];

	if (--m->nsessions > 0)
		return;
	rte_hash_del_key(nat->map_h, &m->mkey);
	nat_port_release(nat, nat_proto_idx(m->mkey.proto), rte_be_to_cpu_16(m->public_port),
			 now_ns);
	m->next_free = nat->map_free;
	nat->map_free = mi;
	nat_gauge_set(&nat->st.mappings, nat->st.mappings - 1);
}

/* Unlink a session from every table and list; its mapping goes when it was the last user. */
static void
session_free(struct mg_nat *nat, uint32_t i, uint64_t now_ns)
{
	struct nat_session *s = &nat->sessions[i];
	struct nat_ikey ik;

	ikey_of(nat, s, &ik);
	rte_hash_del_key(nat->out_h, &s->okey);
	rte_hash_del_key(nat->in_h, &ik);
	list_remove(nat, &nat->timers[s->timer_class], i);
	peer_unlink(nat, i);
	mapping_put(nat, s->mapping, now_ns);
	s->t_next = nat->sess_free;
	nat->sess_free = i;
	nat_gauge_set(&nat->st.sessions, nat->st.sessions - 1);
}

static uint8_t
timer_class_of(const struct nat_session *s)
{
	if (s->okey.proto == IPPROTO_UDP)
		return NAT_TIMER_UDP;
	if (s->okey.proto == IPPROTO_ICMP)
		return NAT_TIMER_ICMP;
	if ((s->tcp_seen & NAT_TCP_RST) ||
	    (s->tcp_seen & (NAT_TCP_FIN_OUT | NAT_TCP_FIN_IN)) == (NAT_TCP_FIN_OUT | NAT_TCP_FIN_IN))
		return NAT_TIMER_TCP_TRANS;
	return (s->tcp_seen & NAT_TCP_EST) ? NAT_TIMER_TCP_EST : NAT_TIMER_TCP_TRANS;
}

void
nat_session_touch(struct mg_nat *nat, struct nat_session *s, uint64_t now_ns)
{
	uint32_t i = (uint32_t)(s - nat->sessions);
	uint8_t cls = timer_class_of(s);

	/* Another timeout: another list, at once (a shorter timeout must not wait out the longer
	 * list's order). */
	if (unlikely(cls != s->timer_class) || now_ns - s->queued_ns >= NAT_RELINK_INTERVAL_NS) {
		list_remove(nat, &nat->timers[s->timer_class], i);
		timer_enqueue(nat, i, cls, now_ns);
	}
	s->expire_ns = now_ns + nat->timeout_ns[cls];
	nat->last_now = now_ns;
}

/* RFC 5382 tracking, reduced to what the timeouts need: SYN out -> SYN in -> ACK out is
 * established; FIN both ways or an RST is transitory. A fresh SYN out on a closed tuple reopens. */
void
nat_tcp_track(struct nat_session *s, uint8_t flags, bool outbound)
{
	const uint8_t closed = NAT_TCP_FIN_OUT | NAT_TCP_FIN_IN;

	if (flags & RTE_TCP_RST_FLAG) {
		s->tcp_seen |= NAT_TCP_RST;
		return;
	}
	if (outbound && (flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG &&
	    ((s->tcp_seen & NAT_TCP_RST) || (s->tcp_seen & closed) == closed)) {
		s->tcp_seen = NAT_TCP_SYN_OUT;
		return;
	}
	if (flags & RTE_TCP_SYN_FLAG)
		s->tcp_seen |= outbound ? NAT_TCP_SYN_OUT : NAT_TCP_SYN_IN;
	else if (outbound && (flags & RTE_TCP_ACK_FLAG) && (s->tcp_seen & NAT_TCP_SYN_IN))
		s->tcp_seen |= NAT_TCP_EST;
	if (flags & RTE_TCP_FIN_FLAG)
		s->tcp_seen |= outbound ? NAT_TCP_FIN_OUT : NAT_TCP_FIN_IN;
}

/* A session found expired is freed on the spot and reported as absent. */
struct nat_session *
nat_session_live(struct mg_nat *nat, int pos, void *data, uint64_t now_ns)
{
	uint32_t i = (uint32_t)(uintptr_t)data;

	if (pos < 0)
		return NULL;
	if (nat->sessions[i].expire_ns <= now_ns) {
		session_free(nat, i, now_ns);
		nat_count(&nat->st.expired);
		return NULL;
	}
	return &nat->sessions[i];
}

struct nat_session *
nat_session_find_out(struct mg_nat *nat, const struct nat_okey *k, hash_sig_t osig,
		     uint64_t now_ns)
{
	void *data = NULL;
	int pos = rte_hash_lookup_with_hash_data(nat->out_h, k, osig, &data);

	return nat_session_live(nat, pos, data, now_ns);
}

struct nat_session *
nat_session_find_in(struct mg_nat *nat, const struct nat_ikey *k, uint64_t now_ns)
{
	void *data = NULL;
	int pos = rte_hash_lookup_data(nat->in_h, k, &data);

	return nat_session_live(nat, pos, data, now_ns);
}

/* Free up to `scan` expired sessions of one peer, walking its list. */
static void
reclaim_peer(struct mg_nat *nat, uint32_t peer_id, uint64_t now_ns, unsigned scan)
{
	uint32_t i = nat->peers[peer_id].head;

	while (i != NAT_NIL && scan-- > 0) {
		uint32_t next = nat->sessions[i].p_next;

		if (nat->sessions[i].expire_ns <= now_ns) {
			session_free(nat, i, now_ns);
			nat_count(&nat->st.expired);
		}
		i = next;
	}
}

static bool
peer_full(const struct mg_nat *nat, uint32_t peer_id)
{
	const struct nat_peer *p = &nat->peers[peer_id];
	uint32_t limit = p->limit ? p->limit : nat->default_peer_limit;

	return p->nsessions >= limit;
}

/* Check the limits, reclaiming expired sessions first when a limit is reached. */
static enum mg_nat_result
make_room(struct mg_nat *nat, uint32_t peer_id, uint64_t now_ns)
{
	if (peer_full(nat, peer_id)) {
		reclaim_peer(nat, peer_id, now_ns, NAT_RECLAIM_PEER_SCAN);
		if (peer_full(nat, peer_id))
			return MG_NAT_ERR_PEER_LIMIT;
	}
	if (nat->sess_free == NAT_NIL) {
		mg_nat_expire(nat, now_ns, NAT_RECLAIM_TABLE_BUDGET);
		if (nat->sess_free == NAT_NIL)
			return MG_NAT_ERR_TABLE_FULL;
	}
	return MG_NAT_OK;
}

/* Find or create the endpoint-independent mapping of k's inner endpoint (msig: its key's hash). */
static enum mg_nat_result
mapping_get(struct mg_nat *nat, const struct nat_okey *k, hash_sig_t msig, uint64_t now_ns,
	    uint32_t *mi_out)
{
	struct nat_mkey mk;
	struct nat_mapping *m;
	void *data;
	uint16_t port;
	uint32_t mi;

	nat_mkey_of(k, &mk);
	if (rte_hash_lookup_with_hash_data(nat->map_h, &mk, msig, &data) >= 0) {
		*mi_out = (uint32_t)(uintptr_t)data;
		return MG_NAT_OK;
	}
	if (nat->map_free == NAT_NIL) /* cannot happen: mappings <= sessions */
		return MG_NAT_ERR_TABLE_FULL;
	if (nat_port_take(nat, nat_proto_idx(k->proto), now_ns, &port) != 0)
		return MG_NAT_ERR_NO_PORT;
	mi = nat->map_free;
	m = &nat->mappings[mi];
	nat->map_free = m->next_free;
	m->mkey = mk;
	m->public_port = rte_cpu_to_be_16(port);
	m->nsessions = 0;
	rte_hash_add_key_with_hash_data(nat->map_h, &mk, msig, (void *)(uintptr_t)mi);
	nat_count(&nat->st.mappings_created);
	nat_gauge_set(&nat->st.mappings, nat->st.mappings + 1);
	*mi_out = mi;
	return MG_NAT_OK;
}

/* Slow path: a new session for h->key (limits, mapping, both hash entries, timer, peer list).
 * h carries the keys' hashes; the in-table one only counts if made with the mapping's port. */
enum mg_nat_result
nat_session_create(struct mg_nat *nat, const struct nat_memo_entry *h, uint64_t now_ns,
		   struct nat_session **out)
{
	const struct nat_okey *k = &h->key;
	struct nat_session *s;
	struct nat_ikey ik;
	enum mg_nat_result r;
	uint32_t mi, i;

	r = make_room(nat, k->peer_id, now_ns);
	if (r != MG_NAT_OK)
		return r;
	r = mapping_get(nat, k, h->msig, now_ns, &mi);
	if (r != MG_NAT_OK)
		return r;
	i = nat->sess_free;
	s = &nat->sessions[i];
	nat->sess_free = s->t_next;
	if (nat->sess_free != NAT_NIL) /* the next create's slot, most likely cold */
		rte_prefetch0(&nat->sessions[nat->sess_free]);
	*s = (struct nat_session){ .okey = *k, .public_port = nat->mappings[mi].public_port,
				   .mapping = mi };
	s->out = nat_csum_deltas_of(k->proto, k->src_addr, k->src_port, nat->public_ip,
				    s->public_port);
	s->in = nat_csum_deltas_of(k->proto, nat->public_ip, s->public_port, k->src_addr,
				   k->src_port);
	nat->mappings[mi].nsessions++;
	ikey_of(nat, s, &ik);
	/* Tables are sized for max_sessions with the extendable bucket table: adds cannot fail. */
	rte_hash_add_key_with_hash_data(nat->out_h, &s->okey, h->osig, (void *)(uintptr_t)i);
	rte_hash_add_key_with_hash_data(nat->in_h, &ik,
					h->iport == s->public_port ? h->isig :
					nat_key_hash(nat, &ik), (void *)(uintptr_t)i);
	nat_memo_created(nat, h->osig);
	timer_enqueue(nat, i, NAT_TIMER_UDP, now_ns); /* the first touch sets the real class */
	peer_link(nat, i);
	nat_count(&nat->st.created);
	nat_gauge_set(&nat->st.sessions, nat->st.sessions + 1);
	*out = s;
	return MG_NAT_OK;
}

unsigned
mg_nat_expire(struct mg_nat *nat, uint64_t now_ns, unsigned budget)
{
	unsigned freed = 0;
	bool progress = true;

	nat->last_now = now_ns;
	/* Round-robin over the classes so one busy class cannot starve the others. */
	while (freed < budget && progress) {
		progress = false;
		for (int c = 0; c < NAT_TIMER_COUNT && freed < budget; c++) {
			uint32_t h = nat->timers[c].head;

			if (h == NAT_NIL || nat->sessions[h].expire_ns > now_ns)
				continue;
			session_free(nat, h, now_ns);
			nat_count(&nat->st.expired);
			freed++;
			progress = true;
		}
	}
	return freed;
}

void
mg_nat_flush_peer(struct mg_nat *nat, uint32_t peer_id)
{
	if (peer_id >= nat->max_peers)
		return;
	while (nat->peers[peer_id].head != NAT_NIL) {
		session_free(nat, nat->peers[peer_id].head, nat->last_now);
		nat_count(&nat->st.flushed);
	}
}

uint32_t
mg_nat_peer_sessions(const struct mg_nat *nat, uint32_t peer_id)
{
	return peer_id < nat->max_peers ? nat->peers[peer_id].nsessions : 0;
}

void
mg_nat_set_peer_limit(struct mg_nat *nat, uint32_t peer_id, uint32_t max_sessions)
{
	if (peer_id < nat->max_peers)
		nat->peers[peer_id].limit = max_sessions;
}
