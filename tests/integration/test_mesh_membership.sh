#!/bin/bash
# Mesh membership with five meshgate nodes, all bootstrapped from node 1 only (seeds =
# [ "198.51.100.1:51821" ]): mesh0 of each on one bridge (198.51.100.N/24), inet0 on a second
# bridge (203.0.113.N/24). Asserts, with the measured times printed:
#   join     every node lists all five alive within MGM_JOIN_S (30 s), and within 5 s more has
#            the four others as neighbours (it probes them; max_neighbours is 8);
#   crash    node 3 killed with SIGKILL: within
#            MGM_DOWN_S (30 s) every other node shows it dead or no longer lists it (SWIM: 1 s
#            probes, 6 s suspicion, then gossip);
#   rejoin   node 3 restarted with the same identity file (same id) is alive again in every
#            view within MGM_JOIN_S, with a higher sequence than before the crash.
. "$(dirname "$0")/mesh_lib.sh"
mgm_init test_mesh_membership
MGM_JOIN_S=${MGM_JOIN_S:-30}
MGM_DOWN_S=${MGM_DOWN_S:-30}
N=5
VICTIM=3

mgm_bridge br-mesh
mgm_bridge br-inet 203.0.113.254/24
MGM_SEEDS="\"198.51.100.1:$MGM_MESH_PORT\""
countries=(- NL DE FR SE PL)
for i in $(seq 1 $N); do
	MGM_COUNTRY[$i]=${countries[$i]}
	mgm_node_add "$i"
done
t0=$(date +%s%N)
for i in $(seq 1 $N); do mgm_node_start "$i"; done
started_ms=$((($(date +%s%N) - t0) / 1000000))

ids=()
for i in $(seq 1 $N); do
	id=$(mgm_id "$i") || mg_fail "node $i: meshctl mesh did not answer"
	[ ${#id} = 64 ] || mg_fail "node $i: id '$id' is not 64 hex digits"
	ID32[$i]=${id:0:32}
	ids+=("${ID32[$i]}")
done
mg_log "ids: ${ids[*]} (all started in $started_ms ms)"

# Every view holds exactly the five ids, every one alive, with the country it announced.
join_ms=$(mgm_wait_ms "$MGM_JOIN_S" mgm_all_alive "${ids[@]}") ||
	{ mgm_dump_views
	  mg_fail "not every node lists all $N alive within $MGM_JOIN_S s"; }
for i in $(seq 1 $N); do
	n=$(mgm_view "$i" | wc -l)
	[ "$n" = $N ] || mg_fail "node $i lists $n nodes, expected $N"
	c=$(mgm_ctl "$i" nodes | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]]["country"])' \
		"${ID32[2]}")
	[ "$c" = DE ] || mg_fail "node $i says node 2 is in '$c', node 2 announced DE"
done
mg_log "converged: all $N alive in every view ${join_ms} ms after the last start"
# Fewer members than max_neighbours (8): each node soon probes all the others, the victim too.
nbr_ms=$(mgm_wait_ms 5 mgm_all_neighbours $((N - 1))) ||
	{ mgm_dump_views; mg_fail "not every node has the $((N - 1)) others as neighbours 5 s after converging"; }
mg_log "every node probes the $((N - 1)) others ${nbr_ms} ms after converging"

# Kill the victim as it is: a node that missed its latest record still learns its death from
# the DEAD notices about the newer incarnation (lib/mesh/store.c; this was the one flaky case).
seq_before=$(mgm_seq_of $VICTIM "${ID32[$VICTIM]}")
mgm_node_kill $VICTIM KILL
down_ms=$(mgm_wait_ms "$MGM_DOWN_S" mgm_all_gone "${ID32[$VICTIM]}") ||
	{ mgm_dump_views
	  mg_fail "node $VICTIM still alive or suspect in some view $MGM_DOWN_S s after kill -9"; }
mg_log "node $VICTIM killed: dead or gone in every other view after ${down_ms} ms"
# The others still see each other alive.
others=()
for i in $(seq 1 $N); do [ "$i" = $VICTIM ] || others+=("${ID32[$i]}"); done
mgm_all_alive "${others[@]}" || mg_fail "a surviving node is not alive in every view"

mgm_node_start $VICTIM
id=$(mgm_id $VICTIM)
[ "${id:0:32}" = "${ID32[$VICTIM]}" ] || mg_fail "restarted node $VICTIM has another id ($id)"
back_ms=$(mgm_wait_ms "$MGM_JOIN_S" mgm_all_alive "${ids[@]}") ||
	{ mgm_dump_views
	  mg_fail "restarted node $VICTIM not alive in every view within $MGM_JOIN_S s"; }
for i in $(seq 1 $N); do
	s=$(mgm_view "$i" | awk -v id="${ID32[$VICTIM]}" '$1 == id { print $3 }')
	[ "$s" -gt "$seq_before" ] || mg_fail "node $i holds seq $s of node $VICTIM, not above $seq_before"
done
mg_log "node $VICTIM restarted: alive in every view after ${back_ms} ms"
mg_pass "join ${join_ms} ms, down after kill -9 ${down_ms} ms, rejoin ${back_ms} ms (bounds ${MGM_JOIN_S}/${MGM_DOWN_S}/${MGM_JOIN_S} s)"
