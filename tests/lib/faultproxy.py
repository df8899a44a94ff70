#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of a test registry on 127.0.0.1.

It forwards every request to one upstream registry (http or https) and,
as its flags select, breaks the answers the way real registries, proxies
and CDNs have been seen to break them (see /work/shared/cases.md). Each
request is recorded in --log as one line:

  METHOD PATH host=HOST auth=no|Basic|Bearer|OTHER accept="..."
      range="..." side=front|redirected -> STATUS

Python standard library only; one thread per connection.
"""

import argparse
import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlife  # noqa: E402

# Bounds: a request body we buffer, a response body we buffer to rewrite.
MAX_REQUEST_BODY = 256 * 1024 * 1024
MAX_REWRITE_BODY = 256 * 1024 * 1024
MAX_DELAY = 300
CHUNK = 64 * 1024
UPSTREAM_TIMEOUT = 120

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate",
	      "proxy-authorization", "te", "trailer", "trailers",
	      "transfer-encoding", "upgrade", "content-length"}

# Distribution spec: /v2/<name>/manifests/<reference>, /v2/<name>/blobs/<digest>.
ROUTE = re.compile(r"^/v2/(?P<name>.+)/(?P<kind>manifests|blobs)/"
		   r"(?P<ref>[^/]+)$")
DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")

SCHEMA1_TYPE = "application/vnd.docker.distribution.manifest.v1+prettyjws"
REDIRECT_MARK = "preflight_redirected"

ERROR_CODES = {401: ("UNAUTHORIZED", "authentication required"),
	       403: ("DENIED", "requested access to the resource is denied"),
	       404: ("MANIFEST_UNKNOWN", "manifest unknown"),
	       429: ("TOOMANYREQUESTS", "too many requests"),
	       500: ("UNKNOWN", "unknown error"),
	       502: ("UNAVAILABLE", "bad gateway"),
	       503: ("UNAVAILABLE", "service unavailable")}

HTML_PAGE = b"""<!DOCTYPE html>
<html><head><title>Sign in to continue</title></head>
<body><h1>Network login required</h1>
<p>Please sign in to use this network.</p>
<form method="post" action="/login"><input name="user"></form>
</body></html>
"""


def schema1_digest(raw):
	"""Digest of a signed schema 1 manifest: that of its JWS payload.

	libtrust pretty JWS: payload = raw[:formatLength] + formatTail, both
	read from the first signature's protected header.
	"""
	try:
		doc = json.loads(raw)
		prot = doc["signatures"][0]["protected"]
		prot += "=" * (-len(prot) % 4)
		head = json.loads(base64.urlsafe_b64decode(prot))
		tail = head["formatTail"]
		tail += "=" * (-len(tail) % 4)
		payload = raw[:head["formatLength"]] + \
			base64.urlsafe_b64decode(tail)
	except (ValueError, KeyError, IndexError, TypeError):
		payload = raw
	return "sha256:" + hashlib.sha256(payload).hexdigest()


def corrupt(body):
	"""BODY with one byte changed.

	A JSON body keeps parsing: the first hex digit after "sha256:" is
	changed, so only a digest check can catch it. Anything else has its
	middle byte flipped.
	"""
	if not body:
		return body
	b = bytearray(body)
	i = body.find(b"sha256:")
	if body[:1] == b"{" and i >= 0 and len(body) > i + 7:
		j = i + 7
		b[j] = ord("1") if b[j] == ord("0") else ord("0")
		return bytes(b)
	b[len(b) // 2] ^= 0x01
	return bytes(b)


def auth_kind(value):
	if not value:
		return "no"
	scheme = value.split(None, 1)[0].lower()
	return {"basic": "Basic", "bearer": "Bearer"}.get(scheme, "OTHER")


class Handler(BaseHTTPRequestHandler):
	"""Every method goes through handle_any()."""

	protocol_version = "HTTP/1.1"
	server_version = "preflight-test-faultproxy"

	def log_message(self, fmt, *args):
		pass

	def do_GET(self):
		self.handle_any()

	do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

	# -- request side -------------------------------------------------

	def read_body(self):
		"""The request body (Content-Length or chunked), or b""."""
		if self.headers.get("Transfer-Encoding", "").lower() == \
		   "chunked":
			return self.read_chunked()
		n = int(self.headers.get("Content-Length") or 0)
		if n > MAX_REQUEST_BODY:
			raise ValueError("request body over MAX_REQUEST_BODY")
		return self.rfile.read(n) if n > 0 else b""

	def read_chunked(self):
		out = bytearray()
		while True:
			line = self.rfile.readline(1024)
			size = int(line.split(b";")[0].strip() or b"0", 16)
			if size == 0:
				while self.rfile.readline(1024) not in \
				      (b"\r\n", b"\n", b""):
					pass
				return bytes(out)
			if len(out) + size > MAX_REQUEST_BODY:
				raise ValueError("chunked body over "
						 "MAX_REQUEST_BODY")
			out += self.rfile.read(size)
			self.rfile.readline(1024)

	def record(self, status):
		h = self.headers
		accept = ", ".join(h.get_all("Accept") or [])
		line = ('%s %s host=%s auth=%s accept="%s" range="%s" '
			'side=%s -> %s' % (self.command, self.path,
					   h.get("Host", ""),
					   auth_kind(h.get("Authorization")),
					   accept, h.get("Range", ""),
					   self.side, status))
		srv = self.server
		with srv.log_lock:
			with open(srv.opts.log, "a", encoding="utf-8") as f:
				f.write(line + "\n")

	# -- canned answers -------------------------------------------------

	def answer(self, status, body=b"", ctype=None, headers=None):
		"""Log, then send a complete answer that never saw upstream."""
		self.record(status)
		self.send_response(status)
		if ctype:
			self.send_header("Content-Type", ctype)
		for k, v in (headers or []):
			self.send_header(k, v)
		self.send_header("Content-Length", str(len(body)))
		self.end_headers()
		if self.command != "HEAD":
			self.wfile.write(body)

	def answer_error(self, status, code, message, headers=None):
		body = json.dumps({"errors": [{"code": code,
					       "message": message,
					       "detail": None}]}).encode()
		self.answer(status, body, "application/json", headers)

	# -- dispatch -----------------------------------------------------------

	def handle_any(self):
		o = self.server.opts
		url = urllib.parse.urlsplit(self.path)
		query = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
		self.side = "front"
		if any(k == REDIRECT_MARK for k, _ in query):
			self.side = "redirected"
			query = [(k, v) for k, v in query if k != REDIRECT_MARK]
		self.upath = url.path + ("?" + urllib.parse.urlencode(query)
					 if query else "")
		m = ROUTE.match(url.path)
		self.kind = m.group("kind") if m else "other"
		ref = m.group("ref") if m else ""
		self.by_digest = bool(DIGEST.match(ref))
		if self.kind == "blobs" and not self.by_digest:
			self.kind = "other"
		try:
			self.body = self.read_body()
		except ValueError as e:
			self.answer_error(413, "SIZE_INVALID", str(e))
			return
		if self.fault():
			return
		if o.delay and self.kind != "other":
			time.sleep(min(o.delay, MAX_DELAY))
		self.forward()

	def fault(self):
		"""Answer with a fault when a flag asks for one; True if so."""
		o = self.server.opts
		get = self.command == "GET"
		manifest = self.kind == "manifests" and \
			self.command in ("GET", "HEAD")
		if o.bearer_challenge and self.side == "front" and \
		   self.bearer_gate():
			return True
		if self.side == "redirected" and o.reject_auth_on_redirect \
		   and self.headers.get("Authorization"):
			self.answer(400, b"<Error><Code>InvalidArgument</Code>"
				    b"<Message>Only one auth mechanism allowed"
				    b"</Message></Error>", "application/xml")
			return True
		# Docker Hub counts manifest GETs only; HEAD stays free.
		if o.rate_limit is not None and get and \
		   self.kind == "manifests":
			self.answer_error(429, "TOOMANYREQUESTS",
					  "You have reached your pull rate "
					  "limit. You may increase the limit "
					  "by authenticating and upgrading",
					  [("RateLimit-Limit", "100;w=21600"),
					   ("RateLimit-Remaining", "0;w=21600"),
					   ("Retry-After", str(o.rate_limit))])
			return True
		if o.status_manifests and manifest:
			code, msg = ERROR_CODES.get(o.status_manifests,
						    ("UNKNOWN", "unknown error"))
			self.answer_error(o.status_manifests,
					  o.error_code or code,
					  o.error_message or msg)
			return True
		if o.html_page and manifest:
			self.answer(200, HTML_PAGE, "text/html; charset=utf-8")
			return True
		if o.head_status and manifest and self.command == "HEAD":
			self.answer(o.head_status)
			return True
		if o.serve_schema1 and manifest:
			with open(o.serve_schema1, "rb") as f:
				raw = f.read()
			hdrs = [("Docker-Content-Digest", schema1_digest(raw))]
			if o.strip_digest_header:
				hdrs = []
			self.answer(200, raw, SCHEMA1_TYPE, hdrs)
			return True
		if o.redirect_blobs and self.side == "front" and \
		   self.kind == "blobs" and self.command in ("GET", "HEAD"):
			self.redirect_blob()
			return True
		return False

	def bearer_gate(self):
		"""Be the auth gate: serve the realm, challenge, check tokens."""
		srv = self.server
		url = urllib.parse.urlsplit(self.path)
		if url.path == srv.realm_path:
			with srv.log_lock:
				with open(srv.opts.realm_log, "a",
					  encoding="utf-8") as f:
					f.write(url.query + "\n")
			body = json.dumps({"token": srv.token,
					   "access_token": srv.token,
					   "expires_in": 300}).encode()
			self.answer(200, body, "application/json")
			return True
		if not url.path.startswith("/v2"):
			return False
		if self.headers.get("Authorization") == "Bearer " + srv.token:
			return False
		self.answer_error(401, "UNAUTHORIZED", "authentication required",
				  [("WWW-Authenticate",
				    'Bearer realm="%s"' % srv.realm)])
		return True

	def redirect_blob(self):
		o = self.server.opts
		host = o.redirect_blobs
		if ":" not in host:
			host += ":%d" % self.server.server_address[1]
		sep = "&" if "?" in self.upath else "?"
		loc = "%s://%s%s%s%s=1" % (self.server.scheme, host, self.upath,
					   sep, REDIRECT_MARK)
		self.answer(307, b"", None, [("Location", loc)])

	# -- forwarding ---------------------------------------------------

	def upstream_headers(self):
		o = self.server.opts
		hdrs = {}
		for k, v in self.headers.items():
			if k.lower() in HOP_BY_HOP:
				continue
			if k.lower() in ("range", "if-range") and \
			   o.ignore_range and self.kind == "blobs":
				continue
			if k.lower() == "authorization" and \
			   (o.bearer_challenge or self.side == "redirected"):
				continue
			if k.lower() in hdrs:
				hdrs[k.lower()] = (k, hdrs[k.lower()][1] + ", " + v)
			else:
				hdrs[k.lower()] = (k, v)
		replaced = o.bearer_challenge or self.side == "redirected"
		if replaced and o.upstream_auth:
			cred = base64.b64encode(o.upstream_auth.encode()).decode()
			hdrs["authorization"] = ("Authorization", "Basic " + cred)
		hdrs["x-forwarded-proto"] = ("X-Forwarded-Proto",
					     self.server.scheme)
		if self.body or self.command in ("PUT", "POST", "PATCH"):
			hdrs["content-length"] = ("Content-Length",
						  str(len(self.body)))
		return dict(hdrs.values())

	def connect(self):
		srv = self.server
		if srv.up_scheme == "https":
			return http.client.HTTPSConnection(
				srv.up_host, srv.up_port, timeout=UPSTREAM_TIMEOUT,
				context=srv.up_ctx)
		return http.client.HTTPConnection(srv.up_host, srv.up_port,
						  timeout=UPSTREAM_TIMEOUT)

	def forward(self):
		conn = self.connect()
		try:
			conn.request(self.command, self.upath, body=self.body or None,
				     headers=self.upstream_headers())
			resp = conn.getresponse()
			self.relay(resp)
		except OSError as e:
			self.answer_error(502, "UNAVAILABLE",
					  "upstream: %s" % e)
		finally:
			conn.close()

	def relay(self, resp):
		o = self.server.opts
		manifest = self.kind == "manifests"
		hdrs = []
		for k, v in resp.getheaders():
			kl = k.lower()
			if kl in HOP_BY_HOP:
				continue
			if kl == "docker-content-digest" and \
			   o.strip_digest_header:
				continue
			if kl == "content-type" and o.content_type and \
			   manifest and resp.status == 200:
				v = o.content_type
			hdrs.append((k, v))
		length = resp.getheader("Content-Length")
		rewrite = o.corrupt_body and self.command == "GET" and \
			self.by_digest and resp.status == 200 and \
			self.kind in ("manifests", "blobs")
		if self.command == "HEAD":
			if length is not None:
				hdrs.append(("Content-Length", length))
			self.record(resp.status)
			self.send_head(resp.status, resp.reason, hdrs)
			return
		if rewrite or length is None:
			body = resp.read(MAX_REWRITE_BODY + 1)
			if rewrite:
				body = corrupt(body)
			hdrs.append(("Content-Length", str(len(body))))
			self.record(resp.status)
			self.send_head(resp.status, resp.reason, hdrs)
			self.wfile.write(body)
			return
		hdrs.append(("Content-Length", length))
		self.record(resp.status)
		self.send_head(resp.status, resp.reason, hdrs)
		while True:
			chunk = resp.read(CHUNK)
			if not chunk:
				break
			self.wfile.write(chunk)

	def send_head(self, status, reason, hdrs):
		self.send_response(status, reason)
		for k, v in hdrs:
			self.send_header(k, v)
		self.end_headers()


class Server(ThreadingHTTPServer):
	daemon_threads = True
	allow_reuse_address = True



def parse_args(argv):
	p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	p.add_argument("--upstream", required=True,
		       help="host:port or http(s)://host:port of the registry")
	p.add_argument("--upstream-ca", help="CA file for an https upstream "
		       "(default: do not verify)")
	p.add_argument("--upstream-auth", metavar="USER:PASSWORD",
		       help="Basic credentials for requests whose own "
		       "Authorization the proxy drops")
	p.add_argument("--port", type=int, default=0)
	p.add_argument("--owner-pid", type=int,
		       help="exit when this process is gone")
	p.add_argument("--port-file", required=True)
	p.add_argument("--tls-cert", help="serve https with this cert")
	p.add_argument("--tls-key")
	p.add_argument("--log", default=os.devnull,
		       help="one line per request: method, path, Host, "
		       "Authorization scheme, Accept, Range, side, status")
	p.add_argument("--realm-log", default=os.devnull,
		       help="query strings received by the --bearer-challenge "
		       "realm")
	p.add_argument("--head-status", type=int, metavar="CODE",
		       help="answer HEAD on manifests with CODE (405, 403, "
		       "404); GET is forwarded")
	p.add_argument("--strip-digest-header", action="store_true",
		       help="drop Docker-Content-Digest from every answer")
	p.add_argument("--content-type", metavar="TYPE",
		       help="rewrite the Content-Type of 200 manifest answers")
	p.add_argument("--html-page", action="store_true",
		       help="answer manifest GET/HEAD with a 200 text/html "
		       "login page")
	p.add_argument("--rate-limit", type=int, metavar="RETRY_AFTER",
		       help="answer manifest GETs with 429 TOOMANYREQUESTS, "
		       "RateLimit-* headers and Retry-After; HEAD is "
		       "forwarded")
	p.add_argument("--bearer-challenge", action="store_true",
		       help="gate /v2/ with 401 'Bearer realm=.../auth/issue' "
		       "(no service, no scope), serve that realm, log its "
		       "query to --realm-log, accept only the token it issues")
	p.add_argument("--corrupt-body", action="store_true",
		       help="change one byte of manifests and blobs fetched "
		       "by digest (JSON stays valid)")
	p.add_argument("--ignore-range", action="store_true",
		       help="drop Range from blob requests (upstream "
		       "answers 200 with the whole blob)")
	p.add_argument("--redirect-blobs", metavar="HOST[:PORT]",
		       help="answer blob GET/HEAD with 307 to the same path "
		       "on HOST (default port: this proxy's), marked "
		       "side=redirected in the log; that side forwards "
		       "without the client's Authorization")
	p.add_argument("--reject-auth-on-redirect", action="store_true",
		       help="answer 400 (as S3 does) when a redirected blob "
		       "request carries Authorization")
	p.add_argument("--serve-schema1", metavar="FILE",
		       help="answer manifest GET/HEAD with FILE as a signed "
		       "schema 1 manifest")
	p.add_argument("--status-manifests", type=int, metavar="CODE",
		       help="answer manifest GET/HEAD with CODE and a "
		       "registry error body")
	p.add_argument("--error-code", help="registry error code for "
		       "--status-manifests")
	p.add_argument("--error-message")
	p.add_argument("--delay", type=float, default=0,
		       help="seconds to wait before forwarding manifest and "
		       "blob requests")
	return p.parse_args(argv)


def setup_upstream(srv, opts):
	up = opts.upstream
	if "://" not in up:
		up = "http://" + up
	u = urllib.parse.urlsplit(up)
	srv.up_scheme = u.scheme
	srv.up_host = u.hostname
	srv.up_port = u.port or (443 if u.scheme == "https" else 80)
	srv.up_ctx = None
	if u.scheme == "https":
		if opts.upstream_ca:
			srv.up_ctx = ssl.create_default_context(
				cafile=opts.upstream_ca)
		else:
			srv.up_ctx = ssl._create_unverified_context()


def main(argv):
	opts = parse_args(argv)
	srv = Server(("127.0.0.1", opts.port), Handler)
	srv.opts = opts
	srv.log_lock = threading.Lock()
	srv.scheme = "http"
	if opts.tls_cert:
		ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
		ctx.load_cert_chain(opts.tls_cert, opts.tls_key)
		# The handshake runs in the connection's thread, not accept().
		srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
					     do_handshake_on_connect=False)
		srv.scheme = "https"
	setup_upstream(srv, opts)
	port = srv.server_address[1]
	srv.realm_path = "/auth/issue"
	srv.realm = "%s://127.0.0.1:%d%s" % (srv.scheme, port, srv.realm_path)
	srv.token = secrets.token_urlsafe(24)
	serverlife.watch_owner(opts.owner_pid)
	serverlife.publish_ports(opts.port_file, [port])
	try:
		srv.serve_forever()
	except KeyboardInterrupt:
		pass
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
