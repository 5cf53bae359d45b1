#!/usr/bin/env python3
"""bench/streams.py: hold N live event streams open against a running server, commit E events
from W concurrent writers, and check that every stream got every event once, in commit order.

Called by bench/streams.sh (which starts PostgreSQL and the server); standard library only.
Prints one table of figures; exits 1 when a stream missed, repeated or reordered an event.
"""
import argparse
import asyncio
import json
import subprocess
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Stream:
    def __init__(self):
        self.events = []  # (seq, subject_id)
        self.last_at = 0.0
        self.reader = None
        self.writer = None


async def open_stream(host, port, path, token):
    s = Stream()
    s.reader, s.writer = await asyncio.open_connection(host, port)
    s.writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Accept: text/event-stream\r\n\r\n".encode()
    )
    await s.writer.drain()
    status = await s.reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"stream refused: {status!r}")
    while (await s.reader.readline()) not in (b"\r\n", b""):
        pass
    return s


async def consume(s, expected):
    """Reads chunked SSE frames until `expected` events arrived or the connection ends."""
    buf = b""
    while len(s.events) < expected:
        chunk = await s.reader.read(65536)
        if not chunk:
            return
        buf += chunk
        # Chunked transfer: the frame text is inside; parse data lines wherever they are.
        while b"\n\n" in buf:
            frame, buf = buf.split(b"\n\n", 1)
            for line in frame.split(b"\n"):
                line = line.strip(b"\r")
                if line.startswith(b"data: "):
                    e = json.loads(line[6:])
                    s.events.append((e["seq"], e["subject_id"]))
                    s.last_at = time.monotonic()


def write_events(db_url, merchant, per_writer, writers):
    """`writers` psql processes, each committing `per_writer` one-row transactions."""
    sql = (
        "INSERT INTO live_events (id, merchant_id, kind, subject_id, action, to_status) "
        f"VALUES (gen_random_uuid(), '{merchant}', 'order', gen_random_uuid(), 'place', 'placed');\n"
    ) * per_writer
    procs = [
        subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", db_url],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        for _ in range(writers)
    ]
    for p in procs:
        p.stdin.write(sql.encode())
        p.stdin.close()
    return procs


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--merchant", required=True)
    ap.add_argument("--db-url", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--streams", type=int, default=500)
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--writers", type=int, default=4)
    a = ap.parse_args()
    path = f"/api/v1/merchants/{a.merchant}/events"
    per_writer = a.events // a.writers
    total = per_writer * a.writers

    before = rss_kib(a.pid)
    t0 = time.monotonic()
    streams = []
    for i in range(0, a.streams, 50):
        streams += await asyncio.gather(
            *[open_stream(a.host, a.port, path, a.token) for _ in range(min(50, a.streams - i))])
    opened = time.monotonic() - t0
    await asyncio.sleep(1.0)
    held = rss_kib(a.pid)

    tasks = [asyncio.create_task(consume(s, total)) for s in streams]
    t1 = time.monotonic()
    procs = write_events(a.db_url, a.merchant, per_writer, a.writers)
    while any(p.poll() is None for p in procs):
        await asyncio.sleep(0.05)
    committed = time.monotonic() - t1
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
    except asyncio.TimeoutError:
        pass
    delivered_by = max((s.last_at for s in streams), default=t1) - t1
    after = rss_kib(a.pid)

    bad = 0
    reference = None
    for s in streams:
        seqs = [e[0] for e in s.events]
        ordered = all(x < y for x, y in zip(seqs, seqs[1:]))
        once = len(set(seqs)) == len(seqs)
        if len(seqs) != total or not ordered or not once:
            bad += 1
        if reference is None:
            reference = s.events
        elif s.events != reference:
            bad += 1
    for s in streams:
        s.writer.close()

    rows = [
        ("streams held", a.streams),
        ("time to open them (s)", f"{opened:.2f}"),
        ("events committed (writers)", f"{total} ({a.writers})"),
        ("commit time of all events (s)", f"{committed:.2f}"),
        ("all delivered to all streams after (s)", f"{delivered_by:.2f}"),
        ("events delivered", sum(len(s.events) for s in streams)),
        ("streams with a missing, repeated or reordered event", bad),
        ("server RSS before streams (MiB)", f"{before / 1024:.1f}"),
        ("server RSS with streams open (MiB)", f"{held / 1024:.1f}"),
        ("server RSS after the events (MiB)", f"{after / 1024:.1f}"),
        ("memory per open stream (KiB)", f"{(held - before) / a.streams:.1f}"),
        ("memory per stream after the events (KiB)", f"{(after - before) / a.streams:.1f}"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
