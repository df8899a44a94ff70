#!/usr/bin/env python3
"""Images for the node-configuration CLI tests (tests/cli/50-node.bats).

Usage:
  nodeimages.py push-as REGISTRY FIXTURE REPO:TAG [--insecure] [--user U:P]
      push the push-fixtures.py image FIXTURE (e.g. fx/single-amd64:1)
      under another name: a mirror's stale copy of an upstream tag
  nodeimages.py small REGISTRY REPO:TAG... [--single] [--insecure]
      push a small linux/amd64 + linux/arm64 index under each name (with
      --single: one linux/amd64 Docker v2 manifest instead)
  nodeimages.py offline FIXTURE DIR
      write FIXTURE as DIR/layout (an OCI image layout), DIR/oci.tar (the
      same layout as a tar: oci-archive) and DIR/docker.tar (`docker save`
      format: manifest.json, config, uncompressed layer tars; the image
      for linux/amd64 when FIXTURE is an index)

Everything is built the same way on every run (see push-fixtures.py).
"""

import argparse
import importlib.util
import io
import json
import os
import sys
import tarfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import imagebuild as ib  # noqa: E402


def fixtures():
    spec = importlib.util.spec_from_file_location(
        "push_fixtures", os.path.join(HERE, "push-fixtures.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build_fixture(name):
    mod = fixtures()
    for ref, builder, _, _ in mod.FIXTURES:
        if ref == name:
            return builder()
    raise SystemExit("nodeimages: no fixture '%s'" % name)


def split_ref(text):
    repo, _, tag = text.rpartition(":")
    if not repo or "/" in tag:
        return text, "latest"
    return repo, tag


def registry(args):
    return ib.Registry(args.registry, insecure=args.insecure,
                       user=args.user)


def cmd_push_as(args):
    top = build_fixture(args.fixture)
    repo, tag = split_ref(args.reference)
    print("%s:%s %s" % (repo, tag, registry(args).push(top, repo, tag)))
    return 0


def small(single):
    mod = fixtures()
    if single:
        return mod.app("linux/amd64", "/app", style="docker")
    return mod.per_platform(mod.app, ["linux/amd64", "linux/arm64"])


def cmd_small(args):
    reg = registry(args)
    top = small(args.single)
    for ref in args.references:
        repo, tag = split_ref(ref)
        print("%s:%s %s" % (repo, tag, reg.push(top, repo, tag)))
    return 0


def add_bytes(tar, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = 0o644
    tar.addfile(ti, io.BytesIO(data))


def layout_files(top, ref_name):
    """The files of an OCI image layout holding top (image-spec
    image-layout.md): name -> bytes."""
    files = {"oci-layout": json.dumps({"imageLayoutVersion": "1.0.0"})
             .encode()}
    desc = {"mediaType": top.media_type, "digest": top.digest,
            "size": top.size,
            "annotations": {"org.opencontainers.image.ref.name": ref_name}}
    files["index.json"] = ib.canonical_json(
        {"schemaVersion": 2, "mediaType": ib.OCI_INDEX,
         "manifests": [desc]})
    for man in ib.walk(top):
        files["blobs/sha256/" + man.digest[7:]] = man.data
        for blob in man.blobs():
            files["blobs/sha256/" + blob.digest[7:]] = blob.data
    return files


def docker_image(top):
    if isinstance(top, ib.Index):
        for child, plat in zip(top.children(), top.platforms):
            if plat and plat.get("architecture") == "amd64":
                return child
        raise SystemExit("nodeimages: the index has no linux/amd64 image")
    return top


def docker_save(top, repo_tag, path):
    """`docker save` (legacy) format: uncompressed layers, the config as
    <hex>.json, manifest.json listing them with RepoTags."""
    img = docker_image(top)
    cfg_name = img.config_blob.digest[7:] + ".json"
    layers = []
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        add_bytes(tar, cfg_name, img.config_blob.data)
        for layer in img.layers:
            raw = ib.gzip.decompress(layer.data) \
                if layer.data[:2] == b"\x1f\x8b" else layer.data
            name = ib.sha256(raw)[7:] + "/layer.tar"
            add_bytes(tar, name, raw)
            layers.append(name)
        manifest = [{"Config": cfg_name, "RepoTags": [repo_tag],
                     "Layers": layers}]
        add_bytes(tar, "manifest.json", json.dumps(manifest).encode())


def cmd_offline(args):
    top = build_fixture(args.fixture)
    repo, tag = split_ref(args.fixture)
    files = layout_files(top, tag)
    lay = os.path.join(args.dir, "layout")
    for name, data in files.items():
        full = os.path.join(lay, name)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
    with tarfile.open(os.path.join(args.dir, "oci.tar"), "w",
                      format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            add_bytes(tar, name, files[name])
    docker_save(top, "%s:%s" % (repo, tag),
                os.path.join(args.dir, "docker.tar"))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("push-as")
    p.add_argument("registry")
    p.add_argument("fixture")
    p.add_argument("reference")
    s = sub.add_parser("small")
    s.add_argument("registry")
    s.add_argument("references", nargs="+")
    s.add_argument("--single", action="store_true")
    for x in (p, s):
        x.add_argument("--insecure", action="store_true")
        x.add_argument("--user", metavar="U:P")
    o = sub.add_parser("offline")
    o.add_argument("fixture")
    o.add_argument("dir")
    args = ap.parse_args()
    return {"push-as": cmd_push_as, "small": cmd_small,
            "offline": cmd_offline}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
