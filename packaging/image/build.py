#!/usr/bin/env python3
"""Build image-preflight's own container image for several architectures,
without a container engine: one OCI image per architecture (one layer
with the binary, the libraries it needs and the CA bundle) under one OCI
index, written as an OCI image layout and, if asked, pushed to a
registry.

Usage:
  build.py [--out DIR] [--push HOST[:PORT]/REPO:TAG [--insecure]]
           [--sysroot ARCH=DIR] [--ca-bundle FILE] [--version V]
           [--gzip-level 1-9]
           ARCH=BINARY...

ARCH is a platform (amd64, arm64, arm/v7, ppc64le, s390x, riscv64, 386,
with or without "linux/"); BINARY an image-preflight built for it. A
static binary goes in alone. A dynamic one gets its ELF interpreter and
every library it needs (DT_NEEDED, followed to the end), looked up in
the Debian multiarch directories (/lib/TRIPLET, /usr/lib/TRIPLET, then
/lib, /usr/lib) of --sysroot ARCH=DIR, by default of this machine, the
way `apt install libcurl4:arm64` puts them. The ELF class, byte order
and machine of every file must be the platform's: a mislabelled image
is refused, not built.

Standard library only. The same inputs give the same digests (mtime 0,
owner root, sorted entries, gzip without a time stamp).
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import struct
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request

# OCI image-spec v1.1 media types (media-types.md).
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"

BINARY_PATH = "/usr/bin/image-preflight"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Libraries followed from one binary (its closure is a few dozen).
LIBRARIES_MAX = 256
# Symbolic links followed in one lookup under a sysroot (as Linux).
SYMLINK_HOPS_MAX = 40
# Bytes of an ELF file read to find its interpreter and libraries.
ELF_BYTES_MAX = 256 << 20

# platform -> (ELF class, byte order, e_machine, Debian multiarch triplet)
# (ELF gABI; machine numbers from elf.h; triplets from Debian's multiarch
# tuples).
PLATFORMS = {
    "linux/amd64": (2, 1, 62, "x86_64-linux-gnu"),
    "linux/386": (1, 1, 3, "i386-linux-gnu"),
    "linux/arm64": (2, 1, 183, "aarch64-linux-gnu"),
    "linux/arm/v7": (1, 1, 40, "arm-linux-gnueabihf"),
    "linux/ppc64le": (2, 1, 21, "powerpc64le-linux-gnu"),
    "linux/s390x": (2, 2, 22, "s390x-linux-gnu"),
    "linux/riscv64": (2, 1, 243, "riscv64-linux-gnu"),
}

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB = 0, 1, 5


class BuildError(Exception):
    pass


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


# Debian's architecture names, as the cross builds are named.
DEBIAN_ARCHES = {
    "armhf": "linux/arm/v7",
    "ppc64el": "linux/ppc64le",
    "i386": "linux/386",
}


def normalise_platform(text):
    p = DEBIAN_ARCHES.get(text, text)
    p = p if p.startswith("linux/") else "linux/" + p
    if p == "linux/arm":
        p = "linux/arm/v7"
    if p not in PLATFORMS:
        raise BuildError("unknown platform '%s' (known: %s)" %
                         (text, ", ".join(sorted(PLATFORMS))))
    return p


class Elf:
    """The facts of an ELF file this builder needs (ELF gABI, ch. 4-5)."""

    def __init__(self, data, name):
        if len(data) < 52 or data[:4] != b"\x7fELF":
            raise BuildError("'%s' is not an ELF file" % name)
        self.name, self.data = name, data
        self.cls, self.order = data[4], data[5]
        if self.cls not in (1, 2) or self.order not in (1, 2):
            raise BuildError("'%s': bad ELF class or byte order" % name)
        self.e = "<" if self.order == 1 else ">"
        self.machine = self.u(18, 2)
        if self.cls == 2:
            phoff, self.phentsize, phnum = self.u(32, 8), self.u(54, 2), \
                self.u(56, 2)
        else:
            phoff, self.phentsize, phnum = self.u(28, 4), self.u(42, 2), \
                self.u(44, 2)
        self.phdrs = [self.phdr(phoff + i * self.phentsize)
                      for i in range(phnum)]

    def u(self, off, size):
        fmt = {1: "B", 2: "H", 4: "I", 8: "Q"}[size]
        if off < 0 or off + size > len(self.data):
            raise BuildError("'%s': ELF field past the end of the file"
                             % self.name)
        return struct.unpack_from(self.e + fmt, self.data, off)[0]

    def phdr(self, off):
        if self.cls == 2:
            return (self.u(off, 4), self.u(off + 8, 8), self.u(off + 16, 8),
                    self.u(off + 32, 8))
        return (self.u(off, 4), self.u(off + 4, 4), self.u(off + 8, 4),
                self.u(off + 16, 4))

    def offset_of(self, vaddr):
        for ptype, off, addr, filesz in self.phdrs:
            if ptype == PT_LOAD and addr <= vaddr < addr + filesz:
                return off + vaddr - addr
        raise BuildError("'%s': address 0x%x is in no PT_LOAD segment"
                         % (self.name, vaddr))

    def cstring(self, off):
        end = self.data.find(b"\0", off)
        if off < 0 or end < 0:
            raise BuildError("'%s': unterminated string" % self.name)
        return self.data[off:end].decode("utf-8", "replace")

    def interpreter(self):
        for ptype, off, _, filesz in self.phdrs:
            if ptype == PT_INTERP:
                return self.data[off:off + filesz].split(b"\0")[0].decode()
        return None

    def needed(self):
        dyn = [p for p in self.phdrs if p[0] == PT_DYNAMIC]
        if not dyn:
            return []
        _, off, _, filesz = dyn[0]
        size = 16 if self.cls == 2 else 8
        half = size // 2
        entries, strtab = [], None
        for pos in range(off, off + filesz - size + 1, size):
            tag, val = self.u(pos, half), self.u(pos + half, half)
            if tag == DT_NULL:
                break
            if tag == DT_NEEDED:
                entries.append(val)
            elif tag == DT_STRTAB:
                strtab = self.offset_of(val)
        if entries and strtab is None:
            raise BuildError("'%s': DT_NEEDED without DT_STRTAB" % self.name)
        return [self.cstring(strtab + v) for v in entries]

    def check_platform(self, platform):
        cls, order, machine, _ = PLATFORMS[platform]
        if (self.cls, self.order, self.machine) != (cls, order, machine):
            raise BuildError(
                "'%s' is ELF class %d, byte order %d, machine %d; %s needs "
                "class %d, byte order %d, machine %d" %
                (self.name, self.cls, self.order, self.machine, platform,
                 cls, order, machine))


def read_file(path):
    size = os.path.getsize(path)
    if size > ELF_BYTES_MAX:
        raise BuildError("'%s' is larger than %d bytes (ELF_BYTES_MAX)"
                         % (path, ELF_BYTES_MAX))
    with open(path, "rb") as f:
        return f.read()


def resolve(sysroot, path):
    """path inside sysroot, its symbolic links followed inside it; the
    real path on this machine, or None when there is no such file."""
    parts = [p for p in path.split("/") if p]
    done, hops = [], 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            done = done[:-1]
            continue
        if part == ".":
            continue
        real = os.path.join(sysroot, *done, part)
        if os.path.islink(real):
            hops += 1
            if hops > SYMLINK_HOPS_MAX:
                raise BuildError("'%s': more than %d symbolic links "
                                 "(SYMLINK_HOPS_MAX)" % (path,
                                                         SYMLINK_HOPS_MAX))
            target = os.readlink(real)
            if target.startswith("/"):
                done = []
            parts = [p for p in target.split("/") if p] + parts
            continue
        if not os.path.lexists(real):
            return None
        done.append(part)
    real = os.path.join(sysroot, *done)
    return real if os.path.isfile(real) else None


def find_library(sysroot, triplet, name, platform):
    for d in ("/lib/" + triplet, "/usr/lib/" + triplet, "/lib", "/usr/lib"):
        real = resolve(sysroot, d + "/" + name)
        if real is None:
            continue
        elf = Elf(read_file(real), real)
        try:
            elf.check_platform(platform)
        except BuildError:
            continue
        return real, elf
    raise BuildError("library '%s' for %s not found under '%s' (install "
                     "its package for that architecture, or give "
                     "--sysroot)" % (name, platform, sysroot))


def closure(binary, platform, sysroot):
    """Files of the image for this binary: image path -> bytes."""
    elf = Elf(read_file(binary), binary)
    elf.check_platform(platform)
    files = {BINARY_PATH: elf.data}
    interp = elf.interpreter()
    if interp is None:
        return files, False
    triplet = PLATFORMS[platform][3]
    real = resolve(sysroot, interp)
    if real is None:
        raise BuildError("interpreter '%s' of '%s' not found under '%s'"
                         % (interp, binary, sysroot))
    loader = Elf(read_file(real), real)
    loader.check_platform(platform)
    files[interp] = loader.data
    todo, seen = list(elf.needed()), set()
    while todo:
        name = todo.pop(0)
        if name in seen or os.path.basename(interp) == name:
            continue
        seen.add(name)
        if len(seen) > LIBRARIES_MAX:
            raise BuildError("'%s' needs more than %d libraries "
                             "(LIBRARIES_MAX)" % (binary, LIBRARIES_MAX))
        _, lib = find_library(sysroot, triplet, name, platform)
        files["/usr/lib/%s/%s" % (triplet, name)] = lib.data
        todo.extend(lib.needed())
    return files, True


def is_loader(path):
    """The program interpreter must be executable (the kernel opens it
    for exec): glibc's ld-linux*.so.N, ld.so.1, and ld64.so.N of
    ppc64le and s390x, musl's ld-musl-*."""
    base = os.path.basename(path)
    return base.startswith("ld-") or base.startswith("ld64.so.") or \
        base == "ld.so.1"


def tar_layer(files, level):
    """A gzip layer of files (path -> bytes): blob, diff_id."""
    buf = io.BytesIO()
    dirs = set()
    for path in files:
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    dirs.add("tmp")
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for d in sorted(dirs):
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, 0
            if d == "tmp":
                ti.mode = 0o1777
            t.addfile(ti)
        for path in sorted(files):
            data = files[path]
            ti = tarfile.TarInfo(path.strip("/"))
            ti.size, ti.mtime = len(data), 0
            ti.mode = 0o755 if path == BINARY_PATH or is_loader(path) \
                else 0o644
            t.addfile(ti, io.BytesIO(data))
    raw = buf.getvalue()
    return gzip.compress(raw, compresslevel=level, mtime=0), sha256(raw)


def platform_object(platform):
    parts = platform.split("/")
    obj = {"os": parts[0], "architecture": parts[1]}
    if len(parts) > 2:
        obj["variant"] = parts[2]
    return obj


class Blobs:
    """Every blob of the image: digest -> (media type, bytes)."""

    def __init__(self):
        self.items = {}

    def add(self, media_type, data):
        digest = sha256(data)
        self.items[digest] = (media_type, data)
        return {"mediaType": media_type, "digest": digest,
                "size": len(data)}


def build_image(blobs, platform, binary, sysroot, ca_bundle, version,
                level):
    files, dynamic = closure(binary, platform, sysroot)
    if ca_bundle:
        files[CA_BUNDLE] = read_file(ca_bundle)
    layer, diff_id = tar_layer(files, level)
    env = [PATH_ENV]
    if dynamic:
        env.append("LD_LIBRARY_PATH=/usr/lib/" + PLATFORMS[platform][3])
    config = dict(platform_object(platform))
    config["config"] = {"Entrypoint": [BINARY_PATH], "Cmd": ["--help"],
                        "Env": env, "WorkingDir": "/",
                        "Labels": {"org.opencontainers.image.version":
                                   version}}
    config["rootfs"] = {"type": "layers", "diff_ids": [diff_id]}
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": blobs.add(OCI_CONFIG, canonical(config)),
                "layers": [blobs.add(OCI_LAYER_GZIP, layer)]}
    desc = blobs.add(OCI_MANIFEST, canonical(manifest))
    desc["platform"] = platform_object(platform)
    return desc


def write_layout(out, blobs, index_desc, tag):
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    for digest, (_, data) in blobs.items.items():
        with open(os.path.join(out, "blobs", "sha256", digest[7:]),
                  "wb") as f:
            f.write(data)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    desc = dict(index_desc)
    desc["annotations"] = {"org.opencontainers.image.ref.name": tag}
    with open(os.path.join(out, "index.json"), "wb") as f:
        f.write(canonical({"schemaVersion": 2, "mediaType": OCI_INDEX,
                           "manifests": [desc]}))


def http(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers
    except urllib.error.HTTPError as e:
        return e.code, e.headers


def push(blobs, index_desc, target, insecure):
    """Push with the distribution API (distribution-spec v1.1): each blob
    unless the registry has it (HEAD), by POST then a monolithic PUT;
    the manifests, then the index under the tag."""
    host, _, rest = target.partition("/")
    repo, _, tag = rest.rpartition(":")
    if not repo or not tag or "/" in tag:
        raise BuildError("--push '%s': expected HOST[:PORT]/REPO:TAG"
                         % target)
    base = "%s://%s/v2/%s" % ("http" if insecure else "https", host, repo)
    manifests = {OCI_MANIFEST, OCI_INDEX}
    for digest, (mt, data) in sorted(blobs.items.items()):
        if mt in manifests:
            continue
        if http("HEAD", "%s/blobs/%s" % (base, digest))[0] == 200:
            continue
        st, hdr = http("POST", base + "/blobs/uploads/", b"")
        if st != 202 or not hdr.get("Location"):
            raise BuildError("upload of %s refused: HTTP %d" % (digest, st))
        loc = urllib.parse.urljoin(base + "/", hdr["Location"])
        sep = "&" if "?" in loc else "?"
        st, _ = http("PUT", loc + sep + "digest=" + digest, data,
                     {"Content-Type": "application/octet-stream"})
        if st != 201:
            raise BuildError("blob %s: HTTP %d" % (digest, st))
    order = sorted(blobs.items.items(), key=lambda kv: kv[1][0] == OCI_INDEX)
    for digest, (mt, data) in order:
        if mt not in manifests:
            continue
        ref = tag if digest == index_desc["digest"] else digest
        st, _ = http("PUT", "%s/manifests/%s" % (base, ref), data,
                     {"Content-Type": mt})
        if st != 201:
            raise BuildError("manifest %s: HTTP %d" % (ref, st))


def parse_pairs(pairs, what):
    out = {}
    for text in pairs:
        arch, sep, path = text.partition("=")
        if not sep or not path:
            raise BuildError("%s '%s': expected ARCH=PATH" % (what, text))
        plat = normalise_platform(arch)
        if plat in out:
            raise BuildError("%s: %s given twice" % (what, plat))
        out[plat] = path
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binaries", nargs="+", metavar="ARCH=BINARY")
    ap.add_argument("--out", help="write an OCI image layout here")
    ap.add_argument("--push", metavar="HOST[:PORT]/REPO:TAG")
    ap.add_argument("--insecure", action="store_true",
                    help="push over plain HTTP")
    ap.add_argument("--sysroot", action="append", default=[],
                    metavar="ARCH=DIR")
    ap.add_argument("--ca-bundle", default=CA_BUNDLE,
                    help="CA certificates to put in (default %(default)s;"
                    " an empty value for none)")
    ap.add_argument("--gzip-level", type=int, default=6,
                    choices=range(1, 10), metavar="1-9")
    ap.add_argument("--version", default=None,
                    help="the image's version (default: VERSION file)")
    args = ap.parse_args(argv)
    if not args.out and not args.push:
        ap.error("give --out, --push or both")
    try:
        binaries = parse_pairs(args.binaries, "binary")
        sysroots = parse_pairs(args.sysroot, "--sysroot")
        version = args.version or read_version()
        ca = args.ca_bundle if args.ca_bundle and \
            os.path.exists(args.ca_bundle) else None
        if args.ca_bundle and not ca:
            print("build.py: warning: no CA bundle '%s'; HTTPS registries "
                  "will not verify" % args.ca_bundle, file=sys.stderr)
        blobs = Blobs()
        entries = [build_image(blobs, plat, binaries[plat],
                               sysroots.get(plat, "/"), ca, version,
                               args.gzip_level)
                   for plat in sorted(binaries)]
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX,
                 "manifests": entries,
                 "annotations": {"org.opencontainers.image.version":
                                 version,
                                 "org.opencontainers.image.title":
                                 "image-preflight"}}
        index_desc = blobs.add(OCI_INDEX, canonical(index))
        if args.out:
            write_layout(args.out, blobs, index_desc, version)
        if args.push:
            push(blobs, index_desc, args.push, args.insecure)
    except (BuildError, OSError) as e:
        print("build.py: error: %s" % e, file=sys.stderr)
        return 1
    for e in entries:
        print("%s %s" % ("/".join(e["platform"].values()), e["digest"]))
    print("index %s" % index_desc["digest"])
    return 0


def read_version():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "..", "VERSION")
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return "0.0.0"


if __name__ == "__main__":
    sys.exit(main())
