#!/usr/bin/env python3
"""Serve hostile images from fake registries on 127.0.0.1 for the CLI tests.

Each image breaks one rule a container runtime enforces (descriptor size
and digest lies, broken ELF program headers, relative interpreters,
configs that lie, control bytes in platform fields, tar semantics), in a
repository of its own, "h/NAME:1" (see SCENARIOS).  A real registry
refuses to store most of them, hence this server (Python 3 standard
library plus imagebuild.py from this directory).

Three servers run in one process:

  main   the registry the tests name: GET/HEAD of /v2/, manifests and
         blobs (Range honoured); a GET of the layer of h/creds is
         redirected (307) to cdn, as registries with a CDN do
  cdn    answers everything 401 with a Bearer challenge whose realm is
         on thief, over plain HTTP
  thief  answers 401 and logs what it was sent

Every request is logged, one line: "SERVER METHOD PATH auth=VALUE" with
VALUE the Authorization header ("-" when there is none).

Usage: hostile.py --port-file FILE --log FILE [--owner-pid PID]
The port file gets "MAIN CDN THIEF" (three ports) once all listen.
"""

import argparse
import hashlib
import json
import os
import re
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostiletar as ht  # noqa: E402
import imagebuild as ib  # noqa: E402
import serverlife  # noqa: E402

ROUTE = re.compile(r"^/v2/(.+)/(manifests|blobs)/([^/?]+)$")
APP = ib.elf(arch="amd64")
UNKNOWN = {"manifests": "MANIFEST_UNKNOWN", "blobs": "BLOB_UNKNOWN"}


def sha512(data):
	return "sha512:" + hashlib.sha512(data).hexdigest()


def desc(media_type, data, digest=None, size=None):
	"""A descriptor for DATA, with its digest or size replaced if given."""
	return {"mediaType": media_type,
		"digest": digest or ib.sha256(data),
		"size": len(data) if size is None else size}


def dumps(doc):
	return json.dumps(doc, separators=(",", ":")).encode()


class Store:
	"""Blobs and manifests by (repository, tag or digest): one image's
	lie never leaks into another's."""

	def __init__(self):
		self.blobs = {}
		self.manifests = {}

	def blob(self, repo, digest, data):
		self.blobs[(repo, digest)] = data

	def manifest(self, repo, ref, data, media_type):
		self.manifests[(repo, ref)] = (data, media_type)

	def image(self, name, top):
		"""Store an imagebuild Image or Index as h/NAME:1."""
		repo = "h/" + name
		for man in ib.walk(top):
			for b in man.blobs():
				self.blob(repo, b.digest, b.data)
			self.manifest(repo, man.digest, man.data,
				      man.media_type)
		self.manifest(repo, "1", top.data, top.media_type)

	def raw(self, name, config, layers, man_edit=None, cfg_digest=None,
		layer_digests=None):
		"""Store a manifest built by hand for CONFIG (bytes) and
		LAYERS (LayerBlobs), with the digests given (content stored
		under them as is) and MAN_EDIT applied to the document;
		return (manifest bytes, its sha256 digest)."""
		layer_digests = layer_digests or [l.digest for l in layers]
		cd = cfg_digest or ib.sha256(config)
		self.blob("h/" + name, cd, config)
		doc = {"schemaVersion": 2, "mediaType": ib.OCI_MANIFEST,
		       "config": desc(ib.OCI_CONFIG, config, cd),
		       "layers": []}
		for layer, d in zip(layers, layer_digests):
			self.blob("h/" + name, d, layer.data)
			doc["layers"].append(desc(layer.media_type,
						  layer.data, d))
		if man_edit:
			man_edit(doc)
		data = dumps(doc)
		self.manifest("h/" + name, ib.sha256(data), data,
			      ib.OCI_MANIFEST)
		return data, ib.sha256(data)

	def index_of(self, name, entries):
		"""Tag h/NAME:1 as an index of ENTRIES (descriptor dicts)."""
		doc = {"schemaVersion": 2, "mediaType": ib.OCI_INDEX,
		       "manifests": entries}
		data = dumps(doc)
		for ref in ("1", ib.sha256(data)):
			self.manifest("h/" + name, ref, data, ib.OCI_INDEX)


def amd64_entry(data, digest=None, size=None):
	d = desc(ib.OCI_MANIFEST, data, digest, size)
	d["platform"] = {"architecture": "amd64", "os": "linux"}
	return d


def config_for(layers, **kw):
	return ib.Config("linux/amd64", **kw).to_json(
		[l.diff_id for l in layers])


def app_layer():
	return ib.Layer().file("/app", APP).build("gzip")


def simple(store, name, layers, config, top="index"):
	img = ib.Image(layers, config)
	store.image(name, ib.Index([img]) if top == "index" else img)


# -- 1. descriptor sizes that lie (containerd checks every size) ------


def add_size_lies(store):
	layer = app_layer()
	cfg = config_for([layer], entrypoint=["/app"])

	def layer_size(doc):
		doc["layers"][0]["size"] = 1000000

	def config_size(doc):
		doc["config"]["size"] = 1

	for name, edit in (("size-layer", layer_size),
			   ("size-config", config_size)):
		data, d = store.raw(name, cfg, [layer], edit)
		store.index_of(name, [amd64_entry(data, d)])
	data, d = store.raw("size-index", cfg, [layer])
	store.index_of("size-index", [amd64_entry(data, d, size=7)])


# -- 2. digests of other algorithms -----------------------------------


def add_digests(store):
	layer = app_layer()
	cfg = config_for([layer], entrypoint=["/app"])
	wrong = "sha512:" + "ab" * 64
	data, d = store.raw("sha512-config-wrong", cfg, [layer],
			    cfg_digest=wrong)
	store.index_of("sha512-config-wrong", [amd64_entry(data, d)])
	data, d = store.raw("sha512-layer-wrong", cfg, [layer],
			    layer_digests=["sha512:" + "cd" * 64])
	store.index_of("sha512-layer-wrong", [amd64_entry(data, d)])
	# sha256, on a top layer read to its end (the entrypoint is below).
	top = ib.Layer().file("/etc/x", b"x\n").build("gzip")
	cfg2 = config_for([layer, top], entrypoint=["/app"])
	data, d = store.raw("sha256-top-wrong", cfg2, [layer, top],
			    layer_digests=[layer.digest, "sha256:" + "ef" * 32])
	store.index_of("sha256-top-wrong", [amd64_entry(data, d)])
	# An algorithm no runtime knows, naming the platform manifest.
	data, _ = store.raw("md5-entry", cfg, [layer])
	md5 = "md5:" + hashlib.md5(data).hexdigest()
	store.manifest("h/md5-entry", md5, data, ib.OCI_MANIFEST)
	store.index_of("md5-entry", [amd64_entry(data, md5)])
	# sha512 everywhere, all correct.
	data, _ = store.raw("sha512-good", cfg, [layer],
			    cfg_digest=sha512(cfg),
			    layer_digests=[sha512(layer.data)])
	store.manifest("h/sha512-good", sha512(data), data, ib.OCI_MANIFEST)
	store.index_of("sha512-good", [amd64_entry(data, sha512(data))])


# -- 3. credentials and a redirect target's realm ----------------------


def add_creds(store):
	layer = app_layer()
	simple(store, "creds", [layer],
	       ib.Config("linux/amd64", entrypoint=["/app"]))
	return layer.digest


# -- 4, 5. ELF program headers and interpreters ------------------------


def elf_phnum(phnum):
	"""The static x86-64 APP with its program header count set to
	PHNUM (0: none; more: the table copied to the end, zero-padded)."""
	b = bytearray(APP)
	if phnum == 0:
		struct.pack_into("<H", b, 56, 0)
		return bytes(b)
	old = struct.unpack_from("<H", b, 56)[0]
	table = bytes(b[64:64 + 56 * old]) + bytes(56 * (phnum - old))
	struct.pack_into("<Q", b, 32, len(b))
	struct.pack_into("<H", b, 56, phnum)
	return bytes(b) + table


def add_elf(store):
	for n in (0, 600):
		layer = ib.Layer().file("/app", elf_phnum(n)).build("gzip")
		simple(store, "phnum%d" % n, [layer],
		       ib.Config("linux/amd64", entrypoint=["/app"]))
	dyn = ib.elf(arch="amd64", etype="DYN", interp="/ld.so")
	layer = ib.Layer().file("/sh", APP).file("/ld.so", b"#!/sh\n") \
		.file("/app", dyn).build("gzip")
	simple(store, "interp-script", [layer],
	       ib.Config("linux/amd64", entrypoint=["/app"]))
	rel = ib.elf(arch="amd64", etype="DYN", interp="lib/ld.so")
	for name, loader in (("interp-rel", "/tmp/lib/ld.so"),
			     ("interp-rel-root", "/lib/ld.so")):
		layer = ib.Layer().file(loader, APP).file("/app", rel) \
			.dir("/tmp").build("gzip")
		simple(store, name, [layer], ib.Config(
			"linux/amd64", entrypoint=["/app"], workdir="/tmp"))
	for name, sh in (("shebang-rel", "/tmp/bin/sh"),
			 ("shebang-rel-root", "/bin/sh")):
		layer = ib.Layer().file(sh, APP).file("/app", b"#!bin/sh\n") \
			.dir("/tmp").build("gzip")
		simple(store, name, [layer], ib.Config(
			"linux/amd64", entrypoint=["/app"], workdir="/tmp"))


# -- 6, 7, 8. configs that lie, limits, CPU levels ---------------------


def add_configs(store):
	l1 = app_layer()
	l2 = ib.Layer().file("/etc/x", b"x\n").build("gzip")
	cfg = ib.Config("linux/amd64", entrypoint=["/app"]).to_json(
		[l1.diff_id])
	blob = ib.Blob(cfg, ib.OCI_CONFIG)
	store.image("rootfs-count", ib.Index([(ib.Image(
		[l1, l2], None, config_blob=blob), "linux/amd64")]))
	simple(store, "env-2000", [l1], ib.Config(
		"linux/amd64", entrypoint=["/app"],
		env=["V%d=x" % i for i in range(2000)]))
	simple(store, "single-arm64", [l1], ib.Config(
		"linux/arm64", entrypoint=["/app"]), top="manifest")
	simple(store, "amd64-v3", [l1], ib.Config(
		"linux/amd64/v3", entrypoint=["/app"]))


# -- 9. control bytes in registry text ---------------------------------


def add_control(store):
	img = ib.Image([app_layer()], ib.Config(
		"linux/amd64", entrypoint=["/app\u009b31m\u202eexe.ppa"]))
	evil = {"os": "\x1b[2J\x1b[31mlinux\u009b31m",
		"architecture": "\x07amd64\u202e",
		"variant": "v\x1b]0;title\x07"}
	store.image("control", ib.Index([(img, "linux/amd64"),
					 (img, evil)]))


# -- 10, 11. tar semantics ---------------------------------------------


def add_layers(store):
	empty = ib.raw_layer(b"", ib.OCI_LAYER["none"])
	l1 = app_layer()
	simple(store, "empty-layer", [l1, empty],
	       ib.Config("linux/amd64", entrypoint=["/app"]))
	lower = ib.Layer().dir("/usr").dir("/usr/bin") \
		.file("/usr/bin/app", APP).symlink("/bin", "usr/bin") \
		.build("gzip")
	upper = ib.Layer().dir("/bin").file("/bin/other", b"#!/bin/true\n") \
		.build("gzip")
	simple(store, "dir-over-symlink", [lower, upper],
	       ib.Config("linux/amd64", entrypoint=["/bin/app"]))


# -- 12. bombs, lying tar headers, links, ELF and #! files, limits ------


def tar_image(store, name, tar, entry="/app", compression="gzip"):
	layer = ht.layer_of(tar, compression)
	simple(store, name, [layer], ib.Config("linux/amd64",
					       entrypoint=[entry]))


def add_bombs(store):
	# The configs' diff_ids are not the tars' digests (hashing 9 GiB
	# takes longer than a check): only their count is checked before a
	# layer is read.
	for name, (data, total), comp in (
			("gzip-bomb", ht.gzip_bomb(), "gzip"),
			("zstd-bomb", ht.zstd_bomb(), "zstd")):
		layer = ib.LayerBlob(data, ib.OCI_LAYER[comp],
				     ib.sha256(data), total)
		simple(store, name, [layer], ib.Config(
			"linux/amd64", entrypoint=["/app"]))


def add_tar_lies(store):
	for name, value in (("tar-size-negative", -1),
			    ("tar-size-huge", 1 << 62)):
		tar_image(store, name, ht.size_field(value) + APP +
			  bytes(-len(APP) % 512) + ht.tar_end())
	tar_image(store, "tar-escape", ht.escaping_layer())
	for n in (40, 41):
		tar_image(store, "symlink-chain-%d" % n, ht.symlink_chain(n),
			  entry="/l0")
	for name, data in ht.FILES.items():
		extra = ht.tar_member("bin/sh", APP) if "shebang" in name \
			else b""
		tar_image(store, name, extra + ht.tar_member("app", data) +
			  ht.tar_end())


def add_limits(store):
	layer = app_layer()
	cfg = config_for([layer], entrypoint=["/app"])
	for n in (1000, 100000):
		def many(doc, n=n):
			doc["layers"] = doc["layers"] * n
		data, d = store.raw("layers-%d" % n, cfg, [layer], many)
		store.index_of("layers-%d" % n, [amd64_entry(data, d)])
	data, d = store.raw("entries", cfg, [layer])
	for n in (2000, 100000):
		store.index_of("index-%d" % n, [amd64_entry(data, d)] * n)
		for ref in [k for k in store.manifests if k[0] == "h/entries"]:
			store.manifests[("h/index-%d" % n, ref[1])] = \
				store.manifests[ref]
		store.blobs.update({("h/index-%d" % n, k[1]): v for k, v in
				    list(store.blobs.items())
				    if k[0] == "h/entries"})


SCENARIOS = (add_size_lies, add_digests, add_elf, add_configs,
	     add_control, add_layers, add_bombs, add_tar_lies, add_limits)


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

	def error(self, status, code):
		body = dumps({"errors": [{"code": code, "message": code}]})
		self.send(status, body, {"Content-Type": "application/json"})

	def handle_any(self):
		srv = self.server
		srv.record("%s %s %s auth=%s" % (
			srv.role, self.command, self.path,
			self.headers.get("Authorization") or "-"))
		getattr(self, "serve_" + srv.role)()

	do_GET = do_HEAD = handle_any

	def serve_thief(self):
		self.send(401, b"{}")

	def serve_cdn(self):
		realm = "http://127.0.0.1:%d/token" % self.server.peer("thief")
		self.send(401, b"{}", {"WWW-Authenticate":
			  'Bearer realm="%s",service="cdn"' % realm})

	def serve_main(self):
		if self.path in ("/v2/", "/v2"):
			return self.send(200, b"{}",
					 {"Content-Type": "application/json"})
		m = ROUTE.match(self.path)
		if not m:
			return self.error(404, "NAME_UNKNOWN")
		repo, kind, ref = m.groups()
		store = self.server.store
		if kind == "manifests":
			got = store.manifests.get((repo, ref))
			if not got:
				return self.error(404, UNKNOWN[kind])
			data, mt = got
			dg = ref if ":" in ref else ib.sha256(data)
			return self.send(200, data, {
				"Content-Type": mt,
				"Docker-Content-Digest": dg})
		if (repo, ref) == ("h/creds", self.server.shared["redirect"]) \
				and self.command == "GET":
			return self.send(307, b"", {"Location":
				"http://127.0.0.1:%d/cdn%s" % (
					self.server.peer("cdn"), self.path)})
		data = store.blobs.get((repo, ref))
		if data is None:
			return self.error(404, UNKNOWN[kind])
		self.send_blob(data)

	def send_blob(self, data):
		hdrs = {"Content-Type": "application/octet-stream"}
		rng = re.match(r"bytes=(\d+)-(\d*)$",
			       self.headers.get("Range") or "")
		if not rng:
			return self.send(200, data, hdrs)
		start = int(rng.group(1))
		end = int(rng.group(2)) if rng.group(2) else len(data) - 1
		end = min(end, len(data) - 1)
		if start >= len(data):
			return self.send(416, b"", {
				"Content-Range": "bytes */%d" % len(data)})
		hdrs["Content-Range"] = "bytes %d-%d/%d" % (start, end,
							   len(data))
		self.send(206, data[start:end + 1], hdrs)


class Server(ThreadingHTTPServer):
	daemon_threads = True

	def __init__(self, role, shared):
		super().__init__(("127.0.0.1", 0), Handler)
		self.role = role
		self.shared = shared
		self.store = shared["store"]

	def peer(self, role):
		return self.shared[role].server_address[1]

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
	store = Store()
	for add in SCENARIOS:
		add(store)
	shared = {"store": store, "log": args.log, "lock": threading.Lock(),
		  "redirect": add_creds(store)}
	for role in ("main", "cdn", "thief"):
		shared[role] = Server(role, shared)
	for role in ("main", "cdn", "thief"):
		threading.Thread(target=shared[role].serve_forever,
				 daemon=True).start()
	serverlife.watch_owner(args.owner_pid)
	serverlife.publish_ports(args.port_file,
				 (shared[r].server_address[1]
				  for r in ("main", "cdn", "thief")))
	time.sleep(args.lifetime)
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
