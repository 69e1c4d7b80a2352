/* The neighbour (ARP) table: IPv4 next hop -> Ethernet address, per port.
 *
 * The control lcore is the only writer (it answers and sends ARP); workers look entries up
 * lock-free. Slots are claimed once and never move, and the MAC is published with one atomic
 * 64-bit store, so a reader sees either the old or the new address, never half of one.
 */
#ifndef MG_NEIGH_H
#define MG_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

enum mg_neigh_limits {
	MG_NEIGH_SLOTS = 1024, /* power of two */
	MG_NEIGH_MAX_PROBE = 16,
};

struct mg_neigh_entry {
	uint32_t ip_be;        /* 0 = free slot */
	uint16_t port;
	uint64_t mac_valid;    /* bits 0..47 MAC, bit 63 valid */
	uint64_t updated_ns;
	uint64_t requested_ns; /* last ARP request we sent for it */
};

struct mg_neigh_table {
	struct mg_neigh_entry slots[MG_NEIGH_SLOTS];
	uint32_t used;
};

struct mg_neigh_table *mg_neigh_create(int socket_id);
void mg_neigh_destroy(struct mg_neigh_table *t);

/* Worker side: the MAC for ip on port, if known. */
bool mg_neigh_lookup(const struct mg_neigh_table *t, uint16_t port, uint32_t ip_be,
		     struct rte_ether_addr *mac);

/* Control side: find or create the entry (NULL when the table is full). */
struct mg_neigh_entry *mg_neigh_get(struct mg_neigh_table *t, uint16_t port, uint32_t ip_be);
void mg_neigh_set_mac(struct mg_neigh_entry *e, const struct rte_ether_addr *mac, uint64_t now_ns);
bool mg_neigh_entry_valid(const struct mg_neigh_entry *e);

#endif /* MG_NEIGH_H */
