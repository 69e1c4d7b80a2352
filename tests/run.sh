#!/usr/bin/env bash
# Runs every suite: the CUnit unit suites through meson, then the integration tests in network
# namespaces, and ends with one summary line "N passed, N failed" over both.
# Usage: tests/run.sh [--unit-only] BUILD_DIR
set -uo pipefail
unit_only=0
if [ "${1:-}" = "--unit-only" ]; then unit_only=1; shift; fi
build=${1:-build}
cd "$(dirname "$0")/.."

passed=0 failed=0 skipped=0
log=$(mktemp -d /tmp/mg-test-XXXX)

echo "== unit suites"
meson test -C "$build" --suite unit --print-errorlogs --num-processes 2 | tee "$log/unit.txt"
unit_ok=$(grep -E '^Ok:' "$log/unit.txt" | awk '{print $2}')
unit_fail=$(grep -E '^Fail:' "$log/unit.txt" | awk '{print $2}')
unit_timeout=$(grep -E '^Timeout:' "$log/unit.txt" | awk '{print $2}')
passed=$((passed + ${unit_ok:-0}))
failed=$((failed + ${unit_fail:-0} + ${unit_timeout:-0}))

if [ "$unit_only" = 0 ]; then
	echo "== integration tests"
	MESHGATE="$build/app/meshgate/meshgate" WG_RESPONDER="$build/tests/tools/wg_responder" \
		bash tests/integration/run_all.sh | tee "$log/integration.txt"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log/integration.txt" | tail -n 1)
	echo "== WireGuard handshake interop (lib/wg against stock wireguard-go, no DPDK)"
	if bash tests/integration/wg_interop.sh "$build/tests/tools/wg_responder"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	if [ -z "$line" ]; then
		echo "integration runner printed no summary"; failed=$((failed + 1))
	else
		passed=$((passed + $(echo "$line" | awk '{print $1}')))
		failed=$((failed + $(echo "$line" | awk '{print $3}')))
		s=$(echo "$line" | sed -n 's/.*, \([0-9]*\) skipped.*/\1/p')
		skipped=$((skipped + ${s:-0}))
	fi
fi
rm -rf "$log"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
