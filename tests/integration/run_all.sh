#!/bin/bash
# Runs meshgate's integration tests (every tests/integration/test_*.sh, or those named on the
# command line, with or without the test_ prefix and .sh suffix), one at a time, each bounded by
# TEST_TIMEOUT seconds. Prints one PASS/FAIL/SKIP line per test and a closing
# "N passed, N failed, N skipped" line; exits non-zero when any test failed.
#
# Environment: EXIT=meshgate|linux, MESHGATE=PATH (see lib.sh), TEST_TIMEOUT (default 240),
# MG_LOGDIR (default a new /tmp/mg-itest.XXXX; each test's full output is kept there).
set -u
here=$(cd "$(dirname "$0")" && pwd)
timeout_s=${TEST_TIMEOUT:-240}
logdir=${MG_LOGDIR:-$(mktemp -d /tmp/mg-itest.XXXX)}
mkdir -p "$logdir"

tests=()
if [ $# -eq 0 ]; then
	for t in "$here"/test_*.sh; do tests+=("$t"); done
else
	for n in "$@"; do
		n=${n%.sh}
		n=${n#test_}
		[ -f "$here/test_$n.sh" ] || { echo "run_all: no test named $n" >&2; exit 2; }
		tests+=("$here/test_$n.sh")
	done
fi

pass=0 fail=0 skip=0
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	start=$SECONDS
	timeout -k 20 "$timeout_s" bash "$t" >"$logdir/$name.log" 2>&1 </dev/null
	rc=$?
	took=$((SECONDS - start))
	# A test killed by the timeout could not run its own cleanup: remove what its run created
	# (namespaces named after the run id it logged, and every process inside them).
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		id=$(grep -m1 -o 'run mg[0-9a-f]\{6\}' "$logdir/$name.log" | cut -d' ' -f2)
		if [ -n "$id" ]; then
			for ns in $(ip netns list | awk '{print $1}' | grep "^$id-"); do
				for pid in $(ip netns pids "$ns"); do kill -KILL "$pid" 2>/dev/null; done
				ip netns del "$ns"
			done
			rm -rf "/var/run/dpdk/$id"
		fi
	fi
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name (${took}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $name: $(grep -m1 '^SKIP' "$logdir/$name.log" | cut -d: -f3- | sed 's/^ //')" ;;
	*)
		fail=$((fail + 1))
		why=$(grep -m1 '^FAIL' "$logdir/$name.log" | cut -d: -f3- | sed 's/^ //')
		[ $rc = 124 ] || [ $rc = 137 ] && why="timed out after ${timeout_s}s"
		echo "FAIL $name (${took}s, rc $rc): ${why:-see log}"
		sed 's/^/    | /' "$logdir/$name.log" | tail -n 25
		;;
	esac
done
echo "logs: $logdir"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
