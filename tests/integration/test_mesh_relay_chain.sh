#!/bin/bash
# A two-hop chain: client -> relay (meshgate, roles = [ "relay" ]) -> exit (meshgate, roles =
# [ "exit" ]) -> server, with nested stock WireGuard tunnels in the client:
#   wgA  to the relay  (endpoint 198.51.100.1:51820, underlay link br-c)
#   wgB  to the exit   (endpoint 203.0.113.2:51820, that /32 routed dev wgA), 192.0.2.80 dev wgB
# Links (all in R, which routes between them; the servers sit on R's loopback):
#   br-c  198.51.100.0/24   client .11, relay mesh0 .1 (gw R .254)
#   br-x  203.0.113.0/28    relay inet0 .1 (its NAT address, gw R .14), exit mesh0 .2 (gw R .14)
#   br-e  203.0.113.16/28   exit inet0 .17 (its NAT address, gw R .30)
# The relay reaches the exit's WireGuard endpoint on a link of its own (br-x, its own subnet:
# relay.h lets exact mesh endpoints through), mesh control between the two goes through R.
# Asserts:
#   - the relay learned the exit through the mesh (seeds) before any traffic: alive in its view;
#   - through wgA alone, a ping to 192.0.2.80 is dropped by the relay (relay-only: policy_denied
#     rose by at least the pings sent, no echo reached br-x) although wgA's handshake completed;
#   - through the chain, curl gets the page and the server saw the exit's 203.0.113.17;
#   - on br-x (exit's port) every packet to the exit's WireGuard port comes from the relay's
#     203.0.113.1, and neither the client's underlay (198.51.100.11) nor a tunnel address
#     (100.64.x) appears at all; the relay's relay_sessions_created counter rose;
#   - on br-c (client's port) the client sent only UDP to 198.51.100.1:51820: no "GET /", no
#     192.0.2.80 in clear.
. "$(dirname "$0")/mesh_lib.sh"
mgm_init test_mesh_relay_chain
R=$MG_NS_R
RELAY=1 EXIT_N=2
CLIENT_UL=198.51.100.11 RELAY_UL=198.51.100.1
EXIT_WG=203.0.113.2 RELAY_PUB=203.0.113.1 EXIT_PUB=203.0.113.17
INNER_A=100.64.1.2 INNER_B=100.64.2.2

mgm_bridge br-c 198.51.100.254/24
mgm_bridge br-x 203.0.113.14/28
mgm_bridge br-e 203.0.113.30/28
ip -n "$R" addr add "$MG_SERVER/32" dev lo || mg_fail "server address"
mg_spawn http "$R" python3 "$MG_ITEST_DIR/inetsrv.py" http "$MG_SERVER" 80

MGM_MESH_ADDR[$RELAY]=$RELAY_UL/24 MGM_MESH_GW[$RELAY]=198.51.100.254
MGM_INET_ADDR[$RELAY]=$RELAY_PUB/28 MGM_INET_GW[$RELAY]=203.0.113.14
MGM_ROLES[$RELAY]='"relay"'
MGM_SEEDS_OF[$RELAY]="\"$EXIT_WG:$MGM_MESH_PORT\""
MGM_MESH_ADDR[$EXIT_N]=$EXIT_WG/28 MGM_MESH_GW[$EXIT_N]=203.0.113.14
MGM_INET_ADDR[$EXIT_N]=$EXIT_PUB/28 MGM_INET_GW[$EXIT_N]=203.0.113.30
MGM_ROLES[$EXIT_N]='"exit"'
MGM_SEEDS_OF[$EXIT_N]=""
mgm_node_ns $RELAY
mgm_port "${MGM_NS[$RELAY]}" mesh0 br-c m1
mgm_port "${MGM_NS[$RELAY]}" inet0 br-x i1
mgm_node_ns $EXIT_N
mgm_port "${MGM_NS[$EXIT_N]}" mesh0 br-x m2
mgm_port "${MGM_NS[$EXIT_N]}" inet0 br-e i2

C=$MG_ID-C
mg_ns_add "$C"
mgm_port "$C" eth0 br-c c1
ip -n "$C" addr add "$CLIENT_UL/24" dev eth0
mg_wait_for 10 ip netns exec "$R" curl -sf -m 1 "http://$MG_SERVER/" || mg_fail "HTTP server did not start"

mgm_node_start $EXIT_N
mgm_node_start $RELAY
exit_id=$(mgm_id $EXIT_N) || mg_fail "exit: meshctl mesh did not answer"
relay_knows_exit() { [ "$(mgm_state_of $RELAY "${exit_id:0:32}")" = alive ]; }
ms=$(mgm_wait_ms 30 relay_knows_exit) || mg_fail "the relay did not learn the exit through the mesh within 30 s: $(mgm_view $RELAY)"
mg_log "relay lists the exit alive after $ms ms: $(mgm_view $RELAY | tr '\n' ';')"

# wgA: client -> relay.
WGA=${MG_ID}wa WGB=${MG_ID}wb
(umask 077 && wg genkey >"$MG_TMP/ca.key" && wg genkey >"$MG_TMP/cb.key") || mg_fail "wg genkey"
wg_up() { # IFACE KEY PEER_PUB ENDPOINT INNER MTU
	mg_spawn "wg-$1" "$C" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose wireguard-go -f "$1"
	mg_wait_for 10 test -S "/var/run/wireguard/$1.sock" || mg_fail "wireguard-go $1 did not start"
	ip netns exec "$C" wg set "$1" private-key "$2" peer "$3" endpoint "$4" allowed-ips 0.0.0.0/0 ||
		mg_fail "wg set $1"
	ip -n "$C" addr add "$5/32" dev "$1"
	ip -n "$C" link set "$1" mtu "$6" up
}
wg_up "$WGA" "$MG_TMP/ca.key" "${MGM_WG_PUB[$RELAY]}" "$RELAY_UL:$MG_WG_PORT" "$INNER_A" "$MG_TUNNEL_MTU"
ip -n "$C" route add "$EXIT_WG/32" dev "$WGA"

# The relay forwards to mesh nodes only: 192.0.2.80 through wgA alone is dropped by policy.
policy_denied() { MG_INSTANCE=${MGM_INSTANCE[$RELAY]} mg_counter_sum "$MG_CTR_POLICY_DENY"; }
ip -n "$C" route add "$MG_SERVER/32" dev "$WGA"
deny0=$(policy_denied)
mg_spawn capdeny "$R" timeout 20 tcpdump -n -l --immediate-mode -i r-i1 "icmp and host $MG_SERVER"
capdeny_pid=$MG_LAST_PID
mg_wait_for 5 grep -q 'listening on' "$MG_TMP/capdeny.log" || mg_fail "tcpdump on r-i1 did not start"
out=$(ip netns exec "$C" ping -n -c 5 -i 0.4 -W 1 "$MG_SERVER" 2>&1) && mg_fail "ping through the relay alone was answered: $out"
hs=$(ip netns exec "$C" wg show "$WGA" latest-handshakes | awk '{print $2}')
[ "${hs:-0}" -gt 0 ] || mg_fail "wgA never completed a handshake with the relay (the deny proves nothing)"
deny1=$(policy_denied)
[ $((deny1 - deny0)) -ge 4 ] || mg_fail "relay policy_denied rose by $((deny1 - deny0)), expected >= 4 (first ping may ride the handshake)"
sleep 1
mg_stop_pid "$capdeny_pid" TERM 5
grep -q "$MG_SERVER" "$MG_TMP/capdeny.log" && mg_fail "an echo to $MG_SERVER left the relay: $(grep "$MG_SERVER" "$MG_TMP/capdeny.log" | head -n 2)"
mg_log "relay alone: ping dropped, policy_denied +$((deny1 - deny0))"
ip -n "$C" route del "$MG_SERVER/32" dev "$WGA"

# Captures on both links while the chain carries the page.
mg_spawn capx "$R" timeout 60 tcpdump -n -U --immediate-mode -i r-m2 -w "$MG_TMP/relay-exit.pcap" ip
capx_pid=$MG_LAST_PID
mg_spawn capc "$R" timeout 60 tcpdump -n -U --immediate-mode -i r-c1 -w "$MG_TMP/client-relay.pcap" ip
capc_pid=$MG_LAST_PID
mg_wait_for 5 grep -q 'listening on' "$MG_TMP/capx.log" || mg_fail "tcpdump on r-m2 did not start"
mg_wait_for 5 grep -q 'listening on' "$MG_TMP/capc.log" || mg_fail "tcpdump on r-c1 did not start"
relayed0=$(MG_INSTANCE=${MGM_INSTANCE[$RELAY]} mg_counter_sum 'relay_sessions_created')

# wgB: client -> exit, nested in wgA.
wg_up "$WGB" "$MG_TMP/cb.key" "${MGM_WG_PUB[$EXIT_N]}" "$EXIT_WG:$MG_WG_PORT" "$INNER_B" $((MG_TUNNEL_MTU - 80))
ip -n "$C" route add "$MG_SERVER/32" dev "$WGB"
chain_page() { [ "$(ip netns exec "$C" curl -sS --max-time 3 "http://$MG_SERVER/" 2>/dev/null | head -n1)" = "$EXIT_PUB" ]; }
ms=$(mgm_wait_ms 30 chain_page) || mg_fail "no page through the chain within 30 s: $(ip netns exec "$C" curl -sS --max-time 3 "http://$MG_SERVER/" 2>&1 | head -n1)"
page=$(ip netns exec "$C" curl -sS --max-time 5 "http://$MG_SERVER/" | head -n1)
[ "$page" = "$EXIT_PUB" ] || mg_fail "server saw '$page', expected the exit's $EXIT_PUB"
relayed1=$(MG_INSTANCE=${MGM_INSTANCE[$RELAY]} mg_counter_sum 'relay_sessions_created')
[ "$relayed1" -gt "$relayed0" ] || mg_fail "the relay's relay_sessions_created counter did not rise ($relayed0 -> $relayed1)"
mg_log "page through the chain after $ms ms, server saw $page; relay_sessions_created +$((relayed1 - relayed0))"
# Let the captures write what they saw: on a loaded machine tcpdump may be several seconds
# behind, and packets still in its kernel buffer when it is stopped are lost.
rd() { ip netns exec "$R" tcpdump -n -r "$1" "${@:2}" 2>/dev/null; }
captured() { [ "$(rd "$1" "${@:3}" | grep -c .)" -ge "$2" ]; }
mg_wait_for 15 captured "$MG_TMP/relay-exit.pcap" 5 "udp and dst host $EXIT_WG and dst port $MG_WG_PORT"
mg_wait_for 15 captured "$MG_TMP/client-relay.pcap" 5 "src host $CLIENT_UL"
mg_stop_pid "$capx_pid" TERM 5
mg_stop_pid "$capc_pid" TERM 5

# relay <-> exit link: towards the exit's WireGuard port only the relay's address, never the
# client's underlay or tunnel addresses anywhere.
to_wg=$(rd "$MG_TMP/relay-exit.pcap" "udp and dst host $EXIT_WG and dst port $MG_WG_PORT")
n_to_wg=$(grep -c . <<<"$to_wg")
[ "$n_to_wg" -ge 5 ] || mg_fail "only $n_to_wg packets to $EXIT_WG:$MG_WG_PORT on the relay-exit link"
bad=$(grep -v " IP $RELAY_PUB\.[0-9]* > $EXIT_WG\.$MG_WG_PORT: UDP" <<<"$to_wg" | head -n 3)
[ -z "$bad" ] || mg_fail "packets to the exit's WireGuard port not from $RELAY_PUB: $bad"
leak=$(rd "$MG_TMP/relay-exit.pcap" | grep -E "$CLIENT_UL|100\.64\." | head -n 3)
[ -z "$leak" ] || mg_fail "the client's address is visible on the relay-exit link: $leak"

# client <-> relay link: only UDP to the relay's WireGuard port, nothing in clear.
n_c=$(rd "$MG_TMP/client-relay.pcap" "src host $CLIENT_UL" | grep -c .)
other=$(rd "$MG_TMP/client-relay.pcap" "src host $CLIENT_UL and not (udp and dst host $RELAY_UL and dst port $MG_WG_PORT)" | head -n 3)
[ "$n_c" -ge 5 ] || mg_fail "only $n_c packets from the client on its link"
[ -z "$other" ] || mg_fail "the client sent something other than WireGuard to the relay: $other"
clear=$(rd "$MG_TMP/client-relay.pcap" -A | grep -E "GET /|$MG_SERVER" | head -n 3)
[ -z "$clear" ] || mg_fail "plaintext on the client-relay link: $clear"
mg_pass "page via relay+exit (server saw $page), $n_to_wg packets to the exit's WireGuard port all from $RELAY_PUB, $n_c client packets all WireGuard to the relay, relay-only deny +$((deny1 - deny0))"
