#!/usr/bin/env python3
"""A Docker Registry token server for the tests, listening on 127.0.0.1 only.

It implements the token endpoint of the Docker Registry v2 token
authentication scheme (distribution's docs/spec/auth/token.md and
oauth.md): GET with optional Basic credentials, or POST with an OAuth2
password grant. It answers {"token", "access_token", ...} where the token
is a JWT signed RS256 by the openssl command-line tool, carrying the key's
certificate chain in the "x5c" header and its libtrust key id in "kid".

Python standard library only.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlife  # noqa: E402

# Bounds on what a client may send us.
MAX_BODY = 64 * 1024
MAX_SCOPES = 32


def b64url(data):
	"""Base64url without padding (RFC 7515 section 2)."""
	return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pem_to_der(path):
	"""The DER bytes of the first certificate in a PEM file."""
	out = subprocess.run(["openssl", "x509", "-in", path, "-outform", "DER"],
			     check=True, capture_output=True)
	return out.stdout


def libtrust_kid(cert_path):
	"""The libtrust key id of a certificate's public key.

	libtrust: SHA-256 of the DER SubjectPublicKeyInfo, first 240 bits,
	base32 without padding, in groups of four joined by ':'.
	"""
	pub = subprocess.run(["openssl", "x509", "-in", cert_path, "-noout",
			      "-pubkey"], check=True, capture_output=True)
	der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
			     input=pub.stdout, check=True, capture_output=True)
	digest = hashlib.sha256(der.stdout).digest()[:30]
	s = base64.b32encode(digest).decode("ascii").rstrip("=")
	return ":".join(s[i:i + 4] for i in range(0, len(s), 4))


def parse_scopes(values):
	"""Parse scope parameters ("type:name:actions", space separated)."""
	scopes = []
	for v in values:
		for item in v.split():
			parts = item.split(":")
			if len(parts) < 3:
				continue
			scopes.append({"type": parts[0],
				       "name": ":".join(parts[1:-1]),
				       "actions": [a for a in
						   parts[-1].split(",") if a]})
			if len(scopes) >= MAX_SCOPES:
				return scopes
	return scopes


class TokenIssuer:
	"""Holds the signing material and the access policy."""

	def __init__(self, args):
		self.key = args.key
		self.issuer = args.issuer
		self.service = args.service
		self.expiry = args.expiry
		self.users = {}
		for u in args.user or []:
			name, _, pw = u.partition(":")
			self.users[name] = pw
		self.anonymous_pull = args.anonymous_pull
		self.header = {"typ": "JWT", "alg": "RS256"}
		if args.jwt_header in ("x5c", "both"):
			der = pem_to_der(args.cert)
			self.header["x5c"] = [base64.b64encode(der).decode()]
		if args.jwt_header in ("kid", "both"):
			self.header["kid"] = libtrust_kid(args.cert)

	def check_user(self, user, password):
		"""True when USER exists and PASSWORD is right."""
		want = self.users.get(user)
		if want is None:
			return False
		return hmac.compare_digest(want.encode(), password.encode())

	def grant(self, scopes, user):
		"""The access list granted to USER (None: anonymous)."""
		access = []
		for s in scopes:
			if user is not None:
				acts = s["actions"]
			elif self.anonymous_pull and s["type"] == "repository":
				acts = [a for a in s["actions"] if a == "pull"]
			else:
				acts = []
			if acts:
				access.append({"type": s["type"], "name": s["name"],
					       "actions": acts})
		return access

	def sign(self, user, access, audience):
		"""A signed JWT for USER with ACCESS."""
		now = int(time.time())
		claims = {"iss": self.issuer, "sub": user or "",
			  "aud": audience or self.service,
			  "exp": now + self.expiry, "nbf": now - 10, "iat": now,
			  "jti": secrets.token_hex(16), "access": access}
		head = b64url(json.dumps(self.header,
					 separators=(",", ":")).encode())
		body = b64url(json.dumps(claims, separators=(",", ":")).encode())
		signing_input = (head + "." + body).encode("ascii")
		sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign",
				      self.key], input=signing_input,
				     check=True, capture_output=True).stdout
		return head + "." + body + "." + b64url(sig)


class Handler(BaseHTTPRequestHandler):
	"""GET and POST on the token path."""

	protocol_version = "HTTP/1.1"
	server_version = "preflight-test-tokenserver"

	def log_message(self, fmt, *args):
		pass

	def record(self, line):
		srv = self.server
		with srv.log_lock:
			with open(srv.log_path, "a", encoding="utf-8") as f:
				f.write(line + "\n")

	def reply(self, status, obj, extra=None):
		data = json.dumps(obj).encode()
		self.send_response(status)
		self.send_header("Content-Type", "application/json")
		self.send_header("Content-Length", str(len(data)))
		for k, v in (extra or {}).items():
			self.send_header(k, v)
		self.end_headers()
		if self.command != "HEAD":
			self.wfile.write(data)

	def basic_user(self):
		"""(user, password) from Basic credentials, or (None, None)."""
		auth = self.headers.get("Authorization", "")
		if not auth.lower().startswith("basic "):
			return None, None
		try:
			raw = base64.b64decode(auth[6:].strip()).decode()
		except (ValueError, UnicodeDecodeError):
			return "", ""
		user, _, pw = raw.partition(":")
		return user, pw

	def issue(self, user, password, params, oauth):
		srv = self.server
		iss = srv.issuer
		if user is not None and not iss.check_user(user, password):
			self.record("%s %s user=%s -> 401" %
				    (self.command, self.path, user))
			self.reply(401, {"details":
					 "incorrect username or password"},
				   {"WWW-Authenticate":
				    'Basic realm="preflight-test"'})
			return
		scopes = parse_scopes(params.get("scope", []))
		access = iss.grant(scopes, user)
		service = (params.get("service") or [""])[0]
		token = iss.sign(user, access, service)
		now = datetime.datetime.now(datetime.timezone.utc)
		body = {"access_token": token, "expires_in": iss.expiry,
			"issued_at": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
		if oauth:
			body["token_type"] = "Bearer"
			body["scope"] = " ".join(params.get("scope", []))
		else:
			body["token"] = token
		granted = " ".join("%s:%s:%s" % (a["type"], a["name"],
						 ",".join(a["actions"]))
				   for a in access)
		self.record("%s %s user=%s -> 200 granted=%s" %
			    (self.command, self.path,
			     user if user is not None else "-", granted or "-"))
		self.reply(200, body)

	def do_GET(self):
		url = urllib.parse.urlsplit(self.path)
		if url.path != self.server.token_path:
			self.record("%s %s -> 404" % (self.command, self.path))
			self.reply(404, {"details": "not found"})
			return
		params = urllib.parse.parse_qs(url.query)
		user, pw = self.basic_user()
		self.issue(user, pw, params, False)

	def do_POST(self):
		url = urllib.parse.urlsplit(self.path)
		n = int(self.headers.get("Content-Length") or 0)
		if url.path != self.server.token_path or n > MAX_BODY:
			self.record("%s %s -> 404" % (self.command, self.path))
			self.reply(404, {"details": "not found"})
			return
		form = urllib.parse.parse_qs(self.rfile.read(n).decode())
		if form.get("grant_type", [""])[0] != "password":
			self.record("%s %s -> 400 grant_type" %
				    (self.command, self.path))
			self.reply(400, {"error": "unsupported_grant_type"})
			return
		user = form.get("username", [None])[0]
		pw = form.get("password", [""])[0]
		self.issue(user, pw, form, True)



def parse_args(argv):
	p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	p.add_argument("--port", type=int, default=0)
	p.add_argument("--owner-pid", type=int,
		       help="exit when this process is gone")
	p.add_argument("--port-file", required=True,
		       help="where to write the port once listening")
	p.add_argument("--key", required=True, help="RSA private key (PEM)")
	p.add_argument("--cert", required=True,
		       help="certificate of that key, in the registry's "
		       "rootcertbundle")
	p.add_argument("--issuer", default="preflight-test-issuer")
	p.add_argument("--service", default="preflight-test-registry")
	p.add_argument("--path", default="/token", help="token endpoint path")
	p.add_argument("--user", action="append", metavar="USER:PASSWORD")
	p.add_argument("--anonymous-pull", action="store_true",
		       help="grant pull to requests without credentials")
	p.add_argument("--jwt-header", choices=("x5c", "kid", "both"),
		       default="x5c")
	p.add_argument("--expiry", type=int, default=300)
	p.add_argument("--log", default=os.devnull)
	return p.parse_args(argv)


def main(argv):
	args = parse_args(argv)
	srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
	srv.daemon_threads = True
	srv.issuer = TokenIssuer(args)
	srv.token_path = args.path
	srv.log_path = args.log
	srv.log_lock = threading.Lock()
	serverlife.watch_owner(args.owner_pid)
	serverlife.publish_ports(args.port_file, [srv.server_address[1]])
	try:
		srv.serve_forever()
	except KeyboardInterrupt:
		pass
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
