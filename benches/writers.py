#!/usr/bin/env python3
"""Register new Avro schemas from WRITERS concurrent connections until a stop file appears.

Used by benches/read_under_writes.sh. Stdlib only. Writer t owns subject `w<t>-<tag>` at
BACKWARD compatibility; version k is a record of FIELDS defaulted int fields plus one string
field `v<k>` with a default, so each new version is compatible with the previous one and
every registration parses a schema of a few KB and runs a real compatibility check.

Prints one line "WRITERS_RESULT registered=N errors=E elapsed_s=S rate=R" at the end.
"""

import argparse
import http.client
import json
import os
import threading
import time
from urllib.parse import urlsplit

CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def schema(k, fields):
    fs = [{"name": f"a{j}", "type": "int", "default": 0, "doc": f"field {j}"} for j in range(fields)]
    fs.append({"name": f"v{k}", "type": "string", "default": ""})
    return json.dumps({"type": "record", "name": "W", "namespace": "bench.writers", "fields": fs})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--writers", type=int, default=16)
    p.add_argument("--fields", type=int, default=150)
    p.add_argument("--stop-file", required=True)
    p.add_argument("--ready-file", required=True)
    p.add_argument("--tag", default=str(os.getpid()))
    a = p.parse_args()
    u = urlsplit(a.url)
    counts = [0] * a.writers
    errors = [0] * a.writers
    started = threading.Barrier(a.writers + 1)

    def work(t):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        subject = f"w{t}-{a.tag}"
        conn.request("PUT", f"/config/{subject}", body=json.dumps({"compatibility": "BACKWARD"}), headers=CT)
        conn.getresponse().read()
        started.wait()
        k = 0
        while not os.path.exists(a.stop_file):
            body = json.dumps({"schema": schema(k, a.fields)})
            conn.request("POST", f"/subjects/{subject}/versions", body=body, headers=CT)
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                counts[t] += 1
            else:
                errors[t] += 1
            k += 1

    threads = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(a.writers)]
    for th in threads:
        th.start()
    started.wait()
    t0 = time.monotonic()
    open(a.ready_file, "w").close()
    for th in threads:
        th.join()
    el = time.monotonic() - t0
    n = sum(counts)
    print(f"WRITERS_RESULT registered={n} errors={sum(errors)} elapsed_s={el:.2f} rate={n / el:.1f}", flush=True)


if __name__ == "__main__":
    main()
