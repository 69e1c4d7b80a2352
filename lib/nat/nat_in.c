/* NAT44 internet-to-client direction: replies addressed to the public address, and ICMP errors
 * about translated packets (RFC 5508), carried back to the client and peer of their session.
 *
 * Filtering is address-and-port dependent: only a packet from a session's remote address and
 * port finds it, so a mapping alone never opens the way in.
 */
#include <netinet/in.h>
#include <stddef.h>

#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "csum.h"
#include "nat_internal.h"

/* Where the embedded (quoted) packet of an ICMP error keeps the fields NAT rewrites. */
struct quoted {
	struct rte_ipv4_hdr *ip;
	uint16_t *sport;        /* source port, or echo identifier */
	uint16_t *csum;         /* L4 checksum, NULL when not quoted */
	uint8_t proto;
	struct nat_ikey key;
};

static bool
icmp_error(uint8_t type)
{
	return type == NAT_ICMP_DEST_UNREACH || type == NAT_ICMP_TIME_EXCEEDED ||
	       type == NAT_ICMP_PARAM_PROBLEM;
}

/* Locate the quoted packet, which left through us: source public_ip, a first fragment. */
static enum mg_nat_result
quoted_parse(const struct mg_nat *nat, struct rte_icmp_hdr *icmp, uint32_t avail,
	     struct quoted *q)
{
	uint32_t eihl;
	uint8_t *l4;

	q->ip = (struct rte_ipv4_hdr *)(icmp + 1);
	if (avail < sizeof(*q->ip) || (eihl = nat_ihl(q->ip)) < sizeof(*q->ip) ||
	    avail < eihl + NAT_ICMP_ERROR_MIN_EMBEDDED_L4)
		return MG_NAT_ERR_TRUNCATED;
	if (q->ip->src_addr != nat->public_ip ||
	    (q->ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)))
		return MG_NAT_MISS;
	l4 = (uint8_t *)q->ip + eihl;
	q->proto = q->ip->next_proto_id;
	q->key = (struct nat_ikey){ .remote_addr = q->ip->dst_addr, .proto = q->proto };
	if (q->proto == IPPROTO_TCP || q->proto == IPPROTO_UDP) {
		q->sport = (uint16_t *)l4;
		q->key.remote_port = ((uint16_t *)l4)[1];
		q->csum = q->proto == IPPROTO_UDP ? &((struct rte_udp_hdr *)l4)->dgram_cksum :
			  avail >= eihl + offsetof(struct rte_tcp_hdr, cksum) + 2 ?
			  &((struct rte_tcp_hdr *)l4)->cksum : NULL;
	} else if (q->proto == IPPROTO_ICMP &&
		   ((struct rte_icmp_hdr *)l4)->icmp_type == RTE_IP_ICMP_ECHO_REQUEST) {
		q->sport = &((struct rte_icmp_hdr *)l4)->icmp_ident;
		q->csum = &((struct rte_icmp_hdr *)l4)->icmp_cksum;
	} else {
		return MG_NAT_ERR_UNSUPPORTED;
	}
	q->key.public_port = *q->sport;
	return MG_NAT_OK;
}

/* Store a new value in a 16-bit field inside the ICMP payload, fixing the ICMP checksum. */
static void
set16(uint16_t *icmp_csum, uint16_t *field, uint16_t v)
{
	mg_csum_replace16(icmp_csum, *field, v);
	*field = v;
}

/* Rewrite the quoted source (address, port, their checksums) back to the client's endpoint. */
static void
quoted_rewrite(struct rte_icmp_hdr *icmp, struct quoted *q, const struct nat_session *s)
{
	uint16_t *ic = &icmp->icmp_cksum;
	uint16_t *a_old = (uint16_t *)&q->ip->src_addr;
	const uint16_t *a_new = (const uint16_t *)&s->okey.src_addr;
	uint16_t ip_csum = q->ip->hdr_checksum, l4_csum = q->csum ? *q->csum : 0;

	mg_csum_replace32(&ip_csum, q->ip->src_addr, s->okey.src_addr);
	if (q->csum != NULL && !(q->proto == IPPROTO_UDP && l4_csum == 0)) {
		if (q->proto != IPPROTO_ICMP) /* pseudo-header: TCP and UDP only */
			mg_csum_replace32(&l4_csum, q->ip->src_addr, s->okey.src_addr);
		mg_csum_replace16(&l4_csum, *q->sport, s->okey.src_port);
		if (q->proto == IPPROTO_UDP && l4_csum == 0)
			l4_csum = 0xffff;
	}
	set16(ic, &a_old[0], a_new[0]);
	set16(ic, &a_old[1], a_new[1]);
	set16(ic, &q->ip->hdr_checksum, ip_csum);
	set16(ic, q->sport, s->okey.src_port);
	if (q->csum != NULL)
		set16(ic, q->csum, l4_csum);
}

static enum mg_nat_result
in_icmp_error(struct mg_nat *nat, struct rte_ipv4_hdr *ip, uint32_t len, uint64_t now_ns,
	      uint32_t *peer_id)
{
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + nat_ihl(ip));
	uint32_t avail = len - nat_ihl(ip) - (uint32_t)sizeof(*icmp);
	struct nat_session *s;
	struct quoted q;
	enum mg_nat_result r = quoted_parse(nat, icmp, avail, &q);

	if (r != MG_NAT_OK)
		return r;
	s = nat_session_find_in(nat, &q.key, now_ns);
	if (s == NULL)
		return MG_NAT_MISS;
	quoted_rewrite(icmp, &q, s);
	ip->dst_addr = s->okey.src_addr;
	mg_csum_replace32(&ip->hdr_checksum, nat->public_ip, s->okey.src_addr);
	*peer_id = s->okey.peer_id;
	nat_count(&nat->st.icmp_errors_in);
	return MG_NAT_OK;
}

static enum mg_nat_result
in_session(struct mg_nat *nat, struct rte_ipv4_hdr *ip, const struct nat_l4 *l4,
	   uint64_t now_ns, uint32_t *peer_id)
{
	struct nat_ikey k = { .remote_addr = ip->src_addr, .remote_port = l4->remote,
			      .public_port = *l4->own, .proto = l4->proto };
	struct nat_session *s = nat_session_find_in(nat, &k, now_ns);

	if (s == NULL)
		return MG_NAT_MISS;
	if (l4->proto == IPPROTO_TCP)
		nat_tcp_track(s, l4->tcp_flags, false);
	nat_session_touch(nat, s, now_ns);
	nat_rewrite(ip, l4, &ip->dst_addr, s->okey.src_addr, s->okey.src_port, s->in);
	*peer_id = s->okey.peer_id;
	return MG_NAT_OK;
}

enum mg_nat_result
mg_nat_in(struct mg_nat *nat, struct rte_ipv4_hdr *ip, uint32_t len, uint64_t now_ns,
	  uint32_t *peer_id)
{
	struct nat_l4 l4;
	enum mg_nat_result r = MG_NAT_MISS;

	if (likely(ip->dst_addr == nat->public_ip))
		r = nat_l4_parse(ip, len, false, &l4);
	if (likely(r == MG_NAT_OK)) {
		if (l4.proto != IPPROTO_ICMP || l4.icmp_type == RTE_IP_ICMP_ECHO_REPLY)
			r = in_session(nat, ip, &l4, now_ns, peer_id);
		else if (icmp_error(l4.icmp_type))
			r = in_icmp_error(nat, ip, len, now_ns, peer_id);
		else
			r = MG_NAT_ERR_UNSUPPORTED;
	}
	nat_count(&nat->st.in[r]);
	return r;
}
