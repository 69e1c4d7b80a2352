/* Datagram framing of the mesh control protocol: header, TLV messages, Ed25519 signature.
 *
 * A datagram is header | messages | signature, signed by its sender's node key under the
 * domain "meshgate datagram v1\0". Decoders here check every length against the buffer before
 * reading and return a reason (enum mg_mesh_counter) for anything malformed; nothing is trusted.
 */
#ifndef MG_MESH_WIRE_H
#define MG_MESH_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh_const.h"

/* A UDP endpoint. family 4 or 6; an IPv4 address sits in ip[0..3]; port in host order. */
struct mg_mesh_addr {
	uint8_t family;
	uint16_t port;
	uint8_t ip[16];
};

/* A destination prefix of a route. */
struct mg_mesh_prefix {
	uint8_t family;  /* 4 or 6 */
	uint8_t plen;    /* at most 32 or 128 */
	uint8_t addr[16];
};

/* A datagram being built: header written by begin, messages appended, signed by finish. */
struct mg_mesh_writer {
	uint8_t *buf;
	size_t len;
	size_t cap;      /* at most MG_MESH_DGRAM_MAX */
};

/* One decoded message: type and a pointer into the verified datagram. */
struct mg_mesh_tlv {
	uint8_t type;
	uint16_t len;
	const uint8_t *val;
};

/* A decoded, verified datagram header. */
struct mg_mesh_dgram_hdr {
	uint8_t flags;
	uint16_t length;              /* bytes of messages */
	uint8_t sender[MG_MESH_ID_LEN];
	uint64_t counter;             /* sender's send time in ns, strictly increasing per sender */
	const uint8_t *msgs;
};

/* Big-endian helpers. */
void mg_mesh_put_u16(uint8_t *p, uint16_t v);
void mg_mesh_put_u32(uint8_t *p, uint32_t v);
void mg_mesh_put_u64(uint8_t *p, uint64_t v);
uint16_t mg_mesh_get_u16(const uint8_t *p);
uint32_t mg_mesh_get_u32(const uint8_t *p);
uint64_t mg_mesh_get_u64(const uint8_t *p);

/* Addresses and prefixes, fixed sizes MG_MESH_ADDR_LEN / MG_MESH_PREFIX_LEN. Decoders return 0
 * or -1 when the family, the prefix length or the unused address bytes are not canonical. */
void mg_mesh_addr_put(uint8_t *p, const struct mg_mesh_addr *a);
int mg_mesh_addr_get(struct mg_mesh_addr *a, const uint8_t *p);
bool mg_mesh_addr_eq(const struct mg_mesh_addr *a, const struct mg_mesh_addr *b);
void mg_mesh_prefix_put(uint8_t *p, const struct mg_mesh_prefix *pf);
int mg_mesh_prefix_get(struct mg_mesh_prefix *pf, const uint8_t *p);
bool mg_mesh_prefix_eq(const struct mg_mesh_prefix *a, const struct mg_mesh_prefix *b);

/* Start a datagram from `sender` with send counter `counter` into buf (cap bytes). */
void mg_mesh_wire_begin(struct mg_mesh_writer *w, uint8_t *buf, size_t cap,
			const uint8_t sender[MG_MESH_ID_LEN], uint64_t counter);
/* Room left for one more message's value, after its TLV header and the final signature. */
size_t mg_mesh_wire_room(const struct mg_mesh_writer *w);
/* Append one message; returns a pointer to its value area (len bytes) or NULL if it won't fit. */
uint8_t *mg_mesh_wire_add(struct mg_mesh_writer *w, uint8_t type, uint16_t len);
/* True when no message was added yet. */
bool mg_mesh_wire_empty(const struct mg_mesh_writer *w);
/* Fill in the length and sign; returns the datagram's total length. sk: Ed25519 secret key. */
size_t mg_mesh_wire_finish(struct mg_mesh_writer *w, const uint8_t sk[MG_MESH_SK_LEN]);

/* Check framing and signature of a received datagram. Returns 0 and fills hdr, or the counter
 * index (> 0) of the reason it was rejected: RX_TOO_SHORT, RX_TOO_LONG, RX_BAD_MAGIC,
 * RX_BAD_VERSION, RX_BAD_LENGTH, RX_BAD_SIG. Replay is checked by the caller (node.c). */
int mg_mesh_wire_open(struct mg_mesh_dgram_hdr *hdr, const uint8_t *buf, size_t len);

/* Iterate over the messages of an opened datagram: *off starts at 0. Returns 1 with *tlv set,
 * 0 at the end, -1 when a TLV header or length runs past the end (RX_BAD_TLV). */
int mg_mesh_wire_next(const struct mg_mesh_dgram_hdr *hdr, size_t *off, struct mg_mesh_tlv *tlv);

#endif /* MG_MESH_WIRE_H */
