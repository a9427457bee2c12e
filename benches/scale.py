#!/usr/bin/env python3
"""Memory and start-up at scale on the embedded store (issue 17, points 4 and 5). Stdlib only.

    python3 benches/scale.py --schemas 1000000            # write the log directly, then start
    python3 benches/scale.py --schemas 100000 --http      # register them over HTTP first

Steps:
 1. Start the registry on a fresh SQLite file (it creates and marks the file), note its
    resident memory empty, stop it.
 2. Fill the log: with --http, register SCHEMAS schemas through the REST API from 16
    connections (compatibility NONE) and note the memory after the load; else append
    SCHEMAS records in Confluent's `_schemas` form straight into the file's `records`
    table (what a registry with that many schemas holds), which is much faster.
 3. Start the registry on that file and time it until it prints its "listening on" line
    (it listens only once the whole log is applied): wall time, its own CPU time, its
    resident memory; read a few schemas back to check the replay.
 4. Report the file size, and memory per schema beyond its text, (RSS - RSS empty) / N -
    the mean length of the schema texts.

Schema i is record R<i> with one int field f<i> under subject scale-<i % SUBJECTS>.
Prints one line "SCALE_RESULT key=value ..." at the end.
"""

import argparse
import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def schema_text(i):
    return json.dumps(
        {"type": "record", "name": f"R{i}", "fields": [{"name": f"f{i}", "type": "int"}]},
        separators=(",", ":"),
    )


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, binary, db):
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--store", f"sqlite://{db}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "SR_LOG": "warn"},
        )
        self.url = None
        for line in self.proc.stdout:
            if "listening on " in line:
                self.url = line.split("listening on ", 1)[1].strip()
                break
        if self.url is None:
            raise SystemExit(f"the registry exited ({self.proc.wait()}) before listening")
        self.ready_s = time.monotonic() - self.t0
        self.cpu_s = cpu_seconds(self.proc.pid)

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=30) as r:
            return json.load(r)

    def rss_kib(self):
        return rss_kib(self.proc.pid)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def fill_file(db, n, subjects):
    con = sqlite3.connect(db)
    (first,) = con.execute("SELECT next_offset FROM log_meta WHERE id = 1").fetchone()
    now = int(time.time() * 1000)

    def rows():
        for i in range(n):
            subject = f"scale-{i % subjects}"
            version = i // subjects + 1
            key = json.dumps(
                {"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1},
                separators=(",", ":"),
            )
            value = json.dumps(
                {"subject": subject, "version": version, "id": i + 1, "schema": schema_text(i), "deleted": False},
                separators=(",", ":"),
            )
            yield (first + i, key.encode(), value.encode(), None, now)

    con.executemany('INSERT INTO records ("offset", key, value, epoch, ts) VALUES (?, ?, ?, ?, ?)', rows())
    con.execute("UPDATE log_meta SET next_offset = ? WHERE id = 1", (first + n,))
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def register_all(url, n, subjects, threads=16):
    host = url.split("//", 1)[1]
    ct = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
    c = http.client.HTTPConnection(host, timeout=30)
    c.request("PUT", "/config", json.dumps({"compatibility": "NONE"}), ct)
    c.getresponse().read()
    errors = []
    ids = {}

    def work(t):
        conn = http.client.HTTPConnection(host, timeout=60)
        for i in range(t, n, threads):
            body = json.dumps({"schema": schema_text(i)})
            conn.request("POST", f"/subjects/scale-{i % subjects}/versions", body, ct)
            r = conn.getresponse()
            answer = r.read()
            if r.status != 200:
                errors.append(r.status)
            else:
                ids[i] = json.loads(answer)["id"]

    ts = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise SystemExit(f"{len(errors)} registrations failed: {errors[:5]}")
    return time.monotonic() - t0, ids


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=os.path.join(ROOT, "target/release/schema-registry"))
    p.add_argument("--schemas", type=int, default=100000)
    p.add_argument("--subjects", type=int, default=1000)
    p.add_argument("--http", action="store_true", help="register over the REST API")
    p.add_argument("--keep", help="keep the store file at this path")
    a = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="sr-scale.")
    db = os.path.join(tmp, "registry.db")
    try:
        s = Server(a.bin, db)
        empty = s.rss_kib()
        loaded = None
        load_s = None
        # Schema i's ID: i + 1 when written to the file; as answered over HTTP (in the
        # order the registrations arrived).
        ids = {i: i + 1 for i in (0, a.schemas // 2, a.schemas - 1)}
        if a.http:
            load_s, ids = register_all(s.url, a.schemas, a.subjects)
            loaded = s.rss_kib()
        s.stop()
        if not a.http:
            t0 = time.monotonic()
            fill_file(db, a.schemas, a.subjects)
            load_s = time.monotonic() - t0
        # The fill's dirty pages reach the disk first: the start is not timed against
        # their write-back.
        os.sync()
        s = Server(a.bin, db)
        restarted = s.rss_kib()
        for i in (0, a.schemas // 2, a.schemas - 1):
            got = s.get(f"/schemas/ids/{ids[i]}")
            if got.get("schema") != schema_text(i):
                raise SystemExit(f"schema {ids[i]} read back wrong: {got}")
        s.stop()
        size = sum(os.path.getsize(os.path.join(tmp, f)) for f in os.listdir(tmp))
        text = sum(len(schema_text(i)) for i in range(0, a.schemas, max(1, a.schemas // 1000)))
        text_mean = text / len(range(0, a.schemas, max(1, a.schemas // 1000)))
        per = lambda kib: (kib - empty) * 1024 / a.schemas - text_mean  # noqa: E731
        print(f"schemas:                  {a.schemas} over {a.subjects} subjects (text {text_mean:.0f} B each)")
        print(f"fill:                     {'HTTP, 16 connections' if a.http else 'records written to the file'} in {load_s:.1f} s"
              + (f" ({a.schemas / load_s:.0f}/s)" if a.http else ""))
        print(f"RSS empty:                {empty / 1024:.1f} MiB")
        if loaded is not None:
            print(f"RSS after the load:       {loaded / 1024:.1f} MiB ({per(loaded):.0f} B per schema beyond its text)")
        print(f"start-up with the log:    {s.ready_s:.2f} s wall, {s.cpu_s:.2f} s CPU (to 'listening on')")
        print(f"RSS after a restart:      {restarted / 1024:.1f} MiB ({per(restarted):.0f} B per schema beyond its text)")
        print(f"store file (with -wal):   {size / 1048576:.1f} MiB ({size / a.schemas:.0f} B per schema)")
        print(
            f"SCALE_RESULT schemas={a.schemas} startup_s={s.ready_s:.3f} startup_cpu_s={s.cpu_s:.2f} "
            f"rss_empty_kib={empty} rss_loaded_kib={loaded or 0} rss_restart_kib={restarted} "
            f"per_schema_restart_b={per(restarted):.0f} file_bytes={size}"
        )
        if a.keep:
            shutil.copy(db, a.keep)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
