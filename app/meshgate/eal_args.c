/* Building the EAL argument vector from the configuration (see eal_args.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "eal_args.h"
#include "port.h"

static int
push(struct mg_eal_args *a, const char *s)
{
	if (a->argc >= MG_EAL_MAX_ARGS - 1)
		return -1;
	snprintf(a->storage[a->argc], MG_EAL_ARG_LEN, "%s", s);
	a->argv[a->argc] = a->storage[a->argc];
	a->argc++;
	a->argv[a->argc] = NULL;
	return 0;
}

static uint64_t
meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	uint64_t v = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			sscanf(line + strlen(key), " %lu", &v);
	fclose(f);
	return v;
}

static bool
hugetlbfs_mounted(void)
{
	FILE *f = fopen("/proc/mounts", "r");
	char line[512];
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " hugetlbfs ") != NULL;
	fclose(f);
	return found;
}

bool
mg_eal_hugepages_available(uint32_t need_mb)
{
	uint64_t free_pages = meminfo_kb("HugePages_Free:");
	uint64_t page_kb = meminfo_kb("Hugepagesize:");

	return hugetlbfs_mounted() && free_pages * page_kb >= (uint64_t)need_mb * 1024;
}

static int
push_ports(struct mg_eal_args *a, const struct mg_config *cfg, char *err, size_t errlen)
{
	bool any_pci = false;

	for (unsigned i = 0; i < cfg->n_ports; i++) {
		char opt[16], value[MG_EAL_ARG_LEN];

		if (mg_port_eal_arg(&cfg->ports[i], i, mg_config_port_queues(cfg), opt, sizeof(opt),
				    value, sizeof(value)) != 0) {
			snprintf(err, errlen, "port %s: unknown driver %s", cfg->ports[i].name,
				 cfg->ports[i].driver);
			return -1;
		}
		any_pci |= strcmp(opt, "-a") == 0;
		push(a, opt);
		push(a, value);
	}
	if (!any_pci)
		push(a, "--no-pci");
	return 0;
}

/* lcore 0 is the control lcore. When the machine has fewer CPUs than lcores (a small test box),
 * map lcores onto CPUs round robin with --lcores and say so: they then share cores. */
static void
push_lcores(struct mg_eal_args *a, unsigned int n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char buf[MG_EAL_ARG_LEN];
	int len = 0;

	if (cpus <= 0 || (unsigned long)cpus >= n) {
		snprintf(buf, sizeof(buf), "0-%u", n - 1);
		push(a, "-l");
		push(a, buf);
		return;
	}
	len = snprintf(buf, sizeof(buf), "--lcores=");
	for (unsigned int i = 0; i < n && len < (int)sizeof(buf); i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%u@%lu", i ? "," : "", i,
				(unsigned long)i % (unsigned long)cpus);
	push(a, buf);
	a->shared_cpus = true;
}

int
mg_eal_args_build(struct mg_eal_args *a, const struct mg_config *cfg, const char *prog,
		  int extra_argc, char **extra_argv, char *err, size_t errlen)
{
	char buf[MG_EAL_ARG_LEN];

	memset(a, 0, sizeof(*a));
	push(a, prog);
	snprintf(buf, sizeof(buf), "--file-prefix=%s", cfg->instance);
	push(a, buf);
	push_lcores(a, mg_config_dataplane_lcores(cfg) + 1);
	if (push_ports(a, cfg, err, errlen) != 0)
		return -1;

	a->hugepages = cfg->hugepages == MG_HUGEPAGES_ON ||
		       (cfg->hugepages == MG_HUGEPAGES_AUTO &&
			mg_eal_hugepages_available(cfg->memory_mb));
	/* With hugepages, the page files are unlinked as soon as they are mapped: the kernel
	 * gives the pages back when the process ends, however it ends, instead of leaving them
	 * behind in the hugetlbfs mount until a later run with the same file prefix. */
	push(a, a->hugepages ? "--huge-unlink" : "--no-huge");
	push(a, "-m");
	snprintf(buf, sizeof(buf), "%u", cfg->memory_mb);
	push(a, buf);
	push(a, "--log-level=lib.eal:warning");
	for (unsigned i = 0; i < cfg->n_eal_args; i++)
		push(a, cfg->eal_args[i]);
	for (int i = 0; i < extra_argc; i++)
		if (push(a, extra_argv[i]) != 0) {
			snprintf(err, errlen, "too many EAL arguments");
			return -1;
		}
	return 0;
}
