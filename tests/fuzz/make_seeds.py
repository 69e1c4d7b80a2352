#!/usr/bin/env python3
"""Write the seed inputs of tests/fuzz/corpus/: one well-formed example per parser path.

Packets are assembled from the RFC field layouts with Python's own checksum, independent of the
C code. Re-run after changing the seeds: python3 tests/fuzz/make_seeds.py tests/fuzz/corpus
"""
import os
import socket
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(src, dst, proto, payload, ttl=64, frag=0x4000, options=b""):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), 0x1234, frag, ttl,
                      proto, 0, socket.inet_aton(src), socket.inet_aton(dst)) + options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def pseudo(src, dst, proto, l4):
    return socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, len(l4))


def tcp(src, dst, sport, dport, flags, options=b"", data=b""):
    doff = (20 + len(options)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, doff << 4, flags, 64240, 0, 0)
    seg += options + data
    c = csum(pseudo(src, dst, 6, seg) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(src, dst, sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = csum(pseudo(src, dst, 17, seg) + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def icmp(typ, code, rest, data):
    m = struct.pack("!BBH4s", typ, code, 0, rest) + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, socket.inet_aton(spa), tha,
                       socket.inet_aton(tpa))


def seeds():
    c, s, gw = "100.64.0.2", "192.0.2.80", "198.51.100.1"
    mss_opts = b"\x02\x04\x05\xb4\x04\x02\x08\x0a" + b"\0" * 8 + b"\x01\x03\x03\x07"
    odd_opts = b"\x01\x02\x04\x23\x28\x01\x01\x00"
    yield "tcp_syn_mss", ip4(c, s, 6, tcp(c, s, 40000, 443, 0x02, mss_opts))
    yield "tcp_syn_mss_odd", ip4(c, s, 6, tcp(c, s, 40001, 80, 0x12, odd_opts))
    yield "udp_dns", ip4(c, s, 17, udp(c, s, 5353, 53, b"\x12\x34" + b"\0" * 10))
    yield "icmp_echo", ip4(c, gw, 1, icmp(8, 0, b"\xbe\xef\x00\x01", b"abcdefgh" * 4), ttl=1)
    yield "icmp_port_unreach", ip4(s, c, 1, icmp(3, 3, b"\0" * 4,
                                                 ip4(c, s, 17, udp(c, s, 1, 2, b"x"))[:28]))
    yield "ip_options_udp", ip4(c, s, 17, udp(c, s, 1000, 2000, b"opt"), options=b"\x01\x01\x01\x00")
    yield "fragment_first", ip4(c, s, 17, udp(c, s, 1, 2, b"A" * 64), frag=0x2000)
    wg_init = struct.pack("<I", 1) + bytes(range(144))
    yield "wg_outer_init", ip4("198.51.100.10", gw, 17, udp("198.51.100.10", gw, 40000, 51820,
                                                            wg_init))
    yield "arp_request", arp(1, b"\x02\x11\x22\x33\x44\x55", "198.51.100.10", b"\0" * 6, gw)
    yield "arp_probe", arp(1, b"\x02\x11\x22\x33\x44\x55", "0.0.0.0", b"\0" * 6, gw)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, "seed_" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
