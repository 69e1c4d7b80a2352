#!/bin/bash
# One side of `make compare`: builds the integration harness's topology (tests/integration/lib.sh,
# sourced unchanged), starts the exit named by EXIT (linux or meshgate) and one stock wireguard-go
# client, then measures idle CPU, iperf3 TCP upload, TCP download, the best UDP rate under 1%
# loss and an unlimited UDP flood, appending one JSON record per measurement to OUT. lib.sh's
# trap removes everything it made.
#
# Usage: EXIT=linux|meshgate run_exit.sh OUT.jsonl
# Environment: COMPARE_SECONDS (default 10) per TCP/UDP run, COMPARE_IDLE_SECONDS (default 5),
# MESHGATE=PATH (see lib.sh).
set -u
out=${1:?usage: run_exit.sh OUT.jsonl}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../tests/integration/lib.sh"
secs=${COMPARE_SECONDS:-10}
idle=${COMPARE_IDLE_SECONDS:-5}

mg_init "compare-$EXIT"
mg_topo_create twoport
mg_client_add 1
mg_exit_start
mg_client_up 1
mg_client_wait_page 1 30 || mg_fail "tunnel not up within 30 s"

# The processes whose CPU time is accounted: the exit, the client's wireguard-go and the iperf3
# server in R (the iperf3 client is accounted by measure.py from its rusage).
iperf_srv=""
for p in $(ip netns pids "$MG_NS_R"); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = iperf3 ] && iperf_srv=$p
done
[ -n "$iperf_srv" ] || mg_fail "iperf3 server not found in $MG_NS_R"
pids=(--pid "exit=$MG_EXIT_PID" --pid "client_wg=${MG_CLIENT_PID[1]}" --pid "iperf_server=$iperf_srv")

measure() {
	mg_cx 1 timeout -k 5 300 python3 "$here/measure.py" --out "$out" "${pids[@]}" "$@" ||
		mg_fail "measure $*"
}

# Let the handshake and the first page settle before the idle sample.
sleep 1
measure idle "$idle"
measure iperf tcp-up "$MG_SERVER" "$secs"
measure iperf tcp-down "$MG_SERVER" "$secs" -R
# Start the UDP search at a quarter of the TCP upload rate (at least 10 Mbit/s).
start=$(python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
up = [r for r in recs if r["name"] == "tcp-up"][-1]
print(max(10.0, up["iperf"]["received_bps"] / 4e6))' "$out") || mg_fail "no tcp-up record"
measure udp-search udp-up "$MG_SERVER" "$secs" "$start"
# A fixed, unlimited offered rate (-b 0): what comes through when the sender saturates, and the loss.
measure iperf udp-flood "$MG_SERVER" "$secs" -u -b 0 -l 1200

# Record what ran: exit version, its configuration, process names.
python3 - "$out" "$EXIT" "$MG_EXIT_PID" "${MESHGATE:-}" "$MG_TMP" <<-'PY' || mg_fail "meta record"
	import json, os, re, subprocess, sys
	out, exit_kind, pid, meshgate, tmp = sys.argv[1:6]
	meta = {"name": "meta", "exit": exit_kind}
	if exit_kind == "meshgate":
	    meta["binary"] = meshgate
	    meta["binary_mtime"] = os.path.getmtime(meshgate)
	    conf = os.path.join(tmp, "meshgate.conf")
	    meta["config"] = [re.sub(r'private_key = "[^"]*"', 'private_key = "(redacted)"', l)
	                      for l in open(conf).read().splitlines()]
	else:
	    meta["wireguard_go"] = subprocess.run(["wireguard-go", "--version"], capture_output=True,
	                                          text=True).stdout.splitlines()[0]
	    meta["nft"] = subprocess.run(["nft", "--version"], capture_output=True,
	                                 text=True).stdout.strip()
	with open(out, "a") as f:
	    f.write(json.dumps(meta) + "\n")
PY
mg_exit_stop
mg_pass "$EXIT measured"
