/* Data-plane counters: one X-macro list gives the enum and the names together.
 *
 * Every worker owns one struct mg_dp_counters (cache aligned, written only by that worker); the
 * telemetry and stats code sum them. Drops are counted by reason, never logged per packet.
 */
#ifndef MG_DP_COUNTERS_H
#define MG_DP_COUNTERS_H

#include <stdint.h>
#include <rte_common.h>

#define MG_DP_COUNTER_LIST(X)                                                                    \
	X(RX_PACKETS, "rx_packets")                                                              \
	X(RX_BYTES, "rx_bytes")                                                                  \
	X(TX_PACKETS, "tx_packets")                                                              \
	X(TX_BYTES, "tx_bytes")                                                                  \
	X(DECRYPTED, "decrypted")                                                                \
	X(DECRYPTED_BYTES, "decrypted_bytes")                                                    \
	X(ENCRYPTED, "encrypted")                                                                \
	X(ENCRYPTED_BYTES, "encrypted_bytes")                                                    \
	X(KEEPALIVES_RX, "keepalives_rx")                                                        \
	X(NAT_OUT, "nat_out")                                                                    \
	X(NAT_IN, "nat_in")                                                                      \
	X(NAT_CREATED, "nat_sessions_created")                                                   \
	X(PUNTED, "punted_to_control")                                                           \
	X(CONTROL_TX, "control_tx")                                                              \
	X(ICMP_ERRORS_SENT, "icmp_errors_sent")                                                  \
	X(ENDPOINT_ROAMED, "endpoint_roamed")                                                    \
	X(HANDED_OFF, "handed_off")                                                              \
	X(WG_HANDED_OFF, "wg_handed_off")                                                        \
	X(RELAYED, "relay_sessions_created")                                                     \
	X(IDLE_LOOPS, "idle_loops")                                                              \
	X(BUSY_LOOPS, "busy_loops")

#define MG_DP_DROP_LIST(X)                                                                       \
	X(NOT_FOR_US, "not_for_us")                                                              \
	X(BAD_ETHERNET, "bad_ethernet")                                                          \
	X(UNKNOWN_ETHERTYPE, "unknown_ethertype")                                                \
	X(BAD_OUTER_IP, "bad_outer_ip")                                                          \
	X(OUTER_FRAGMENT, "outer_fragment")                                                      \
	X(NOT_WIREGUARD, "not_wireguard")                                                        \
	X(WG_BAD_TYPE, "wg_bad_type")                                                            \
	X(WG_BAD_SIZE, "wg_bad_size")                                                            \
	X(WG_UNKNOWN_INDEX, "wg_unknown_index")                                                  \
	X(WG_REPLAY, "wg_replay")                                                                \
	X(WG_BAD_TAG, "wg_bad_tag")                                                              \
	X(WG_KEY_EXPIRED, "wg_key_expired")                                                      \
	X(WG_NO_SESSION, "wg_no_session")                                                        \
	X(WG_SEAL_FAILED, "wg_seal_failed")                                                      \
	X(WG_NOT_OWNER, "wg_not_owner")                                                          \
	X(INNER_MALFORMED, "inner_malformed")                                                    \
	X(INNER_FRAGMENT, "inner_fragment")                                                      \
	X(INNER_NOT_IPV4, "inner_not_ipv4")                                                      \
	X(SOURCE_NOT_ALLOWED, "source_not_allowed")                                              \
	X(TTL_EXPIRED, "ttl_expired")                                                            \
	X(POLICY_DENIED, "policy_denied")                                                        \
	X(NAT_TABLE_FULL, "nat_table_full")                                                      \
	X(NAT_PEER_LIMIT, "nat_peer_limit")                                                      \
	X(NAT_NO_PORT, "nat_no_port")                                                            \
	X(NAT_UNSUPPORTED, "nat_unsupported")                                                    \
	X(NAT_TCP_NOT_SYN, "nat_tcp_not_syn")                                                    \
	X(NAT_NO_SESSION, "nat_no_session")                                                      \
	X(NAT_MALFORMED, "nat_malformed")                                                        \
	X(NO_NEIGHBOUR, "no_neighbour")                                                          \
	X(TOO_BIG, "too_big")                                                                    \
	X(MULTI_SEGMENT, "multi_segment")                                                        \
	X(PUNT_RING_FULL, "punt_ring_full")                                                      \
	X(HANDOFF_RING_FULL, "handoff_ring_full")                                                \
	X(PIPELINE_RING_FULL, "pipeline_ring_full")                                              \
	X(REORDER_LATE, "reorder_late")                                                          \
	X(TX_FULL, "tx_full")                                                                    \
	X(NO_MBUF, "no_mbuf")

#define MG_DP_ENUM(id, name) MG_DP_##id,
enum mg_dp_counter { MG_DP_COUNTER_LIST(MG_DP_ENUM) MG_DP_COUNTER_MAX };
#undef MG_DP_ENUM
#define MG_DP_ENUM(id, name) MG_DP_DROP_##id,
enum mg_dp_drop { MG_DP_DROP_LIST(MG_DP_ENUM) MG_DP_DROP_MAX };
#undef MG_DP_ENUM

struct mg_dp_counters {
	uint64_t c[MG_DP_COUNTER_MAX];
	uint64_t drop[MG_DP_DROP_MAX];
} __rte_cache_aligned;

const char *mg_dp_counter_name(enum mg_dp_counter c);
const char *mg_dp_drop_name(enum mg_dp_drop d);

/* Sum n per-worker counter blocks into out. Racy reads are fine: counters only grow. */
void mg_dp_counters_sum(const struct mg_dp_counters *per_worker, unsigned n,
			struct mg_dp_counters *out);

#endif /* MG_DP_COUNTERS_H */
