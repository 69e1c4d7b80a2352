#!/bin/bash
# The pipeline arrangement (rx, crypto, NAT and tx stages on separate lcores, linked by rings)
# carries the same traffic as run-to-completion: handshake, page, ping and a short iperf3 TCP run,
# with two crypto lcores so that one peer's packets are spread over both. On a two-core machine
# the six lcores share CPUs (the daemon says so); this test is about correctness, not speed.
. "$(dirname "$0")/lib.sh"
mg_init test_pipeline
mg_skip_unless_meshgate "pipeline mode is meshgate's"

MG_ROOT_EXTRA='datapath = "pipeline";' MG_WORKERS=2
mg_topo_create twoport
mg_client_add 1
mg_exit_start
grep -q "pipeline" "$MG_TMP/exit.log" || mg_fail "daemon did not report the pipeline arrangement"
mg_client_up 1
mg_client_wait_page 1 20 || mg_fail "no page through the tunnel in pipeline mode"
mg_client_ping 1 5 >/dev/null || mg_fail "ping through the tunnel failed in pipeline mode"

mg_cx 1 timeout 20 iperf3 -c "$MG_SERVER" -t 3 -J >"$MG_TMP/iperf.json" 2>&1 ||
	mg_fail "iperf3 TCP failed in pipeline mode"
rate=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f" % (d["end"]["sum_received"]["bits_per_second"]/1e6))' "$MG_TMP/iperf.json") ||
	mg_fail "iperf3 output unreadable"

# Every data-plane lcore is listed, and both crypto lcores did work.
crypto_busy=$(MG_TELE --flat /meshgate/workers | grep -cE '^worker[12]\.decrypted [1-9]')
[ "$crypto_busy" -ge 1 ] || mg_fail "no crypto lcore decrypted anything"
mg_pass "page, ping and iperf3 TCP at $rate Mbit/s through the pipeline ($crypto_busy crypto lcore(s) busy)"
