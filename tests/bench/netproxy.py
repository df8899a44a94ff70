#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that counts bytes and adds network latency.

The benchmark puts it between a client (image-preflight, skopeo) and the
registry. It forwards raw bytes, so it sees exactly what crosses the
network: HTTP headers and bodies, and a TLS ClientHello a client tries
first against a plain-HTTP registry. A TLS connection is relayed as it
is (the client's certificate check and ALPN are the registry's): its
bytes and the connection are counted, its requests cannot be seen.

Latency: with --delay-ms D every chunk, in either direction, is delivered
D ms after the proxy read it (order kept), and the first bytes of a new
connection wait one extra round trip (2 D), the cost of the TCP
handshake. At most --window bytes per direction are in flight, as a TCP
window would allow, so memory stays bounded and a long transfer is paced
as on a link with that bandwidth-delay product.

Events go to --log, one JSON object a line:
  {"ev": "open", "conn": N, "t": SECONDS}
  {"ev": "req", "conn": N, "t": SECONDS, "line": "GET /v2/... HTTP/1.1"}
  {"ev": "tls", "conn": N, "t": SECONDS}        (a TLS ClientHello)
  {"ev": "close", "conn": N, "t": SECONDS, "rx": BYTES_TO_CLIENT,
   "tx": BYTES_FROM_CLIENT}
SECONDS are time.monotonic(). The request line is parsed from the
client's bytes; clients of a pull send no request bodies.
"""

import argparse
import asyncio
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import serverlife  # noqa: E402

READ_CHUNK = 256 * 1024
# Bytes in flight per direction when delaying (a TCP window).
WINDOW_DEFAULT = 4 * 1024 * 1024
# A request head longer than this is not parsed further.
REQUEST_HEAD_MAX = 64 * 1024
METHODS = (b"GET ", b"HEAD ", b"POST ", b"PUT ", b"PATCH ", b"DELETE ")


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)

    def write(self, **ev):
        ev.setdefault("t", time.monotonic())
        self.f.write(json.dumps(ev) + "\n")


class RequestParser:
    """Find request lines in the client's byte stream (no bodies)."""

    def __init__(self, log, conn):
        self.log, self.conn = log, conn
        self.buf = b""
        self.first = True
        self.dead = False

    def feed(self, data):
        if self.dead:
            return
        if self.first:
            self.first = False
            if data[:1] == b"\x16":
                self.log.write(ev="tls", conn=self.conn)
                self.dead = True
                return
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > REQUEST_HEAD_MAX:
                    self.dead = True
                return
            head, self.buf = self.buf[:end], self.buf[end + 4:]
            line = head.split(b"\r\n", 1)[0]
            if line.startswith(METHODS):
                self.log.write(ev="req", conn=self.conn,
                               line=line.decode("latin-1"))


class Pipe:
    """One direction of a connection, delayed and counted."""

    def __init__(self, reader, writer, delay, window, start_at):
        self.reader, self.writer = reader, writer
        self.delay, self.window = delay, window
        self.start_at = start_at
        self.queue = asyncio.Queue()
        self.in_flight = 0
        self.room = asyncio.Event()
        self.room.set()
        self.sent = 0
        self.on_data = None
        self.on_fail = None
        self.aborted = False

    def abort(self):
        self.aborted = True
        self.room.set()

    async def read_loop(self):
        try:
            while True:
                await self.room.wait()
                if self.aborted:
                    break
                data = await self.reader.read(READ_CHUNK)
                if not data or self.aborted:
                    break
                if self.on_data:
                    self.on_data(data)
                due = max(time.monotonic() + self.delay, self.start_at)
                self.in_flight += len(data)
                if self.in_flight >= self.window:
                    self.room.clear()
                await self.queue.put((due, data))
        except (ConnectionError, OSError):
            pass
        await self.queue.put((0, None))

    async def write_loop(self):
        try:
            while True:
                due, data = await self.queue.get()
                if data is None:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if self.writer.is_closing():
                    raise ConnectionResetError("peer gone")
                self.writer.write(data)
                await self.writer.drain()
                self.sent += len(data)
                self.in_flight -= len(data)
                if self.in_flight < self.window:
                    self.room.set()
            if self.writer.can_write_eof():
                self.writer.write_eof()
        except (ConnectionError, OSError, RuntimeError):
            if self.on_fail:
                self.on_fail()


class Proxy:
    def __init__(self, upstream, delay, window, log):
        self.upstream = upstream
        self.delay, self.window = delay, window
        self.log = log
        self.conns = 0
        self.tasks = set()

    async def handle(self, creader, cwriter):
        # asyncio keeps only weak references to tasks: hold this one, or
        # a connection waiting on its own events can be collected
        task = asyncio.current_task()
        self.tasks.add(task)
        self.conns += 1
        conn = self.conns
        opened = time.monotonic()
        self.log.write(ev="open", conn=conn, t=opened)
        counts = {"rx": 0, "tx": 0}
        try:
            await self.relay(creader, cwriter, opened, conn, counts)
        finally:
            self.tasks.discard(task)
            self.log.write(ev="close", conn=conn, **counts)

    async def relay(self, creader, cwriter, opened, conn, counts):
        try:
            ureader, uwriter = await asyncio.open_connection(
                *self.upstream)
        except OSError:
            cwriter.close()
            return
        up = Pipe(creader, uwriter, self.delay, self.window,
                  opened + 3 * self.delay)
        down = Pipe(ureader, cwriter, self.delay, self.window, 0)
        up.on_data = RequestParser(self.log, conn).feed

        def fail():
            # one side is gone: end both, as a kernel would reset them
            for pipe in (up, down):
                pipe.abort()
            for w in (uwriter, cwriter):
                w.close()
        up.on_fail = down.on_fail = fail
        try:
            await asyncio.gather(up.read_loop(), up.write_loop(),
                                 down.read_loop(), down.write_loop())
        finally:
            for w in (uwriter, cwriter):
                w.close()
            counts["rx"], counts["tx"] = down.sent, up.sent


async def serve(args):
    host, _, port = args.upstream.rpartition(":")
    if host not in ("127.0.0.1", "localhost"):
        sys.exit("netproxy: the upstream must be on 127.0.0.1")
    proxy = Proxy((host, int(port)), args.delay_ms / 1000.0, args.window,
                  Log(args.log))
    srv = await asyncio.start_server(proxy.handle, "127.0.0.1", 0,
                                     limit=READ_CHUNK)
    # stopped by its PID: leave at once, open connections and all
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM,
                                                  os._exit, 0)
    serverlife.watch_owner(args.owner_pid)
    serverlife.publish_ports(args.port_file,
                             [srv.sockets[0].getsockname()[1]])
    async with srv:
        await srv.serve_forever()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--upstream", required=True, help="127.0.0.1:PORT")
    p.add_argument("--delay-ms", type=float, default=0,
                   help="one-way latency added per direction")
    p.add_argument("--window", type=int, default=WINDOW_DEFAULT,
                   help="bytes in flight per direction when delaying")
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--owner-pid", type=int, default=0)
    asyncio.run(serve(p.parse_args()))


if __name__ == "__main__":
    main()
