#!/usr/bin/env python3
"""A WireGuard handshake-initiation flood for the cookie/under-load test.

Owns building initiations that pass the responder's first check (a valid mac1) but fail later
(random ephemeral, static and timestamp fields), sending them as fast as python can from several
UDP sockets, and the cookie side of the protocol: cookie replies are decrypted (XChaCha20-Poly1305
through libsodium) and, on half of the sockets, later initiations carry a valid mac2 so they reach
the per-source rate limiter. Formulas from the WireGuard paper, section 5.4:

  mac1 = MAC(HASH("mac1----" || S_pub_responder), msg[0:116])
  mac2 = MAC(cookie, msg[0:132])
  cookie = XAEAD(HASH("cookie--" || S_pub_responder), nonce, encrypted_cookie, aad = mac1 sent)

HASH is BLAKE2s-256, MAC is keyed BLAKE2s-128.

  wgflood.py HOST PORT GW_PUB_BASE64 SECONDS STOPFILE [SOCKETS]

Runs until SECONDS pass or STOPFILE exists, then prints one line of totals:
"sent N cookie_replies N cookies_opened N mac2_sent N seconds S".
"""
import base64
import ctypes
import ctypes.util
import hashlib
import os
import select
import socket
import struct
import sys
import time

INIT_LEN, MAC1_OFF, MAC2_OFF, COOKIE_REPLY_LEN = 148, 116, 132, 64
POOL = 512


def blake2s(data, key=b"", size=32):
    return hashlib.blake2s(data, digest_size=size, key=key).digest()


def sodium_xaead_open():
    """libsodium's crypto_aead_xchacha20poly1305_ietf_decrypt, or None when not loadable."""
    name = ctypes.util.find_library("sodium")
    if not name:
        return None
    lib = ctypes.CDLL(name)
    if lib.sodium_init() < 0:
        return None
    fn = lib.crypto_aead_xchacha20poly1305_ietf_decrypt

    def open_(key, nonce, ct, aad):
        out = ctypes.create_string_buffer(len(ct))
        outlen = ctypes.c_ulonglong(0)
        rc = fn(out, ctypes.byref(outlen), None, ct, ctypes.c_ulonglong(len(ct)), aad,
                ctypes.c_ulonglong(len(aad)), nonce, key)
        return out.raw[:outlen.value] if rc == 0 else None
    return open_


def initiation(index, mac1_key):
    """Type 1, sender index, random ephemeral/static/timestamp, valid mac1, zero mac2."""
    body = struct.pack("<I", 1) + struct.pack("<I", index) + os.urandom(32 + 48 + 28)
    return body + blake2s(body, mac1_key, 16) + b"\0" * 16


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    host, port, gw_pub = sys.argv[1], int(sys.argv[2]), base64.b64decode(sys.argv[3])
    seconds, stopfile = float(sys.argv[4]), sys.argv[5]
    nsock = int(sys.argv[6]) if len(sys.argv) > 6 else 4
    mac1_key = blake2s(b"mac1----" + gw_pub)
    cookie_key = blake2s(b"cookie--" + gw_pub)
    xaead_open = sodium_xaead_open()

    pool = [initiation(0x4d470000 + i, mac1_key) for i in range(POOL)]
    mac1_of = {struct.unpack_from("<I", m, 4)[0]: m[MAC1_OFF:MAC2_OFF] for m in pool}
    socks = []
    for _ in range(nsock):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        s.connect((host, port))
        socks.append(s)
    cookies = [None] * nsock          # odd sockets use theirs for mac2; even ones never do
    sent = replies = opened = mac2_sent = 0
    start = time.monotonic()
    end = start + seconds
    i = 0
    while True:
        if i % 256 == 0:
            if time.monotonic() >= end or os.path.exists(stopfile):
                break
            for k, s in enumerate(socks):
                while True:
                    try:
                        r = s.recv(256)
                    except (BlockingIOError, ConnectionRefusedError):
                        break
                    if len(r) != COOKIE_REPLY_LEN or r[0] != 3:
                        continue
                    replies += 1
                    idx = struct.unpack_from("<I", r, 4)[0]
                    if xaead_open and idx in mac1_of:
                        c = xaead_open(cookie_key, r[8:32], r[32:64], mac1_of[idx])
                        if c is not None:
                            opened += 1
                            if k % 2:
                                cookies[k] = c
        k = i % nsock
        m = pool[i % POOL]
        with_mac2 = cookies[k] is not None
        if with_mac2:
            m = m[:MAC2_OFF] + blake2s(m[:MAC2_OFF], cookies[k], 16)
        try:
            socks[k].send(m)
            sent += 1
            mac2_sent += with_mac2
        except (BlockingIOError, ConnectionRefusedError, OSError):
            select.select([], [socks[k]], [], 0.001)
        i += 1
    print(f"sent {sent} cookie_replies {replies} cookies_opened {opened} mac2_sent {mac2_sent} "
          f"seconds {time.monotonic() - start:.1f}")


if __name__ == "__main__":
    main()
