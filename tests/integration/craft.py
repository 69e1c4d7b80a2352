#!/usr/bin/env python3
"""Hand-made packets for the integration tests: deny probes and malformed traffic.

Owns packet crafting only (IPv4/ICMP/UDP/TCP with correct or deliberately wrong fields) and the
three ways of sending: into a TUN interface (wireguard-go then encrypts the packet as if the client
had routed it), as raw Ethernet frames on an interface (AF_PACKET), and as UDP datagrams.

  craft.py probes IFACE SRC DST...          ICMP echo, UDP :7, TCP SYN :80 per DST into TUN IFACE;
                                             a DST of the form A:25 sends a TCP SYN to port 25
  craft.py junk-wg HOST PORT                 wrong WireGuard sizes, types, indexes, macs (UDP)
  craft.py junk-frames IFACE DSTMAC SRC DST  truncated and lying IP/UDP headers, TTL 0/1 (Ethernet)
  craft.py junk-inner IFACE SRC DST          malformed inner packets and TTL 0/1 into TUN IFACE
"""
import os
import socket
import struct
import sys

ETH_P_IP = 0x0800


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(src, dst, proto, payload, ttl=64, ihl=5, total=None, flags_frag=0, bad_csum=False,
        version=4, ident=0x4d47):
    total = (ihl * 4 + len(payload)) if total is None else total
    hdr = struct.pack("!BBHHHBBH4s4s", (version << 4) | (ihl & 0xF), 0, total & 0xFFFF, ident,
                      flags_frag, ttl, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    opts = b"\0" * max(0, ihl * 4 - 20)
    c = csum(hdr + opts)
    if bad_csum:
        c ^= 0x5A5A
    hdr = hdr[:10] + struct.pack("!H", c) + hdr[12:]
    return hdr + opts + payload


def pseudo(src, dst, proto, l4):
    return struct.pack("!4s4sBBH", socket.inet_aton(src), socket.inet_aton(dst), 0, proto, len(l4))


def icmp_echo(ident=0x4d47, seq=1, data=b"meshgate-probe"):
    m = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def udp(src, dst, sport, dport, data, length=None):
    ln = (8 + len(data)) if length is None else length
    u = struct.pack("!HHHH", sport, dport, ln & 0xFFFF, 0) + data
    c = csum(pseudo(src, dst, 17, u) + u) or 0xFFFF
    return u[:6] + struct.pack("!H", c) + u[8:]


def tcp_syn(src, dst, sport, dport, seq=0x4d470001):
    t = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    c = csum(pseudo(src, dst, 6, t) + t)
    return t[:16] + struct.pack("!H", c) + t[18:]


def tun_sender(iface):
    """An AF_PACKET socket that hands IPv4 packets to a TUN device for transmission: wireguard-go
    reads them as if the kernel had routed them there (no routing table involved)."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    s.bind((iface, ETH_P_IP))
    return lambda pkt: s.sendto(pkt, (iface, ETH_P_IP))


def cmd_probes(iface, src, dsts):
    send = tun_sender(iface)
    n = 0
    for d in dsts:
        if d.endswith(":25"):
            ip = d[:-3]
            send(ip4(src, ip, 6, tcp_syn(src, ip, 40025, 25)))
            n += 1
            continue
        send(ip4(src, d, 1, icmp_echo()))
        send(ip4(src, d, 17, udp(src, d, 40007, 7, b"probe")))
        send(ip4(src, d, 6, tcp_syn(src, d, 40080, 80)))
        n += 3
    print(f"sent {n} probes")


def cmd_junk_wg(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rnd = os.urandom
    msgs = [b"", b"\x01", b"\x04\0\0"]
    for typ, good in ((1, 148), (2, 92), (3, 64), (4, 32)):
        for size in (good - 1, good + 1, 4, 16):   # wrong sizes for every type
            msgs.append(bytes([typ, 0, 0, 0]) + rnd(max(0, size - 4)))
    for typ in (0, 5, 7, 255):                      # unknown types at plausible sizes
        for size in (32, 92, 148):
            msgs.append(bytes([typ, 0, 0, 0]) + rnd(size - 4))
    msgs.append(bytes([1, 0, 0, 0]) + rnd(144))     # initiation of the right size, bad mac1
    msgs.append(bytes([2, 0, 0, 0]) + rnd(88))      # response: unknown receiver, bad mac1
    msgs.append(bytes([3, 0, 0, 0]) + rnd(60))      # cookie reply for an unknown index
    for ln in (32, 48, 200, 1400):                  # data for unknown receiver indexes
        msgs.append(bytes([4, 0, 0, 0]) + rnd(ln - 4))
    msgs.append(bytes([4, 1, 2, 3]) + rnd(60))      # reserved bytes non-zero
    sent = 0
    for _ in range(20):
        for m in msgs:
            s.sendto(m, (host, port))
            sent += 1
    print(f"sent {sent} malformed WireGuard datagrams")


def cmd_junk_frames(iface, dstmac, src, dst):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    mac = bytes.fromhex(dstmac.replace(":", ""))
    eth = mac + s.getsockname()[4][:6] + struct.pack("!H", ETH_P_IP)
    wgport = 51820
    good_udp = udp(src, dst, 40000, wgport, b"\x04\0\0\0" + b"\0" * 28)
    frames = [
        mac + b"\x02\0\0\0\0\x01",                             # truncated Ethernet header
        eth,                                                   # Ethernet only
        eth + ip4(src, dst, 17, good_udp)[:12],                # truncated IP header
        eth + ip4(src, dst, 17, good_udp, ihl=3),              # IHL below 5
        eth + ip4(src, dst, 17, good_udp, ihl=15),             # IHL beyond the packet
        eth + ip4(src, dst, 17, good_udp, total=2000),         # total length lies (too long)
        eth + ip4(src, dst, 17, good_udp, total=24),           # total length lies (too short)
        eth + ip4(src, dst, 17, good_udp, bad_csum=True),      # wrong header checksum
        eth + ip4(src, dst, 17, good_udp, version=6),          # version 6 in an IPv4 frame
        eth + ip4(src, dst, 17, good_udp, flags_frag=0x2000),  # first fragment
        eth + ip4(src, dst, 17, good_udp, flags_frag=0x0010),  # later fragment
        eth + ip4(src, dst, 17, udp(src, dst, 40000, wgport, b"\x04", length=300)),  # UDP length > IP
        eth + ip4(src, dst, 17, udp(src, dst, 40000, wgport, b"\x04" * 40, length=4)),  # UDP len < 8
        eth + ip4(src, dst, 17, good_udp[:5]),                 # truncated UDP header
        eth + ip4(src, dst, 99, b"\0" * 40),                   # unsupported protocol to us
        mac + eth[6:12] + b"\x88\xb5" + b"\0" * 46,            # unknown ethertype
    ]
    for ttl in (0, 1):                                         # inner-looking packets, TTL 0/1
        frames.append(eth + ip4(src, "192.0.2.80", 1, icmp_echo(), ttl=ttl))
        frames.append(eth + ip4(src, "192.0.2.80", 17, udp(src, "192.0.2.80", 40001, 7, b"x"), ttl=ttl))
        frames.append(eth + ip4(src, dst, 17, good_udp, ttl=ttl))
    sent = 0
    for _ in range(20):
        for f in frames:
            try:
                s.send(f if len(f) >= 60 or len(f) < 14 else f + b"\0" * (60 - len(f)))
                sent += 1
            except OSError:
                pass
    print(f"sent {sent} malformed frames")


def cmd_junk_inner(iface, src, dst):
    send = tun_sender(iface)
    u = udp(src, dst, 40002, 7, b"inner")
    pkts = [
        ip4(src, dst, 1, icmp_echo(), ttl=1),
        ip4(src, dst, 1, icmp_echo(), ttl=0),
        ip4(src, dst, 17, u, ttl=1),
        ip4(src, dst, 17, u, bad_csum=True),
        ip4(src, dst, 17, u, ihl=4),
        ip4(src, dst, 17, u, total=1000),
        ip4(src, dst, 17, u, flags_frag=0x2000),
        ip4(src, dst, 17, udp(src, dst, 40002, 7, b"x", length=500)),
        ip4("100.64.9.9", dst, 1, icmp_echo()),                 # source the peer may not use
        ip4(src, dst, 99, b"\0" * 20),                           # unsupported protocol
        ip4(src, dst, 6, tcp_syn(src, dst, 40003, 80)[:10]),     # truncated TCP
    ]
    sent = 0
    for _ in range(10):
        for p in pkts:
            try:
                send(p)
                sent += 1
            except OSError:
                pass
    print(f"sent {sent} malformed inner packets")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "probes":
        cmd_probes(a[0], a[1], a[2:])
    elif cmd == "junk-wg":
        cmd_junk_wg(a[0], int(a[1]))
    elif cmd == "junk-frames":
        cmd_junk_frames(*a[:4])
    elif cmd == "junk-inner":
        cmd_junk_inner(*a[:3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
