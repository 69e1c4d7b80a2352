/* ICMP errors and echo replies originated by the gateway (RFC 792, RFC 1191, RFC 1812 4.3.2).
 *
 * The error builder decides whether an offending packet may be answered at all, then writes a
 * fresh IPv4 + ICMP datagram quoting it; the echo path rewrites a request in place.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "csum.h"
#include "icmp.h"
#include "ipv4.h"

enum icmp_layout {
	IP_HDR = 20,
	ICMP_HDR = 8,
	ERR_HDRS = IP_HDR + ICMP_HDR,
	/* RFC 1812 4.3.2.5: errors carry precedence 6, internetwork control. */
	TOS_INTERNETWORK_CONTROL = 0xc0,
};

/* ICMP types that are informational (queries and their replies, RFC 792/950): the only ICMP
 * messages an error may be sent about. Unknown types count as errors, as in Linux. */
static bool
icmp_type_is_query(uint8_t type)
{
	switch (type) {
	case 0: case 8: case 9: case 10: case 13: case 14: case 15: case 16: case 17: case 18:
		return true;
	default:
		return false;
	}
}

/* RFC 1812 4.3.2.7 checks on the offending packet; *avail gets the bytes that may be quoted. */
static bool
may_answer(const uint8_t *p, uint32_t len, uint32_t *avail)
{
	uint32_t hdr_len, total, src;

	if (len < IP_HDR || (p[0] >> 4) != 4)
		return false;
	hdr_len = (uint32_t)(p[0] & 0x0f) * 4;
	total = (uint32_t)(p[2] << 8 | p[3]);
	if (hdr_len < IP_HDR || hdr_len > len || total < hdr_len)
		return false;
	if ((p[6] << 8 | p[7]) & RTE_IPV4_HDR_OFFSET_MASK)
		return false; /* not the first fragment */
	memcpy(&src, p + 12, 4);
	if (!mg_pkt_ipv4_unicast_src(src) || p[16] >= 224)
		return false; /* bad source; multicast, reserved or limited broadcast destination */
	*avail = total < len ? total : len;
	if (p[9] == IPPROTO_ICMP && (*avail <= hdr_len || !icmp_type_is_query(p[hdr_len])))
		return false; /* an ICMP error, or an ICMP message we cannot classify */
	return true;
}

static void
write_ip(uint8_t *out, uint16_t total, uint32_t src_be, uint32_t dst_be, uint8_t tos)
{
	struct rte_ipv4_hdr ip = {
		.version_ihl = RTE_IPV4_VHL_DEF,
		.type_of_service = tos,
		.total_length = rte_cpu_to_be_16(total),
		.time_to_live = MG_PKT_ICMP_ERROR_TTL,
		.next_proto_id = IPPROTO_ICMP,
		.src_addr = src_be,
		.dst_addr = dst_be,
	};

	ip.hdr_checksum = rte_ipv4_cksum(&ip);
	memcpy(out, &ip, sizeof(ip));
}

uint32_t
mg_pkt_icmp_error(uint8_t *out, uint32_t cap, uint32_t src_ip_be, const uint8_t *offending,
		  uint32_t offending_len, uint8_t type, uint8_t code, uint16_t next_hop_mtu)
{
	uint32_t avail, quote, min_quote, dst;
	uint8_t *icmp = out + IP_HDR;
	uint16_t sum;

	if (!may_answer(offending, offending_len, &avail))
		return 0;
	quote = avail;
	if (quote > MG_PKT_ICMP_ERROR_MAX - ERR_HDRS)
		quote = MG_PKT_ICMP_ERROR_MAX - ERR_HDRS;
	min_quote = (uint32_t)(offending[0] & 0x0f) * 4 + MG_PKT_ICMP_ERROR_MIN_QUOTE;
	if (min_quote > quote)
		min_quote = quote;
	if (cap < ERR_HDRS + min_quote)
		return 0;
	if (quote > cap - ERR_HDRS)
		quote = cap - ERR_HDRS;

	memcpy(&dst, offending + 12, 4);
	write_ip(out, (uint16_t)(ERR_HDRS + quote), src_ip_be, dst, TOS_INTERNETWORK_CONTROL);
	memset(icmp, 0, ICMP_HDR);
	icmp[0] = type;
	icmp[1] = code;
	if (type == MG_PKT_ICMP_DEST_UNREACH && code == MG_PKT_ICMP_FRAG_NEEDED) {
		icmp[6] = (uint8_t)(next_hop_mtu >> 8);
		icmp[7] = (uint8_t)next_hop_mtu;
	}
	memcpy(icmp + ICMP_HDR, offending, quote);
	sum = (uint16_t)~rte_raw_cksum(icmp, ICMP_HDR + quote);
	memcpy(icmp + 2, &sum, 2);
	return ERR_HDRS + quote;
}

/* Is ip[0..len) an unfragmented, option-less echo request with a correct ICMP checksum? */
static bool
is_echo_request(const uint8_t *ip, uint32_t len)
{
	uint32_t total;
	uint32_t src;

	if (len < ERR_HDRS || ip[0] != RTE_IPV4_VHL_DEF || ip[9] != IPPROTO_ICMP)
		return false;
	total = (uint32_t)(ip[2] << 8 | ip[3]);
	if (total < ERR_HDRS || total > len)
		return false;
	if ((ip[6] << 8 | ip[7]) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return false;
	memcpy(&src, ip + 12, 4);
	if (!mg_pkt_ipv4_unicast_src(src))
		return false;
	if (ip[IP_HDR] != RTE_IP_ICMP_ECHO_REQUEST || ip[IP_HDR + 1] != 0)
		return false;
	return rte_raw_cksum(ip + IP_HDR, total - IP_HDR) == 0xffff;
}

bool
mg_pkt_icmp_echo_to_reply(uint8_t *ip, uint32_t len)
{
	struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
	uint8_t *icmp = ip + IP_HDR;
	uint16_t old_w, new_w, sum;
	uint32_t a;

	if (!is_echo_request(ip, len))
		return false;
	a = h->src_addr;
	h->src_addr = h->dst_addr;
	h->dst_addr = a;
	h->time_to_live = MG_PKT_ICMP_ERROR_TTL;
	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);

	/* Type and code share one checksum word: update it, the rest of the message is unchanged. */
	memcpy(&old_w, icmp, 2);
	icmp[0] = RTE_IP_ICMP_ECHO_REPLY;
	memcpy(&new_w, icmp, 2);
	memcpy(&sum, icmp + 2, 2);
	mg_csum_replace16(&sum, old_w, new_w);
	memcpy(icmp + 2, &sum, 2);
	return true;
}
