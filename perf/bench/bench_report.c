/* Output of the benchmark: a human table (one line per direction, size and table shape, then the
 * per-stage breakdown) and the same figures as JSON, with the machine and the counters each
 * measurement moved, so a checker can verify they add up.
 */
#include <stdio.h>

#include "bench_int.h"

static void
print_head(const struct mg_bench_report *r, FILE *o)
{
	fprintf(o, "meshgate data-plane benchmark%s\n", r->quick ? " (--quick: figures are rough)" : "");
	fprintf(o, "cpu: %s, %u CPUs, TSC %.3f GHz; DPDK %s; IPsec-MB %s (%s)\n", r->cpu_model,
		r->cpus, (double)r->tsc_hz / 1e9, r->dpdk_version, r->ipsecmb_version, r->floor.arch);
	fprintf(o, "lcores: %s\n\n", r->note);
	fprintf(o, "floor (IPsec-MB ChaCha20-Poly1305 alone, bursts of 32)\n");
	fprintf(o, "  %-6s %12s %10s %12s %10s\n", "size", "seal cyc/pkt", "seal Mpps", "open cyc/pkt",
		"open Mpps");
	for (unsigned s = 0; s < MG_BENCH_N_SIZES; s++)
		fprintf(o, "  %-6s %12.1f %10.2f %12.1f %10.2f\n", mg_bench_size_name(s),
			r->floor.seal_cycles_per_pkt[s],
			(double)r->tsc_hz / r->floor.seal_cycles_per_pkt[s] / 1e6,
			r->floor.open_cycles_per_pkt[s],
			(double)r->tsc_hz / r->floor.open_cycles_per_pkt[s] / 1e6);
	fprintf(o, "\nhandshakes (responder, one control lcore): %llu done, %.0f cycles each, "
		"%.0f /s\n", (unsigned long long)r->hs.completed, r->hs.responder_cycles,
		r->hs.per_second);
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

void
mg_bench_print_table(const struct mg_bench_report *r, FILE *o)
{
	print_head(r, o);
	fprintf(o, "%-16s %-5s %7s %8s %2s %9s %8s %8s %8s %7s %6s %s\n", "direction", "size",
		"peers", "nat", "W", "packets", "cyc/pkt", "Mpps/W", "Gbit/W", "floor", "drops",
		"stages (cycles/pkt)");
	for (unsigned i = 0; i < r->n_fig; i++) {
		const struct mg_bench_figure *f = &r->fig[i];

		fprintf(o, "%-16s %-5s %7u %8u %2u%s %8llu %8.1f %8.3f %8.3f %6.0f%% %6llu ",
			mg_bench_dir_name(f->dir), mg_bench_size_name(f->size), f->peers,
			f->nat_sessions, f->workers, f->shared_core ? "*" : " ",
			(unsigned long long)f->packets, f->cycles_per_pkt, f->mpps_per_worker,
			f->gbps_per_worker, f->floor_ratio * 100.0,
			(unsigned long long)drops_total(&f->counts));
		for (unsigned s = 0; s < f->n_stages && f->packets; s++)
			if (f->stage_cycles[s])
				fprintf(o, "%s=%.0f ", r->stage_names[s],
					(double)f->stage_cycles[s] / (double)f->packets);
		fputc('\n', o);
	}
	fprintf(o, "\nW*: a worker shares its CPU with another busy thread. floor: packet rate as a "
		"share of IPsec-MB alone (open for mesh->internet, seal for internet->mesh).\n");
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
		"\"mpps_per_worker\": %.4f, \"gbps_per_worker\": %.4f, \"mpps_total\": %.4f, "
		"\"floor_ratio\": %.4f, \"stage_cycles\": ",
		mg_bench_dir_name(f->dir), mg_bench_size_name(f->size), f->peers, f->active_peers,
		f->nat_sessions, f->workers, f->shared_core ? "true" : "false",
		(unsigned long long)f->packets, (unsigned long long)f->inner_bytes,
		(unsigned long long)f->busy_cycles, f->cycles_per_pkt, f->mpps_per_worker,
		f->gbps_per_worker, f->mpps_total, f->floor_ratio);
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
		"\"lcores\": \"%s\"},\n", r->quick ? "true" : "false", r->cpu_model, r->cpus,
		(unsigned long long)r->tsc_hz, r->dpdk_version, r->ipsecmb_version, r->floor.arch,
		r->note);
	fprintf(o, "  \"floor\": [");
	for (unsigned s = 0; s < MG_BENCH_N_SIZES; s++)
		fprintf(o, "%s{\"size\": \"%s\", \"seal_cycles_per_packet\": %.2f, "
			"\"open_cycles_per_packet\": %.2f}", s ? ", " : "", mg_bench_size_name(s),
			r->floor.seal_cycles_per_pkt[s], r->floor.open_cycles_per_pkt[s]);
	fprintf(o, "],\n  \"handshakes\": {\"completed\": %llu, \"responder_cycles\": %.1f, "
		"\"per_second\": %.1f},\n", (unsigned long long)r->hs.completed,
		r->hs.responder_cycles, r->hs.per_second);
	fprintf(o, "  \"memory\": {\"bytes_per_peer\": %.1f, \"bytes_per_session\": %.1f, "
		"\"nat_declared_per_session\": %llu},\n", r->mem.bytes_per_peer,
		r->mem.bytes_per_session, (unsigned long long)r->mem.nat_declared_per_session);
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
	fprintf(o, "  ]\n}\n");
	return fclose(o) == 0 ? 0 : -1;
}
