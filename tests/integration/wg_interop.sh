#!/bin/bash
# Interop of meshgate's handshake (lib/wg device) with a stock WireGuard client.
#
# Two namespaces joined by a veth: the client (198.51.100.2) runs stock wireguard-go configured
# with `wg set`; the responder (198.51.100.1) runs tests/tools/wg_responder, which drives
# mg_wg_device over a plain UDP socket. The client pings 100.64.0.1 through the tunnel; the
# responder must complete the handshake and decrypt the ICMP echo request from 100.64.0.2.
# Runs: without preshared key, with one, and under load (cookie reply, then mac2). Needs root.
#
# Usage: tests/integration/wg_interop.sh [path/to/wg_responder]   (default: build/tests/tools/...)
# WG_INTEROP_DUMP=file: write the first initiation of the no-psk run there (hex) for test vectors.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RESPONDER=${1:-${WG_RESPONDER:-$ROOT/build/tests/tools/wg_responder}}
NS_C=mg-wgi-c-$$
NS_R=mg-wgi-r-$$
TMP=$(mktemp -d /tmp/wg_interop.XXXXXX)
PIDS=()

# Fixed test-only keys (also used by the fixed vector in tests/unit/wg/test_wg_vector.c).
RESP_PRIV='ADMHQSkSDbDI9kKfPHvRoSFlwPAh0soK2fjt3FHpeUY='
RESP_PUB='LcV4j94be17q8cnh/FtquoKFcCmSnfbk7SNF4FdJ5lA='
CLIENT_PRIV='gMuDRXiYg+bVcYKgHUSvTM52IwyvMpbxrjE2OrrGwFw='
CLIENT_PUB='bWSXhJP6wKytRB3+5Y+PnUp6cKeHVNyPkVVhbpKQPAQ='
PSK='nQ+ualdN9v6EmM/3tJqs8UEmjvEaxfh75SY4SkLkZmk='

cleanup() {
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_R" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "FAIL: $*"
	exit 1
}

# Forget a pid we have already reaped.
forget() {
	local keep=() p
	for p in "${PIDS[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done
	PIDS=("${keep[@]}")
}

setup_net() {
	ip netns add "$NS_C" && ip netns add "$NS_R" || fail "cannot create namespaces"
	ip link add "veth-c$$" netns "$NS_C" type veth peer name "veth-r$$" netns "$NS_R" || fail "veth"
	ip -n "$NS_C" addr add 198.51.100.2/24 dev "veth-c$$"
	ip -n "$NS_R" addr add 198.51.100.1/24 dev "veth-r$$"
	ip -n "$NS_C" link set lo up && ip -n "$NS_C" link set "veth-c$$" up
	ip -n "$NS_R" link set lo up && ip -n "$NS_R" link set "veth-r$$" up
	umask 077
	echo "$RESP_PRIV" >"$TMP/resp.key"
	echo "$CLIENT_PRIV" >"$TMP/client.key"
	echo "$PSK" >"$TMP/psk"
}

# Start wireguard-go in the client namespace and configure it; prints its pid.
start_client() {
	local psk_args=() wgpid i
	[ "$1" = psk ] && psk_args=(preshared-key "$TMP/psk")
	WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 ip netns exec "$NS_C" wireguard-go -f wg0 \
		>"$TMP/wireguard-go.log" 2>&1 &
	wgpid=$!
	PIDS+=("$wgpid")
	for i in $(seq 50); do ip -n "$NS_C" link show wg0 >/dev/null 2>&1 && break; sleep 0.1; done
	ip netns exec "$NS_C" wg set wg0 private-key "$TMP/client.key" peer "$RESP_PUB" \
		"${psk_args[@]}" endpoint 198.51.100.1:51820 allowed-ips 100.64.0.1/32 || fail "wg set"
	ip -n "$NS_C" addr add 100.64.0.2/32 dev wg0
	ip -n "$NS_C" link set wg0 up
	ip -n "$NS_C" route add 100.64.0.1/32 dev wg0
	CLIENT_PID=$wgpid
}

stop_client() {
	kill "$CLIENT_PID" 2>/dev/null
	wait "$CLIENT_PID" 2>/dev/null
	forget "$CLIENT_PID"
	ip -n "$NS_C" link del wg0 2>/dev/null
}

# One run: $1 = name, $2 = psk|nopsk, then extra responder arguments.
run_case() {
	local name=$1 mode=$2 rpid rc psk_args=()
	shift 2
	[ "$mode" = psk ] && psk_args=(--psk-file "$TMP/psk")
	ip netns exec "$NS_R" "$RESPONDER" --private-key-file "$TMP/resp.key" --peer "$CLIENT_PUB" \
		"${psk_args[@]}" --expect-src 100.64.0.2 --timeout 25 "$@" >"$TMP/$name.log" 2>&1 &
	rpid=$!
	PIDS+=("$rpid")
	sleep 0.3
	start_client "$mode"
	# Echo requests keep coming until the responder has one (it sends no replies).
	ip netns exec "$NS_C" ping -c 12 -i 1 -W 1 100.64.0.1 >/dev/null 2>&1 &
	local ppid=$!
	PIDS+=("$ppid")
	wait "$rpid"
	rc=$?
	forget "$rpid"
	kill "$ppid" 2>/dev/null; wait "$ppid" 2>/dev/null; forget "$ppid"
	stop_client
	sed "s/^/  [$name] /" "$TMP/$name.log"
	[ $rc -eq 0 ] || { sed "s/^/  [wireguard-go] /" "$TMP/wireguard-go.log" | tail -20; return 1; }
	grep -q "SESSION" "$TMP/$name.log" || return 1
	return 0
}

[ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces)"
[ -x "$RESPONDER" ] || fail "responder not built: $RESPONDER"
command -v wireguard-go >/dev/null && command -v wg >/dev/null || fail "wireguard-go and wg needed"
setup_net

failed=0
dump_args=()
[ -n "${WG_INTEROP_DUMP:-}" ] && dump_args=(--dump-initiation "$WG_INTEROP_DUMP")
run_case nopsk nopsk "${dump_args[@]}" && echo "ok: handshake + data without preshared key" || { echo "not ok: without preshared key"; failed=1; }
run_case psk psk && echo "ok: handshake + data with preshared key" || { echo "not ok: with preshared key"; failed=1; }
if run_case underload nopsk --under-load && grep -q 'drop "cookie required' "$TMP/underload.log"; then
	echo "ok: under load: cookie reply, then accepted with mac2"
else
	echo "not ok: under load (cookie reply / mac2)"
	failed=1
fi

if [ $failed -eq 0 ]; then
	echo "PASS: wg_interop"
	exit 0
fi
fail "wg_interop"
