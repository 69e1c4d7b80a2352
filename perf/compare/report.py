#!/usr/bin/env python3
"""Turns the records of a `make compare` run (DIR/<exit>.<round>.jsonl from run_exit.sh) into
the side-by-side table (compare.txt) and JSON (compare.json): per metric the Linux exit's value,
meshgate's and their ratio (meshgate / linux), medians over rounds, with the machine beside them.

  report.py --rounds N --json OUT.json --text OUT.txt DIR
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess

EXITS = ("linux", "meshgate")
TESTS = (("tcp-up", "TCP upload"), ("tcp-down", "TCP download"),
         ("udp-up", "UDP upload, best rate < 1% loss"), ("udp-flood", "UDP upload, unlimited offer"))
OTHER_PROCS = ("client_wg", "iperf_client", "iperf_server")

METHOD = {
    "exit_cpu": "utime+stime of the exit's whole process (all threads) from /proc/PID/stat: "
                "meshgate, or the gateway's wireguard-go for the Linux exit. The kernel has "
                "tick accounting without IRQ-time accounting, so softirq work is charged to the "
                "task it interrupts: each exit pays for what its own sends set off (for the Linux "
                "exit: TUN write, forwarding, nftables masquerade, veth to R, R's routing up to "
                "the server's socket), while work on packets arriving at the exit is charged to "
                "their sender (client wireguard-go, or the iperf3 server for downloads), for "
                "both exits alike.",
    "path_cpu": "everything the run's processes used: exit + client wireguard-go + iperf3 client "
                "(rusage) + iperf3 server + the ksoftirqd threads (deferred softirq, any "
                "namespace). The client and server software are the same for both exits, so the "
                "difference in this figure is what the exit costs, wherever the kernel charged "
                "it (including the Linux exit's forwarding and de-NAT of downloads).",
    "per_gb": "CPU seconds divided by the bytes the iperf3 receiver got, in units of 1e9 bytes.",
    "machine_busy": "/proc/stat user+nice+system+irq+softirq over all CPUs, per second of the "
                    "run: 2.0 on this machine means both CPUs were saturated.",
    "client_wg": "the client's wireguard-go, busy cores: when it nears one core, the client "
                 "rather than the exit limits the rate.",
    "other_load": "machine busy time (/proc/stat user+nice+system+irq+softirq, all CPUs) minus "
                  "the run's processes and ksoftirqd, per second: load from outside the run "
                  "(other jobs on a shared machine) competing for the same cores.",
    "idle": "exit CPU per second of wall time with the tunnel up and no traffic. meshgate's "
            "workers poll their ports (DPDK poll mode) and, with idle_backoff on (the "
            "default), pause and then sleep in growing steps up to idle_max_sleep_us (200 us); "
            "that polling is CPU time even when nothing arrives, and it is counted in every "
            "figure above. wireguard-go blocks in the kernel when idle.",
    "ratio": "meshgate / linux: above 1 means meshgate is higher (better for throughput, worse "
             "for CPU).",
}


def load(dirname, exit_kind, rnd):
    path = os.path.join(dirname, f"{exit_kind}.{rnd}.jsonl")
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def final(records, name):
    found = [r for r in records if r["name"] == name and not r.get("step")]
    if not found:
        raise SystemExit(f"no final record named {name}")
    return found[-1]


def test_metrics(rec):
    """Figures of one iperf3 run: rate, loss, exit and path CPU per GB, cores, other load."""
    i, c, wall = rec["iperf"], rec["cpu"], rec["wall_seconds"]
    gb = i["received_bytes"] / 1e9
    procs = c["procs"]
    exit_s = procs["exit"]
    path_s = exit_s + sum(procs[p] for p in OTHER_PROCS) + c["ksoftirqd"]
    m = {
        "mbit_s": i["received_bps"] / 1e6,
        "gb": gb,
        "exit_cpu_s": exit_s,
        "exit_s_per_gb": exit_s / gb,
        "exit_cores": exit_s / wall,
        "client_wg_cores": procs["client_wg"] / wall,
        "machine_busy_cores": c["machine_busy"] / wall,
        "path_s_per_gb": path_s / gb,
        "other_load_cores": (c["machine_busy"] - path_s) / wall,
    }
    if i["protocol"] == "udp":
        m["loss_percent"] = i["loss_percent"]
        m["offered_mbit_s"] = i["sent_bps"] / 1e6
    return m


def round_metrics(records):
    idle = final(records, "idle")
    out = {"idle_exit_cores": idle["cpu"]["procs"]["exit"] / idle["wall_seconds"]}
    for name, _ in TESTS:
        for k, v in test_metrics(final(records, name)).items():
            out[f"{name}.{k}"] = v
    return out


def medians(rounds):
    return {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}


def cmd_out(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def lscpu_field(name):
    for line in (cmd_out("lscpu") or "").splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return None


def machine(run_time):
    model = None
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cores = os.cpu_count()
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    return {
        "cpu_model": model,
        "cpus": cores,
        "kernel": platform.release(),
        "hypervisor": lscpu_field("Hypervisor vendor"),
        "iperf3": (cmd_out("iperf3", "--version") or "").splitlines()[0:1],
        "git_commit": cmd_out("git", "-C", root, "rev-parse", "--short", "HEAD"),
        "date": datetime.datetime.fromtimestamp(run_time, datetime.timezone.utc)
                .isoformat(timespec="seconds"),
        "note": (f"{cores} CPUs: the client's wireguard-go, iperf3 client and server, the exit "
                 "and the kernel's softirq work all share them" if cores and cores <= 4 else
                 f"{cores} CPUs, nothing pinned"),
    }


ROWS = [("tcp-up.mbit_s", "TCP upload, Mbit/s"), ("tcp-down.mbit_s", "TCP download, Mbit/s"),
        ("udp-up.mbit_s", "UDP best rate <1% loss, Mbit/s"),
        ("udp-up.loss_percent", "  loss at that rate, %"),
        ("udp-flood.mbit_s", "UDP unlimited offer, received Mbit/s"),
        ("udp-flood.loss_percent", "  loss, %")]
for _n, _label in (("tcp-up", "TCP up"), ("tcp-down", "TCP down"), ("udp-up", "UDP best"),
                   ("udp-flood", "UDP flood")):
    ROWS += [(f"{_n}.exit_s_per_gb", f"exit CPU s/GB, {_label}"),
             (f"{_n}.exit_cores", f"  exit busy cores, {_label}"),
             (f"{_n}.client_wg_cores", f"  client wireguard-go busy cores, {_label}"),
             (f"{_n}.path_s_per_gb", f"  whole-path CPU s/GB, {_label}")]
ROWS += [("idle_exit_cores", "exit CPU when idle, cores"),
         ("tcp-up.machine_busy_cores", "machine busy during TCP up, cores"),
         ("tcp-up.other_load_cores", "  of which outside load, cores")]


def fmt(v):
    if v is None:
        return "-"
    return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"


def table(res):
    m, lines = res["machine"], []
    lines.append(f"meshgate vs Linux exit (wireguard-go + nftables masquerade), same topology and "
                 f"client; medians of {res['rounds']} round(s), {res['seconds']} s per run")
    lines.append(f"machine: {m['cpu_model']}, {m['cpus']} CPUs, kernel {m['kernel']}"
                 f"{', hypervisor ' + m['hypervisor'] if m['hypervisor'] else ''}; {m['date']}; "
                 f"commit {m['git_commit']}")
    lines.append(f"note: {m['note']}")
    lines.append("")
    w = max(len(label) for _, label in ROWS)
    lines.append(f"{'metric':<{w}} | {'linux exit':>10} | {'meshgate':>10} | {'ratio':>6}")
    lines.append(f"{'-' * w}-+-{'-' * 10}-+-{'-' * 10}-+-{'-' * 6}")
    for key, label in ROWS:
        a, b = res["exits"]["linux"]["median"].get(key), res["exits"]["meshgate"]["median"].get(key)
        r = res["ratio"].get(key)
        lines.append(f"{label:<{w}} | {fmt(a):>10} | {fmt(b):>10} | {fmt(r):>6}")
    lines.append("")
    lines.append("ratio = meshgate / linux. GB = 1e9 bytes received by the iperf3 receiver.")
    for k in ("exit_cpu", "path_cpu", "client_wg", "machine_busy", "idle", "other_load"):
        lines.append(f"{k}: {METHOD[k]}")
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, required=True)
    p.add_argument("--json", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("dir")
    a = p.parse_args()
    run_time = os.path.getmtime(os.path.join(a.dir, "linux.1.jsonl"))
    res = {"machine": machine(run_time), "rounds": a.rounds, "method": METHOD, "exits": {}, "ratio": {}}
    for e in EXITS:
        recs = [load(a.dir, e, r) for r in range(1, a.rounds + 1)]
        per_round = [round_metrics(r) for r in recs]
        metas = [r for r in recs[0] if r["name"] == "meta"]
        res["exits"][e] = {"median": medians(per_round), "rounds": per_round,
                           "meta": metas[0] if metas else None, "records": recs}
    tcp = final(res["exits"]["linux"]["records"][0], "tcp-up")
    res["seconds"] = round(tcp["iperf"]["seconds"])
    lin, mg = res["exits"]["linux"]["median"], res["exits"]["meshgate"]["median"]
    for k, v in lin.items():
        # A ratio of losses or of outside load says nothing; those rows show the values only.
        meaningful = not k.endswith(("loss_percent", "other_load_cores"))
        res["ratio"][k] = mg[k] / v if v and meaningful else None
    with open(a.json, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    with open(a.text, "w") as f:
        f.write(table(res))


if __name__ == "__main__":
    main()
