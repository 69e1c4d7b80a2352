#!/bin/bash
# Test 2: ICMP echo to 192.0.2.80 through the tunnel is answered (ICMP NAT out and back).
. "$(dirname "$0")/lib.sh"
mg_init test_ping
mg_topo_create twoport
mg_client_add 1
mg_exit_start
mg_client_up 1
mg_client_wait_page 1 20 || mg_fail "tunnel not up within 20 s"
out=$(mg_client_ping 1 5) || mg_fail "ping through the tunnel failed: $out"
echo "$out" | tail -n 2
echo "$out" | grep -q ' 0% packet loss' || mg_fail "packet loss: $(echo "$out" | grep loss)"
mg_pass "$(echo "$out" | grep -o 'rtt.*')"
