"""CPU accounting for the side-by-side comparison: snapshots of the CPU time of named processes,
of the kernel's ksoftirqd threads and of the whole machine (/proc/stat), and their differences.

What a process's figure holds: utime + stime of its whole thread group (/proc/PID/stat fields
14 and 15). The kernel here has tick-based accounting without IRQ-time accounting, so softirq
work (veth delivery, forwarding, nftables NAT) is charged to whatever task was running when it
ran: the sender of a packet usually pays for its trip up to the next socket queue or ring.
"""
import os
import re

CLK_TCK = os.sysconf("SC_CLK_TCK")
STAT_COLUMNS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
BUSY_COLUMNS = ("user", "nice", "system", "irq", "softirq")


def proc_ticks(pid):
    """utime + stime of PID's thread group in clock ticks, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()   # fields from 3 (state) on; comm may hold spaces
    return int(fields[11]) + int(fields[12])       # fields 14 (utime) and 15 (stime)


def proc_comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


def ksoftirqd_pids():
    """Pids of the per-CPU softirq threads (they run deferred softirq work for every namespace)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and re.fullmatch(r"ksoftirqd/\d+", proc_comm(entry) or ""):
            pids.append(int(entry))
    return sorted(pids)


def machine_ticks():
    """The aggregate 'cpu' line of /proc/stat as a dict of clock ticks (all CPUs summed)."""
    with open("/proc/stat") as f:
        values = f.readline().split()[1:1 + len(STAT_COLUMNS)]
    return dict(zip(STAT_COLUMNS, (int(v) for v in values)))


def snapshot(named_pids):
    """named_pids: {"exit": pid, ...}. Returns a snapshot to pass to delta() later."""
    return {
        "procs": {name: proc_ticks(pid) for name, pid in named_pids.items()},
        "ksoftirqd": sum(proc_ticks(p) or 0 for p in ksoftirqd_pids()),
        "machine": machine_ticks(),
    }


def delta(before, after):
    """CPU seconds spent between two snapshots: per named process, ksoftirqd, machine columns
    and machine busy (user+nice+system+irq+softirq, all CPUs). A process gone in between is None."""
    procs = {}
    for name, t0 in before["procs"].items():
        t1 = after["procs"].get(name)
        procs[name] = None if t0 is None or t1 is None else (t1 - t0) / CLK_TCK
    machine = {c: (after["machine"][c] - before["machine"][c]) / CLK_TCK for c in STAT_COLUMNS}
    return {
        "procs": procs,
        "ksoftirqd": (after["ksoftirqd"] - before["ksoftirqd"]) / CLK_TCK,
        "machine": machine,
        "machine_busy": sum(machine[c] for c in BUSY_COLUMNS),
    }
