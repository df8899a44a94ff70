#!/usr/bin/env python3
"""Measure image-preflight against what a user does today, side by side.

For each case of images.py (pushed to a registry on 127.0.0.1), for
each protocol (the registry over plain HTTP, and the same storage served
over TLS by a second registry) and for each added latency (0 and 20 ms
per direction, through netproxy.py), it runs, REPEAT times each:

  preflight   image-preflight check -o json --runtime any REF
              (over TLS with --ca-file CA)
  inspect     skopeo inspect --config docker://REF (--tls-verify=false
              on plain HTTP, --cert-dir holding the CA over TLS)
  pull        skopeo copy docker://REF dir:TMP, then, top layer first,
              tar -xzf LAYER -C OUT PATH until the entrypoint comes out,
              then file and readelf -h -l on it

and records the bytes the client received on the wire (HTTP headers and
bodies, or TLS records, counted by the proxy), requests, TCP
connections, the HTTP versions the requests came in, wall time (the
median of the repeats) and peak RSS (the largest of the processes, from
wait4). Round trips are (wall at 20 ms - wall at 0 ms) / 40 ms, from
the fastest of the repeats (a busy machine only adds time): the
sequential steps that each wait for an answer, handshakes included.

Requests: the proxy reads request lines on plain HTTP; inside TLS it
cannot, so there they are the lines of the registry's access log, which
also gives each request's HTTP version on both protocols (the registry
logs one line per request it answered, in the combined log format).
Should that log name no request, image-preflight's own stats.requests
stands in and skopeo's requests are unknown ("-").

It prints one markdown table per protocol and latency and the targets,
PASS or MISS, and writes them to --report.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024
# A proxy publishes its port within this time, and logs a closed
# connection within this time of its client's exit.
PROXY_START_S = 15
PROXY_SETTLE_S = 10
# Bound on one measured command.
COMMAND_TIMEOUT_S = 1800
# How often a running command's memory is sampled.
SAMPLE_S = 0.002
# The registry's access log is complete once it has not grown for this
# long (it logs a request when its handler returns).
REGISTRY_QUIET_S = 0.15
# A request line of the registry's access log (combined log format).
ACCESS_LINE = re.compile(r'\] "([A-Z]+) (\S+) HTTP/([0-9.]+)" ([0-9]{3}) ')
# Version names as image-preflight's stats.http_version writes them.
VERSION_NAMES = {"1.0": "1.0", "1.1": "1.1", "2.0": "2", "2": "2",
                 "3.0": "3", "3": "3"}


def anon_rss(pid):
    """The process's anonymous resident memory now, in bytes, or 0."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run(argv, env, cwd=None):
    """Run argv; (exit status, wall seconds, peak RSS bytes, stdout,
    peak anonymous RSS bytes sampled every few ms)."""
    out = tempfile.TemporaryFile()
    start = time.monotonic()
    p = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                         stdout=out, stderr=subprocess.DEVNULL)
    deadline = start + COMMAND_TIMEOUT_S
    anon = 0
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            p.kill()
        anon = max(anon, anon_rss(p.pid))
        time.sleep(SAMPLE_S)
    wall = time.monotonic() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    return p.returncode, wall, ru.ru_maxrss * 1024, out.read(), anon


class NetProxy:
    """A netproxy.py this process starts, and stops by its PID."""

    def __init__(self, upstream, delay_ms, workdir, tag):
        self.log = os.path.join(workdir, "proxy-%s-%g.log" % (tag, delay_ms))
        port_file = os.path.join(workdir, "proxy-%s-%g.port" % (tag,
                                                                delay_ms))
        self.delay_ms = delay_ms
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "netproxy.py"),
             "--upstream", upstream, "--delay-ms", str(delay_ms),
             "--port-file", port_file, "--log", self.log,
             "--owner-pid", str(os.getpid())],
            stdin=subprocess.DEVNULL)
        end = time.monotonic() + PROXY_START_S
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError("netproxy did not start")
            time.sleep(0.05)
        with open(port_file) as f:
            self.addr = "127.0.0.1:" + f.read().split()[0]
        self.offset = 0

    def mark(self):
        self.offset = os.path.getsize(self.log)

    def events(self):
        """Events since mark(), once every connection has closed."""
        end = time.monotonic() + PROXY_SETTLE_S
        while True:
            with open(self.log) as f:
                f.seek(self.offset)
                evs = [json.loads(l) for l in f if l.endswith("\n")]
            opened = sum(e["ev"] == "open" for e in evs)
            closed = sum(e["ev"] == "close" for e in evs)
            if opened == closed or time.monotonic() > end:
                return evs
            time.sleep(0.02)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class RegistryLog:
    """The access log of one registry: the requests since mark()."""

    def __init__(self, path):
        self.path = path
        self.offset = 0

    def mark(self):
        self.offset = os.path.getsize(self.path)

    def requests(self):
        """(method, path, HTTP version) of each request since mark(),
        once the log has been quiet for REGISTRY_QUIET_S."""
        end = time.monotonic() + PROXY_SETTLE_S
        size = -1
        while time.monotonic() < end:
            now = os.path.getsize(self.path)
            if now == size:
                break
            size = now
            time.sleep(REGISTRY_QUIET_S)
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            text = f.read().decode("utf-8", "replace")
        return [(m.group(1), m.group(2),
                 VERSION_NAMES.get(m.group(3), m.group(3)))
                for m in map(ACCESS_LINE.search, text.splitlines()) if m]


def versions_text(names):
    """Versions as stats.http_version writes several: ascending, joined
    by commas ("1.1,2"); "" for none."""
    return ",".join(sorted(set(names), key=lambda v: float(v)))


class Protocol:
    """One way the registry is reached: plain HTTP or TLS."""

    def __init__(self, name, addr, log, ca, workdir):
        self.name = name
        self.addr = addr
        self.log = RegistryLog(log)
        self.ca = ca
        self.certdir = None
        if ca:
            # skopeo reads the CAs of a --cert-dir from its *.crt files
            self.certdir = os.path.join(workdir, "certs-" + name)
            os.makedirs(self.certdir, exist_ok=True)
            shutil.copy(ca, os.path.join(self.certdir, "ca.crt"))

    @property
    def tls(self):
        return self.ca is not None

    def label(self):
        return "TLS" if self.tls else "plain HTTP"

    def preflight_args(self):
        return ["--ca-file", self.ca] if self.tls else []

    def skopeo_args(self, src):
        flag = "--src-" if src else "--"
        if self.tls:
            return [flag + "cert-dir", self.certdir]
        return [flag + "tls-verify=false"]


def traffic(evs):
    return {
        "rx": sum(e.get("rx", 0) for e in evs if e["ev"] == "close"),
        "tx": sum(e.get("tx", 0) for e in evs if e["ev"] == "close"),
        "requests": sum(e["ev"] == "req" for e in evs),
        "connections": sum(e["ev"] == "open" for e in evs),
        "tls_tries": sum(e["ev"] == "tls" for e in evs),
    }


class Bench:
    def __init__(self, args, env, proto):
        self.a = args
        self.env = env
        self.proto = proto

    def measure(self, proxy, steps):
        """Run `steps` (a function returning [(status, wall, rss, out)])
        REPEAT times; the median wall time and the rest of the median
        run."""
        runs = []
        for _ in range(self.a.repeat):
            proxy.mark()
            self.proto.log.mark()
            parts = steps()
            t = traffic(proxy.events())
            logged = self.proto.log.requests()
            t["http"] = versions_text(r[2] for r in logged)
            if self.proto.tls:
                # None: unknown (the log named no request)
                t["requests"] = len(logged) or None
            t["wall"] = sum(p[1] for p in parts)
            t["rss"] = max(p[2] for p in parts)
            t["anon"] = max(p[4] for p in parts)
            t["ok"] = all(p[0] == 0 for p in parts)
            t["out"] = parts[-1][3]
            runs.append(t)
        runs.sort(key=lambda r: r["wall"])
        med = dict(runs[len(runs) // 2])
        med["walls"] = [r["wall"] for r in runs]
        return med

    def preflight(self, proxy, refs):
        argv = [self.a.preflight, "check", "-o", "json", "--runtime", "any",
                "--timeout", str(COMMAND_TIMEOUT_S)]
        argv += self.proto.preflight_args()
        argv += ["%s/%s" % (proxy.addr, r) for r in refs]

        def steps():
            st, wall, rss, out, anon = run(argv, self.env)
            return [(0 if st in (0, 1) else st, wall, rss, out, anon)]
        m = self.measure(proxy, steps)
        doc = json.loads(m["out"] or b"{}")
        imgs = doc.get("images", [])
        m["verdicts"] = [i.get("verdict") for i in imgs]
        m["body_bytes"] = sum(i["stats"]["bytes_received"] for i in imgs
                              if i.get("stats"))
        m["tool_requests"] = sum(i["stats"]["requests"] for i in imgs
                                 if i.get("stats"))
        if m["requests"] is None:
            m["requests"] = m["tool_requests"]
        m["tool_http"] = versions_text(
            v for i in imgs if (i.get("stats") or {}).get("http_version")
            for v in i["stats"]["http_version"].split(","))
        return m

    def inspect(self, proxy, refs):
        def steps():
            return [run(["skopeo", "inspect", "--config"] +
                        self.proto.skopeo_args(False) +
                        ["docker://%s/%s" % (proxy.addr, r)], self.env)
                    for r in refs]
        return self.measure(proxy, steps)

    def pull_one(self, proxy, ref, parts):
        tmp = tempfile.mkdtemp(dir=self.a.workdir, prefix="pull.")
        try:
            d, out = os.path.join(tmp, "dir"), os.path.join(tmp, "root")
            os.mkdir(out)
            parts.append(run(["skopeo", "copy", "-q"] +
                             self.proto.skopeo_args(True) +
                             ["docker://%s/%s" % (proxy.addr, ref),
                              "dir:" + d], self.env))
            if parts[-1][0] != 0:
                return
            with open(os.path.join(d, "manifest.json")) as f:
                man = json.load(f)
            cfg_file = man["config"]["digest"].split(":", 1)[1]
            with open(os.path.join(d, cfg_file)) as f:
                cfg = json.load(f)["config"]
            path = ((cfg.get("Entrypoint") or []) +
                    (cfg.get("Cmd") or []))[0].lstrip("/")
            for layer in reversed(man["layers"]):
                blob = os.path.join(d, layer["digest"].split(":", 1)[1])
                res = run(["tar", "-xzf", blob, "-C", out, path], self.env)
                parts.append((0,) + res[1:])
                if res[0] == 0:
                    break
            prog = os.path.join(out, path)
            parts.append(run(["file", prog], self.env))
            parts.append(run(["readelf", "-h", "-l", prog], self.env))
        finally:
            shutil.rmtree(tmp)

    def pull(self, proxy, refs):
        def steps():
            parts = []
            for r in refs:
                self.pull_one(proxy, r, parts)
            return parts
        return self.measure(proxy, steps)


def row_cases(cases):
    """(name, refs, minimum, full pull) of each measured row."""
    rows = []
    for name in ("top", "bottom", "huge"):
        if name in cases:
            c = cases[name]
            rows.append((name, [c["reference"]], c["minimum"],
                         c["full_pull"]))
    if "kubeadm" in cases:
        imgs = cases["kubeadm"]["images"]
        for c in imgs:
            short = c["reference"].split("/")[-1].split(":")[0]
            rows.append(("k8s " + short, [c["reference"]], c["minimum"],
                         c["full_pull"]))
        rows.append(("kubeadm (7)", [c["reference"] for c in imgs],
                     sum(c["minimum"] for c in imgs),
                     sum(c["full_pull"] for c in imgs)))
    return rows


def human(n):
    if n >= 10 * MIB:
        return "%.1f MiB" % (n / MIB)
    if n >= 10 * 1024:
        return "%.1f KiB" % (n / 1024)
    return "%d B" % n


def table(results, delay, base, proto):
    """One markdown table: every case, the three ways, at one latency
    over one protocol."""
    lines = ["", "### %s, %g ms added per direction" % (proto.label(),
                                                        delay), "",
             "| case | way | HTTP | requests | conns | bytes received "
             "| x minimum | wall ms | round trips | peak RSS | peak anon |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: "
             "| ---: | ---: |"]
    for name, refs, minimum, full in results["rows"]:
        for way in ("preflight", "inspect", "pull"):
            m = results[delay].get((name, way))
            if not m:
                continue
            rt = ""
            if delay and base.get((name, way)):
                rt = "%.1f" % ((min(m["walls"]) -
                                min(base[(name, way)]["walls"])) /
                               (2 * delay / 1000.0))
            label = {"preflight": "image-preflight check",
                     "inspect": "skopeo inspect --config",
                     "pull": "skopeo copy + tar + readelf"}[way]
            if name == "kubeadm (7)" and way == "preflight":
                label += " (7 at once)"
            elif name == "kubeadm (7)":
                label += " (one by one)"
            ok = "" if m["ok"] else " (failed)"
            req = "-" if m["requests"] is None else "%d" % m["requests"]
            lines.append("| %s | %s%s | %s | %s | %d | %s | %.2f | %.0f | "
                         "%s | %.1f MiB | %.1f MiB |" % (
                             name, label, ok, m["http"] or "-", req,
                             m["connections"], human(m["rx"]),
                             m["rx"] / minimum, m["wall"] * 1000, rt,
                             m["rss"] / MIB, m["anon"] / MIB))
    return lines


def verdict(ok):
    return "PASS" if ok else "MISS"


def small_rss(rd):
    m = rd.get(("top", "preflight"))
    return "%.1f MiB" % (m["rss"] / MIB) if m else "not measured"


def targets(results, delays, proto):
    """The targets over one protocol, each PASS or MISS with the figures
    behind it."""
    out = ["", "#### %s" % proto.label(), ""]
    r0 = results[delays[0]]
    rd = results[delays[-1]]
    for name, refs, minimum, full in results["rows"]:
        m = r0.get((name, "preflight"))
        if not m:
            continue
        out.append("- bytes <= 1.1 x minimum, %s: %s (%s received, body "
                   "%s, minimum %s: %.2f x)" % (
                       name, verdict(m["rx"] <= 1.1 * minimum),
                       human(m["rx"]), human(m["body_bytes"]),
                       human(minimum), m["rx"] / minimum))
    if ("top", "preflight") in r0 and ("top", "pull") in r0:
        p, f = r0[("top", "preflight")], r0[("top", "pull")]
        out.append("- >= 20 x fewer bytes than a full pull, top: %s "
                   "(%s against %s: %.0f x)" % (
                       verdict(f["rx"] >= 20 * p["rx"]), human(p["rx"]),
                       human(f["rx"]), f["rx"] / p["rx"]))
    for name, refs, minimum, full in results["rows"]:
        if name in ("bottom", "huge", "kubeadm (7)"):
            continue
        p, i = rd.get((name, "preflight")), rd.get((name, "inspect"))
        if p and i:
            out.append("- wall at %g ms <= skopeo inspect --config, %s: %s "
                       "(%.0f ms against %.0f ms)" % (
                           delays[-1], name,
                           verdict(p["wall"] <= i["wall"]),
                           p["wall"] * 1000, i["wall"] * 1000))
    for d in delays:
        rk = results[d]
        if ("kubeadm (7)", "preflight") not in rk:
            continue
        singles = [rk[(n, "preflight")]["wall"] for n, *_ in
                   results["rows"] if n.startswith("k8s ")]
        both = rk[("kubeadm (7)", "preflight")]["wall"]
        out.append("- kubeadm set at once <= 1.5 x slowest single, %g ms: "
                   "%s (%.0f ms against %.0f ms: %.2f x)" % (
                       d, verdict(both <= 1.5 * max(singles)), both * 1000,
                       max(singles) * 1000, both / max(singles)))
    for d in delays:
        m = results[d].get(("huge", "preflight"))
        if m:
            out.append("- peak RSS < 10 MiB, 1 GiB layer, %g ms: %s "
                       "(%.1f MiB, of which anonymous memory at most "
                       "%.1f MiB; the same binary checking the 1 MiB top "
                       "layer: %s)" % (
                           d, verdict(m["rss"] < 10 * MIB), m["rss"] / MIB,
                           m["anon"] / MIB, small_rss(results[d])))
    return out


def measure_protocol(a, env, proto, rows, delays, load):
    """Every case, way and latency over one protocol."""
    bench = Bench(a, env, proto)
    results = {}
    for d in delays:
        proxy = NetProxy(proto.addr, d, a.workdir, proto.name)
        try:
            results[d] = {}
            for name, refs, minimum, full in rows:
                if a.only and name.split()[0] not in a.only.split(","):
                    continue
                for way in ("preflight", "inspect", "pull"):
                    if name.startswith("k8s ") and way == "pull":
                        continue
                    print("bench: %s, %g ms: %s: %s" % (
                        proto.name, d, name, way), file=sys.stderr,
                        flush=True)
                    results[d][(name, way)] = getattr(bench, way)(proxy,
                                                                  refs)
        finally:
            proxy.stop()
        load.append(os.getloadavg()[0])
    return results


def notes(results, delays, proto):
    """Runs that did not succeed, and image-preflight's own stats where
    they disagree with the registry's log; (lines, any failed)."""
    out, failed = [], False
    for d in delays:
        for k, m in results[d].items():
            where = "%s / %s, %s, %g ms" % (k[0], k[1], proto.label(), d)
            if not m["ok"] or (k[1] == "preflight" and
                               set(m["verdicts"]) != {"PASS"}):
                out.append("- note: %s did not succeed" % where)
                failed = True
            if k[1] != "preflight":
                continue
            if m["tool_http"] != m["http"]:
                out.append("- note: %s: stats.http_version says %s, the "
                           "registry's log %s" % (where, m["tool_http"] or
                                                  "none", m["http"] or "none"))
            if proto.tls and m["tool_requests"] != m["requests"]:
                out.append("- note: %s: stats.requests says %d, the "
                           "registry's log %d" % (where, m["tool_requests"],
                                                  m["requests"]))
    return out, failed


def protocols(a):
    """The protocols to measure, as given on the command line."""
    out = []
    if a.registry:
        out.append(Protocol("plain", a.registry, a.registry_log, None,
                            a.workdir))
    if a.tls_registry:
        if not (a.tls_registry_log and a.ca):
            sys.exit("bench: --tls-registry needs --tls-registry-log and "
                     "--ca")
        out.append(Protocol("tls", a.tls_registry, a.tls_registry_log, a.ca,
                            a.workdir))
    if a.registry and not a.registry_log:
        sys.exit("bench: --registry needs --registry-log")
    if not out:
        sys.exit("bench: no registry: give --registry or --tls-registry")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--registry", help="127.0.0.1:PORT, plain HTTP")
    ap.add_argument("--registry-log", help="its access log")
    ap.add_argument("--tls-registry", help="127.0.0.1:PORT, HTTPS, the "
                    "same images")
    ap.add_argument("--tls-registry-log", help="its access log")
    ap.add_argument("--ca", help="the TLS registry's CA (PEM)")
    ap.add_argument("--cases", required=True, help="images.py's JSON")
    ap.add_argument("--preflight", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--delays", default="0,20")
    ap.add_argument("--only", help="comma-separated case names")
    a = ap.parse_args()
    protos = protocols(a)
    with open(a.cases) as f:
        cases = json.load(f)
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy",
                                "no_proxy")}
    delays = [float(d) for d in a.delays.split(",")]
    rows = row_cases(cases)
    load = [os.getloadavg()[0]]
    results = {}
    for proto in protos:
        results[proto.name] = measure_protocol(a, env, proto, rows, delays,
                                               load)
        results[proto.name]["rows"] = rows
    lines = ["## image-preflight benchmark", "",
             "Load average (1 min) at start and after each protocol and "
             "latency: %s on %d CPUs; repeats: %d (median wall time)." % (
                 ", ".join("%.2f" % l for l in load), os.cpu_count(),
                 a.repeat)]
    for proto in protos:
        r = results[proto.name]
        for d in delays:
            lines += table(r, d, r[delays[0]] if d else {}, proto)
    lines += ["", "### Targets"]
    bad = False
    for proto in protos:
        lines += targets(results[proto.name], delays, proto)
        more, failed = notes(results[proto.name], delays, proto)
        lines += more
        bad = bad or failed
    text = "\n".join(lines) + "\n"
    with open(a.report, "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
