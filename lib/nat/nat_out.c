/* NAT44 client-to-internet direction: the fast path (mg_nat_out_lookup, a session hit) and the
 * slow path (mg_nat_out_create, after the exit policy allowed the flow).
 *
 * Both rewrite the source to the public address and port of the session's mapping; neither
 * touches the packet unless it returns MG_NAT_OK.
 */
#include <limits.h>
#include <netinet/in.h>

#include <rte_icmp.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>

#include "nat_internal.h"

static bool
icmp_echo(uint8_t type)
{
	return type == RTE_IP_ICMP_ECHO_REQUEST || type == RTE_IP_ICMP_ECHO_REPLY;
}

/* Parse and build the session key; ICMP other than echo is not translated outbound. */
static enum mg_nat_result
out_key(const struct mg_nat *nat, uint32_t peer_id, struct rte_ipv4_hdr *ip, uint32_t len,
	struct nat_l4 *l4, struct nat_okey *k)
{
	enum mg_nat_result r;

	if (unlikely(peer_id >= nat->max_peers))
		return MG_NAT_ERR_BAD_PEER;
	r = nat_l4_parse(ip, len, true, l4);
	if (unlikely(r != MG_NAT_OK))
		return r;
	if (l4->proto == IPPROTO_ICMP && !icmp_echo(l4->icmp_type))
		return MG_NAT_ERR_UNSUPPORTED;
	nat_okey_set(k, peer_id, l4->proto, ip->src_addr, ip->dst_addr, *l4->own, l4->remote);
	return MG_NAT_OK;
}

/* The L4 view and session key of a packet mg_pkt_ipv4_parse accepted: out_key without parsing
 * again. */
static inline enum mg_nat_result
out_key_parsed(const struct mg_nat *nat, uint32_t peer_id, struct rte_ipv4_hdr *ip,
	       const struct mg_pkt_ipv4_info *info, struct nat_l4 *l4, struct nat_okey *k)
{
	if (unlikely(peer_id >= nat->max_peers))
		return MG_NAT_ERR_BAD_PEER;
	if (info->proto == IPPROTO_ICMP && !icmp_echo(info->icmp_type))
		return MG_NAT_ERR_UNSUPPORTED;
	nat_l4_point(ip, info->hdr_len, true, l4);
	nat_okey_set(k, peer_id, l4->proto, ip->src_addr, ip->dst_addr, *l4->own, l4->remote);
	return MG_NAT_OK;
}

/* The source to the session's public address and port. */
static inline void
out_rewrite(const struct mg_nat *nat, const struct nat_session *s, struct rte_ipv4_hdr *ip,
	    const struct nat_l4 *l4)
{
	nat_rewrite(ip, l4, &ip->src_addr, nat->public_ip, s->public_port, s->out);
}

static void
out_translate(struct mg_nat *nat, struct nat_session *s, struct rte_ipv4_hdr *ip,
	      const struct nat_l4 *l4, uint64_t now_ns)
{
	if (l4->proto == IPPROTO_TCP)
		nat_tcp_track(s, l4->tcp_flags, true);
	nat_session_touch(nat, s, now_ns);
	out_rewrite(nat, s, ip, l4);
}

/* The session of k, if any, and in h the hashes a create would need (the mapping key's only
 * when `create`). A packet the last bulk lookup missed is not looked up again while the memo
 * proves it still misses (the egress stage asks again for every later miss of a burst once
 * one miss created a session); its hashes are reused either way. */
static struct nat_session *
out_find(struct mg_nat *nat, const struct rte_ipv4_hdr *ip, const struct nat_okey *k,
	 uint64_t now_ns, bool create, struct nat_memo_entry *h)
{
	const struct nat_memo_entry *e = nat_memo_find(nat, ip, k);
	struct nat_mkey mk;

	if (e != NULL) {
		*h = *e;
		if (nat_memo_known_miss(nat, e))
			return NULL;
	} else {
		h->key = *k;
		h->osig = nat_key_hash(nat, k);
		h->iport = 0;
		if (create) {
			nat_mkey_of(k, &mk);
			h->msig = nat_key_hash(nat, &mk);
		}
	}
	return nat_session_find_out(nat, k, h->osig, now_ns);
}

enum mg_nat_result
mg_nat_out_lookup(struct mg_nat *nat, uint32_t peer_id, struct rte_ipv4_hdr *ip, uint32_t len,
		  uint64_t now_ns)
{
	struct nat_memo_entry h;
	struct nat_session *s;
	struct nat_okey k;
	struct nat_l4 l4;
	enum mg_nat_result r = out_key(nat, peer_id, ip, len, &l4, &k);

	if (likely(r == MG_NAT_OK)) {
		s = out_find(nat, ip, &k, now_ns, false, &h);
		if (likely(s != NULL))
			out_translate(nat, s, ip, &l4, now_ns);
		else
			r = MG_NAT_MISS;
	}
	nat_count(&nat->st.out_lookup[r]);
	return r;
}

/* The sessions of nk keys, bit j of *hits set where key j has one, and their lines prefetched.
 * After a lookup that mostly hit, two bulk lookups of half the keys each, not one of all:
 * rte_hash waits on every key's bucket and then on every key's slot before it returns, and the
 * first half's session lines load while the second half is looked up (egress at 1M sessions
 * ~10 % cheaper). Misses wait only on buckets, so halving a burst of new flows would only add a
 * wait; a burst that mostly missed keeps the next one whole (docs/nat.md). */
static uint64_t
out_bulk_lookup_part(struct mg_nat *nat, const void **kp, hash_sig_t *sig, unsigned from,
		     unsigned cnt, void **data)
{
	uint64_t h = 0;

	rte_hash_lookup_with_hash_bulk_data(nat->out_h, kp + from, sig + from, cnt, &h,
					    data + from);
	for (unsigned j = 0; j < cnt; j++)
		if (h & (1ULL << j))
			rte_prefetch0(&nat->sessions[(uint32_t)(uintptr_t)data[from + j]]);
	return h << from;
}

static void
out_bulk_lookup(struct mg_nat *nat, const void **kp, hash_sig_t *sig, unsigned nk,
		uint64_t *hits, void **data)
{
	const unsigned cut = nk >= NAT_SPLIT_LOOKUP_MIN && nat->split_out_lookup ? nk / 2 : nk;

	*hits = 0;
	if (nk == 0)
		return;
	*hits = out_bulk_lookup_part(nat, kp, sig, 0, cut, data);
	if (cut < nk)
		*hits |= out_bulk_lookup_part(nat, kp, sig, cut, nk - cut, data);
	nat->split_out_lookup = 4 * (unsigned)__builtin_popcountll(*hits) >= 3 * nk;
}

/* Bulk lookup of up to MG_NAT_BURST_MAX packets. Consecutive packets of one flow (a burst of a
 * transfer) share one key slot, hashed and looked up once. A session freed on the way (found
 * expired) may have been another packet's bulk hit: from then on each packet is looked up
 * alone. */
static void
out_lookup_chunk(struct mg_nat *nat, const uint32_t *peer_ids, struct rte_ipv4_hdr *const *ips,
		 const struct mg_pkt_ipv4_info *infos, unsigned n, uint64_t now_ns,
		 enum mg_nat_result *res)
{
	struct nat_okey keys[MG_NAT_BURST_MAX];
	struct nat_l4 l4[MG_NAT_BURST_MAX];
	const void *kp[MG_NAT_BURST_MAX];
	void *data[MG_NAT_BURST_MAX];
	hash_sig_t sig[MG_NAT_BURST_MAX];
	uint8_t at[MG_NAT_BURST_MAX], slot_of[MG_NAT_BURST_MAX];
	uint64_t hits = 0, expired0 = nat->st.expired, n_miss = 0;
	unsigned nk = 0, n_ok = 0;

	for (unsigned i = 0; i < n; i++) {
		res[i] = out_key_parsed(nat, peer_ids[i], ips[i], &infos[i], &l4[i], &keys[i]);
		if (unlikely(res[i] != MG_NAT_OK)) {
			nat_count(&nat->st.out_lookup[res[i]]);
			continue;
		}
		n_ok++;
		if (nk > 0 && nat_key_eq(&keys[i], &keys[at[nk - 1]])) {
			slot_of[i] = (uint8_t)(nk - 1);
			continue;
		}
		kp[nk] = &keys[i];
		sig[nk] = nat_key_hash(nat, &keys[i]);
		slot_of[i] = (uint8_t)nk;
		at[nk++] = (uint8_t)i;
	}
	out_bulk_lookup(nat, kp, sig, nk, &hits, data);
	nat_burst_prepare(nat, ips, keys, sig, at, nk, hits);
	for (unsigned i = 0, last_j = UINT_MAX; i < n; i++) {
		unsigned j = slot_of[i];
		struct nat_session *s;

		if (res[i] != MG_NAT_OK)
			continue;
		if (j == last_j && likely(nat->st.expired == expired0) && l4[i].proto != IPPROTO_TCP) {
			/* The session the previous packet was translated with, touched at this very
			 * now: touching it again changes nothing (TCP may change its class). */
			out_rewrite(nat, &nat->sessions[(uint32_t)(uintptr_t)data[j]], ips[i], &l4[i]);
			continue;
		}
		if (likely(nat->st.expired == expired0))
			s = nat_session_live(nat, (hits & (1ULL << j)) ? 0 : -1, data[j], now_ns);
		else
			s = nat_session_find_out(nat, &keys[i], sig[j], now_ns);
		if (likely(s != NULL)) {
			out_translate(nat, s, ips[i], &l4[i], now_ns);
			last_j = j;
		} else {
			res[i] = MG_NAT_MISS;
			n_miss++;
			last_j = UINT_MAX;
		}
	}
	/* once per chunk: a counter in memory added per packet chains each one to the last */
	nat_count_n(&nat->st.out_lookup[MG_NAT_OK], n_ok - n_miss);
	nat_count_n(&nat->st.out_lookup[MG_NAT_MISS], n_miss);
}

void
mg_nat_out_lookup_burst(struct mg_nat *nat, const uint32_t *peer_ids,
			struct rte_ipv4_hdr *const *ips, const struct mg_pkt_ipv4_info *infos,
			unsigned n, uint64_t now_ns, enum mg_nat_result *res)
{
	for (unsigned off = 0; off < n; off += MG_NAT_BURST_MAX)
		out_lookup_chunk(nat, peer_ids + off, ips + off, infos + off,
				 RTE_MIN(n - off, (unsigned)MG_NAT_BURST_MAX), now_ns, res + off);
}

/* Only a bare SYN opens a TCP session (RFC 5382); only an echo request opens an ICMP one. */
static enum mg_nat_result
may_open(const struct nat_l4 *l4)
{
	const uint8_t mask = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG | RTE_TCP_FIN_FLAG;

	if (l4->proto == IPPROTO_TCP && (l4->tcp_flags & mask) != RTE_TCP_SYN_FLAG)
		return MG_NAT_ERR_TCP_NOT_SYN;
	if (l4->proto == IPPROTO_ICMP && l4->icmp_type != RTE_IP_ICMP_ECHO_REQUEST)
		return MG_NAT_ERR_UNSUPPORTED;
	return MG_NAT_OK;
}

enum mg_nat_result
mg_nat_out_create(struct mg_nat *nat, uint32_t peer_id, struct rte_ipv4_hdr *ip, uint32_t len,
		  uint64_t now_ns)
{
	struct nat_memo_entry h;
	struct nat_session *s = NULL;
	struct nat_okey k;
	struct nat_l4 l4;
	enum mg_nat_result r = out_key(nat, peer_id, ip, len, &l4, &k);

	if (r == MG_NAT_OK) {
		/* Two packets of a new flow in one burst: the second finds the first's session. */
		s = out_find(nat, ip, &k, now_ns, true, &h);
		if (s == NULL) {
			r = may_open(&l4);
			if (r == MG_NAT_OK)
				r = nat_session_create(nat, &h, now_ns, &s);
		}
		if (r == MG_NAT_OK)
			out_translate(nat, s, ip, &l4, now_ns);
	}
	nat_count(&nat->st.out_create[r]);
	return r;
}
