#!/usr/bin/env python3
"""Build OCI and Docker images in memory and push them to a registry.

A small test helper, Python 3 standard library only (the `zstd` command
line tool is used for zstd layers).  It builds:

- layers: real tar archives (regular files, directories, symlinks, hard
  links, whiteouts `.wh.NAME`, opaque markers `.wh..wh..opq`, chosen
  modes), compressed with gzip, zstd or not at all, with the matching OCI
  or Docker media type, or a deliberately wrong one;
- image configs (os, architecture, variant, Entrypoint, Cmd, Env,
  WorkingDir, rootfs.diff_ids);
- OCI image manifests and Docker v2 schema 2 manifests, with or without
  the `mediaType` field;
- OCI indexes and Docker manifest lists, with platforms and annotations,
  including BuildKit-style attestation manifests (unknown/unknown);
- small synthetic ELF files (class, byte order, machine, type, optional
  PT_INTERP, PT_LOAD alignment).

and pushes them with the distribution API (OCI distribution-spec v1.1):
blobs by POST /v2/NAME/blobs/uploads/ then a monolithic PUT ?digest=,
manifests by PUT /v2/NAME/manifests/REF with their media type as
Content-Type, children before the index.  Plain HTTP, HTTPS with a CA
file, Basic auth and the Bearer token flow are supported.

Library use:

    import imagebuild as ib
    layer = ib.Layer().file("/app", ib.elf(machine=62)).build("gzip")
    img = ib.Image([layer], ib.Config("linux/amd64", entrypoint=["/app"]))
    ib.Registry("127.0.0.1:5000", insecure=True).push(img, "demo/app", "1")

Command line: `imagebuild.py elf ...` writes an ELF file,
`imagebuild.py push ...` builds and pushes one image; see --help.
"""

import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import ssl
import struct
import subprocess
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request

# Media types: OCI image-spec v1.1 (media-types.md), Docker image manifest
# v2 schema 2, and the names containerd gives Docker zstd/uncompressed
# layers.
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = {
    "none": "application/vnd.docker.image.rootfs.diff.tar",
    "gzip": "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "zstd": "application/vnd.docker.image.rootfs.diff.tar.zstd",
}
IN_TOTO = "application/vnd.in-toto+json"

# Every manifest type a client should offer (cases.md, case 17).
ACCEPT = ", ".join([OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST])

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# ELF machine numbers (System V ABI gABI, e_machine) and the class and
# byte order each Go/OCI architecture uses.
ARCH_ELF = {
    "386": (32, "little", 3),
    "amd64": (64, "little", 62),
    "arm": (32, "little", 40),
    "arm64": (64, "little", 183),
    "ppc64le": (64, "little", 21),
    "ppc64": (64, "big", 21),
    "s390x": (64, "big", 22),
    "riscv64": (64, "little", 243),
    "loong64": (64, "little", 258),
    "mips64le": (64, "little", 8),
    "mipsle": (32, "little", 8),
}

# Typical e_flags: ARM EABI5 hard-float, ppc64 ELFv2 ABI, RISC-V RVC +
# double-float ABI, LoongArch LP64D.
ELF_FLAGS = {40: 0x05000400, 21: 2, 243: 0x5, 258: 0x43}


def sha256(data):
    """Return the "sha256:HEX" digest of bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(obj):
    """Serialise deterministically (key order as built, no spaces)."""
    return json.dumps(obj, separators=(",", ":")).encode()


def parse_platform(text):
    """Turn "os/arch[/variant]" into a platform dict (OCI index order)."""
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError("platform '%s' is not OS/ARCH[/VARIANT]" % text)
    plat = {"architecture": parts[1], "os": parts[0]}
    if len(parts) == 3:
        plat["variant"] = parts[2]
    return plat


# ---------------------------------------------------------------- ELF


def gnu_property_note(cls, bo, isa_needed):
    """A NT_GNU_PROPERTY_TYPE_0 note holding GNU_PROPERTY_X86_ISA_1_NEEDED
    (x86-64 psABI), aligned to 8 bytes in ELF64 and 4 in ELF32."""
    al = 8 if cls == 64 else 4
    prop = struct.pack(bo + "III", 0xc0008002, 4, isa_needed)
    prop += bytes(-len(prop) % al)
    note = struct.pack(bo + "III", 4, len(prop), 5) + b"GNU\0"
    note += bytes(-len(note) % al)
    return note + prop


def arm_attributes(attrs):
    """An .ARM.attributes section: format 'A', one "aeabi" subsection with
    one Tag_File block of integer attributes ({tag: value}), each a
    ULEB128 tag and a ULEB128 value."""
    def uleb(v):
        out = bytearray()
        while True:
            b = v & 0x7f
            v >>= 7
            out.append(b | (0x80 if v else 0))
            if not v:
                return bytes(out)
    body = b"".join(uleb(t) + uleb(v) for t, v in attrs.items())
    block = b"\x01" + struct.pack("<I", 5 + len(body)) + body
    sub = b"aeabi\0" + block
    return b"A" + struct.pack("<I", 4 + len(sub)) + sub


def elf(cls=None, endian=None, machine=62, etype="EXEC", interp=None,
        align=0x1000, flags=None, osabi=0, pad=256, arch=None,
        isa_needed=None, arm_attrs=None, needed=None, runpath=None,
        rpath=None, soname=None):
    """Return a small, valid-looking ELF image.

    cls: 32 or 64; endian: "little" or "big"; machine: e_machine;
    etype: "EXEC" or "DYN"; interp: PT_INTERP path or None; align: the
    PT_LOAD p_align; arch: an OCI architecture name that sets cls, endian
    and machine (explicit cls/endian still win).  Layout (System V gABI,
    chapter 4 and 5): ELF header, program headers (PT_INTERP if any, one
    PT_LOAD covering the file, PT_GNU_STACK), the interpreter string, then
    `pad` bytes of filler code.  isa_needed (a bit mask: 1 baseline, 2
    v2, 4 v3, 8 v4) adds a GNU property note after the code, named by a
    PT_NOTE and a PT_GNU_PROPERTY; arm_attrs ({Tag: value}, e.g. {6: 10}
    for Tag_CPU_arch v7) adds an .ARM.attributes section and a section
    header table (null section, then it) at the end.  needed (a list of
    library names), runpath, rpath, soname: a dynamic section with
    DT_NEEDED, DT_RUNPATH, DT_RPATH, DT_SONAME, DT_STRTAB and DT_STRSZ,
    after the interpreter string: its string table, then its entries,
    named by a PT_DYNAMIC after the PT_LOAD.
    """
    if arch is not None:
        acls, aend, machine = ARCH_ELF[arch]
        cls = cls or acls
        endian = endian or aend
    cls = cls or 64
    endian = endian or "little"
    if cls not in (32, 64) or endian not in ("little", "big"):
        raise ValueError("bad ELF class %r or byte order %r" % (cls, endian))
    bo = "<" if endian == "little" else ">"
    ehsize, phentsize = (64, 56) if cls == 64 else (52, 32)
    interp_b = interp.encode() + b"\0" if interp else b""
    dynamic = needed is not None or runpath or rpath or soname
    phnum = 2 + (1 if interp else 0) + (2 if isa_needed is not None else 0)
    phnum += 1 if dynamic else 0
    interp_off = ehsize + phnum * phentsize
    dynstr_off = interp_off + len(interp_b)
    base = 0x400000 if etype == "EXEC" else 0
    dynstr, dyn = _dynamic(cls, bo, needed or [], runpath, rpath, soname,
                           base + dynstr_off) if dynamic else (b"", b"")
    dyn_off = (dynstr_off + len(dynstr) + 7) & ~7
    code_off = (dyn_off + len(dyn) + 15) & ~15
    tail = bytearray()
    note_off = code_off + pad
    if isa_needed is not None:
        tail += gnu_property_note(cls, bo, isa_needed)
    shoff = shnum = 0
    if arm_attrs is not None:
        attr_off = note_off + len(tail)
        attr = arm_attributes(arm_attrs)
        tail += attr + bytes(-len(attr) % 4)
        shoff, shnum = note_off + len(tail), 2
        shent = "IIIIIIIIII" if cls == 32 else "IIQQQQIIQQ"
        tail += struct.pack(bo + shent, *([0] * 10))
        tail += struct.pack(bo + shent, 0, 0x70000003, 0, 0, attr_off,
                            len(attr), 0, 0, 1, 0)
    total = code_off + pad + len(tail)
    ety = {"EXEC": 2, "DYN": 3, "REL": 1, "CORE": 4}[etype]
    if flags is None:
        flags = ELF_FLAGS.get(machine, 0)
        if machine == 21 and endian == "big":
            flags = 1       # ppc64 big-endian: ELFv1 ABI

    phdrs = []
    if interp:
        phdrs.append((3, 4, interp_off, base + interp_off, len(interp_b), 1))
    phdrs.append((1, 5, 0, base, total, align))           # PT_LOAD R+X
    if dynamic:
        phdrs.append((2, 6, dyn_off, base + dyn_off, len(dyn), 8))
    if isa_needed is not None:
        nlen = len(gnu_property_note(cls, bo, isa_needed))
        nal = 8 if cls == 64 else 4
        phdrs.append((4, 4, note_off, base + note_off, nlen, nal))
        phdrs.append((0x6474E553, 4, note_off, base + note_off, nlen, nal))
    phdrs.append((0x6474E551, 6, 0, 0, 0, 16))            # PT_GNU_STACK RW
    out = bytearray()
    ident = b"\x7fELF" + bytes([1 if cls == 32 else 2,
                                1 if endian == "little" else 2, 1, osabi])
    out += ident + bytes(8)
    entry = base + code_off
    if cls == 64:
        out += struct.pack(bo + "HHIQQQIHHHHHH", ety, machine, 1, entry,
                           ehsize, shoff, flags, ehsize, phentsize, phnum,
                           64, shnum, 0)
    else:
        out += struct.pack(bo + "HHIIIIIHHHHHH", ety, machine, 1, entry,
                           ehsize, shoff, flags, ehsize, phentsize, phnum,
                           40, shnum, 0)
    for ptype, pflags, off, vaddr, size, pal in phdrs:
        if cls == 64:
            out += struct.pack(bo + "IIQQQQQQ", ptype, pflags, off, vaddr,
                               vaddr, size, size, pal)
        else:
            out += struct.pack(bo + "IIIIIIII", ptype, off, vaddr, vaddr,
                               size, size, pflags, pal)
    out += interp_b
    out += dynstr
    out += bytes(dyn_off - len(out))
    out += dyn
    out += bytes(code_off - len(out))
    filler = b"\x90\x0f\x0b\xcc" * (pad // 4 + 1)   # nop, ud2, int3
    out += filler[:pad]
    out += tail
    assert len(out) == total
    return bytes(out)


def _dynamic(cls, bo, needed, runpath, rpath, soname, strtab_addr):
    """The dynamic string table and entries (gABI "Dynamic Section")."""
    strtab = bytearray(b"\0")
    entries = []

    def add(tag, text):
        entries.append((tag, len(strtab)))
        strtab.extend(text.encode() + b"\0")
    for name in needed:
        add(1, name)                        # DT_NEEDED
    if soname:
        add(14, soname)                     # DT_SONAME
    if rpath:
        add(15, rpath)                      # DT_RPATH
    if runpath:
        add(29, runpath)                    # DT_RUNPATH
    entries += [(5, strtab_addr), (10, len(strtab)), (0, 0)]
    fmt = bo + ("qQ" if cls == 64 else "iI")
    return bytes(strtab), b"".join(struct.pack(fmt, t, v)
                                   for t, v in entries)


def ld_cache(entries, endian="little", flags=0x0303):
    """An /etc/ld.so.cache in glibc's "glibc-ld.so.cache1.1" format.

    entries: (soname, path) pairs; flags: each entry's (0x0303: an ELF
    libc6 library for x86-64).  Layout (glibc dl-cache.h): 48-byte
    header (magic, nlibs, len_strings, byte order flag, extension
    offset), 24-byte entries, then the strings, whose offsets count from
    the start of the file."""
    bo = "<" if endian == "little" else ">"
    head = 48 + 24 * len(entries)
    strings = bytearray()
    table = bytearray()
    for name, path in entries:
        key = head + len(strings)
        strings.extend(name.encode() + b"\0")
        value = head + len(strings)
        strings.extend(path.encode() + b"\0")
        table += struct.pack(bo + "iIIIQ", flags, key, value, 0, 0)
    header = b"glibc-ld.so.cache1.1" + struct.pack(
        bo + "II", len(entries), len(strings)) + bytes(
        [2 if endian == "little" else 3, 0, 0, 0]) + bytes(16)
    return header + bytes(table) + bytes(strings)


# ------------------------------------------------------------- layers


class Blob:
    """Bytes stored in a registry, with the descriptor that points at them."""

    def __init__(self, data, media_type, annotations=None):
        self.data = data
        self.media_type = media_type
        self.digest = sha256(data)
        self.size = len(data)
        self.annotations = annotations

    def descriptor(self):
        d = {"mediaType": self.media_type, "digest": self.digest,
             "size": self.size}
        if self.annotations:
            d["annotations"] = self.annotations
        return d


class LayerBlob(Blob):
    """A compressed (or not) layer blob plus the diff_id of its tar."""

    def __init__(self, data, media_type, diff_id, tar_size):
        super().__init__(data, media_type)
        self.diff_id = diff_id
        self.tar_size = tar_size


def compress(data, compression, level=None):
    """Compress bytes: "gzip" (mtime 0), "zstd" (the CLI) or "none"."""
    if compression == "none":
        return data
    if compression == "gzip":
        return gzip.compress(data, compresslevel=level or 6, mtime=0)
    if compression == "zstd":
        cmd = ["zstd", "-q", "-c", "-%d" % (level or 3)]
        return subprocess.run(cmd, input=data, stdout=subprocess.PIPE,
                              check=True).stdout
    raise ValueError("unknown compression '%s'" % compression)


class Layer:
    """A tar layer built entry by entry, in the order the calls are made.

    Paths are given absolute ("/usr/bin/x") and stored relative
    ("usr/bin/x"), or with `prefix` (e.g. "./") in front.  Parent
    directories are added (mode 0755) before their first child unless
    `parents=False` or they were added explicitly.
    """

    def __init__(self, prefix="", parents=True, mtime=0):
        self.prefix = prefix
        self.parents = parents
        self.mtime = mtime
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w",
                                format=tarfile.PAX_FORMAT)
        self.seen = set()

    def _name(self, path):
        rel = path.strip("/")
        return self.prefix + rel

    def _parents(self, path):
        if not self.parents:
            return
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/" + "/".join(parts[:i])
            if d not in self.seen:
                self.dir(d)

    def _info(self, path, kind, mode, uid, gid):
        self._parents(path)
        self.seen.add("/" + path.strip("/"))
        ti = tarfile.TarInfo(self._name(path))
        ti.type = kind
        ti.mode = mode
        ti.uid, ti.gid = uid, gid
        ti.uname = ti.gname = "root" if uid == 0 else ""
        ti.mtime = self.mtime
        return ti

    def file(self, path, data=b"", mode=0o755, uid=0, gid=0):
        """Add a regular file."""
        if isinstance(data, str):
            data = data.encode()
        ti = self._info(path, tarfile.REGTYPE, mode, uid, gid)
        ti.size = len(data)
        self.tar.addfile(ti, io.BytesIO(data))
        return self

    def dir(self, path, mode=0o755, uid=0, gid=0):
        """Add a directory."""
        ti = self._info(path, tarfile.DIRTYPE, mode, uid, gid)
        self.tar.addfile(ti)
        return self

    def symlink(self, path, target, uid=0, gid=0):
        """Add a symbolic link to `target`, stored as given."""
        ti = self._info(path, tarfile.SYMTYPE, 0o777, uid, gid)
        ti.linkname = target
        self.tar.addfile(ti)
        return self

    def hardlink(self, path, target, mode=0o755):
        """Add a hard link to the earlier entry `target` (absolute path)."""
        ti = self._info(path, tarfile.LNKTYPE, mode, 0, 0)
        ti.linkname = self._name(target)
        self.tar.addfile(ti)
        return self

    def whiteout(self, path):
        """Delete `path` from lower layers: an empty ".wh.NAME" file
        (OCI image-spec layer.md, Whiteouts)."""
        head, _, base = ("/" + path.strip("/")).rpartition("/")
        return self.file(head + "/.wh." + base, b"", mode=0o644)

    def opaque(self, directory):
        """Hide everything lower layers have in `directory`: the
        ".wh..wh..opq" marker (OCI image-spec layer.md, Opaque Whiteout)."""
        return self.file(directory.rstrip("/") + "/.wh..wh..opq", b"",
                         mode=0o644)

    def tar_bytes(self):
        """Close the archive and return the uncompressed tar."""
        if not self.tar.closed:
            self.tar.close()
        return self.buf.getvalue()

    def build(self, compression="gzip", style="oci", media_type=None,
              data_compression=None, level=None):
        """Return a LayerBlob.

        style picks the media type family ("oci" or "docker");
        media_type overrides it; data_compression compresses the bytes
        differently from what the media type says (a deliberate mismatch).
        """
        return layer_blob(self.tar_bytes(), compression, style, media_type,
                          data_compression, level)


def layer_blob(tar, compression="gzip", style="oci", media_type=None,
               data_compression=None, level=None):
    """Wrap raw tar bytes (or any bytes) as a LayerBlob."""
    table = OCI_LAYER if style == "oci" else DOCKER_LAYER
    mt = media_type or table[compression]
    data = compress(tar, data_compression or compression, level)
    return LayerBlob(data, mt, sha256(tar), len(tar))


def raw_layer(data, media_type, diff_id=None):
    """A layer blob made of arbitrary bytes (garbage, truncated streams)."""
    return LayerBlob(data, media_type, diff_id or sha256(data), len(data))


# ------------------------------------------------------------ configs


class Config:
    """An image config (OCI image-spec config.md; Docker's is the same
    shape for these fields)."""

    def __init__(self, platform="linux/amd64", entrypoint=None, cmd=None,
                 env=None, workdir=None, os_name=None, arch=None,
                 variant=None, extra=None, user=None):
        plat = parse_platform(platform) if platform else {}
        self.os = os_name if os_name is not None else plat.get("os")
        self.arch = arch if arch is not None else plat.get("architecture")
        self.variant = variant if variant is not None \
            else plat.get("variant")
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.env = ["PATH=" + DEFAULT_PATH] if env is None else env
        self.workdir = workdir
        self.user = user
        self.extra = extra or {}

    def to_json(self, diff_ids):
        cfg = {}
        if self.env:
            cfg["Env"] = list(self.env)
        if self.entrypoint is not None:
            cfg["Entrypoint"] = list(self.entrypoint)
        if self.cmd is not None:
            cfg["Cmd"] = list(self.cmd)
        if self.workdir:
            cfg["WorkingDir"] = self.workdir
        if self.user:
            cfg["User"] = self.user
        doc = {"created": "1970-01-01T00:00:00Z"}
        if self.arch is not None:
            doc["architecture"] = self.arch
        if self.variant:
            doc["variant"] = self.variant
        if self.os is not None:
            doc["os"] = self.os
        doc["config"] = cfg
        doc["rootfs"] = {"type": "layers", "diff_ids": list(diff_ids)}
        doc.update(self.extra)
        return canonical_json(doc)

    def platform(self):
        p = {"architecture": self.arch, "os": self.os}
        if self.variant:
            p["variant"] = self.variant
        return p


# ---------------------------------------------------------- manifests


class Image:
    """One image manifest (OCI or Docker v2 schema 2) with its blobs."""

    def __init__(self, layers, config, style="oci", media_type_field=True,
                 config_blob=None, annotations=None):
        self.layers = list(layers)
        self.style = style
        self.config = config
        if config_blob is None:
            cmt = OCI_CONFIG if style == "oci" else DOCKER_CONFIG
            config_blob = Blob(config.to_json([l.diff_id for l in layers]),
                               cmt)
        self.config_blob = config_blob
        self.media_type = OCI_MANIFEST if style == "oci" else DOCKER_MANIFEST
        doc = {"schemaVersion": 2}
        if media_type_field:
            doc["mediaType"] = self.media_type
        doc["config"] = config_blob.descriptor()
        doc["layers"] = [l.descriptor() for l in self.layers]
        if annotations:
            doc["annotations"] = annotations
        self.data = canonical_json(doc)
        self.digest = sha256(self.data)
        self.size = len(self.data)

    def blobs(self):
        return [self.config_blob] + self.layers

    def children(self):
        return []

    def platform(self):
        return self.config.platform() if self.config else None


class Index:
    """An OCI image index or a Docker manifest list.

    entries: a list of (manifest, platform, annotations) tuples, where
    platform is a dict, an "os/arch[/variant]" string, or None (take it
    from the child's config; omit it when the child has none).
    """

    def __init__(self, entries, style="oci", media_type_field=True,
                 annotations=None):
        self.style = style
        self.media_type = OCI_INDEX if style == "oci" else DOCKER_LIST
        self.entries = []
        self.platforms = []     # as written in the index, per entry
        self.annotations = []
        descs = []
        for ent in entries:
            if not isinstance(ent, tuple):
                ent = (ent, None, None)
            child, plat, ann = (tuple(ent) + (None, None))[:3]
            if isinstance(plat, str):
                plat = parse_platform(plat)
            if plat is None:
                plat = child.platform()
            d = {"mediaType": child.media_type, "digest": child.digest,
                 "size": child.size}
            if plat:
                d["platform"] = plat
            if ann:
                d["annotations"] = ann
            descs.append(d)
            self.entries.append(child)
            self.platforms.append(plat)
            self.annotations.append(ann)
        doc = {"schemaVersion": 2}
        if media_type_field:
            doc["mediaType"] = self.media_type
        doc["manifests"] = descs
        if annotations:
            doc["annotations"] = annotations
        self.data = canonical_json(doc)
        self.digest = sha256(self.data)
        self.size = len(self.data)

    def blobs(self):
        return []

    def children(self):
        return self.entries

    def platform(self):
        return None


def attestation(subject, predicate_type="https://slsa.dev/provenance/v0.2"):
    """A BuildKit-style attestation manifest for `subject` and its index
    entry: returns (Image, platform, annotations) ready for Index()."""
    statement = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": predicate_type,
        "subject": [{"name": "_", "digest": {
            "sha256": subject.digest.split(":", 1)[1]}}],
        "predicate": {"builder": {"id": "imagebuild.py"},
                      "buildType": "https://mobyproject.org/buildkit@v1"},
    }
    layer = LayerBlob(canonical_json(statement), IN_TOTO, None, 0)
    layer.diff_id = layer.digest
    layer.annotations = {"in-toto.io/predicate-type": predicate_type}
    cfg = Blob(canonical_json({
        "architecture": "unknown", "os": "unknown", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [layer.digest]}}),
        OCI_CONFIG)
    img = Image([layer], None, style="oci", config_blob=cfg)
    ann = {"vnd.docker.reference.digest": subject.digest,
           "vnd.docker.reference.type": "attestation-manifest"}
    return (img, {"architecture": "unknown", "os": "unknown"}, ann)


def walk(top):
    """Yield every manifest under `top`, children first."""
    for child in top.children():
        yield from walk(child)
    yield top


def platform_text(plat):
    return "/".join(x for x in (plat.get("os"), plat.get("architecture"),
                                plat.get("variant")) if x)


def digest_tree(top):
    """The digests under `top` as a JSON-ready dict (see FIXTURES.md)."""
    out = {"digest": top.digest, "mediaType": top.media_type}
    if isinstance(top, Index):
        out["manifests"] = []
        for child, plat, ann in zip(top.children(), top.platforms,
                                    top.annotations):
            ent = digest_tree(child)
            if plat:
                ent["platform"] = platform_text(plat)
            if ann:
                ent["annotations"] = ann
            out["manifests"].append(ent)
    else:
        out["config"] = top.config_blob.digest
        if top.config:
            out["configPlatform"] = platform_text(top.config.platform())
        out["layers"] = [l.digest for l in top.layers]
    return out


# ----------------------------------------------------------- registry


class RegistryError(Exception):
    pass


class Registry:
    """A client for the push side of the OCI distribution API."""

    def __init__(self, registry, insecure=False, ca=None, user=None,
                 skip_verify=False, timeout=60):
        if "://" not in registry:
            registry = ("http://" if insecure else "https://") + registry
        self.base = registry.rstrip("/")
        self.user = user
        self.timeout = timeout
        self.tokens = {}
        self.basic = None
        ctx = None
        if self.base.startswith("https://"):
            ctx = ssl.create_default_context(cafile=ca)
            if skip_verify:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=ctx),
            _NoRedirect())
        self.requests = 0

    # -- auth (distribution token spec: WWW-Authenticate challenge)

    def _basic_header(self):
        raw = self.user.encode()
        return "Basic " + base64.b64encode(raw).decode()

    def _challenge(self, header, repo):
        scheme, _, rest = header.partition(" ")
        if scheme.lower() == "basic":
            if not self.user:
                raise RegistryError("registry wants Basic auth; use --user")
            self.basic = self._basic_header()
            return
        if scheme.lower() != "bearer":
            raise RegistryError("unsupported challenge '%s'" % header)
        params = dict(_parse_params(rest))
        if "realm" not in params:
            raise RegistryError("bearer challenge without realm")
        query = {"scope": params.get("scope")
                 or "repository:%s:pull,push" % repo}
        if "service" in params:
            query["service"] = params["service"]
        url = params["realm"] + ("&" if "?" in params["realm"] else "?") \
            + urllib.parse.urlencode(query)
        headers = {}
        if self.user:
            headers["Authorization"] = self._basic_header()
        req = urllib.request.Request(url, headers=headers)
        with self.opener.open(req, timeout=self.timeout) as resp:
            body = json.loads(resp.read())
        tok = body.get("token") or body.get("access_token")
        if not tok:
            raise RegistryError("token endpoint returned no token")
        self.tokens[repo] = "Bearer " + tok

    def _request(self, method, url, repo, data=None, headers=None,
                 ok=(200,)):
        for attempt in (1, 2):
            hdrs = dict(headers or {})
            auth = self.tokens.get(repo) or self.basic
            if auth:
                hdrs["Authorization"] = auth
            req = urllib.request.Request(url, data=data, method=method,
                                         headers=hdrs)
            self.requests += 1
            try:
                resp = self.opener.open(req, timeout=self.timeout)
            except urllib.error.HTTPError as e:
                resp = e
            status = resp.status if hasattr(resp, "status") else resp.code
            body = resp.read()
            if status == 401 and attempt == 1:
                chal = resp.headers.get("WWW-Authenticate", "")
                self._challenge(chal, repo)
                continue
            if status not in ok:
                raise RegistryError("%s %s: HTTP %d: %s" % (
                    method, url, status, body[:300].decode("utf-8",
                                                           "replace")))
            return status, resp.headers, body
        raise RegistryError("%s %s: still unauthorized" % (method, url))

    def _url(self, repo, kind, ref):
        return "%s/v2/%s/%s/%s" % (self.base, repo, kind, ref)

    def has_blob(self, repo, digest):
        st, _, _ = self._request("HEAD", self._url(repo, "blobs", digest),
                                 repo, ok=(200, 404, 307))
        return st != 404

    def put_blob(self, repo, blob):
        """Upload a blob unless present: POST then monolithic PUT."""
        if self.has_blob(repo, blob.digest):
            return False
        _, hdrs, _ = self._request(
            "POST", "%s/v2/%s/blobs/uploads/" % (self.base, repo), repo,
            data=b"", ok=(202,))
        loc = urllib.parse.urljoin(self.base + "/", hdrs["Location"])
        sep = "&" if "?" in loc else "?"
        loc += sep + urllib.parse.urlencode({"digest": blob.digest})
        self._request("PUT", loc, repo, data=blob.data, ok=(201,), headers={
            "Content-Type": "application/octet-stream"})
        return True

    def put_manifest(self, repo, ref, man):
        st, hdrs, _ = self._request(
            "PUT", self._url(repo, "manifests", ref), repo, data=man.data,
            headers={"Content-Type": man.media_type}, ok=(201, 200))
        got = hdrs.get("Docker-Content-Digest")
        if got and got != man.digest:
            raise RegistryError("registry stored %s as %s, expected %s"
                                % (ref, got, man.digest))
        return man.digest

    def push(self, top, repo, tag=None):
        """Push `top` (Image or Index) and everything under it; tag it."""
        for man in walk(top):
            for blob in man.blobs():
                self.put_blob(repo, blob)
            self.put_manifest(repo, man.digest, man)
        if tag:
            self.put_manifest(repo, tag, top)
        return top.digest

    def get_manifest(self, repo, ref):
        """GET a manifest with the full Accept list; (type, digest, body)."""
        _, hdrs, body = self._request(
            "GET", self._url(repo, "manifests", ref), repo,
            headers={"Accept": ACCEPT})
        return hdrs.get("Content-Type"), sha256(body), body


    def verify(self, top, repo, tag=None):
        """Check that `top` resolves as pushed: every manifest answers a
        GET with the full Accept list with the bytes pushed, every blob is
        present, and a ranged GET of each layer answers 206."""
        if tag:
            _, dg, _ = self.get_manifest(repo, tag)
            if dg != top.digest:
                raise RegistryError("%s:%s resolves to %s, pushed %s"
                                    % (repo, tag, dg, top.digest))
        for man in walk(top):
            ctype, dg, _ = self.get_manifest(repo, man.digest)
            if dg != man.digest or ctype != man.media_type:
                raise RegistryError("%s@%s: got %s as %s" % (
                    repo, man.digest, dg, ctype))
            for blob in man.blobs():
                if not self.has_blob(repo, blob.digest):
                    raise RegistryError("%s: blob %s missing"
                                        % (repo, blob.digest))
            for blob in man.blobs()[1:]:
                st, _, body = self._request(
                    "GET", self._url(repo, "blobs", blob.digest), repo,
                    headers={"Range": "bytes=0-99"}, ok=(206,))
                if body != blob.data[:100]:
                    raise RegistryError("%s: ranged GET of %s differs"
                                        % (repo, blob.digest))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects for GET/HEAD only (blob storage may redirect)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if req.get_method() in ("GET", "HEAD"):
            return super().redirect_request(req, fp, code, msg, headers,
                                            newurl)
        return None


def _parse_params(text):
    """Parse `k="v", k2=v2` (RFC 7235 auth-param list)."""
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " ,":
            i += 1
        eq = text.find("=", i)
        if eq < 0:
            return
        key = text[i:eq].strip().lower()
        i = eq + 1
        if i < n and text[i] == '"':
            j, val = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                val.append(text[j])
                j += 1
            i = j + 1
            yield key, "".join(val)
        else:
            j = text.find(",", i)
            j = n if j < 0 else j
            yield key, text[i:j].strip()
            i = j


# -------------------------------------------------------------- CLI


def add_registry_args(ap):
    """Options shared by every script that pushes."""
    ap.add_argument("registry", help="HOST:PORT or http(s)://HOST:PORT")
    ap.add_argument("--insecure", action="store_true",
                    help="plain HTTP when REGISTRY has no scheme")
    ap.add_argument("--ca", metavar="FILE", help="CA bundle for HTTPS")
    ap.add_argument("-k", "--skip-verify", action="store_true",
                    help="HTTPS without certificate verification")
    ap.add_argument("--user", metavar="U:P", help="credentials (Basic or "
                    "for the token endpoint)")


def registry_from_args(args):
    return Registry(args.registry, insecure=args.insecure, ca=args.ca,
                    user=args.user, skip_verify=args.skip_verify)


def _cli_elf(args):
    data = elf(cls=args.cls, endian=args.endian, machine=args.machine,
               etype=args.type, interp=args.interp, align=args.align,
               arch=args.arch)
    if args.truncate is not None:
        data = data[:args.truncate]
    if args.output == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(args.output, "wb") as f:
            f.write(data)
        os.chmod(args.output, 0o755)
    return 0


def _cli_push(args):
    layer = Layer()
    for spec in args.file or []:
        dest, _, src = spec.partition("=")
        src, _, mode = src.partition(":")
        with open(src, "rb") as f:
            layer.file(dest, f.read(), mode=int(mode or "755", 8))
    for spec in args.symlink or []:
        dest, _, target = spec.partition("=")
        layer.symlink(dest, target)
    for spec in args.dir or []:
        layer.dir(spec)
    env = None
    if args.env:
        env = ["PATH=" + DEFAULT_PATH] + args.env
    cfg = Config(args.platform,
                 entrypoint=json.loads(args.entrypoint)
                 if args.entrypoint else None,
                 cmd=json.loads(args.cmd) if args.cmd else None,
                 env=env, workdir=args.workdir)
    img = Image([layer.build(args.compression, args.style)], cfg,
                style=args.style)
    top = img
    if args.index:
        top = Index([(img, None, None)], style=args.style)
    repo, _, tag = args.reference.rpartition(":")
    if not repo or "/" in tag:
        repo, tag = args.reference, "latest"
    digest = registry_from_args(args).push(top, repo, tag)
    print("%s:%s %s" % (repo, tag, digest))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Build synthetic ELF files and images; push images.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("elf", help="write a synthetic ELF file")
    e.add_argument("--arch", help="OCI architecture (sets the next three)")
    e.add_argument("--class", dest="cls", type=int, choices=(32, 64))
    e.add_argument("--endian", choices=("little", "big"))
    e.add_argument("--machine", type=int, default=62)
    e.add_argument("--type", choices=("EXEC", "DYN"), default="EXEC")
    e.add_argument("--interp", help="PT_INTERP path")
    e.add_argument("--align", type=lambda s: int(s, 0), default=0x1000)
    e.add_argument("--truncate", type=int, help="keep only N bytes")
    e.add_argument("-o", "--output", default="-")
    p = sub.add_parser("push", help="build one image from files and push")
    add_registry_args(p)
    p.add_argument("reference", help="REPO[:TAG]")
    p.add_argument("--platform", default="linux/amd64")
    p.add_argument("--file", action="append", metavar="DEST=SRC[:MODE]")
    p.add_argument("--symlink", action="append", metavar="DEST=TARGET")
    p.add_argument("--dir", action="append", metavar="DEST")
    p.add_argument("--entrypoint", metavar="JSON")
    p.add_argument("--cmd", metavar="JSON")
    p.add_argument("--env", action="append", metavar="K=V")
    p.add_argument("--workdir")
    p.add_argument("--compression", choices=("gzip", "zstd", "none"),
                   default="gzip")
    p.add_argument("--style", choices=("oci", "docker"), default="oci")
    p.add_argument("--index", action="store_true",
                   help="wrap the manifest in a one-entry index")
    args = ap.parse_args(argv)
    try:
        return _cli_elf(args) if args.cmd == "elf" else _cli_push(args)
    except (RegistryError, OSError, ValueError) as exc:
        print("imagebuild.py: error: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
