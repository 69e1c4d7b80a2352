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
mg_exit_restart
if [ "$EXIT" = meshgate ]; then
	# The graceful stop printed final statistics (the daemon's contract) before exiting.
	sed -n '/meshgate: ready/,$p' "$MG_TMP/exit.prev.log" | sed 1d | grep -qiE 'stat.*[0-9]' || mg_fail "no final statistics printed on SIGTERM:
$(tail -n 5 "$MG_TMP/exit.prev.log")"
fi
# Both clients keep trying at the same time; each records how long it took.
start=$SECONDS
rejoin() { mg_client_wait_page "$1" 40 && echo $((SECONDS - start)) >"$MG_TMP/rejoin-$1"; }
rejoin 1 &
w1=$!
rejoin 2 &
w2=$!
wait "$w1" || mg_fail "client 1 did not rejoin within 40 s"
wait "$w2" || mg_fail "client 2 did not rejoin within 40 s"
mg_pass "clients rejoined after $(cat "$MG_TMP/rejoin-1")s and $(cat "$MG_TMP/rejoin-2")s"
