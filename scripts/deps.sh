#!/bin/sh
# Installs every Debian package meshgate needs to build, unit-test and run its integration tests.
# Idempotent: when all packages are already present it returns at once without touching apt.
# Run as root (CI and the integration tests run as root anyway).
set -eu

PKGS="build-essential pkg-config meson ninja-build libdpdk-dev dpdk libipsec-mb-dev libsodium-dev \
libb2-dev libconfig-dev libjemalloc-dev libcunit1-dev wireguard-go wireguard-tools iperf3 curl \
iproute2 python3 tcpdump ethtool nftables iputils-ping"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y --no-install-recommends $PKGS
