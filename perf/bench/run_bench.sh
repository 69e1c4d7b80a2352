#!/bin/bash
# make bench: run mg_bench on 2 MiB hugepages, as a production gateway runs, when this machine can
# give them (root, hugetlbfs, enough free memory); otherwise on 4 KiB pages (--no-huge), saying
# so. The hugetlbfs mount is a temporary directory of this run; the kernel's nr_hugepages is put
# back to what it was when the run ends, however it ends.
#
#   perf/bench/run_bench.sh MG_BENCH OUT_DIR [mg_bench options...]
#   MG_BENCH_HUGE=0   force 4 KiB pages
set -u
bench=$1 out=$2
shift 2
NR=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
FREE=/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages
NEED=$((4096 / 2 + 128)) # the full plan's EAL memory (4096 MB) in 2 MiB pages, plus slack

huge_args=()
setup_huge() {
	[ "${MG_BENCH_HUGE:-1}" != 0 ] || { echo "bench: MG_BENCH_HUGE=0: 4 KiB pages"; return 1; }
	[ "$(id -u)" = 0 ] && [ -w "$NR" ] && grep -qw hugetlbfs /proc/filesystems ||
		{ echo "bench: no hugepages here (needs root and hugetlbfs): 4 KiB pages"; return 1; }
	old_nr=$(cat "$NR")
	huge_dir=$(mktemp -d /tmp/mg-bench-huge.XXXXXX)
	trap restore_huge EXIT
	mount -t hugetlbfs -o pagesize=2M nodev "$huge_dir" || return 1
	echo $((old_nr + NEED)) >"$NR"
	if [ "$(cat "$FREE")" -lt "$NEED" ]; then
		echo "bench: only $(cat "$FREE") free 2 MiB pages of $NEED: 4 KiB pages"
		return 1
	fi
	huge_args=(--huge-dir "$huge_dir")
	echo "bench: $NEED 2 MiB hugepages reserved at $huge_dir for this run"
}
restore_huge() {
	[ -n "${huge_dir:-}" ] || return 0
	mountpoint -q "$huge_dir" && umount "$huge_dir"
	rmdir "$huge_dir" 2>/dev/null
	echo "$old_nr" >"$NR"
	huge_dir=
}

setup_huge || restore_huge
"$bench" "${huge_args[@]}" --json "$out/last.json" "$@" | tee "$out/last.txt"
rc=${PIPESTATUS[0]}
restore_huge
exit "$rc"
