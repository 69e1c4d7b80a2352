/* Names for the data-plane counters, and their sum over workers. */
#include <string.h>

#include "dp_counters.h"

#define MG_DP_NAME(id, name) name,
static const char *const counter_names[] = { MG_DP_COUNTER_LIST(MG_DP_NAME) };
static const char *const drop_names[] = { MG_DP_DROP_LIST(MG_DP_NAME) };
#undef MG_DP_NAME

const char *
mg_dp_counter_name(enum mg_dp_counter c)
{
	return c < MG_DP_COUNTER_MAX ? counter_names[c] : "unknown";
}

const char *
mg_dp_drop_name(enum mg_dp_drop d)
{
	return d < MG_DP_DROP_MAX ? drop_names[d] : "unknown";
}

void
mg_dp_counters_sum(const struct mg_dp_counters *per_worker, unsigned n, struct mg_dp_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned w = 0; w < n; w++) {
		for (unsigned i = 0; i < MG_DP_COUNTER_MAX; i++)
			out->c[i] += __atomic_load_n(&per_worker[w].c[i], __ATOMIC_RELAXED);
		for (unsigned i = 0; i < MG_DP_DROP_MAX; i++)
			out->drop[i] += __atomic_load_n(&per_worker[w].drop[i], __ATOMIC_RELAXED);
	}
}
