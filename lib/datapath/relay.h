/* Relay targets: the WireGuard endpoints of the mesh nodes in this node's signed view.
 *
 * A relay peels one layer of a nested tunnel and forwards the still-encrypted inner WireGuard
 * packet to the next hop. It may do so only towards known mesh nodes: the control lcore keeps
 * this set equal to the alive members' WireGuard endpoints, workers look (address, UDP port) up
 * lock-free. A relay-only node forwards nothing else; an exit-and-relay node also lets packets
 * to these endpoints through its protected networks (a neighbour on its own link).
 */
#ifndef MG_DP_RELAY_H
#define MG_DP_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_state.h"

/* Returns 0 or -ENOMEM; capacity = nodes the view may hold. */
int mg_dp_relay_create(struct mg_dp *dp, uint32_t capacity, int socket_id);
void mg_dp_relay_destroy(struct mg_dp *dp);

/* Worker side. */
bool mg_dp_relay_target(const struct mg_dp *dp, uint32_t ip_be, uint16_t port_be);

/* Control side: make the set equal to targets[0..n) (packed with mg_dp_endpoint_pack). */
void mg_dp_relay_sync(struct mg_dp *dp, const uint64_t *targets, uint32_t n);

#endif /* MG_DP_RELAY_H */
