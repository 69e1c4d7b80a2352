/* Node record codec, signature and time checks.
 *
 * Layout (docs/protocol.md, "Node record"): version, flags, id, wg key, seq, issued, expires,
 * roles, country, continent, capacity, load, uptime, exit policy, endpoint count, endpoints,
 * signature. The signature covers "meshgate node record v1\0" | everything before it.
 */
#include <string.h>

#include <sodium.h>

#include "record.h"

static const char record_domain[] = "meshgate node record v1"; /* sizeof includes the NUL */

size_t mg_mesh_record_size(const struct mg_mesh_record *r)
{
	return MG_MESH_RECORD_MIN + (size_t)r->n_endpoints * MG_MESH_ADDR_LEN;
}

static size_t put_body(const struct mg_mesh_record *r, uint8_t *p)
{
	p[0] = MG_MESH_RECORD_VERSION;
	p[1] = 0;
	memcpy(p + 2, r->id, 32);
	memcpy(p + 34, r->wg_key, 32);
	mg_mesh_put_u64(p + 66, r->seq);
	mg_mesh_put_u64(p + 74, r->issued_ns);
	mg_mesh_put_u64(p + 82, r->expires_ns);
	p[90] = r->roles;
	p[91] = (uint8_t)r->country[0];
	p[92] = (uint8_t)r->country[1];
	p[93] = r->continent;
	mg_mesh_put_u32(p + 94, r->capacity_mbps);
	mg_mesh_put_u16(p + 98, r->load_permille);
	mg_mesh_put_u32(p + 100, r->uptime_s);
	mg_mesh_put_u16(p + 104, r->exit_policy);
	p[106] = r->n_endpoints;
	for (unsigned i = 0; i < r->n_endpoints; i++)
		mg_mesh_addr_put(p + MG_MESH_RECORD_FIXED + i * MG_MESH_ADDR_LEN, &r->endpoints[i]);
	return MG_MESH_RECORD_FIXED + (size_t)r->n_endpoints * MG_MESH_ADDR_LEN;
}

size_t mg_mesh_record_encode(const struct mg_mesh_record *r, uint8_t *buf, size_t cap)
{
	size_t body;

	if (r->n_endpoints > MG_MESH_MAX_ENDPOINTS || r->load_permille > 1000 ||
	    cap < mg_mesh_record_size(r))
		return 0;
	body = put_body(r, buf);
	memcpy(buf + body, r->sig, MG_MESH_SIG_LEN);
	return body + MG_MESH_SIG_LEN;
}

static bool country_ok(uint8_t a, uint8_t b)
{
	return a >= 'A' && a <= 'Z' && b >= 'A' && b <= 'Z';
}

int mg_mesh_record_decode(struct mg_mesh_record *r, const uint8_t *p, size_t len)
{
	if (len < MG_MESH_RECORD_MIN || p[0] != MG_MESH_RECORD_VERSION || p[1] != 0)
		return MG_MESH_CTR_REC_MALFORMED;
	memset(r, 0, sizeof(*r));
	r->n_endpoints = p[106];
	if (r->n_endpoints > MG_MESH_MAX_ENDPOINTS || len != mg_mesh_record_size(r))
		return MG_MESH_CTR_REC_MALFORMED;
	memcpy(r->id, p + 2, 32);
	memcpy(r->wg_key, p + 34, 32);
	r->seq = mg_mesh_get_u64(p + 66);
	r->issued_ns = mg_mesh_get_u64(p + 74);
	r->expires_ns = mg_mesh_get_u64(p + 82);
	r->roles = p[90];
	r->country[0] = (char)p[91];
	r->country[1] = (char)p[92];
	r->continent = p[93];
	r->capacity_mbps = mg_mesh_get_u32(p + 94);
	r->load_permille = mg_mesh_get_u16(p + 98);
	r->uptime_s = mg_mesh_get_u32(p + 100);
	r->exit_policy = mg_mesh_get_u16(p + 104);
	if ((r->roles & ~7u) || !country_ok(p[91], p[92]) || r->continent > MG_MESH_CONT_SA ||
	    r->load_permille > 1000)
		return MG_MESH_CTR_REC_MALFORMED;
	for (unsigned i = 0; i < r->n_endpoints; i++)
		if (mg_mesh_addr_get(&r->endpoints[i],
				     p + MG_MESH_RECORD_FIXED + i * MG_MESH_ADDR_LEN) != 0)
			return MG_MESH_CTR_REC_MALFORMED;
	memcpy(r->sig, p + len - MG_MESH_SIG_LEN, MG_MESH_SIG_LEN);
	return 0;
}

/* The signed message: domain | body. */
static size_t signed_msg(const struct mg_mesh_record *r, uint8_t *msg)
{
	memcpy(msg, record_domain, sizeof(record_domain));
	return sizeof(record_domain) + put_body(r, msg + sizeof(record_domain));
}

int mg_mesh_record_sign(struct mg_mesh_record *r, const uint8_t sk[MG_MESH_SK_LEN])
{
	uint8_t msg[sizeof(record_domain) + MG_MESH_RECORD_MAX];

	if (r->n_endpoints > MG_MESH_MAX_ENDPOINTS || r->load_permille > 1000)
		return -1;
	crypto_sign_ed25519_sk_to_pk(r->id, sk);
	crypto_sign_detached(r->sig, NULL, msg, signed_msg(r, msg), sk);
	return 0;
}

int mg_mesh_record_verify(const struct mg_mesh_record *r)
{
	uint8_t msg[sizeof(record_domain) + MG_MESH_RECORD_MAX];
	static const uint8_t zero[MG_MESH_SIG_LEN];

	if (sodium_memcmp(r->sig, zero, sizeof(zero)) == 0)
		return MG_MESH_CTR_REC_UNSIGNED;
	if (crypto_sign_verify_detached(r->sig, msg, signed_msg(r, msg), r->id) != 0)
		return MG_MESH_CTR_REC_BAD_SIG;
	return 0;
}

int mg_mesh_record_check_time(const struct mg_mesh_record *r, uint64_t now_ns)
{
	if (r->expires_ns <= now_ns)
		return MG_MESH_CTR_REC_EXPIRED;
	if (r->issued_ns > now_ns + MG_MESH_MAX_CLOCK_SKEW_NS || r->expires_ns <= r->issued_ns ||
	    r->expires_ns - r->issued_ns > MG_MESH_MAX_RECORD_LIFETIME_NS)
		return MG_MESH_CTR_REC_FUTURE;
	return 0;
}

int mg_mesh_record_parse(struct mg_mesh_record *r, const uint8_t *buf, size_t len,
			 uint64_t now_ns)
{
	int rc = mg_mesh_record_decode(r, buf, len);

	if (!rc)
		rc = mg_mesh_record_check_time(r, now_ns);
	if (!rc)
		rc = mg_mesh_record_verify(r);
	return rc;
}
