#!/usr/bin/env python3
"""Push the CPU-level and ARM build fixtures (cpu/...) to a registry.

Usage: cpufixtures.py REGISTRY [--insecure] [--ca FILE] [--user U:P]

Prints "REPO:TAG DIGEST" per image.  Every image is synthetic
(imagebuild.elf with GNU property notes, ARM attributes and e_flags):

  cpu/amd64-v3-only:1  an index whose one entry is linux/amd64/v3, its
                       /app needing x86-64-v3
  cpu/needs-v3:1       an index of linux/amd64 (no variant) whose /app
                       needs x86-64-v3 (X86_ISA_1_NEEDED 0x7)
  cpu/needs-v1:1       the same, needing only the baseline (0x1)
  cpu/arm-v7-as-v6:1   an index of linux/arm/v6 whose /app is built for
                       ARMv7 (Tag_CPU_arch 10)
  cpu/arm-v6:1         the same with an ARMv6 /app (Tag_CPU_arch 6)
  cpu/float-mismatch:1 linux/arm/v7: a hard-float /app whose PT_INTERP
                       /lib/ld-linux.so.3 is a soft-float loader
  cpu/float-ok:1       linux/arm/v7: a hard-float /app and its
                       hard-float /lib/ld-linux-armhf.so.3
"""

import argparse
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imagebuild as ib  # noqa: E402

HARD = 0x05000400    # EF_ARM_EABI_VER5 | EF_ARM_ABI_FLOAT_HARD
SOFT = 0x05000200    # EF_ARM_EABI_VER5 | EF_ARM_ABI_FLOAT_SOFT


def image(platform, files):
    layer = ib.Layer()
    for path, data in files:
        layer.file(path, data)
    return ib.Image([layer.build("gzip")],
                    ib.Config(platform, entrypoint=["/app"]))


def index(platform, files):
    return ib.Index([(image(platform, files), platform, None)])


def fixtures():
    x64 = lambda bits: ib.elf(arch="amd64", isa_needed=bits)  # noqa: E731
    arm = lambda cpu: ib.elf(arch="arm", arm_attrs={  # noqa: E731
        6: cpu, 7: ord("A"), 28: 1})
    hard_app = ib.elf(arch="arm", etype="DYN", flags=HARD,
                      interp="/lib/ld-linux.so.3")
    ok_app = ib.elf(arch="arm", etype="DYN", flags=HARD,
                    interp="/lib/ld-linux-armhf.so.3")
    return {
        "cpu/amd64-v3-only:1": index("linux/amd64/v3", [("/app", x64(7))]),
        "cpu/needs-v3:1": index("linux/amd64", [("/app", x64(7))]),
        "cpu/needs-v1:1": index("linux/amd64", [("/app", x64(1))]),
        "cpu/arm-v7-as-v6:1": index("linux/arm/v6", [("/app", arm(10))]),
        "cpu/arm-v6:1": index("linux/arm/v6", [("/app", arm(6))]),
        "cpu/float-mismatch:1": index("linux/arm/v7", [
            ("/app", hard_app),
            ("/lib/ld-linux.so.3", ib.elf(arch="arm", etype="DYN",
                                          flags=SOFT))]),
        "cpu/float-ok:1": index("linux/arm/v7", [
            ("/app", ok_app),
            ("/lib/ld-linux-armhf.so.3", ib.elf(arch="arm", etype="DYN",
                                                flags=HARD))]),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ib.add_registry_args(ap)
    args = ap.parse_args()
    reg = ib.registry_from_args(args)
    for ref, top in fixtures().items():
        repo, tag = ref.split(":")
        print("%s %s" % (ref, reg.push(top, repo, tag)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
