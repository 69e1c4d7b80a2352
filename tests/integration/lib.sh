# Shared harness for meshgate's integration tests: builds the fixed topology in network namespaces
# (gateway G, router/internet R, clients C1..Cn), starts the exit under test (meshgate or a Linux
# reference exit), stock wireguard-go clients and real servers, and tears down exactly what it made.
# Source it from a test script; the test ends with mg_pass, mg_fail or mg_skip.
#
# Exit codes of a test: 0 pass, 77 skip, anything else fail (run_all.sh reads them).
#
# Environment:
#   EXIT=meshgate|linux   exit under test (default meshgate)
#   MESHGATE=PATH         daemon binary (default build/app/meshgate/meshgate, else build-*/...)
#   MG_KEEP=1             keep the temp dir (logs, configs, captures) after the run
#   MG_VERBOSE=1          trace commands (set -x)
# Gateway configuration knobs a test may set before mg_exit_start (see mg_gw_config):
#   MG_WG_EXTRA="k = v; ..."  extra settings inside the wireguard group (e.g. under_load_backlog)
#   MG_ROOT_EXTRA="k = v; ..." extra top-level settings (e.g. datapath = "pipeline";)
#   MG_WORKERS=N              workers (default 1)
#   MG_OPEN_MODE=false        open mode off (then MG_STATIC_PEERS must name at least one peer)
#   MG_NAT_PER_PEER=N         nat.max_sessions_per_peer (default 8192)
#   MG_STATIC_PEERS="PUB,NET[,PSK] ..."  static peers: public key, allowed network, optional PSK
#   MG_CLIENT_PSK[I]=FILE     client I's wireguard-go uses this preshared key file (mg_client_up)

MG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MG_ITEST_DIR="$MG_ROOT/tests/integration"
EXIT=${EXIT:-meshgate}

# Fixed addresses of the topology (see docs/testing.md).
MG_MESH_ADDR=198.51.100.1        # meshgate's mesh port (two-port arrangement)
MG_MESH_NET=198.51.100.0/24
MG_BRIDGE_ADDR=198.51.100.254    # R's bridge address (one-armed arrangement only)
MG_PUB_ADDR=203.0.113.1          # meshgate's internet port = the NAT public address
MG_R_INET_ADDR=203.0.113.254     # R on the internet side, meshgate's next hop
MG_SERVER=192.0.2.80             # HTTP :80, iperf3, UDP echo :7, TCP listener :25
MG_WG_PORT=51820
MG_TUNNEL_MTU=1420

# Telemetry counter lookups: every test reads counters through these patterns only (regexes over
# the flattened paths that mgtelemetry.py --flat prints), so a renamed counter is fixed here.
MG_CTR_DROPS='(^|[._])drops?\.'                # every drop reason (data path and handshake_drops)
MG_CTR_POLICY_DENY='(^|\.)drops?\..*polic'     # the policy-deny drop(s)
MG_CTR_HANDSHAKES='handshakes?_complete'
# Drop-reason groups the malformed-traffic test expects to rise (each a regex over the reason path).
MG_CTR_DROP_GROUP_WG='wg_|handshake'                               # bad WireGuard messages
MG_CTR_DROP_GROUP_OUTER='outer|ethernet|ethertype|not_for_us|not_wireguard'  # bad frames at mesh0
MG_CTR_DROP_GROUP_INNER='inner|ttl'                                # bad packets inside the tunnel

MG_PIDS=()          # every process this run started, in order
MG_NSS=()           # every namespace this run created
MG_ROOT_LINKS=()    # veth ends created in the root namespace (deleted if still there)
MG_CLEANUP_HOOKS=() # extra shell commands run at cleanup (e.g. restore nr_hugepages)
declare -A MG_CLIENT_NS MG_CLIENT_WG MG_CLIENT_INNER MG_CLIENT_UNDERLAY MG_CLIENT_PUB MG_CLIENT_PID
declare -A MG_CLIENT_PSK
MG_CLIENTS=()
MG_EXIT_PID=""
MG_ARR=twoport

# ---------------------------------------------------------------------------------------------
# Logging and verdicts

mg_log() { printf '[%s %s] %s\n' "$(date +%H:%M:%S)" "${MG_TEST:-test}" "$*" >&2; }

mg_pass() { echo "PASS: ${MG_TEST:-test}${1:+: $1}"; exit 0; }

mg_skip() { echo "SKIP: ${MG_TEST:-test}: $*"; exit 77; }

mg_fail() {
	echo "FAIL: ${MG_TEST:-test}: $*"
	if [ -n "$MG_EXIT_PID" ] && [ -f "$MG_TMP/exit.log" ]; then
		echo "--- last lines of the exit's log ($MG_TMP/exit.log):"
		tail -n 30 "$MG_TMP/exit.log"
	fi
	exit 1
}

# mg_skip_unless_meshgate REASON: for tests of meshgate-only behaviour.
mg_skip_unless_meshgate() { [ "$EXIT" = meshgate ] || mg_skip "EXIT=$EXIT: $*"; }

# ---------------------------------------------------------------------------------------------
# Setup and cleanup

# mg_init NAME: checks privileges and tools, picks unique names for this run, installs the trap.
mg_init() {
	MG_TEST=${1:-$(basename "$0" .sh)}
	[ "${MG_VERBOSE:-0}" = 1 ] && set -x
	[ "$(id -u)" = 0 ] || mg_skip "needs root (network namespaces)"
	local t
	for t in ip wg wireguard-go curl ping python3 timeout ethtool; do
		command -v "$t" >/dev/null || mg_fail "missing tool $t (run scripts/deps.sh)"
	done
	case "$EXIT" in
	meshgate) mg_find_meshgate ;;
	linux) command -v nft >/dev/null || mg_fail "EXIT=linux needs nft (nftables)" ;;
	*) mg_fail "EXIT must be meshgate or linux, not '$EXIT'" ;;
	esac
	MG_ID=mg$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	MG_INSTANCE=$MG_ID
	MG_TMP=$(mktemp -d "/tmp/$MG_ID.XXXX")
	MG_NS_G=$MG_ID-G
	MG_NS_R=$MG_ID-R
	trap mg_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mg_log "run $MG_ID, exit=$EXIT, temp $MG_TMP"
}

mg_find_meshgate() {
	if [ -z "${MESHGATE:-}" ]; then
		MESHGATE=$MG_ROOT/build/app/meshgate/meshgate
		if [ ! -x "$MESHGATE" ]; then
			local c
			c=$(ls -t "$MG_ROOT"/build*/app/meshgate/meshgate 2>/dev/null | head -n1)
			[ -n "$c" ] && MESHGATE=$c
		fi
	fi
	[ -x "$MESHGATE" ] || mg_fail "meshgate binary not found at $MESHGATE (build it, or set MESHGATE=, or EXIT=linux)"
}

# mg_cleanup: every exit path. Kills our pids (TERM, then KILL), whatever still runs inside our
# namespaces (created by this run), deletes our namespaces and root-namespace veths.
mg_cleanup() {
	local rc=$? pid ns i h
	set +e
	trap - EXIT INT TERM
	for ((i = ${#MG_PIDS[@]} - 1; i >= 0; i--)); do
		kill -TERM "${MG_PIDS[i]}" 2>/dev/null
	done
	for pid in "${MG_PIDS[@]}"; do mg_wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null; done
	for ns in "${MG_NSS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
	done
	for ns in "${MG_NSS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	for i in "${MG_ROOT_LINKS[@]}"; do ip link del "$i" 2>/dev/null; done
	for h in "${MG_CLEANUP_HOOKS[@]}"; do eval "$h"; done
	[ -n "${MG_INSTANCE:-}" ] && rm -rf "/var/run/dpdk/$MG_INSTANCE"
	if [ -n "${MG_TMP:-}" ]; then
		if [ "${MG_KEEP:-0}" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 77 ]; }; then
			echo "logs kept in $MG_TMP" >&2
		else
			rm -rf "$MG_TMP"
		fi
	fi
	exit "$rc"
}

# mg_wait_gone PID SECONDS: 0 once the process is gone.
mg_wait_gone() {
	local end=$((SECONDS + $2))
	while kill -0 "$1" 2>/dev/null; do
		[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 0
		[ $SECONDS -ge "$end" ] && return 1
		sleep 0.1
	done
	return 0
}

# mg_wait_for SECONDS CMD...: poll CMD every 0.3 s until it succeeds; 1 on timeout.
mg_wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge "$end" ] && return 1
		sleep 0.3
	done
}

# mg_spawn NAME NS CMD...: start CMD in namespace NS (root namespace when NS is "-") in the
# background, output to $MG_TMP/NAME.log. Records the pid; sets MG_LAST_PID.
mg_spawn() {
	local name=$1 ns=$2
	shift 2
	if [ "$ns" = - ]; then
		"$@" >"$MG_TMP/$name.log" 2>&1 </dev/null &
	else
		ip netns exec "$ns" "$@" >"$MG_TMP/$name.log" 2>&1 </dev/null &
	fi
	MG_LAST_PID=$!
	MG_PIDS+=("$MG_LAST_PID")
}

# mg_stop_pid PID [SIGNAL] [SECONDS]: signal one of our processes and wait for it to end.
mg_stop_pid() {
	local pid=$1 sig=${2:-TERM} t=${3:-10}
	[ -n "$pid" ] || return 0
	kill -"$sig" "$pid" 2>/dev/null || return 0
	mg_wait_gone "$pid" "$t" || { kill -KILL "$pid" 2>/dev/null; mg_wait_gone "$pid" 3; return 1; }
}

mg_ns_add() {
	ip netns add "$1" || mg_fail "ip netns add $1"
	MG_NSS+=("$1")
	ip -n "$1" link set lo up
	# No IPv6: nothing but our own IPv4 test traffic on the wires.
	ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
}

# mg_nooffload NS DEV: af_packet sees raw frames, so no partial checksums or super-packets.
mg_nooffload() {
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 ||
		mg_fail "ethtool -K $2 in $1"
}

# mg_veth NAME_A NS_A NEWNAME_A NAME_B NS_B NEWNAME_B: a veth pair created in the root
# namespace under unique names, each end moved into its namespace and renamed there.
mg_veth() {
	ip link add "$1" type veth peer name "$4" || mg_fail "ip link add $1"
	MG_ROOT_LINKS+=("$1" "$4")
	ip link set "$1" netns "$2" && ip -n "$2" link set "$1" name "$3" || mg_fail "move $1"
	ip link set "$4" netns "$5" && ip -n "$5" link set "$4" name "$6" || mg_fail "move $4"
	mg_nooffload "$2" "$3"
	mg_nooffload "$5" "$6"
}

# ---------------------------------------------------------------------------------------------
# Topology

# mg_topo_create [twoport|onearmed]: namespaces G and R, their links, R's servers.
mg_topo_create() {
	MG_ARR=${1:-twoport}
	mg_ns_add "$MG_NS_G"
	mg_ns_add "$MG_NS_R"
	local R=$MG_NS_R G=$MG_NS_G
	ip netns exec "$G" sysctl -qw net.ipv4.ip_forward=0
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$R" link add br-mesh type bridge forward_delay 0 stp_state 0 || mg_fail "bridge"
	ip -n "$R" link set br-mesh up
	if [ "$MG_ARR" = twoport ]; then
		mg_veth "${MG_ID}m" "$G" mesh0 "${MG_ID}M" "$R" r-mesh
		ip -n "$R" link set r-mesh master br-mesh up
		ip -n "$G" link set mesh0 up
	elif [ "$MG_ARR" = onearmed ]; then
		ip -n "$R" addr add "$MG_BRIDGE_ADDR/24" dev br-mesh
	else
		mg_fail "unknown arrangement $MG_ARR"
	fi
	mg_veth "${MG_ID}i" "$G" inet0 "${MG_ID}I" "$R" r-inet
	ip -n "$R" addr add "$MG_R_INET_ADDR/24" dev r-inet
	ip -n "$R" link set r-inet up
	ip -n "$G" link set inet0 up
	# The servers' address sits on R's loopback (no dummy module needed).
	ip -n "$R" addr add "$MG_SERVER/32" dev lo || mg_fail "server address"
	mg_servers_start
}

# mg_servers_start: HTTP :80 (answers with the client address it saw), iperf3, UDP echo :7 and a
# TCP listener on :25 that logs every connection to $MG_TMP/smtp.log.
mg_servers_start() {
	local R=$MG_NS_R srv=$MG_ITEST_DIR/inetsrv.py
	mg_spawn http "$R" python3 "$srv" http "$MG_SERVER" 80
	mg_spawn udpecho "$R" python3 "$srv" udpecho "$MG_SERVER" 7
	: >"$MG_TMP/smtp.conns"
	mg_spawn smtp "$R" python3 "$srv" tcplog "$MG_SERVER" 25 "$MG_TMP/smtp.conns"
	mg_spawn iperf3 "$R" iperf3 -s -B "$MG_SERVER"
	mg_wait_for 10 ip netns exec "$R" curl -sf -m 1 "http://$MG_SERVER/" || mg_fail "HTTP server did not start"
	mg_wait_for 10 mg_r_listening 5201 || mg_fail "iperf3 server did not start"
	mg_wait_for 10 mg_r_listening 25 || mg_fail "port 25 listener did not start"
}

mg_r_listening() { ip netns exec "$MG_NS_R" ss -Hltn "sport = :$1" | grep -q .; }

# ---------------------------------------------------------------------------------------------
# Gateway keys and configuration

# mg_gw_keys: a fresh gateway key pair in $MG_TMP (MG_GW_KEY base64 private, MG_GW_PUB public).
mg_gw_keys() {
	[ -n "${MG_GW_PUB:-}" ] && return 0
	(umask 077 && wg genkey >"$MG_TMP/gw.key") || mg_fail "wg genkey"
	MG_GW_KEY=$(cat "$MG_TMP/gw.key")
	MG_GW_PUB=$(wg pubkey <"$MG_TMP/gw.key")
}

# mg_gw_config FILE [HUGEPAGES] [ARRANGEMENT]: write a meshgate config for this run: open mode
# (unless MG_OPEN_MODE=false), the run's instance name (telemetry socket) and key. MG_STATIC_PEERS
# ("PUB,NET[,PSK] ...", comma-separated because base64 keys end in '=') adds static peers;
# MG_WG_EXTRA goes inside the wireguard group; MG_NAT_PER_PEER sets nat.max_sessions_per_peer.
mg_gw_config() {
	local f=$1 huge=${2:-off} arr=${3:-$MG_ARR} p
	mg_gw_keys
	{
		echo "// generated by tests/integration/lib.sh for run $MG_ID ($arr)"
		echo "instance = \"$MG_INSTANCE\";"
		echo "hugepages = \"$huge\";"
		echo "memory_mb = ${MG_MEMORY_MB:-1024};"
		echo "workers = ${MG_WORKERS:-1};"
		[ -n "${MG_ROOT_EXTRA:-}" ] && echo "$MG_ROOT_EXTRA"
		echo "ports = ("
		if [ "$arr" = twoport ]; then
			echo "  { name = \"mesh\"; driver = \"af_packet\"; iface = \"mesh0\"; role = \"mesh\";"
			echo "    address = \"$MG_MESH_ADDR/24\"; },"
			echo "  { name = \"internet\"; driver = \"af_packet\"; iface = \"inet0\"; role = \"internet\";"
		else
			echo "  { name = \"internet\"; driver = \"af_packet\"; iface = \"inet0\"; role = \"both\";"
		fi
		echo "    address = \"$MG_PUB_ADDR/24\"; gateway = \"$MG_R_INET_ADDR\"; }"
		echo ");"
		echo "wireguard = {"
		echo "  private_key = \"$MG_GW_KEY\"; listen_port = $MG_WG_PORT; mtu = $MG_TUNNEL_MTU;"
		echo "  open = { enabled = ${MG_OPEN_MODE:-true}; max_peers = 64; allowed_ips = [ \"0.0.0.0/0\" ]; };"
		[ -n "${MG_WG_EXTRA:-}" ] && echo "  $MG_WG_EXTRA"
		echo "};"
		# A test needs few sessions; a small table keeps memory_mb modest.
		# One-armed: NAT shares the address with WireGuard, so its ports stay below 51820.
		local range="1024, 65535"
		[ "$arr" = onearmed ] && range="1024, 49151"
		echo "nat = { max_sessions = 65536; max_sessions_per_peer = ${MG_NAT_PER_PEER:-8192}; port_range = [ $range ]; };"
		if [ -n "${MG_STATIC_PEERS:-}" ]; then
			echo "peers = ("
			local sep="" pub net psk
			for p in $MG_STATIC_PEERS; do
				IFS=, read -r pub net psk <<<"$p"
				printf '%s  { public_key = "%s"; allowed_ips = [ "%s" ];' "$sep" "$pub" "$net"
				[ -n "$psk" ] && printf ' preshared_key = "%s";' "$psk"
				printf ' }'
				sep=$',\n'
			done
			printf '\n);\n'
		fi
	} >"$f"
	chmod 600 "$f"
}

# ---------------------------------------------------------------------------------------------
# The exit under test

# mg_exit_start [HUGEPAGES]: meshgate (waits for "meshgate: ready") or the Linux reference exit.
mg_exit_start() {
	mg_gw_keys
	if [ "$EXIT" = linux ]; then
		mg_linux_exit_start
		return
	fi
	mg_gw_config "$MG_TMP/meshgate.conf" "${1:-off}"
	"$MESHGATE" --check -c "$MG_TMP/meshgate.conf" >"$MG_TMP/check.log" 2>&1 ||
		mg_fail "meshgate --check rejected the generated config: $(cat "$MG_TMP/check.log")"
	# Keep the previous run's log (final statistics) as exit.prev.log.
	[ -s "$MG_TMP/exit.log" ] && mv "$MG_TMP/exit.log" "$MG_TMP/exit.prev.log"
	: >"$MG_TMP/exit.log"
	mg_spawn exit "$MG_NS_G" "$MESHGATE" -c "$MG_TMP/meshgate.conf"
	MG_EXIT_PID=$MG_LAST_PID
	mg_wait_ready "$MG_TMP/exit.log" 60
}

# mg_wait_ready LOG SECONDS: until the daemon prints "meshgate: ready"; fails if it died.
mg_wait_ready() {
	local end=$((SECONDS + $2))
	until grep -q 'meshgate: ready' "$1"; do
		kill -0 "$MG_EXIT_PID" 2>/dev/null || mg_fail "meshgate exited before ready"
		[ $SECONDS -ge "$end" ] && mg_fail "meshgate not ready within $2 s"
		sleep 0.3
	done
	mg_log "meshgate ready (pid $MG_EXIT_PID)"
}

# mg_exit_stop: graceful stop (SIGTERM); fails the test if meshgate does not stop within 15 s.
mg_exit_stop() {
	if [ "$EXIT" = linux ]; then
		mg_linux_exit_stop
		return
	fi
	mg_stop_pid "$MG_EXIT_PID" TERM 15 || mg_fail "meshgate did not stop on SIGTERM within 15 s"
	MG_EXIT_PID=""
}

mg_exit_restart() { mg_exit_stop; sleep 1; mg_exit_start "$@"; }

# The Linux reference exit: addresses in G, forwarding, wireguard-go with the gateway key,
# nftables masquerade out of inet0. Clients are added as peers by mg_client_up.
mg_linux_exit_start() {
	local G=$MG_NS_G c
	MG_GW_WG=${MG_ID}g
	if [ "$MG_ARR" = twoport ]; then
		ip -n "$G" addr replace "$MG_MESH_ADDR/24" dev mesh0
	fi
	ip -n "$G" addr replace "$MG_PUB_ADDR/24" dev inet0
	ip -n "$G" route replace default via "$MG_R_INET_ADDR"
	ip netns exec "$G" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$G" nft -f - <<-EOF || mg_fail "nft masquerade"
		table ip mgexit
		delete table ip mgexit
		table ip mgexit {
			chain post { type nat hook postrouting priority srcnat; oifname "inet0" masquerade; }
		}
	EOF
	: >"$MG_TMP/exit.log"
	mg_spawn exit "$G" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=error wireguard-go -f "$MG_GW_WG"
	MG_EXIT_PID=$MG_LAST_PID
	mg_wait_for 10 test -S "/var/run/wireguard/$MG_GW_WG.sock" || mg_fail "wireguard-go (exit) did not start"
	ip netns exec "$G" wg set "$MG_GW_WG" private-key "$MG_TMP/gw.key" listen-port "$MG_WG_PORT" ||
		mg_fail "wg set (exit)"
	ip -n "$G" link set "$MG_GW_WG" mtu "$MG_TUNNEL_MTU" up
	ip -n "$G" route add 100.64.0.0/10 dev "$MG_GW_WG"
	for c in "${MG_CLIENTS[@]}"; do mg_linux_exit_add_peer "$c"; done
	mg_log "linux exit ready (wireguard-go pid $MG_EXIT_PID)"
}

mg_linux_exit_add_peer() {
	[ "$EXIT" = linux ] && [ -n "$MG_EXIT_PID" ] || return 0
	ip netns exec "$MG_NS_G" wg set "$MG_GW_WG" peer "${MG_CLIENT_PUB[$1]}" \
		allowed-ips "${MG_CLIENT_INNER[$1]}/32" || mg_fail "wg set peer (exit)"
}

mg_linux_exit_stop() {
	mg_stop_pid "$MG_EXIT_PID" TERM 10
	MG_EXIT_PID=""
}

# ---------------------------------------------------------------------------------------------
# Clients

# mg_client_add I [INNER]: namespace C<I>, veth into br-mesh, underlay 198.51.100.(10+I),
# a key pair, tunnel address INNER (default 100.64.0.(1+I)). The tunnel comes up in mg_client_up.
mg_client_add() {
	local i=$1 ns=$MG_ID-C$1 R=$MG_NS_R
	mg_ns_add "$ns"
	mg_veth "${MG_ID}c$i" "$ns" eth0 "${MG_ID}C$i" "$R" "r-c$i"
	ip -n "$R" link set "r-c$i" master br-mesh up
	MG_CLIENT_NS[$i]=$ns
	MG_CLIENT_WG[$i]=${MG_ID}w$i
	MG_CLIENT_INNER[$i]=${2:-100.64.0.$((1 + i))}
	MG_CLIENT_UNDERLAY[$i]=198.51.100.$((10 + i))
	ip -n "$ns" addr add "${MG_CLIENT_UNDERLAY[$i]}/24" dev eth0
	ip -n "$ns" link set eth0 up
	if [ "$MG_ARR" = onearmed ]; then
		ip -n "$ns" route add 203.0.113.0/24 via "$MG_BRIDGE_ADDR"
	fi
	(umask 077 && wg genkey >"$MG_TMP/c$i.key") || mg_fail "wg genkey"
	MG_CLIENT_PUB[$i]=$(wg pubkey <"$MG_TMP/c$i.key")
	MG_CLIENTS+=("$i")
}

# mg_client_endpoint: where clients send WireGuard in this arrangement.
mg_client_endpoint() {
	if [ "$MG_ARR" = onearmed ]; then echo "$MG_PUB_ADDR:$MG_WG_PORT"; else echo "$MG_MESH_ADDR:$MG_WG_PORT"; fi
}

# mg_client_up I: stock wireguard-go in the foreground (pid recorded), then wg set with the
# gateway as the only peer (allowed-ips 0.0.0.0/0, MG_CLIENT_PSK[I] as preshared key if set), the
# tunnel address and 192.0.2.0/24 via wg.
mg_client_up() {
	local i=$1 ns=${MG_CLIENT_NS[$1]} ifc=${MG_CLIENT_WG[$1]}
	mg_gw_keys
	mg_linux_exit_add_peer "$i"
	mg_spawn "wg-c$i" "$ns" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose wireguard-go -f "$ifc"
	MG_CLIENT_PID[$i]=$MG_LAST_PID
	mg_wait_for 10 test -S "/var/run/wireguard/$ifc.sock" || mg_fail "wireguard-go (client $i) did not start"
	local psk=()
	[ -n "${MG_CLIENT_PSK[$i]:-}" ] && psk=(preshared-key "${MG_CLIENT_PSK[$i]}")
	ip netns exec "$ns" wg set "$ifc" private-key "$MG_TMP/c$i.key" \
		peer "$MG_GW_PUB" "${psk[@]}" endpoint "$(mg_client_endpoint)" allowed-ips 0.0.0.0/0 ||
		mg_fail "wg set (client $i)"
	ip -n "$ns" addr add "${MG_CLIENT_INNER[$i]}/32" dev "$ifc"
	ip -n "$ns" link set "$ifc" mtu "$MG_TUNNEL_MTU" up
	ip -n "$ns" route add 192.0.2.0/24 dev "$ifc"
}

# mg_client_down I: kill the client's wireguard-go (its interface goes with it).
mg_client_down() {
	mg_stop_pid "${MG_CLIENT_PID[$1]}" TERM 5
	mg_wait_for 5 bash -c "! test -S /var/run/wireguard/${MG_CLIENT_WG[$1]}.sock"
	MG_CLIENT_PID[$1]=""
}

# mg_cx I CMD...: run CMD in client I's namespace.
mg_cx() { local ns=${MG_CLIENT_NS[$1]}; shift; ip netns exec "$ns" "$@"; }

# mg_client_curl I [PATH] [SECONDS]: the page body as client I fetches it through the tunnel.
mg_client_curl() {
	mg_cx "$1" curl -sS --max-time "${3:-5}" "http://$MG_SERVER${2:-/}"
}

# mg_client_page_ok I: the page fetched by client I names the gateway's public address.
mg_client_page_ok() { [ "$(mg_client_curl "$1" / 3 2>/dev/null | head -n1)" = "$MG_PUB_ADDR" ]; }

# mg_client_wait_page I SECONDS: poll until client I gets the right page (handshake included).
mg_client_wait_page() { mg_wait_for "$2" mg_client_page_ok "$1"; }

# mg_client_handshake I: unix time of the latest completed handshake as wg reports it (0 = none).
mg_client_handshake() {
	mg_cx "$1" wg show "${MG_CLIENT_WG[$1]}" latest-handshakes 2>/dev/null | awk '{print $2; exit}'
}

# mg_client_ping I [COUNT]: ping the server through the tunnel.
mg_client_ping() { mg_cx "$1" ping -n -c "${2:-3}" -i 0.3 -W 2 "$MG_SERVER"; }

# ---------------------------------------------------------------------------------------------
# Telemetry (meshgate only)

MG_TELE() { python3 "$MG_ITEST_DIR/mgtelemetry.py" -i "$MG_INSTANCE" "$@"; }

# mg_tele CMD: the JSON reply to a telemetry command.
mg_tele() { MG_TELE "$@"; }

# mg_counter_sum REGEX [CMD]: sum of the numeric leaves of CMD's reply (default /meshgate/stats)
# whose flattened path matches REGEX (e.g. "$MG_CTR_POLICY_DENY"). Fails the test when the
# telemetry socket does not answer.
mg_counter_sum() {
	local v
	v=$(MG_TELE --sum "$1" "${2:-/meshgate/stats}") || mg_fail "telemetry ${2:-/meshgate/stats} did not answer"
	echo "$v"
}

# mg_counters_flat REGEX [CMD]: "path value" lines of the matching counters.
mg_counters_flat() { MG_TELE --flat "${2:-/meshgate/stats}" | grep -E "$1"; }
