#!/bin/bash
# Test 7: roaming. The client's underlay address changes from 198.51.100.11 to .21 while its
# session stays up; the exit must learn the new endpoint from authenticated packets and keep
# answering. The old address is gone, so a reply sent there would be lost. Success within 8 s
# and without a new handshake shows the endpoint update came from data packets (wireguard-go
# would only re-handshake after 15 s without replies).
. "$(dirname "$0")/lib.sh"
mg_init test_roaming
mg_topo_create twoport
mg_client_add 1
mg_exit_start
mg_client_up 1
mg_client_wait_page 1 20 || mg_fail "tunnel not up within 20 s"
hs1=$(mg_client_handshake 1)

new=198.51.100.21
mg_cx 1 ip addr del "${MG_CLIENT_UNDERLAY[1]}/24" dev eth0 || mg_fail "addr del"
mg_cx 1 ip addr add "$new/24" dev eth0 || mg_fail "addr add"
# wireguard-go pins the source address it last used (sticky sockets) and does not notice that it
# vanished; re-setting the same endpoint clears that pin, as a client's OS network-change hook
# would. The gateway is told nothing: it must learn .21 from the packets themselves.
mg_cx 1 wg set "${MG_CLIENT_WG[1]}" peer "$MG_GW_PUB" endpoint "$(mg_client_endpoint)" || mg_fail "wg set endpoint"
start=$SECONDS
mg_client_wait_page 1 8 || mg_fail "no page within 8 s after moving to $new"
took=$((SECONDS - start))
mg_client_ping 1 3 >/dev/null || mg_fail "ping after roaming failed"
hs2=$(mg_client_handshake 1)
if [ "$EXIT" = meshgate ]; then
	MG_TELE /meshgate/peers | grep -q "\"$new:" || mg_fail "/meshgate/peers does not show the new endpoint $new"
fi
[ "$hs2" = "$hs1" ] || mg_log "note: a new handshake happened ($hs1 -> $hs2)"
mg_pass "page from $new after ${took}s, handshake $hs1 -> $hs2"
