#!/usr/bin/env python3
"""Query a running meshgate through the DPDK telemetry socket and print the reply.

Owns the client side of DPDK's telemetry v2 protocol for the tests and the demo: connect to
/var/run/dpdk/<instance>/dpdk_telemetry.v2 (AF_UNIX, SOCK_SEQPACKET), read the greeting JSON, send
one command such as /meshgate/stats, print the JSON reply (or flattened / summed numeric leaves).
"""
import argparse
import json
import os
import re
import socket
import sys

DEFAULT_RUNDIR = "/var/run/dpdk"


def socket_path(args):
    if args.socket:
        return args.socket
    return os.path.join(DEFAULT_RUNDIR, args.instance, "dpdk_telemetry.v2")


def query(path, command, timeout):
    """Send one command; return the decoded value of the reply (the command key stripped)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
        greeting = json.loads(sock.recv(65536).decode())
        bufsize = max(int(greeting.get("max_output_len", 16384)), 16384)
        sock.send(command.encode())
        reply = json.loads(sock.recv(bufsize).decode())
    finally:
        sock.close()
    key = command.split(",", 1)[0]
    if isinstance(reply, dict) and key in reply:
        return reply[key]
    return reply


def flatten(value, prefix=""):
    """Yield (dotted.path, number) for every numeric leaf; list items are indexed by position."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from flatten(v, f"{prefix}.{i}" if prefix else str(i))
    elif isinstance(value, bool):
        yield prefix, int(value)
    elif isinstance(value, (int, float)):
        yield prefix, value


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-i", "--instance", default=os.environ.get("MG_INSTANCE", "meshgate"),
                    help="meshgate instance (config key 'instance'); default meshgate")
    ap.add_argument("-s", "--socket", help="telemetry socket path (overrides --instance)")
    ap.add_argument("-t", "--timeout", type=float, default=3.0, help="seconds (default 3)")
    out = ap.add_mutually_exclusive_group()
    out.add_argument("--flat", action="store_true", help="print 'path value' per numeric leaf")
    out.add_argument("--sum", metavar="REGEX", help="print the sum of leaves whose path matches")
    out.add_argument("--get", metavar="PATH", help="print the leaf at this dotted path")
    ap.add_argument("command", help="e.g. /meshgate/stats, /meshgate/peers, /meshgate/nat")
    ap.add_argument("param", nargs="?", help="optional parameter (sent as 'command,param')")
    args = ap.parse_args()

    command = args.command if args.param is None else f"{args.command},{args.param}"
    path = socket_path(args)
    try:
        value = query(path, command, args.timeout)
    except (OSError, ValueError) as e:
        print(f"mgtelemetry: {path}: {e}", file=sys.stderr)
        return 2

    if args.flat:
        for p, v in flatten(value):
            print(p, v)
    elif args.sum is not None:
        rx = re.compile(args.sum)
        print(sum(v for p, v in flatten(value) if rx.search(p)))
    elif args.get is not None:
        leaves = dict(flatten(value))
        if args.get not in leaves:
            print(f"mgtelemetry: no numeric leaf {args.get}", file=sys.stderr)
            return 1
        print(leaves[args.get])
    else:
        print(json.dumps(value, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
