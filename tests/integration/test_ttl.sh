#!/bin/bash
# Test: TTL handling through the tunnel. A ping with TTL 1 to 192.0.2.80 cannot be forwarded: the
# gateway answers "Time to live exceeded" from its public address 203.0.113.1 (icmp_errors_sent and
# drops.ttl_expired rose). With TTL 2 the gateway's single decrement leaves 1, and R is the
# destination, so the ping is answered.
. "$(dirname "$0")/lib.sh"
mg_init test_ttl
mg_topo_create twoport
mg_client_add 1
mg_exit_start
mg_client_up 1
mg_client_wait_page 1 20 || mg_fail "tunnel not up within 20 s"

if [ "$EXIT" = meshgate ]; then
	err_before=$(mg_counter_sum '^icmp_errors_sent$')
	ttl_before=$(mg_counter_sum '^drops\.ttl_expired$')
fi
# meshgate answers from its public address; the Linux reference exit picks one of its own
# addresses by its source-selection rules (the mesh address, as the tunnel has none).
src=$MG_PUB_ADDR
[ "$EXIT" = linux ] && src="($MG_PUB_ADDR|$MG_MESH_ADDR)"
out=$(mg_cx 1 ping -n -c 3 -i 0.3 -W 2 -t 1 "$MG_SERVER" 2>&1)
echo "$out" | grep -E 'exceeded|transmitted'
n_exceeded=$(echo "$out" | grep -cE "^From ${src//./\\.} icmp_seq=[0-9]+ Time to live exceeded")
[ "$n_exceeded" -ge 2 ] || mg_fail "ping -t 1: expected 'Time to live exceeded' from $src for (at least 2 of) 3 pings, got: $out"
seen_src=$(echo "$out" | grep -m1 -oE '^From [0-9.]+' | cut -d' ' -f2)
echo "$out" | grep -q "bytes from $MG_SERVER" && mg_fail "ping -t 1 was answered by $MG_SERVER: the gateway did not decrement TTL"

out2=$(mg_cx 1 ping -n -c 3 -i 0.3 -W 2 -t 2 "$MG_SERVER" 2>&1) || mg_fail "ping -t 2 failed: $out2"
echo "$out2" | grep -q ' 0% packet loss' || mg_fail "ping -t 2 lost packets: $(echo "$out2" | grep loss)"

[ "$EXIT" = meshgate ] || mg_pass "TTL 1: $n_exceeded time-exceeded from $seen_src; TTL 2 answered (counters not checked: EXIT=$EXIT)"
err_after=$(mg_counter_sum '^icmp_errors_sent$')
ttl_after=$(mg_counter_sum '^drops\.ttl_expired$')
mg_log "icmp_errors_sent $err_before -> $err_after, drops.ttl_expired $ttl_before -> $ttl_after"
[ $((ttl_after - ttl_before)) -ge 3 ] || mg_fail "drops.ttl_expired rose by $((ttl_after - ttl_before)), 3 TTL-1 pings were sent"
[ $((err_after - err_before)) -ge "$n_exceeded" ] ||
	mg_fail "icmp_errors_sent rose by $((err_after - err_before)), the client received $n_exceeded"
mg_pass "TTL 1: $n_exceeded/3 time-exceeded from $seen_src (ttl_expired +$((ttl_after - ttl_before)), icmp_errors_sent +$((err_after - err_before))); TTL 2: 3/3 answered"
