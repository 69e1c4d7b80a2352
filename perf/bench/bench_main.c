/* mg_bench: options, EAL set-up (no hugepages, no PCI, worker lcores mapped onto the CPUs there
 * are), and the plan of runs: the floor, handshakes, memory, then peers x sizes x directions on
 * one worker, NAT table sizes (new flows, then established flows at random), and more workers.
 *
 *   mg_bench [--quick] [--json FILE] [--workers N] [--only pipeline|single_peer|rtc|handshake|nat]
 *            [--huge-dir DIR]
 *            [--packets N] [--size 64|512|1420|imix] [--dir mesh_to_internet|internet_to_mesh]
 *
 * Without --huge-dir the EAL heap is anonymous 4 KiB pages (--no-huge): runs anywhere, but every
 * large table costs TLB misses a production gateway on hugepages does not pay. With it, the heap
 * comes from the hugetlbfs mounted at DIR (perf/bench/run_bench.sh sets one up for `make bench`).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <intel-ipsec-mb.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_version.h>
#include <sodium.h>

#include "bench_int.h"
#include "dp.h"
#include "nat.h"

/* How much of everything: the full table, or a second or two for the test. */
struct plan {
	uint32_t peers[3];
	unsigned n_peers;
	uint32_t active_max;
	uint32_t nat_sizes[3];
	unsigned n_nat;
	uint32_t nat_peers;
	uint64_t packets;
	unsigned floor_buffers, floor_rounds, handshakes;
	unsigned line_floor_rounds; /* each run-to-completion line's own floor, before it */
	unsigned eal_mb;
	uint32_t pipe_peers;     /* K of the pipeline lines (a K of the run-to-completion ones) */
	uint64_t peer_packets;   /* per lcore, single-peer lines */
	unsigned peer_rounds;    /* the single-peer set is repeated; each line keeps its best */
	int only_size, only_dir; /* run-to-completion lines of one size / direction; -1: all */
};

enum {
	PIPE_LCORES = 2 + 3,     /* the single-peer lines: a pipeline with 2 crypto lcores */
};

static const struct plan full_plan = {
	.peers = { 1, 1000, 100000 }, .n_peers = 3, .active_max = 4096,
	.nat_sizes = { 1000, 100000, 1000000 }, .n_nat = 3, .nat_peers = 1000,
	.packets = 300000, .floor_buffers = 1024, .floor_rounds = 100, .handshakes = 4000,
	.line_floor_rounds = 30,
	.eal_mb = 4096, .pipe_peers = 1000, .peer_packets = 200000,
	.peer_rounds = 3, .only_size = -1, .only_dir = -1,
};
static const struct plan quick_plan = {
	/* 2048 active peers: more "next" keypairs confirmed in one run than a worker's event ring
	 * holds, so a benchmark that stopped acting as the control lcore would show drops. */
	.peers = { 1, 2048 }, .n_peers = 2, .active_max = 2048,
	.nat_sizes = { 1000, 8192 }, .n_nat = 2, .nat_peers = 64,
	.packets = 2048, .floor_buffers = 256, .floor_rounds = 4, .handshakes = 100,
	.line_floor_rounds = 2,
	.eal_mb = 1024, .pipe_peers = 2048, .peer_packets = 2048,
	.peer_rounds = 1, .only_size = -1, .only_dir = -1,
};

static unsigned n_cpus;

static int
eal_init(const char *prog, const struct plan *pl, unsigned n_lcores, const char *huge_dir,
	 struct mg_bench_report *r)
{
	char mem[16], prefix[48], lcores[256];
	char *argv[] = { (char *)prog, "--no-huge", "--no-pci", "--no-shconf", prefix, "-m", mem,
			 "--lcores", lcores, "--no-telemetry", "--log-level=error", NULL };
	int argc = (int)RTE_DIM(argv) - 1;
	size_t off;

	if (huge_dir != NULL) {
		argv[1] = "--huge-dir";
		memmove(&argv[3], &argv[2], (size_t)(argc - 2) * sizeof(argv[0]));
		argv[2] = (char *)huge_dir;
		argc++;
		snprintf(r->pages, sizeof(r->pages), "hugepages (hugetlbfs at %s)", huge_dir);
	} else {
		snprintf(r->pages, sizeof(r->pages), "4 KiB pages (--no-huge; large tables pay TLB "
			 "misses a gateway on hugepages does not)");
	}

	snprintf(mem, sizeof(mem), "%u", pl->eal_mb);
	snprintf(prefix, sizeof(prefix), "--file-prefix=mgbench%d", (int)getpid());
	/* lcore 0 (main, sleeps while workers run) on CPU 0; worker i on CPU i mod CPUs. */
	off = (size_t)snprintf(lcores, sizeof(lcores), "0@0");
	for (unsigned w = 1; w <= n_lcores && off < sizeof(lcores); w++)
		off += (size_t)snprintf(lcores + off, sizeof(lcores) - off, ",%u@%u", w, w % n_cpus);
	snprintf(r->note, sizeof(r->note), "%s (lcore@cpu; main lcore 0 sleeps while workers "
		 "run, so a worker on CPU 0 shares it only with a sleeping thread)", lcores);
	return rte_eal_init(argc, argv);
}

static void
machine_info(struct mg_bench_report *r)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(r->cpu_model, sizeof(r->cpu_model), "unknown");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char *c = strchr(line, ':');
		if (strncmp(line, "model name", 10) == 0 && c != NULL) {
			snprintf(r->cpu_model, sizeof(r->cpu_model), "%s", c + 2);
			r->cpu_model[strcspn(r->cpu_model, "\n\"\\")] = '\0';
			break;
		}
	}
	if (f != NULL)
		fclose(f);
	r->cpus = n_cpus;
	r->tsc_hz = rte_get_tsc_hz();
	snprintf(r->dpdk_version, sizeof(r->dpdk_version), "%s", rte_version());
	snprintf(r->ipsecmb_version, sizeof(r->ipsecmb_version), "%s", imb_get_version_str());
	r->n_stages = mg_bench_stage_names(r->stage_names, MG_BENCH_MAX_STAGES);
}

static uint32_t
live_sessions(struct mg_bench_gw *g)
{
	uint64_t n = 0;

	for (unsigned w = 0; w < g->workers; w++) {
		struct mg_nat_stats st;
		mg_nat_get_stats(g->w[w]->nat, &st);
		n += st.sessions;
	}
	return (uint32_t)n;
}

/* Before the run's first line: its worker lcore busy with the line's floor, untimed, for about a
 * second. On the reference VM a lcore that had been idle while the main lcore measured the
 * handshakes ran its first line and that line's floor ~30 % slow (64 B open 580-750 cycles
 * against ~440 a few lines later), which made the first line's figures noise. */
static void
settle(unsigned lcore, const struct mg_bench_case *c, const struct plan *pl)
{
	uint64_t end = rte_get_tsc_cycles() + rte_get_tsc_hz();
	double mean, median;

	while (rte_get_tsc_cycles() < end)
		if (mg_bench_floor_line(lcore, c->size, c->dir == MG_BENCH_INET_TO_MESH,
					pl->floor_buffers, pl->line_floor_rounds, &mean, &median) != 0)
			return;
}

/* Run one case, after its floor on the lcore of its first worker, and append its figure. */
static int
one(struct mg_bench_report *r, const struct plan *pl, struct mg_bench_gw *g,
    const struct mg_bench_case *c)
{
	struct mg_bench_figure *f = &r->fig[r->n_fig];
	double floor_mean, floor_median;
	char err[256];

	if (r->n_fig >= MG_BENCH_MAX_FIGURES)
		return -1;
	if (r->n_fig == 0)
		settle(g->w[0]->lcore, c, pl);
	if (mg_bench_floor_line(g->w[0]->lcore, c->size, c->dir == MG_BENCH_INET_TO_MESH,
				pl->floor_buffers, pl->line_floor_rounds, &floor_mean,
				&floor_median) != 0) {
		fprintf(stderr, "mg_bench: %s %s: the line's floor could not be measured\n",
			mg_bench_dir_name(c->dir), mg_bench_size_name(c->size));
		return -1;
	}
	if (mg_bench_run(g, c, f, err, sizeof(err)) != 0) {
		fprintf(stderr, "mg_bench: %s %s: %s\n", mg_bench_dir_name(c->dir),
			mg_bench_size_name(c->size), err);
		return -1;
	}
	f->nat_sessions = live_sessions(g);
	f->shared_core = g->workers >= n_cpus;
	f->floor_cycles_per_pkt = floor_mean;
	f->floor_median_cycles_per_pkt = floor_median;
	if (f->cycles_per_pkt > 0)
		f->floor_ratio = floor_mean / f->cycles_per_pkt;
	if (f->median_cycles_per_pkt > 0)
		f->floor_ratio_median = floor_median / f->median_cycles_per_pkt;
	r->n_fig++;
	fprintf(stderr, ".");
	return 0;
}

static struct mg_bench_gw *
gateway(uint32_t peers, uint32_t sessions, unsigned workers)
{
	struct mg_bench_gw_params p = { .peers = peers, .nat_sessions = sessions,
					.workers = workers };
	char err[256];
	struct mg_bench_gw *g = mg_bench_gw_create(&p, err, sizeof(err));

	if (g == NULL)
		fprintf(stderr, "mg_bench: gateway (%u peers, %u sessions, %u workers): %s\n", peers,
			sessions, workers, err);
	return g;
}

/* Both directions, every size, for one gateway shape. */
static int
sizes_both_ways(struct mg_bench_report *r, const struct plan *pl, uint32_t peers,
		unsigned workers)
{
	struct mg_bench_gw *g = gateway(peers, 65536, workers);
	int rc = 0;

	if (g == NULL)
		return -1;
	for (unsigned d = MG_BENCH_MESH_TO_INET; d <= MG_BENCH_INET_TO_MESH && rc == 0; d++)
		for (unsigned s = 0; s < MG_BENCH_N_SIZES && rc == 0; s++) {
			if ((pl->only_dir >= 0 && d != (unsigned)pl->only_dir) ||
			    (pl->only_size >= 0 && s != (unsigned)pl->only_size))
				continue;
			struct mg_bench_case c = {
				.dir = d, .size = s, .packets = pl->packets,
				.active_peers = RTE_MIN(peers, pl->active_max * workers),
			};
			rc = one(r, pl, g, &c);
		}
	mg_bench_gw_destroy(g);
	return rc;
}

/* A NAT table filled with n sessions by new flows (timed), then established flows at random. */
static int
nat_scale(struct mg_bench_report *r, const struct plan *pl, uint32_t n, unsigned workers)
{
	struct mg_bench_gw *g = gateway(pl->nat_peers, n + n / 8 + 4096, workers);
	struct mg_bench_case c = { .dir = MG_BENCH_NEW_FLOW, .size = MG_BENCH_SIZE_64,
				   .active_peers = pl->nat_peers, .flows = n };
	int rc;

	if (g == NULL)
		return -1;
	rc = one(r, pl, g, &c);
	c = (struct mg_bench_case){ .dir = MG_BENCH_MESH_TO_INET, .size = MG_BENCH_SIZE_64,
				    .active_peers = pl->nat_peers, .flows = n,
				    .random_flows = true, .warmed = true, .packets = pl->packets };
	if (rc == 0)
		rc = one(r, pl, g, &c);
	mg_bench_gw_destroy(g);
	return rc;
}

/* The run-to-completion line of this run a pipeline line compares with: same direction, size
 * and K, one worker, the plain (not NAT-scale) case; NULL if there is none. */
static const struct mg_bench_figure *
rtc_line(const struct mg_bench_report *r, const struct mg_bench_pipe_figure *p)
{
	for (unsigned i = 0; i < r->n_fig; i++) {
		const struct mg_bench_figure *f = &r->fig[i];
		if (f->dir == p->dir && f->size == p->size && f->peers == p->peers &&
		    f->workers == 1)
			return f;
	}
	return NULL;
}

/* Both directions, every size, through the pipeline's roles (one crypto lcore). */
static int
pipeline_lines(struct mg_bench_report *r, const struct plan *pl)
{
	struct mg_bench_gw_params p = { .peers = pl->pipe_peers, .nat_sessions = 65536,
					.workers = 1, .pipeline = true };
	char err[256];
	struct mg_bench_gw *g = mg_bench_gw_create(&p, err, sizeof(err));
	int rc = 0;

	if (g == NULL) {
		fprintf(stderr, "mg_bench: pipeline gateway: %s\n", err);
		return -1;
	}
	for (unsigned d = MG_BENCH_MESH_TO_INET; d <= MG_BENCH_INET_TO_MESH && rc == 0; d++)
		for (unsigned s = 0; s < MG_BENCH_N_SIZES && rc == 0; s++) {
			if ((pl->only_dir >= 0 && d != (unsigned)pl->only_dir) ||
			    (pl->only_size >= 0 && s != (unsigned)pl->only_size))
				continue;
			struct mg_bench_case c = { .dir = d, .size = s, .packets = pl->packets,
						   .active_peers = RTE_MIN(p.peers, pl->active_max) };
			struct mg_bench_pipe_figure *f = &r->pipe[r->n_pipe];

			if (r->n_pipe >= MG_BENCH_MAX_PIPE)
				break;
			rc = mg_bench_pipe_run(g, &c, f, err, sizeof(err));
			if (rc != 0) {
				fprintf(stderr, "mg_bench: pipeline %s %s: %s\n",
					mg_bench_dir_name(d), mg_bench_size_name(s), err);
				break;
			}
			if (rtc_line(r, f) != NULL) {
				f->rtc_cycles_per_pkt = rtc_line(r, f)->cycles_per_pkt;
				f->rtc_median_cycles_per_pkt = rtc_line(r, f)->median_cycles_per_pkt;
			}
			r->n_pipe++;
			fprintf(stderr, ".");
		}
	mg_bench_gw_destroy(g);
	return rc;
}

enum {
	PEER_VARIANTS = 3,  /* per stage and size: 1 lcore, 2 sharing the peer, 2 with a peer each */
	PEER_LINES = 2 * 2 * PEER_VARIANTS,
};

/* Single-peer line i of the plan: decrypt then encrypt (decrypt confirms the keypairs), 64 then
 * 1420 bytes, then the variants. */
static void
peer_line(unsigned i, enum mg_bench_dir *d, enum mg_bench_size *s, unsigned *lcores, bool *own)
{
	static const enum mg_bench_size sizes[] = { MG_BENCH_SIZE_64, MG_BENCH_SIZE_1420 };
	unsigned v = i % PEER_VARIANTS;

	*d = i < PEER_LINES / 2 ? MG_BENCH_MESH_TO_INET : MG_BENCH_INET_TO_MESH;
	*s = sizes[i / PEER_VARIANTS % RTE_DIM(sizes)];
	*lcores = v == 0 ? 1 : 2;
	*own = v == 2;
}

/* Two lcores at once against each alone: the sum over the lcores of its rate / the rate of the
 * same CPU alone, so that one CPU busier than the other (a shared machine) does not skew it. */
static double
peer_ratio(const struct mg_bench_peer_figure *two, const double *two_mpps,
	   const struct mg_bench_peer_figure *one, const double *one_mpps)
{
	double sum = 0;

	for (unsigned i = 0; i < MG_BENCH_PEER_LCORES; i++)
		for (unsigned k = 0; k < MG_BENCH_PEER_LCORES; k++)
			if (one->cpu[k] == two->cpu[i] && one_mpps[k] > 0) {
				sum += two_mpps[i] / one_mpps[k];
				break;
			}
	return sum;
}

/* One peer on one, then two crypto lcores at once, and two lcores with a peer each (the
 * control: the same without sharing). The lines alternate and the whole set runs
 * pl->peer_rounds times; each line keeps its best round (the machine may be shared: a
 * preempted timed pass only ever makes a line slower). */
static int
single_peer_lines(struct mg_bench_report *r, const struct plan *pl)
{
	struct mg_bench_gw_params p = { .peers = 2, .nat_sessions = 4096,
					.workers = MG_BENCH_PEER_LCORES, .pipeline = true };
	char err[256];
	struct mg_bench_gw *g = mg_bench_gw_create(&p, err, sizeof(err));
	unsigned n_lines = PEER_LINES, base = r->n_peer;
	int rc = 0;

	if (g == NULL || base + n_lines > MG_BENCH_MAX_PEER) {
		fprintf(stderr, "mg_bench: single-peer gateway: %s\n", g ? "too many lines" : err);
		mg_bench_gw_destroy(g);
		return -1;
	}
	for (unsigned k = 0; k < pl->peer_rounds * n_lines && rc == 0; k++) {
		struct mg_bench_peer_figure f, *best = &r->peer[base + k % n_lines];
		enum mg_bench_dir d;
		enum mg_bench_size s;
		unsigned n;
		bool own;

		peer_line(k % n_lines, &d, &s, &n, &own);
		rc = mg_bench_peer_run(g, d, s, n, own, pl->peer_packets, &f, err, sizeof(err));
		if (rc != 0)
			fprintf(stderr, "mg_bench: single peer %s %s on %u: %s\n",
				mg_bench_dir_name(d), mg_bench_size_name(s), n, err);
		else if (k < n_lines || f.mpps > best->mpps)
			*best = f;
		fprintf(stderr, ".");
	}
	mg_bench_gw_destroy(g);
	if (rc != 0)
		return rc;
	for (unsigned i = 0; i < n_lines; i++) {
		struct mg_bench_peer_figure *f = &r->peer[base + i];
		const struct mg_bench_peer_figure *one = f - i % PEER_VARIANTS;

		if (i % PEER_VARIANTS == 0)
			continue;
		f->ratio = peer_ratio(f, f->mpps_lcore, one, one->mpps_lcore);
		f->ratio_median = peer_ratio(f, f->mpps_median_lcore, one, one->mpps_median_lcore);
	}
	r->n_peer += n_lines;
	r->peer_rounds = pl->peer_rounds;
	return 0;
}

static int
run_plan(struct mg_bench_report *r, const struct plan *pl, unsigned max_workers,
	 enum mg_bench_only only)
{
	bool all = only == MG_BENCH_ONLY_ALL, pipe = all || only == MG_BENCH_ONLY_PIPELINE;
	bool peer = all || only == MG_BENCH_ONLY_SINGLE_PEER;
	bool rtc = only == MG_BENCH_ONLY_RTC;
	bool hs = all || only == MG_BENCH_ONLY_HANDSHAKE;
	bool nat = all || only == MG_BENCH_ONLY_NAT;

	mg_bench_floor_measure(&r->floor, pl->floor_buffers, pl->floor_rounds);
	if (hs && mg_bench_handshakes_measure(&r->hs, pl->handshakes) != 0)
		fprintf(stderr, "mg_bench: handshakes failed\n");
	if (all && mg_bench_memory_measure(&r->mem, r->quick) != 0)
		return -1;
	for (unsigned k = 0; k < pl->n_peers; k++)
		if ((all || ((pipe || rtc) && pl->peers[k] == pl->pipe_peers) ||
		     (rtc && pl->peers[k] == 1)) &&
		    sizes_both_ways(r, pl, pl->peers[k], 1) != 0)
			return -1;
	if ((pipe && pipeline_lines(r, pl) != 0) || (peer && single_peer_lines(r, pl) != 0))
		return -1;
	for (unsigned i = 0; nat && i < pl->n_nat; i++)
		if (nat_scale(r, pl, pl->nat_sizes[i], 1) != 0)
			return -1;
	for (unsigned w = 2; all && w <= max_workers; w++) {
		uint32_t k = pl->peers[pl->n_peers - 1] < 1000 ? pl->peers[pl->n_peers - 1] : 1000;
		if (sizes_both_ways(r, pl, k, w) != 0 ||
		    nat_scale(r, pl, pl->nat_sizes[pl->n_nat > 1 ? 1 : 0], w) != 0)
			return -1;
	}
	return 0;
}

/* --only's names, in enum mg_bench_only's order. */
static const char *const only_names[MG_BENCH_N_ONLY] = {
	[MG_BENCH_ONLY_PIPELINE] = "pipeline", [MG_BENCH_ONLY_SINGLE_PEER] = "single_peer",
	[MG_BENCH_ONLY_RTC] = "rtc", [MG_BENCH_ONLY_HANDSHAKE] = "handshake",
	[MG_BENCH_ONLY_NAT] = "nat",
};

static const char *
only_name_of(unsigned i)
{
	return only_names[i];
}

static const char *
size_name_of(unsigned s)
{
	return mg_bench_size_name((enum mg_bench_size)s);
}

static const char *
dir_name_of(unsigned d)
{
	return mg_bench_dir_name((enum mg_bench_dir)d);
}

/* The index of name among the n names name_of gives, or -1. */
static int
name_index(const char *name, unsigned n, const char *(*name_of)(unsigned))
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(name, name_of(i)) == 0)
			return (int)i;
	return -1;
}

static int
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--quick] [--json FILE] [--workers N] [--only ", prog);
	for (unsigned i = 0; i < MG_BENCH_N_ONLY; i++)
		fprintf(stderr, "%s%s", i ? "|" : "", only_names[i]);
	fprintf(stderr, "] [--huge-dir DIR]\n"
		"  run-to-completion lines only (to profile one line): [--packets N] "
		"[--size 64|512|1420|imix] [--dir mesh_to_internet|internet_to_mesh]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = { { "quick", no_argument, NULL, 'q' },
					      { "json", required_argument, NULL, 'j' },
					      { "workers", required_argument, NULL, 'w' },
					      { "only", required_argument, NULL, 'o' },
					      { "huge-dir", required_argument, NULL, 'h' },
					      { "packets", required_argument, NULL, 'p' },
					      { "size", required_argument, NULL, 's' },
					      { "dir", required_argument, NULL, 'd' },
					      { NULL, 0, NULL, 0 } };
	static struct mg_bench_report r;
	struct mg_bench_opts o = { .only = MG_BENCH_ONLY_ALL, .size = -1, .dir = -1 };
	int only;
	struct plan plan;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'q')
			o.quick = true;
		else if (c == 'j')
			o.json_path = optarg;
		else if (c == 'w')
			o.max_workers = (unsigned)atoi(optarg);
		else if (c == 'o' &&
			 (only = name_index(optarg, MG_BENCH_N_ONLY, only_name_of)) >= 0)
			o.only = (enum mg_bench_only)only;
		else if (c == 'h')
			o.huge_dir = optarg;
		else if (c == 'p' && atoll(optarg) > 0)
			o.packets = (uint64_t)atoll(optarg);
		else if (c == 's' && (o.size = name_index(optarg, MG_BENCH_N_SIZES,
							  size_name_of)) >= 0)
			;
		else if (c == 'd' && (o.dir = name_index(optarg, MG_BENCH_INET_TO_MESH + 1,
							 dir_name_of)) >= 0)
			;
		else
			return usage(argv[0]);
	}
	n_cpus = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (o.max_workers == 0)
		o.max_workers = n_cpus > 2 ? n_cpus - 1 : 2;
	if (o.max_workers > MG_BENCH_MAX_WORKERS)
		o.max_workers = MG_BENCH_MAX_WORKERS;
	plan = o.quick ? quick_plan : full_plan;
	plan.only_size = o.size;
	plan.only_dir = o.dir;
	if (o.packets != 0)
		plan.packets = o.packets;
	const struct plan *pl = &plan;
	r.quick = o.quick;
	if (eal_init(argv[0], pl, RTE_MAX(o.max_workers, (unsigned)PIPE_LCORES), o.huge_dir, &r) < 0 ||
	    sodium_init() < 0) {
		fprintf(stderr, "mg_bench: EAL or libsodium initialisation failed\n");
		return 1;
	}
	mg_dp_clock_init();
	machine_info(&r);
	rc = run_plan(&r, pl, o.max_workers, o.only);
	fprintf(stderr, "\n");
	mg_bench_print_table(&r, stdout);
	if (o.json_path != NULL && mg_bench_write_json(&r, o.json_path) != 0) {
		fprintf(stderr, "mg_bench: cannot write %s\n", o.json_path);
		rc = -1;
	}
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
