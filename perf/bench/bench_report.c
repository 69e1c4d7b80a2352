/* Output of the benchmark: a human table (one line per direction, size and table shape, then the
 * per-stage breakdown; the pipeline's roles; one peer on one and two crypto lcores) and the same
 * figures as JSON, with the machine and the counters each measurement moved, so a checker can
 * verify they add up.
 */
#include <stdio.h>

#include "bench_int.h"
#include "x25519_base.h"

/* "crypto)" etc.: the bottleneck role in the model column. */
static const char *
role_tag(enum mg_bench_role r)
{
	static const char *const t[] = { "rx)", "crypto)", "nat)", "tx)" };

	return (unsigned)r < RTE_DIM(t) ? t[r] : "?)";
}

static void
print_head(const struct mg_bench_report *r, FILE *o)
{
	fprintf(o, "meshgate data-plane benchmark%s\n", r->quick ? " (--quick: figures are rough)" : "");
	fprintf(o, "cpu: %s, %u CPUs, TSC %.3f GHz; DPDK %s; IPsec-MB %s (%s)\n", r->cpu_model,
		r->cpus, (double)r->tsc_hz / 1e9, r->dpdk_version, r->ipsecmb_version, r->floor.arch);
	fprintf(o, "lcores: %s\n", r->note);
	fprintf(o, "memory: %s\n\n", r->pages);
	fprintf(o, "floor (IPsec-MB ChaCha20-Poly1305 alone, bursts of 32; median bursts in brackets)\n");
	fprintf(o, "  %-6s %21s %10s %21s %10s\n", "size", "seal cyc/pkt", "seal Mpps",
		"open cyc/pkt", "open Mpps");
	for (unsigned s = 0; s < MG_BENCH_N_SIZES; s++)
		fprintf(o, "  %-6s %12.1f (%6.1f) %10.2f %12.1f (%6.1f) %10.2f\n",
			mg_bench_size_name(s), r->floor.seal_cycles_per_pkt[s],
			r->floor.seal_median_cycles_per_pkt[s],
			(double)r->tsc_hz / r->floor.seal_cycles_per_pkt[s] / 1e6,
			r->floor.open_cycles_per_pkt[s], r->floor.open_median_cycles_per_pkt[s],
			(double)r->tsc_hz / r->floor.open_cycles_per_pkt[s] / 1e6);
	if (r->hs.completed == 0 && r->mem.bytes_per_peer == 0) {
		fprintf(o, "\n(--only: no handshake or memory figures in this run)\n\n");
		return;
	}
	fprintf(o, "\nhandshakes (responder, one control lcore): %llu done, %.0f cycles each "
		"(median %.0f), %.0f /s (median %.0f /s); medians over windows of %d handshakes, "
		"one ephemeral batch each\n", (unsigned long long)r->hs.completed,
		r->hs.responder_cycles, r->hs.responder_median_cycles, r->hs.per_second,
		(double)r->tsc_hz / r->hs.responder_median_cycles, MG_X25519_BATCH);
	fprintf(o, "  floor, timed after each handshake: X25519 %.0f cycles, X25519 base %.0f; "
		"3 + 1 of them = %.0f cycles = %.0f /s; handshakes at %.0f%% of it (medians: "
		"%.0f + %.0f, %.0f /s, %.0f%%)\n", r->hs.x25519_cycles, r->hs.x25519_base_cycles,
		r->hs.floor_cycles, (double)r->tsc_hz / r->hs.floor_cycles,
		100.0 * r->hs.floor_cycles / r->hs.responder_cycles, r->hs.x25519_median_cycles,
		r->hs.x25519_base_median_cycles, (double)r->tsc_hz / r->hs.floor_median_cycles,
		100.0 * r->hs.floor_median_cycles / r->hs.responder_median_cycles);
	fprintf(o, "  X25519 base: per key of a batch of %d, the Ed25519 table and a map "
		"(lib/wg/x25519_base.c); libsodium's crypto_scalarmult_base beside it: %.0f cycles "
		"(median %.0f), %.2fx\n", MG_X25519_BATCH,
		r->hs.sodium_base_cycles, r->hs.sodium_base_median_cycles,
		r->hs.sodium_base_median_cycles / r->hs.x25519_base_median_cycles);
	if (r->mem.bytes_per_peer == 0) { /* --only handshake */
		fprintf(o, "\n");
		return;
	}
	fprintf(o, "memory: %.0f B per peer, %.0f B per NAT session (EAL heap growth; NAT declares "
		"%llu B)\n\n", r->mem.bytes_per_peer, r->mem.bytes_per_session,
		(unsigned long long)r->mem.nat_declared_per_session);
}

static uint64_t
drops_total(const struct mg_bench_counts *k)
{
	uint64_t n = 0;

	for (unsigned d = 0; d < MG_DP_DROP_MAX; d++)
		n += k->drops[d];
	return n;
}

static void
print_pipe(const struct mg_bench_report *r, FILE *o)
{
	if (r->n_pipe == 0)
		return;
	fprintf(o, "\npipeline (datapath = \"pipeline\", %u crypto lcore; roles driven pass by pass "
		"on one lcore, cycles/packet per role)\n", r->pipe[0].crypto_lcores);
	fprintf(o, "%-16s %-5s %6s %7s %6s %6s %6s %6s %6s %6s %7s %14s %14s | %6s %6s %7s %5s\n",
		"direction", "size", "peers", "packets", "rx", "crypto", "nat", "tx", "sum", "rtc",
		"sum/rtc", "model Mpps c=1", "model Mpps c=2", "m.sum", "m.rtc", "m.ratio", "drops");
	for (unsigned i = 0; i < r->n_pipe; i++) {
		const struct mg_bench_pipe_figure *f = &r->pipe[i];
		uint64_t drops = 0;

		for (unsigned k = 0; k < MG_BENCH_N_ROLES; k++)
			drops += f->role[k].drops;
		fprintf(o, "%-16s %-5s %6u %7llu %6.0f %6.0f %6.0f %6.0f %6.0f %6.0f %6.2fx "
			"%6.3f (%-7s %6.3f (%-7s | %6.0f %6.0f %6.2fx %5llu\n",
			mg_bench_dir_name(f->dir),
			mg_bench_size_name(f->size), f->peers, (unsigned long long)f->packets,
			f->role[MG_BENCH_ROLE_RX].cycles_per_pkt,
			f->role[MG_BENCH_ROLE_CRYPTO].cycles_per_pkt,
			f->role[MG_BENCH_ROLE_NAT].cycles_per_pkt,
			f->role[MG_BENCH_ROLE_TX].cycles_per_pkt, f->cycles_per_pkt,
			f->rtc_cycles_per_pkt,
			f->rtc_cycles_per_pkt > 0 ? f->cycles_per_pkt / f->rtc_cycles_per_pkt : 0.0,
			f->model_mpps[0], role_tag(f->bottleneck[0]), f->model_mpps[1],
			role_tag(f->bottleneck[1]), f->median_cycles_per_pkt,
			f->rtc_median_cycles_per_pkt,
			f->rtc_median_cycles_per_pkt > 0
				? f->median_cycles_per_pkt / f->rtc_median_cycles_per_pkt : 0.0,
			(unsigned long long)drops);
	}
	fprintf(o, "sum: CPU per packet over all roles (ring hand-offs included); rtc: the "
		"run-to-completion line above (same run, 1 worker). model: TSC Hz / the slowest "
		"role (in brackets), crypto shared by c lcores, one core per role; a model, not a "
		"measured rate. m.*: the same from median bursts (preemptions do not move them).\n");
}

static const char *
peer_stage(enum mg_bench_dir d)
{
	return d == MG_BENCH_INET_TO_MESH ? "encrypt" : "decrypt";
}

static void
print_peer(const struct mg_bench_report *r, FILE *o)
{
	if (r->n_peer == 0)
		return;
	fprintf(o, "\none peer on 1 and 2 crypto lcores at once, sharing its keypair (mg_dp_decrypt "
		"of its frames, mg_dp_encrypt of its replies)\n");
	fprintf(o, "%-7s %-5s %-8s %9s %-24s %-5s %7s %7s %-15s %7s %7s %6s\n", "stage", "size",
		"lcores", "packets", "Mpps per lcore", "cpus", "Mpps", "ratio", "median: lcores",
		"Mpps", "ratio", "drops");
	for (unsigned i = 0; i < r->n_peer; i++) {
		const struct mg_bench_peer_figure *f = &r->peer[i];
		char per[64], med[64], cpus[32];
		uint64_t drops = 0;
		size_t a = 0, b = 0, m = 0;

		for (unsigned k = 0; k < MG_BENCH_PEER_LCORES; k++) {
			const char *sep = k == 0 ? "" : f->lcores > 1 ? " + " : " / ";
			a += (size_t)snprintf(per + a, sizeof(per) - a, "%s%.3f", sep,
					      f->mpps_lcore[k]);
			m += (size_t)snprintf(med + m, sizeof(med) - m, "%s%.2f", sep,
					      f->mpps_median_lcore[k]);
			b += (size_t)snprintf(cpus + b, sizeof(cpus) - b, "%s%u", k ? "," : "",
					      f->cpu[k]);
		}
		char ratio[16] = "      -", ratio_median[16] = "      -";

		for (unsigned d = 0; d < MG_DP_DROP_MAX; d++)
			drops += f->drops[d];
		/* The one-lcore lines are what the ratios divide by: they have none of their own. */
		if (f->lcores > 1) {
			snprintf(ratio, sizeof(ratio), "%6.2fx", f->ratio);
			snprintf(ratio_median, sizeof(ratio_median), "%6.2fx", f->ratio_median);
		}
		fprintf(o, "%-7s %-5s %u%-7s %9llu %-24s %-5s %7.3f %s %-15s %7.3f %s %6llu\n",
			peer_stage(f->dir), mg_bench_size_name(f->size), f->lcores,
			f->own_peers ? " (own)" : f->lcores == 1 ? " (each)" : "",
			(unsigned long long)f->done, per, cpus, f->mpps, ratio, med,
			f->mpps_median, ratio_median, (unsigned long long)drops);
	}
	fprintf(o, "Mpps per lcore: packets / that lcore's busy (timed) cycles; 1 (each): each "
		"lcore alone in turn, Mpps their mean; 2: both at once, Mpps their sum. ratio: sum of "
		"each lcore's rate / its CPU's rate alone (target >= 1.8 for one peer). (own): each "
		"lcore a peer of its own, nothing shared: the machine's own scaling. median: the same "
		"from each lcore's median burst (preemptions do not move it). Best of %u alternating "
		"rounds.\n", r->peer_rounds);
}

/* Issue 3's "non-crypto cost": cycles/packet of the 64 B mesh->internet lines on one worker
 * minus the line's own floor (the open at 64 B, measured just before it), from the totals, and
 * from the median bursts of both. */
static void
print_non_crypto(const struct mg_bench_report *r, FILE *o)
{
	bool any = false;

	for (unsigned i = 0; i < r->n_fig; i++) {
		const struct mg_bench_figure *f = &r->fig[i];

		if (f->dir != MG_BENCH_MESH_TO_INET || f->size != MG_BENCH_SIZE_64 || f->workers != 1)
			continue;
		if (!any)
			fprintf(o, "non-crypto cost at 64 B, mesh->internet, one worker (cycles/packet "
				"minus the line's floor; median bursts minus the floor's median in "
				"brackets):");
		fprintf(o, "%s K=%u nat=%u: %.0f (%.0f)", any ? "," : "", f->peers, f->nat_sessions,
			f->cycles_per_pkt - f->floor_cycles_per_pkt,
			f->median_cycles_per_pkt - f->floor_median_cycles_per_pkt);
		any = true;
	}
	if (any)
		fputc('\n', o);
}

/* The run-to-completion lines; none with --only handshake or --only single_peer. */
static void
print_lines(const struct mg_bench_report *r, FILE *o)
{
	if (r->n_fig == 0)
		return;
	fprintf(o, "%-16s %-5s %7s %8s %2s %9s %8s %8s %8s %8s %7s %8s %6s %s\n", "direction",
		"size", "peers", "nat", "W", "packets", "cyc/pkt", "floor c.", "Mpps/W", "Gbit/W",
		"floor", "floor m.", "drops", "stages (cycles/pkt)");
	for (unsigned i = 0; i < r->n_fig; i++) {
		const struct mg_bench_figure *f = &r->fig[i];

		fprintf(o, "%-16s %-5s %7u %8u %2u%s %8llu %8.1f %8.1f %8.3f %8.3f %6.0f%% %7.0f%% "
			"%6llu ",
			mg_bench_dir_name(f->dir), mg_bench_size_name(f->size), f->peers,
			f->nat_sessions, f->workers, f->shared_core ? "*" : " ",
			(unsigned long long)f->packets, f->cycles_per_pkt, f->floor_cycles_per_pkt,
			f->mpps_per_worker,
			f->gbps_per_worker, f->floor_ratio * 100.0, f->floor_ratio_median * 100.0,
			(unsigned long long)drops_total(&f->counts));
		for (unsigned s = 0; s < f->n_stages && f->packets; s++)
			if (f->stage_cycles[s])
				fprintf(o, "%s=%.0f ", r->stage_names[s],
					(double)f->stage_cycles[s] / (double)f->packets);
		fputc('\n', o);
	}
	fprintf(o, "\nW*: a worker shares its CPU with another busy thread. floor c.: the line's "
		"floor, IPsec-MB alone on its size (open for mesh->internet, seal for "
		"internet->mesh), measured on the line's first worker lcore just before it. floor: "
		"packet rate as a share of that floor's. floor m.: the same from the median bursts "
		"of both, which preemptions of a shared machine do not move.\n");
}

void
mg_bench_print_table(const struct mg_bench_report *r, FILE *o)
{
	print_head(r, o);
	print_lines(r, o);
	print_non_crypto(r, o);
	print_pipe(r, o);
	print_peer(r, o);
}

static void
json_counts(FILE *o, const struct mg_bench_counts *k)
{
	fprintf(o, "\"counters\": {\"fed\": %llu, \"rx\": %llu, \"tx\": %llu, \"punted\": %llu, "
		"\"keepalives\": %llu, \"handed_off\": %llu, \"decrypted\": %llu, \"encrypted\": %llu, "
		"\"nat_out\": %llu, \"nat_in\": %llu, \"nat_created\": %llu, \"drops\": {",
		(unsigned long long)k->fed, (unsigned long long)k->rx, (unsigned long long)k->tx,
		(unsigned long long)k->punted, (unsigned long long)k->keepalives,
		(unsigned long long)k->handed_off, (unsigned long long)k->decrypted,
		(unsigned long long)k->encrypted, (unsigned long long)k->nat_out,
		(unsigned long long)k->nat_in, (unsigned long long)k->nat_created);
	for (unsigned d = 0; d < MG_DP_DROP_MAX; d++)
		fprintf(o, "%s\"%s\": %llu", d ? ", " : "", mg_dp_drop_name(d),
			(unsigned long long)k->drops[d]);
	fprintf(o, "}}");
}

static void
json_figure(FILE *o, const struct mg_bench_report *r, const struct mg_bench_figure *f)
{
	fprintf(o, "    {\"direction\": \"%s\", \"size\": \"%s\", \"peers\": %u, \"active_peers\": %u, "
		"\"nat_sessions\": %u, \"workers\": %u, \"shared_core\": %s, \"packets\": %llu, "
		"\"inner_bytes\": %llu, \"busy_cycles\": %llu, \"cycles_per_packet\": %.2f, "
		"\"median_cycles_per_packet\": %.2f, \"mpps_per_worker\": %.4f, "
		"\"gbps_per_worker\": %.4f, \"mpps_total\": %.4f, "
		"\"floor_cycles_per_packet\": %.2f, \"floor_median_cycles_per_packet\": %.2f, "
		"\"floor_ratio\": %.4f, \"floor_ratio_median\": %.4f, \"stage_cycles\": ",
		mg_bench_dir_name(f->dir), mg_bench_size_name(f->size), f->peers, f->active_peers,
		f->nat_sessions, f->workers, f->shared_core ? "true" : "false",
		(unsigned long long)f->packets, (unsigned long long)f->inner_bytes,
		(unsigned long long)f->busy_cycles, f->cycles_per_pkt, f->median_cycles_per_pkt,
		f->mpps_per_worker, f->gbps_per_worker, f->mpps_total, f->floor_cycles_per_pkt,
		f->floor_median_cycles_per_pkt, f->floor_ratio, f->floor_ratio_median);
	if (f->n_stages == 0) {
		fprintf(o, "null, ");
	} else {
		fputc('{', o);
		for (unsigned s = 0; s < f->n_stages; s++)
			fprintf(o, "%s\"%s\": %llu", s ? ", " : "", r->stage_names[s],
				(unsigned long long)f->stage_cycles[s]);
		fprintf(o, "}, ");
	}
	json_counts(o, &f->counts);
	fputc('}', o);
}

static void
json_head(FILE *o, const struct mg_bench_report *r)
{
	fprintf(o, "{\n  \"quick\": %s,\n  \"machine\": {\"cpu\": \"%s\", \"cpus\": %u, "
		"\"tsc_hz\": %llu, \"dpdk\": \"%s\", \"ipsec_mb\": \"%s\", \"ipsec_mb_arch\": \"%s\", "
		"\"lcores\": \"%s\", \"pages\": \"%s\"},\n", r->quick ? "true" : "false",
		r->cpu_model, r->cpus, (unsigned long long)r->tsc_hz, r->dpdk_version,
		r->ipsecmb_version, r->floor.arch, r->note, r->pages);
	fprintf(o, "  \"floor\": [");
	for (unsigned s = 0; s < MG_BENCH_N_SIZES; s++)
		fprintf(o, "%s{\"size\": \"%s\", \"seal_cycles_per_packet\": %.2f, "
			"\"open_cycles_per_packet\": %.2f, \"seal_median_cycles_per_packet\": %.2f, "
			"\"open_median_cycles_per_packet\": %.2f}", s ? ", " : "",
			mg_bench_size_name(s), r->floor.seal_cycles_per_pkt[s],
			r->floor.open_cycles_per_pkt[s], r->floor.seal_median_cycles_per_pkt[s],
			r->floor.open_median_cycles_per_pkt[s]);
	fprintf(o, "],\n  \"handshakes\": {\"completed\": %llu, \"responder_cycles\": %.1f, "
		"\"per_second\": %.1f, \"x25519_cycles\": %.1f, \"x25519_base_cycles\": %.1f, "
		"\"floor_cycles\": %.1f, \"responder_median_cycles\": %.1f, "
		"\"x25519_median_cycles\": %.1f, \"x25519_base_median_cycles\": %.1f, "
		"\"floor_median_cycles\": %.1f, \"sodium_base_cycles\": %.1f, "
		"\"sodium_base_median_cycles\": %.1f},\n", (unsigned long long)r->hs.completed,
		r->hs.responder_cycles, r->hs.per_second, r->hs.x25519_cycles,
		r->hs.x25519_base_cycles, r->hs.floor_cycles, r->hs.responder_median_cycles,
		r->hs.x25519_median_cycles, r->hs.x25519_base_median_cycles,
		r->hs.floor_median_cycles, r->hs.sodium_base_cycles, r->hs.sodium_base_median_cycles);
	fprintf(o, "  \"memory\": {\"bytes_per_peer\": %.1f, \"bytes_per_session\": %.1f, "
		"\"nat_declared_per_session\": %llu},\n", r->mem.bytes_per_peer,
		r->mem.bytes_per_session, (unsigned long long)r->mem.nat_declared_per_session);
}

static void
json_pipe(FILE *o, const struct mg_bench_pipe_figure *f)
{
	fprintf(o, "    {\"direction\": \"%s\", \"size\": \"%s\", \"peers\": %u, "
		"\"active_peers\": %u, \"crypto_lcores\": %u, \"packets\": %llu, "
		"\"inner_bytes\": %llu, \"busy_cycles\": %llu, \"cycles_per_packet\": %.2f, "
		"\"rtc_cycles_per_packet\": %.2f, \"median_cycles_per_packet\": %.2f, "
		"\"rtc_median_cycles_per_packet\": %.2f, \"model_mpps\": [%.4f, %.4f], "
		"\"model_median_mpps\": [%.4f, %.4f], \"bottleneck\": [\"%s\", \"%s\"], "
		"\"roles\": {", mg_bench_dir_name(f->dir), mg_bench_size_name(f->size), f->peers,
		f->active_peers, f->crypto_lcores, (unsigned long long)f->packets,
		(unsigned long long)f->inner_bytes, (unsigned long long)f->busy_cycles,
		f->cycles_per_pkt, f->rtc_cycles_per_pkt, f->median_cycles_per_pkt,
		f->rtc_median_cycles_per_pkt, f->model_mpps[0], f->model_mpps[1],
		f->model_median_mpps[0], f->model_median_mpps[1],
		mg_bench_role_name(f->bottleneck[0]), mg_bench_role_name(f->bottleneck[1]));
	for (unsigned r = 0; r < MG_BENCH_N_ROLES; r++) {
		const struct mg_bench_role_figure *k = &f->role[r];
		fprintf(o, "%s\"%s\": {\"passes\": %llu, \"cycles\": %llu, "
			"\"cycles_per_packet\": %.2f, \"median_cycles_per_packet\": %.2f, \"in\": %llu, "
			"\"out\": %llu, \"drops\": %llu, \"consumed\": %llu}", r ? ", " : "",
			mg_bench_role_name(r), (unsigned long long)k->passes,
			(unsigned long long)k->cycles, k->cycles_per_pkt, k->median_cycles_per_pkt,
			(unsigned long long)k->in, (unsigned long long)k->out,
			(unsigned long long)k->drops, (unsigned long long)k->consumed);
	}
	fprintf(o, "}, ");
	json_counts(o, &f->counts);
	fputc('}', o);
}

static void
json_peer(FILE *o, const struct mg_bench_peer_figure *f)
{
	fprintf(o, "    {\"direction\": \"%s\", \"stage\": \"%s\", \"size\": \"%s\", "
		"\"lcores\": %u, \"own_peers\": %s, \"mpps\": %.4f, \"ratio\": %.4f, "
		"\"mpps_median\": %.4f, \"ratio_median\": %.4f, \"per_lcore\": [",
		mg_bench_dir_name(f->dir), peer_stage(f->dir), mg_bench_size_name(f->size),
		f->lcores, f->own_peers ? "true" : "false", f->mpps, f->ratio, f->mpps_median,
		f->ratio_median);
	for (unsigned k = 0; k < MG_BENCH_PEER_LCORES; k++)
		fprintf(o, "%s{\"cpu\": %u, \"packets\": %llu, \"busy_cycles\": %llu, "
			"\"mpps\": %.4f, \"mpps_median\": %.4f}", k ? ", " : "", f->cpu[k],
			(unsigned long long)f->packets[k], (unsigned long long)f->busy_cycles[k],
			f->mpps_lcore[k], f->mpps_median_lcore[k]);
	fprintf(o, "], \"fed\": %llu, \"done\": %llu, \"consumed\": %llu, \"drops\": {",
		(unsigned long long)f->fed, (unsigned long long)f->done,
		(unsigned long long)f->consumed);
	for (unsigned d = 0; d < MG_DP_DROP_MAX; d++)
		fprintf(o, "%s\"%s\": %llu", d ? ", " : "", mg_dp_drop_name(d),
			(unsigned long long)f->drops[d]);
	fprintf(o, "}}");
}

int
mg_bench_write_json(const struct mg_bench_report *r, const char *path)
{
	FILE *o = fopen(path, "w");

	if (o == NULL)
		return -1;
	json_head(o, r);
	fprintf(o, "  \"figures\": [\n");
	for (unsigned i = 0; i < r->n_fig; i++) {
		json_figure(o, r, &r->fig[i]);
		fprintf(o, "%s\n", i + 1 < r->n_fig ? "," : "");
	}
	fprintf(o, "  ],\n  \"pipeline\": [\n");
	for (unsigned i = 0; i < r->n_pipe; i++) {
		json_pipe(o, &r->pipe[i]);
		fprintf(o, "%s\n", i + 1 < r->n_pipe ? "," : "");
	}
	fprintf(o, "  ],\n  \"single_peer\": [\n");
	for (unsigned i = 0; i < r->n_peer; i++) {
		json_peer(o, &r->peer[i]);
		fprintf(o, "%s\n", i + 1 < r->n_peer ? "," : "");
	}
	fprintf(o, "  ]\n}\n");
	return fclose(o) == 0 ? 0 : -1;
}
