/* Port bring-up: EAL arguments per driver, queue and RSS configuration, start and stop.
 * Virtual devices are named net_<driver><idx> so that several ports of one kind can coexist. */
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "port.h"

static const char *
vdev_driver(const char *driver)
{
	if (strcmp(driver, "af_packet") == 0)
		return "net_af_packet";
	if (strcmp(driver, "tap") == 0)
		return "net_tap";
	if (strcmp(driver, "ring") == 0)
		return "net_ring";
	if (strcmp(driver, "null") == 0)
		return "net_null";
	if (strcmp(driver, "pcap") == 0)
		return "net_pcap";
	return NULL;
}

int
mg_port_eal_arg(const struct mg_port_config *pc, unsigned int idx, unsigned int n_queues,
		char *opt, size_t opt_len, char *value, size_t value_len)
{
	const char *drv = vdev_driver(pc->driver);
	const char *sep = pc->devargs[0] ? "," : "";

	if (strcmp(pc->driver, "pci") == 0) {
		snprintf(opt, opt_len, "-a");
		snprintf(value, value_len, "%s%s%s", pc->iface, sep, pc->devargs);
		return 0;
	}
	if (drv == NULL)
		return -1;
	snprintf(opt, opt_len, "--vdev");
	if (strcmp(pc->driver, "af_packet") == 0)
		snprintf(value, value_len, "%s%u,iface=%s,qpairs=%u%s%s", drv, idx, pc->iface,
			 n_queues, sep, pc->devargs);
	else if (strcmp(pc->driver, "tap") == 0)
		snprintf(value, value_len, "%s%u,iface=%s%s%s", drv, idx, pc->iface, sep,
			 pc->devargs);
	else
		snprintf(value, value_len, "%s%u%s%s", drv, idx, sep, pc->devargs);
	return 0;
}

int
mg_port_lookup(const struct mg_port_config *pc, unsigned int idx, uint16_t *port_id)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	const char *drv = vdev_driver(pc->driver);

	if (drv != NULL)
		snprintf(name, sizeof(name), "%s%u", drv, idx);
	else
		snprintf(name, sizeof(name), "%s", pc->iface);
	return rte_eth_dev_get_port_by_name(name, port_id);
}

static void
rss_conf(const struct rte_eth_dev_info *info, unsigned int n_queues, struct rte_eth_conf *conf)
{
	uint64_t want = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP;

	if (n_queues < 2 || (info->flow_type_rss_offloads & want) == 0)
		return;
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf->rx_adv_conf.rss_conf.rss_hf = want & info->flow_type_rss_offloads;
}

int
mg_port_start(uint16_t port_id, const struct mg_port_config *pc, unsigned int n_queues,
	      struct rte_mempool *pool, struct rte_ether_addr *mac, char *err, size_t errlen)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t rxd = pc->rx_desc ? pc->rx_desc : 1024, txd = pc->tx_desc ? pc->tx_desc : 1024;
	int socket = rte_eth_dev_socket_id(port_id);
	int rc;

	if ((rc = rte_eth_dev_info_get(port_id, &info)) != 0)
		goto fail;
	if (n_queues > info.max_rx_queues || n_queues > info.max_tx_queues) {
		snprintf(err, errlen, "port %s: %u queues wanted, device has %u rx / %u tx",
			 pc->name, n_queues, info.max_rx_queues, info.max_tx_queues);
		return -1;
	}
	rss_conf(&info, n_queues, &conf);
	if ((rc = rte_eth_dev_configure(port_id, n_queues, n_queues, &conf)) != 0 ||
	    (rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rxd, &txd)) != 0)
		goto fail;
	for (unsigned q = 0; q < n_queues; q++) {
		if ((rc = rte_eth_rx_queue_setup(port_id, q, rxd, socket, NULL, pool)) != 0 ||
		    (rc = rte_eth_tx_queue_setup(port_id, q, txd, socket, NULL)) != 0)
			goto fail;
	}
	if (pc->mtu && rte_eth_dev_set_mtu(port_id, pc->mtu) != 0)
		fprintf(stderr, "meshgate: port %s: MTU %u not settable, keeping the device's\n",
			pc->name, pc->mtu);
	if ((rc = rte_eth_dev_start(port_id)) != 0 || (rc = rte_eth_macaddr_get(port_id, mac)) != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "port %s (%s %s): %s", pc->name, pc->driver, pc->iface,
		 rte_strerror(-rc));
	return -1;
}

void
mg_port_stop(uint16_t port_id)
{
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
}
