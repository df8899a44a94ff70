#!/usr/bin/env python3
"""Build the benchmark's images, push them, and describe each case.

Images (entrypoints are real Debian binaries from the debbin.sh cache;
filler is random, so it does not compress and a layer's size is what
crosses the network):

  top      ~100 MiB, three layers; the static busybox entrypoint is the
           first file of the small top layer (a COPY of the program)
  bottom   ~100 MiB, three layers; the entrypoint is the first file of
           the bottom layer, under two big upper layers
  kubeadm  seven images shaped like kubeadm's (apiserver, controller
           manager, scheduler, proxy, etcd, coredns, pause), each an index
           of linux/amd64 and linux/arm64, of different sizes
  huge     one 1 GiB layer, generated and pushed as a stream; the
           entrypoint is its last file, so the whole layer must be read

For each case it writes, to --out (JSON), the references to check and
the physical minimum a checker must receive: the index, the platform
manifest and the config, every layer above the entrypoint's layer whole
(the entrypoint could be there, or deleted there), and the entrypoint's
own layer up to the last byte of the ELF structures the check reads (ELF
header, program header table, PT_INTERP, PT_NOTE and PT_GNU_PROPERTY),
counted in compressed bytes: the shortest prefix that gzip-decompresses
that far. A full pull is the index, manifest, config and every layer.
"""

import argparse
import gzip
import hashlib
import http.client
import io
import json
import os
import struct
import sys
import tarfile
import urllib.parse
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import imagebuild as ib  # noqa: E402

MIB = 1024 * 1024
# The huge layer: this much random filler before the entrypoint.
HUGE_FILLER = 1024 * MIB
# Chunk of a streamed blob upload (PATCH) and of filler generation.
UPLOAD_CHUNK = 32 * MIB
# Largest random file in a filler layer (images hold many files).
FILLER_FILE_MAX = 8 * MIB
# gzip level for layers of random filler alone: it does not compress,
# and stored deflate blocks (level 0) are what higher levels end up
# writing for it, ten times faster. A layer holding the program gets
# level 6, as image builders use, so that its start is as compressed as
# in a real image.
FILLER_LEVEL = 0
PROGRAM_LEVEL = 6


def busybox(cache, arch):
    path = os.path.join(cache, arch, "busybox-static", "bin", "busybox")
    with open(path, "rb") as f:
        return f.read()


def elf_needed(data):
    """Bytes from the start of an ELF file the check reads: the header,
    the program header table, and PT_INTERP, PT_NOTE, PT_GNU_PROPERTY."""
    cls, order = data[4], data[5]
    bo = "<" if order == 1 else ">"
    if cls == 2:
        phoff, = struct.unpack_from(bo + "Q", data, 32)
        phentsize, phnum = struct.unpack_from(bo + "HH", data, 54)
        need = 64
    else:
        phoff, = struct.unpack_from(bo + "I", data, 28)
        phentsize, phnum = struct.unpack_from(bo + "HH", data, 42)
        need = 52
    need = max(need, phoff + phentsize * phnum)
    for i in range(phnum):
        off = phoff + i * phentsize
        ptype, = struct.unpack_from(bo + "I", data, off)
        if ptype not in (3, 4, 0x6474E553):
            continue
        if cls == 2:
            poff, = struct.unpack_from(bo + "Q", data, off + 8)
            psize, = struct.unpack_from(bo + "Q", data, off + 32)
        else:
            poff, psize = struct.unpack_from(bo + "II", data, off + 4)[:2]
            psize, = struct.unpack_from(bo + "I", data, off + 16)
        need = max(need, poff + psize)
    return need


def gzip_prefix(blob, want):
    """Fewest leading bytes of a gzip blob that decompress to at least
    `want` bytes (binary search; a decompressor emits what it can)."""
    lo, hi = 1, len(blob)
    while lo < hi:
        mid = (lo + hi) // 2
        out = zlib.decompressobj(31).decompress(blob[:mid])
        if len(out) >= want:
            hi = mid
        else:
            lo = mid + 1
    return lo


def data_offset(tar, path):
    """Offset of `path`'s data in an uncompressed tar."""
    name = path.lstrip("/")
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        for m in t:
            if m.name == name:
                return m.offset_data
    raise KeyError(path)


def filler_layer(rng, size, prefix_files=(), top="/opt/data"):
    """A gzip layer: `prefix_files` ((path, bytes) first), then random
    files summing to `size` bytes. Returns (LayerBlob, tar bytes)."""
    layer = ib.Layer()
    for path, data in prefix_files:
        layer.file(path, data)
    n = 0
    while size > 0:
        part = min(size, FILLER_FILE_MAX)
        layer.file("%s/f%04d.bin" % (top, n), rng(part), mode=0o644)
        size -= part
        n += 1
    tar = layer.tar_bytes()
    level = PROGRAM_LEVEL if prefix_files else FILLER_LEVEL
    data = gzip.compress(tar, compresslevel=level, mtime=0)
    return ib.LayerBlob(data, ib.OCI_LAYER["gzip"], ib.sha256(tar),
                        len(tar)), tar


def minimum(index, image, entry_layer, entry_path, elf, tar):
    """The physical minimum for a check of `image` under `index`."""
    docs = index.size + image.size + image.config_blob.size
    upper = sum(l.size for l in image.layers[entry_layer + 1:])
    want = data_offset(tar, entry_path) + elf_needed(elf)
    prefix = gzip_prefix(image.layers[entry_layer].data, want)
    return docs + upper + prefix


def full_pull(index, image):
    return index.size + image.size + image.config_blob.size + \
        sum(l.size for l in image.layers)


def arm64_image(cache, path):
    """A small linux/arm64 sibling, so that each index is multi-platform."""
    layer = ib.Layer().file(path, busybox(cache, "arm64")).build("gzip")
    return ib.Image([layer], ib.Config("linux/arm64", entrypoint=[path]))


def push_case(reg, cache, repo, layers_spec, entry_layer, path, rng):
    """Build an image from layers_spec (list of filler sizes; the
    entrypoint goes first into layer entry_layer), push it as an index."""
    elf = busybox(cache, "amd64")
    layers, tars = [], []
    for i, size in enumerate(layers_spec):
        pre = [(path, elf)] if i == entry_layer else []
        blob, tar = filler_layer(rng, size, pre, "/opt/l%d" % i)
        layers.append(blob)
        tars.append(tar)
    img = ib.Image(layers, ib.Config("linux/amd64", entrypoint=[path]))
    index = ib.Index([(img, None, None),
                      (arm64_image(cache, path), None, None)])
    reg.push(index, repo, "1")
    return {
        "reference": "%s:1" % repo,
        "minimum": minimum(index, img, entry_layer, path, elf,
                           tars[entry_layer]),
        "full_pull": full_pull(index, img),
        "layers": [l.size for l in layers],
    }


# kubeadm's images: (name, layer filler sizes bottom first); the program
# is the first file of the top layer, as in distroless-based images.
KUBEADM = [
    ("kube-apiserver", [2 * MIB, 1 * MIB, 26 * MIB]),
    ("kube-controller-manager", [2 * MIB, 1 * MIB, 24 * MIB]),
    ("kube-scheduler", [2 * MIB, 1 * MIB, 16 * MIB]),
    ("kube-proxy", [2 * MIB, 20 * MIB, 8 * MIB]),
    ("etcd", [2 * MIB, 1 * MIB, 20 * MIB]),
    ("coredns", [2 * MIB, 14 * MIB]),
    ("pause", [0]),
]


class StreamedLayer(ib.LayerBlob):
    """A layer pushed as a stream: its descriptor without its bytes."""

    def __init__(self, digest, size, diff_id, tar_size, media_type):
        self.data = None
        self.media_type = media_type
        self.digest = digest
        self.size = size
        self.annotations = None
        self.diff_id = diff_id
        self.tar_size = tar_size


def upload_stream(addr, repo, chunks):
    """Chunked blob upload (distribution-spec: POST, PATCH..., PUT
    ?digest=) of the bytes `chunks` yields; returns (digest, size)."""
    host, _, port = addr.rpartition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=300)

    def call(method, url, body=None, ok=202):
        conn.request(method, url, body=body, headers={
            "Content-Type": "application/octet-stream",
            "Content-Length": str(len(body or b""))})
        r = conn.getresponse()
        r.read()
        if r.status != ok:
            raise ib.RegistryError("%s %s: HTTP %d" % (method, url,
                                                        r.status))
        return urllib.parse.urlsplit(r.getheader("Location") or "")

    loc = call("POST", "/v2/%s/blobs/uploads/" % repo, b"")
    h, size = hashlib.sha256(), 0
    for chunk in chunks:
        h.update(chunk)
        size += len(chunk)
        loc = call("PATCH", loc.path + "?" + loc.query, chunk)
    digest = "sha256:" + h.hexdigest()
    call("PUT", loc.path + "?" + loc.query + "&digest=" + digest, b"",
         ok=201)
    conn.close()
    return digest, size


def huge_chunks(elf, path, state):
    """A gzip tar stream: HUGE_FILLER random bytes in /opt/filler, then
    the entrypoint; state gets the diff_id, tar size and the minimum."""
    comp = zlib.compressobj(FILLER_LEVEL, zlib.DEFLATED, 31)
    tar_hash, tar_size, out = hashlib.sha256(), 0, []

    def emit(raw):
        nonlocal tar_size
        tar_hash.update(raw)
        tar_size += len(raw)
        out.append(comp.compress(raw))

    def header(name, size, kind=tarfile.REGTYPE, mode=0o755):
        ti = tarfile.TarInfo(name)
        ti.size, ti.type, ti.mode = size, kind, mode
        return ti.tobuf(tarfile.PAX_FORMAT)

    emit(header("opt", 0, tarfile.DIRTYPE))
    emit(header("opt/filler", HUGE_FILLER, mode=0o644))
    left = HUGE_FILLER
    while left:
        part = min(left, UPLOAD_CHUNK)
        emit(os.urandom(part))
        left -= part
        if sum(len(c) for c in out) >= UPLOAD_CHUNK:
            yield b"".join(out)
            out.clear()
    emit(header(path.lstrip("/").split("/")[0], 0, tarfile.DIRTYPE))
    emit(header(path.lstrip("/"), len(elf)))
    emit(elf + bytes(-len(elf) % 512) + bytes(1024))
    out.append(comp.flush())
    yield b"".join(out)
    state["diff_id"] = "sha256:" + tar_hash.hexdigest()
    state["tar_size"] = tar_size


def push_huge(reg, addr, cache, repo):
    path = "/bin/app"
    elf = busybox(cache, "amd64")
    state = {}
    digest, size = upload_stream(addr, repo, huge_chunks(elf, path, state))
    layer = StreamedLayer(digest, size, state["diff_id"], state["tar_size"],
                          ib.OCI_LAYER["gzip"])
    img = ib.Image([layer], ib.Config("linux/amd64", entrypoint=[path]))
    index = ib.Index([(img, None, None),
                      (arm64_image(cache, path), None, None)])
    reg.push(index, repo, "1")
    # the entrypoint is the last file: the layer is needed all but its
    # tail (end-of-archive blocks, gzip trailer), counted here whole
    docs = index.size + img.size + img.config_blob.size
    return {"reference": "%s:1" % repo, "minimum": docs + size,
            "full_pull": docs + size, "layers": [size],
            "blob_path": "docker/registry/v2/blobs/sha256/%s/%s/data" % (
                digest[7:9], digest[7:])}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("registry", help="127.0.0.1:PORT (plain HTTP)")
    ap.add_argument("--cache", default=os.environ.get("DEBCACHE",
                                                      "build/debcache"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--cases", default="top,bottom,kubeadm,huge")
    a = ap.parse_args()
    reg = ib.Registry(a.registry, insecure=True, timeout=600)
    rng = os.urandom
    want = a.cases.split(",")
    cases = {}
    if "top" in want:
        cases["top"] = push_case(reg, a.cache, "bench/top",
                                 [60 * MIB, 40 * MIB, 0], 2,
                                 "/usr/local/bin/app", rng)
    if "bottom" in want:
        cases["bottom"] = push_case(reg, a.cache, "bench/bottom",
                                    [20 * MIB, 40 * MIB, 40 * MIB], 0,
                                    "/bin/app", rng)
    if "kubeadm" in want:
        images = []
        for name, spec in KUBEADM:
            images.append(push_case(reg, a.cache, "bench/k8s/" + name,
                                    spec, len(spec) - 1,
                                    "/usr/local/bin/" + name, rng))
        cases["kubeadm"] = {"images": images}
    if "huge" in want:
        cases["huge"] = push_huge(reg, a.registry, a.cache, "bench/huge")
    with open(a.out, "w") as f:
        json.dump(cases, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
