/* Signed node records: what a node says about itself, bound to its Ed25519 identity.
 *
 * A record carries the node's WireGuard static key, endpoints, roles, region, capacity, load,
 * uptime, exit policy summary, a sequence number and issue/expiry times. It is signed with
 * crypto_sign_detached over "meshgate node record v1\0" | encoded body; the node id is the key.
 */
#ifndef MG_MESH_RECORD_H
#define MG_MESH_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "mesh_const.h"
#include "wire.h"

struct mg_mesh_record {
	uint8_t id[MG_MESH_ID_LEN];        /* Ed25519 public key */
	uint8_t wg_key[MG_MESH_WGKEY_LEN]; /* WireGuard static public key */
	uint64_t seq;                      /* strictly higher in every newer record */
	uint64_t issued_ns;                /* Unix time, ns */
	uint64_t expires_ns;               /* Unix time, ns */
	uint8_t roles;                     /* enum mg_mesh_roles bits */
	char country[2];                   /* ISO 3166-1 alpha-2, upper case, or "ZZ" */
	uint8_t continent;                 /* enum mg_mesh_continent */
	uint32_t capacity_mbps;
	uint16_t load_permille;            /* 0..1000 */
	uint32_t uptime_s;
	uint16_t exit_policy;              /* enum mg_mesh_exit_policy bits */
	uint8_t n_endpoints;
	struct mg_mesh_addr endpoints[MG_MESH_MAX_ENDPOINTS];
	uint8_t sig[MG_MESH_SIG_LEN];
};

/* Encoded size of r (body and signature). */
size_t mg_mesh_record_size(const struct mg_mesh_record *r);
/* Encode body and signature into buf; returns the size, or 0 if cap is too small or r is
 * out of range (too many endpoints, load > 1000). */
size_t mg_mesh_record_encode(const struct mg_mesh_record *r, uint8_t *buf, size_t cap);
/* Decode strictly (exact length, canonical fields). Returns 0 or MG_MESH_CTR_REC_MALFORMED.
 * Does not verify the signature. */
int mg_mesh_record_decode(struct mg_mesh_record *r, const uint8_t *buf, size_t len);
/* Set r->id from sk and sign r in place. Returns 0 or -1 (encoding failed). */
int mg_mesh_record_sign(struct mg_mesh_record *r, const uint8_t sk[MG_MESH_SK_LEN]);
/* Verify the signature: 0, MG_MESH_CTR_REC_UNSIGNED (all-zero signature) or
 * MG_MESH_CTR_REC_BAD_SIG (forged, altered, or signed under another domain). */
int mg_mesh_record_verify(const struct mg_mesh_record *r);
/* Check the times against now: 0, MG_MESH_CTR_REC_EXPIRED (expires_ns <= now) or
 * MG_MESH_CTR_REC_FUTURE (issued beyond the clock skew, or a lifetime over the maximum). */
int mg_mesh_record_check_time(const struct mg_mesh_record *r, uint64_t now_ns);
/* Decode, verify and time-check in one go; returns 0 or the reason as above. */
int mg_mesh_record_parse(struct mg_mesh_record *r, const uint8_t *buf, size_t len,
			 uint64_t now_ns);

#endif /* MG_MESH_RECORD_H */
