#!/bin/bash
# Test: the per-peer NAT session budget. With nat.max_sessions_per_peer = 3 and no session yet
# (the tunnel is brought up by a keepalive, which needs none), the client opens 5 concurrent TCP
# connections to 192.0.2.80:80 and holds them: the first 3 connect, the 4th and 5th fail at once
# with EHOSTUNREACH (the gateway answers their SYN with ICMP administratively prohibited), the
# counter drops.nat_peer_limit rose, and the 3 held connections still carry an HTTP exchange.
. "$(dirname "$0")/lib.sh"
mg_init test_nat_limits
mg_skip_unless_meshgate "the per-peer session budget is meshgate's NAT"
LIMIT=3
MG_NAT_PER_PEER=$LIMIT
mg_topo_create twoport
mg_client_add 1
mg_exit_start
mg_client_up 1
# A keepalive makes wireguard-go handshake without creating any NAT session.
mg_cx 1 wg set "${MG_CLIENT_WG[1]}" peer "$MG_GW_PUB" persistent-keepalive 1 || mg_fail "wg set keepalive"
mg_wait_for 15 bash -c "[ \"\$(ip netns exec ${MG_CLIENT_NS[1]} wg show ${MG_CLIENT_WG[1]} latest-handshakes | awk '{print \$2}')\" -gt 0 ]" ||
	mg_fail "no handshake within 15 s"
sessions=$(mg_counter_sum '^sessions$' /meshgate/nat)
[ "$sessions" = 0 ] || mg_fail "expected no NAT session before the flows, found $sessions"
limit_before=$(mg_counter_sum '^drops\.nat_peer_limit$')

res=$(mg_cx 1 timeout 30 python3 - "$MG_SERVER" "$MG_PUB_ADDR" 5 <<'PY'
import errno, socket, sys, time
srv, pub, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
held = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    t0 = time.monotonic()
    try:
        s.connect((srv, 80))
        held.append(s)
        print(f"flow{i + 1} connected")
    except OSError as e:
        name = errno.errorcode.get(e.errno, str(e)) if e.errno else type(e).__name__
        print(f"flow{i + 1} {name} {time.monotonic() - t0:.2f}s")
        s.close()
# The held flows still work: one HTTP exchange each, the page names the NAT address.
for i, s in enumerate(held):
    s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError as e:
        print(f"held{i + 1} {type(e).__name__}")
        continue
    body = data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip()
    print(f"held{i + 1} {'page-ok' if body == pub else 'page-bad:' + body[:40]}")
PY
)
echo "$res"
for i in $(seq 1 $LIMIT); do
	echo "$res" | grep -qx "flow$i connected" || mg_fail "flow $i of the first $LIMIT did not connect: $(echo $res)"
	echo "$res" | grep -qx "held$i page-ok" || mg_fail "held flow $i no longer works after the refusals: $(echo $res)"
done
for i in 4 5; do
	line=$(echo "$res" | grep "^flow$i ")
	echo "$line" | grep -q '^flow[0-9] EHOSTUNREACH ' || mg_fail "flow $i beyond the budget: expected EHOSTUNREACH, got '$line'"
	t=$(echo "$line" | awk '{print $3}' | tr -d s)
	awk -v t="$t" 'BEGIN {exit !(t < 1.0)}' || mg_fail "flow $i was refused only after $t s (ICMP admin prohibited should end it at once)"
done
limit_after=$(mg_counter_sum '^drops\.nat_peer_limit$')
sessions=$(mg_counter_sum '^sessions$' /meshgate/nat)
mg_log "drops.nat_peer_limit $limit_before -> $limit_after, NAT sessions now $sessions"
[ $((limit_after - limit_before)) -ge 2 ] || mg_fail "drops.nat_peer_limit rose by $((limit_after - limit_before)), 2 flows were refused"
[ "$sessions" -le $LIMIT ] || mg_fail "$sessions NAT sessions for a peer limited to $LIMIT"
mg_pass "flows 1-$LIMIT connected and still work, 4-5 EHOSTUNREACH at once; nat_peer_limit +$((limit_after - limit_before)), sessions $sessions"
