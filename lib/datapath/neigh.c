/* The neighbour table: open addressing on (port, address), slots never freed while running.
 * A gateway talks to few neighbours (its gateways, clients on its mesh link), so 1024 slots
 * with linear probing are plenty; a full table refuses new entries and the packet is counted. */
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "neigh.h"

#define MAC_VALID (1ULL << 63)

static uint32_t
slot_of(uint16_t port, uint32_t ip_be)
{
	return rte_hash_crc_4byte(ip_be, port) & (MG_NEIGH_SLOTS - 1);
}

struct mg_neigh_table *
mg_neigh_create(int socket_id)
{
	return rte_zmalloc_socket("mg_neigh", sizeof(struct mg_neigh_table), RTE_CACHE_LINE_SIZE,
				  socket_id);
}

void
mg_neigh_destroy(struct mg_neigh_table *t)
{
	rte_free(t);
}

static uint64_t
mac_pack(const struct rte_ether_addr *mac)
{
	uint64_t v = 0;
	for (int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		v |= (uint64_t)mac->addr_bytes[i] << (8 * i);
	return v | MAC_VALID;
}

static void
mac_unpack(uint64_t v, struct rte_ether_addr *mac)
{
	for (int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		mac->addr_bytes[i] = (uint8_t)(v >> (8 * i));
}

bool
mg_neigh_lookup(const struct mg_neigh_table *t, uint16_t port, uint32_t ip_be,
		struct rte_ether_addr *mac)
{
	uint32_t s = slot_of(port, ip_be);

	for (unsigned i = 0; i < MG_NEIGH_MAX_PROBE; i++, s = (s + 1) & (MG_NEIGH_SLOTS - 1)) {
		const struct mg_neigh_entry *e = &t->slots[s];
		uint32_t ip = __atomic_load_n(&e->ip_be, __ATOMIC_ACQUIRE);

		if (ip == 0)
			return false;
		if (ip == ip_be && e->port == port) {
			uint64_t v = __atomic_load_n(&e->mac_valid, __ATOMIC_RELAXED);
			if (!(v & MAC_VALID))
				return false;
			mac_unpack(v, mac);
			return true;
		}
	}
	return false;
}

struct mg_neigh_entry *
mg_neigh_get(struct mg_neigh_table *t, uint16_t port, uint32_t ip_be)
{
	uint32_t s = slot_of(port, ip_be);

	for (unsigned i = 0; i < MG_NEIGH_MAX_PROBE; i++, s = (s + 1) & (MG_NEIGH_SLOTS - 1)) {
		struct mg_neigh_entry *e = &t->slots[s];

		if (e->ip_be == ip_be && e->port == port)
			return e;
		if (e->ip_be == 0) {
			e->port = port;
			__atomic_store_n(&e->ip_be, ip_be, __ATOMIC_RELEASE);
			t->used++;
			return e;
		}
	}
	return NULL;
}

void
mg_neigh_set_mac(struct mg_neigh_entry *e, const struct rte_ether_addr *mac, uint64_t now_ns)
{
	__atomic_store_n(&e->mac_valid, mac_pack(mac), __ATOMIC_RELAXED);
	e->updated_ns = now_ns;
}

bool
mg_neigh_entry_valid(const struct mg_neigh_entry *e)
{
	return (e->mac_valid & MAC_VALID) != 0;
}
