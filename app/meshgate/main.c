/* meshgate: the WireGuard exit (and relay) gateway daemon.
 *
 *   meshgate [-c FILE] [--check] [--public-key] [-- EAL arguments]
 *
 * Loads and validates the configuration (the embedded default without -c), builds the EAL command
 * line from it, assembles the gateway and runs it until SIGINT or SIGTERM, then prints the final
 * statistics and wipes its keys. Everything of substance lives in lib/ and drivers-glue/.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <sodium.h>

#include "config.h"
#include "dp_state.h"
#include "eal_args.h"
#include "gateway.h"

enum exit_code { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_CONFIG = 2, EXIT_RUNTIME = 3 };

static volatile bool quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = true;
}

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-c FILE] [--check] [--public-key] [-- EAL arguments]\n"
		"  -c, --config FILE  configuration (default: the embedded one, conf/meshgate.conf)\n"
		"  --check            validate the configuration and exit\n"
		"  --public-key       print the gateway's WireGuard public key and exit\n",
		prog);
}

struct cli {
	const char *config;
	bool check;
	bool public_key;
	int eal_argc;
	char **eal_argv;
};

static int
parse_cli(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "public-key", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	memset(cli, 0, sizeof(*cli));
	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': cli->config = optarg; break;
		case 'k': cli->check = true; break;
		case 'p': cli->public_key = true; break;
		default: return -1;
		}
	}
	cli->eal_argc = argc - optind;
	cli->eal_argv = argv + optind;
	return 0;
}

static int
load_config(const struct cli *cli, struct mg_config *cfg)
{
	char err[MG_CONFIG_ERR_LEN];
	int rc;

	mg_config_defaults(cfg);
	if (cli->config)
		rc = mg_config_load_file(cfg, cli->config, err, sizeof(err));
	else
		rc = mg_config_load_string(cfg, mg_config_embedded_default(), "<embedded>", err,
					   sizeof(err));
	if (rc == 0 && !cli->check)
		rc = mg_config_resolve_private_key(cfg, err, sizeof(err));
	if (rc == 0 && !cli->check && !cli->public_key)
		rc = mg_config_resolve_mesh_identity(cfg, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "meshgate: %s\n", err);
	return rc;
}

static void
print_public_key(const struct mg_config *cfg)
{
	uint8_t pub[32];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];

	crypto_scalarmult_base(pub, cfg->private_key);
	sodium_bin2base64(b64, sizeof(b64), pub, sizeof(pub), sodium_base64_VARIANT_ORIGINAL);
	printf("%s\n", b64);
}

static int
run(struct mg_config *cfg, const char *prog, const struct cli *cli)
{
	struct mg_eal_args eal;
	struct mg_gateway *g;
	char err[512], aead[64];

	if (mg_eal_args_build(&eal, cfg, prog, cli->eal_argc, cli->eal_argv, err, sizeof(err))) {
		fprintf(stderr, "meshgate: %s\n", err);
		return EXIT_CONFIG;
	}
	fprintf(stderr, "meshgate: %s hugepages (hugepages = %s)\n",
		eal.hugepages ? "using" : "not using (--no-huge)",
		cfg->hugepages == MG_HUGEPAGES_AUTO ? "auto"
		: cfg->hugepages == MG_HUGEPAGES_ON ? "on" : "off");
	if (eal.shared_cpus)
		fprintf(stderr, "meshgate: %u lcores on %ld CPUs: lcores share CPUs (expect less "
			"throughput than on a machine with a core each)\n",
			mg_config_dataplane_lcores(cfg) + 1, sysconf(_SC_NPROCESSORS_ONLN));
	if (rte_eal_init(eal.argc, eal.argv) < 0) {
		fprintf(stderr, "meshgate: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return EXIT_RUNTIME;
	}
	mg_dp_clock_init();
	g = mg_gateway_create(cfg, &quit, err, sizeof(err));
	if (g == NULL) {
		fprintf(stderr, "meshgate: %s\n", err);
		rte_eal_cleanup();
		return EXIT_RUNTIME;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	mg_gateway_describe_aead(g, aead, sizeof(aead));
	printf("meshgate: data-plane AEAD: %s\n", aead);
	printf("meshgate: ready: instance %s, %s, %u data-plane lcore(s), %u port(s), listening on "
	       "UDP %u, public key ", cfg->instance,
	       cfg->datapath == MG_DATAPATH_PIPELINE ? "pipeline" : "run-to-completion",
	       mg_config_dataplane_lcores(cfg), cfg->n_ports, cfg->listen_port);
	print_public_key(cfg);
	fflush(stdout);
	mg_gateway_run(g);
	printf("meshgate: stopping; final ");
	mg_gateway_print_stats(g);
	mg_gateway_destroy(g);
	rte_eal_cleanup();
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct mg_config cfg;
	struct cli cli;
	int rc;

	if (sodium_init() < 0 || parse_cli(argc, argv, &cli) != 0) {
		usage(argv[0]);
		return EXIT_USAGE;
	}
	if (load_config(&cli, &cfg) != 0) {
		mg_config_free(&cfg);
		return EXIT_CONFIG;
	}
	if (cli.check) {
		printf("%s: configuration OK\n", cli.config ? cli.config : "<embedded>");
		rc = EXIT_OK;
	} else if (cli.public_key) {
		print_public_key(&cfg);
		rc = EXIT_OK;
	} else {
		rc = run(&cfg, argv[0], &cli);
	}
	mg_config_free(&cfg);
	return rc;
}
