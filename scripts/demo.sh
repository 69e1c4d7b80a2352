#!/bin/bash
# meshgate demo (behind `make demo`, needs root): builds the test topology with one stock
# wireguard-go client, starts meshgate on its embedded default configuration (no -c) in the
# gateway namespace, fetches a page through the tunnel, then prints live statistics every second
# until Ctrl-C (or for DEMO_SECONDS seconds), and removes everything it created.
#
#   sudo scripts/demo.sh                 # until Ctrl-C
#   sudo DEMO_SECONDS=10 scripts/demo.sh # stops by itself (CI smoke)
#   MESHGATE=path/to/meshgate            # binary (default build/app/meshgate/meshgate)
#   EXIT=linux                           # same demo with the Linux reference exit
. "$(dirname "$0")/../tests/integration/lib.sh"
mg_init demo
trap 'echo; mg_log "stopping"; exit 0' INT

if [ "$EXIT" = meshgate ]; then
	# The embedded default's instance is "meshgate": its telemetry socket must not be in use.
	if python3 "$MG_ITEST_DIR/mgtelemetry.py" -i meshgate -t 1 /info >/dev/null 2>&1; then
		MG_INSTANCE=""
		mg_fail "another meshgate (instance \"meshgate\") is running; stop it first"
	fi
	MG_INSTANCE=meshgate
fi

mg_log "building the topology: namespaces $MG_NS_G (gateway), $MG_NS_R (internet), $MG_ID-C1 (client)"
mg_topo_create twoport
mg_client_add 1

if [ "$EXIT" = meshgate ]; then
	# The embedded default keeps its key in /var/lib/meshgate/private.key (created on first use).
	MG_GW_PUB=$("$MESHGATE" --public-key) || mg_fail "meshgate --public-key failed"
	mg_log "gateway public key: $MG_GW_PUB"
	: >"$MG_TMP/exit.log"
	mg_spawn exit "$MG_NS_G" "$MESHGATE"
	MG_EXIT_PID=$MG_LAST_PID
	mg_wait_ready "$MG_TMP/exit.log" 60
else
	mg_exit_start
fi

mg_client_up 1
mg_log "client 1: wireguard-go ${MG_CLIENT_WG[1]}, tunnel address ${MG_CLIENT_INNER[1]}, endpoint $(mg_client_endpoint)"
mg_client_wait_page 1 20 || mg_fail "no page through the tunnel within 20 s"
echo "---- client 1: curl http://$MG_SERVER/ through the tunnel ----"
mg_client_curl 1 / 5
echo "---- (the server saw the gateway's public address, not ${MG_CLIENT_INNER[1]}) ----"
mg_cx 1 wg show "${MG_CLIENT_WG[1]}"

# Light background traffic so the counters move.
mg_spawn ping "${MG_CLIENT_NS[1]}" ping -n -i 0.5 "$MG_SERVER"

# stats_line: one compact line from /meshgate/stats (sums over paths matching each pattern, so
# per-port or per-worker layouts read the same).
stats_line() {
	local nat
	nat=$(MG_TELE --get sessions /meshgate/nat 2>/dev/null)
	MG_TELE --flat /meshgate/stats 2>/dev/null | awk -v t="$1" -v nat="${nat:-0}" '
		$1 ~ /(^|\.)rx_packets$/ {rx += $2}
		$1 ~ /(^|\.)tx_packets$/ {tx += $2}
		$1 ~ /(^|\.)decrypted$/ {dec += $2}
		$1 ~ /(^|\.)encrypted$/ {enc += $2}
		$1 ~ /(^|\.)handshakes?_completed?$/ {hs += $2}
		$1 ~ /(^|[._])drops?\./ {drops += $2}
		END {
			if (NR == 0) { printf "t=%ss telemetry not answering\n", t; exit }
			printf "t=%ss rx=%d tx=%d decrypted=%d encrypted=%d handshakes=%d nat_sessions=%d drops=%d\n", t, rx, tx, dec, enc, hs, nat, drops
		}'
}
wg_line() {
	mg_cx 1 wg show "${MG_CLIENT_WG[1]}" transfer | awk -v t="$1" '{printf "t=%ss client rx=%d B tx=%d B\n", t, $2, $3}'
}

echo "---- live statistics every second ($([ -n "${DEMO_SECONDS:-}" ] && echo "for $DEMO_SECONDS s" || echo "Ctrl-C to stop")) ----"
t=0
while [ -z "${DEMO_SECONDS:-}" ] || [ "$t" -lt "$DEMO_SECONDS" ]; do
	sleep 1
	t=$((t + 1))
	if [ "$EXIT" = meshgate ]; then stats_line "$t"; else wg_line "$t"; fi
	if [ -n "$MG_EXIT_PID" ] && ! kill -0 "$MG_EXIT_PID" 2>/dev/null; then mg_fail "the exit stopped"; fi
done
mg_client_page_ok 1 || mg_fail "the page no longer comes through at the end"
mg_log "done"
exit 0
