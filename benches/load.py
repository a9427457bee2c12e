#!/usr/bin/env python3
"""Load the registry with SCHEMAS distinct Avro schemas over SUBJECTS subjects.

Stdlib only (http.client keep-alive connections + threads).

Schema i (0-based) is the record R<i> with a single int field f<i>; it is
registered under subject <prefix><i % subjects> as version i // subjects + 1.
Each worker owns a set of subjects and registers their versions in order.
The global compatibility is set to NONE first (every version has a different
record name, which BACKWARD would refuse).

Prints progress and, last, one line "LOAD_RESULT key=value ..." with the
elapsed time and the range of ids the registry assigned.
"""

import argparse
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit

CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def schema_body(i):
    # Must be byte-identical to schema_body() in benches/endpoints.lua.
    schema = {"type": "record", "name": f"R{i}", "fields": [{"name": f"f{i}", "type": "int"}]}
    return json.dumps({"schema": json.dumps(schema, separators=(",", ":"))}, separators=(",", ":"))


class Client:
    def __init__(self, url):
        u = urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.conn = None

    def request(self, method, path, body=None):
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                self.conn.request(method, path, body=body, headers=CT if body is not None else {})
                resp = self.conn.getresponse()
                data = resp.read()
                return resp.status, data
            except (http.client.HTTPException, OSError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--schemas", type=int, default=10000)
    ap.add_argument("--subjects", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--prefix", default="bench-")
    args = ap.parse_args()
    if args.schemas < args.subjects:
        sys.exit("need at least one schema per subject")

    c = Client(args.url)
    st, data = c.request("PUT", "/config", json.dumps({"compatibility": "NONE"}))
    if st != 200:
        sys.exit(f"PUT /config failed: {st} {data!r}")
    print(f"global compatibility: {data.decode()}")

    ids = [None] * args.schemas
    errors = []
    done_count = [0]
    lock = threading.Lock()

    def worker(w):
        cl = Client(args.url)
        try:
            for subj in range(w, args.subjects, args.threads):
                path = f"/subjects/{args.prefix}{subj}/versions"
                for i in range(subj, args.schemas, args.subjects):
                    st, data = cl.request("POST", path, schema_body(i))
                    if st != 200:
                        raise RuntimeError(f"POST {path} (schema {i}) -> {st} {data[:200]!r}")
                    ids[i] = json.loads(data)["id"]
                    with lock:
                        done_count[0] += 1
        except Exception as e:  # noqa: BLE001
            with lock:
                errors.append(f"worker {w}: {e}")

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(args.threads)]
    for t in threads:
        t.start()
    last = t0
    while any(t.is_alive() for t in threads):
        time.sleep(0.2)
        now = time.monotonic()
        if now - last >= 5:
            last = now
            n = done_count[0]
            print(f"  {n}/{args.schemas} schemas after {now - t0:.1f}s ({n / (now - t0):.0f}/s)", flush=True)
        if errors:
            break
    for t in threads:
        t.join(timeout=1)
    elapsed = time.monotonic() - t0
    if errors:
        for e in errors:
            print(e, file=sys.stderr)
        sys.exit(1)

    got = sorted(set(ids))
    if len(got) != args.schemas:
        sys.exit(f"expected {args.schemas} distinct ids, got {len(got)}")
    contiguous = got[-1] - got[0] + 1 == len(got)
    if not contiguous:
        sys.exit(f"ids are not contiguous: {got[0]}..{got[-1]} for {len(got)} schemas")

    # Spot checks: a version and an id read back.
    st, data = c.request("GET", f"/subjects/{args.prefix}0/versions")
    want = list(range(1, len(range(0, args.schemas, args.subjects)) + 1))
    if st != 200 or json.loads(data) != want:
        sys.exit(f"GET /subjects/{args.prefix}0/versions -> {st} {data[:200]!r}, want {want}")
    st, data = c.request("GET", f"/schemas/ids/{ids[0]}")
    if st != 200 or json.loads(json.loads(data)["schema"])["name"] != "R0":
        sys.exit(f"GET /schemas/ids/{ids[0]} -> {st} {data[:200]!r}")

    print(f"loaded {args.schemas} schemas over {args.subjects} subjects with {args.threads} connections "
          f"in {elapsed:.2f}s ({args.schemas / elapsed:.0f} schemas/s)")
    print(f"LOAD_RESULT schemas={args.schemas} subjects={args.subjects} elapsed_s={elapsed:.3f} "
          f"rate={args.schemas / elapsed:.1f} min_id={got[0]} max_id={got[-1]}")


if __name__ == "__main__":
    main()
