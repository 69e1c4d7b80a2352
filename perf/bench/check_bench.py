#!/usr/bin/env python3
"""Runs `mg_bench --quick --json FILE` and checks what it wrote: the JSON parses, every section is
there, every figure is positive, and each measurement's counters add up (frames fed = frames
transmitted + drops counted by reason; decrypted/encrypted/NAT counts consistent with the
direction; new flows each opened one session). Pipeline lines: every role took what it got
(in = out + drops + what ended there), what the roles put on the rings is what the next roles took,
and the roles' cycles add up. Single-peer lines: 1 and 2 crypto lcores for 64 and 1420 bytes,
both stages, every packet fed decrypted (the replay window let them all through) or encrypted. Exit 0 when all hold, 1 with
the reasons otherwise.

  check_bench.py MG_BENCH JSON_OUT      run the benchmark, then check
  check_bench.py --file JSON            check an existing file (e.g. perf/results/reference.json)
"""
import json
import subprocess
import sys

SIZES = {"64", "512", "1420", "imix"}
DIRS = {"mesh_to_internet", "internet_to_mesh", "new_flow"}


class Checker:
    def __init__(self):
        self.errors = []

    def expect(self, cond, what):
        if not cond:
            self.errors.append(what)

    def positive(self, obj, key, where):
        v = obj.get(key)
        self.expect(isinstance(v, (int, float)) and v > 0, f"{where}: {key} = {v!r}, want > 0")


def check_head(c, doc):
    for key in ("machine", "floor", "handshakes", "memory", "figures"):
        c.expect(key in doc, f"missing section {key}")
    m = doc.get("machine", {})
    for key in ("cpu", "dpdk", "ipsec_mb", "ipsec_mb_arch", "lcores", "pages"):
        c.expect(isinstance(m.get(key), str) and m.get(key), f"machine.{key} empty")
    c.positive(m, "tsc_hz", "machine")
    c.positive(m, "cpus", "machine")
    floors = doc.get("floor", [])
    c.expect({f.get("size") for f in floors} == SIZES, "floor: not every size")
    for f in floors:
        c.positive(f, "seal_cycles_per_packet", f"floor {f.get('size')}")
        c.positive(f, "open_cycles_per_packet", f"floor {f.get('size')}")
        c.positive(f, "seal_median_cycles_per_packet", f"floor {f.get('size')}")
        c.positive(f, "open_median_cycles_per_packet", f"floor {f.get('size')}")
    hs = doc.get("handshakes", {})
    for key in ("completed", "responder_cycles", "per_second", "x25519_cycles",
                "x25519_base_cycles", "floor_cycles", "responder_median_cycles",
                "x25519_median_cycles", "x25519_base_median_cycles", "floor_median_cycles",
                "sodium_base_cycles", "sodium_base_median_cycles"):
        c.positive(hs, key, "handshakes")
    for var, base, floor in (("x25519_cycles", "x25519_base_cycles", "floor_cycles"),
                             ("x25519_median_cycles", "x25519_base_median_cycles",
                              "floor_median_cycles")):
        if all(isinstance(hs.get(k), (int, float)) for k in (var, base, floor)):
            c.expect(abs(hs[floor] - 3 * hs[var] - hs[base]) <= 1e-6 * hs[floor] + 1,
                     f"handshakes: {floor} is not 3 X25519 + 1 base")
    mem = doc.get("memory", {})
    for key in ("bytes_per_peer", "bytes_per_session", "nat_declared_per_session"):
        c.positive(mem, key, "memory")


def check_counters(c, f, where):
    k = f.get("counters", {})
    drops = k.get("drops", {})
    total_drops = sum(drops.values())
    fed = k.get("fed", -1)
    c.expect(fed == f["packets"], f"{where}: fed {fed} != timed packets {f['packets']}")
    c.expect(k["rx"] == fed, f"{where}: worker received {k['rx']} of {fed} fed")
    out = k["tx"] + total_drops + k["punted"] + k["keepalives"] + k["handed_off"]
    c.expect(out == fed, f"{where}: tx {k['tx']} + drops {total_drops} + punted/keepalive/"
             f"handed off != fed {fed}")
    after_nat = k["tx"] + drops.get("no_neighbour", 0) + drops.get("tx_full", 0)
    if f["direction"] in ("mesh_to_internet", "new_flow"):
        c.expect(k["decrypted"] <= fed, f"{where}: decrypted {k['decrypted']} > fed {fed}")
        c.expect(k["nat_out"] <= k["decrypted"], f"{where}: nat_out > decrypted")
        c.expect(after_nat == k["nat_out"], f"{where}: tx + late drops {after_nat} != nat_out "
                 f"{k['nat_out']}")
        c.expect(k["encrypted"] == 0 and k["nat_in"] == 0, f"{where}: reverse-path counters moved")
    else:
        c.expect(k["nat_in"] <= fed, f"{where}: nat_in > fed")
        c.expect(k["encrypted"] <= k["nat_in"], f"{where}: encrypted > nat_in")
        c.expect(k["tx"] + drops.get("tx_full", 0) == k["encrypted"],
                 f"{where}: tx {k['tx']} != encrypted {k['encrypted']}")
        c.expect(k["decrypted"] == 0, f"{where}: decrypted moved on the reverse path")
    if f["direction"] == "new_flow":
        c.expect(k["nat_created"] == k["nat_out"] and k["nat_created"] == fed - total_drops,
                 f"{where}: {k['nat_created']} sessions created for {fed} new-flow packets")
    elif f["direction"] == "mesh_to_internet":
        c.expect(k["nat_created"] == 0, f"{where}: established flows created sessions")
    c.expect(total_drops == 0, f"{where}: {total_drops} drops: "
             + ", ".join(f"{n}={v}" for n, v in drops.items() if v))


def check_figure(c, f, i):
    where = f"figure {i} ({f.get('direction')} {f.get('size')} K={f.get('peers')} " \
            f"W={f.get('workers')})"
    c.expect(f.get("direction") in DIRS, f"{where}: direction")
    c.expect(f.get("size") in SIZES, f"{where}: size")
    for key in ("peers", "active_peers", "nat_sessions", "workers", "packets", "inner_bytes",
                "busy_cycles", "cycles_per_packet", "mpps_per_worker", "gbps_per_worker",
                "mpps_total", "floor_ratio", "median_cycles_per_packet", "floor_ratio_median",
                "floor_cycles_per_packet", "floor_median_cycles_per_packet"):
        c.positive(f, key, where)
    if c.errors and any(e.startswith(where) for e in c.errors):
        return
    c.expect(abs(f["floor_cycles_per_packet"] / f["cycles_per_packet"] - f["floor_ratio"])
             < 0.001, f"{where}: floor_ratio is not its floor's cycles / the line's")
    c.expect(abs(f["busy_cycles"] / f["packets"] - f["cycles_per_packet"]) < 0.01,
             f"{where}: cycles_per_packet is not busy_cycles / packets")
    st = f.get("stage_cycles")
    if st is not None:
        c.expect(all(isinstance(v, int) and v >= 0 for v in st.values()), f"{where}: stages")
        c.expect(sum(st.values()) <= f["busy_cycles"],
                 f"{where}: stage cycles {sum(st.values())} exceed busy cycles")
    check_counters(c, f, where)


ROLES = ("rx", "crypto", "nat", "tx")


def check_pipe(c, f, i, tsc_hz):
    where = f"pipeline {i} ({f.get('direction')} {f.get('size')} K={f.get('peers')})"
    for key in ("peers", "active_peers", "crypto_lcores", "packets", "busy_cycles",
                "cycles_per_packet", "rtc_cycles_per_packet", "median_cycles_per_packet",
                "rtc_median_cycles_per_packet"):
        c.positive(f, key, where)
    roles = f.get("roles", {})
    c.expect(set(roles) == set(ROLES), f"{where}: roles {sorted(roles)}")
    if c.errors and any(e.startswith(where) for e in c.errors):
        return
    c.expect(sum(roles[r]["cycles"] for r in ROLES) == f["busy_cycles"],
             f"{where}: role cycles do not add up to busy_cycles")
    c.expect(abs(f["busy_cycles"] / f["packets"] - f["cycles_per_packet"]) < 0.01,
             f"{where}: cycles_per_packet is not busy_cycles / packets")
    for r in ROLES:
        k = roles[r]
        c.expect(k["passes"] > 0 and k["cycles"] > 0, f"{where}: {r} was not timed")
        c.expect(k["in"] == k["out"] + k["drops"] + k["consumed"],
                 f"{where}: {r} took {k['in']} but passed on {k['out']} + dropped {k['drops']}"
                 f" + consumed {k['consumed']}")
    # every packet a role put on a pipeline ring was taken by the next role (rings end empty)
    on_rings = sum(roles[r]["out"] for r in ("rx", "crypto", "nat"))
    taken = sum(roles[r]["in"] for r in ("crypto", "nat", "tx"))
    c.expect(on_rings == taken, f"{where}: {on_rings} put on the rings, {taken} taken off")
    k = f.get("counters", {})
    c.expect(roles["rx"]["in"] == k.get("fed"), f"{where}: rx took {roles['rx']['in']} of "
             f"{k.get('fed')} fed")
    c.expect(roles["tx"]["out"] == k.get("tx"), f"{where}: tx role sent {roles['tx']['out']}, "
             f"tx counter {k.get('tx')}")
    worst = max(roles[r]["cycles_per_packet"] for r in ROLES)
    model = f.get("model_mpps", [0])
    c.expect(abs(model[0] - tsc_hz / worst / 1e6) < 0.01 * model[0] + 1e-3,
             f"{where}: model_mpps {model[0]} is not TSC Hz / the slowest role")
    check_counters(c, f, where)


def check_peer(c, f, i, tsc_hz, cpus):
    where = f"single_peer {i} ({f.get('stage')} {f.get('size')} on {f.get('lcores')}" \
            f"{' own peers' if f.get('own_peers') else ''})"
    per = f.get("per_lcore", [])
    c.expect(len(per) == 2, f"{where}: {len(per)} per-lcore entries, want 2")
    c.positive(f, "mpps", where)
    if c.errors and any(e.startswith(where) for e in c.errors):
        return
    for p in per:
        c.expect(p["packets"] > 0 and p["busy_cycles"] > 0, f"{where}: an lcore did nothing")
        if p["busy_cycles"] > 0:
            want = p["packets"] * tsc_hz / p["busy_cycles"] / 1e6
            c.expect(abs(p["mpps"] - want) < 0.01 * want, f"{where}: lcore mpps {p['mpps']}")
    # at once: the lcores' sum; each alone in turn: their mean
    want = sum(p["mpps"] for p in per) / (1 if f["lcores"] > 1 else len(per))
    c.expect(abs(want - f["mpps"]) < 0.001 * f["mpps"] + 1e-3,
             f"{where}: mpps is not the lcores' sum (at once) or mean (in turn)")
    c.expect(sum(p["packets"] for p in per) == f["done"],
             f"{where}: lcores' packets != done")
    if f["lcores"] > 1:
        c.positive(f, "ratio", where)
    if cpus > 1:
        c.expect(len({p["cpu"] for p in per}) == len(per), f"{where}: lcores share a CPU")
    drops = sum(f.get("drops", {}).values())
    c.expect(f["fed"] == f["done"] + drops + f["consumed"],
             f"{where}: fed {f['fed']} != done {f['done']} + drops {drops} + "
             f"consumed {f['consumed']}")
    c.expect(drops == 0, f"{where}: {drops} drops: "
             + ", ".join(f"{n}={v}" for n, v in f.get("drops", {}).items() if v))


def check_new_lines(c, doc):
    tsc = doc.get("machine", {}).get("tsc_hz", 0) or 1
    cpus = doc.get("machine", {}).get("cpus", 1)
    pipe = doc.get("pipeline", [])
    c.expect({f.get("direction") for f in pipe} == {"mesh_to_internet", "internet_to_mesh"},
             "pipeline: not both directions")
    c.expect({f.get("size") for f in pipe} >= {"64", "1420"}, "pipeline: not 64 and 1420")
    for i, f in enumerate(pipe):
        check_pipe(c, f, i, tsc)
    peer = doc.get("single_peer", [])
    c.expect({(f.get("stage"), f.get("size"), f.get("lcores"), f.get("own_peers")) for f in peer}
             >= {(st, sz, n, own) for st in ("decrypt", "encrypt") for sz in ("64", "1420")
                 for n, own in ((1, False), (2, False), (2, True))},
             "single_peer: not decrypt and encrypt, 64 and 1420 bytes, on 1 lcore, 2 sharing "
             "the peer and 2 with a peer each")
    for i, f in enumerate(peer):
        check_peer(c, f, i, tsc, cpus)


def check_doc(doc):
    c = Checker()
    check_head(c, doc)
    figs = doc.get("figures", [])
    c.expect({f.get("direction") for f in figs} == DIRS, "figures: not every direction")
    c.expect({f.get("size") for f in figs} >= SIZES, "figures: not every size")
    c.expect(any(f.get("workers", 0) >= 2 for f in figs), "figures: no run with 2 workers")
    for i, f in enumerate(figs):
        check_figure(c, f, i)
    check_new_lines(c, doc)
    return c.errors


def main(argv):
    if len(argv) == 3 and argv[1] == "--file":
        path = argv[2]
    elif len(argv) == 3:
        path = argv[2]
        run = subprocess.run([argv[1], "--quick", "--json", path], capture_output=True,
                             text=True, timeout=110)
        sys.stdout.write(run.stdout)
        if run.returncode != 0:
            print(f"mg_bench exited {run.returncode}:\n{run.stderr}")
            return 1
        if "cyc/pkt" not in run.stdout:
            print("mg_bench printed no table")
            return 1
    else:
        print(__doc__)
        return 2
    try:
        with open(path) as fh:
            doc = json.load(fh)
    except (OSError, ValueError) as e:
        print(f"{path}: {e}")
        return 1
    errors = check_doc(doc)
    for e in errors:
        print("FAIL:", e)
    print(f"{len(doc.get('figures', []))} figures, {len(doc.get('pipeline', []))} pipeline, "
          f"{len(doc.get('single_peer', []))} single-peer lines, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
