/* Datagram framing: big-endian helpers, address and prefix codecs, header + TLVs + signature.
 *
 * The signature covers "meshgate datagram v1\0" | header | messages, so a datagram cannot be
 * taken for a node record (which uses another domain) or altered in flight. Every length is
 * checked against the buffer before it is read.
 */
#include <string.h>

#include <sodium.h>

#include "wire.h"

static const char dgram_domain[] = "meshgate datagram v1"; /* sizeof includes the NUL */

void mg_mesh_put_u16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }
void mg_mesh_put_u32(uint8_t *p, uint32_t v)
{
	mg_mesh_put_u16(p, v >> 16);
	mg_mesh_put_u16(p + 2, v);
}
void mg_mesh_put_u64(uint8_t *p, uint64_t v)
{
	mg_mesh_put_u32(p, v >> 32);
	mg_mesh_put_u32(p + 4, v);
}
uint16_t mg_mesh_get_u16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
uint32_t mg_mesh_get_u32(const uint8_t *p)
{
	return (uint32_t)mg_mesh_get_u16(p) << 16 | mg_mesh_get_u16(p + 2);
}
uint64_t mg_mesh_get_u64(const uint8_t *p)
{
	return (uint64_t)mg_mesh_get_u32(p) << 32 | mg_mesh_get_u32(p + 4);
}

static unsigned addr_bytes(uint8_t family)
{
	return family == 4 ? 4 : family == 6 ? 16 : 0;
}

static bool tail_zero(const uint8_t *p, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++)
		if (p[i])
			return false;
	return true;
}

void mg_mesh_addr_put(uint8_t *p, const struct mg_mesh_addr *a)
{
	unsigned n = addr_bytes(a->family);

	p[0] = a->family;
	mg_mesh_put_u16(p + 1, a->port);
	memset(p + 3, 0, 16);
	memcpy(p + 3, a->ip, n);
}

int mg_mesh_addr_get(struct mg_mesh_addr *a, const uint8_t *p)
{
	unsigned n = addr_bytes(p[0]);

	if (!n || !tail_zero(p + 3, n, 16))
		return -1;
	memset(a, 0, sizeof(*a));
	a->family = p[0];
	a->port = mg_mesh_get_u16(p + 1);
	memcpy(a->ip, p + 3, n);
	return 0;
}

bool mg_mesh_addr_eq(const struct mg_mesh_addr *a, const struct mg_mesh_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->ip, b->ip, addr_bytes(a->family)) == 0;
}

void mg_mesh_prefix_put(uint8_t *p, const struct mg_mesh_prefix *pf)
{
	p[0] = pf->family;
	p[1] = pf->plen;
	memcpy(p + 2, pf->addr, 16);
}

/* Canonical: host bits beyond plen are zero, so one prefix has one encoding. */
int mg_mesh_prefix_get(struct mg_mesh_prefix *pf, const uint8_t *p)
{
	unsigned n = addr_bytes(p[0]);
	unsigned plen = p[1];

	if (!n || plen > n * 8 || !tail_zero(p + 2, n, 16))
		return -1;
	for (unsigned bit = plen; bit < n * 8; bit++)
		if (p[2 + bit / 8] & (0x80 >> (bit % 8)))
			return -1;
	pf->family = p[0];
	pf->plen = plen;
	memcpy(pf->addr, p + 2, 16);
	return 0;
}

bool mg_mesh_prefix_eq(const struct mg_mesh_prefix *a, const struct mg_mesh_prefix *b)
{
	return a->family == b->family && a->plen == b->plen && memcmp(a->addr, b->addr, 16) == 0;
}

void mg_mesh_wire_begin(struct mg_mesh_writer *w, uint8_t *buf, size_t cap,
			const uint8_t sender[MG_MESH_ID_LEN], uint64_t counter)
{
	w->buf = buf;
	w->cap = cap < MG_MESH_DGRAM_MAX ? cap : MG_MESH_DGRAM_MAX;
	mg_mesh_put_u32(buf, MG_MESH_MAGIC);
	buf[4] = MG_MESH_VERSION;
	buf[5] = 0;
	mg_mesh_put_u16(buf + 6, 0);
	memcpy(buf + 8, sender, MG_MESH_ID_LEN);
	mg_mesh_put_u64(buf + 40, counter);
	w->len = MG_MESH_HDR_LEN;
}

size_t mg_mesh_wire_room(const struct mg_mesh_writer *w)
{
	size_t used = w->len + MG_MESH_TLV_HDR_LEN + MG_MESH_SIG_LEN;

	return used >= w->cap ? 0 : w->cap - used;
}

uint8_t *mg_mesh_wire_add(struct mg_mesh_writer *w, uint8_t type, uint16_t len)
{
	uint8_t *p;

	if (len > mg_mesh_wire_room(w))
		return NULL;
	p = w->buf + w->len;
	p[0] = type;
	mg_mesh_put_u16(p + 1, len);
	w->len += MG_MESH_TLV_HDR_LEN + len;
	return p + MG_MESH_TLV_HDR_LEN;
}

bool mg_mesh_wire_empty(const struct mg_mesh_writer *w)
{
	return w->len == MG_MESH_HDR_LEN;
}

/* Sign domain | header | messages without copying: a multi-part Ed25519ph would change the
 * algorithm, so the domain is prepended in a scratch buffer of bounded size. */
static void sign_dgram(uint8_t *sig, const uint8_t *msg, size_t len, const uint8_t *sk)
{
	uint8_t tmp[sizeof(dgram_domain) + MG_MESH_DGRAM_MAX];

	memcpy(tmp, dgram_domain, sizeof(dgram_domain));
	memcpy(tmp + sizeof(dgram_domain), msg, len);
	crypto_sign_detached(sig, NULL, tmp, sizeof(dgram_domain) + len, sk);
}

size_t mg_mesh_wire_finish(struct mg_mesh_writer *w, const uint8_t sk[MG_MESH_SK_LEN])
{
	mg_mesh_put_u16(w->buf + 6, (uint16_t)(w->len - MG_MESH_HDR_LEN));
	sign_dgram(w->buf + w->len, w->buf, w->len, sk);
	w->len += MG_MESH_SIG_LEN;
	return w->len;
}

static int verify_dgram(const uint8_t *buf, size_t body_len, const uint8_t *sender)
{
	uint8_t tmp[sizeof(dgram_domain) + MG_MESH_DGRAM_MAX];

	memcpy(tmp, dgram_domain, sizeof(dgram_domain));
	memcpy(tmp + sizeof(dgram_domain), buf, body_len);
	return crypto_sign_verify_detached(buf + body_len, tmp, sizeof(dgram_domain) + body_len,
					   sender);
}

int mg_mesh_wire_open(struct mg_mesh_dgram_hdr *hdr, const uint8_t *buf, size_t len)
{
	uint16_t body;

	if (len < MG_MESH_DGRAM_MIN)
		return MG_MESH_CTR_RX_TOO_SHORT;
	if (len > MG_MESH_DGRAM_MAX)
		return MG_MESH_CTR_RX_TOO_LONG;
	if (mg_mesh_get_u32(buf) != MG_MESH_MAGIC)
		return MG_MESH_CTR_RX_BAD_MAGIC;
	if (buf[4] != MG_MESH_VERSION)
		return MG_MESH_CTR_RX_BAD_VERSION;
	body = mg_mesh_get_u16(buf + 6);
	if ((size_t)MG_MESH_HDR_LEN + body + MG_MESH_SIG_LEN != len || buf[5] != 0)
		return MG_MESH_CTR_RX_BAD_LENGTH;
	if (verify_dgram(buf, MG_MESH_HDR_LEN + body, buf + 8) != 0)
		return MG_MESH_CTR_RX_BAD_SIG;
	hdr->flags = buf[5];
	hdr->length = body;
	memcpy(hdr->sender, buf + 8, MG_MESH_ID_LEN);
	hdr->counter = mg_mesh_get_u64(buf + 40);
	hdr->msgs = buf + MG_MESH_HDR_LEN;
	return 0;
}

int mg_mesh_wire_next(const struct mg_mesh_dgram_hdr *hdr, size_t *off, struct mg_mesh_tlv *tlv)
{
	size_t left = hdr->length - *off;

	if (*off >= hdr->length)
		return 0;
	if (left < MG_MESH_TLV_HDR_LEN)
		return -1;
	tlv->type = hdr->msgs[*off];
	tlv->len = mg_mesh_get_u16(hdr->msgs + *off + 1);
	if ((size_t)tlv->len > left - MG_MESH_TLV_HDR_LEN)
		return -1;
	tlv->val = hdr->msgs + *off + MG_MESH_TLV_HDR_LEN;
	*off += MG_MESH_TLV_HDR_LEN + tlv->len;
	return 1;
}
