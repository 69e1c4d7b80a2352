#!/usr/bin/env python3
"""One measurement of the side-by-side comparison, run inside the client's namespace: CPU
snapshots (cpu.py) taken right before and right after a stock iperf3 client run (or an idle
wait), written as one JSON record per line to --out, with a one-line summary on stdout.

  measure.py --out F --pid exit=P --pid client_wg=P ... idle SECONDS
  measure.py --out F --pid ... iperf NAME SERVER SECONDS [IPERF3 ARGS...]
  measure.py --out F --pid ... udp-search NAME SERVER SECONDS START_MBIT
The udp-search finds the highest UDP rate with less than 1% loss (doubling, then bisection, in
short steps), then measures that rate for SECONDS; every step is recorded too.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # leave no __pycache__ behind in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpu  # noqa: E402

UDP_LEN = 1200          # datagram payload: fits the 1420-byte tunnel MTU with room to spare
UDP_MAX_LOSS = 1.0      # percent
UDP_STEP_SECONDS = 3
UDP_DOUBLINGS = 3
UDP_BISECTIONS = 5
UDP_FINAL_TRIES = 3
IPERF_GRACE = 25        # seconds allowed beyond -t for connect, results exchange and teardown


def iperf_once(server, seconds, args):
    """Runs the iperf3 client; returns (parsed JSON, its own CPU seconds from wait4's rusage)."""
    cmd = ["iperf3", "-c", server, "-t", str(seconds), "--connect-timeout", "3000", "-J"] + args
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + seconds + IPERF_GRACE
    out = b""
    try:
        out, _ = proc.communicate(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise SystemExit(f"iperf3 {' '.join(args)}: no result within {seconds + IPERF_GRACE} s")
    # communicate() reaped the child; its rusage is the difference of RUSAGE_CHILDREN.
    return out, proc.returncode


def children_cpu():
    ru = os.times()
    return ru.children_user + ru.children_system


def parse_iperf(out, rc):
    try:
        r = json.loads(out)
    except ValueError:
        raise SystemExit(f"iperf3 printed no JSON (rc {rc}): {out[-400:]!r}")
    if "error" in r:
        raise SystemExit(f"iperf3: {r['error']}")
    end = r["end"]
    udp = r["start"]["test_start"]["protocol"] == "UDP"
    rcv, snt = end["sum_received"], end["sum_sent"]
    res = {
        "protocol": "udp" if udp else "tcp",
        "reverse": bool(r["start"]["test_start"].get("reverse")),
        "received_bytes": rcv["bytes"],
        "received_bps": rcv["bits_per_second"],
        "sent_bytes": snt["bytes"],
        "sent_bps": snt["bits_per_second"],
        "seconds": rcv["seconds"],
    }
    if udp:
        res.update(packets=rcv["packets"], lost_packets=rcv["lost_packets"],
                   loss_percent=rcv["lost_percent"], jitter_ms=rcv["jitter_ms"])
    else:
        res["retransmits"] = snt.get("retransmits")
    return res


def measured(pids, body):
    """Runs body() between two CPU snapshots; returns (body's result, cpu delta, wall seconds)."""
    c0 = children_cpu()
    s0, t0 = cpu.snapshot(pids), time.monotonic()
    result = body()
    s1, t1 = cpu.snapshot(pids), time.monotonic()
    d = cpu.delta(s0, s1)
    d["procs"]["iperf_client"] = children_cpu() - c0
    return result, d, t1 - t0


def record(out, rec):
    with open(out, "a") as f:
        f.write(json.dumps(rec) + "\n")


def run_iperf(a, pids, name, seconds, args, step=False):
    res, d, wall = measured(pids, lambda: parse_iperf(*iperf_once(a.server, seconds, args)))
    rec = {"name": name, "step": step, "wall_seconds": wall, "iperf": res, "cpu": d,
           "iperf_args": args}
    record(a.out, rec)
    loss = f", {res['loss_percent']:.2f}% lost" if res["protocol"] == "udp" else ""
    exit_cpu = d["procs"].get("exit")
    print(f"{name}: {res['received_bps'] / 1e6:.1f} Mbit/s received{loss}, "
          f"exit CPU {exit_cpu if exit_cpu is not None else float('nan'):.2f} s", flush=True)
    return res


def relabel_last(out, name):
    """Marks the last record of OUT as the final measurement NAME (step false)."""
    with open(out) as f:
        lines = f.read().splitlines()
    rec = json.loads(lines[-1])
    rec.update(name=name, step=False)
    lines[-1] = json.dumps(rec)
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


def udp_args(mbit):
    return ["-u", "-b", f"{mbit:.1f}M", "-l", str(UDP_LEN)]


def udp_search(a, pids):
    """Doubling from START_MBIT while loss stays under 1%, then bisection between the best good
    rate and the first bad one; finally a full-length run at the best good rate."""
    good, bad, rate = 0.0, None, a.start_mbit
    for _ in range(UDP_DOUBLINGS + 1):
        res = run_iperf(a, pids, f"{a.name}@{rate:.0f}M", UDP_STEP_SECONDS, udp_args(rate), True)
        if res["loss_percent"] < UDP_MAX_LOSS:
            good, rate = rate, rate * 2
        else:
            bad = rate
            break
    if bad is None:
        bad = rate
    for _ in range(UDP_BISECTIONS):
        rate = (good + bad) / 2
        res = run_iperf(a, pids, f"{a.name}@{rate:.0f}M", UDP_STEP_SECONDS, udp_args(rate), True)
        if res["loss_percent"] < UDP_MAX_LOSS:
            good = rate
        else:
            bad = rate
    # The full-length run must hold the loss bound too: background load on a shared machine can
    # spoil a rate that passed a short step, so back off by 10% up to UDP_FINAL_TRIES times. The
    # last full-length run is the result, whatever its loss (the report shows the loss).
    rate = good if good > 0 else bad / 2
    for _ in range(UDP_FINAL_TRIES):
        res = run_iperf(a, pids, f"{a.name}-final@{rate:.0f}M", a.seconds, udp_args(rate), True)
        if res["loss_percent"] < UDP_MAX_LOSS:
            break
        rate *= 0.9
    relabel_last(a.out, a.name)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="JSON-lines file the record is appended to")
    p.add_argument("--pid", action="append", default=[], help="NAME=PID of a process to account")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("idle")
    s.add_argument("seconds", type=float)
    s = sub.add_parser("iperf")
    s.add_argument("name")
    s.add_argument("server")
    s.add_argument("seconds", type=int)
    s.add_argument("args", nargs=argparse.REMAINDER)
    s = sub.add_parser("udp-search")
    s.add_argument("name")
    s.add_argument("server")
    s.add_argument("seconds", type=int)
    s.add_argument("start_mbit", type=float)
    a = p.parse_args()
    pids = {k: int(v) for k, v in (x.split("=", 1) for x in a.pid)}
    comms = {k: cpu.proc_comm(v) for k, v in pids.items()}
    if a.cmd == "idle":
        _, d, wall = measured(pids, lambda: time.sleep(a.seconds))
        record(a.out, {"name": "idle", "step": False, "wall_seconds": wall, "cpu": d,
                       "comms": comms})
        print(f"idle: exit CPU {d['procs'].get('exit', 0):.2f} s in {wall:.1f} s", flush=True)
    elif a.cmd == "iperf":
        run_iperf(a, pids, a.name, a.seconds, a.args)
    else:
        udp_search(a, pids)


if __name__ == "__main__":
    main()
