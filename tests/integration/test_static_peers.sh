#!/bin/bash
# Test: open mode off, static peers only. Four clients:
#   C1  a configured peer with a preshared key, the same on both sides: works (page, handshake);
#   C2  a configured peer whose client uses a different preshared key than the gateway: the
#       gateway's response cannot be opened by the client, so no handshake ever completes (wg
#       reports none), no page, and no data from it reaches the gateway;
#   C3  a key the gateway does not know: its initiations are dropped as unknown peer, no response;
#   C4  a configured peer (allowed 100.64.0.5/32) whose tunnel address is 100.64.0.99: the
#       handshake completes but its packets are dropped as source_not_allowed, no page.
. "$(dirname "$0")/lib.sh"
mg_init test_static_peers
mg_skip_unless_meshgate "static peers with open mode off are meshgate configuration"
mg_topo_create twoport
mg_client_add 1
mg_client_add 2
mg_client_add 3
mg_client_add 4 100.64.0.99
psk_gw=$(wg genpsk) && psk_other=$(wg genpsk) || mg_fail "wg genpsk"
(umask 077 && echo "$psk_gw" >"$MG_TMP/psk-good" && echo "$psk_other" >"$MG_TMP/psk-wrong")
MG_CLIENT_PSK[1]=$MG_TMP/psk-good
MG_CLIENT_PSK[2]=$MG_TMP/psk-wrong
MG_OPEN_MODE=false
MG_STATIC_PEERS="${MG_CLIENT_PUB[1]},${MG_CLIENT_INNER[1]}/32,$psk_gw"
MG_STATIC_PEERS+=" ${MG_CLIENT_PUB[2]},${MG_CLIENT_INNER[2]}/32,$psk_gw"
MG_STATIC_PEERS+=" ${MG_CLIENT_PUB[4]},100.64.0.5/32"
mg_exit_start
grep -q 'enabled = false' "$MG_TMP/meshgate.conf" || mg_fail "generated config has open mode on"

# peer_field PUB FIELD: FIELD of the gateway's peer with public key PUB, or "absent".
peer_field() {
	MG_TELE /meshgate/peers | python3 -c 'import json, sys
peers = json.load(sys.stdin)
vals = [str(p.get(sys.argv[2])) for p in peers.values() if isinstance(p, dict) and p.get("public_key") == sys.argv[1]]
print(vals[0] if vals else "absent")' "$1" "$2"
}
# refused I: client I gets neither the page nor a ping reply over ~10 s of tries (wireguard-go
# initiates on the first and retries every 5 s); result in $MG_TMP/refused.I.
refused() {
	local r res=ok
	for r in 1 2 3 4; do
		mg_cx "$1" curl -s --max-time 2 "http://$MG_SERVER/" >/dev/null 2>&1 && res="page on try $r"
		mg_cx "$1" ping -n -c 1 -W 1 "$MG_SERVER" >/dev/null 2>&1 && res="ping reply on try $r"
	done
	echo "$res" >"$MG_TMP/refused.$1"
}
ctr() { echo "$1" | awk -v k="$2" '$1 == k {v = $2} END {print v + 0}'; }
rise() { echo $(($(ctr "$after" "$1") - $(ctr "$before" "$1"))); }

before=$(MG_TELE --flat /meshgate/stats) || mg_fail "telemetry did not answer"
for i in 1 2 3 4; do mg_client_up "$i"; done
mg_client_wait_page 1 20 || mg_fail "C1 (peer with the right PSK): no page within 20 s"
[ "$(mg_client_handshake 1)" -gt 0 ] || mg_fail "C1 fetched the page but wg reports no handshake"
pids=()
for i in 2 3 4; do refused "$i" & pids+=($!); done
wait "${pids[@]}"
after=$(MG_TELE --flat /meshgate/stats) || mg_fail "telemetry did not answer"
for i in 2 3 4; do
	[ "$(cat "$MG_TMP/refused.$i")" = ok ] || mg_fail "C$i got through: $(cat "$MG_TMP/refused.$i")"
done
hs2=$(mg_client_handshake 2) hs3=$(mg_client_handshake 3) hs4=$(mg_client_handshake 4)
mg_log "latest handshakes (wg): C2 $hs2, C3 $hs3, C4 $hs4"
for k in handshake_initiations_received handshake_responses_sent keypairs_confirmed \
	handshake_drops.unknown_peer drops.source_not_allowed; do
	mg_log "$k +$(rise "$k")"
done

# C2, wrong PSK. The PSK only enters the responder's half of Noise IKpsk2, so the gateway cannot
# tell: it answers, and the client finds the response undecryptable. Nothing of C2 is decrypted.
[ "$hs2" = 0 ] || mg_fail "C2 (wrong PSK) completed a handshake according to wg"
grep -q 'Sending handshake initiation' "$MG_TMP/wg-c2.log" || mg_fail "C2's wireguard-go never sent an initiation"
# wireguard-go's verbose log shows the gateway's responses arriving and being rejected.
grep -q 'Received invalid response message' "$MG_TMP/wg-c2.log" ||
	mg_fail "C2's wireguard-go never rejected a response (did the gateway answer it at all?)"
rx2=$(peer_field "${MG_CLIENT_PUB[2]}" rx_packets)
[ "$rx2" = 0 ] || mg_fail "gateway peer C2 (wrong PSK): rx_packets is $rx2, expected 0 (nothing may decrypt)"
# The gateway did respond to C2 (C1 and C4 account for one response each, at least one more).
[ "$(rise handshake_responses_sent)" -ge 3 ] || mg_fail "handshake_responses_sent rose by $(rise handshake_responses_sent): the gateway never answered C2"

# C3, unknown key: dropped as an unknown peer, never answered, never a peer of the gateway.
[ "$hs3" = 0 ] || mg_fail "C3 (unknown key) completed a handshake"
[ "$(rise handshake_drops.unknown_peer)" -ge 2 ] || mg_fail "handshake_drops.unknown_peer rose by $(rise handshake_drops.unknown_peer), C3 sent several initiations"
[ "$(peer_field "${MG_CLIENT_PUB[3]}" rx_packets)" = absent ] || mg_fail "C3's key became a peer of the gateway"
grep -qE 'Received handshake response|invalid response message' "$MG_TMP/wg-c3.log" &&
	mg_fail "C3 (unknown key) was sent a handshake response"

# C4, inner source outside its allowed IPs: keys fine, packets dropped by the reverse-path check.
[ "$hs4" -gt 0 ] || mg_fail "C4 (allowed 100.64.0.5/32, uses 100.64.0.99) did not complete its handshake"
[ "$(rise drops.source_not_allowed)" -ge 2 ] || mg_fail "drops.source_not_allowed rose by $(rise drops.source_not_allowed), C4 sent several packets"

mg_client_page_ok 1 || mg_fail "C1 lost its tunnel"
mg_pass "C1 (PSK) works; C2 (wrong PSK) no handshake, 0 packets decrypted; C3 (unknown) unknown_peer +$(rise handshake_drops.unknown_peer); C4 (outside allowed IPs) source_not_allowed +$(rise drops.source_not_allowed)"
