#!/bin/bash
# Forged, replayed, expired and stale mesh announcements change no view. Three nodes converge
# (mesh0 on one bridge, seeds = node 1); an injector namespace on the same bridge sends, with
# tests/tools/mesh_inject, to nodes 1 and 3:
#   forged-dgram   a datagram whose header claims node 2's id, signed by a fresh key  RX_BAD_SIG
#   forged-record  a record claiming node 2's id (higher seq, another endpoint and roles),
#                  signed by a fresh key, inside a valid datagram of that key         REC_BAD_SIG
#   expired        a record of a fresh key, issued 2 h ago, expired 1 h ago           REC_EXPIRED
#   stale          node 2's record re-signed with node 2's own key (its identity file)
#                  at a sequence below what every node holds                           REC_STALE
# and to the node it was first sent to (1 or 3):
#   replay         a genuine datagram of node 2 (tcpdump on node 2's bridge port), sent
#                  again within a few seconds                                         RX_REPLAY
# Asserts every reject counter rose on each target, and that every view is the same before and
# after (same members, states, endpoints, roles). Sequences: a node re-signs its own record
# every 10 s (load update), so a seq may rise between the snapshots, but only to a value that
# node itself holds for its own record; none fell and none equals an injected sequence.
. "$(dirname "$0")/mesh_lib.sh"
mgm_init test_mesh_forgery
INJECT=${MESH_INJECT:-$(dirname "$MESHGATE")/../../tests/tools/mesh_inject}
[ -x "$INJECT" ] || mg_fail "mesh_inject not built at $INJECT (ninja -C <build> tests/tools/mesh_inject)"
N=3
INJ_ADDR=198.51.100.50

mgm_bridge br-mesh
mgm_bridge br-inet 203.0.113.254/24
MGM_SEEDS="\"198.51.100.1:$MGM_MESH_PORT\""
for i in $(seq 1 $N); do mgm_node_add "$i"; done
for i in $(seq 1 $N); do mgm_node_start "$i"; done
INJ_NS=$MG_ID-I
mg_ns_add "$INJ_NS"
mgm_port "$INJ_NS" eth0 br-mesh inj
ip -n "$INJ_NS" addr add "$INJ_ADDR/24" dev eth0

ids=()
for i in $(seq 1 $N); do
	ID[$i]=$(mgm_id "$i") || mg_fail "node $i: meshctl mesh did not answer"
	ids+=("${ID[$i]:0:32}")
done
ms=$(mgm_wait_ms 30 mgm_all_alive "${ids[@]}") || mg_fail "the $N nodes did not converge within 30 s"
mg_log "converged in $ms ms"

# snapshot FILE: "NODE ID32 STATE SEQ ENDPOINT ROLES" for every view.
snapshot() {
	local i
	for i in $(seq 1 $N); do mgm_view "$i" | sed "s/^/$i /"; done >"$1"
	[ "$(wc -l <"$1")" = $((N * N)) ] || { cat "$1"; mg_fail "a view does not hold $N nodes"; }
}
CTRS="RX_BAD_SIG REC_BAD_SIG REC_EXPIRED REC_STALE RX_REPLAY"
declare -A before_ctr
for i in 1 3; do for c in $CTRS; do before_ctr[$i.$c]=$(mgm_counter "$i" "$c"); done; done
snapshot "$MG_TMP/view.before"

# The replayed datagram: capture one control datagram node 2 sends (to whichever node it talks
# to first) on node 2's bridge port; it goes back to the node it was sent to.
mg_spawn cap "$MG_NS_R" timeout 25 tcpdump -n -U --immediate-mode -c 1 -i r-m2 -w "$MG_TMP/n2.pcap" \
	"udp and src host 198.51.100.2 and src port $MGM_MESH_PORT and dst port $MGM_MESH_PORT"
cap_pid=$MG_LAST_PID
mg_wait_gone "$cap_pid" 26 || mg_fail "tcpdump did not end"
replay_to=$(ip netns exec "$MG_NS_R" tcpdump -n -r "$MG_TMP/n2.pcap" 2>/dev/null |
	sed -n 's/.* > \(198\.51\.100\.[0-9]*\)\.[0-9]*: UDP.*/\1/p' | head -n1)
[ -n "$replay_to" ] || mg_fail "no control datagram of node 2 captured in 25 s: $(cat "$MG_TMP/cap.log");" \
	"node 2 mesh: $(mgm_ctl 2 mesh 2>&1 | tr -d '\n'); node 2 stats: $(mgm_ctl 2 stats 2>&1 | tr -d '\n')"
replay_node=${replay_to##*.}
[ "$replay_node" = 1 ] || [ "$replay_node" = 3 ] || mg_fail "node 2 sent to $replay_to, not a node"

# Lowest sequence of node 2 any view holds; the stale record goes one below it.
n2_min=$(awk -v id="${ID[2]:0:32}" '$2 == id { print $4 }' "$MG_TMP/view.before" | sort -n | head -n1)
stale_seq=$((n2_min - 1))

inj() { ip netns exec "$INJ_NS" "$INJECT" "$@" >>"$MG_TMP/inject.log" 2>&1 || mg_fail "mesh_inject $1 failed: $(tail -n 2 "$MG_TMP/inject.log")"; }
inj replay "$replay_to:$MGM_MESH_PORT" --pcap "$MG_TMP/n2.pcap"
for i in 1 3; do
	to=198.51.100.$i:$MGM_MESH_PORT
	inj forged-dgram "$to" --claim "${ID[2]}"
	inj forged-record "$to" --claim "${ID[2]}"
	inj expired "$to"
	inj stale "$to" --key "$MG_TMP/id2.key" --seq "$stale_seq"
done
mg_log "injected: $(tr '\n' ';' <"$MG_TMP/inject.log")"
injected_seqs=$(grep -o 'seq=[0-9]*' "$MG_TMP/inject.log" | cut -d= -f2 | sort -u)

# Counters: every reject reason rose on each target (replay on its target only).
sleep 1
summary=""
for i in 1 3; do
	for c in $CTRS; do
		[ "$c" = RX_REPLAY ] && [ "$i" != "$replay_node" ] && continue
		v=$(mgm_counter "$i" "$c")
		d=$((v - ${before_ctr[$i.$c]}))
		[ "$d" -ge 1 ] || mg_fail "node $i: $c did not rise ($v, before ${before_ctr[$i.$c]})"
		summary+=" n$i.$c+$d"
	done
done

# Views: give an accepted forgery three gossip rounds to spread, then compare.
sleep 3
snapshot "$MG_TMP/view.after"
cut -d' ' -f1-3,5- "$MG_TMP/view.before" >"$MG_TMP/v.b"
cut -d' ' -f1-3,5- "$MG_TMP/view.after" >"$MG_TMP/v.a"
diff -u "$MG_TMP/v.b" "$MG_TMP/v.a" >"$MG_TMP/view.diff" ||
	mg_fail "a view changed (members, states, endpoints or roles): $(cat "$MG_TMP/view.diff")"
# Each node's own current sequence, as it holds it for itself.
for i in $(seq 1 $N); do
	own[$i]=$(awk -v n="$i" -v id="${ID[$i]:0:32}" '$1 == n && $2 == id { print $4 }' "$MG_TMP/view.after")
done
while read -r node id state seq rest; do
	b=$(awk -v n="$node" -v id="$id" '$1 == n && $2 == id { print $4 }' "$MG_TMP/view.before")
	[ "$seq" -ge "$b" ] || mg_fail "node $node: seq of $id fell from $b to $seq"
	for i in $(seq 1 $N); do
		[ "$id" = "${ID[$i]:0:32}" ] && { [ "$seq" -le "${own[$i]}" ] ||
			mg_fail "node $node holds seq $seq of node $i, above node $i's own ${own[$i]}"; }
	done
	grep -qx "$seq" <<<"$injected_seqs" && mg_fail "node $node holds an injected seq $seq for $id"
done <"$MG_TMP/view.after"
mg_pass "views unchanged;$summary"
