/* The data-plane stage functions. Each takes a burst and returns how many packets go on; the
 * worker loop (run-to-completion) chains them, and a pipeline arrangement can put any of them on
 * its own lcore between rings. None allocates memory beyond mempools, takes a lock the control
 * lcore holds, or logs per packet.
 *
 *   mesh side:     classify -> decrypt -> egress (policy, NAT out) -> l2 output to internet port
 *   internet side: classify -> ingress (NAT in) -> encrypt -> l2 output to mesh port
 */
#ifndef MG_DP_STAGES_H
#define MG_DP_STAGES_H

#include <stdint.h>

#include "dp_burst.h"
#include "dp_state.h"

struct mg_dp_classified {
	struct mg_dp_burst wg_data;  /* WireGuard transport data to us */
	struct mg_dp_burst punt;     /* for the control lcore: ARP, handshakes, ICMP to us */
	struct mg_dp_burst internet; /* IPv4 to our public address: NAT in */
	struct mg_dp_burst drop;     /* counted already */
};

/* Sort a received burst from port index `port` by what happens next. IPv4 packets leave with
 * m->l2_len = 14 and m->l3_len = the IPv4 header length (validated), for the next stages. */
void mg_dp_classify(struct mg_dp_worker *w, unsigned int port, struct rte_mbuf **pkts,
		    uint16_t n, struct mg_dp_classified *out);

/* WireGuard transport data: find keypair, replay check, open the burst in place (one AEAD
 * submission per 32 packets), commit the replay window for authenticated packets in order, roam
 * endpoint; strip the outer headers so the inner IPv4 packet starts the mbuf, peer id in the
 * mbuf. Keepalives are consumed (tail). Takes packets as mg_dp_classify put them in wg_data: outer
 * IPv4 and UDP validated, the IPv4 header length in m->l3_len. */
uint16_t mg_dp_decrypt(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now);

/* Inner packets from peers to the internet: validate, reverse-path check, TTL, exit policy, NAT
 * out, MSS clamp, Ethernet header for the internet port. ICMP errors for the client are added to
 * to_peer (they still need encrypting). */
uint16_t mg_dp_egress(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now,
		      struct mg_dp_burst *to_peer);

/* Packets from the internet to our public address: strip Ethernet, NAT in (finds the peer),
 * TTL, MSS clamp. Kept packets carry their peer id and still need encrypting. ICMP
 * "fragmentation needed" for oversized DF packets goes to to_internet, ready to send. Takes
 * packets as mg_dp_classify put them in `internet`: IPv4 header and L4 header validated (not
 * parsed again here), the IPv4 header length in m->l3_len. */
uint16_t mg_dp_ingress(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now,
		       struct mg_dp_burst *to_internet);

/* Inner packets (or empty keepalives) for peers: pad, seal with the peer's current keypair,
 * prepend WireGuard, UDP, IPv4 and Ethernet headers for the peer's endpoint. */
uint16_t mg_dp_encrypt(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now);

/* Internet packets (Ethernet at the front) whose NAT session another worker owns go to its
 * hand-off ring; returns how many stay here. */
uint16_t mg_dp_steer(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n);

/* Run-to-completion with several workers: WireGuard data frames (as classify put them in
 * `wg_data`) for a keypair another worker owns go to that worker's wg hand-off ring, so each
 * keypair's replay window has one writer; returns how many stay here. Claims unowned keypairs. */
uint16_t mg_dp_steer_wg(struct mg_dp_worker *w, struct rte_mbuf **pkts, uint16_t n);

/* The worker whose NAT owns public port (or echo identifier) `port`. */
unsigned int mg_dp_port_owner(const struct mg_dp *dp, int port);

/* Prepend an Ethernet header for next hop `ip_be` on port index `port`. False: no neighbour yet
 * (the control lcore has been asked to resolve it). */
bool mg_dp_l2_prepend(struct mg_dp_worker *w, unsigned int port, struct rte_mbuf *m,
		      uint32_t dst_ip_be, uint64_t now);

/* The neighbour a stage found last, reused for the rest of one burst (entries may change between
 * bursts, never mid-burst as far as one stage is concerned). Start each burst with hop_be = 0. */
struct mg_dp_l2_cache {
	uint32_t hop_be;  /* 0: empty */
	unsigned int port;
	struct rte_ether_hdr eth; /* the whole header for it (IPv4), copied as is */
};

/* mg_dp_l2_prepend through the cache: a packet to the cached next hop skips the table. */
bool mg_dp_l2_prepend_cached(struct mg_dp_worker *w, unsigned int port, struct rte_mbuf *m,
			     uint32_t dst_ip_be, uint64_t now, struct mg_dp_l2_cache *c);

/* An ICMP error from our public address quoting quote[0..quote_len), in a new mbuf from the
 * worker's pool (counted); NULL when the pool is empty or the packet must not be answered. */
struct rte_mbuf *mg_dp_icmp_error(struct mg_dp_worker *w, const uint8_t *quote,
				  uint32_t quote_len, uint8_t type, uint8_t code, uint16_t mtu);

/* The next hop for a destination leaving port index `port`: the address itself when on-link,
 * else the port's gateway (0 if none). */
uint32_t mg_dp_next_hop(const struct mg_dp_port *port, uint32_t dst_ip_be);

#endif /* MG_DP_STAGES_H */
