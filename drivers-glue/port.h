/* Port bring-up for every kind of port meshgate runs on: af_packet, tap, ring, null and pcap
 * virtual devices, and physical PCI NICs. This layer knows ports, queues, RSS and offload
 * capabilities; it knows nothing of the protocols that run over them.
 */
#ifndef MG_PORT_H
#define MG_PORT_H

#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

#include "config.h"

struct rte_mempool;

/* The EAL argument that creates or allows this port: "--vdev=..." or "-a <pci>" split into
 * opt and value. Port `idx` is its position in the config. Returns -1 on an unknown driver. */
int mg_port_eal_arg(const struct mg_port_config *pc, unsigned int idx, unsigned int n_queues,
		    char *opt, size_t opt_len, char *value, size_t value_len);

/* After EAL init: the ethdev port id of configured port `idx`. */
int mg_port_lookup(const struct mg_port_config *pc, unsigned int idx, uint16_t *port_id);

/* Configure n_queues RX/TX queue pairs (RSS over them when the device can), set the MTU, start
 * the port. On failure returns -1 with a message naming the port in err. */
int mg_port_start(uint16_t port_id, const struct mg_port_config *pc, unsigned int n_queues,
		  struct rte_mempool *pool, struct rte_ether_addr *mac, char *err, size_t errlen);

void mg_port_stop(uint16_t port_id);

#endif /* MG_PORT_H */
