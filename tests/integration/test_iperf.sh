#!/bin/bash
# Test 3: bulk transfer through the exit with a stock iperf3: TCP 5 s upload, TCP 5 s download
# (-R), and UDP 5 s at a modest rate. Each run must complete; the rates are printed.
. "$(dirname "$0")/lib.sh"
mg_init test_iperf
mg_topo_create twoport
mg_client_add 1
mg_exit_start
mg_client_up 1
mg_client_wait_page 1 20 || mg_fail "tunnel not up within 20 s"

# run NAME ARGS...: one iperf3 client run, JSON kept; prints "NAME <Mbit/s> [loss%]".
run() {
	local name=$1
	shift
	mg_cx 1 timeout 30 iperf3 -c "$MG_SERVER" -t 5 --connect-timeout 3000 -J "$@" \
		>"$MG_TMP/iperf-$name.json" 2>&1 || mg_fail "iperf3 $name did not complete: $(tail -c 400 "$MG_TMP/iperf-$name.json")"
	python3 - "$name" "$MG_TMP/iperf-$name.json" >"$MG_TMP/rate" 2>&1 <<-'PY' || mg_fail "iperf3 $name: $(cat "$MG_TMP/rate")"
		import json, sys
		name, path = sys.argv[1], sys.argv[2]
		r = json.load(open(path))
		if "error" in r:
		    sys.exit(f"{name}: {r['error']}")
		end = r["end"]
		if r["start"]["test_start"]["protocol"] == "TCP":  # what the receiver got
		    bps = end["sum_received"]["bits_per_second"]
		    print(f"{name}: {bps / 1e6:.1f} Mbit/s received")
		    ok = bps > 1e6
		else:                              # UDP: the server's report of what arrived
		    s = end["sum"]
		    bps, loss = s["bits_per_second"], s["lost_percent"]
		    print(f"{name}: {bps / 1e6:.1f} Mbit/s, {loss:.2f}% lost, jitter {s['jitter_ms']:.3f} ms")
		    ok = s["packets"] > 0 and loss < 5.0
		sys.exit(0 if ok else f"{name}: below expectations")
	PY
	tee -a "$MG_TMP/rates" <"$MG_TMP/rate"
}

run tcp-up
run tcp-down -R
run udp-up -u -b 20M -l 1200
mg_pass "$(paste -sd ';' "$MG_TMP/rates")"
