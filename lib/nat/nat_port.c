/* Public port choice for NAT44: one pool per protocol over this instance's range, random picks
 * from a seeded generator (RFC 6056 style: hard to guess, reproducible in tests), and a FIFO that
 * keeps a freed port out of use for the reuse delay, so late packets of an old flow never reach
 * a new mapping that happens to get the same port.
 *
 * Every operation is O(1) amortised: a pick swaps the chosen port with the last available one.
 */
#include <errno.h>

#include <rte_malloc.h>

#include "nat_internal.h"

/* splitmix64: small, fast, and good enough to make port choice unpredictable per seed. */
static uint64_t
nat_rand(struct mg_nat *nat)
{
	uint64_t z = (nat->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int
nat_ports_init(struct mg_nat *nat, int socket_id)
{
	for (int i = 0; i < NAT_PROTO_COUNT; i++) {
		struct nat_port_pool *pp = &nat->pools[i];

		pp->avail = rte_zmalloc_socket("mg_nat_ports", nat->nports * sizeof(*pp->avail), 0,
					       socket_id);
		pp->wait = rte_zmalloc_socket("mg_nat_portwait", nat->nports * sizeof(*pp->wait), 0,
					      socket_id);
		if (pp->avail == NULL || pp->wait == NULL)
			return -ENOMEM;
		for (uint32_t p = 0; p < nat->nports; p++)
			pp->avail[p] = (uint16_t)(nat->port_lo + p);
		pp->navail = nat->nports;
	}
	return 0;
}

void
nat_ports_free(struct mg_nat *nat)
{
	for (int i = 0; i < NAT_PROTO_COUNT; i++) {
		rte_free(nat->pools[i].avail);
		rte_free(nat->pools[i].wait);
		nat->pools[i].avail = NULL;
		nat->pools[i].wait = NULL;
	}
}

/* Move the ports whose delay has passed back to the available array. */
static void
nat_ports_ripen(struct mg_nat *nat, struct nat_port_pool *pp, uint64_t now_ns)
{
	while (pp->wait_count > 0 && pp->wait[pp->wait_head].ready_ns <= now_ns) {
		pp->avail[pp->navail++] = pp->wait[pp->wait_head].port;
		pp->wait_head = (pp->wait_head + 1) % nat->nports;
		pp->wait_count--;
	}
}

/* Pick a random available port (host order). -1 when every port is in use or waiting. */
int
nat_port_take(struct mg_nat *nat, int pidx, uint64_t now_ns, uint16_t *port)
{
	struct nat_port_pool *pp = &nat->pools[pidx];
	uint32_t i;

	nat_ports_ripen(nat, pp, now_ns);
	if (pp->navail == 0)
		return -1;
	/* Multiply-shift maps 32 random bits onto [0, navail) without a division. */
	i = (uint32_t)(((nat_rand(nat) >> 32) * pp->navail) >> 32);
	*port = pp->avail[i];
	pp->avail[i] = pp->avail[--pp->navail];
	return 0;
}

/* A port whose mapping is gone waits reuse_delay before it can be picked again. */
void
nat_port_release(struct mg_nat *nat, int pidx, uint16_t port, uint64_t now_ns)
{
	struct nat_port_pool *pp = &nat->pools[pidx];
	uint32_t tail = (pp->wait_head + pp->wait_count) % nat->nports;

	/* Each port is either available, in use or waiting, so the FIFO never overflows. */
	pp->wait[tail].port = port;
	pp->wait[tail].ready_ns = now_ns + nat->reuse_delay_ns;
	pp->wait_count++;
}
