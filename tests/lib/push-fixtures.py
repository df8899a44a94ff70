#!/usr/bin/env python3
"""Push the test scenario images (fx/...) to a registry.

Usage: push-fixtures.py REGISTRY [--insecure] [--ca FILE] [--user U:P]
                        [--digests FILE] [--only GLOB]
       push-fixtures.py --markdown        (the table for tests/FIXTURES.md)

Every image is synthetic (ELF files from imagebuild.elf) and built the
same way on every run, so pushing twice gives the same digests and
uploads nothing new.  Prints "REPO:TAG DIGEST" per image (the first line
is fx/multi-oci:1, whose index digest the by-digest tests use) and, with
--digests, writes the digest tree of every image as JSON (see FIXTURES.md).
"""

import argparse
import fnmatch
import json
import os
import random
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imagebuild as ib  # noqa: E402

MULTI = ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/ppc64le",
         "linux/s390x", "linux/riscv64"]
PAIR = ["linux/amd64", "linux/arm64"]
MUSL_AMD64 = "/lib/ld-musl-x86_64.so.1"
GLIBC_AMD64 = "/lib64/ld-linux-x86-64.so.2"
GLIBC_ARM64 = "/lib/ld-linux-aarch64.so.1"


def arch_of(platform):
    return ib.parse_platform(platform)["architecture"]


def noise(seed, size):
    """Incompressible bytes, the same on every run."""
    return random.Random(seed).randbytes(size)


def app(platform, path="/app", style="oci", compression="gzip",
        **cfg):
    """One image whose single layer holds a static ELF for `platform`."""
    layer = ib.Layer().file(path, ib.elf(arch=arch_of(platform)))
    cfg.setdefault("entrypoint", [path])
    return ib.Image([layer.build(compression, style)],
                    ib.Config(platform, **cfg), style=style)


def per_platform(build, platforms=PAIR, style="oci"):
    """An index with one image per platform, each made by build(plat)."""
    return ib.Index([(build(p), None, None) for p in platforms],
                    style=style)


# ------------------------------------------------------------ fixtures
# Each returns the top-level Image or Index.


def fx_multi_oci():
    return per_platform(app, MULTI)


def fx_multi_docker():
    return per_platform(lambda p: app(p, style="docker"), MULTI,
                        style="docker")


def fx_single_amd64():
    return app("linux/amd64", "/coredns", style="docker")


def fx_impossible_tuple():
    odd = app("linux/arm/v7")           # what a mislabeled v7 build holds
    odd_cfg = ib.Config("linux/arm64/v7", entrypoint=["/app"])
    odd = ib.Image(odd.layers, odd_cfg)
    return ib.Index([(app("linux/amd64"), None, None),
                     (odd, "linux/arm64/v7", None),
                     (app("linux/arm64"), None, None)])


def fx_wrong_binary():
    def build(p):
        layer = ib.Layer().file("/usr/bin/x", ib.elf(arch="amd64"))
        return ib.Image([layer.build()], ib.Config(
            p, entrypoint=["/usr/bin/x"]))
    return per_platform(build)


def fx_arm32_foreign64():
    layer = (ib.Layer()
             .file(MUSL_AMD64, ib.elf(arch="amd64", etype="DYN"))
             .file("/app", ib.elf(arch="amd64", etype="DYN",
                                  interp=MUSL_AMD64)))
    img = ib.Image([layer.build()], ib.Config("linux/arm/v7",
                                              entrypoint=["/app"]))
    return ib.Index([(img, "linux/arm/v7", None)])


def fx_wrong_config():
    layer = ib.Layer().file("/app", ib.elf(arch="arm64"))
    img = ib.Image([layer.build()], ib.Config("linux/amd64",
                                              entrypoint=["/app"]))
    return ib.Index([(img, "linux/arm64", None)])


def fx_attestation():
    img = app("linux/amd64")
    return ib.Index([(img, None, None), ib.attestation(img)])


def fx_oci_nomediatype():
    def build(p):
        layer = ib.Layer().file("/app", ib.elf(arch=arch_of(p)))
        return ib.Image([layer.build()], ib.Config(p, entrypoint=["/app"]),
                        media_type_field=False)
    return ib.Index([(build(p), None, None) for p in PAIR],
                    media_type_field=False)


def fx_oci_docker_children():
    return ib.Index([(app(p, style="docker"), None, None) for p in PAIR])


def fx_mixed_compression():
    def build(plat, comp, data_comp=None):
        layer = ib.Layer().file("/app", ib.elf(arch=arch_of(plat)))
        blob = layer.build(comp, data_compression=data_comp)
        return (ib.Image([blob], ib.Config(plat, entrypoint=["/app"])),
                None, None)
    return ib.Index([build("linux/amd64", "none"),
                     build("linux/arm64", "gzip"),
                     build("linux/ppc64le", "zstd"),
                     build("linux/s390x", "gzip", "zstd")])


def layered(platform, layers, **cfg):
    """An image of several ib.Layer objects (gzip) for `platform`."""
    cfg.setdefault("entrypoint", ["/app"])
    return ib.Image([l.build() for l in layers], ib.Config(platform, **cfg))


def fx_whiteout():
    def build(p):
        lower = ib.Layer().file("/app", ib.elf(arch=arch_of(p)))
        upper = ib.Layer().whiteout("/app").file("/etc/hostname", "fx\n",
                                                 mode=0o644)
        return layered(p, [lower, upper])
    return per_platform(build)


def fx_opaque():
    def build(p):
        lower = ib.Layer().file("/opt/bin/app", ib.elf(arch=arch_of(p)))
        upper = (ib.Layer().opaque("/opt")
                 .file("/opt/README", "replaced\n", mode=0o644)
                 .file("/opt/lib/other", "data\n", mode=0o644))
        return layered(p, [lower, upper], entrypoint=["/opt/bin/app"])
    return per_platform(build)


def fx_opaque_same_layer():
    def build(p):
        lower = (ib.Layer()
                 .file("/opt/bin/app", ib.elf(arch="s390x"))
                 .file("/opt/bin/old", ib.elf(arch="s390x")))
        upper = (ib.Layer()
                 .file("/opt/bin/app", ib.elf(arch=arch_of(p)))
                 .opaque("/opt"))
        return layered(p, [lower, upper], entrypoint=["/opt/bin/app"])
    return per_platform(build)


def fx_symlink_chain():
    def build(p):
        lower = ib.Layer().file("/usr/lib/app/real", ib.elf(arch=arch_of(p)))
        upper = (ib.Layer().symlink("/bin", "usr/bin")
                 .symlink("/usr/bin/app", "../lib/app/real"))
        return layered(p, [lower, upper], entrypoint=["/bin/app"])
    return per_platform(build)


def fx_symlink_loop():
    def build(p):
        layer = ib.Layer().symlink("/a", "/b").symlink("/b", "/a")
        return layered(p, [layer], entrypoint=["/a"])
    return per_platform(build)


def fx_hardlink():
    def build(p):
        layer = (ib.Layer().file("/app/real", ib.elf(arch=arch_of(p)))
                 .hardlink("/app/link", "/app/real"))
        return layered(p, [layer], entrypoint=["/app/link"])
    return per_platform(build)


def fx_path_lookup():
    def build(p):
        layer = (ib.Layer()
                 .file("/usr/local/bin/buildkitd", "not this one\n",
                       mode=0o644)
                 .file("/usr/bin/buildkitd", ib.elf(arch=arch_of(p))))
        return layered(p, [layer], entrypoint=["buildkitd"])
    return per_platform(build)


def fx_workdir():
    def build(p):
        layer = (ib.Layer().file("/run", ib.elf(arch="s390x"))
                 .file("/srv/run", ib.elf(arch=arch_of(p))))
        return layered(p, [layer], entrypoint=["./run"], workdir="/srv")
    return per_platform(build)


def fx_cmd_only():
    def build(p):
        layer = ib.Layer().file("/app", ib.elf(arch=arch_of(p)))
        return layered(p, [layer], entrypoint=None, cmd=["/app"])
    return per_platform(build)


def fx_nothing():
    def build(p):
        layer = ib.Layer().file("/app", ib.elf(arch=arch_of(p)))
        img = layered(p, [layer])
        img = ib.Image(img.layers, ib.Config(p))   # no Entrypoint, no Cmd
        return img
    return per_platform(build)


def fx_missing_entry():
    def build(p):
        layer = ib.Layer().file("/app", ib.elf(arch=arch_of(p)))
        return layered(p, [layer], entrypoint=["/nope"])
    return per_platform(build)


def fx_not_executable():
    def build(p):
        layer = ib.Layer().file("/app", ib.elf(arch=arch_of(p)), mode=0o644)
        return layered(p, [layer])
    return per_platform(build)


def fx_directory_entry():
    def build(p):
        layer = ib.Layer().dir("/app").file("/app/bin",
                                            ib.elf(arch=arch_of(p)))
        return layered(p, [layer])
    return per_platform(build)


def big(p, late):
    layer = ib.Layer()
    if late:
        layer.file("/data/filler", noise(8, 8 << 20), mode=0o644)
        layer.file("/app", ib.elf(arch=arch_of(p)))
    else:
        layer.file("/app", ib.elf(arch=arch_of(p)))
        layer.file("/data/filler", noise(30, 30 << 20), mode=0o644)
    blob = layer.build("gzip", level=1)
    return ib.Image([blob], ib.Config(p, entrypoint=["/app"]))


def fx_big_layer():
    return per_platform(lambda p: big(p, False))


def fx_big_layer_late():
    return per_platform(lambda p: big(p, True))


def script(p, text):
    layer = (ib.Layer().file("/bin/sh", ib.elf(arch=arch_of(p)))
             .file("/docker-entrypoint.sh", text))
    return layered(p, [layer], entrypoint=["/docker-entrypoint.sh"])


def fx_script():
    return per_platform(lambda p: script(
        p, "#!/bin/sh\nset -e\nexec \"$@\"\n"))


def fx_script_crlf():
    return per_platform(lambda p: script(
        p, "#!/bin/sh\r\nset -e\r\nexec \"$@\"\r\n"))


def fx_truncated_gzip():
    def build(p):
        layer = (ib.Layer().file("/data/filler", noise(64, 256 << 10),
                                 mode=0o644)
                 .file("/app", ib.elf(arch=arch_of(p))))
        full = layer.build("gzip")
        cut = ib.raw_layer(full.data[:full.size // 2], full.media_type,
                           diff_id=full.diff_id)
        return ib.Image([cut], ib.Config(p, entrypoint=["/app"]))
    return per_platform(build)


def fx_garbage_layer():
    def build(p):
        data = b"\x00" + noise(99, 64 << 10)      # never gzip magic
        blob = ib.raw_layer(data, ib.OCI_LAYER["gzip"])
        return ib.Image([blob], ib.Config(p, entrypoint=["/app"]))
    return per_platform(build)


def fx_broken_elf():
    def build(p):
        layer = ib.Layer().file("/app", ib.elf(arch=arch_of(p))[:20])
        return layered(p, [layer])
    return per_platform(build)


# Extras for cases.md shapes that the list above does not cover.


def fx_missing_loader():
    layer = (ib.Layer()
             .file(GLIBC_AMD64, ib.elf(arch="amd64", etype="DYN"))
             .file("/app", ib.elf(arch="arm64", etype="DYN",
                                  interp=GLIBC_ARM64)))
    img = ib.Image([layer.build()], ib.Config("linux/arm64",
                                              entrypoint=["/app"]))
    return ib.Index([(img, None, None)])


def fx_glibc_on_musl():
    def build(p):
        a = arch_of(p)
        musl = "/lib/ld-musl-%s.so.1" % ("x86_64" if a == "amd64"
                                          else "aarch64")
        glibc = GLIBC_AMD64 if a == "amd64" else GLIBC_ARM64
        layer = (ib.Layer().file(musl, ib.elf(arch=a, etype="DYN"))
                 .symlink("/bin/sh", "/bin/busybox")
                 .file("/bin/busybox", ib.elf(arch=a, etype="DYN",
                                              interp=musl))
                 .file("/app", ib.elf(arch=a, etype="DYN", interp=glibc)))
        return layered(p, [layer])
    return per_platform(build)


def fx_loader_via_symlink():
    def build(p):
        a = arch_of(p)
        glibc = GLIBC_AMD64 if a == "amd64" else GLIBC_ARM64
        real = "/usr/lib/%s-linux-gnu/%s" % (
            "x86_64" if a == "amd64" else "aarch64", glibc.rsplit("/", 1)[1])
        lower = (ib.Layer().symlink("/lib", "usr/lib")
                 .symlink("/lib64", "usr/lib64")
                 .file(real, ib.elf(arch=a, etype="DYN")))
        link = (ib.Layer().symlink("/usr" + glibc, real)
                .file("/app", ib.elf(arch=a, etype="DYN", interp=glibc)))
        return layered(p, [lower, link])
    return per_platform(build)


def fx_bash_missing():
    def build(p):
        layer = (ib.Layer().file("/bin/busybox", ib.elf(arch=arch_of(p)))
                 .symlink("/bin/sh", "busybox")
                 .file("/entry.sh", "#!/bin/bash\necho hi\n"))
        return layered(p, [layer], entrypoint=["/entry.sh"])
    return per_platform(build)


def fx_env_shebang():
    def build(p):
        layer = (ib.Layer().file("/usr/bin/env", ib.elf(arch=arch_of(p)))
                 .file("/usr/local/bin/python3", ib.elf(arch=arch_of(p)))
                 .file("/entry.py", "#!/usr/bin/env python3\nprint(1)\n"))
        return layered(p, [layer], entrypoint=["/entry.py"])
    return per_platform(build)


def fx_script_foreign_shell():
    def build(p):
        layer = (ib.Layer().file("/bin/sh", ib.elf(arch="s390x"))
                 .file("/entry.sh", "#!/bin/sh\necho hi\n"))
        return layered(p, [layer], entrypoint=["/entry.sh"])
    return per_platform(build)


def fx_align(align):
    def fx():
        layer = ib.Layer().file("/app", ib.elf(arch="arm64", align=align))
        img = layered("linux/arm64", [layer])
        return ib.Index([(img, None, None)])
    return fx


# Shared libraries (DT_NEEDED) and how the image's loader finds them.
LIBFOO = "libfoo.so.1"
MULTIARCH_AMD64 = "/usr/lib/x86_64-linux-gnu"
MUSL_PATH_AMD64 = "/etc/ld-musl-x86_64.path"


def lib(arch="amd64", soname=LIBFOO, **kw):
    """A shared library for arch."""
    return ib.elf(arch=arch, etype="DYN", soname=soname, **kw)


def dyn_app(arch="amd64", interp=GLIBC_AMD64, needed=(LIBFOO,), **kw):
    """A program needing `needed` through `interp`."""
    return ib.elf(arch=arch, etype="DYN", interp=interp,
                  needed=list(needed), **kw)


def chain_libs(names):
    """(path, library) pairs in /usr/lib64, each needing the next, in
    the opposite order: the tar then holds them against the order the
    loader looks for them, so reading them in lookup order would go back
    to the layer's start for each."""
    out = []
    for i, name in enumerate(names):
        needed = [names[i + 1]] if i + 1 < len(names) else []
        out.append(("/usr/lib64/" + name, lib(soname=name, needed=needed)))
    return out[::-1]


def fx_libs_deep():
    names = ["libdeep%02d.so.1" % i for i in range(20)]
    top = ib.Layer()
    for path, data in chain_libs(names):
        top = top.file(path, data)
    top = top.file("/app", dyn_app(needed=names[:1]))
    return amd64_only([glibc_base(), top])


def fx_libs_wide():
    names = ["libwide%02d.so.1" % i for i in range(20)]
    top = ib.Layer()
    for path, data in chain_libs(names):
        top = top.file(path, data)
    top = top.file("/app", dyn_app(needed=names))
    return amd64_only([glibc_base(), top])


def fx_libs_layers():
    """Four layers of five libraries; /app needs all of them, taking
    each layer in turn, and each library needs the next."""
    names = ["liblayer%02d.so.1" % i for i in range(20)]
    pairs = chain_libs(names)
    layers = [glibc_base()]
    for k in range(4):
        layer = ib.Layer()
        for path, data in pairs[k * 5:(k + 1) * 5]:
            layer = layer.file(path, data)
        layers.append(layer)
    across = [names[k * 5 + i] for i in range(5) for k in range(4)]
    layers[-1] = layers[-1].file("/app", dyn_app(needed=across))
    return amd64_only(layers)


def glibc_base(arch="amd64", align=0x1000):
    """A layer with only the glibc loader, lying where upstream puts
    it (not a multiarch layout: /lib64 and /usr/lib64 are the loader's
    default directories)."""
    loader = GLIBC_AMD64 if arch == "amd64" else GLIBC_ARM64
    return ib.Layer().file(loader, ib.elf(arch=arch, etype="DYN",
                                          align=align))


def amd64_only(layers, **cfg):
    cfg.setdefault("entrypoint", ["/app"])
    return ib.Index([(layered("linux/amd64", layers, **cfg), None, None)])


def fx_libs_cache():
    path = MULTIARCH_AMD64 + "/" + LIBFOO
    top = (ib.Layer().file(path, lib())
           .file("/etc/ld.so.cache", ib.ld_cache([(LIBFOO, path)]),
                 mode=0o644)
           .file("/app", dyn_app()))
    return amd64_only([glibc_base(), top])


def fx_libs_conf():
    path = MULTIARCH_AMD64 + "/" + LIBFOO
    top = (ib.Layer().file(path, lib())
           .file("/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n",
                 mode=0o644)
           .file("/etc/ld.so.conf.d/x86_64-linux-gnu.conf",
                 "# Multiarch support\n%s\n" % MULTIARCH_AMD64, mode=0o644)
           .file("/app", dyn_app()))
    return amd64_only([glibc_base(), top])


def fx_libs_missing():
    top = ib.Layer().file("/app", dyn_app())
    return amd64_only([glibc_base(), top])


def fx_libs_wrong_arch():
    top = (ib.Layer().file("/usr/lib64/" + LIBFOO, lib(arch="arm64"))
           .file("/app", dyn_app()))
    return amd64_only([glibc_base(), top])


def fx_libs_origin():
    top = (ib.Layer().file("/opt/app/lib/" + LIBFOO, lib())
           .file("/opt/app/bin/app", dyn_app(runpath="$ORIGIN/../lib")))
    return amd64_only([glibc_base(), top], entrypoint=["/opt/app/bin/app"])


def musl_image(path_file):
    layer = (ib.Layer().file(MUSL_AMD64, ib.elf(arch="amd64", etype="DYN"))
             .symlink("/lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1")
             .file("/opt/lib/" + LIBFOO, lib())
             .file("/app", dyn_app(interp=MUSL_AMD64, needed=(
                 LIBFOO, "libc.musl-x86_64.so.1"))))
    if path_file:
        layer.file(MUSL_PATH_AMD64, "/lib\n/usr/lib:/opt/lib\n", mode=0o644)
    return amd64_only([layer])


def musl_image_fx(path_file):
    return lambda: musl_image(path_file)


def fx_libs_nested_missing():
    top = (ib.Layer().file("/usr/lib64/" + LIBFOO,
                           lib(needed=["libbar.so.2"]))
           .file("/app", dyn_app()))
    return amd64_only([glibc_base(), top])


def fx_libs_broken():
    whole = lib(soname="libbaz.so.1", needed=["libc.so.6"])
    dyn_at = 64 + 3 * 56          # ehdr, PT_LOAD, PT_DYNAMIC, stack
    top = (ib.Layer().file("/usr/lib64/" + LIBFOO, lib()[:40])
           .file("/usr/lib64/libbaz.so.1", whole[:dyn_at + 16])
           .file("/app", dyn_app(needed=(LIBFOO, "libbaz.so.1"))))
    return amd64_only([glibc_base(), top])


def fx_libs_env():
    top = (ib.Layer().file("/opt/env/" + LIBFOO, lib())
           .file("/app", dyn_app()))
    env = ["PATH=" + ib.DEFAULT_PATH, "LD_LIBRARY_PATH=/nonexistent:/opt/env"]
    return amd64_only([glibc_base(), top], env=env)


def fx_libs_dir_first():
    top = (ib.Layer().dir("/lib64/" + LIBFOO)
           .file("/usr/lib64/" + LIBFOO, lib())
           .file("/app", dyn_app()))
    return amd64_only([glibc_base(), top])


def fx_libs_loop_first():
    top = (ib.Layer().symlink("/lib64/" + LIBFOO, LIBFOO)
           .file("/usr/lib64/" + LIBFOO, lib())
           .file("/app", dyn_app()))
    return amd64_only([glibc_base(), top])


def fx_libs_musl_empty():
    layer = (ib.Layer().file(MUSL_AMD64, ib.elf(arch="amd64", etype="DYN"))
             .file("/" + LIBFOO, lib())
             .file("/app", dyn_app(interp=MUSL_AMD64)))
    env = ["PATH=" + ib.DEFAULT_PATH, "LD_LIBRARY_PATH=:/nonexistent"]
    return amd64_only([layer], env=env, workdir="/")


def fx_libs_needed_origin():
    top = (ib.Layer().file("/opt/app/lib/" + LIBFOO, lib())
           .file("/opt/app/bin/app", dyn_app(
               needed=("$ORIGIN/../lib/" + LIBFOO,))))
    return amd64_only([glibc_base(), top], entrypoint=["/opt/app/bin/app"])


def fx_libs_needed_token():
    top = (ib.Layer().file("/opt/lib64/" + LIBFOO, lib())
           .file("/app", dyn_app(needed=("/opt/$LIB/" + LIBFOO,))))
    return amd64_only([glibc_base(), top])


def fx_libs_runpath_hides_rpath():
    top = (ib.Layer().file("/opt/rpath/" + LIBFOO, lib())
           .file("/app", dyn_app(rpath="/opt/rpath", runpath="/opt/run")))
    return amd64_only([glibc_base(), top])


def fx_libs_lib_token():
    top = (ib.Layer().file("/opt/app/lib64/" + LIBFOO, lib())
           .file("/app", dyn_app(runpath="/opt/app/$LIB")))
    return amd64_only([glibc_base(), top])


def fx_libs_app_cut():
    dyn_at = 64 + 4 * 56          # ehdr, INTERP, LOAD, DYNAMIC, stack
    app = dyn_app()[:dyn_at + len(GLIBC_AMD64) + 1 + 8]
    return amd64_only([glibc_base(), ib.Layer().file("/app", app)])


def fx_libs_misaligned():
    top = (ib.Layer().file("/usr/lib64/" + LIBFOO,
                           lib(arch="arm64", align=0x1000))
           .file("/app", dyn_app(arch="arm64", interp=GLIBC_ARM64,
                                 align=0x10000)))
    img = layered("linux/arm64", [glibc_base("arm64", 0x10000), top])
    return ib.Index([(img, None, None)])


def fx_arm64_fallback_v7():
    return per_platform(app, ["linux/amd64", "linux/arm/v7"])


def fx_i386_only():
    return per_platform(app, ["linux/386"])


JEMALLOC_ABORT = b"<jemalloc>: Unsupported system page size\n"


def fx_jemalloc():
    # the message past the first 64 KiB, so that only reading the whole
    # file finds it; 64 KiB alignment, so that the pages themselves fit
    data = (ib.elf(arch="arm64", align=0x10000) + bytes(100000) +
            JEMALLOC_ABORT + b"\0")
    layer = ib.Layer().file("/app", data)
    return ib.Index([(layered("linux/arm64", [layer]), None, None)])


# (reference, builder, what it is, expected verdict by node platform)
FIXTURES = [
    ("fx/multi-oci:1", fx_multi_oci,
     "OCI index: linux/amd64 (ELF64 LSB 62), linux/arm64 (183), "
     "linux/arm/v7 (ELF32 LSB 40), linux/ppc64le (64 LSB 21), linux/s390x "
     "(64 MSB 22), linux/riscv64 (64 LSB 243); Entrypoint [\"/app\"], gzip",
     "PASS on amd64, arm64, arm/v7, ppc64le, s390x, riscv64; FAIL on "
     "386, arm/v6, loong64 (no matching entry). Also used by digest: "
     "`fx/multi-oci@<index digest>`"),
    ("fx/multi-docker:1", fx_multi_docker,
     "the same six platforms as a Docker manifest list of Docker v2 "
     "manifests (Docker config and layer media types)",
     "as fx/multi-oci:1"),
    ("fx/single-amd64:1", fx_single_amd64,
     "the incident: one Docker v2 manifest, no index; config linux/amd64; "
     "Entrypoint [\"/coredns\"], static ELF64 LSB 62",
     "PASS on amd64; FAIL on arm64, arm/v7, ppc64le, s390x, riscv64: a "
     "single linux/amd64 image, not an index; exec format error"),
    ("fx/impossible-tuple:1", fx_impossible_tuple,
     "index: linux/amd64, then arm64 with variant v7 (config arm64/v7, "
     "binary ELF32 ARM), then linux/arm64",
     "PASS on amd64; PASS on arm64 choosing the plain linux/arm64 entry "
     "(the third); FAIL on arm/v7: no linux/arm/v7 entry, and arm64/v7 is "
     "not a valid platform"),
    ("fx/wrong-binary:1", fx_wrong_binary,
     "index linux/amd64 + linux/arm64; both configs right, but both hold "
     "/usr/bin/x = ELF64 machine 62; Entrypoint [\"/usr/bin/x\"]",
     "PASS on amd64; FAIL on arm64 (ELF machine x86-64, node arm64)"),
    ("fx/arm32-foreign64:1", fx_arm32_foreign64,
     "index with linux/arm/v7 only; config arm/v7; /app is ELF64 LSB 62 "
     "DYN with PT_INTERP /lib/ld-musl-x86_64.so.1 (present, ELF 62)",
     "FAIL on arm/v7 naming class (64-bit) and machine (x86-64); FAIL on "
     "amd64 (no amd64 entry); on arm64 the arm/v7 entry is the "
     "containerd fallback and its binary is x86-64: FAIL"),
    ("fx/wrong-config:1", fx_wrong_config,
     "index entry linux/arm64; its config says architecture amd64; /app "
     "is ELF64 machine 183",
     "arm64: FAIL under CRI-O/podman rules (config/index mismatch), the "
     "binary matches the node; WARN under containerd rules; the report "
     "names the rule. amd64: FAIL (no amd64 entry)"),
    ("fx/attestation:1", fx_attestation,
     "OCI index: linux/amd64 + a BuildKit attestation manifest "
     "(unknown/unknown, vnd.docker.reference.type=attestation-manifest, "
     "in-toto JSON layer)",
     "PASS on amd64, attestation never selected nor unpacked; FAIL on "
     "arm64: one runnable platform offered (amd64)"),
    ("fx/oci-nomediatype:1", fx_oci_nomediatype,
     "OCI index and OCI manifests with no `mediaType` field; linux/amd64 + "
     "linux/arm64",
     "PASS on amd64 and arm64 (type told by structure / Content-Type)"),
    ("fx/oci-docker-children:1", fx_oci_docker_children,
     "OCI index whose children are Docker v2 manifests; linux/amd64 + "
     "linux/arm64",
     "PASS on amd64 and arm64"),
    ("fx/mixed-compression:1", fx_mixed_compression,
     "index: amd64 layer uncompressed (`...layer.v1.tar`), arm64 gzip, "
     "ppc64le zstd (`+zstd`), s390x media type `+gzip` but zstd bytes",
     "PASS on amd64, arm64, ppc64le; s390x PASS (containerd detects the "
     "compression by magic), a warning about the mismatch is fine"),
    ("fx/whiteout:1", fx_whiteout,
     "layer 1: /app (ELF); layer 2: /.wh.app and /etc/hostname; "
     "Entrypoint [\"/app\"]; linux/amd64 + linux/arm64",
     "FAIL on amd64 and arm64: /app was deleted by a whiteout"),
    ("fx/opaque:1", fx_opaque,
     "layer 1: /opt/bin/app (ELF); layer 2: /opt/.wh..wh..opq, "
     "/opt/README, /opt/lib/other; Entrypoint [\"/opt/bin/app\"]",
     "FAIL on amd64 and arm64: /opt/bin/app hidden by the opaque marker"),
    ("fx/opaque-same-layer:1", fx_opaque_same_layer,
     "layer 1: /opt/bin/app and /opt/bin/old (ELF s390x); layer 2: "
     "/opt/bin/app (ELF for the platform) THEN /opt/.wh..wh..opq in the "
     "same tar; Entrypoint [\"/opt/bin/app\"]",
     "PASS on amd64 and arm64: an opaque marker hides only lower layers, "
     "whatever its position in its own tar (a wrong walker says missing, "
     "or finds the s390x file)"),
    ("fx/symlink-chain:1", fx_symlink_chain,
     "layer 1: /usr/lib/app/real (ELF); layer 2: /bin -> usr/bin, "
     "/usr/bin/app -> ../lib/app/real; Entrypoint [\"/bin/app\"]",
     "PASS on amd64 and arm64, resolved path /usr/lib/app/real"),
    ("fx/symlink-loop:1", fx_symlink_loop,
     "/a -> /b, /b -> /a; Entrypoint [\"/a\"]",
     "FAIL on amd64 and arm64: too many levels of symbolic links"),
    ("fx/hardlink:1", fx_hardlink,
     "/app/real (ELF) and /app/link, a tar hard link to it; Entrypoint "
     "[\"/app/link\"]",
     "PASS on amd64 and arm64 (the link's content is /app/real's)"),
    ("fx/path-lookup:1", fx_path_lookup,
     "Entrypoint [\"buildkitd\"], PATH=/usr/local/sbin:/usr/local/bin:"
     "/usr/sbin:/usr/bin:/sbin:/bin; /usr/local/bin/buildkitd is text, "
     "mode 0644; /usr/bin/buildkitd is the ELF (0755)",
     "PASS on amd64 and arm64, resolved /usr/bin/buildkitd (the PATH "
     "search skips files without an execute bit)"),
    ("fx/workdir:1", fx_workdir,
     "Entrypoint [\"./run\"], WorkingDir /srv; /srv/run ELF for the "
     "platform; decoy /run is an s390x ELF",
     "PASS on amd64 and arm64, resolved /srv/run"),
    ("fx/cmd-only:1", fx_cmd_only,
     "no Entrypoint, Cmd [\"/app\"]",
     "PASS on amd64 and arm64 (argv from Cmd)"),
    ("fx/nothing:1", fx_nothing,
     "no Entrypoint and no Cmd; /app exists (ELF)",
     "FAIL on amd64 and arm64 (nothing to run) unless an entrypoint "
     "override names /app, then PASS"),
    ("fx/missing-entry:1", fx_missing_entry,
     "Entrypoint [\"/nope\"]; the image has /app only",
     "FAIL on amd64 and arm64: /nope not in the image"),
    ("fx/not-executable:1", fx_not_executable,
     "/app is the right ELF but mode 0644",
     "FAIL on amd64 and arm64: permission denied (no execute bit)"),
    ("fx/directory-entry:1", fx_directory_entry,
     "Entrypoint [\"/app\"] where /app is a directory (holding /app/bin)",
     "FAIL on amd64 and arm64: /app is a directory"),
    ("fx/big-layer:1", fx_big_layer,
     "one gzip layer: /app (ELF) as the first tar entry, then "
     "/data/filler, 30 MiB of random bytes",
     "PASS on amd64 and arm64 reading only the start of the ~30 MiB blob "
     "(stats.bytes far below the blob size)"),
    ("fx/big-layer-late:1", fx_big_layer_late,
     "one gzip layer: /data/filler (8 MiB random) first, /app LAST",
     "PASS on amd64 and arm64 (the whole ~8 MiB blob is read)"),
    ("fx/script:1", fx_script,
     "Entrypoint [\"/docker-entrypoint.sh\"] starting \"#!/bin/sh\\n\"; "
     "/bin/sh is an ELF for the platform",
     "PASS on amd64 and arm64 (the interpreter /bin/sh checked too)"),
    ("fx/script-crlf:1", fx_script_crlf,
     "the same script with CRLF line ends: \"#!/bin/sh\\r\\n\"",
     "FAIL on amd64 and arm64: the kernel looks for \"/bin/sh\\r\""),
    ("fx/truncated-gzip:1", fx_truncated_gzip,
     "the layer blob is the first half of a gzip stream (its digest is "
     "of the truncated bytes; diff_id of the full tar); /app lies after "
     "the cut (after 256 KiB of random filler)",
     "FAIL on amd64 and arm64: the layer cannot be decompressed (the "
     "runtime's pull fails too); never PASS"),
    ("fx/garbage-layer:1", fx_garbage_layer,
     "a 64 KiB layer of random bytes, media type tar+gzip",
     "FAIL on amd64 and arm64: the layer is not gzip; never PASS"),
    ("fx/broken-elf:1", fx_broken_elf,
     "/app is the first 20 bytes of an ELF (magic, truncated header)",
     "FAIL on amd64 and arm64: exec format error (truncated ELF header)"),
    # extras for cases.md shapes
    ("fx/missing-loader:1", fx_missing_loader,
     "index linux/arm64; /app is ELF 183 DYN with PT_INTERP "
     "/lib/ld-linux-aarch64.so.1; only /lib64/ld-linux-x86-64.so.2 present "
     "(cases.md 8)",
     "FAIL on arm64: the interpreter is not in the image; FAIL on amd64 "
     "(no amd64 entry)"),
    ("fx/glibc-on-musl:1", fx_glibc_on_musl,
     "musl rootfs (/lib/ld-musl-ARCH.so.1, /bin/busybox, /bin/sh -> "
     "/bin/busybox); /app asks for the glibc loader, absent (cases.md 9)",
     "FAIL on amd64 and arm64: interpreter missing from the image"),
    ("fx/loader-via-symlink:1", fx_loader_via_symlink,
     "merged-usr: /lib -> usr/lib, /lib64 -> usr/lib64 (layer 1, with "
     "the real loader under /usr/lib/ARCH-linux-gnu/); layer 2: "
     "/usr/lib64 or /usr/lib loader name -> real file; /app DYN with the "
     "glibc PT_INTERP",
     "PASS on amd64 and arm64: the interpreter resolves through the "
     "image's own symlinks"),
    ("fx/bash-missing:1", fx_bash_missing,
     "Entrypoint [\"/entry.sh\"], \"#!/bin/bash\"; only BusyBox /bin/sh "
     "(cases.md 11)",
     "FAIL on amd64 and arm64: /bin/bash not in the image"),
    ("fx/env-shebang:1", fx_env_shebang,
     "\"#!/usr/bin/env python3\"; /usr/bin/env and "
     "/usr/local/bin/python3 are ELF for the platform",
     "PASS on amd64 and arm64 (python3 found on the config's PATH)"),
    ("fx/script-foreign-shell:1", fx_script_foreign_shell,
     "\"#!/bin/sh\" script whose /bin/sh is an s390x ELF",
     "FAIL on amd64 and arm64: the interpreter /bin/sh is s390x"),
    ("fx/align-4k:1", fx_align(0x1000),
     "index linux/arm64; /app ELF 183 with PT_LOAD p_align 0x1000 "
     "(cases.md 13)",
     "arm64 with 4 KiB pages: PASS; with 16 or 64 KiB pages: FAIL"),
    ("fx/align-64k:1", fx_align(0x10000),
     "the same with p_align 0x10000",
     "PASS on arm64 with 4, 16 and 64 KiB pages"),
    ("fx/libs-cache:1", fx_libs_cache,
     "index linux/amd64; glibc loader in /lib64 (upstream layout); /app "
     "DYN needs libfoo.so.1, which lies in /usr/lib/x86_64-linux-gnu and "
     "is listed by /etc/ld.so.cache",
     "PASS on amd64 (found through the cache)"),
    ("fx/libs-conf:1", fx_libs_conf,
     "as libs-cache, with no ld.so.cache but /etc/ld.so.conf including "
     "/etc/ld.so.conf.d/*.conf, which lists /usr/lib/x86_64-linux-gnu",
     "WARN on amd64 (library-uncertain: ld.so reads that directory only "
     "through a cache the image lacks)"),
    ("fx/libs-missing:1", fx_libs_missing,
     "index linux/amd64; /app needs libfoo.so.1, which no layer holds",
     "FAIL on amd64 (library-not-found, cannot open shared object file)"),
    ("fx/libs-wrong-arch:1", fx_libs_wrong_arch,
     "as libs-missing, with /usr/lib64/libfoo.so.1 an AArch64 library",
     "FAIL on amd64 (library-wrong-architecture naming the file)"),
    ("fx/libs-origin:1", fx_libs_origin,
     "/opt/app/bin/app with DT_RUNPATH $ORIGIN/../lib; "
     "/opt/app/lib/libfoo.so.1",
     "PASS on amd64 ($ORIGIN expanded)"),
    ("fx/libs-musl-path:1", musl_image_fx(True),
     "musl: /lib/ld-musl-x86_64.so.1; /app needs libfoo.so.1 and "
     "libc.musl-x86_64.so.1; libfoo in /opt/lib, which "
     "/etc/ld-musl-x86_64.path lists",
     "PASS on amd64"),
    ("fx/libs-musl-nopath:1", musl_image_fx(False),
     "the same without the path file: musl searches only /lib, "
     "/usr/local/lib, /usr/lib",
     "FAIL on amd64 (library-not-found)"),
    ("fx/libs-nested-missing:1", fx_libs_nested_missing,
     "/app needs libfoo.so.1 (in /usr/lib64), which needs libbar.so.2, "
     "absent",
     "FAIL on amd64 (library-not-found naming library 'libfoo.so.1')"),
    ("fx/libs-broken:1", fx_libs_broken,
     "/app needs libfoo.so.1 (/usr/lib64, the first 40 bytes of an ELF "
     "file) and libbaz.so.1 (/usr/lib64, cut inside its strings: its "
     "dynamic section lies past the end of the file)",
     "FAIL on amd64 (library-malformed, twice, each with its reason)"),
    ("fx/libs-env:1", fx_libs_env,
     "/app needs libfoo.so.1, in /opt/env only; the config's Env sets "
     "LD_LIBRARY_PATH=/nonexistent:/opt/env",
     "PASS on amd64 (found through LD_LIBRARY_PATH)"),
    ("fx/libs-runpath-hides-rpath:1", fx_libs_runpath_hides_rpath,
     "/app has DT_RPATH /opt/rpath (which holds libfoo.so.1) and "
     "DT_RUNPATH /opt/run (empty)",
     "FAIL on amd64 (library-not-found: glibc ignores DT_RPATH when "
     "DT_RUNPATH is present)"),
    ("fx/libs-lib-token:1", fx_libs_lib_token,
     "/app has DT_RUNPATH /opt/app/$LIB; libfoo.so.1 is in "
     "/opt/app/lib64",
     "WARN on amd64 (library-uncertain: $LIB depends on the loader's "
     "build)"),
    ("fx/libs-dir-first:1", fx_libs_dir_first,
     "/app needs libfoo.so.1; /lib64/libfoo.so.1 is a directory, "
     "/usr/lib64/libfoo.so.1 the library",
     "FAIL on amd64 (library-malformed: glibc stops at the directory, "
     "\"cannot read file data: Is a directory\")"),
    ("fx/libs-loop-first:1", fx_libs_loop_first,
     "the same with /lib64/libfoo.so.1 a symbolic link to itself",
     "FAIL on amd64 (library-malformed: too many levels of symbolic "
     "links)"),
    ("fx/libs-musl-empty:1", fx_libs_musl_empty,
     "musl; /app needs libfoo.so.1, which is at /libfoo.so.1 only; "
     "LD_LIBRARY_PATH=:/nonexistent, WorkingDir /",
     "FAIL on amd64 (library-not-found: musl skips the empty element, "
     "where glibc would search the working directory)"),
    ("fx/libs-needed-origin:1", fx_libs_needed_origin,
     "/opt/app/bin/app has DT_NEEDED $ORIGIN/../lib/libfoo.so.1; "
     "/opt/app/lib/libfoo.so.1",
     "PASS on amd64 (glibc expands $ORIGIN in a DT_NEEDED path)"),
    ("fx/libs-needed-token:1", fx_libs_needed_token,
     "/app has DT_NEEDED /opt/$LIB/libfoo.so.1; /opt/lib64/libfoo.so.1",
     "UNKNOWN on amd64 (library-check-incomplete: $LIB is not "
     "expanded)"),
    ("fx/libs-app-cut:1", fx_libs_app_cut,
     "/app needs libfoo.so.1, but the file ends inside its string "
     "table: its dynamic section lies past the end of the file",
     "FAIL on amd64 (binary-malformed: the loader cannot read it)"),
    ("fx/libs-deep:1", fx_libs_deep,
     "/app needs libdeep00.so.1, which needs libdeep01.so.1, and so on "
     "to libdeep19.so.1: twenty levels, all in /usr/lib64 of one layer "
     "(in the tar last to first, as in all libs-deep/wide/layers)",
     "PASS on amd64 (20 libraries found; each layer read at most once "
     "per level of the walk)"),
    ("fx/libs-wide:1", fx_libs_wide,
     "/app needs libwide00.so.1 to libwide19.so.1 directly (each also "
     "needs the next), all in /usr/lib64 of one layer",
     "PASS on amd64 (20 libraries found, each layer read a few times, "
     "not once per library)"),
    ("fx/libs-layers:1", fx_libs_layers,
     "liblayer00.so.1 to liblayer19.so.1 in /usr/lib64, five to a "
     "layer over four layers; /app (top layer) needs all of them, one "
     "layer after the other in turn, and each library needs the next",
     "PASS on amd64 (20 libraries found, each layer read at most once "
     "per level of the walk)"),
    ("fx/libs-misaligned:1", fx_libs_misaligned,
     "index linux/arm64; /app aligned to 64 KiB needs libfoo.so.1 "
     "(/usr/lib64) aligned to 4 KiB",
     "PASS on arm64 with 4 KiB pages; FAIL with --page-size 65536 "
     "(page-size-misaligned naming the library)"),
    ("fx/arm-v7-fallback:1", fx_arm64_fallback_v7,
     "index linux/amd64 + linux/arm/v7 (ELF32 ARM); no arm64 entry",
     "PASS on amd64, arm/v7; on arm64 containerd falls back to arm/v7: "
     "WARN/PASS if the node runs 32-bit ARM, FAIL if it cannot"),
    ("fx/i386-only:1", fx_i386_only,
     "index with one entry, linux/386 (ELF32 LSB 3)",
     "PASS on 386; on amd64 containerd falls back to it: WARN if the "
     "node runs IA-32 programs or cannot tell, FAIL if it cannot; FAIL "
     "under CRI-O rules"),
    ("fx/jemalloc:1", fx_jemalloc,
     "index linux/arm64; /app ELF 183 (p_align 0x10000) holding "
     "jemalloc's \"Unsupported system page size\" message past 64 KiB",
     "arm64 with 4 KiB pages: PASS; with 16 or 64 KiB pages: WARN "
     "allocator-page-size"),
]


def markdown():
    lines = ["| repository:tag | what it is | expected verdict by node "
             "platform |", "| --- | --- | --- |"]
    for ref, _, what, expect in FIXTURES:
        lines.append("| `%s` | %s | %s |" % (ref, what.replace("|", "\\|"),
                                             expect.replace("|", "\\|")))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--markdown", action="store_true",
                    help="print the FIXTURES.md table and exit")
    if "--markdown" in sys.argv[1:]:
        print(markdown())
        return 0
    ib.add_registry_args(ap)
    ap.add_argument("--digests", metavar="FILE",
                    help="write the digest tree of every image as JSON")
    ap.add_argument("--verify", action="store_true",
                    help="after pushing, GET everything back and check it")
    ap.add_argument("--only", metavar="GLOB", action="append",
                    help="push only references matching GLOB")
    args = ap.parse_args()
    reg = ib.registry_from_args(args)
    started = time.monotonic()
    result = {"registry": args.registry, "images": {}}
    try:
        for ref, build, _, _ in FIXTURES:
            if args.only and not any(fnmatch.fnmatch(ref, g)
                                     for g in args.only):
                continue
            top = build()
            repo, tag = ref.rsplit(":", 1)
            reg.push(top, repo, tag)
            if args.verify:
                reg.verify(top, repo, tag)
            result["images"][ref] = ib.digest_tree(top)
            print("%s %s" % (ref, top.digest), flush=True)
    except (ib.RegistryError, OSError) as exc:
        print("push-fixtures.py: error: %s" % exc, file=sys.stderr)
        return 1
    if args.digests:
        with open(args.digests, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
    print("push-fixtures.py: %d images, %d requests, %.1f s" % (
        len(result["images"]), reg.requests, time.monotonic() - started),
        file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
