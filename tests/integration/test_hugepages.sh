#!/bin/bash
# Test 9: meshgate with hugepages = "on" (hugetlbfs mounted for this run, 2 MiB pages reserved;
# the previous nr_hugepages is restored afterwards) passes the basic page test and really holds
# hugepages while it runs; then the same gateway restarted with hugepages = "off" passes it too.
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
mount -t hugetlbfs -o pagesize=2M nodev "$huge_dir" || mg_fail "mount hugetlbfs"
need=$(( ${MG_MEMORY_MB:-1024} / 2 + 64 ))   # memory_mb (see mg_gw_config) in 2 MiB pages, plus slack
echo $((old_nr + need)) >"$NR"
[ "$(cat "$FREE")" -ge "$need" ] || mg_skip "only $(cat "$FREE") free 2 MiB pages could be reserved"

mg_topo_create twoport
mg_client_add 1
free_before=$(cat "$FREE")
mg_exit_start on
mg_client_up 1
mg_client_wait_page 1 20 || mg_fail "hugepages=on: no page within 20 s"
free_during=$(cat "$FREE")
mg_log "free 2 MiB pages: $free_before before, $free_during with meshgate running"
[ "$free_during" -lt "$free_before" ] || mg_fail "hugepages=on but meshgate took no hugepages"

mg_exit_stop
sleep 1
mg_exit_start off
mg_client_wait_page 1 40 || mg_fail "hugepages=off: no page within 40 s of the restart"
mg_pass "on: $((free_before - free_during)) pages used; off: page ok"
