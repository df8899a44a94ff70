#!/usr/bin/env python3
"""Serve an upstream registry and faulty mirrors of it on 127.0.0.1.

For tests/cli/70-review.bats: the node's hosts.toml puts one of the
mirrors before the upstream (containerd docs/hosts.md) and the tests
read, from the log, what each server was asked and with which
Authorization header.  Python 3 standard library plus imagebuild.py.

Servers (one process, each on a free port):

  up        the upstream: every image below, by tag and by digest
  getfail   knows r/stale:1 as the OLD digest (an arm64-only single
            manifest, whose blobs it serves) and answers HEAD of the tag
            with it, but every GET of a manifest with 500
  auth      answers /v2/ 200 and everything else 401 with a Basic
            challenge (a mirror that wants credentials)
  layer404  the upstream's manifests and configs, but 404 BLOB_UNKNOWN
            for every layer

Images on up (repository:tag):

  r/stale:1      tag -> a multi-arch index (amd64, arm64); the OLD
                 arm64-only single manifest is stored too, by digest
  r/app:1        one amd64 image (/app, static)
  r/phoff:1      /app: static-looking x86-64 executable whose program
                 headers (PT_INTERP /lib/ld-missing.so.1 first) start at
                 byte 70000
  r/phoff0:1     the same ELF with the program headers at byte 64
  r/envargs:1    /entry.sh "#!/usr/bin/env sh -e"; /usr/bin/env, /bin/sh
  r/envargs-s:1  the same with "#!/usr/bin/env -S sh -e"
  r/envargs-i:1  the same with "#!/usr/bin/env -i sh -e" (env refuses it)

Each request is logged, one line: "ROLE METHOD PATH auth=VALUE" (VALUE
the Authorization header, "-" when none).

Usage: mirrorfault.py --port-file FILE --log FILE [--owner-pid PID]
The port file gets "UP GETFAIL AUTH LAYER404" once all listen.
"""

import argparse
import os
import re
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imagebuild as ib  # noqa: E402
import serverlife  # noqa: E402

ROLES = ("up", "getfail", "auth", "layer404")
ROUTE = re.compile(r"^/v2/(.+)/(manifests|blobs)/([^/]+)$")
UNKNOWN = {"manifests": "MANIFEST_UNKNOWN", "blobs": "BLOB_UNKNOWN"}
PHOFF_FAR = 70000


def far_phdrs(elf, offset):
	"""ELF64 LE ELF with its program header table copied to OFFSET
	(zero filler before it) and e_phoff pointing there."""
	b = bytearray(elf)
	phoff = struct.unpack_from("<Q", b, 32)[0]
	phentsize, phnum = struct.unpack_from("<HH", b, 54)
	table = bytes(b[phoff:phoff + phentsize * phnum])
	struct.pack_into("<Q", b, 32, offset)
	return bytes(b) + bytes(offset - len(b)) + table


class Store:
	"""Manifests by (repo, tag or digest), blobs by (repo, digest)."""

	def __init__(self):
		self.manifests = {}
		self.blobs = {}
		self.layers = set()

	def add(self, repo, top, tag=None):
		for man in ib.walk(top):
			self.manifests[(repo, man.digest)] = man
			for blob in man.blobs():
				self.blobs[(repo, blob.digest)] = blob.data
			for layer in getattr(man, "layers", []):
				self.layers.add(layer.digest)
		if tag:
			self.manifests[(repo, tag)] = top


def image(files, platform="linux/amd64", **cfg):
	layer = ib.Layer()
	for path, data in files:
		layer.file(path, data)
	return ib.Image([layer.build("gzip")], ib.Config(platform, **cfg))


def build():
	"""The upstream's store, the getfail mirror's, and the old digest."""
	up, stale_store = Store(), Store()
	amd, arm = ib.elf(arch="amd64"), ib.elf(arch="arm64")
	stale = image([("/app", arm), ("/etc/stale", b"old\n")],
		      "linux/arm64", entrypoint=["/app"])
	fresh = ib.Index([
		(image([("/app", amd)], entrypoint=["/app"]), "linux/amd64"),
		(image([("/app", arm)], "linux/arm64", entrypoint=["/app"]),
		 "linux/arm64")])
	up.add("r/stale", fresh, "1")
	up.add("r/stale", stale)
	stale_store.add("r/stale", stale, "1")
	up.add("r/app", image([("/app", amd)], entrypoint=["/app"]), "1")
	dyn = ib.elf(arch="amd64", interp="/lib/ld-missing.so.1")
	up.add("r/phoff", image([("/app", far_phdrs(dyn, PHOFF_FAR))],
				entrypoint=["/app"]), "1")
	up.add("r/phoff0", image([("/app", dyn)], entrypoint=["/app"]), "1")
	env = ["PATH=/usr/bin:/bin"]
	for repo, line in (("r/envargs", b"#!/usr/bin/env sh -e\n"),
			   ("r/envargs-s", b"#!/usr/bin/env -S sh -e\n"),
			   ("r/envargs-i", b"#!/usr/bin/env -i sh -e\n")):
		up.add(repo, image([("/usr/bin/env", amd), ("/bin/sh", amd),
				    ("/entry.sh", line + b"echo hi\n")],
				   entrypoint=["/entry.sh"], env=env), "1")
	return up, stale_store


class Handler(BaseHTTPRequestHandler):
	protocol_version = "HTTP/1.1"

	def log_message(self, fmt, *args):
		pass

	def send(self, status, body=b"", headers=None):
		self.send_response(status)
		for k, v in (headers or {}).items():
			self.send_header(k, v)
		self.send_header("Content-Length", str(len(body)))
		self.end_headers()
		if self.command != "HEAD":
			self.wfile.write(body)

	def error(self, status, code, headers=None):
		body = ib.canonical_json({"errors": [{"code": code,
						      "message": code}]})
		self.send(status, body, dict(headers or {},
					     **{"Content-Type":
						"application/json"}))

	def handle_any(self):
		srv = self.server
		srv.record("%s %s %s auth=%s" % (
			srv.role, self.command, self.path,
			self.headers.get("Authorization") or "-"))
		path = self.path.split("?", 1)[0]
		if path in ("/v2/", "/v2"):
			return self.send(200, b"{}",
					 {"Content-Type": "application/json"})
		if srv.role == "auth":
			return self.error(401, "UNAUTHORIZED", {
				"WWW-Authenticate": 'Basic realm="mirror"'})
		m = ROUTE.match(path)
		if not m:
			return self.error(404, "NAME_UNKNOWN")
		repo, kind, ref = m.groups()
		if kind == "manifests":
			return self.manifest(repo, ref)
		data = srv.store.blobs.get((repo, ref))
		if data is None or (srv.role == "layer404" and
				    ref in srv.store.layers):
			return self.error(404, UNKNOWN[kind])
		self.send(200, data, {"Content-Type":
				      "application/octet-stream",
				      "Docker-Content-Digest": ref})

	def manifest(self, repo, ref):
		man = self.server.store.manifests.get((repo, ref))
		if man is None:
			return self.error(404, UNKNOWN["manifests"])
		if self.server.role == "getfail" and self.command == "GET":
			return self.error(500, "UNKNOWN")
		self.send(200, man.data, {"Content-Type": man.media_type,
					  "Docker-Content-Digest": man.digest})

	do_GET = do_HEAD = handle_any


class Server(ThreadingHTTPServer):
	daemon_threads = True

	def __init__(self, role, store, shared):
		super().__init__(("127.0.0.1", 0), Handler)
		self.role = role
		self.store = store
		self.shared = shared

	def record(self, line):
		with self.shared["lock"]:
			with open(self.shared["log"], "a",
				  encoding="utf-8") as f:
				f.write(line + "\n")



def main(argv):
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument("--port-file", required=True)
	ap.add_argument("--log", default=os.devnull)
	ap.add_argument("--owner-pid", type=int)
	ap.add_argument("--lifetime", type=int, default=900,
			help="exit after this many seconds")
	args = ap.parse_args(argv)
	up, stale = build()
	shared = {"log": args.log, "lock": threading.Lock()}
	stores = {"up": up, "getfail": stale, "auth": up, "layer404": up}
	servers = [Server(r, stores[r], shared) for r in ROLES]
	for srv in servers:
		threading.Thread(target=srv.serve_forever,
				 daemon=True).start()
	serverlife.watch_owner(args.owner_pid)
	serverlife.publish_ports(args.port_file,
				 (s.server_address[1] for s in servers))
	time.sleep(args.lifetime)
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
