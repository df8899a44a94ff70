#!/usr/bin/env python3
"""A logging HTTP proxy on 127.0.0.1 for the CLI tests.

One process serves both kinds of request:
  - absolute-form ("GET http://127.0.0.1:PORT/v2/ HTTP/1.1"), as a forward
    proxy named in http_proxy receives them: relayed to that host;
  - origin-form ("GET /v2/ HTTP/1.1"): relayed to --upstream (a reverse
    proxy, to see the headers a client sends to a registry).
Only GET and HEAD are relayed, and only to 127.0.0.1 or localhost; any
other target gets 403 and is logged. CONNECT gets 405.

Each request is one JSON line in --log:
  {"method": "GET", "target": "...", "form": "absolute"|"origin",
   "headers": {"name-lower": ["value", ...]}, "status": 200}
"""

import argparse
import http.client
import http.server
import json
import os
import socketserver
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlife  # noqa: E402

ALLOWED_HOSTS = ("127.0.0.1", "localhost")
# Hop-by-hop headers (RFC 9110 7.6.1) are not relayed.
HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization",
       "proxy-authenticate", "te", "trailer", "transfer-encoding",
       "upgrade"}


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _log(self, form, status):
        headers = {}
        for k, v in self.headers.items():
            headers.setdefault(k.lower(), []).append(v)
        line = json.dumps({"method": self.command, "target": self.path,
                           "form": form, "headers": headers,
                           "status": status})
        with self.server.log_lock:
            with open(self.server.log_path, "a") as f:
                f.write(line + "\n")

    def _fail(self, form, status):
        self._log(form, status)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _target(self):
        """(form, host, port, path) or None when not allowed."""
        if self.path.startswith("/"):
            host, port = self.server.upstream
            return "origin", host, port, self.path
        u = urllib.parse.urlsplit(self.path)
        if u.scheme != "http" or u.hostname not in ALLOWED_HOSTS:
            return "absolute", None, None, None
        path = u.path or "/"
        if u.query:
            path += "?" + u.query
        return "absolute", u.hostname, u.port or 80, path

    def _relay(self):
        form, host, port, path = self._target()
        if host is None or (form == "origin" and not self.server.upstream[0]):
            self._fail(form, 403)
            return
        out = {k: v for k, v in self.headers.items()
               if k.lower() not in HOP}
        out["Host"] = "%s:%d" % (host, port)
        try:
            c = http.client.HTTPConnection(host, port, timeout=30)
            c.request(self.command, path, headers=out)
            r = c.getresponse()
            body = r.read()
        except OSError:
            self._fail(form, 502)
            return
        self._log(form, r.status)
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        length = r.getheader("Content-Length")
        if self.command == "HEAD" and length is not None:
            self.send_header("Content-Length", length)
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        c.close()

    def do_GET(self):
        self._relay()

    def do_HEAD(self):
        self._relay()

    def do_CONNECT(self):
        self._fail("connect", 405)

    def do_POST(self):
        self._fail(self._target()[0], 405)



def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--upstream", default="",
                   help="host:port for origin-form requests")
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--owner-pid", type=int, default=0)
    a = p.parse_args()
    upstream = (None, None)
    if a.upstream:
        host, _, port = a.upstream.rpartition(":")
        if host not in ALLOWED_HOSTS:
            sys.exit("logproxy: upstream must be on 127.0.0.1")
        upstream = (host, int(port))
    srv = Server(("127.0.0.1", 0), Handler)
    srv.upstream = upstream
    srv.log_path = a.log
    srv.log_lock = threading.Lock()
    open(a.log, "a").close()
    serverlife.watch_owner(a.owner_pid)
    serverlife.publish_ports(a.port_file, [srv.server_address[1]])
    srv.serve_forever()


if __name__ == "__main__":
    main()
