/* Mesh control protocol constants, limits and counters, in one place, grouped by theme.
 *
 * Every wire size, every default timer and every reject reason of lib/mesh is named here, so
 * that docs/protocol.md and the code can be checked against each other line by line.
 */
#ifndef MG_MESH_CONST_H
#define MG_MESH_CONST_H

#include <stdint.h>

/* Datagram framing (docs/protocol.md, "Datagram"). All integers are big-endian. */
enum mg_mesh_wire_sizes {
	MG_MESH_MAGIC = 0x4d47534dU,    /* "MGSM" */
	MG_MESH_VERSION = 1,
	MG_MESH_ID_LEN = 32,            /* Ed25519 public key = node id */
	MG_MESH_SK_LEN = 64,            /* Ed25519 secret key, libsodium layout */
	MG_MESH_WGKEY_LEN = 32,         /* WireGuard static public key (X25519) */
	MG_MESH_SIG_LEN = 64,
	MG_MESH_HDR_LEN = 48,           /* magic 4, version 1, flags 1, length 2, sender 32, counter 8 */
	MG_MESH_TLV_HDR_LEN = 3,        /* type 1, length 2 */
	MG_MESH_DGRAM_MAX = 1200,       /* fits every path MTU we care about, IPv6 included */
	MG_MESH_PAYLOAD_MAX = MG_MESH_DGRAM_MAX - MG_MESH_HDR_LEN - MG_MESH_SIG_LEN,
	MG_MESH_DGRAM_MIN = MG_MESH_HDR_LEN + MG_MESH_SIG_LEN,
	MG_MESH_ADDR_LEN = 19,          /* family 1, port 2, address 16 */
	MG_MESH_PREFIX_LEN = 18,        /* family 1, prefix length 1, address 16 */
	MG_MESH_BUCKETS = 256,          /* digest buckets, indexed by the first byte of the id */
	MG_MESH_DIGEST_LEN = 1 + 2 + MG_MESH_BUCKETS * 4,
};

/* Message (TLV) types inside a datagram. Unknown types are skipped and counted. */
enum mg_mesh_msg_type {
	MG_MESH_MSG_PING = 1,           /* seq u32 */
	MG_MESH_MSG_ACK = 2,            /* seq u32 */
	MG_MESH_MSG_PING_REQ = 3,       /* seq u32, target id 32, target addr 19 */
	MG_MESH_MSG_IND_ACK = 4,        /* seq u32, target id 32 */
	MG_MESH_MSG_DIGEST = 5,         /* flags u8, nbuckets u16, hashes u32[nbuckets] */
	MG_MESH_MSG_RECORD = 6,         /* one signed node record */
	MG_MESH_MSG_SUSPECT = 7,        /* id 32, seq u64 */
	MG_MESH_MSG_DEAD = 8,           /* id 32, seq u64 */
	MG_MESH_MSG_ROUTE = 9,          /* one route advertisement, MG_MESH_ROUTE_LEN */
	MG_MESH_MSG_SEQREQ = 10,        /* prefix 18, source id 32, seqno u32, hop count u8 */
	MG_MESH_MSG_SUMMARY = 11,       /* complete-bucket bitmap 32, entries (tag 8, seq u64, state u8) */
	MG_MESH_MSG_REQUEST = 12,       /* tags 8 each: send me these records */
};

enum mg_mesh_msg_sizes {
	MG_MESH_PING_LEN = 4,
	MG_MESH_ACK_LEN = 4,
	MG_MESH_PING_REQ_LEN = 4 + MG_MESH_ID_LEN + MG_MESH_ADDR_LEN,
	MG_MESH_IND_ACK_LEN = 4 + MG_MESH_ID_LEN,
	MG_MESH_MEMBER_LEN = MG_MESH_ID_LEN + 8,
	MG_MESH_ROUTE_LEN = MG_MESH_PREFIX_LEN + MG_MESH_ID_LEN + 4 + 2 + 4 + 2,
	MG_MESH_SEQREQ_LEN = MG_MESH_PREFIX_LEN + MG_MESH_ID_LEN + 4 + 1,
	MG_MESH_TAG_LEN = 8,            /* first bytes of an id, naming a record in summaries */
	MG_MESH_SUMMARY_ENTRY_LEN = MG_MESH_TAG_LEN + 8 + 1,
	MG_MESH_SUMMARY_MAX = 60,       /* entries per SUMMARY: one datagram */
	MG_MESH_REQUEST_MAX = 64,       /* tags per REQUEST */
};

enum mg_mesh_digest_flags {
	MG_MESH_DIGEST_REPLY = 1,       /* sender wants a SUMMARY of differing buckets back */
};

/* Node record (docs/protocol.md, "Node record"). */
enum mg_mesh_record_sizes {
	MG_MESH_RECORD_VERSION = 1,
	MG_MESH_MAX_ENDPOINTS = 4,
	MG_MESH_RECORD_FIXED = 2 + 32 + 32 + 8 + 8 + 8 + 1 + 2 + 1 + 4 + 2 + 4 + 2 + 1,
	MG_MESH_RECORD_MIN = MG_MESH_RECORD_FIXED + MG_MESH_SIG_LEN,
	MG_MESH_RECORD_MAX = MG_MESH_RECORD_MIN + MG_MESH_MAX_ENDPOINTS * MG_MESH_ADDR_LEN,
};

enum mg_mesh_roles {
	MG_MESH_ROLE_ENTRY = 1,
	MG_MESH_ROLE_RELAY = 2,
	MG_MESH_ROLE_EXIT = 4,
};

enum mg_mesh_continent {
	MG_MESH_CONT_UNKNOWN = 0, MG_MESH_CONT_AF, MG_MESH_CONT_AN, MG_MESH_CONT_AS,
	MG_MESH_CONT_EU, MG_MESH_CONT_NA, MG_MESH_CONT_OC, MG_MESH_CONT_SA,
};

/* Exit policy summary: what an exit lets out, coarse, for path selection only. */
enum mg_mesh_exit_policy {
	MG_MESH_EXIT_WEB = 1,           /* tcp 80, 443 */
	MG_MESH_EXIT_TCP_ALL = 2,
	MG_MESH_EXIT_UDP_ALL = 4,
	MG_MESH_EXIT_DNS = 8,
	MG_MESH_EXIT_SMTP = 16,
	MG_MESH_EXIT_IPV6 = 32,
};

/* Membership state of a node in the view, and health colour of a neighbour. */
enum mg_mesh_member_state { MG_MESH_ALIVE = 0, MG_MESH_SUSPECT = 1, MG_MESH_DEAD = 2 };
enum mg_mesh_colour { MG_MESH_GREEN = 0, MG_MESH_YELLOW = 1, MG_MESH_RED = 2 };

/* Routes. Metric 0xFFFF is infinity: a retraction. */
enum mg_mesh_route_const {
	MG_MESH_METRIC_INF = 0xFFFF,
	MG_MESH_SEQREQ_HOPS = 16,
};

#define MG_MESH_NS_PER_MS 1000000ULL
#define MG_MESH_NS_PER_S 1000000000ULL

/* Defaults, all overridable in struct mg_mesh_config (node.h). */
#define MG_MESH_DEF_GOSSIP_INTERVAL_NS (1000 * MG_MESH_NS_PER_MS)
#define MG_MESH_DEF_PROBE_INTERVAL_NS (1000 * MG_MESH_NS_PER_MS)
#define MG_MESH_DEF_PROBE_TIMEOUT_NS (500 * MG_MESH_NS_PER_MS)
#define MG_MESH_DEF_SUSPICION_NS (6000 * MG_MESH_NS_PER_MS)
#define MG_MESH_DEF_RECORD_LIFETIME_NS (3600 * MG_MESH_NS_PER_S)
#define MG_MESH_DEF_RECORD_REFRESH_NS (1200 * MG_MESH_NS_PER_S)
#define MG_MESH_DEF_ROUTE_INTERVAL_NS (4000 * MG_MESH_NS_PER_MS)
#define MG_MESH_MAX_CLOCK_SKEW_NS (30 * MG_MESH_NS_PER_S)  /* datagram counters, record issue time */
#define MG_MESH_MAX_RECORD_LIFETIME_NS (24 * 3600 * MG_MESH_NS_PER_S)
#define MG_MESH_REPLAY_REORDER_NS (2 * MG_MESH_NS_PER_S)   /* how late a reordered datagram may be */

enum mg_mesh_defaults {
	MG_MESH_DEF_STORE_CAP = 4096,
	MG_MESH_DEF_SOURCE_CAP = 1024,  /* unconfirmed records one source may have introduced */
	MG_MESH_DEF_NEIGHBOURS = 8,
	MG_MESH_DEF_FANOUT = 2,
	MG_MESH_DEF_GOSSIP_RECORDS = 32, /* records sent per digest exchange, per direction */
	MG_MESH_DEF_INDIRECT = 3,
	MG_MESH_DEF_MAX_PREFIXES = 256,
	MG_MESH_DEF_ROUTES_PER_PREFIX = 8,
	MG_MESH_RUMOURS_MAX = 256,
	MG_MESH_REPLAY_RECENT = 8,
	MG_MESH_LOSS_WINDOW = 32,
	MG_MESH_RELAY_PENDING = 32,     /* indirect probes this node relays at once */
};

/* Counters of the whole node, by reason; one X-macro gives the enum and the names. */
#define MG_MESH_COUNTERS(X) \
	X(RX_DGRAMS) X(RX_BYTES) X(RX_TOO_SHORT) X(RX_TOO_LONG) X(RX_BAD_MAGIC) \
	X(RX_BAD_VERSION) X(RX_BAD_LENGTH) X(RX_BAD_SIG) X(RX_FROM_SELF) X(RX_REPLAY) \
	X(RX_CLOCK_SKEW) X(RX_BAD_TLV) X(RX_UNKNOWN_TLV) X(RX_SEED_MISMATCH) \
	X(REC_ACCEPTED) X(REC_DUPLICATE) X(REC_MALFORMED) X(REC_UNSIGNED) X(REC_BAD_SIG) \
	X(REC_STALE) X(REC_EXPIRED) X(REC_FUTURE) X(REC_SOURCE_CAP) X(REC_TOTAL_CAP) \
	X(REC_EVICTED) X(REC_REMOVED_EXPIRED) \
	X(MEMBER_SUSPECT) X(MEMBER_DEAD) X(MEMBER_REFUTED) X(MEMBER_STALE_RUMOUR) \
	X(PROBE_SENT) X(PROBE_ACKED) X(PROBE_INDIRECT) X(PROBE_LATE_ACK) X(PROBE_RELAYED) \
	X(ROUTE_ACCEPTED) X(ROUTE_UNFEASIBLE) X(ROUTE_RETRACTED) X(ROUTE_TABLE_FULL) \
	X(ROUTE_SEQREQ_SENT) X(ROUTE_SEQREQ_RCVD) X(ROUTE_TRIGGERED) \
	X(TX_DGRAMS) X(TX_BYTES) X(TX_OUT_FULL) X(EV_OUT_FULL)

#define MG_MESH_CTR_ENUM(n) MG_MESH_CTR_##n,
enum mg_mesh_counter { MG_MESH_COUNTERS(MG_MESH_CTR_ENUM) MG_MESH_CTR__COUNT };
#undef MG_MESH_CTR_ENUM

/* Name of a counter ("rx_bad_sig"), for telemetry and meshctl. */
const char *mg_mesh_counter_name(enum mg_mesh_counter c);

#endif /* MG_MESH_CONST_H */
