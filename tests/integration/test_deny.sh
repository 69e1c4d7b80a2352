#!/bin/bash
# Test 5: the default exit policy. Probes (ICMP echo, UDP, TCP SYN) to every default-denied
# destination and to the gateway's own addresses, and TCP/25 to 192.0.2.80, are sent through the
# tunnel; none may leave the gateway (tcpdump in R sees none, the :25 listener logs nothing), the
# client cannot reach them, and meshgate's policy-deny counter rose. A positive control (a probe
# to 192.0.2.80 that is allowed) must show up in the same capture, so "nothing seen" means something.
. "$(dirname "$0")/lib.sh"
mg_init test_deny
mg_skip_unless_meshgate "the deny list is meshgate policy; the Linux reference exit has none"
command -v tcpdump >/dev/null || mg_fail "tcpdump missing"
mg_topo_create twoport
mg_client_add 1
mg_exit_start
mg_client_up 1
mg_client_wait_page 1 20 || mg_fail "tunnel not up within 20 s"

DENIED="10.0.0.1 172.16.0.1 192.168.1.1 100.64.0.1 127.0.0.1 169.254.1.1 0.0.0.1 224.0.0.1 240.0.0.1 $MG_R_INET_ADDR $MG_MESH_ADDR"
# Destinations the client can route into the tunnel with ordinary sockets (not loopback,
# multicast, class E, 0/8 or the WireGuard endpoint itself).
ROUTED="10.0.0.1 172.16.0.1 192.168.1.1 100.64.0.1 169.254.1.1 $MG_R_INET_ADDR"
for d in $ROUTED; do mg_cx 1 ip route add "$d/32" dev "${MG_CLIENT_WG[1]}" || mg_fail "route $d"; done

# Capture everything R receives from the gateway side.
mg_spawn tcpdump "$MG_NS_R" tcpdump -i any -n -U -w "$MG_TMP/deny.pcap"
capture_pid=$MG_LAST_PID
mg_wait_for 10 grep -q 'listening on' "$MG_TMP/tcpdump.log" || mg_fail "tcpdump did not start"

before=$(mg_counter_sum "$MG_CTR_POLICY_DENY")

# Real sockets first: ping each routed destination, TCP to :25 on the server.
for d in $ROUTED; do
	if mg_cx 1 ping -n -c 1 -W 1 "$d" >/dev/null 2>&1; then mg_fail "ping $d through the tunnel was answered"; fi
done
if mg_cx 1 curl -s --max-time 3 "http://$MG_SERVER:25/" >/dev/null 2>&1; then :; fi
# Then crafted packets for every denied destination, and the allowed positive control.
mg_cx 1 python3 "$MG_ITEST_DIR/craft.py" probes "${MG_CLIENT_WG[1]}" "${MG_CLIENT_INNER[1]}" \
	$DENIED "$MG_SERVER:25" || mg_fail "craft.py probes"
mg_cx 1 python3 "$MG_ITEST_DIR/craft.py" probes "${MG_CLIENT_WG[1]}" "${MG_CLIENT_INNER[1]}" \
	"$MG_SERVER" || mg_fail "craft.py control probe"
sleep 2
mg_stop_pid "$capture_pid" INT 5

after=$(mg_counter_sum "$MG_CTR_POLICY_DENY")
mg_log "policy-deny counter: $before -> $after"

# Anything from the gateway (NAT'd or with a tunnel source) to a denied destination is a leak.
dstf="dst net 10.0.0.0/8 or dst net 172.16.0.0/12 or dst net 192.168.0.0/16 or dst net 100.64.0.0/10"
dstf="$dstf or dst net 127.0.0.0/8 or dst net 169.254.0.0/16 or dst net 0.0.0.0/8 or dst net 224.0.0.0/4"
dstf="$dstf or dst net 240.0.0.0/4 or dst host $MG_R_INET_ADDR or dst host $MG_MESH_ADDR"
dstf="$dstf or (dst host $MG_SERVER and tcp dst port 25)"
leaks=$(tcpdump -n -r "$MG_TMP/deny.pcap" \
	"ip and (src host $MG_PUB_ADDR or src net 100.64.0.0/10) and not udp port $MG_WG_PORT and ($dstf)" 2>"$MG_TMP/rd.err") ||
	mg_fail "reading the capture: $(cat "$MG_TMP/rd.err")"
control=$(tcpdump -n -r "$MG_TMP/deny.pcap" \
	"ip and src host $MG_PUB_ADDR and dst host $MG_SERVER and icmp[icmptype] == icmp-echo" 2>"$MG_TMP/rd.err" | wc -l)

[ -z "$leaks" ] || mg_fail "denied traffic left the gateway:
$leaks"
[ "$control" -ge 1 ] || mg_fail "positive control: the allowed probe to $MG_SERVER never reached R (capture or injection broken)"
[ ! -s "$MG_TMP/smtp.conns" ] || mg_fail "the :25 listener accepted: $(cat "$MG_TMP/smtp.conns")"
n_routed=$(echo $ROUTED | wc -w)
[ $((after - before)) -ge "$n_routed" ] ||
	mg_fail "policy-deny counter rose by $((after - before)), expected at least $n_routed"
mg_client_page_ok 1 || mg_fail "the client lost its tunnel after the probes"
mg_pass "0 leaks, policy-deny +$((after - before)), control seen $control times"
