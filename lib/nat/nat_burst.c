/* NAT44 out, between a burst's bulk lookup and the slow path that follows it for the misses: the
 * memo of what the lookup learnt (each miss's key and the hashes of its three table keys) and the
 * warming of the cold table lines those creates will meet.
 *
 * The memo is an exact shortcut, never a guess: a packet whose key missed at the bulk lookup, and
 * whose hash is not among the sessions created since, still has no session; any doubt (no entry,
 * another key, a lost record of creations) falls back to a real lookup.
 */
#include <string.h>

#include <rte_prefetch.h>

#include "nat_internal.h"

void
nat_mkey_of(const struct nat_okey *k, struct nat_mkey *mk)
{
	*mk = (struct nat_mkey){ .peer_id = k->peer_id, .src_addr = k->src_addr,
				 .src_port = k->src_port, .proto = k->proto };
}

void
nat_ikey_make(const struct nat_okey *k, uint16_t public_port, struct nat_ikey *ik)
{
	*ik = (struct nat_ikey){ .remote_addr = k->dst_addr, .remote_port = k->dst_port,
				 .public_port = public_port, .proto = k->proto };
}

/* A new bulk lookup: the misses of the last one are forgotten, and so are the creations. */
void
nat_memo_reset(struct mg_nat *nat)
{
	nat->memo.n = 0;
	nat->memo.cursor = 0;
	nat->memo.ncreated = 0;
	nat->memo.created_bits = 0;
}

/* Every session created (by whatever path) is recorded until the next bulk lookup; past the
 * record's size the memo can no longer prove a miss and says so. */
void
nat_memo_created(struct mg_nat *nat, hash_sig_t osig)
{
	struct nat_memo *mo = &nat->memo;

	mo->created_bits |= 1ULL << (osig % 64);
	if (mo->ncreated < NAT_MEMO_CREATED_MAX)
		mo->created[mo->ncreated] = osig;
	if (mo->ncreated <= NAT_MEMO_CREATED_MAX)
		mo->ncreated++;
}

/* The entry of the packet at ip with key k, or NULL. Callers go through a burst in order, so
 * the entry after the last one found is tried first. */
const struct nat_memo_entry *
nat_memo_find(struct mg_nat *nat, const struct rte_ipv4_hdr *ip, const struct nat_okey *k)
{
	struct nat_memo *mo = &nat->memo;
	uint32_t j = mo->cursor;

	if (j >= mo->n || mo->e[j].ip != ip)
		for (j = 0; j < mo->n && mo->e[j].ip != ip; j++)
			;
	if (j >= mo->n || memcmp(&mo->e[j].key, k, sizeof(*k)) != 0)
		return NULL;
	mo->cursor = j + 1;
	return &mo->e[j];
}

/* True when the entry's key certainly has no session now: it had none at the bulk lookup and no
 * session created since has its hash. */
bool
nat_memo_known_miss(const struct mg_nat *nat, const struct nat_memo_entry *e)
{
	const struct nat_memo *mo = &nat->memo;

	if (mo->ncreated > NAT_MEMO_CREATED_MAX)
		return false;
	if (!(mo->created_bits & (1ULL << (e->osig % 64))))
		return true;
	for (uint32_t c = 0; c < mo->ncreated; c++)
		if (mo->created[c] == e->osig)
			return false;
	return true;
}

/* Memo entries for the misses, with their mapping keys' hashes; the mapping lookups of all of
 * them at once (rte_hash bulk: buckets prefetched for every key before any is compared). */
static unsigned
memo_misses(struct mg_nat *nat, struct rte_ipv4_hdr *const *ips, const struct nat_okey *keys,
	    const hash_sig_t *osig, const uint8_t *at, unsigned nk, uint64_t hits, void **mdata,
	    uint64_t *mhits)
{
	struct nat_memo *mo = &nat->memo;
	struct nat_mkey mk[MG_NAT_BURST_MAX];
	const void *kp[MG_NAT_BURST_MAX];
	hash_sig_t msig[MG_NAT_BURST_MAX];

	for (unsigned j = 0; j < nk; j++) {
		struct nat_memo_entry *e = &mo->e[mo->n];

		if (hits & (1ULL << j))
			continue;
		e->ip = ips[at[j]];
		e->key = keys[at[j]];
		e->osig = osig[j];
		e->iport = 0;
		nat_mkey_of(&e->key, &mk[mo->n]);
		kp[mo->n] = &mk[mo->n];
		e->msig = msig[mo->n] = nat_key_hash(nat, &mk[mo->n]);
		mo->n++;
	}
	if (mo->n > 0)
		rte_hash_lookup_with_hash_bulk_data(nat->map_h, kp, msig, mo->n, mhits, mdata);
	return mo->n;
}

void
nat_burst_prepare(struct mg_nat *nat, struct rte_ipv4_hdr *const *ips,
		  const struct nat_okey *keys, const hash_sig_t *osig, const uint8_t *at,
		  unsigned nk, uint64_t hits)
{
	struct nat_memo *mo = &nat->memo;
	struct nat_ikey ik[MG_NAT_BURST_MAX];
	const void *kp[MG_NAT_BURST_MAX];
	hash_sig_t isig[MG_NAT_BURST_MAX];
	void *mdata[MG_NAT_BURST_MAX];
	int32_t pos[MG_NAT_BURST_MAX];
	uint64_t mhits = 0;
	unsigned nm, ni = 0;

	nat_memo_reset(nat);
	if (nk == 0 || hits == RTE_LEN2MASK(nk, uint64_t))
		return;
	if (nat->sess_free != NAT_NIL)
		rte_prefetch0(&nat->sessions[nat->sess_free]);
	nm = memo_misses(nat, ips, keys, osig, at, nk, hits, mdata, &mhits);
	for (unsigned m = 0; m < nm; m++)
		if (mhits & (1ULL << m))
			rte_prefetch0(&nat->mappings[(uint32_t)(uintptr_t)mdata[m]]);
	/* The in-table keys the sessions will get, where the mapping (so the port) is known: the
	 * add searches both buckets of its key for a duplicate, so a lookup now warms them. */
	for (unsigned m = 0; m < nm; m++) {
		struct nat_memo_entry *e = &mo->e[m];

		if (!(mhits & (1ULL << m)))
			continue;
		e->iport = nat->mappings[(uint32_t)(uintptr_t)mdata[m]].public_port;
		nat_ikey_make(&e->key, e->iport, &ik[ni]);
		kp[ni] = &ik[ni];
		e->isig = isig[ni] = nat_key_hash(nat, &ik[ni]);
		ni++;
	}
	if (ni > 0)
		rte_hash_lookup_with_hash_bulk(nat->in_h, kp, isig, ni, pos);
}
