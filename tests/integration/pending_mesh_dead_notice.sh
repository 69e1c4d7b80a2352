#!/bin/bash
# PENDING (daemon bug, kept out of run_all): a node that missed a member's last record never
# learns that member's death. Five nodes from one seed converge; node 3 is killed with SIGKILL
# right after it re-signs its record (every 10 s, with its load), when the new record has reached
# some nodes but not all. Expected: within 30 s every other node shows node 3 dead or gone.
# Seen once in test_mesh_membership (1 of 2 runs, before it waited for the record to spread):
# a node holding the previous record kept node 3 alive 30 s on (until the record expires, 1 h),
# while the others had it dead at the newer seq. Why: the DEAD notices it receives carry the newer
# seq, lib/mesh/store.c mg_mesh_store_mark() ignores a notice whose seq differs from the record
# held, and anti-entropy sends dead members only as DEAD notices (gossip.c send_buckets), never
# the newer record. The race is narrow (the survivors gossip the new record during the 6 s of
# suspicion), so this script catches the split state but often passes.
. "$(dirname "$0")/mesh_lib.sh"
mgm_init pending_mesh_dead_notice
N=5
VICTIM=3
mgm_bridge br-mesh
mgm_bridge br-inet 203.0.113.254/24
MGM_SEEDS="\"198.51.100.1:$MGM_MESH_PORT\""
for i in $(seq 1 $N); do mgm_node_add "$i"; done
for i in $(seq 1 $N); do mgm_node_start "$i"; done
ids=()
for i in $(seq 1 $N); do id=$(mgm_id "$i"); ID32[$i]=${id:0:32}; ids+=("${ID32[$i]}"); done
mgm_wait_ms 30 mgm_all_alive "${ids[@]}" >/dev/null || mg_fail "no convergence within 30 s"
# Let a re-sign reach every view first, so that every node holds the same record...
s=$(mgm_wait_refresh $VICTIM "${ID32[$VICTIM]}" 15) || mg_fail "no re-sign within 15 s"
mgm_wait_ms 8 mgm_seq_everywhere "${ID32[$VICTIM]}" "$s" >/dev/null || mg_fail "seq $s did not spread"
# ...then kill as soon as the next re-sign reached some other node but not all of them.
split() { # 0 when 1..N-2 of the other nodes hold seq $1
	local i n=0
	for i in $(seq 1 $N); do
		[ "$i" = $VICTIM ] && continue
		[ "$(mgm_seq_of "$i" "${ID32[$VICTIM]}")" = "$1" ] && n=$((n + 1))
	done
	[ $n -ge 1 ] && [ $n -le $((N - 2)) ]
}
for try in 1 2 3 4 5; do
	s=$(mgm_wait_refresh $VICTIM "${ID32[$VICTIM]}" 15) || mg_fail "no re-sign within 15 s"
	end=$((SECONDS + 3)) hit=""
	while [ $SECONDS -lt $end ]; do split "$s" && { hit=1; break; }; done
	[ -n "$hit" ] && break
done
[ -n "$hit" ] || mg_skip "could not catch a re-sign half spread in 5 tries"
mgm_node_kill $VICTIM KILL
for i in $(seq 1 $N); do [ "$i" = $VICTIM ] || echo "node $i holds seq $(mgm_seq_of "$i" "${ID32[$VICTIM]}") (latest $s)"; done
ms=$(mgm_wait_ms 30 mgm_all_gone "${ID32[$VICTIM]}") ||
	{ for i in $(seq 1 $N); do [ "$i" = $VICTIM ] || echo "node $i: $(mgm_view "$i" | grep "${ID32[$VICTIM]}")"; done
	  mg_fail "node $VICTIM still alive or suspect in some view 30 s after kill -9 (killed right after re-signing seq $s)"; }
mg_pass "node $VICTIM dead or gone everywhere after $ms ms"
