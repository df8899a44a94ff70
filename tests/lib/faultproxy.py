#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of a test registry on 127.0.0.1.

It forwards every request to one upstream registry (http or https) and,
as its flags select, breaks the answers the way real registries, proxies
and CDNs have been seen to break them (see ../shared/cases.md beside the
checkout). Each
request is recorded in --log as one line:

  METHOD PATH host=HOST auth=no|Basic|Bearer|OTHER accept="..."
      scheme=http|https stage=STAGE|- range="..."
      side=front|redirected -> STATUS

--fault STAGE:FAULT breaks one kind of request (see STAGES and FAULTS):
the token server's realm (with --proxy-realm the Bearer challenges
relayed name this proxy as the realm), manifests by tag or by digest,
the config blob and layer blobs (told apart by the manifests relayed).
With --tls, a connection that does not start a TLS handshake is served
as plain HTTP on the same port, so that a redirect can lead there.

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
import socket
import ssl
import struct
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

# Where --fault applies, and what it does there.
STAGES = ("token", "tag", "digest", "config", "layer")
FAULTS = {
	"reset": "close the connection with a TCP reset before any answer",
	"reset-mid": "send the headers and half the body, then a reset",
	"truncate": "send the headers and half the body, then close",
	"drip": "send the headers, then the body one byte every 0.5 s",
	"500": "answer 500 every time", "502": "answer 502 every time",
	"503": "answer 503 every time",
	"503once": "answer 503 to the first request only",
	"429": "answer 429 Retry-After 1 to the first request only",
	"429long": "answer 429 Retry-After 600 every time",
	"ctype": "serve the right body as text/html",
	"html": "answer 200 with an HTML login page",
	"mismatch": "change one byte of the body (JSON stays valid)",
	"big": "pad the body past 4 MiB (JSON stays valid)",
	"redirect-host": "307 to the same path on host 'localhost' (this "
	"proxy) once a request carries Authorization; there the proxy "
	"forwards with the last Bearer token it saw",
	"redirect-http": "the same over plain http (this proxy, same port; "
	"with --tls)",
}
# Faults that need the upstream's answer first; at the tag stage HEAD is
# answered 405 (as some registries do), so that the GET meets them.
BODY_FAULTS = ("reset-mid", "truncate", "drip", "ctype", "mismatch", "big")
BIG_BYTES = 4 * 1024 * 1024 + 4096
DRIP_PERIOD = 0.5
REALM_PATH = "/realm-via-proxy"

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


class BufferedAnswer:
	"""An upstream answer whose body was already read."""

	def __init__(self, resp, body):
		self.status, self.reason = resp.status, resp.reason
		self.body = body

	def read(self, n=-1):
		if n is None or n < 0:
			n = len(self.body)
		out, self.body = self.body[:n], self.body[n:]
		return out


class Handler(BaseHTTPRequestHandler):
	"""Every method goes through handle_any()."""

	protocol_version = "HTTP/1.1"
	server_version = "preflight-test-faultproxy"

	def log_message(self, fmt, *args):
		pass

	def setup(self):
		super().setup()
		self.scheme = "https" if isinstance(self.connection,
						    ssl.SSLSocket) else "http"

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
		line = ('%s %s host=%s auth=%s accept="%s" scheme=%s stage=%s '
			'range="%s" side=%s -> %s' % (
				self.command, self.path, h.get("Host", ""),
				auth_kind(h.get("Authorization")), accept,
				self.scheme, getattr(self, "stage", None) or "-",
				h.get("Range", ""), self.side, status))
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
		self.stage = self.stage_of(url.path)
		mine = self.headers.get("Authorization")
		if self.side == "front" and mine and \
		   mine.lower().startswith("bearer "):
			self.server.last_bearer = mine
		try:
			self.body = self.read_body()
		except ValueError as e:
			self.answer_error(413, "SIZE_INVALID", str(e))
			return
		if self.stage_fault():
			return
		if self.stage == "token":
			self.forward_realm(urllib.parse.urlencode(query))
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

	# -- stage faults ---------------------------------------------------

	def stage_of(self, path):
		"""Which --fault stage this request is, or None."""
		if path == REALM_PATH:
			return "token"
		if self.kind == "manifests":
			return "digest" if self.by_digest else "tag"
		if self.kind == "blobs":
			ref = path.rsplit("/", 1)[-1]
			srv = self.server
			with srv.log_lock:
				if ref in srv.configs:
					return "config"
				if ref in srv.layers:
					return "layer"
		return None

	def stage_fault(self):
		"""Apply the --fault of this request's stage; True if answered.
		Body faults are only noted here (self.body_fault) and applied
		to the upstream's answer in relay()."""
		srv = self.server
		self.body_fault = None
		if self.side != "front" or self.command not in ("GET", "HEAD"):
			return False
		fault = srv.faults.get(self.stage)
		if not fault:
			return False
		with srv.log_lock:
			srv.hits[self.stage] = srv.hits.get(self.stage, 0) + 1
			first = srv.hits[self.stage] == 1
		if fault in BODY_FAULTS:
			if self.stage == "tag" and self.command == "HEAD":
				self.answer(405)
				return True
			self.body_fault = fault
			return False
		if fault == "reset":
			self.record("reset")
			self.abort()
			return True
		if fault in ("500", "502", "503") or \
		   (fault == "503once" and first):
			code = int(fault[:3])
			name, msg = ERROR_CODES[code]
			self.answer_error(code, name, msg)
			return True
		if fault == "429" and first or fault == "429long":
			self.answer_error(429, "TOOMANYREQUESTS",
					  "too many requests",
					  [("Retry-After", "1" if fault == "429"
					    else "600")])
			return True
		if fault == "html":
			self.answer(200, HTML_PAGE, "text/html; charset=utf-8")
			return True
		# as a registry with a CDN does: once the client is let in
		if fault in ("redirect-host", "redirect-http") and \
		   self.headers.get("Authorization"):
			self.redirect_to(fault)
			return True
		return False

	def redirect_to(self, fault):
		port = self.server.server_address[1]
		scheme, host = self.scheme, "localhost:%d" % port
		if fault == "redirect-http":
			scheme, host = "http", "127.0.0.1:%d" % port
		sep = "&" if "?" in self.upath else "?"
		self.answer(307, b"", None, [("Location", "%s://%s%s%s%s=1" % (
			scheme, host, self.upath, sep, REDIRECT_MARK))])

	def abort(self):
		"""Close the connection with a TCP reset (SO_LINGER 0)."""
		try:
			self.wfile.flush()
		except OSError:
			pass
		try:
			self.connection.setsockopt(socket.SOL_SOCKET,
						   socket.SO_LINGER,
						   struct.pack("ii", 1, 0))
			self.connection.close()
		except OSError:
			pass
		self.close_connection = True

	def send_faulted(self, status, reason, hdrs, body):
		"""Send an upstream answer with self.body_fault applied."""
		fault = self.body_fault
		if fault == "mismatch":
			body = corrupt(body)
		elif fault == "big" and body[:1] == b"{":
			body = body + b" " * (BIG_BYTES - len(body))
		elif fault == "ctype":
			hdrs = [(k, v) for k, v in hdrs
				if k.lower() != "content-type"]
			hdrs.append(("Content-Type", "text/html"))
		hdrs = [(k, v) for k, v in hdrs
			if k.lower() != "content-length"]
		hdrs.append(("Content-Length", str(len(body))))
		self.record("%s %s" % (status, fault))
		self.send_head(status, reason, hdrs)
		if self.command == "HEAD":
			return
		half = body[:len(body) // 2]
		try:
			if fault == "drip":
				self.drip(body)
			elif fault in ("reset-mid", "truncate"):
				self.wfile.write(half)
				self.wfile.flush()
				if fault == "reset-mid":
					self.abort()
				else:
					self.close_connection = True
			else:
				self.wfile.write(body)
		except OSError:
			self.close_connection = True

	def drip(self, body):
		end = time.monotonic() + MAX_DELAY
		for i in range(len(body)):
			if time.monotonic() > end:
				break
			self.wfile.write(body[i:i + 1])
			self.wfile.flush()
			time.sleep(DRIP_PERIOD)
		self.close_connection = True

	def learn(self, body):
		"""Note the config and layer digests a manifest names."""
		try:
			doc = json.loads(body)
		except ValueError:
			return
		if not isinstance(doc, dict):
			return
		srv = self.server
		cfg = doc.get("config")
		with srv.log_lock:
			if isinstance(cfg, dict) and \
			   isinstance(cfg.get("digest"), str):
				srv.configs.add(cfg["digest"])
			for layer in doc.get("layers") or []:
				if isinstance(layer, dict) and \
				   isinstance(layer.get("digest"), str):
					srv.layers.add(layer["digest"])

	def forward_realm(self, query):
		"""Forward a realm request to the realm --proxy-realm replaced."""
		srv = self.server
		real = srv.real_realm
		if not real:
			self.answer_error(404, "NAME_UNKNOWN", "no realm seen yet")
			return
		u = urllib.parse.urlsplit(real)
		q = "&".join(x for x in (u.query, query) if x)
		path = (u.path or "/") + ("?" + q if q else "")
		if u.scheme == "https":
			conn = http.client.HTTPSConnection(
				u.hostname, u.port or 443, timeout=UPSTREAM_TIMEOUT,
				context=ssl._create_unverified_context())
		else:
			conn = http.client.HTTPConnection(
				u.hostname, u.port or 80, timeout=UPSTREAM_TIMEOUT)
		hdrs = {}
		auth = self.headers.get("Authorization")
		if auth:
			hdrs["Authorization"] = auth
		try:
			conn.request(self.command, path, headers=hdrs)
			self.relay(conn.getresponse())
		except OSError as e:
			self.answer_error(502, "UNAVAILABLE", "realm: %s" % e)
		finally:
			conn.close()

	def rewrite_challenge(self, value):
		"""A Bearer challenge with its realm replaced by this proxy's."""
		m = re.search(r'realm="([^"]*)"', value)
		if not m or not value.lower().startswith("bearer"):
			return value
		srv = self.server
		srv.real_realm = m.group(1)
		mine = "%s://127.0.0.1:%d%s" % (self.scheme,
						 srv.server_address[1], REALM_PATH)
		return value[:m.start(1)] + mine + value[m.end(1):]

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
		loc = "%s://%s%s%s%s=1" % (self.scheme, host, self.upath,
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
		elif self.side == "redirected" and self.server.last_bearer:
			hdrs["authorization"] = ("Authorization",
						 self.server.last_bearer)
		hdrs["x-forwarded-proto"] = ("X-Forwarded-Proto",
					     self.scheme)
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
			if kl == "www-authenticate" and o.proxy_realm:
				v = self.rewrite_challenge(v)
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
		if manifest and self.command == "GET" and resp.status == 200:
			body = resp.read(MAX_REWRITE_BODY + 1)
			self.learn(body)
			resp = BufferedAnswer(resp, body)
		if self.body_fault and 200 <= resp.status <= 299:
			self.send_faulted(resp.status, resp.reason, hdrs,
					  resp.read(MAX_REWRITE_BODY + 1))
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
	tls_ctx = None

	def finish_request(self, request, client_address):
		"""With TLS, a connection opening with a handshake record
		(0x16) gets TLS; any other is served as plain HTTP."""
		if self.tls_ctx:
			try:
				request.settimeout(UPSTREAM_TIMEOUT)
				first = request.recv(1, socket.MSG_PEEK)
				if first == b"\x16":
					request = self.tls_ctx.wrap_socket(
						request, server_side=True)
				request.settimeout(None)
			except (OSError, ssl.SSLError):
				return
		self.RequestHandlerClass(request, client_address, self)



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
	p.add_argument("--fault", action="append", default=[],
		       metavar="STAGE:FAULT",
		       help="break every request of STAGE (%s) with FAULT: %s" %
		       (", ".join(STAGES), "; ".join(
			       "%s: %s" % kv for kv in FAULTS.items())))
	p.add_argument("--fault-each", action="append", default=[],
		       metavar="STAGE:FAULT",
		       help="also listen on one more port per value, breaking "
		       "STAGE with FAULT there (the port file lists the main "
		       "port, then these in order; log lines tell them apart "
		       "by the port in host=)")
	p.add_argument("--proxy-realm", action="store_true",
		       help="name this proxy as the realm of relayed Bearer "
		       "challenges and forward realm requests to the real one "
		       "(so that --fault token:... applies)")
	p.add_argument("--delay", type=float, default=0,
		       help="seconds to wait before forwarding manifest and "
		       "blob requests")
	opts = p.parse_args(argv)
	opts.faults = {}
	for f in opts.fault + opts.fault_each:
		stage, _, fault = f.partition(":")
		if stage not in STAGES or fault not in FAULTS:
			p.error("--fault %s: not STAGE:FAULT" % f)
		if f in opts.fault:
			opts.faults[stage] = fault
	opts.fault_each = [f.partition(":")[::2] for f in opts.fault_each]
	return opts


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


def make_server(opts, port, faults, log_lock):
	srv = Server(("127.0.0.1", port), Handler)
	srv.opts = opts
	srv.log_lock = log_lock
	srv.scheme = "http"
	srv.faults = faults
	srv.hits = {}
	srv.configs, srv.layers = set(), set()
	srv.real_realm = None
	srv.last_bearer = None
	if opts.tls_cert:
		ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
		ctx.load_cert_chain(opts.tls_cert, opts.tls_key)
		# The handshake runs in the connection's thread, not accept().
		srv.tls_ctx = ctx
		srv.scheme = "https"
	setup_upstream(srv, opts)
	port = srv.server_address[1]
	srv.realm_path = "/auth/issue"
	srv.realm = "%s://127.0.0.1:%d%s" % (srv.scheme, port, srv.realm_path)
	srv.token = secrets.token_urlsafe(24)
	return srv


def main(argv):
	opts = parse_args(argv)
	lock = threading.Lock()
	servers = [make_server(opts, opts.port, opts.faults, lock)]
	# --fault-each: one more listener per value, on a port of its own
	for stage, fault in opts.fault_each:
		servers.append(make_server(opts, 0, {stage: fault}, lock))
	for srv in servers[1:]:
		threading.Thread(target=srv.serve_forever, daemon=True).start()
	serverlife.watch_owner(opts.owner_pid)
	serverlife.publish_ports(opts.port_file,
				 [srv.server_address[1] for srv in servers])
	try:
		servers[0].serve_forever()
	except KeyboardInterrupt:
		pass
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
