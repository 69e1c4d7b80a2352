#!/bin/bash
# Test 6: a client whose wireguard-go is killed and started again with the same key makes a new
# handshake (the new process reports a handshake newer than its start) and its traffic works,
# although the exit still holds the old session.
. "$(dirname "$0")/lib.sh"
mg_init test_client_restart
mg_topo_create twoport
mg_client_add 1
mg_exit_start
mg_client_up 1
mg_client_wait_page 1 20 || mg_fail "tunnel not up within 20 s"
hs1=$(mg_client_handshake 1)

mg_client_down 1
restart=$(date +%s)
mg_client_up 1
mg_client_wait_page 1 20 || mg_fail "no page within 20 s after the client restarted"
hs2=$(mg_client_handshake 1)
mg_log "handshakes: before $hs1, after restart at $restart: $hs2"
[ "${hs2:-0}" -ge "$restart" ] || mg_fail "no new handshake after the restart (latest $hs2 < $restart)"
mg_client_ping 1 3 >/dev/null || mg_fail "ping after the restart failed"
mg_pass "new handshake at $hs2 (restart at $restart)"
