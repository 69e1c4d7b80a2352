/* The data-plane benchmark (mg_bench): shared types of its parts. It drives the real worker code
 * (lib/datapath) of a gateway assembled by lib/gateway on DPDK ring ports, times it with the TSC,
 * and prints figures (never pass/fail) as a table and as JSON.
 *
 * Parts: bench_gw.c (gateway, peers, keys), bench_traffic.c (flows and WireGuard frames),
 * bench_run.c (timed loops on the worker lcores), bench_pipe.c (the pipeline's roles pass by
 * pass), bench_peer.c (one peer on one and two crypto lcores), bench_floor.c (IPsec-MB floor,
 * handshakes), bench_report.c (table and JSON), bench_main.c (options and the plan of runs).
 */
#ifndef MG_BENCH_H
#define MG_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dp_counters.h"

enum mg_bench_limits {
	MG_BENCH_BURST = 32,
	MG_BENCH_MAX_WORKERS = 16,
	MG_BENCH_MAX_STAGES = 16,
	MG_BENCH_MAX_FIGURES = 96,
	MG_BENCH_N_SIZES = 4,      /* 64, 512, 1420, IMIX */
	MG_BENCH_NOTE_LEN = 512,
	MG_BENCH_MAX_PIPE = 16,
	MG_BENCH_MAX_PEER = 12,
	MG_BENCH_PEER_LCORES = 2,  /* the single-peer lines: one, then two crypto lcores */
};

/* Roles of the pipeline arrangement (lib/datapath/pipeline.h), in the report's order. */
enum mg_bench_role {
	MG_BENCH_ROLE_RX = 0,
	MG_BENCH_ROLE_CRYPTO,
	MG_BENCH_ROLE_NAT,
	MG_BENCH_ROLE_TX,
	MG_BENCH_N_ROLES,
};

/* Inner packet sizes (IPv4 total length); IMIX is 7:4:1 of 64/570/1420. */
enum mg_bench_size {
	MG_BENCH_SIZE_64 = 0,
	MG_BENCH_SIZE_512,
	MG_BENCH_SIZE_1420,
	MG_BENCH_SIZE_IMIX,
};

enum mg_bench_dir {
	MG_BENCH_MESH_TO_INET = 0, /* classify, decrypt, replay, policy, NAT out, tx */
	MG_BENCH_INET_TO_MESH,     /* classify, NAT in, encrypt, UDP encap, tx */
	MG_BENCH_NEW_FLOW,         /* mesh to internet, every packet opens a NAT session */
	MG_BENCH_N_DIRS,
};

/* What --only picks: one section of the plan with the floor, quicker to repeat. */
enum mg_bench_only {
	MG_BENCH_ONLY_ALL = -1,     /* no --only: the whole plan */
	MG_BENCH_ONLY_PIPELINE = 0, /* the pipeline, and run-to-completion at its K */
	MG_BENCH_ONLY_SINGLE_PEER,  /* one peer on one and two crypto lcores */
	MG_BENCH_ONLY_RTC,          /* the run-to-completion lines at K=1 and the pipeline's K */
	MG_BENCH_ONLY_HANDSHAKE,    /* the handshake line alone, to profile */
	MG_BENCH_ONLY_NAT,          /* new flows and established ones, 1k..1M sessions */
	MG_BENCH_N_ONLY,
};

struct mg_bench_opts {
	bool quick;              /* a second or two: small K and NAT sizes (the test) */
	const char *json_path;   /* NULL: no JSON file */
	unsigned max_workers;    /* 0: every CPU but the main one, at least 2 */
	enum mg_bench_only only; /* MG_BENCH_ONLY_ALL, or just that section */
	const char *huge_dir;    /* NULL: --no-huge; else a hugetlbfs mount for the EAL heap */
	uint64_t packets;        /* 0: the plan's; else per run-to-completion line */
	int size, dir;           /* -1: every size / direction of the run-to-completion lines */
};

/* Counter deltas of one measurement, summed over its workers (from struct mg_dp_counters). */
struct mg_bench_counts {
	uint64_t fed;            /* frames put on the worker's receive rings */
	uint64_t rx;             /* rx_packets: what classify saw */
	uint64_t tx;             /* frames the worker transmitted */
	uint64_t punted, keepalives, handed_off;
	uint64_t decrypted, encrypted, nat_out, nat_in, nat_created;
	uint64_t drops[MG_DP_DROP_MAX];
};

/* One measured line: a direction, a size, a table shape and a number of workers. */
struct mg_bench_figure {
	enum mg_bench_dir dir;
	enum mg_bench_size size;
	uint32_t peers;          /* K: peers with keys installed */
	uint32_t active_peers;   /* peers the working set sends from */
	uint32_t nat_sessions;   /* live sessions when measuring */
	unsigned workers;
	bool shared_core;        /* some worker shares a CPU with another busy thread */
	uint64_t packets;        /* measured (timed) packets, all workers */
	uint64_t inner_bytes;
	uint64_t busy_cycles;    /* summed over workers */
	double cycles_per_pkt;   /* busy cycles / packets (per worker core) */
	double median_cycles_per_pkt; /* the median timed pass of a full burst / 32 (mean over
				       * workers): what preemptions do not move */
	double mpps_per_worker, gbps_per_worker, mpps_total;
	/* The line's floor: IPsec-MB alone on its size (open, or seal for internet to mesh),
	 * measured on worker 0's lcore right before the line, so that the ratios compare two
	 * figures taken seconds apart on one CPU (a shared host's speed drifts within a run). */
	double floor_cycles_per_pkt, floor_median_cycles_per_pkt;
	double floor_ratio;      /* packet rate / the line's floor's packet rate */
	double floor_ratio_median; /* the same from the median bursts of both */
	unsigned n_stages;       /* 0: stage counters not compiled in */
	uint64_t stage_cycles[MG_BENCH_MAX_STAGES];
	struct mg_bench_counts counts;
};

/* One role's share of a pipeline line. in/out are read from the fill levels of the role's input
 * and output rings around each of its passes; drops/consumed from the role lcore's counters, so
 * in = out + drops + consumed checks the data plane's accounting against the rings. */
struct mg_bench_role_figure {
	uint64_t passes;         /* timed passes */
	uint64_t cycles;         /* TSC cycles in them */
	uint64_t in, out;        /* packets taken from its input rings, put on its output rings */
	uint64_t drops;          /* drop counters of the role's lcore, every reason */
	uint64_t consumed;       /* punted or keepalives: ended here without a drop */
	double cycles_per_pkt;   /* cycles / the line's packets */
	double median_cycles_per_pkt; /* its median pass / 32 */
};

/* A pipeline line: the gateway built with datapath = "pipeline", its roles driven one pass at a
 * time on one lcore, each pass timed. The rate is a model: one core per role. */
struct mg_bench_pipe_figure {
	enum mg_bench_dir dir;
	enum mg_bench_size size;
	uint32_t peers, active_peers;
	unsigned crypto_lcores;  /* of the gateway measured */
	uint64_t packets, inner_bytes;
	uint64_t busy_cycles;    /* all roles' timed cycles */
	double cycles_per_pkt;   /* busy / packets: CPU per packet over every role */
	struct mg_bench_role_figure role[MG_BENCH_N_ROLES];
	/* TSC Hz / the slowest role's cycles per packet, the crypto role's divided over 1 and 2
	 * lcores; and which role that was. */
	double model_mpps[MG_BENCH_PEER_LCORES];
	enum mg_bench_role bottleneck[MG_BENCH_PEER_LCORES];
	double rtc_cycles_per_pkt; /* the run-to-completion line of this run (same dir, size, K,
				    * one worker); 0 if there is none */
	double median_cycles_per_pkt;     /* the median burst (all roles' passes) / 32 */
	double model_median_mpps[MG_BENCH_PEER_LCORES]; /* the model from the roles' medians */
	double rtc_median_cycles_per_pkt; /* the run-to-completion line's median */
	struct mg_bench_counts counts; /* summed over the role lcores */
};

/* One peer's frames decrypted (mesh to internet) or its replies encrypted (internet to mesh) on
 * crypto lcores: each lcore builds a batch of the same peer's packets, all wait at a barrier,
 * then each times the stage on its batch, burst by burst. Two lcores take part in every line:
 * at once (lcores = 2), or each alone in turn (lcores = 1). */
struct mg_bench_peer_figure {
	enum mg_bench_dir dir;
	enum mg_bench_size size;
	unsigned lcores;         /* running at once */
	bool own_peers;          /* control line: each lcore its own peer, nothing shared */
	unsigned cpu[MG_BENCH_PEER_LCORES];
	uint64_t packets[MG_BENCH_PEER_LCORES];     /* packets through the stage, per lcore */
	uint64_t busy_cycles[MG_BENCH_PEER_LCORES];
	double mpps_lcore[MG_BENCH_PEER_LCORES];    /* packets / busy time */
	double mpps;             /* lcores = 2: the sum; lcores = 1: the mean of the two alone */
	/* lcores = 2: the sum over the lcores of each one's rate / the rate of the same CPU alone
	 * (the one-lcore line of the same stage and size); 0 on the one-lcore lines */
	double ratio;
	/* The same from each lcore's median burst (32 packets / its median cycles): what a shared
	 * machine's preemptions inside timed bursts do not move. */
	double mpps_median_lcore[MG_BENCH_PEER_LCORES];
	double mpps_median, ratio_median;
	uint64_t fed, done, consumed;  /* done: decrypted or encrypted */
	uint64_t drops[MG_DP_DROP_MAX];
};

/* The floor: IPsec-MB ChaCha20-Poly1305 alone, bursts of 32, the same buffer count. */
struct mg_bench_floor {
	double seal_cycles_per_pkt[MG_BENCH_N_SIZES];
	double open_cycles_per_pkt[MG_BENCH_N_SIZES];
	/* The median burst of 32 / 32: like the lines' medians, what preemptions do not move */
	double seal_median_cycles_per_pkt[MG_BENCH_N_SIZES];
	double open_median_cycles_per_pkt[MG_BENCH_N_SIZES];
	char arch[16];
};

struct mg_bench_handshakes {
	uint64_t completed;
	double responder_cycles;   /* per handshake: what the control lcore does */
	double per_second;         /* at the TSC rate, responder side only */
	/* The handshake's floor, measured in the same run: its X25519 operations alone. A
	 * responder does three variable-base multiplications (es, ee, se; ss is precomputed per
	 * peer) and one fixed-base one (its ephemeral key, lib/wg/x25519_base.c). */
	double x25519_cycles;      /* crypto_scalarmult */
	double x25519_base_cycles; /* mg_x25519_public_keys per key of a batch: the handshake's */
	double floor_cycles;       /* 3 x25519 + 1 x25519_base */
	double sodium_base_cycles; /* crypto_scalarmult_base, beside it: what that one replaced */
	/* Medians, what preemptions on a shared machine do not move: the floor's of its samples
	 * timed right after each handshake, the responder's of windows of MG_X25519_BATCH
	 * handshakes (one ephemeral batch each), per handshake. */
	double responder_median_cycles, x25519_median_cycles, x25519_base_median_cycles;
	double floor_median_cycles; /* 3 x25519 + 1 x25519_base, medians */
	double sodium_base_median_cycles;
};

struct mg_bench_memory {
	double bytes_per_peer;           /* EAL heap growth per published peer with keys */
	double bytes_per_session;        /* EAL heap growth per NAT session slot */
	uint64_t nat_declared_per_session; /* mg_nat_memory_per_session() */
};

struct mg_bench_report {
	bool quick;
	uint64_t tsc_hz;
	char cpu_model[128];
	unsigned cpus;
	char dpdk_version[64];
	char ipsecmb_version[32];
	char note[MG_BENCH_NOTE_LEN];   /* how lcores map onto CPUs */
	char pages[MG_BENCH_NOTE_LEN];  /* what backs the EAL heap: hugepages or 4 KiB pages */
	unsigned n_stages;
	const char *stage_names[MG_BENCH_MAX_STAGES];
	struct mg_bench_floor floor;
	struct mg_bench_handshakes hs;
	struct mg_bench_memory mem;
	struct mg_bench_figure fig[MG_BENCH_MAX_FIGURES];
	unsigned n_fig;
	struct mg_bench_pipe_figure pipe[MG_BENCH_MAX_PIPE];
	unsigned n_pipe;
	struct mg_bench_peer_figure peer[MG_BENCH_MAX_PEER];
	unsigned n_peer;
	unsigned peer_rounds;    /* the single-peer lines are the best of this many rounds */
};

/* A gateway built for one run: ring ports, K peers with random session keys, neighbours. */
struct mg_bench_gw_params {
	uint32_t peers;
	uint32_t nat_sessions;   /* nat.max_sessions over all workers */
	unsigned workers;        /* run-to-completion workers, or the pipeline's crypto lcores */
	bool pipeline;           /* datapath = "pipeline": workers + 3 lcores */
};

struct mg_bench_gw;

struct mg_bench_gw *mg_bench_gw_create(const struct mg_bench_gw_params *p, char *err,
				       size_t errlen);
void mg_bench_gw_destroy(struct mg_bench_gw *g);

/* A measurement case for mg_bench_run(). */
struct mg_bench_case {
	enum mg_bench_dir dir;
	enum mg_bench_size size;
	uint32_t active_peers;    /* peers sending (spread over K) */
	uint32_t flows;           /* NAT_SCALE: flows per worker filled before; 0 = one per peer */
	bool random_flows;        /* pick each packet's flow at random among `flows` */
	bool warmed;              /* the flows' sessions exist already (a new_flow run filled them) */
	uint64_t packets;         /* per worker, at least */
};

/* Warm up (outbound pass creating one session per flow, learning the public ports) and measure
 * on every worker lcore at once; fills *out. Returns 0, or -1 with err. */
int mg_bench_run(struct mg_bench_gw *g, const struct mg_bench_case *c,
		 struct mg_bench_figure *out, char *err, size_t errlen);

/* The same case through the pipeline gateway's roles, pass by pass on its rx lcore; fills
 * everything in *out but rtc_cycles_per_pkt. Returns 0, or -1 with err. */
int mg_bench_pipe_run(struct mg_bench_gw *g, const struct mg_bench_case *c,
		      struct mg_bench_pipe_figure *out, char *err, size_t errlen);

/* One peer (peer 0 of a pipeline gateway with 2 crypto lcores and >= 2 peers) decrypted (dir
 * mesh to internet) or encrypted (internet to mesh; the keypair must be confirmed already, by a
 * decrypt run) on the two crypto lcores: lcores = 2 at once, lcores = 1 each alone in turn;
 * about `packets` per lcore. With own_peers lcore i takes peer i instead. 0, or -1 with err. */
int mg_bench_peer_run(struct mg_bench_gw *g, enum mg_bench_dir dir, enum mg_bench_size size,
		      unsigned lcores, bool own_peers, uint64_t packets,
		      struct mg_bench_peer_figure *out, char *err, size_t errlen);

/* Floor and handshakes (on the calling lcore). */
void mg_bench_floor_measure(struct mg_bench_floor *f, unsigned buffers, unsigned rounds);
/* The floor of one size, seal or open, measured on another (idle) lcore: cycles per packet,
 * mean and median burst. Returns 0, or -1 if it could not be measured. */
int mg_bench_floor_line(unsigned lcore, enum mg_bench_size size, bool seal, unsigned buffers,
			unsigned rounds, double *mean, double *median);
int mg_bench_handshakes_measure(struct mg_bench_handshakes *h, unsigned count);
/* Heap growth per peer and per NAT session, from gateways built for the purpose. */
int mg_bench_memory_measure(struct mg_bench_memory *m, bool quick);

/* Inner size of slot i of a working set of that size class. */
uint16_t mg_bench_inner_size(enum mg_bench_size s, unsigned i);
const char *mg_bench_size_name(enum mg_bench_size s);
const char *mg_bench_dir_name(enum mg_bench_dir d);
const char *mg_bench_role_name(enum mg_bench_role r);

/* Output. */
void mg_bench_print_table(const struct mg_bench_report *r, FILE *out);
int mg_bench_write_json(const struct mg_bench_report *r, const char *path);

/* Stage cycle counters of the calling lcore, compiled into lib/datapath/worker.c only with
 * -Dstage_cycles=true (MG_DP_STAGE_CYCLES). read returns how many stages it wrote (<= max). */
#ifdef MG_DP_STAGE_CYCLES
unsigned mg_dp_stage_cycles_read(const char **names, uint64_t *cycles, unsigned max);
void mg_dp_stage_cycles_reset(void);
#endif

#endif /* MG_BENCH_H */
