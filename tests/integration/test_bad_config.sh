#!/bin/bash
# Test: broken configuration files are refused with a precise message. For each file, both
# `meshgate --check -c F` and a plain `meshgate -c F` exit non-zero and print
# "F:LINE: KEY: reason", LINE being the line of the offending key (marked "//@" in the file below,
# as docs/config.md defines it) and KEY its full path; a good file passes --check. No namespaces:
# loading stops before EAL starts (each run is bounded by a timeout all the same).
. "$(dirname "$0")/lib.sh"
MG_TEST=test_bad_config
[ "${MG_VERBOSE:-0}" = 1 ] && set -x
[ "$EXIT" = meshgate ] || mg_skip "EXIT=$EXIT: configuration files are meshgate's"
mg_find_meshgate
MG_ID=mg$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
MG_TMP=$(mktemp -d "/tmp/$MG_ID.XXXX")
trap mg_cleanup EXIT
mg_log "run $MG_ID (no namespaces), temp $MG_TMP"
KEY=$(wg genkey) || mg_fail "wg genkey"
PUB1=$(wg genkey | wg pubkey)

# The pieces every file shares. Interfaces that do not exist, hugepages off and a fresh instance
# name: should a broken file ever be accepted, the plain run fails in EAL without touching anything.
head_lines() {
	echo "// test_bad_config $1"
	echo "instance = \"${MG_ID}b\";"
	echo 'hugepages = "off";'
	echo 'memory_mb = 256;'
}
ports_2() {
	echo 'ports = ('
	echo '  { name = "mesh"; driver = "af_packet"; iface = "mgnone0"; role = "mesh";'
	echo '    address = "198.51.100.1/24"; },'
	echo '  { name = "internet"; driver = "af_packet"; iface = "mgnone1"; role = "internet";'
	echo '    address = "203.0.113.1/24"; gateway = "203.0.113.254"; }'
	echo ');'
}
wg_open() {
	echo 'wireguard = {'
	echo "  private_key = \"$KEY\";"
	echo '  open = { enabled = true; };'
	echo '};'
}

checked=0
# expect_error NAME KEY REASON_REGEX [LINE_SLACK]: the file $MG_TMP/NAME.conf (already written) must
# be refused by --check and by a plain run, each printing "FILE:LINE: KEY: reason" where LINE is
# the "//@" line (line 1 when unmarked) and reason matches REASON_REGEX. LINE_SLACK=1 also accepts
# the next line (libconfig's syntax errors are reported where the parser noticed them).
expect_error() {
	local name=$1 key=$2 reason=$3 slack=${4:-0} f=$MG_TMP/$1.conf line mode out rc l ok
	line=$(grep -n '//@' "$f" | cut -d: -f1 | head -n1)
	line=${line:-1}
	for mode in check run; do
		if [ $mode = check ]; then
			out=$(timeout 10 "$MESHGATE" --check -c "$f" 2>&1)
		else
			out=$(timeout 10 "$MESHGATE" -c "$f" 2>&1)
		fi
		rc=$?
		[ $rc = 124 ] && mg_fail "$name ($mode): meshgate still running after 10 s; it accepted the file?"
		[ $rc != 0 ] || mg_fail "$name ($mode): exit status 0 for a broken file; output: $out"
		ok=0
		for l in $(seq "$line" $((line + slack))); do
			if [ -n "$key" ]; then
				echo "$out" | grep -qF "$f:$l: $key: " &&
					echo "$out" | grep -F "$f:$l: $key: " | grep -qE "$reason" && ok=1
			else
				echo "$out" | grep -F "$f:$l: " | grep -qE "$reason" && ok=1
			fi
		done
		[ $ok = 1 ] || mg_fail "$name ($mode): expected \"$f:$line: ${key:+$key: }<$reason>\", got: $out"
	done
	mg_log "$name: $(echo "$out" | head -n1)"
	checked=$((checked + 1))
}

# 0. The good file passes --check (and so the broken ones below differ from it by one thing).
{ head_lines good; ports_2; wg_open; } >"$MG_TMP/good.conf"
out=$(timeout 10 "$MESHGATE" --check -c "$MG_TMP/good.conf" 2>&1) ||
	mg_fail "the good file was refused: $out"

# 1. A value out of range.
{ head_lines range; ports_2; echo 'wireguard = {'; echo "  private_key = \"$KEY\";"
  echo '  listen_port = 70000; //@'; echo '};'; } >"$MG_TMP/range.conf"
expect_error range wireguard.listen_port '65535'

# 2. A misspelt top-level key.
{ head_lines typo; echo 'wrokers = 2; //@'; ports_2; wg_open; } >"$MG_TMP/typo.conf"
expect_error typo wrokers 'unknown key'

# 3. The wrong type: a string where an integer belongs.
{ head_lines type; echo 'workers = "2"; //@'; ports_2; wg_open; } >"$MG_TMP/type.conf"
expect_error type workers '.'

# 4. Two static peers with the same public key (open mode off): the second is blamed.
{ head_lines dup; ports_2; echo 'wireguard = {'; echo "  private_key = \"$KEY\";"
  echo '  open = { enabled = false; };'; echo '};'; echo 'peers = ('
  echo "  { public_key = \"$PUB1\"; allowed_ips = [ \"100.64.0.2/32\" ]; },"
  echo "  { public_key = \"$PUB1\"; //@"; echo '    allowed_ips = [ "100.64.0.3/32" ]; }'
  echo ');'; } >"$MG_TMP/dup.conf"
expect_error dup 'peers[1].public_key' 'duplicate'

# 5. A NAT timeout below its RFC minimum (RFC 4787 REQ-5: UDP at least 120 s).
{ head_lines udp; ports_2; wg_open; echo 'nat = {'; echo '  udp_timeout = 60; //@'
  echo '};'; } >"$MG_TMP/udp.conf"
expect_error udp nat.udp_timeout '120'

# 6. A network with host bits in open mode's allowed IPs.
{ head_lines hostbits; ports_2; echo 'wireguard = {'; echo "  private_key = \"$KEY\";"
  echo '  open = { enabled = true;'; echo '    allowed_ips = [ "10.1.2.3/8" ]; }; //@'
  echo '};'; } >"$MG_TMP/hostbits.conf"
expect_error hostbits 'wireguard.open.allowed_ips[0]' '10\.0\.0\.0/8'

# 7. A malformed port address (an octet above 255) in the second port.
{ head_lines addr; echo 'ports = ('
  echo '  { name = "mesh"; driver = "af_packet"; iface = "mgnone0"; role = "mesh";'
  echo '    address = "198.51.100.1/24"; },'
  echo '  { name = "internet"; driver = "af_packet"; iface = "mgnone1"; role = "internet";'
  echo '    address = "203.0.113.300/24"; //@'; echo '    gateway = "203.0.113.254"; }'
  echo ');'; wg_open; } >"$MG_TMP/addr.conf"
expect_error addr 'ports[1].address' '.'

# 8. A gateway outside its port's subnet.
{ head_lines gw; echo 'ports = ('
  echo '  { name = "mesh"; driver = "af_packet"; iface = "mgnone0"; role = "mesh";'
  echo '    address = "198.51.100.1/24"; },'
  echo '  { name = "internet"; driver = "af_packet"; iface = "mgnone1"; role = "internet";'
  echo '    address = "203.0.113.1/24";'; echo '    gateway = "192.0.2.1"; } //@'
  echo ');'; wg_open; } >"$MG_TMP/gw.conf"
expect_error gw 'ports[1].gateway' '.'

# 9. The required ports list left out: a missing top-level key is blamed on line 1.
{ head_lines noports; wg_open; } >"$MG_TMP/noports.conf"
expect_error noports ports '.'

# 10. A private key that is not base64 of 32 bytes.
{ head_lines badkey; ports_2; echo 'wireguard = {'; echo '  private_key = "not-a-key"; //@'
  echo '};'; } >"$MG_TMP/badkey.conf"
expect_error badkey wireguard.private_key '.'

# 11. One-armed with the NAT port range covering the WireGuard port (replies would be taken for
#     WireGuard): the port range is blamed.
{ head_lines onearm; echo 'ports = ('
  echo '  { name = "internet"; driver = "af_packet"; iface = "mgnone1"; role = "both";'
  echo '    address = "203.0.113.1/24"; gateway = "203.0.113.254"; }'; echo ');'; wg_open
  echo 'nat = {'; echo '  port_range = [ 1024, 65535 ]; //@'; echo '};'; } >"$MG_TMP/onearm.conf"
expect_error onearm nat.port_range '51820'

# 12. A syntax error (a value left out; a missing ';' alone is no error, libconfig's terminator is
#     optional): libconfig names the line, no key.
{ head_lines syntax; echo 'workers = ; //@'; echo 'idle_backoff = true;'; ports_2; wg_open; } \
	>"$MG_TMP/syntax.conf"
expect_error syntax '' 'syntax error' 1

# 13. Open mode off and no static peer at all: nobody could ever connect.
{ head_lines nopeers; ports_2; echo 'wireguard = {'; echo "  private_key = \"$KEY\";"
  echo '  open = { enabled = false; };'; echo '};'; } >"$MG_TMP/nopeers.conf"
expect_error nopeers peers '.'

# 14. An unreadable (absent) file.
out=$(timeout 10 "$MESHGATE" --check -c "$MG_TMP/absent.conf" 2>&1) &&
	mg_fail "absent file: exit status 0"
echo "$out" | grep -qF "$MG_TMP/absent.conf: cannot read" || mg_fail "absent file: got: $out"

mg_pass "good file accepted; $checked broken files refused with the right line and key, by --check and by a plain run"
