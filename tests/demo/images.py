#!/usr/bin/env python3
"""Push the demo's images, built from real Debian binaries, to a registry.

Usage: python3 tests/demo/images.py REGISTRY [--insecure] [--ca FILE]
                                   [--user U:P] [--cache DIR] [--verify]

The binaries come from tests/lib/debbin.sh (busybox-static for amd64,
arm64, armhf, ppc64el, s390x; hello and libc6 for amd64 and arm64), run
first if its cache (default build/debcache) lacks them.  Pushes:

  demo/busybox:multi            OCI index, one real busybox per platform
  demo/coredns:v1.11.1          the incident: one Docker v2 manifest,
                                linux/amd64, /coredns = amd64 busybox
  demo/busybox:arm64-mislabeled index entry linux/amd64, arm64 binary
  demo/hello:1                  dynamic `hello` + its glibc, amd64/arm64
  demo/hello:foreign-loader     arm64 `hello` on an amd64 glibc base

and prints "REPO:TAG DIGEST" for each.  See tests/FIXTURES.md.
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import imagebuild as ib  # noqa: E402

# Debian architecture -> OCI platform.
DEB_PLATFORM = {
    "amd64": "linux/amd64",
    "arm64": "linux/arm64",
    "armhf": "linux/arm/v7",
    "ppc64el": "linux/ppc64le",
    "s390x": "linux/s390x",
    "riscv64": "linux/riscv64",
}
GNU_TRIPLET = {"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}
LOADER = {"amd64": "/lib64/ld-linux-x86-64.so.2",
          "arm64": "/lib/ld-linux-aarch64.so.1"}


def fetch(cache):
    """Run debbin.sh; return {kind: {debian arch: path}}."""
    script = os.path.join(HERE, "..", "lib", "debbin.sh")
    out = subprocess.run(["sh", script, "--cache", cache],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        kind, arch, path = line.split(" ", 2)
        found.setdefault(kind, {})[arch] = path
    return found


def read(path):
    with open(path, "rb") as f:
        return f.read()


def busybox_image(binary, platform, style="oci", entry="/bin/busybox"):
    """A BusyBox rootfs: the binary, /bin/sh -> busybox, /tmp."""
    layer = ib.Layer()
    if entry != "/bin/busybox":
        layer.file(entry, binary)
    else:
        layer.file("/bin/busybox", binary).symlink("/bin/sh", "busybox")
    layer.dir("/tmp", mode=0o1777)
    cfg = ib.Config(platform, entrypoint=[entry])
    return ib.Image([layer.build("gzip", style)], cfg, style=style)


def busybox_multi(found):
    entries = []
    for arch, path in sorted(found["busybox"].items()):
        entries.append((busybox_image(read(path), DEB_PLATFORM[arch]),
                        None, None))
    return ib.Index(entries)


def coredns(found):
    return busybox_image(read(found["busybox"]["amd64"]), "linux/amd64",
                         style="docker", entry="/coredns")


def mislabeled(found):
    img = busybox_image(read(found["busybox"]["arm64"]), "linux/amd64")
    return ib.Index([(img, "linux/amd64", None)])


def glibc_layer(cache, arch):
    """The loader and libc.so.6 of Debian's libc6, as the package lays
    them out (the loader path in PT_INTERP may be a symlink)."""
    libdir = "/lib/" + GNU_TRIPLET[arch]
    real = os.path.join(cache, arch, "libc6", libdir.lstrip("/"))
    name = os.path.basename(LOADER[arch])
    layer = ib.Layer()
    layer.file(libdir + "/" + name, read(os.path.join(real, name)))
    layer.file(libdir + "/libc.so.6", read(os.path.join(real, "libc.so.6")))
    if arch == "amd64":
        layer.symlink(LOADER[arch], libdir + "/" + name)
    else:
        layer.symlink(LOADER[arch], GNU_TRIPLET[arch] + "/" + name)
    return layer


def hello_image(cache, found, arch, base_arch):
    top = ib.Layer().file("/usr/bin/hello", read(found["hello"][arch]))
    layers = [glibc_layer(cache, base_arch).build(), top.build()]
    cfg = ib.Config(DEB_PLATFORM[arch], entrypoint=["/usr/bin/hello"])
    return ib.Image(layers, cfg)


def hello(cache, found):
    arches = sorted(found.get("hello", {}))
    return ib.Index([(hello_image(cache, found, a, a), None, None)
                     for a in arches]) if arches else None


def hello_foreign(cache, found):
    if not {"amd64", "arm64"} <= set(found.get("hello", {})):
        return None
    img = hello_image(cache, found, "arm64", "amd64")
    return ib.Index([(img, None, None)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ib.add_registry_args(ap)
    ap.add_argument("--cache", default=os.environ.get("DEBCACHE",
                                                      "build/debcache"))
    ap.add_argument("--digests", metavar="FILE",
                    help="write the digest tree of every image as JSON")
    ap.add_argument("--verify", action="store_true",
                    help="GET everything back after pushing")
    args = ap.parse_args()
    found = fetch(args.cache)
    reg = ib.registry_from_args(args)
    images = [
        ("demo/busybox:multi", busybox_multi(found)),
        ("demo/coredns:v1.11.1", coredns(found)),
        ("demo/busybox:arm64-mislabeled", mislabeled(found)),
        ("demo/hello:1", hello(args.cache, found)),
        ("demo/hello:foreign-loader", hello_foreign(args.cache, found)),
    ]
    result = {"registry": args.registry, "images": {}}
    try:
        for ref, top in images:
            if top is None:
                print("images.py: skipping %s (binaries missing)" % ref,
                      file=sys.stderr)
                continue
            repo, tag = ref.rsplit(":", 1)
            reg.push(top, repo, tag)
            if args.verify:
                reg.verify(top, repo, tag)
            result["images"][ref] = ib.digest_tree(top)
            print("%s %s" % (ref, top.digest), flush=True)
    except (ib.RegistryError, OSError) as exc:
        print("images.py: error: %s" % exc, file=sys.stderr)
        return 1
    if args.digests:
        with open(args.digests, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
