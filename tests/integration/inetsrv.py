#!/usr/bin/env python3
"""The "internet" servers of the integration tests, run inside the router namespace R.

http ADDR PORT: answers every GET with the client address it saw (first line) so a test can tell
whether NAT happened; udpecho ADDR PORT: echoes datagrams; tcplog ADDR PORT FILE: accepts
connections and appends each peer address to FILE (a denied port that passes becomes visible).
"""
import http.server
import socket
import socketserver
import sys


class WhoAmI(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"{self.client_address[0]}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Client-Port", str(self.client_address[1]))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("http: %s %s\n" % (self.client_address[0], fmt % args))


class ThreadedHTTP(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def udpecho(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)


def tcplog(addr, port, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    while True:
        c, peer = s.accept()
        with open(path, "a") as f:
            f.write(f"{peer[0]} {peer[1]}\n")
        c.close()


def main():
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "http":
        ThreadedHTTP((addr, port), WhoAmI).serve_forever()
    elif mode == "udpecho":
        udpecho(addr, port)
    elif mode == "tcplog":
        tcplog(addr, port, sys.argv[4])
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
