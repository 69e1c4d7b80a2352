#!/bin/bash
# Test: the gateway answers for its own mesh address on the underlay, outside any tunnel. Client 1
# forgets its neighbour entry for 198.51.100.1 and pings it from eth0: the pings are answered
# (meshgate's icmp_echo_answered rose by at least as many), ARP resolved 198.51.100.1 to the MAC
# of G's mesh0 as the kernel of G reports it (the af_packet port's own address), and an explicit
# ARP request (who-has 198.51.100.1, sent raw) gets a reply carrying that MAC. A full-size echo
# is answered whole, and R's ping to the internet port's address 203.0.113.1 is answered too.
. "$(dirname "$0")/lib.sh"
mg_init test_icmp_self
mg_topo_create twoport
mg_client_add 1
mg_exit_start

mesh_mac=$(ip -n "$MG_NS_G" -o link show mesh0 | grep -o 'link/ether [0-9a-f:]*' | awk '{print $2}')
[ -n "$mesh_mac" ] || mg_fail "no MAC for mesh0 in G"
if [ "$EXIT" = meshgate ]; then
	echo_before=$(mg_counter_sum '^icmp_echo_answered$')
	arp_before=$(mg_counter_sum '^arp_requests_answered$')
fi

mg_cx 1 ip neigh flush dev eth0
out=$(mg_cx 1 ping -n -c 4 -i 0.3 -W 2 -I eth0 "$MG_MESH_ADDR" 2>&1) || mg_fail "ping $MG_MESH_ADDR from the underlay failed: $out"
echo "$out" | tail -n 2
echo "$out" | grep -q ' 0% packet loss' || mg_fail "packet loss: $(echo "$out" | grep loss)"
echo "$out" | grep -q "bytes from $MG_MESH_ADDR: icmp_seq=1 ttl=" || mg_fail "no reply from $MG_MESH_ADDR itself: $out"

# A full-size echo (1472 bytes of data: a 1500-byte packet) comes back whole too.
big=$(mg_cx 1 ping -n -c 2 -i 0.3 -W 2 -s 1472 -I eth0 "$MG_MESH_ADDR" 2>&1) ||
	mg_fail "1500-byte ping to $MG_MESH_ADDR failed: $(echo "$big" | tail -n 2)"
echo "$big" | grep -q "1480 bytes from $MG_MESH_ADDR" || mg_fail "1500-byte ping: no full-size reply: $big"
# The internet port answers for its own address as well (R pings 203.0.113.1).
out_r=$(ip netns exec "$MG_NS_R" ping -n -c 2 -i 0.3 -W 2 "$MG_PUB_ADDR" 2>&1) ||
	mg_fail "R's ping to $MG_PUB_ADDR failed: $(echo "$out_r" | tail -n 2)"

neigh=$(mg_cx 1 ip neigh show "$MG_MESH_ADDR" dev eth0 | awk '/lladdr/ {print $3; exit}')
[ "$neigh" = "$mesh_mac" ] || mg_fail "client's neighbour entry for $MG_MESH_ADDR is '$neigh', mesh0's MAC is $mesh_mac"

# An explicit ARP request, as arping sends it: broadcast who-has, reply read off the wire.
replied=$(mg_cx 1 timeout 10 python3 - "$MG_MESH_ADDR" "${MG_CLIENT_UNDERLAY[1]}" <<'PY'
import socket, struct, sys, time
target, me = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.bind(("eth0", 0x0806))
mymac = s.getsockname()[4]
req = (b"\xff" * 6 + mymac + struct.pack("!H", 0x0806) +
       struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mymac + socket.inet_aton(me) + b"\0" * 6 +
       socket.inet_aton(target))
s.settimeout(0.5)
for _ in range(6):
    s.send(req)
    end = time.time() + 0.5
    while time.time() < end:
        try:
            f = s.recv(2048)
        except socket.timeout:
            break
        op, sha, spa = struct.unpack("!H", f[20:22])[0], f[22:28], f[28:32]
        if op == 2 and spa == socket.inet_aton(target) and f[32:38] == mymac:
            print(":".join("%02x" % b for b in sha))
            sys.exit(0)
sys.exit(1)
PY
) || mg_fail "no ARP reply for $MG_MESH_ADDR to a raw who-has"
[ "$replied" = "$mesh_mac" ] || mg_fail "ARP reply says $MG_MESH_ADDR is at $replied, mesh0's MAC is $mesh_mac"

[ "$EXIT" = meshgate ] || mg_pass "answered, ARP -> $mesh_mac (counters not checked: EXIT=$EXIT)"
echo_after=$(mg_counter_sum '^icmp_echo_answered$')
arp_after=$(mg_counter_sum '^arp_requests_answered$')
mg_log "icmp_echo_answered $echo_before -> $echo_after, arp_requests_answered $arp_before -> $arp_after"
[ $((echo_after - echo_before)) -ge 8 ] || mg_fail "icmp_echo_answered rose by $((echo_after - echo_before)), 8 pings were answered"
[ $((arp_after - arp_before)) -ge 2 ] || mg_fail "arp_requests_answered rose by $((arp_after - arp_before)), expected at least 2 (kernel + raw request)"
mg_pass "4/4 + 2 full-size answered on mesh, 2/2 on the internet port (icmp_echo_answered +$((echo_after - echo_before))), ARP -> $mesh_mac (arp_requests_answered +$((arp_after - arp_before)))"
