#!/bin/bash
# Test 1: a stock wireguard-go client completes a handshake with the exit and fetches the page
# from 192.0.2.80 through the tunnel; the server saw the gateway's public address (NAT), never
# the client's tunnel or underlay address.
. "$(dirname "$0")/lib.sh"
mg_init test_basic_curl
mg_topo_create twoport
mg_client_add 1
mg_exit_start
mg_client_up 1

mg_client_wait_page 1 20 || mg_fail "no page through the tunnel within 20 s: $(mg_client_curl 1 / 3 2>&1)"
hs=$(mg_client_handshake 1)
[ "${hs:-0}" -gt 0 ] || mg_fail "wg reports no completed handshake"
page=$(mg_client_curl 1) || mg_fail "curl failed"
first=$(echo "$page" | head -n1)
mg_log "page: $first"
[ "$first" = "$MG_PUB_ADDR" ] || mg_fail "server saw '$first', expected $MG_PUB_ADDR"
case "$page" in *100.64.*|*198.51.100.*) mg_fail "client address leaked: $page" ;; esac
mg_pass "handshake at $hs, server saw $first"
