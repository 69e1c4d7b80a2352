/* Operator view through DPDK telemetry (/var/run/dpdk/<instance>/dpdk_telemetry.v2):
 *   /meshgate/stats  data-plane counters summed over workers, drops by reason, control counters,
 *                    handshake counters and drops by reason
 *   /meshgate/peers  one entry per peer: key, endpoint, traffic, handshake age   (param: first id)
 *   /meshgate/nat    NAT sessions and results, summed over workers
 *   /meshgate/ports  per port: address, MAC and the ethdev counters
 *   /meshgate/workers per worker lcore: its own counters and total drops
 * Callbacks run on the telemetry thread and only read: counters may be a few packets stale.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>
#include <sodium.h>

#include "control_internal.h"
#include "data_crypto.h"
#include "device.h"
#include "dp.h"
#include "nat.h"

static struct mg_control *tel_ctl; /* telemetry callbacks take no context pointer */

#define MG_CTL_NAME(id, name) name,
static const char *const ctl_names[] = { MG_CTL_COUNTER_LIST(MG_CTL_NAME) };
#undef MG_CTL_NAME

const char *
mg_ctl_counter_name(enum mg_ctl_counter id)
{
	return id < MG_CTL_COUNTER_MAX ? ctl_names[id] : "unknown";
}

/* Telemetry accepts only letters, digits, '_' and '/' in names: turn a human string such as
 * "cookie required (cookie reply sent)" into cookie_required_cookie_reply_sent. */
static void
tel_add_u64(struct rte_tel_data *d, const char *text, uint64_t v)
{
	char name[RTE_TEL_MAX_STRING_LEN];
	size_t n = 0;
	bool gap = false;

	for (const char *t = text; *t && n + 1 < sizeof(name); t++) {
		if (isalnum((unsigned char)*t)) {
			if (gap && n > 0)
				name[n++] = '_';
			if (n + 1 < sizeof(name))
				name[n++] = (char)tolower((unsigned char)*t);
			gap = false;
		} else {
			gap = true;
		}
	}
	name[n] = '\0';
	rte_tel_data_add_dict_u64(d, name, v);
}

static void
sum_workers(const struct mg_dp *dp, struct mg_dp_counters *sum)
{
	struct mg_dp_counters per[MG_DP_MAX_WORKERS];

	for (unsigned w = 0; w < dp->n_workers; w++)
		per[w] = dp->workers[w]->counters;
	mg_dp_counters_sum(per, dp->n_workers, sum);
}

static void
add_device_stats(const struct mg_control *c, struct rte_tel_data *d)
{
	struct mg_wg_device_stats st;
	struct rte_tel_data *drops = rte_tel_data_alloc();

	mg_wg_device_get_stats(c->p.dev, &st);
	rte_tel_data_add_dict_u64(d, "handshakes_completed", st.handshakes_completed);
	rte_tel_data_add_dict_u64(d, "handshake_initiations_received", st.initiations_received);
	rte_tel_data_add_dict_u64(d, "handshake_initiations_sent", st.initiations_sent);
	rte_tel_data_add_dict_u64(d, "handshake_responses_sent", st.responses_sent);
	rte_tel_data_add_dict_u64(d, "handshake_responses_received", st.responses_received);
	rte_tel_data_add_dict_u64(d, "cookie_replies_sent", st.cookie_replies_sent);
	rte_tel_data_add_dict_u64(d, "peers", mg_wg_device_peer_count(c->p.dev));
	if (drops == NULL)
		return;
	rte_tel_data_start_dict(drops);
	for (int r = 1; r < MG_WG_DROP_COUNT; r++)
		tel_add_u64(drops, mg_wg_drop_reason_str(r), st.drops[r]);
	rte_tel_data_add_dict_container(d, "handshake_drops", drops, 0);
}

static int
cmd_stats(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct mg_control *c = tel_ctl;
	struct mg_dp_counters sum;
	struct rte_tel_data *drops = rte_tel_data_alloc();

	sum_workers(c->dp, &sum);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "uptime_s", (mg_dp_now_ns() - c->started_ns) / 1000000000ULL);
	for (int i = 0; i < MG_DP_COUNTER_MAX; i++)
		rte_tel_data_add_dict_u64(d, mg_dp_counter_name(i), sum.c[i]);
	for (int i = 0; i < MG_CTL_COUNTER_MAX; i++)
		rte_tel_data_add_dict_u64(d, ctl_names[i], c->counters[i]);
	rte_tel_data_add_dict_u64(d, "keypairs_in_use", mg_dp_keypairs_in_use(c->dp));
	add_device_stats(c, d);
	if (drops == NULL)
		return 0;
	rte_tel_data_start_dict(drops);
	for (int i = 0; i < MG_DP_DROP_MAX; i++)
		rte_tel_data_add_dict_u64(drops, mg_dp_drop_name(i), sum.drop[i]);
	rte_tel_data_add_dict_container(d, "drops", drops, 0);
	return 0;
}

static void
format_endpoint(uint64_t ep, char *buf, size_t len)
{
	uint32_t ip = rte_be_to_cpu_32(mg_dp_endpoint_ip(ep));

	if (ep == 0)
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "%u.%u.%u.%u:%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
			 ip & 0xff, rte_be_to_cpu_16(mg_dp_endpoint_port(ep)));
}

static struct rte_tel_data *
peer_dict(const struct mg_control *c, uint32_t id, uint64_t now)
{
	const struct mg_dp_peer *p = &c->dp->peers[id];
	struct rte_tel_data *d = rte_tel_data_alloc();
	char key[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	char ep[32];
	const uint8_t *pub = mg_wg_device_peer_public_key(c->p.dev, (int)id);
	const struct mg_dp_keypair *cur = __atomic_load_n(&p->current, __ATOMIC_ACQUIRE);
	struct mg_dp_peer_traffic traffic;

	if (d == NULL)
		return NULL;
	mg_dp_peer_traffic(c->dp, id, &traffic);
	rte_tel_data_start_dict(d);
	if (pub != NULL) {
		sodium_bin2base64(key, sizeof(key), pub, 32, sodium_base64_VARIANT_ORIGINAL);
		rte_tel_data_add_dict_string(d, "public_key", key);
	}
	format_endpoint(p->endpoint, ep, sizeof(ep));
	rte_tel_data_add_dict_string(d, "endpoint", ep);
	rte_tel_data_add_dict_u64(d, "rx_packets", traffic.rx_packets);
	rte_tel_data_add_dict_u64(d, "rx_bytes", traffic.rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_packets", traffic.tx_packets);
	rte_tel_data_add_dict_u64(d, "tx_bytes", traffic.tx_bytes);
	rte_tel_data_add_dict_u64(d, "session_age_s",
				  cur ? (now - cur->birth_ns) / 1000000000ULL : UINT64_MAX);
	rte_tel_data_add_dict_u64(d, "last_rx_age_ms",
				  p->last_rx_ns ? (now - p->last_rx_ns) / 1000000ULL : UINT64_MAX);
	return d;
}

static int
cmd_peers(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct mg_control *c = tel_ctl;
	uint32_t first = params ? (uint32_t)strtoul(params, NULL, 10) : 0;
	uint32_t n = mg_wg_device_peer_id_end(c->p.dev); /* ids below may be free: not in_use */
	uint64_t now = mg_dp_now_ns();
	unsigned shown = 0;

	rte_tel_data_start_dict(d);
	for (uint32_t id = first; id < n && id < c->dp->max_peers && shown < 64; id++) {
		char name[16];
		struct rte_tel_data *pd;

		if (!c->dp->peers[id].in_use || (pd = peer_dict(c, id, now)) == NULL)
			continue;
		snprintf(name, sizeof(name), "%u", id);
		rte_tel_data_add_dict_container(d, name, pd, 0);
		shown++;
	}
	return 0;
}

static int
cmd_nat(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct mg_control *c = tel_ctl;
	struct mg_nat_stats total = { 0 }, st;

	for (unsigned w = 0; w < c->dp->n_workers; w++) {
		if (c->dp->workers[w]->nat == NULL)
			continue;
		mg_nat_get_stats(c->dp->workers[w]->nat, &st);
		total.sessions += st.sessions;
		total.mappings += st.mappings;
		total.created += st.created;
		total.expired += st.expired;
		total.icmp_errors_in += st.icmp_errors_in;
		for (int r = 0; r < MG_NAT_RESULT_COUNT; r++) {
			total.out_create[r] += st.out_create[r];
			total.in[r] += st.in[r];
		}
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "sessions", total.sessions);
	rte_tel_data_add_dict_u64(d, "mappings", total.mappings);
	rte_tel_data_add_dict_u64(d, "created", total.created);
	rte_tel_data_add_dict_u64(d, "expired", total.expired);
	rte_tel_data_add_dict_u64(d, "icmp_errors_in", total.icmp_errors_in);
	rte_tel_data_add_dict_u64(d, "memory_per_session", mg_nat_memory_per_session());
	for (int r = 1; r < MG_NAT_RESULT_COUNT; r++) {
		char name[96];
		snprintf(name, sizeof(name), "create %s", mg_nat_result_str(r));
		tel_add_u64(d, name, total.out_create[r]);
	}
	return 0;
}

static int
cmd_ports(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct mg_control *c = tel_ctl;

	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < c->dp->n_ports; i++) {
		const struct mg_dp_port *p = &c->dp->ports[i];
		struct rte_tel_data *pd = rte_tel_data_alloc();
		struct rte_eth_stats es;
		char mac[RTE_ETHER_ADDR_FMT_SIZE];

		if (pd == NULL)
			break;
		rte_eth_stats_get(p->port_id, &es);
		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		rte_tel_data_start_dict(pd);
		rte_tel_data_add_dict_string(pd, "mac", mac);
		rte_tel_data_add_dict_u64(pd, "ipackets", es.ipackets);
		rte_tel_data_add_dict_u64(pd, "opackets", es.opackets);
		rte_tel_data_add_dict_u64(pd, "ibytes", es.ibytes);
		rte_tel_data_add_dict_u64(pd, "obytes", es.obytes);
		rte_tel_data_add_dict_u64(pd, "imissed", es.imissed);
		rte_tel_data_add_dict_u64(pd, "ierrors", es.ierrors);
		rte_tel_data_add_dict_u64(pd, "oerrors", es.oerrors);
		rte_tel_data_add_dict_container(d, p->name, pd, 0);
	}
	return 0;
}

static int
cmd_workers(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct mg_control *c = tel_ctl;

	rte_tel_data_start_dict(d);
	for (unsigned w = 0; w < c->dp->n_workers; w++) {
		const struct mg_dp_worker *wk = c->dp->workers[w];
		struct rte_tel_data *wd = rte_tel_data_alloc();
		uint64_t drops = 0;
		char name[32];

		if (wd == NULL)
			break;
		for (int i = 0; i < MG_DP_DROP_MAX; i++)
			drops += wk->counters.drop[i];
		rte_tel_data_start_dict(wd);
		rte_tel_data_add_dict_u64(wd, "lcore", wk->lcore);
		rte_tel_data_add_dict_string(wd, "aead_code_path", mg_wg_crypto_arch(wk->crypto));
		for (int i = 0; i < MG_DP_COUNTER_MAX; i++)
			rte_tel_data_add_dict_u64(wd, mg_dp_counter_name(i), wk->counters.c[i]);
		rte_tel_data_add_dict_u64(wd, "drops", drops);
		snprintf(name, sizeof(name), "worker%u", w);
		rte_tel_data_add_dict_container(d, name, wd, 0);
	}
	return 0;
}

int
mg_ctl_telemetry_register(struct mg_control *c)
{
	tel_ctl = c;
	return rte_telemetry_register_cmd("/meshgate/stats", cmd_stats,
					  "Gateway counters and drops by reason") |
	       rte_telemetry_register_cmd("/meshgate/peers", cmd_peers,
					  "Peers (up to 64). Parameter: first peer id") |
	       rte_telemetry_register_cmd("/meshgate/nat", cmd_nat, "NAT table usage and results") |
	       rte_telemetry_register_cmd("/meshgate/ports", cmd_ports, "Port counters") |
	       rte_telemetry_register_cmd("/meshgate/workers", cmd_workers,
					  "Per-worker (per-lcore) counters");
}

void
mg_control_print_stats(struct mg_control *c, FILE *out)
{
	struct mg_dp_counters sum;
	struct mg_wg_device_stats st;

	sum_workers(c->dp, &sum);
	mg_wg_device_get_stats(c->p.dev, &st);
	fprintf(out, "meshgate: stats: peers %u handshakes %" PRIu64 " rx %" PRIu64 " tx %" PRIu64
		" decrypted %" PRIu64 " encrypted %" PRIu64 " nat_out %" PRIu64 " nat_in %" PRIu64,
		mg_wg_device_peer_count(c->p.dev), st.handshakes_completed, sum.c[MG_DP_RX_PACKETS],
		sum.c[MG_DP_TX_PACKETS], sum.c[MG_DP_DECRYPTED], sum.c[MG_DP_ENCRYPTED],
		sum.c[MG_DP_NAT_OUT], sum.c[MG_DP_NAT_IN]);
	fprintf(out, " drops:");
	for (int i = 0; i < MG_DP_DROP_MAX; i++)
		if (sum.drop[i])
			fprintf(out, " %s=%" PRIu64, mg_dp_drop_name(i), sum.drop[i]);
	fprintf(out, "\n");
	fflush(out);
}
