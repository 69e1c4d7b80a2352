#!/bin/bash
# Test 4: two clients configured with the same tunnel address (100.64.0.2) are up at the same time
# and both fetch the page repeatedly and concurrently: meshgate keys NAT by peer, not by inner
# address. (The Linux reference exit cannot do this: its allowed-ips must be unique per peer.)
. "$(dirname "$0")/lib.sh"
mg_init test_same_inner
mg_skip_unless_meshgate "Linux WireGuard cannot route two peers with the same allowed-ips"
mg_topo_create twoport
mg_client_add 1 100.64.0.2
mg_client_add 2 100.64.0.2
mg_exit_start
mg_client_up 1
mg_client_up 2
mg_client_wait_page 1 20 || mg_fail "client 1: no page within 20 s"
mg_client_wait_page 2 20 || mg_fail "client 2: no page within 20 s"

# fetch I ROUND: one page, both clients at once; records the result in $MG_TMP/res-I-ROUND.
fetch() { mg_client_curl "$1" / 5 >"$MG_TMP/res-$1-$2" 2>&1; }
for round in 1 2 3 4 5; do
	fetch 1 "$round" &
	p1=$!
	fetch 2 "$round" &
	p2=$!
	wait "$p1" "$p2"
	for c in 1 2; do
		got=$(head -n1 "$MG_TMP/res-$c-$round")
		[ "$got" = "$MG_PUB_ADDR" ] || mg_fail "round $round client $c got '$got'"
	done
done
# Pings from both at once too (ICMP identifiers may collide as well as addresses).
mg_client_ping 1 5 >"$MG_TMP/ping1" 2>&1 &
p1=$!
mg_client_ping 2 5 >"$MG_TMP/ping2" 2>&1 &
p2=$!
wait "$p1" || mg_fail "client 1 ping: $(tail -n2 "$MG_TMP/ping1")"
wait "$p2" || mg_fail "client 2 ping: $(tail -n2 "$MG_TMP/ping2")"
mg_pass "both clients with inner 100.64.0.2 fetched 5 pages concurrently and pinged"
