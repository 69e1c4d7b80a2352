#!/bin/bash
# Test 10: the one-armed arrangement. The exit has a single port (inet0, role both) at
# 203.0.113.1; clients reach it through R (bridge 198.51.100.254, route to 203.0.113.0/24), so
# WireGuard and the translated traffic share one wire. Page and ping must work.
. "$(dirname "$0")/lib.sh"
mg_init test_one_armed
mg_topo_create onearmed
mg_client_add 1
mg_exit_start
mg_client_up 1
mg_client_wait_page 1 20 || mg_fail "no page within 20 s: $(mg_client_curl 1 / 3 2>&1)"
page=$(mg_client_curl 1 | head -n1)
[ "$page" = "$MG_PUB_ADDR" ] || mg_fail "server saw '$page', expected $MG_PUB_ADDR"
out=$(mg_client_ping 1 3) || mg_fail "ping failed: $out"
mg_pass "page $page, $(echo "$out" | grep -o '[0-9]*% packet loss')"
