#!/bin/bash
# Test: handshake flood. The gateway runs with a tiny under-load threshold and a low handshake
# rate (MG_WG_EXTRA). Client 2 floods its WireGuard port with initiations that carry a valid mac1
# (random ephemeral/static, so they would fail later) from 4 UDP sockets for as long as the test
# needs; it decrypts the cookie replies it gets and, on 2 of its sockets, sends later initiations
# with a valid mac2, which must meet the per-source rate limit. Meanwhile client 1, a stock
# wireguard-go, connects: it gets a cookie reply (its log says so), retries with mac2 and
# completes its handshake, and fetches the page. Counters: cookie_replies_sent, under_load_ticks,
# handshake_drops cookie-required and rate-limited all rose. Afterwards the gateway still serves
# client 1 and answers telemetry.
. "$(dirname "$0")/lib.sh"
mg_init test_cookie_under_load
mg_skip_unless_meshgate "cookies under load and their counters are meshgate's"
MG_WG_EXTRA="under_load_backlog = 2; handshake_rate = 5; handshake_burst = 5;"
mg_topo_create twoport
mg_client_add 1
mg_client_add 2
mg_exit_start
grep -q 'under_load_backlog = 2' "$MG_TMP/meshgate.conf" || mg_fail "MG_WG_EXTRA did not reach the config"

before=$(MG_TELE --flat /meshgate/stats) || mg_fail "telemetry did not answer"
ctr() { echo "$1" | awk -v k="$2" '$1 == k {v = $2} END {print v + 0}'; }
rise() { echo $(($(ctr "$after" "$1") - $(ctr "$before" "$1"))); }

stop=$MG_TMP/flood.stop
mg_spawn flood "${MG_CLIENT_NS[2]}" python3 "$MG_ITEST_DIR/wgflood.py" "$MG_MESH_ADDR" "$MG_WG_PORT" "$MG_GW_PUB" 40 "$stop" 4
flood_pid=$MG_LAST_PID
# Let the flood get the gateway under load before the real client starts.
mg_wait_for 10 bash -c "[ \$(python3 $MG_ITEST_DIR/mgtelemetry.py -i $MG_INSTANCE --sum '^under_load_ticks\$' /meshgate/stats) -gt 0 ]" ||
	mg_fail "the flood did not put the gateway under load within 10 s"
t0=$SECONDS
mg_client_up 1
mg_client_wait_page 1 30 || { touch "$stop"; mg_fail "client 1: no page within 30 s during the flood"; }
took=$((SECONDS - t0))
hs=$(mg_client_handshake 1)
# Keep flooding 2 s more, then stop and collect the flooder's totals.
sleep 2
touch "$stop"
mg_wait_gone "$flood_pid" 10 || mg_fail "the flooder did not stop"
flood=$(cat "$MG_TMP/flood.log")
mg_log "flooder: $flood"
after=$(MG_TELE --flat /meshgate/stats) || mg_fail "telemetry did not answer after the flood"
for k in handshake_packets cookie_replies_sent under_load_ticks handshake_initiations_received \
	handshakes_completed handshake_drops.cookie_required_cookie_reply_sent \
	handshake_drops.rate_limited handshake_drops.decrypt_failed handshake_drops.bad_mac1 \
	drops.punt_ring_full; do
	mg_log "$k +$(rise "$k")"
done

kill -0 "$MG_EXIT_PID" 2>/dev/null || mg_fail "meshgate died under the flood"
[ "$hs" -gt 0 ] || mg_fail "client 1 got the page but wg reports no handshake"
grep -q 'Receiving cookie response' "$MG_TMP/wg-c1.log" ||
	mg_fail "client 1's wireguard-go never received a cookie reply (was it ever under load for it?)"
read -r _ f_sent _ f_replies _ f_opened _ f_mac2 _ f_secs <<<"$flood"
[ "${f_sent:-0}" -gt 1000 ] || mg_fail "the flooder sent only ${f_sent:-0} initiations"
[ "${f_opened:-0}" -ge 1 ] || mg_fail "the flooder could not open any cookie reply ($f_replies received): the cookie was not made with HASH(\"cookie--\" || S_pub) and mac1 as AAD"
[ "$(rise cookie_replies_sent)" -ge 1 ] || mg_fail "cookie_replies_sent did not rise"
[ "$(rise under_load_ticks)" -ge 1 ] || mg_fail "under_load_ticks did not rise"
[ "$(rise handshake_drops.cookie_required_cookie_reply_sent)" -ge 1 ] || mg_fail "no handshake drop for cookie required"
[ "$(rise handshake_drops.bad_mac1)" = 0 ] || mg_fail "$(rise handshake_drops.bad_mac1) flood initiations failed mac1: our mac1 (BLAKE2s keyed with HASH(\"mac1----\" || S_pub)) disagrees with the gateway's"
if [ "${f_mac2:-0}" -gt 0 ]; then
	# 2 sockets sent mac2-valid initiations from one address: at most 5/s plus a burst of 5 pass.
	[ "$(rise handshake_drops.rate_limited)" -ge 1 ] || mg_fail "$f_mac2 initiations with a valid mac2 from one address, none rate limited"
fi
# Every flood initiation that got past mac1, cookie and rate limit fails in Noise (decrypt_failed).
# Under load the limiter lets 5/s plus a burst of 5 through from the flooder's address; allow 100
# more for the instants before the backlog first reached 2 (without a limit it would be ~10^5).
passed=$(rise handshake_drops.decrypt_failed)
max_pass=$(awk -v t="$f_secs" 'BEGIN {printf "%d", 5 * t + 5 + 100}')
[ "$passed" -le "$max_pass" ] || mg_fail "$passed flood initiations reached Noise in ${f_secs}s: more than rate 5/s + burst 5 allow ($max_pass with slack)"

# Still responsive: client 1 fetches and pings, telemetry answers.
mg_client_page_ok 1 || mg_fail "client 1 lost the page after the flood"
mg_client_ping 1 3 >/dev/null || mg_fail "client 1 ping failed after the flood"
mg_pass "client 1 handshake+page in ${took}s under flood (cookie reply seen); flood $f_sent sent in ${f_secs}s, $f_opened cookies opened, $f_mac2 with mac2, $passed reached Noise; cookie_replies_sent +$(rise cookie_replies_sent), under_load_ticks +$(rise under_load_ticks), rate_limited +$(rise handshake_drops.rate_limited)"
