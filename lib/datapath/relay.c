/* Relay targets (see relay.h): an rte_hash with lock-free readers whose deletes are reclaimed
 * through the data plane's RCU state, written only by the control lcore. */
#include <errno.h>
#include <stdio.h>

#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "relay.h"

int
mg_dp_relay_create(struct mg_dp *dp, uint32_t capacity, int socket_id)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = capacity < 64 ? 64 : capacity,
		.key_len = sizeof(uint64_t),
		.socket_id = socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash_rcu_config rcu = { .v = dp->qsbr, .mode = RTE_HASH_QSBR_MODE_DQ };

	snprintf(name, sizeof(name), "mg_relay");
	dp->relay_targets = rte_hash_create(&hp);
	if (dp->relay_targets == NULL)
		return -ENOMEM;
	if (rte_hash_rcu_qsbr_add(dp->relay_targets, &rcu) != 0) {
		mg_dp_relay_destroy(dp);
		return -ENOMEM;
	}
	return 0;
}

void
mg_dp_relay_destroy(struct mg_dp *dp)
{
	rte_hash_free(dp->relay_targets);
	dp->relay_targets = NULL;
}

bool
mg_dp_relay_target(const struct mg_dp *dp, uint32_t ip_be, uint16_t port_be)
{
	uint64_t key = mg_dp_endpoint_pack(ip_be, port_be);

	return dp->relay_targets != NULL && rte_hash_lookup(dp->relay_targets, &key) >= 0;
}

void
mg_dp_relay_sync(struct mg_dp *dp, const uint64_t *targets, uint32_t n)
{
	const void *key;
	void *data;
	uint32_t iter = 0;
	uint64_t stale[64];
	unsigned n_stale;

	if (dp->relay_targets == NULL)
		return;
	for (uint32_t i = 0; i < n; i++)
		rte_hash_add_key(dp->relay_targets, &targets[i]);
	/* Remove what is no longer wanted, in rounds: deleting while iterating is not allowed. */
	do {
		n_stale = 0;
		iter = 0;
		while (n_stale < RTE_DIM(stale) &&
		       rte_hash_iterate(dp->relay_targets, &key, &data, &iter) >= 0) {
			uint64_t k = *(const uint64_t *)key;
			bool wanted = false;

			for (uint32_t i = 0; i < n && !wanted; i++)
				wanted = targets[i] == k;
			if (!wanted)
				stale[n_stale++] = k;
		}
		for (unsigned i = 0; i < n_stale; i++)
			rte_hash_del_key(dp->relay_targets, &stale[i]);
	} while (n_stale == RTE_DIM(stale));
}
