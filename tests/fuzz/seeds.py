#!/usr/bin/env python3
"""Write the seed corpora of tests/fuzz/corpus/ (small, well-formed and
slightly broken inputs of each parser). Run from anywhere; the files are
rewritten in place, byte for byte the same each time. Crash inputs kept
as regression tests (corpus/NAME/crash-*) and the inputs that `make fuzz`
found and were merged in (named by their SHA-1) are not touched."""
import gzip
import io
import os
import struct
import tarfile

TOP = os.path.dirname(os.path.abspath(__file__))
D64 = "sha256:" + "0123456789abcdef" * 4
D64B = "sha256:" + "fedcba9876543210" * 4


def put(target, name, data):
    d = os.path.join(TOP, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def references():
    for i, r in enumerate([
            "busybox", "docker.io/library/busybox:latest",
            "localhost:5000/a/b@" + D64, "[::1]:5000/x:tag",
            "registry.example/UPPER", "a//b", "index.docker.io/x",
            "x:tag@" + D64, "127.0.0.1:5000/team/app:v1.2-rc",
            "example.com/" + "a" * 300, "busybox:" + "t" * 130,
            "sha256:" + "0" * 64, "ghcr.io/o/p@sha512:" + "ab" * 64]):
        put("reference", "seed-%02d" % i, r)


def challenges():
    for i, c in enumerate([
            'Bearer realm="https://auth.example/token",'
            'service="registry.example",scope="repository:a/b:pull"',
            'Basic realm="Registry Realm"',
            'Bearer realm=https://a.example/t, error="insufficient_scope"',
            'Negotiate, Basic realm="a\\"b"',
            'Bearer realm="a",Basic realm="b", Bearer realm="c"',
            'Bearer', 'bearer REALM="x" , ,service=', 'Basic realm="x',
            'Digest realm="r", nonce="n", Bearer realm="t"']):
        put("challenge", "seed-%02d" % i, c)


def descriptor(mt, digest=D64, size=1, platform=None, extra=""):
    s = '{"mediaType": "%s", "digest": "%s", "size": %d' % (mt, digest,
                                                            size)
    if platform:
        s += ', "platform": %s' % platform
    return s + extra + "}"


def documents():
    oci_index = ('{"schemaVersion": 2, "mediaType": '
                 '"application/vnd.oci.image.index.v1+json", '
                 '"manifests": [%s, %s, %s]}' % (
                     descriptor("application/vnd.oci.image.manifest.v1+json",
                                platform='{"architecture": "amd64", '
                                '"os": "linux"}'),
                     descriptor("application/vnd.oci.image.manifest.v1+json",
                                D64B, 2, '{"architecture": "arm64", "os": '
                                '"linux", "variant": "v8", "os.version": '
                                '"1", "os.features": ["x"]}'),
                     descriptor("application/vnd.oci.image.manifest.v1+json",
                                D64B, 3, '{"architecture": "unknown", '
                                '"os": "unknown"}', ', "annotations": '
                                '{"vnd.docker.reference.type": '
                                '"attestation-manifest"}')))
    oci_manifest = ('{"schemaVersion": 2, "mediaType": '
                    '"application/vnd.oci.image.manifest.v1+json", '
                    '"config": %s, "layers": [%s, %s]}' % (
                        descriptor("application/vnd.oci.image.config.v1+json"),
                        descriptor("application/vnd.oci.image.layer.v1.tar"
                                   "+gzip", size=100),
                        descriptor("application/vnd.oci.image.layer.v1.tar"
                                   "+zstd", D64B, 200)))
    docker_list = ('{"schemaVersion": 2, "mediaType": "application/vnd.docker'
                   '.distribution.manifest.list.v2+json", "manifests": [%s]}'
                   % descriptor("application/vnd.docker.distribution.manifest"
                                ".v2+json", platform='{"architecture": "arm",'
                                ' "os": "linux", "variant": "v7"}'))
    schema1 = ('{"schemaVersion": 1, "name": "a/b", "tag": "latest", '
               '"architecture": "amd64", "fsLayers": [{"blobSum": "%s"}], '
               '"history": [{"v1Compatibility": "{}"}]}' % D64)
    bare = ('{"schemaVersion": 2, "config": %s, "layers": []}'
            % descriptor("application/vnd.docker.container.image.v1+json"))
    put("document", "seed-oci-index", "1" + oci_index)
    put("document", "seed-oci-manifest", "2" + oci_manifest)
    put("document", "seed-docker-list", "3" + docker_list)
    put("document", "seed-schema1", "5" + schema1)
    put("document", "seed-bare-manifest", bare)
    put("document", "seed-index-no-type", "0" + oci_index.replace(
        '"mediaType": "application/vnd.oci.image.index.v1+json", ', ''))
    put("document", "seed-wrong-types", '{"schemaVersion": "2", '
        '"manifests": [{"digest": 5, "size": -1, "platform": []}]}')
    put("document", "seed-bad-json", '7{"schemaVersion": 2, "layers": [')


def configs():
    put("config", "seed-full", '{"architecture": "amd64", "os": "linux", '
        '"variant": "v3", "config": {"Entrypoint": ["/bin/sh", "-c"], '
        '"Cmd": ["echo hi"], "Env": ["PATH=/usr/bin:/bin", "A=1", '
        '"PATH=/x"], "WorkingDir": "/app", "User": "1000:1000"}, '
        '"rootfs": {"type": "layers", "diff_ids": ["%s", "%s"]}}'
        % (D64, D64B))
    put("config", "seed-null", '{"architecture": "arm64", "os": "linux", '
        '"config": {"Entrypoint": null, "Cmd": null, "Env": null}}')
    put("config", "seed-wrong", '{"architecture": 1, "config": '
        '{"Entrypoint": "sh", "Cmd": [1, 2], "Env": [null]}, '
        '"rootfs": {"diff_ids": {}}}')
    put("config", "seed-escapes", '{"os": "linux", "architecture": '
        '"amd64", "config": {"Cmd": ["\\u00e9\\ud83d\\ude00", "\\u0000"]}}')


def json_documents():
    seeds = {
        "0-error": '{"errors": [{"code": "MANIFEST_UNKNOWN", "message": '
                   '"manifest unknown", "detail": {"Tag": "x"}}]}',
        "1-token": '{"token": "abc", "access_token": "def", '
                   '"expires_in": 300}',
        "2-images": '{"kind": "Images", "apiVersion": "output.kubeadm.k8s.io/'
                    'v1alpha3", "images": ["registry.k8s.io/kube-apiserver:'
                    'v1.30.2", "registry.k8s.io/etcd:3.5.12-0", 5]}',
        "3-auth": '{"auths": {"reg.example": {"auth": "dTpw"}, '
                  '"https://index.docker.io/v1/": {"username": "u", '
                  '"password": "p", "identitytoken": null}, "e": {}}, '
                  '"credHelpers": {"gcr.io": "gcloud", "x": 1}, '
                  '"credsStore": "desktop"}',
        "4-legacy": '{"https://index.docker.io/v1/": {"auth": "dTpw", '
                    '"email": "a@b"}, "reg": 5}',
        "5-helper": '{"ServerURL": "reg.example", "Username": "u", '
                    '"Secret": "s"}',
        "6-layout": '{"imageLayoutVersion": "1.0.0"}',
        "7-index": '{"schemaVersion": 2, "manifests": [{"mediaType": '
                   '"application/vnd.oci.image.manifest.v1+json", '
                   '"digest": "%s", "size": 10, "annotations": '
                   '{"org.opencontainers.image.ref.name": "1.0", '
                   '"io.containerd.image.name": "docker.io/a/b:1.0"}}]}'
                   % D64,
        "8-docker": '[{"Config": "abc.json", "RepoTags": ["a/b:1"], '
                    '"Layers": ["l1/layer.tar", "l2/layer.tar", 7]}]',
        "3-dup": '{"auths": {"a": {}}, "auths": {}}',
    }
    for name, text in seeds.items():
        put("json", "seed-" + name, name[0] + text)


TOML = {
    "containerd": '''version = 2
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.9"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
  [plugins."io.containerd.grpc.v1.cri".registry.configs."reg.example".auth]
    username = 'u'
    password = """p
w"""
''',
    "hosts": '''server = "https://reg.example:5000"
[host."https://mirror.example"]
  capabilities = ["pull", "resolve"]
  ca = ["/etc/ca.pem"]
  client = [["/c.pem", "/k.pem"]]
  skip_verify = true
  override_path = false
  [host."https://mirror.example".header]
    x-custom = ["a", "b"]
''',
    "registries": '''unqualified-search-registries = ["docker.io"]
[[registry]]
prefix = "reg.example"
location = "mirror.example/reg"
insecure = false
blocked = false
[[registry.mirror]]
location = "m1.example"
pull-from-mirror = "digest-only"
[[registry]]
location = "docker.io"
mirror = [ { location = "m2.example", insecure = true } ]
''',
    "values": '''# comment
a.b."c d" = 1_000
'e' = -0x1f
f = [1, 2, [ "x", 'y' ], ]
g = { h = true, i.j = 'k' }
[[arr]]
x = 1
[[arr]]
x = 0o17
[tbl."sub.key"]
s = "esc \\t \\u00e9 \\U0001F600"
''',
    "bad": 'a = 1\na = 2\n[x]\n[x]\nd = 1979-05-27\nf = 1.5\n',
}


def tomls():
    for name, text in TOML.items():
        put("toml", "seed-" + name, text)
    # the deepest nesting the limits allow: a header and a dotted key of
    # TOML_DEPTH_MAX parts, then inline tables as deep as allowed, each
    # with such a key (about 1,060 levels)
    key = ".".join(["k"] * 32)
    put("toml", "seed-deepest", "[%s]\n%s = %s1%s\n" % (
        key, key, ("{%s = " % key) * 31, "}" * 31))


def kubeadms():
    put("kubeadm", "seed-v1beta3", '''apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: v1.30.2
imageRepository: reg.example/k8s
etcd:
  local:
    imageRepository: reg.example/etcd
    imageTag: 3.5.15-0
dns:
  imageRepository: reg.example/dns
  imageTag: v1.11.1
''')
    put("kubeadm", "seed-v1beta4-multi", '''apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration:
  criSocket: unix:///run/containerd/containerd.sock
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: "1.27.0"
etcd:
  external:
    endpoints: [https://e:2379]
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
''')
    put("kubeadm", "seed-anchors", '''apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
imageRepository: &r reg.example
kubernetesVersion: v1.33.0-rc.1
dns: {imageRepository: *r, imageTag: null}
etcd: ~
''')
    put("kubeadm", "seed-bad", 'kind: ClusterConfiguration\n'
        'apiVersion: kubeadm.k8s.io/v1beta2\nkubernetesVersion: latest\n'
        'a: [\n')


def mirrors():
    put("mirrors", "seed-hosts", "0" + TOML["hosts"])
    put("mirrors", "seed-hosts-plain", '0server = "http://reg.example:5000"'
        '\n[host."http://m.example:5000/v2/x"]\n  capabilities = '
        '["pull"]\n  override_path = true\n')
    put("mirrors", "seed-registries", "1" + TOML["registries"])
    put("mirrors", "seed-registries-v1", '1[registries.search]\nregistries'
        ' = ["docker.io"]\n[registries.block]\nregistries = '
        '["reg.example"]\n[registries.insecure]\nregistries = ["*.example"]'
        '\n')
    put("mirrors", "seed-registries-wild", '1[[registry]]\nprefix = '
        '"*.example"\nlocation = ""\nblocked = true\n')
    put("mirrors", "seed-containerd", "2" + TOML["containerd"])
    put("mirrors", "seed-containerd-v3", '2version = 3\n[plugins."io.'
        'containerd.cri.v1.images".pinned_images]\n  sandbox = "p:1"\n'
        '[plugins."io.containerd.cri.v1.images".registry]\n  config_path ='
        ' "/a:/b"\n')


# --- ELF ---

PT_LOAD, PT_INTERP, PT_NOTE = 1, 3, 4
PT_GNU_PROPERTY = 0x6474E553


def gnu_property_note(level_bits, is64, big=False):
    e = ">" if big else "<"
    align = 8 if is64 else 4
    prop = struct.pack(e + "III", 0xC0008002, 4, level_bits)
    while len(prop) % align:
        prop += b"\0"
    return struct.pack(e + "III", 4, len(prop), 5) + b"GNU\0" + prop


def elf64(machine=62, big=False, interp=b"/lib64/ld-linux-x86-64.so.2",
          note=None, load_align=0x1000, etype=3):
    e = ">" if big else "<"
    phdrs = []
    tail = b""
    base = 64 + 56 * 4
    if interp is not None:
        phdrs.append((PT_INTERP, base + len(tail), len(interp) + 1, 1))
        tail += interp + b"\0"
    while len(tail) % 8:
        tail += b"\0"
    if note is not None:
        phdrs.append((PT_GNU_PROPERTY, base + len(tail), len(note), 8))
        phdrs.append((PT_NOTE, base + len(tail), len(note), 8))
        tail += note
    phdrs.append((PT_LOAD, 0, base + len(tail), load_align))
    ident = b"\x7fELF" + bytes([2, 2 if big else 1, 1, 0]) + b"\0" * 8
    hdr = ident + struct.pack(e + "HHIQQQIHHHHHH", etype, machine, 1,
                              0x401000, 64, 0, 0, 64, 56, len(phdrs), 64, 0,
                              0)
    ph = b""
    for t, off, size, align in phdrs:
        ph += struct.pack(e + "IIQQQQQQ", t, 5, off, off, off, size, size,
                          align)
    ph += b"\0" * (56 * 4 - len(ph))
    return hdr + ph + tail


def arm_attributes(arch=10, profile=0x41, vfp=1):
    attrs = b"\x05" + b"7-A\0" + bytes([6, arch, 7, profile, 28, vfp])
    file_sub = b"\x01" + struct.pack("<I", 5 + len(attrs)) + attrs
    vendor = b"aeabi\0" + file_sub
    return b"A" + struct.pack("<I", 4 + len(vendor)) + vendor


def elf32_arm(attrs, flags=0x05000400, shoff_delta=0):
    phnum, shnum = 1, 3
    phoff = 52
    attr_off = phoff + 32 * phnum
    shoff = attr_off + len(attrs)
    while shoff % 4:
        shoff += 1
    hdr = b"\x7fELF" + bytes([1, 1, 1, 0]) + b"\0" * 8 + struct.pack(
        "<HHIIIIIHHHHHH", 2, 40, 1, 0x10000, phoff, shoff + shoff_delta,
        flags, 52, 32, phnum, 40, shnum, 0)
    ph = struct.pack("<IIIIIIII", PT_LOAD, 0, 0x10000, 0x10000, shoff,
                     shoff, 5, 0x10000)
    body = hdr + ph + attrs
    body += b"\0" * (shoff - len(body))
    sh = b"\0" * 40
    sh += struct.pack("<IIIIIIIIII", 0, 1, 6, 0, 0, 16, 0, 0, 4, 0)
    sh += struct.pack("<IIIIIIIIII", 0, 0x70000003, 0, 0, attr_off,
                      len(attrs), 0, 0, 1, 0)
    return body + sh


def elfs():
    put("elf", "seed-x86-64-dyn", elf64())
    put("elf", "seed-x86-64-v3-note", elf64(note=gnu_property_note(0x7,
                                                                  True)))
    put("elf", "seed-aarch64-64k", elf64(183, interp=b"/lib/ld-linux-"
                                         b"aarch64.so.1", load_align=0x10000))
    put("elf", "seed-s390x-big", elf64(22, big=True, interp=None, etype=2,
                                       note=gnu_property_note(1, True,
                                                              True)))
    put("elf", "seed-arm32-attrs", elf32_arm(arm_attributes()))
    put("elf", "seed-arm32-soft", elf32_arm(arm_attributes(13, 0x41, 0),
                                            0x05000200))
    put("elf", "seed-arm32-shoff-past", elf32_arm(arm_attributes(), 0,
                                                  4096))
    put("elf", "seed-truncated", elf64()[:80])
    # elfparts: flags byte (bit 0 ELF64, bit 1 big-endian, bit 2 align 8,
    # bits 3-4 reader), then the reader's bytes
    put("elfparts", "seed-note64", bytes([0x05]) + gnu_property_note(15,
                                                                   True))
    put("elfparts", "seed-note32-big", bytes([0x02]) +
        gnu_property_note(3, False, True))
    put("elfparts", "seed-note-misaligned", bytes([0x01]) +
        gnu_property_note(3, True))
    put("elfparts", "seed-arm-attrs", bytes([0x10]) + arm_attributes())
    put("elfparts", "seed-arm-uleb", bytes([0x10]) + b"A" +
        struct.pack("<I", 20) + b"aeabi\0\x01" + struct.pack("<I", 9) +
        b"\x06\xff\xff\xff\x7f")
    put("elfparts", "seed-sections", bytes([0x18]) +
        elf32_arm(arm_attributes())[-120:])


def shebangs():
    for i, s in enumerate([
            b"#!/bin/sh\necho hi\n", b"#! /usr/bin/env python3 -u\n",
            b"#!/bin/bash\r\n", b"#!\t/bin/sh -e -x \t\n",
            b"#!" + b"/x" * 140 + b" arg\n", b"#!\n", b"#!/bin/sh\0-x\n"]):
        put("shebang", "seed-%02d" % i, s)


# --- layers ---

LAYER_MARK = b"\n=LAYER=\n"


def tar_layer(members, compress=False):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.GNU_FORMAT) as t:
        for kind, name, arg in members:
            ti = tarfile.TarInfo(name)
            ti.mtime = 0
            data = None
            if kind == "f":
                ti.size = len(arg)
                ti.mode = 0o755
                data = io.BytesIO(arg)
            elif kind == "d":
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
            elif kind == "l":
                ti.type = tarfile.SYMTYPE
                ti.linkname = arg
            elif kind == "h":
                ti.type = tarfile.LNKTYPE
                ti.linkname = arg
            elif kind == "c":
                ti.type = tarfile.CHRTYPE
            t.addfile(ti, data)
    raw = bio.getvalue()
    if compress:
        return gzip.compress(raw, mtime=0)
    return raw


def imagefs():
    elf = elf64()[:200]
    base = tar_layer([("d", "bin", None), ("f", "bin/busybox", elf),
                      ("l", "bin/sh", "busybox"), ("d", "usr/bin", None),
                      ("l", "usr/bin/env", "../../bin/busybox"),
                      ("f", "app", b"#!/bin/sh\necho\n"),
                      ("h", "x", "app"), ("c", "lib/ld-linux.so", None)])
    put("imagefs", "seed-one-layer", base)
    upper = tar_layer([("f", "bin/.wh.sh", b""), ("d", "a/b", None),
                       ("f", "a/b/.wh..wh..opq", b""),
                       ("l", "a/c", "/a/b"), ("f", "a/b/d", b"data")],
                      compress=True)
    put("imagefs", "seed-two-layers", base + LAYER_MARK + upper)
    loop = tar_layer([("l", "bin/sh", "/bin/sh2"), ("l", "bin/sh2",
                                                    "sh"),
                      ("l", "app", "../../../../app2"),
                      ("f", "app2", b"x"), ("f", "app2", b"y")])
    put("imagefs", "seed-loop", loop)
    put("imagefs", "seed-garbage", b"\x1f\x8b\x08\x00" + b"\xff" * 64 +
        LAYER_MARK + b"\x28\xb5\x2f\xfd" + b"\0" * 16)


def node():
    for i, p in enumerate(["linux/amd64", "linux/arm/v7", "arm64",
                           "linux/amd64/v3", "windows/amd64/10.0",
                           "Linux/AArch64/8", "linux//", "linux/arm/v9/x"]):
        put("node", "seed-platform-%d" % i, "0" + p)
    put("node", "seed-cpuinfo-x86", "1processor\t: 0\nvendor_id\t: "
        "GenuineIntel\nflags\t\t: fpu cx8 cmov fxsr sse sse2 cx16 lahf_lm "
        "popcnt sse4_1 sse4_2 ssse3 avx avx2 bmi1 bmi2 f16c fma lzcnt movbe "
        "xsave osxsave avx512f avx512bw avx512cd avx512dq avx512vl\n\n")
    put("node", "seed-cpuinfo-arm", "1processor\t: 0\nmodel name\t: "
        "ARMv7 Processor rev 4 (v7l)\nFeatures\t: half thumb fastmult vfp "
        "edsp neon vfpv3 tls vfpv4 idiva idivt\nCPU architecture: 7\n")
    put("node", "seed-config", "2#\n# CONFIG_X is not set\nCONFIG_COMPAT=y"
        "\nCONFIG_COMPAT_VDSO=m\n# CONFIG_COMPAT is not set\n")
    put("node", "seed-cmdline", '3BOOT_IMAGE=/vmlinuz ro quiet '
        'allow_mismatched_32bit_el0 ia32_emulation=0 x="a b" -- '
        'ia32_emulation=1')
    put("node", "seed-release", "36.1.0-21-arm64")
    put("node", "seed-binfmt", "4enabled\ninterpreter /usr/bin/qemu-aarch64-"
        "static\nflags: OCF\noffset 0\nmagic 7f454c460201010000000000000000"
        "000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n")
    put("node", "seed-binfmt-ext", "4disabled\ninterpreter /bin/x\nflags: "
        "\nextension .exe\n")


def bytematch():
    # chunk size - 1, pattern length - 1, pattern, data
    put("bytematch", "seed-split", b"\x03\x05hello" + b"xxhelxlohello" +
        b"je_malloc_conf")
    put("bytematch", "seed-overlap", b"\x00\x03abab" + b"abaabababab" +
        b"aaaab")
    put("bytematch", "seed-none", b"\xff\x0fjemalloc-config!" +
        b"je_malloc_con" + b"\0" * 40)


def elf_dynamic(is64=True, big=False, needed=("libc.so.6", "libm.so.6"),
                runpath="$ORIGIN/../lib", soname="libx.so.1"):
    """An ELF file whose one PT_LOAD maps it at address 0 and whose
    PT_DYNAMIC names its libraries through a string table."""
    e = ">" if big else "<"
    ehsize, phsize = (64, 56) if is64 else (52, 32)
    strtab = b"\0"
    offs = []
    for name in list(needed) + [runpath, soname]:
        offs.append(len(strtab))
        strtab += name.encode() + b"\0"
    word = "Q" if is64 else "I"
    base = ehsize + 2 * phsize
    str_off = base
    dyn_off = str_off + len(strtab)
    dyn_off += (-dyn_off) % 8
    ents = [(1, o) for o in offs[:len(needed)]]
    ents += [(29, offs[-2]), (14, offs[-1]), (5, str_off),
             (10, len(strtab)), (0x6FFFFFFB, 0x800), (0, 0)]
    dyn = b"".join(struct.pack(e + word + word, t, v) for t, v in ents)
    total = dyn_off + len(dyn)
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 2 if big else 1, 1,
                                0]) + b"\0" * 8
    if is64:
        hdr = ident + struct.pack(e + "HHIQQQIHHHHHH", 3, 62, 1, 0, ehsize,
                                  0, 0, ehsize, phsize, 2, 64, 0, 0)
        ph = struct.pack(e + "IIQQQQQQ", PT_LOAD, 5, 0, 0, 0, total, total,
                         0x1000)
        ph += struct.pack(e + "IIQQQQQQ", 2, 6, dyn_off, dyn_off, dyn_off,
                          len(dyn), len(dyn), 8)
    else:
        hdr = ident + struct.pack(e + "HHIIIIIHHHHHH", 3, 40, 1, 0, ehsize,
                                  0, 0, ehsize, phsize, 2, 40, 0, 0)
        ph = struct.pack(e + "IIIIIIII", PT_LOAD, 0, 0, 0, total, total, 5,
                         0x1000)
        ph += struct.pack(e + "IIIIIIII", 2, dyn_off, dyn_off, dyn_off,
                          len(dyn), len(dyn), 6, 4)
    body = hdr + ph + strtab
    body += b"\0" * (dyn_off - len(body))
    return body + dyn


def elfdyns():
    put("elfdyn", "seed-64", elf_dynamic())
    put("elfdyn", "seed-32-big", elf_dynamic(False, True))
    put("elfdyn", "seed-many", elf_dynamic(needed=["lib%d.so" % i
                                                    for i in range(40)]))
    put("elfdyn", "seed-static", elf64(interp=None, etype=2))


def ldcache(entries, big=False):
    e = ">" if big else "<"
    n = len(entries)
    strings = b""
    table = b""
    str_base = 48 + 24 * n
    for flags, name, path in entries:
        k = str_base + len(strings)
        strings += name.encode() + b"\0"
        v = str_base + len(strings)
        strings += path.encode() + b"\0"
        table += struct.pack(e + "IIIIQ", flags, k, v, 0, 0)
    hdr = b"glibc-ld.so.cache1.1" + struct.pack(e + "II", n, len(strings))
    hdr += bytes([3 if big else 2, 0, 0, 0]) + b"\0" * 16
    return hdr + table + strings


def ldcaches():
    ents = [(0x0303, "libfoo.so.1", "/usr/lib/x86_64-linux-gnu/libfoo.so.1"),
            (0x0003, "libc.so.6", "/lib32/libc.so.6"),
            (0x0303, "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6")]
    put("ldcache", "seed-little", b"\0" + ldcache(ents))
    put("ldcache", "seed-big", b"\1" + ldcache(ents, True))
    old = b"ld.so-1.7.0\0" + struct.pack("<I", 0)
    put("ldcache", "seed-old-then-new", b"\0" + old + ldcache(ents))
    put("ldcache", "seed-old-alone", b"\0" + old)


def empty():
    for target in os.listdir(os.path.join(TOP, "corpus")):
        put(target, "seed-empty", b"")


if __name__ == "__main__":
    node()
    references()
    challenges()
    documents()
    configs()
    json_documents()
    tomls()
    kubeadms()
    mirrors()
    elfs()
    shebangs()
    imagefs()
    bytematch()
    elfdyns()
    ldcaches()
    empty()
