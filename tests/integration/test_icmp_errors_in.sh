#!/bin/bash
# Test: ICMP errors from the internet find their way back through the NAT. A UDP socket on the
# client, connect()ed to 192.0.2.80:9 where nothing listens, sends a datagram through the tunnel;
# R answers port unreachable to 203.0.113.1, the NAT maps the quoted packet back to the client's
# flow and the client's kernel reports ECONNREFUSED on the socket. /meshgate/nat icmp_errors_in
# rose. A datagram to the echo port 7 on the same path is the positive control. Second case, an
# ICMP error quoting ICMP: a ping to 192.0.2.81, for which R has no route, draws "Destination Net
# Unreachable" from R; ping only shows it when the NAT restored the echo identifier it had
# translated inside the quoted packet.
. "$(dirname "$0")/lib.sh"
mg_init test_icmp_errors_in
mg_topo_create twoport
mg_client_add 1
mg_exit_start
mg_client_up 1
mg_client_wait_page 1 20 || mg_fail "tunnel not up within 20 s"
ip netns exec "$MG_NS_R" ss -Hlun "sport = :9" | grep -q . && mg_fail "something listens on UDP 9 in R"

[ "$EXIT" = meshgate ] && in_before=$(mg_counter_sum '^icmp_errors_in$' /meshgate/nat)
res=$(mg_cx 1 timeout 20 python3 - "$MG_SERVER" <<'PY'
import socket, sys
srv = sys.argv[1]
# Positive control: the echo port answers through the same tunnel and NAT.
e = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
e.settimeout(2)
e.connect((srv, 7))
e.send(b"control")
try:
    ok = e.recv(100) == b"control"
except OSError as ex:
    print("control-failed", type(ex).__name__)
    sys.exit(1)
# The closed port: several tries (R rate-limits its ICMP errors, the first may be spent).
for attempt in range(1, 6):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((srv, 9))
    s.send(b"anyone there?")
    try:
        s.recv(100)
        print("answered")
        sys.exit(1)
    except ConnectionRefusedError:
        print("refused", attempt)
        sys.exit(0)
    except socket.timeout:
        pass
    finally:
        s.close()
print("timeout")
sys.exit(1)
PY
) || mg_fail "UDP to $MG_SERVER:9 through the tunnel: expected ConnectionRefusedError, got: $res"
mg_log "client socket: $res"

unroutable=192.0.2.81
ip netns exec "$MG_NS_R" ip route get "$unroutable" >/dev/null 2>&1 && mg_fail "R has a route to $unroutable"
out=$(mg_cx 1 ping -n -c 2 -i 0.5 -W 2 "$unroutable" 2>&1)
echo "$out" | grep -E 'Unreachable|transmitted'
echo "$out" | grep -qE "^From $MG_R_INET_ADDR icmp_seq=[0-9]+ Destination Net Unreachable" ||
	mg_fail "ping $unroutable: expected 'Destination Net Unreachable' from $MG_R_INET_ADDR, got: $out"

[ "$EXIT" = meshgate ] || mg_pass "ECONNREFUSED on attempt ${res#refused }, net unreachable for ping (counters not checked: EXIT=$EXIT)"
in_after=$(mg_counter_sum '^icmp_errors_in$' /meshgate/nat)
[ $((in_after - in_before)) -ge 2 ] || mg_fail "/meshgate/nat icmp_errors_in rose by $((in_after - in_before)) ($in_before -> $in_after), the client received 2 errors"
mg_pass "UDP: ECONNREFUSED on attempt ${res#refused }; ping: net unreachable from $MG_R_INET_ADDR; icmp_errors_in $in_before -> $in_after"
