/* ICMP addressed to the gateway itself: echo requests to any of our addresses are answered
 * (rewritten in place and sent back to the Ethernet sender); everything else is dropped. */
#include <rte_ether.h>

#include "control_internal.h"
#include "icmp.h"
#include "ipv4.h"

void
mg_ctl_icmp_input(struct mg_control *c, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint8_t *ip = (uint8_t *)(eth + 1);
	uint32_t len = rte_pktmbuf_data_len(m) - sizeof(*eth);
	struct mg_pkt_ipv4_info info;
	struct rte_ether_addr tmp;

	if (mg_pkt_ipv4_parse(ip, len, &info) != MG_PKT_VERDICT_OK ||
	    !mg_pkt_icmp_echo_to_reply(ip, info.total_len)) {
		MG_CTL_COUNT(c, ICMP_INVALID);
		rte_pktmbuf_free(m);
		return;
	}
	rte_pktmbuf_trim(m, len - info.total_len);
	tmp = eth->dst_addr;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = tmp;
	MG_CTL_COUNT(c, ICMP_ECHO_ANSWERED);
	mg_ctl_send_frame(c, m->port, m);
}
