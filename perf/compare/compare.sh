#!/bin/bash
# `make compare`: meshgate side by side with a Linux exit (wireguard-go + nftables masquerade) in
# the same namespace topology with the same stock wireguard-go client. Runs run_exit.sh for each
# exit (alternating which goes first, COMPARE_ROUNDS rounds), then report.py writes the table and
# the JSON. Each run is bounded by a timeout; whatever a killed run left behind is swept here.
#
# Environment: COMPARE_ROUNDS (default 2), COMPARE_SECONDS (default 10, per iperf3 run),
# COMPARE_OUT_DIR (default perf/results), COMPARE_RUN_TIMEOUT (default 420 s per exit and round),
# MESHGATE=PATH, COMPARE_KEEP=1 keeps the raw records and logs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=${COMPARE_ROUNDS:-2}
out_dir=${COMPARE_OUT_DIR:-$root/perf/results}
run_timeout=${COMPARE_RUN_TIMEOUT:-420}

[ "$(id -u)" = 0 ] || { echo "compare: needs root (network namespaces)" >&2; exit 77; }
bash "$root/scripts/deps.sh" >/dev/null || { echo "compare: scripts/deps.sh failed" >&2; exit 1; }
tmp=$(mktemp -d /tmp/mg-compare.XXXX)
child=""

# on_signal: stop the running side (its own trap cleans its namespaces), keep the logs.
on_signal() {
	[ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child"
	echo "compare: interrupted; logs in $tmp" >&2
	exit 130
}
trap on_signal INT TERM

# sweep LOG: after a timeout killed a side, remove the namespaces and processes of its run id.
sweep() {
	local id ns pid
	id=$(grep -m1 -o 'run mg[0-9a-f]\{6\}' "$1" | cut -d' ' -f2)
	[ -n "$id" ] || return 0
	for ns in $(ip netns list | awk '{print $1}' | grep "^$id-"); do
		for pid in $(ip netns pids "$ns"); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$ns"
	done
	rm -rf "/var/run/dpdk/$id"
}

# side EXIT ROUND: one exit measured once; records in $tmp/EXIT.ROUND.jsonl.
side() {
	local log=$tmp/$1.$2.log rc
	echo "compare: round $2/$rounds, $1 exit" >&2
	EXIT=$1 timeout -k 20 "$run_timeout" bash "$here/run_exit.sh" "$tmp/$1.$2.jsonl" >"$log" 2>&1 </dev/null &
	child=$!
	wait "$child"
	rc=$?
	child=""
	grep -E '^(idle|tcp|udp)' "$log" | grep -v '^udp-up@' | sed 's/^/    /' >&2
	[ $rc = 0 ] && return 0
	[ $rc = 124 ] || [ $rc = 137 ] && { sweep "$log"; echo "compare: $1 timed out after ${run_timeout}s" >&2; }
	echo "compare: $1 exit failed (rc $rc); last lines of $log:" >&2
	tail -n 30 "$log" >&2
	echo "compare: logs kept in $tmp" >&2
	exit 1
}

for ((r = 1; r <= rounds; r++)); do
	if ((r % 2)); then order="linux meshgate"; else order="meshgate linux"; fi
	for e in $order; do side "$e" "$r"; done
done

mkdir -p "$out_dir"
python3 "$here/report.py" --rounds "$rounds" --json "$out_dir/compare.json" \
	--text "$out_dir/compare.txt" "$tmp" || { echo "compare: report failed; records in $tmp" >&2; exit 1; }
cat "$out_dir/compare.txt"
if [ "${COMPARE_KEEP:-0}" = 1 ]; then echo "compare: raw records kept in $tmp" >&2; else rm -rf "$tmp"; fi
