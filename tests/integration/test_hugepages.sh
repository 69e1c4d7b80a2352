#!/bin/bash
# Test 9: meshgate with hugepages = "on" (a hugetlbfs mounted for this run and named with
# --huge-dir, 2 MiB pages reserved; the previous nr_hugepages is restored afterwards) passes the
# basic page test and really holds hugepages while it runs (counted in its own /proc/PID/smaps,
# so another process taking or freeing pages meanwhile cannot sway it), leaves no page file in the
# mount (--huge-unlink) and gives every page back when it stops (counted by the size-limited
# mount itself, which other processes cannot touch either); then the same gateway restarted
# with hugepages = "off" passes the page test too.
. "$(dirname "$0")/lib.sh"
mg_init test_hugepages
mg_skip_unless_meshgate "hugepages are a meshgate (DPDK) setting"
grep -qw hugetlbfs /proc/filesystems || mg_skip "kernel has no hugetlbfs"
NR=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
FREE=/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages
[ -w "$NR" ] || mg_skip "cannot reserve 2 MiB hugepages here ($NR not writable)"

old_nr=$(cat "$NR")
huge_dir=$MG_TMP/hugepages
mkdir -p "$huge_dir"
restore_huge() {
	mountpoint -q "$huge_dir" && umount "$huge_dir"
	echo "$old_nr" >"$NR"
	mg_log "nr_hugepages restored to $(cat "$NR") (was $old_nr)"
}
MG_CLEANUP_HOOKS+=(restore_huge)
need=$(( ${MG_MEMORY_MB:-1024} / 2 + 64 ))   # memory_mb (see mg_gw_config) in 2 MiB pages, plus slack
# A size limit makes the mount count its own pages (statfs), mapped but unlinked ones included.
mount -t hugetlbfs -o "pagesize=2M,size=$((need * 2))M" nodev "$huge_dir" || mg_fail "mount hugetlbfs"
echo $((old_nr + need)) >"$NR"
[ "$(cat "$FREE")" -ge "$need" ] || mg_skip "only $(cat "$FREE") free 2 MiB pages could be reserved"

# hugetlb_kb PID: kB of hugetlbfs memory mapped by the process.
hugetlb_kb() {
	awk '/^(Private|Shared)_Hugetlb:/ { kb += $2 } END { print kb + 0 }' "/proc/$1/smaps"
}
page_files() { find "$huge_dir" -name "${MG_INSTANCE}map_*" | wc -l; }
mount_pages_used() { stat -f -c '%b %f' "$huge_dir" | awk '{ print $1 - $2 }'; }

mg_topo_create twoport
mg_client_add 1
MG_ROOT_EXTRA="eal_args = [ \"--huge-dir\", \"$huge_dir\" ];"
mg_exit_start on
mg_client_up 1
mg_client_wait_page 1 20 || mg_fail "hugepages=on: no page within 20 s"
used_kb=$(hugetlb_kb "$MG_EXIT_PID")
mg_log "meshgate (pid $MG_EXIT_PID) maps $((used_kb / 1024)) MiB of hugepages; $(page_files) page files in $huge_dir"
[ "$used_kb" -gt 0 ] || mg_fail "hugepages=on but meshgate maps no hugepages"
[ "$(page_files)" -eq 0 ] || mg_fail "page files left in $huge_dir while running (--huge-unlink missing?)"
used_during=$(mount_pages_used)

mg_exit_stop
for _ in 1 2 3 4 5; do
	used_after=$(mount_pages_used)
	[ "$used_after" -eq 0 ] && break
	sleep 1
done
mg_log "2 MiB pages in use in $huge_dir: $used_during while running, $used_after after the stop"
[ "$used_during" -gt 0 ] || mg_fail "hugepages=on but the run's mount holds no pages"
[ "$used_after" -eq 0 ] || mg_fail "meshgate stopped but $used_after of its pages did not come back"
MG_ROOT_EXTRA=""
mg_exit_start off
mg_client_wait_page 1 40 || mg_fail "hugepages=off: no page within 40 s of the restart"
mg_pass "on: $((used_kb / 2048)) pages mapped and given back; off: page ok"
