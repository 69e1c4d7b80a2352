/* NAT44 for the exit: translates clients' inner IPv4 packets to the gateway's public address and
 * carries the replies back to the right peer (endpoint-independent mapping, address-and-port-
 * dependent filtering, RFC 4787 / 5382 / 5508).
 *
 * One struct mg_nat per worker lcore, used by that worker only (no locks); workers get disjoint
 * public port ranges. The control lcore may call mg_nat_get_stats() at any time. Time is always
 * the caller's now_ns; nothing here reads a clock, allocates or logs after mg_nat_create().
 */
#ifndef MG_NAT_H
#define MG_NAT_H

#include <stddef.h>
#include <stdint.h>

#include <rte_ip.h>

#include "ipv4.h"

/* Results of every NAT call, with the string mg_nat_result_str() gives for each. */
#define MG_NAT_RESULTS(X)                                                                      \
	X(OK, "ok")                                                                            \
	X(MISS, "no live session")                                                             \
	X(ERR_TABLE_FULL, "session table full")                                               \
	X(ERR_PEER_LIMIT, "peer session limit reached")                                        \
	X(ERR_NO_PORT, "no free public port")                                                 \
	X(ERR_UNSUPPORTED, "unsupported protocol or ICMP type")                               \
	X(ERR_TRUNCATED, "L4 header not within length")                                       \
	X(ERR_TCP_NOT_SYN, "TCP session may only be opened by a SYN")                          \
	X(ERR_BAD_PEER, "peer id out of range")                                               \
	X(ERR_FRAGMENT, "IP fragment (must be dropped before NAT)")

enum mg_nat_result {
#define MG_NAT_RESULT_ENUM(name, str) MG_NAT_##name,
	MG_NAT_RESULTS(MG_NAT_RESULT_ENUM)
#undef MG_NAT_RESULT_ENUM
	MG_NAT_RESULT_COUNT
};

/* Defaults applied when a params field is 0 (RFC 4787 REQ-5, RFC 5382 REQ-5, RFC 5508 REQ-1). */
enum mg_nat_defaults {
	MG_NAT_UDP_TIMEOUT_S = 300,
	MG_NAT_UDP_TIMEOUT_MIN_S = 120, /* a smaller udp_timeout_s is raised to this */
	MG_NAT_TCP_ESTABLISHED_TIMEOUT_S = 7440,
	MG_NAT_TCP_TRANSITORY_TIMEOUT_S = 240,
	MG_NAT_ICMP_TIMEOUT_S = 60,
	MG_NAT_PORT_REUSE_DELAY_S = 120,
};

struct mg_nat_params {
	const char *name;              /* unique per process, at most 18 characters (hash names) */
	int socket_id;                 /* NUMA socket for the tables, or SOCKET_ID_ANY */
	uint32_t public_ip;            /* network order */
	uint16_t port_lo, port_hi;     /* this instance's public port range, inclusive (host order);
	                                * also the range of public ICMP echo identifiers */
	uint32_t max_sessions;         /* for this instance */
	uint32_t max_sessions_per_peer; /* default limit per peer; 0 means max_sessions */
	uint32_t max_peers;            /* peer ids are < max_peers <= 2^24 */
	uint32_t udp_timeout_s, tcp_established_timeout_s, tcp_transitory_timeout_s, icmp_timeout_s;
	uint32_t port_reuse_delay_s;   /* a freed public port waits this long before reuse */
	uint64_t seed;                 /* for random port choice (deterministic per seed) */
};

struct mg_nat;

/* Allocate every table for p (rte_zmalloc_socket, rte_hash). NULL and rte_errno on failure
 * (EINVAL for bad params, EEXIST for a name in use, ENOMEM). */
struct mg_nat *mg_nat_create(const struct mg_nat_params *p);
void mg_nat_destroy(struct mg_nat *nat);

/* Per-peer session limit; 0 restores the instance default. Existing sessions are kept even when
 * the new limit is below their number: only new flows are refused. */
void mg_nat_set_peer_limit(struct mg_nat *nat, uint32_t peer_id, uint32_t max_sessions);

/* Fast path out: ip is a validated IPv4 header (not a fragment) with len bytes available (header +
 * L4). On a session hit: source address/port (ICMP echo: identifier) rewritten to the public ones,
 * IP and L4 checksums updated incrementally (UDP checksum 0 stays 0), TCP state advanced, timer
 * refreshed; returns MG_NAT_OK. No session: MG_NAT_MISS and the packet untouched. */
enum mg_nat_result mg_nat_out_lookup(struct mg_nat *nat, uint32_t peer_id,
				     struct rte_ipv4_hdr *ip, uint32_t len, uint64_t now_ns);

enum { MG_NAT_BURST_MAX = 64 }; /* packets per mg_nat_out_lookup_burst call (more are chunked) */

/* The fast path out over a burst of packets the caller has parsed: infos[i] is what
 * mg_pkt_ipv4_parse returned for ips[i] with verdict OK (so an unfragmented TCP, UDP or ICMP
 * packet whose L4 header is within its total length). res[i] and packet i end exactly as
 * mg_nat_out_lookup(nat, peer_ids[i], ips[i], infos[i].total_len, now_ns) called for i = 0..n-1
 * in order would leave them. The session table is searched for the whole burst at once (rte_hash
 * bulk lookup, which prefetches the buckets; consecutive packets of one flow once) and the
 * sessions are prefetched before any is touched, so cache misses overlap. A caller that then
 * creates a session for a MISS must look the later MISSes of the burst up again: they may belong
 * to the same new flow. */
void mg_nat_out_lookup_burst(struct mg_nat *nat, const uint32_t *peer_ids,
			     struct rte_ipv4_hdr *const *ips, const struct mg_pkt_ipv4_info *infos,
			     unsigned n, uint64_t now_ns, enum mg_nat_result *res);

/* Slow path out, called after the exit policy allowed the destination: create the mapping and
 * session, then translate as above. TCP: only a SYN may open a session (else ERR_TCP_NOT_SYN);
 * ICMP: only an echo request. If the session exists already it is simply used. On any error the
 * packet is untouched; ERR_TABLE_FULL / ERR_PEER_LIMIT mean "send ICMP unreachable code 13". */
enum mg_nat_result mg_nat_out_create(struct mg_nat *nat, uint32_t peer_id,
				     struct rte_ipv4_hdr *ip, uint32_t len, uint64_t now_ns);

/* In: a packet addressed to public_ip. On a hit, destination rewritten back to the client's inner
 * address/port, *peer_id set. ICMP errors (destination unreachable, time exceeded, parameter
 * problem) whose embedded packet belongs to a session: translate the outer destination and the
 * embedded header (addresses, ports, embedded IP checksum, and the ICMP checksum) and set
 * *peer_id. Anything else: MISS (or an ERR_*) and the packet untouched. */
enum mg_nat_result mg_nat_in(struct mg_nat *nat, struct rte_ipv4_hdr *ip, uint32_t len,
			     uint64_t now_ns, uint32_t *peer_id);

/* Reclaim expired sessions, doing at most `budget` units of work (one unit = one session freed;
 * a session is freed at most a second after it expired); returns sessions freed. The worker calls it every loop iteration. An expired session found by a
 * lookup counts as a miss (and is freed there). */
unsigned mg_nat_expire(struct mg_nat *nat, uint64_t now_ns, unsigned budget);

/* Free every session of a peer (its key changed or it was removed); ports enter the reuse delay. */
void mg_nat_flush_peer(struct mg_nat *nat, uint32_t peer_id);

/* Live sessions of one peer (0 for an out-of-range id). */
uint32_t mg_nat_peer_sessions(const struct mg_nat *nat, uint32_t peer_id);

struct mg_nat_stats {
	uint64_t sessions;         /* live now */
	uint64_t mappings;         /* live now */
	uint64_t created;          /* sessions created */
	uint64_t expired;          /* sessions freed by timeout (mg_nat_expire or a lookup) */
	uint64_t flushed;          /* sessions freed by mg_nat_flush_peer */
	uint64_t mappings_created;
	uint64_t icmp_errors_in;   /* inbound ICMP errors translated */
	uint64_t out_lookup[MG_NAT_RESULT_COUNT]; /* per-result counters of each entry point */
	uint64_t out_create[MG_NAT_RESULT_COUNT];
	uint64_t in[MG_NAT_RESULT_COUNT];
};

/* Safe from another lcore: every counter is read with a relaxed atomic load. */
void mg_nat_get_stats(const struct mg_nat *nat, struct mg_nat_stats *st);

const char *mg_nat_result_str(enum mg_nat_result r);

/* Bytes per session slot (session + worst-case mapping + the three hash entries), for sizing and
 * the benchmark. */
size_t mg_nat_memory_per_session(void);

#endif /* MG_NAT_H */
