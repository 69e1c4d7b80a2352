#!/bin/bash
# Test 8: the exit is stopped gracefully and started again with the same key; clients are not
# touched. wireguard-go notices the lost session (no replies) and re-handshakes by itself; the
# page must come back within 40 s.
. "$(dirname "$0")/lib.sh"
mg_init test_gateway_restart
mg_topo_create twoport
mg_client_add 1
mg_client_add 2
mg_exit_start
mg_client_up 1
mg_client_up 2
mg_client_wait_page 1 20 || mg_fail "client 1: tunnel not up within 20 s"
mg_client_wait_page 2 20 || mg_fail "client 2: tunnel not up within 20 s"
if [ "$EXIT" = meshgate ]; then
	grep -qiE 'stat|drop|packets' "$MG_TMP/exit.log" || mg_log "note: no final statistics seen in the log"
fi
mg_exit_restart
if [ "$EXIT" = meshgate ]; then
	# The graceful stop printed final statistics (the daemon's contract).
	grep -qiE 'rx|tx|drops' "$MG_TMP/exit.log" || mg_fail "no final statistics printed on SIGTERM"
fi
start=$SECONDS
mg_client_wait_page 1 40 || mg_fail "client 1 did not rejoin within 40 s"
t1=$((SECONDS - start))
mg_client_wait_page 2 40 || mg_fail "client 2 did not rejoin within 40 s"
t2=$((SECONDS - start))
mg_pass "clients rejoined after ${t1}s and ${t2}s"
