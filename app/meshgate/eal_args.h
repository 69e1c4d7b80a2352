/* The EAL command line meshgate builds from its configuration: file prefix, lcores, ports as
 * vdevs or allowed PCI devices, hugepages or not (detected when "auto"), memory, extra args. */
#ifndef MG_EAL_ARGS_H
#define MG_EAL_ARGS_H

#include <stdbool.h>

#include "config.h"

enum { MG_EAL_MAX_ARGS = 64 + MG_CONFIG_MAX_EAL_ARGS, MG_EAL_ARG_LEN = 512 };

struct mg_eal_args {
	int argc;
	char *argv[MG_EAL_MAX_ARGS];
	char storage[MG_EAL_MAX_ARGS][MG_EAL_ARG_LEN];
	bool hugepages;
	bool shared_cpus; /* more lcores than CPUs: lcores were mapped onto shared CPUs */
};

/* extra: arguments given after "--" on the command line. Returns -1 with err on failure. */
int mg_eal_args_build(struct mg_eal_args *a, const struct mg_config *cfg, const char *prog,
		      int extra_argc, char **extra_argv, char *err, size_t errlen);

/* Whether hugetlbfs is mounted with at least need_mb of free pages. */
bool mg_eal_hugepages_available(uint32_t need_mb);

#endif /* MG_EAL_ARGS_H */
