/* The gateway assembled from its configuration: ports, tables, policy, NAT per worker, the
 * WireGuard device with its peers, the workers and the control lcore. Built after EAL init,
 * torn down (keys wiped) on exit. The daemon, the benchmarks and in-process tests share it. */
#ifndef MG_GATEWAY_H
#define MG_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct mg_gateway;

struct mg_gateway *mg_gateway_create(const struct mg_config *cfg, volatile bool *quit,
				     char *err, size_t errlen);
/* Launch the workers on their lcores and run the control loop on this one until *quit. */
void mg_gateway_run(struct mg_gateway *g);
void mg_gateway_print_stats(struct mg_gateway *g);

/* The data-plane AEAD the workers run, for the operator: "IPsec-MB 1.3.0, avx512 code path".
 * IPsec-MB picks the code for the CPU at start-up; it changes throughput by up to 2.5x. */
void mg_gateway_describe_aead(const struct mg_gateway *g, char *buf, size_t len);

/* The parts, for benchmarks and tests that drive the workers directly. */
struct mg_dp *mg_gateway_dp(struct mg_gateway *g);
struct mg_wg_device *mg_gateway_device(struct mg_gateway *g);
struct mg_control *mg_gateway_control(struct mg_gateway *g);
void mg_gateway_destroy(struct mg_gateway *g);

#endif /* MG_GATEWAY_H */
