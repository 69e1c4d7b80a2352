#!/bin/bash
# Run-to-completion with two workers: the kernel's fan-out (af_packet, by flow hash) picks the
# worker for each of the client's 5-tuples, and the first worker to decrypt for a keypair owns its
# replay window. The client changes its source port until one of its tuples lands on the worker
# that does not own the keypair: those frames must be handed to the owner (wg_handed_off moves),
# and the page keeps coming after every change, with no frame refused as wg_not_owner and none
# lost to a full hand-off ring.
. "$(dirname "$0")/lib.sh"
mg_init test_two_workers
MG_WORKERS=2
mg_topo_create twoport
mg_client_add 1
mg_exit_start
mg_client_up 1
mg_client_wait_page 1 20 || mg_fail "tunnel not up within 20 s"

workers_sum() { MG_TELE --sum "$1" /meshgate/workers; }
stats_sum() { MG_TELE --sum "$1" /meshgate/stats; }

[ "$(MG_TELE /meshgate/workers | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
	mg_fail "/meshgate/workers does not list two workers"
tries=0
while [ "$(workers_sum '(^|[.])wg_handed_off$')" -eq 0 ] && [ $tries -lt 12 ]; do
	tries=$((tries + 1))
	mg_cx 1 wg set "${MG_CLIENT_WG[1]}" listen-port $((41000 + tries)) || mg_fail "wg set listen-port"
	mg_client_wait_page 1 10 || mg_fail "no page within 10 s after source port change $tries"
done
handed=$(workers_sum '(^|[.])wg_handed_off$')
[ "$handed" -gt 0 ] || mg_fail "12 source ports, none fanned out to the other worker"
mg_client_wait_page 1 10 || mg_fail "no page after the hand-offs"
[ "$(stats_sum '(^|[.])wg_not_owner$')" -eq 0 ] || mg_fail "frames refused as wg_not_owner"
[ "$(stats_sum '(^|[.])handoff_ring_full$')" -eq 0 ] || mg_fail "hand-off ring overflowed"
mg_pass "$handed frames handed to the keypair's owner after $tries source port change(s)"
