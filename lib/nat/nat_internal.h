/* NAT44 internals shared by the files of lib/nat: table keys, session and mapping slots, timer
 * and peer lists, port pools, and the parsed view of a packet's L4 header.
 *
 * Not installed: only lib/nat includes it. Indices (uint32_t) link slots; NAT_NIL ends a list.
 */
#ifndef MG_NAT_INTERNAL_H
#define MG_NAT_INTERNAL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_udp.h>
#include <rte_tcp.h>
#include <rte_icmp.h>

#include "csum.h"
#include "nat.h"

enum nat_limits {
	NAT_NIL = UINT32_MAX,           /* end of an index list */
	/* rte_hash names its extendable-bucket ring "HT_EXT_<name>_nX", and ring names stop at 28
	 * characters: a longer name would be cut and the three tables' rings would collide. */
	NAT_NAME_MAX = 18,
	NAT_RECLAIM_TABLE_BUDGET = 8,   /* expired sessions freed to make room when the table is full */
	NAT_RELINK_INTERVAL_NS = 1000 * 1000 * 1000, /* a touch moves a session along its timer list
						      * at most this often (nat_session.c) */
	NAT_RECLAIM_PEER_SCAN = 64,     /* sessions of one peer examined when it is at its limit */
	NAT_MEMO_CREATED_MAX = MG_NAT_BURST_MAX, /* creations the memo records after a bulk lookup */
	NAT_SPLIT_LOOKUP_MIN = 16,      /* keys from which an out lookup goes in two halves */
	NAT_PEER_ID_MAX = (1 << 24) - 1,  /* peer ids fit the keys' 24-bit field */
};

/* Timer classes: each has one fixed timeout, so a list kept in touch order is in expiry order. */
enum nat_timer_class {
	NAT_TIMER_UDP,
	NAT_TIMER_TCP_EST,
	NAT_TIMER_TCP_TRANS,
	NAT_TIMER_ICMP,
	NAT_TIMER_COUNT
};

/* ICMP types NAT handles beyond echo (rte_icmp.h in 22.11 names only echo). */
enum nat_icmp_type {
	NAT_ICMP_DEST_UNREACH = 3,
	NAT_ICMP_TIME_EXCEEDED = 11,
	NAT_ICMP_PARAM_PROBLEM = 12,
	NAT_ICMP_ERROR_MIN_EMBEDDED_L4 = 8, /* bytes of the embedded L4 header an error must carry */
};

/* Protocols with their own public port space. */
enum nat_proto_idx { NAT_PROTO_TCP, NAT_PROTO_UDP, NAT_PROTO_ICMP, NAT_PROTO_COUNT };

/* TCP segments seen on a session (RFC 5382 state tracking). */
enum nat_tcp_seen {
	NAT_TCP_SYN_OUT = 1 << 0,
	NAT_TCP_SYN_IN = 1 << 1,
	NAT_TCP_EST = 1 << 2,    /* ACK out after the SYN in: three-way handshake done */
	NAT_TCP_FIN_OUT = 1 << 3,
	NAT_TCP_FIN_IN = 1 << 4,
	NAT_TCP_RST = 1 << 5,
};

/* Keys hold addresses and ports in network order, exactly as in the packet; pads are zero.
 * Each is 16 bytes: rte_hash compares a 16-byte key with one vector compare, any other length
 * with memcmp. The peer id shares a word with the protocol (NAT_PEER_ID_MAX). */
struct nat_okey {                /* session, client side: 5-tuple plus the peer */
	uint32_t peer_id : 24;
	uint32_t proto : 8;
	uint32_t src_addr, dst_addr;
	uint16_t src_port, dst_port; /* ICMP echo: identifier, 0 */
};

struct nat_ikey {                /* session, internet side: the public_ip is implied */
	uint32_t remote_addr;
	uint16_t remote_port;        /* ICMP echo: 0 */
	uint16_t public_port;
	uint8_t proto;
	uint8_t pad[7];
};

struct nat_mkey {                /* mapping: one inner endpoint of one peer (EIM) */
	uint32_t peer_id : 24;
	uint32_t proto : 8;
	uint32_t src_addr;
	uint16_t src_port;
	uint8_t pad[6];
};

_Static_assert(sizeof(struct nat_okey) == 16 && sizeof(struct nat_ikey) == 16 &&
	       sizeof(struct nat_mkey) == 16, "NAT keys are 16 bytes");

/* What rewriting one direction of a session does to the checksums (RFC 1624 ~m + m', folded):
 * ip over the address, l4 over address and port (the port only for ICMP, which has no
 * pseudo-header). They depend only on the session's addresses and ports, so they are computed
 * once when it is created (nat_csum_deltas_of) instead of per packet. */
struct nat_csum_deltas {
	uint16_t ip, l4;
};

struct nat_session {
	struct nat_okey okey;
	uint16_t public_port;        /* network order */
	uint8_t timer_class;
	uint8_t tcp_seen;            /* enum nat_tcp_seen bits */
	uint32_t mapping;
	uint32_t t_prev, t_next;     /* timer list of timer_class; t_next also links the free list */
	uint32_t p_prev, p_next;     /* sessions of the same peer */
	uint64_t expire_ns;
	uint64_t queued_ns;          /* when it joined its timer list (the list's order) */
	struct nat_csum_deltas out, in; /* the rewrite's checksum changes, fixed for its life */
} __rte_cache_aligned; /* one cache line per session: a lookup touches one line, not two */

_Static_assert(sizeof(struct nat_session) == RTE_CACHE_LINE_SIZE, "a session is one cache line");

struct nat_mapping {
	struct nat_mkey mkey;
	uint16_t public_port;        /* network order */
	uint32_t nsessions;
	uint32_t next_free;
};

struct nat_peer {
	uint32_t nsessions;
	uint32_t limit;              /* 0: the instance default */
	uint32_t head;               /* first session of the peer list */
};

struct nat_list {
	uint32_t head, tail;
};

struct nat_port_wait {
	uint64_t ready_ns;           /* reusable from this time on */
	uint16_t port;               /* host order */
};

/* Public ports of one protocol: an array of ports usable now (random pick, swap-remove) and a FIFO
 * of freed ports waiting out the reuse delay (FIFO order = free order = ready order). */
struct nat_port_pool {
	uint16_t *avail;
	uint32_t navail;
	struct nat_port_wait *wait;
	uint32_t wait_head, wait_count;
};

/* One packet that missed in the last bulk lookup (nat_burst.c): its key, and the hashes of its
 * session key (osig), its mapping key (msig) and, when its mapping existed, of its in-table key
 * with that mapping's public port (iport, network order; 0 when unknown). */
struct nat_memo_entry {
	const struct rte_ipv4_hdr *ip;
	struct nat_okey key;
	hash_sig_t osig, msig, isig;
	uint16_t iport;
};

/* The misses of the last bulk lookup, and the session keys' hashes of every session created
 * since (ncreated > NAT_MEMO_CREATED_MAX: the record was lost, so no miss can be proven). */
struct nat_memo {
	uint32_t n, cursor;
	uint32_t ncreated;
	uint64_t created_bits;       /* bit (sig % 64) of every created[] entry: most checks stop here */
	hash_sig_t created[NAT_MEMO_CREATED_MAX];
	struct nat_memo_entry e[MG_NAT_BURST_MAX];
};

struct mg_nat {
	struct rte_hash *out_h, *in_h, *map_h;
	struct nat_session *sessions;
	struct nat_mapping *mappings;
	struct nat_peer *peers;
	uint32_t sess_free, map_free;      /* free-list heads */
	uint32_t max_sessions, max_peers, default_peer_limit;
	uint32_t public_ip;                /* network order */
	uint16_t port_lo;
	uint32_t nports;
	uint64_t timeout_ns[NAT_TIMER_COUNT];
	uint64_t reuse_delay_ns;
	uint64_t rng;
	uint32_t hash_seed;                /* of all three tables: nat_key_hash() = their hash */
	uint64_t last_now;                 /* latest clock seen, for mg_nat_flush_peer */
	struct nat_list timers[NAT_TIMER_COUNT];
	struct nat_port_pool pools[NAT_PROTO_COUNT];
	struct mg_nat_stats st;            /* written only by the owner, with relaxed stores */
	struct nat_memo memo;
	bool split_out_lookup;             /* the last out lookup mostly hit (nat_out.c) */
	char name[NAT_NAME_MAX + 1];
};

/* Parsed L4 view of a packet for one direction: `own` is the field on the gateway's side (source
 * port out, destination port in; the ICMP echo identifier both ways), `remote` the other port. */
struct nat_l4 {
	uint8_t proto;                     /* IPPROTO_TCP / UDP / ICMP */
	uint8_t tcp_flags;
	uint8_t icmp_type;
	uint16_t *own;
	uint16_t remote;                   /* network order; 0 for ICMP */
	uint16_t *csum;                    /* L4 checksum field */
};

/* The session key of a packet, written as two 64-bit words: the reads that follow (the compare
 * with the previous packet's key, the CRC, rte_hash's 16-byte compare) are then served from the
 * store buffer instead of waiting for narrower stores to reach the cache. Bit-fields are laid out
 * from the low bits (x86-64 System V), so the first word is peer_id | proto << 24 | src << 32. */
static inline void
nat_okey_set(struct nat_okey *k, uint32_t peer_id, uint8_t proto, uint32_t src_addr,
	     uint32_t dst_addr, uint16_t src_port, uint16_t dst_port)
{
	uint64_t w0 = (uint64_t)peer_id | (uint64_t)proto << 24 | (uint64_t)src_addr << 32;
	uint64_t w1 = (uint64_t)dst_addr | (uint64_t)src_port << 32 | (uint64_t)dst_port << 48;

	memcpy(k, &w0, sizeof(w0));
	memcpy((uint8_t *)k + sizeof(w0), &w1, sizeof(w1));
}

/* Equality of two 16-byte keys, word by word. */
static inline bool
nat_key_eq(const void *a, const void *b)
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, a, 8);
	memcpy(&a1, (const uint8_t *)a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, (const uint8_t *)b + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/* The hash the tables use for a 16-byte key (their hash_func with their seed), inline. */
static inline hash_sig_t
nat_key_hash(const struct mg_nat *nat, const void *key)
{
	return rte_hash_crc(key, 16, nat->hash_seed);
}

/* The L4 view of a TCP, UDP or ICMP packet whose fixed L4 header (at ihl) is known to be
 * there: what NAT reads and rewrites in it, for one direction. */
static inline void
nat_l4_point(struct rte_ipv4_hdr *ip, uint32_t ihl, bool outbound, struct nat_l4 *l4)
{
	uint8_t *p = (uint8_t *)ip + ihl;
	uint16_t *ports = (uint16_t *)p; /* TCP and UDP both start with the two ports */

	l4->proto = ip->next_proto_id;
	if (l4->proto == IPPROTO_ICMP) {
		struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)p;

		l4->icmp_type = icmp->icmp_type;
		l4->csum = &icmp->icmp_cksum;
		l4->own = &icmp->icmp_ident; /* the identifier is the port, on our side both ways */
		l4->remote = 0;
		return;
	}
	if (l4->proto == IPPROTO_TCP) {
		l4->tcp_flags = ((struct rte_tcp_hdr *)p)->tcp_flags;
		l4->csum = &((struct rte_tcp_hdr *)p)->cksum;
	} else {
		l4->csum = &((struct rte_udp_hdr *)p)->dgram_cksum;
	}
	l4->own = outbound ? &ports[0] : &ports[1];
	l4->remote = outbound ? ports[1] : ports[0];
}

/* Single writer: a relaxed store keeps a racy reader from seeing a torn value, at no cost. */
static inline void
nat_count(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

static inline void
nat_count_n(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static inline void
nat_gauge_set(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, v, __ATOMIC_RELAXED);
}

static inline int
nat_proto_idx(uint8_t proto)
{
	return proto == IPPROTO_TCP ? NAT_PROTO_TCP :
	       proto == IPPROTO_UDP ? NAT_PROTO_UDP : NAT_PROTO_ICMP;
}

/* nat_port.c */
int nat_ports_init(struct mg_nat *nat, int socket_id);
void nat_ports_free(struct mg_nat *nat);
int nat_port_take(struct mg_nat *nat, int pidx, uint64_t now_ns, uint16_t *port);
void nat_port_release(struct mg_nat *nat, int pidx, uint16_t port, uint64_t now_ns);

/* nat_burst.c */
void nat_mkey_of(const struct nat_okey *k, struct nat_mkey *mk);
void nat_ikey_make(const struct nat_okey *k, uint16_t public_port, struct nat_ikey *ik);
void nat_memo_reset(struct mg_nat *nat);
void nat_memo_created(struct mg_nat *nat, hash_sig_t osig);
const struct nat_memo_entry *nat_memo_find(struct mg_nat *nat, const struct rte_ipv4_hdr *ip,
					   const struct nat_okey *k);
bool nat_memo_known_miss(const struct mg_nat *nat, const struct nat_memo_entry *e);
void nat_burst_prepare(struct mg_nat *nat, struct rte_ipv4_hdr *const *ips,
		       const struct nat_okey *keys, const hash_sig_t *osig, const uint8_t *at,
		       unsigned nk, uint64_t hits);

/* nat_session.c */
struct nat_session *nat_session_find_out(struct mg_nat *nat, const struct nat_okey *k,
					 hash_sig_t osig, uint64_t now_ns);
struct nat_session *nat_session_find_in(struct mg_nat *nat, const struct nat_ikey *k,
					uint64_t now_ns);
enum mg_nat_result nat_session_create(struct mg_nat *nat, const struct nat_memo_entry *h,
				      uint64_t now_ns, struct nat_session **out);
struct nat_session *nat_session_live(struct mg_nat *nat, int pos, void *data, uint64_t now_ns);
void nat_session_touch(struct mg_nat *nat, struct nat_session *s, uint64_t now_ns);
void nat_tcp_track(struct nat_session *s, uint8_t flags, bool outbound);

/* nat_pkt.c */
enum mg_nat_result nat_l4_parse(struct rte_ipv4_hdr *ip, uint32_t len, bool outbound,
				struct nat_l4 *l4);
/* The deltas of rewriting address old_addr and port old_port to new_addr and new_port. */
static inline struct nat_csum_deltas
nat_csum_deltas_of(uint8_t proto, uint32_t old_addr, uint16_t old_port, uint32_t new_addr,
		   uint16_t new_port)
{
	uint32_t d_addr = mg_csum_delta32(old_addr, new_addr);
	uint32_t d_port = mg_csum_delta16(old_port, new_port);

	return (struct nat_csum_deltas){
		.ip = mg_csum_fold(d_addr),
		.l4 = mg_csum_fold(proto == IPPROTO_ICMP ? d_port : d_addr + d_port),
	};
}

/* Set *addr (a field of ip) and l4's own port, fixing the IP and L4 checksums by the session's
 * deltas d, one fold each (RFC 1624). A UDP checksum of 0 means "none" and stays 0 (RFC 768),
 * and a computed 0 is sent as 0xffff. */
static inline void
nat_rewrite(struct rte_ipv4_hdr *ip, const struct nat_l4 *l4, rte_be32_t *addr,
	    uint32_t new_addr, uint16_t new_port, struct nat_csum_deltas d)
{
	uint16_t c;

	*addr = new_addr;
	*l4->own = new_port;
	ip->hdr_checksum = mg_csum_apply(ip->hdr_checksum, d.ip);
	if (l4->proto == IPPROTO_UDP && *l4->csum == 0)
		return;
	c = mg_csum_apply(*l4->csum, d.l4);
	*l4->csum = (l4->proto == IPPROTO_UDP && c == 0) ? 0xffff : c;
}

static inline uint32_t
nat_ihl(const struct rte_ipv4_hdr *ip)
{
	return (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
}

#endif /* MG_NAT_INTERNAL_H */
