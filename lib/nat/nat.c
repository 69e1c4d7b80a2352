/* NAT44 instance lifetime and read-out: parameter defaults and checks, preallocation of every
 * table (sessions, mappings, peers, port pools, the three rte_hash tables), statistics and
 * result strings.
 *
 * All memory is taken here, on the instance's socket; the data path never allocates.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "nat_internal.h"

enum nat_sizes {
	NAT_NS_PER_S = 1000000000,
	NAT_HASH_MIN_ENTRIES = 8,        /* rte_hash refuses fewer than one bucket */
	NAT_HASH_BUCKET_BYTES = 64,      /* struct rte_hash_bucket, 8 entries, one cache line */
	NAT_HASH_KEY_HDR = 8,            /* struct rte_hash_key before the key bytes */
	NAT_HASH_KEY_ALIGN = 16,
};

static const char *const result_str[MG_NAT_RESULT_COUNT] = {
#define MG_NAT_RESULT_STR(name, str) [MG_NAT_##name] = str,
	MG_NAT_RESULTS(MG_NAT_RESULT_STR)
#undef MG_NAT_RESULT_STR
};

const char *
mg_nat_result_str(enum mg_nat_result r)
{
	return (unsigned)r < MG_NAT_RESULT_COUNT ? result_str[r] : "unknown NAT result";
}

static uint64_t
secs_or(uint32_t v, uint32_t dflt)
{
	return (uint64_t)(v ? v : dflt) * NAT_NS_PER_S;
}

static void
set_timeouts(struct mg_nat *nat, const struct mg_nat_params *p)
{
	uint32_t udp = p->udp_timeout_s ? p->udp_timeout_s : MG_NAT_UDP_TIMEOUT_S;

	/* RFC 4787 REQ-5: a UDP mapping must not expire in less than two minutes. */
	if (udp < MG_NAT_UDP_TIMEOUT_MIN_S)
		udp = MG_NAT_UDP_TIMEOUT_MIN_S;
	nat->timeout_ns[NAT_TIMER_UDP] = (uint64_t)udp * NAT_NS_PER_S;
	nat->timeout_ns[NAT_TIMER_TCP_EST] =
		secs_or(p->tcp_established_timeout_s, MG_NAT_TCP_ESTABLISHED_TIMEOUT_S);
	nat->timeout_ns[NAT_TIMER_TCP_TRANS] =
		secs_or(p->tcp_transitory_timeout_s, MG_NAT_TCP_TRANSITORY_TIMEOUT_S);
	nat->timeout_ns[NAT_TIMER_ICMP] = secs_or(p->icmp_timeout_s, MG_NAT_ICMP_TIMEOUT_S);
	nat->reuse_delay_ns = secs_or(p->port_reuse_delay_s, MG_NAT_PORT_REUSE_DELAY_S);
}

static bool
params_ok(const struct mg_nat_params *p)
{
	return p != NULL && p->name != NULL && p->name[0] != '\0' &&
	       strlen(p->name) <= NAT_NAME_MAX && p->max_sessions > 0 &&
	       p->max_sessions < NAT_NIL && p->max_peers > 0 &&
	       p->max_peers <= (uint32_t)NAT_PEER_ID_MAX + 1 && p->port_lo > 0 &&
	       p->port_lo <= p->port_hi;
}

static struct rte_hash *
hash_make(const struct mg_nat *nat, const char *suffix, uint32_t key_len, int socket_id)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = RTE_MAX(nat->max_sessions, (uint32_t)NAT_HASH_MIN_ENTRIES),
		.key_len = key_len,
		.hash_func = rte_hash_crc,
		/* Seeded so that remote hosts cannot aim for one bucket chain. */
		.hash_func_init_val = nat->hash_seed,
		.socket_id = socket_id,
		/* Single-threaded use; the extendable table means an add never fails under
		 * max_sessions, whatever the keys. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	snprintf(name, sizeof(name), "%s_%s", nat->name, suffix);
	return rte_hash_create(&hp);
}

static int
tables_alloc(struct mg_nat *nat, int socket_id)
{
	nat->sessions = rte_zmalloc_socket("mg_nat_sess", sizeof(*nat->sessions) *
					   nat->max_sessions, RTE_CACHE_LINE_SIZE, socket_id);
	nat->mappings = rte_zmalloc_socket("mg_nat_map", sizeof(*nat->mappings) *
					   nat->max_sessions, RTE_CACHE_LINE_SIZE, socket_id);
	nat->peers = rte_zmalloc_socket("mg_nat_peer", sizeof(*nat->peers) * nat->max_peers,
					RTE_CACHE_LINE_SIZE, socket_id);
	if (nat->sessions == NULL || nat->mappings == NULL || nat->peers == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < nat->max_sessions; i++) {
		nat->sessions[i].t_next = i + 1 < nat->max_sessions ? i + 1 : NAT_NIL;
		nat->mappings[i].next_free = i + 1 < nat->max_sessions ? i + 1 : NAT_NIL;
	}
	for (uint32_t i = 0; i < nat->max_peers; i++)
		nat->peers[i].head = NAT_NIL;
	for (int c = 0; c < NAT_TIMER_COUNT; c++)
		nat->timers[c] = (struct nat_list){ NAT_NIL, NAT_NIL };
	nat->sess_free = 0;
	nat->map_free = 0;
	return nat_ports_init(nat, socket_id);
}

static int
hashes_create(struct mg_nat *nat, int socket_id)
{
	nat->out_h = hash_make(nat, "no", sizeof(struct nat_okey), socket_id);
	if (nat->out_h == NULL)
		return -rte_errno;
	nat->in_h = hash_make(nat, "ni", sizeof(struct nat_ikey), socket_id);
	if (nat->in_h == NULL)
		return -rte_errno;
	nat->map_h = hash_make(nat, "nm", sizeof(struct nat_mkey), socket_id);
	if (nat->map_h == NULL)
		return -rte_errno;
	/* rte_hash_create takes its buckets and key store from the heap without writing them
	 * when the memory is fresh (known zero), so without hugepages their pages would be
	 * faulted in by the worker, one per first use, while it fills the table (measured: a
	 * few hundred cycles per new session on a fresh instance). A reset writes every one of
	 * them now, on the control path. */
	rte_hash_reset(nat->out_h);
	rte_hash_reset(nat->in_h);
	rte_hash_reset(nat->map_h);
	return 0;
}

struct mg_nat *
mg_nat_create(const struct mg_nat_params *p)
{
	struct mg_nat *nat;
	int err;

	if (!params_ok(p)) {
		rte_errno = EINVAL;
		return NULL;
	}
	nat = rte_zmalloc_socket("mg_nat", sizeof(*nat), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (nat == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	snprintf(nat->name, sizeof(nat->name), "%s", p->name);
	nat->max_sessions = p->max_sessions;
	nat->max_peers = p->max_peers;
	nat->default_peer_limit = p->max_sessions_per_peer ? p->max_sessions_per_peer :
							      p->max_sessions;
	nat->public_ip = p->public_ip;
	nat->port_lo = p->port_lo;
	nat->nports = (uint32_t)p->port_hi - p->port_lo + 1;
	nat->rng = p->seed;
	nat->hash_seed = (uint32_t)(nat->rng >> 32) ^ (uint32_t)nat->rng;
	set_timeouts(nat, p);
	err = tables_alloc(nat, p->socket_id);
	if (err == 0)
		err = hashes_create(nat, p->socket_id);
	if (err != 0) {
		mg_nat_destroy(nat);
		rte_errno = -err;
		return NULL;
	}
	return nat;
}

void
mg_nat_destroy(struct mg_nat *nat)
{
	if (nat == NULL)
		return;
	rte_hash_free(nat->out_h);
	rte_hash_free(nat->in_h);
	rte_hash_free(nat->map_h);
	nat_ports_free(nat);
	rte_free(nat->sessions);
	rte_free(nat->mappings);
	rte_free(nat->peers);
	rte_free(nat);
}

void
mg_nat_get_stats(const struct mg_nat *nat, struct mg_nat_stats *st)
{
	const uint64_t *src = (const uint64_t *)&nat->st;
	uint64_t *dst = (uint64_t *)st;

	RTE_BUILD_BUG_ON(sizeof(*st) % sizeof(uint64_t) != 0);
	for (size_t i = 0; i < sizeof(*st) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* One rte_hash entry, from the 22.11 layout: a key slot (header + key, 16-aligned), a share of
 * a main and an extendable 64-byte bucket of 8 entries, and a uint32_t in the free-slot ring
 * (whose size is the next power of two above entries, so up to two). */
static size_t
hash_entry_bytes(size_t key_len)
{
	return RTE_ALIGN(NAT_HASH_KEY_HDR + key_len, NAT_HASH_KEY_ALIGN) +
	       2 * NAT_HASH_BUCKET_BYTES / 8 + 2 * sizeof(uint32_t);
}

size_t
mg_nat_memory_per_session(void)
{
	return sizeof(struct nat_session) + sizeof(struct nat_mapping) +
	       hash_entry_bytes(sizeof(struct nat_okey)) + hash_entry_bytes(sizeof(struct nat_ikey)) +
	       hash_entry_bytes(sizeof(struct nat_mkey));
}
