/* ICMP errors the data plane originates (time exceeded and administratively prohibited back to a
 * client, fragmentation needed to an internet sender): one mbuf from the worker's pool holding an
 * IPv4 ICMP error that quotes the offending packet, counted. The caller routes it. */
#include <rte_mbuf.h>

#include "dp_stages.h"
#include "icmp.h"

struct rte_mbuf *
mg_dp_icmp_error(struct mg_dp_worker *w, const uint8_t *quote, uint32_t quote_len, uint8_t type,
		 uint8_t code, uint16_t mtu)
{
	struct rte_mbuf *e = rte_pktmbuf_alloc(w->pool);
	uint32_t len;

	if (unlikely(e == NULL)) {
		MG_DP_DROP(w, NO_MBUF);
		return NULL;
	}
	len = mg_pkt_icmp_error(rte_pktmbuf_mtod(e, uint8_t *), rte_pktmbuf_tailroom(e),
				w->dp->public_ip_be, quote, quote_len, type, code, mtu);
	if (len == 0 || rte_pktmbuf_append(e, len) == NULL) {
		rte_pktmbuf_free(e); /* the offending packet must not be answered (RFC 1812) */
		return NULL;
	}
	MG_DP_COUNT(w, ICMP_ERRORS_SENT, 1);
	return e;
}
