#!/bin/bash
# Test 1: a stock wireguard-go client completes a handshake with the exit and fetches the page
# from 192.0.2.80 through the tunnel; the server saw the gateway's public address (NAT), never
# the client's tunnel or underlay address. The daemon says which IPsec-MB code path its workers
# run, in its log and in /meshgate/workers.
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
aead=$(grep -o 'meshgate: data-plane AEAD: IPsec-MB [0-9.]*, [a-z0-9-]* code path' "$MG_TMP/exit.log") ||
	mg_fail "no data-plane AEAD line in the log: $(head -n 5 "$MG_TMP/exit.log")"
path=$(MG_TELE /meshgate/workers | python3 -c 'import json,sys; print(json.load(sys.stdin)["worker0"]["aead_code_path"])') ||
	mg_fail "no aead_code_path in /meshgate/workers"
case "$aead" in *", $path code path") ;; *) mg_fail "log says '$aead', telemetry '$path'" ;; esac
mg_pass "handshake at $hs, server saw $first; $aead"
