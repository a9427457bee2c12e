#!/usr/bin/env python3
"""Fault campaign (driven by scripts/fault-campaign.sh; not part of `cargo test`).

Three registry nodes on one topic of a tansu broker, concurrent writers and readers, and
for DURATION seconds a rotation of faults: kill -9 of the leader (restarted on the same
port and cache), a kill -9 + restart of the broker (same data directory), and a full disk
under the nodes' data directories (a small tmpfs filled to the last byte, then freed).
Afterwards it checks that every acknowledged (subject, id, schema) is served with that ID
by every node, that no ID is bound to two schemas, and that all nodes list exactly the same
subjects, versions, IDs and schemas. Prints the figures; exits 1 on any violation.

Only the standard library and `requests`. All traffic goes to 127.0.0.1.
"""

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

import requests

CT = "application/vnd.schemaregistry.v1+json"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, limit):
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Broker:
    def __init__(self, binary, workdir):
        self.binary = binary
        self.dir = os.path.join(workdir, "broker")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.proc = None

    def start(self):
        url = f"tcp://127.0.0.1:{self.port}"
        out = open(os.path.join(self.dir, "broker.log"), "ab")
        self.proc = subprocess.Popen(
            [self.binary, "broker", "--cluster-id", "campaign", "--listener-url", url,
             "--advertised-listener-url", url, "--storage-engine", "sqlite://broker.db"],
            cwd=self.dir, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        if not wait_port(self.port, 30):
            raise RuntimeError("the broker did not accept connections within 30 s")

    def kill9(self):
        if self.proc:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.proc = None


class Node:
    def __init__(self, n, binary, workdir, datadir, broker):
        self.n = n
        self.binary = binary
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data = os.path.join(datadir, f"node{n}")
        self.logfile = os.path.join(workdir, f"node{n}.log")
        os.makedirs(self.data, exist_ok=True)
        self.broker = broker
        self.proc = None
        self.alive = False

    def start(self):
        out = open(self.logfile, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--listen", f"127.0.0.1:{self.port}", "--advertised-url", self.url,
             "--store", f"kafka://127.0.0.1:{self.broker.port}/_schemas",
             "--kafka-property", "broker.address.family=v4",
             "--kafka-cache", os.path.join(self.data, "cache.db"),
             "--kafka-replication-factor", "1"],
            cwd=self.data, stdin=subprocess.DEVNULL, stdout=out, stderr=out)

    def wait_ready(self, limit):
        deadline = time.time() + limit
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if requests.get(self.url + "/v1/metadata/leader", timeout=1).status_code == 200:
                    self.alive = True
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.1)
        return False

    def kill9(self):
        self.alive = False
        if self.proc:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.proc = None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.acked = []  # (subject, id, schema text, node)
        self.write_failures = {}
        self.reads = 0
        self.read_failures = 0
        self.read_mismatches = []
        self.faults = {}
        self.fault_notes = []

    def fail(self, what):
        with self.lock:
            self.write_failures[what] = self.write_failures.get(what, 0) + 1


def writer(w, nodes, stats, stop):
    k = 0
    session = requests.Session()
    while not stop.is_set():
        k += 1
        live = [n for n in nodes if n.alive]
        if not live:
            time.sleep(0.05)
            continue
        node = random.choice(live)
        subject = f"camp-{random.randrange(40)}"
        schema = json.dumps({"type": "record", "name": "C", "fields": [
            {"name": f"w{w}_{k}", "type": "string", "default": ""}]}, separators=(",", ":"))
        try:
            r = session.post(f"{node.url}/subjects/{subject}/versions",
                             data=json.dumps({"schema": schema}),
                             headers={"Content-Type": CT}, timeout=15)
        except requests.RequestException as e:
            stats.fail(type(e).__name__)
            time.sleep(0.05)
            continue
        if r.status_code == 200:
            try:
                ident = r.json()["id"]
            except (ValueError, KeyError):
                stats.fail("200 without an id")
                continue
            with stats.lock:
                stats.acked.append((subject, ident, schema, node.n))
        else:
            try:
                code = r.json().get("error_code")
            except ValueError:
                code = None
            stats.fail(f"{r.status_code}/{code}")
            time.sleep(0.02)


def reader(nodes, stats, stop):
    session = requests.Session()
    while not stop.is_set():
        with stats.lock:
            sample = random.choice(stats.acked) if stats.acked else None
        live = [n for n in nodes if n.alive]
        if sample is None or not live:
            time.sleep(0.05)
            continue
        subject, ident, schema, _ = sample
        node = random.choice(live)
        try:
            r = session.get(f"{node.url}/schemas/ids/{ident}", timeout=5)
        except requests.RequestException:
            with stats.lock:
                stats.read_failures += 1
            continue
        with stats.lock:
            stats.reads += 1
            if r.status_code == 200:
                if json.loads(r.json()["schema"]) != json.loads(schema):
                    stats.read_mismatches.append((node.n, ident, subject))
            else:
                # A node restarted a moment ago or behind the log: not a loss by itself
                # (the final check decides), but counted.
                stats.read_failures += 1


def leader_of(nodes):
    for n in nodes:
        if not n.alive:
            continue
        try:
            v = requests.get(n.url + "/v1/metadata/leader", timeout=2).json()
        except (requests.RequestException, ValueError):
            continue
        for m in nodes:
            if m.url == v.get("leader") and m.alive:
                return m
    return None


def fill(path):
    """Fills the filesystem holding `path` to the last byte; returns the filler's path."""
    filler = os.path.join(path, "filler")
    block = b"\0" * (1 << 20)
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(block)
        except OSError:
            pass
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


def fault_kill_leader(nodes, stats, args):
    leader = leader_of(nodes)
    if leader is None:
        stats.fault_notes.append("kill9-leader: no agreed leader at that moment, skipped")
        return
    leader.kill9()
    t0 = time.time()
    time.sleep(args.down)
    leader.start()
    if not leader.wait_ready(90):
        raise RuntimeError(f"node{leader.n} did not come back after kill -9 (see {leader.logfile})")
    log(f"kill -9 of the leader node{leader.n}; back after {time.time() - t0:.1f} s")


def fault_restart_broker(broker, nodes, stats, args):
    broker.kill9()
    time.sleep(args.down)
    broker.start()
    log("broker killed (-9) and restarted")


def fault_disk_full(nodes, stats, args):
    filler = fill(args.disk)
    log(f"disk full under the nodes' data ({args.disk}) for {args.full_for} s")
    time.sleep(args.full_for)
    os.remove(filler)
    log("disk freed")


def dump(node):
    s = requests.Session()
    out = {}
    subjects = s.get(node.url + "/subjects", timeout=10).json()
    for subject in subjects:
        versions = s.get(f"{node.url}/subjects/{subject}/versions", timeout=10).json()
        for v in versions:
            body = s.get(f"{node.url}/subjects/{subject}/versions/{v}", timeout=10).json()
            out[(subject, v)] = (body["id"], body["schema"])
    return out


def main():
    # SIGTERM ends the run like Ctrl-C: the `finally` below kills what was started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
    p = argparse.ArgumentParser()
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--sr-bin", required=True)
    p.add_argument("--tansu-bin", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--disk", default="", help="tmpfs for the nodes' data ('' = no disk fault)")
    p.add_argument("--writers", type=int, default=4)
    p.add_argument("--readers", type=int, default=2)
    p.add_argument("--fault-every", type=float, default=10.0)
    p.add_argument("--down", type=float, default=2.0, help="how long a killed process stays down")
    p.add_argument("--full-for", type=float, default=6.0)
    args = p.parse_args()

    datadir = args.disk or os.path.join(args.workdir, "data")
    broker = Broker(args.tansu_bin, args.workdir)
    broker.start()
    nodes = [Node(i, args.sr_bin, args.workdir, datadir, broker) for i in range(3)]
    stats = Stats()
    stop = threading.Event()
    threads = []
    rc = 0
    try:
        for n in nodes:
            n.start()
        for n in nodes:
            if not n.wait_ready(90):
                raise RuntimeError(f"node{n.n} did not start (see {n.logfile})")
        log(f"3 nodes up ({', '.join(n.url for n in nodes)}), broker on {broker.port}")
        for w in range(args.writers):
            threads.append(threading.Thread(target=writer, args=(w, nodes, stats, stop), daemon=True))
        for _ in range(args.readers):
            threads.append(threading.Thread(target=reader, args=(nodes, stats, stop), daemon=True))
        for t in threads:
            t.start()
        kinds = ["kill9-leader", "broker-restart"] + (["disk-full"] if args.disk else [])
        end = time.time() + args.duration
        i = 0
        while time.time() + args.fault_every < end:
            time.sleep(args.fault_every)
            for n in nodes:
                if n.proc is not None and n.proc.poll() is not None:
                    n.alive = False
                    note = f"node{n.n} exited by itself (status {n.proc.returncode}); restarted"
                    stats.fault_notes.append(note)
                    log(note + f"; see {n.logfile}")
                    n.start()
                    if not n.wait_ready(90):
                        raise RuntimeError(f"node{n.n} did not come back (see {n.logfile})")
            kind = kinds[i % len(kinds)]
            i += 1
            if kind == "kill9-leader":
                fault_kill_leader(nodes, stats, args)
            elif kind == "broker-restart":
                fault_restart_broker(broker, nodes, stats, args)
            else:
                fault_disk_full(nodes, stats, args)
            stats.faults[kind] = stats.faults.get(kind, 0) + 1
        time.sleep(max(0.0, end - time.time()))
        stop.set()
        for t in threads:
            t.join(30)
        log("load stopped; checking")

        # Every node must converge on the same view (bounded).
        deadline = time.time() + 90
        while True:
            views = []
            try:
                views = [dump(n) for n in nodes]
            except (requests.RequestException, ValueError, KeyError):
                pass
            if len(views) == 3 and views[0] == views[1] == views[2]:
                break
            if time.time() > deadline:
                break
            time.sleep(1)
        identical = len(views) == 3 and views[0] == views[1] == views[2]
        violations = []
        if not identical:
            if len(views) < 3:
                violations.append("could not list every node")
            else:
                for a in range(3):
                    for b in range(a + 1, 3):
                        only_a = set(views[a].items()) - set(views[b].items())
                        only_b = set(views[b].items()) - set(views[a].items())
                        if only_a or only_b:
                            violations.append(
                                f"node{a} and node{b} differ: {len(only_a)} entries only on "
                                f"node{a} (e.g. {sorted(only_a)[:2]}), {len(only_b)} only on "
                                f"node{b} (e.g. {sorted(only_b)[:2]})")
        # No ID bound to two schemas (in any node's view).
        conflicts = 0
        for v in views:
            by_id = {}
            for (subject, version), (ident, schema) in v.items():
                canon = json.loads(schema)
                if ident in by_id and by_id[ident] != canon:
                    conflicts += 1
                    violations.append(f"ID {ident} bound to two schemas ({subject} v{version})")
                by_id[ident] = canon
        # Every acknowledged write, on every node, with its ID.
        losses = 0
        for n, v in zip(nodes, views):
            have = {}
            for (subject, version), (ident, schema) in v.items():
                have.setdefault((subject, ident), []).append((version, json.loads(schema)))
            for subject, ident, schema, via in stats.acked:
                found = have.get((subject, ident), [])
                if not any(s == json.loads(schema) for _, s in found):
                    losses += 1
                    if losses <= 10:
                        violations.append(
                            f"acknowledged {subject} id {ident} (via node{via}) missing on node{n.n}")
        # Readers must never have seen another schema under an acknowledged ID.
        for node_n, ident, subject in stats.read_mismatches[:10]:
            violations.append(f"node{node_n} served another schema for acknowledged ID {ident}")

        total_versions = len(views[0]) if views else 0
        print()
        print("=== fault campaign figures ===")
        print(f"duration:                {args.duration:.0f} s")
        print(f"writes acknowledged:     {len(stats.acked)}")
        print(f"writes failed:           {sum(stats.write_failures.values())} "
              f"{dict(sorted(stats.write_failures.items()))}")
        print(f"reads:                   {stats.reads} (failed or not yet there: {stats.read_failures}, "
              f"wrong schema: {len(stats.read_mismatches)})")
        print(f"faults injected:         {sum(stats.faults.values())} {dict(sorted(stats.faults.items()))}")
        if not args.disk:
            print("disk-full fault:         SKIPPED (no tmpfs could be mounted)")
        for note in stats.fault_notes:
            print(f"note:                    {note}")
        print(f"versions on each node:   {total_versions}")
        print(f"nodes identical:         {'yes' if identical else 'NO'}")
        print(f"IDs bound to two schemas: {conflicts}")
        print(f"losses:                  {losses}")
        for v in violations:
            print(f"VIOLATION: {v}")
        rc = 1 if violations or losses or conflicts or not identical else 0
    except Exception as e:  # noqa: BLE001 - report and stop everything
        print(f"campaign aborted: {e}", file=sys.stderr)
        rc = 2
    finally:
        stop.set()
        for n in nodes:
            n.kill9()
        broker.kill9()
    sys.exit(rc)


if __name__ == "__main__":
    main()
