#!/usr/bin/env python3
"""Client-side field-level encryption (CSFLE) by Confluent's real Python client, unchanged.

confluent-kafka's FieldEncryptionExecutor (rule type ENCRYPT) with its local KMS driver
(LocalKmsDriver, key URLs ``local-kms://<key id>``; the KEK's key material is derived from a
secret given in the rule config ``secret`` or the env var ``LOCAL_SECRET``) encrypts the
fields tagged PII and keeps its keys in the registry's DEK registry API:

  GET  /dek-registry/v1/keks/{kek}?deleted=false          (404 -> the producer creates it)
  POST /dek-registry/v1/keks                              {name, kmsType, kmsKeyId, shared}
  GET  /dek-registry/v1/keks/{kek}/deks/{subject}/versions/1?algorithm=AES256_GCM&deleted=false
  POST /dek-registry/v1/keks/{kek}/deks/{subject}         {subject, version, algorithm,
                                                           encryptedKeyMaterial}

For Avro (``"confluent:tags": ["PII"]`` on the field), JSON Schema (the same on the property)
and Protobuf (``[(confluent.field_meta).tags = "PII"]``, importing confluent/meta.proto, the
message class generated at test time with grpcio-tools' protoc against the client's own
meta.proto) a schema is registered with a domain rule
``{type: ENCRYPT, kind: TRANSFORM, mode: WRITEREAD, tags: [PII], onFailure: "ERROR,NONE",
params: {encrypt.kek.name: <fresh per run>, encrypt.kms.type: local-kms,
encrypt.kms.key.id: ...}}``; the serializers (``use.latest.version``, which is what makes the
client run the latest version's rules) write records whose bytes must not contain the
plaintext ssn (the untagged name must still be there). Then, over plain HTTP: the KEK is
listed (GET /dek-registry/v1/keks), has kmsType local-kms and shared false, its DEKs list
the three subjects, and each subject's latest DEK (version 1, AES256_GCM) has an
encryptedKeyMaterial and no keyMaterial (the KEK is not shared: only the client can unwrap).

Reading back, each case in a fresh process (the client keeps KMS clients process-wide in
tink's registry, and decrypted DEKs in its caches, so one process would hide a missing
secret), with a fresh registry client:

  right    rule config secret = the producer's            -> the plaintext record
  env      no rule config, LOCAL_SECRET = the secret      -> the plaintext record
  none     no secret anywhere                             -> the rule fails; onFailure for READ
                                                             is NONE: the record comes back with
                                                             ssn still encrypted (base64 of
                                                             12-byte IV + ciphertext + 16-byte tag)
  wrong    rule config secret = another one               -> the same pass-through
  error    no secret, a client-side RuleOverride          -> SerializationError (from the
           (onFailure ERROR) for ENCRYPT                     executor's RuleError)
  noexec   a rule registry without the ENCRYPT executor   -> pass-through (onFailure NONE)

Usage (SR_URL from the environment unless --url is given):

  csfle_test.py                      the whole test: produce then consume (and its six cases)
                                     against SR_URL; if SR_FOLLOWER_URL is set, twice: produce
                                     at the leader and consume at the follower, then produce at
                                     the follower (its DEK registry writes are forwarded to the
                                     leader) and consume at the leader, each with its own KEK
  csfle_test.py --phase produce --state FILE [--url URL]
                                     registers, serializes, checks the DEK registry over HTTP,
                                     and writes FILE (JSON: run id, KEK name, subjects, schema
                                     ids, the serialized bytes as hex, the expected records, the
                                     DEKs' encryptedKeyMaterial)
  csfle_test.py --phase consume --state FILE [--url URL]
                                     reads FILE: the KEK and DEKs are still served (same
                                     encryptedKeyMaterial), then the six cases above, each in a
                                     child process (--phase decrypt --mode MODE)

so that a test can restart the server (or switch to another node) between the two phases.
Every phase prints what it checks and ends with "N passed, N failed" (a parent adds up its
children's counts; their output is indented) and exits non-zero on any failure. Run through
tests/clients/run.sh.
"""

import argparse
import base64
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings

try:  # see confluent_client_test.py: authlib forces a deprecation warning on import
    import authlib.deprecate  # noqa: F401
except ImportError:
    pass
warnings.filterwarnings("ignore", message=".*httpx module is deprecated.*")

from confluent_kafka.schema_registry import (  # noqa: E402
    Rule,
    RuleKind,
    RuleMode,
    RuleParams,
    RuleSet,
    Schema,
    SchemaRegistryClient,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer  # noqa: E402
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer  # noqa: E402
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer  # noqa: E402
from confluent_kafka.schema_registry.rule_registry import RuleOverride, RuleRegistry  # noqa: E402
from confluent_kafka.schema_registry.rules.encryption.encrypt_executor import (  # noqa: E402
    FieldEncryptionExecutor,
)
from confluent_kafka.schema_registry.rules.encryption.localkms.local_driver import LocalKmsDriver  # noqa: E402
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError  # noqa: E402

LocalKmsDriver.register()

# A test secret, not a credential: the local KMS derives its AES-128 key from it (HKDF-SHA256).
SECRET = "csfle-test-local-kms-secret"
WRONG_SECRET = "csfle-test-not-the-secret"
KMS_TYPE = "local-kms"
KMS_KEY_ID = "csfle-test-key"
FORMATS = ("avro", "json", "protobuf")
MODES = ("right", "env", "none", "wrong", "error", "noexec")
# What the serializers need to run the rules of the registered (latest) version.
SER_CONF = {"auto.register.schemas": False, "use.latest.version": True}
GCM_OVERHEAD = 12 + 16  # Tink AES-GCM (raw): IV before, tag after the ciphertext

AVRO_SCHEMA = {
    "type": "record", "name": "Person", "namespace": "csfle.test",
    "fields": [
        {"name": "name", "type": "string"},
        {"name": "ssn", "type": "string", "confluent:tags": ["PII"]},
        {"name": "age", "type": "int"},
    ],
}
JSON_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Person",
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "ssn": {"type": "string", "confluent:tags": ["PII"]},
        "age": {"type": "integer"},
    },
    "required": ["name", "ssn", "age"],
}
PROTO_TEMPLATE = """syntax = "proto3";
package {package};

import "confluent/meta.proto";

message Person {{
  string name = 1;
  string ssn = 2 [(confluent.field_meta).tags = "PII"];
  int32 age = 3;
}}
"""

passed = 0
failed = 0


def check(what, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {what}", flush=True)
    else:
        failed += 1
        print(f"FAIL {what} {detail}", flush=True)
    return cond


def eq(what, got, want):
    return check(what, got == want, f"got {got!r}, want {want!r}")


def http(url, method, path, body=None):
    """Plain HTTP to the registry: (status, parsed body or text)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url.rstrip("/") + path, data=data, method=method,
                                 headers={"Content-Type": "application/vnd.schemaregistry.v1+json",
                                          "Accept": "application/vnd.schemaregistry.v1+json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode(errors="replace")


def q(s):
    return urllib.parse.quote(s, safe="")


# --- formats ------------------------------------------------------------------------

def proto_names(run):
    """(import path of the .proto file, its package) for a run: new files, new subjects."""
    return f"csfle_{run}/person.proto", f"csfle_{run}.v1"


def proto_class(run):
    """Compiles the run's person.proto with grpcio-tools' protoc and returns Person.

    confluent/meta.proto comes from the client itself (its meta_pb2 descriptor, handed to
    protoc as a descriptor set), and the generated `from confluent import meta_pb2` is
    pointed at the client's module, so the options carry the extension the client reads."""
    from google.protobuf import descriptor_pb2
    from grpc_tools import protoc
    from confluent_kafka.schema_registry.confluent import meta_pb2

    path, package = proto_names(run)
    work = tempfile.mkdtemp(prefix="csfle-pb-")
    src, out = os.path.join(work, "src"), os.path.join(work, "out")
    os.makedirs(os.path.join(src, os.path.dirname(path)))
    os.makedirs(os.path.join(out, "confluent"))
    with open(os.path.join(src, path), "w") as f:
        f.write(PROTO_TEMPLATE.format(package=package))
    fds = descriptor_pb2.FileDescriptorSet()
    for mod in (descriptor_pb2, meta_pb2):
        fds.file.add().ParseFromString(mod.DESCRIPTOR.serialized_pb)
    deps = os.path.join(work, "deps.pb")
    with open(deps, "wb") as f:
        f.write(fds.SerializeToString())
    rc = protoc.main(["protoc", f"-I{src}", f"--descriptor_set_in={deps}", f"--python_out={out}", path])
    if rc != 0:
        raise RuntimeError(f"protoc failed (exit code {rc}) on {path}")
    with open(os.path.join(out, "confluent", "__init__.py"), "w"):
        pass
    with open(os.path.join(out, "confluent", "meta_pb2.py"), "w") as f:
        f.write("from confluent_kafka.schema_registry.confluent.meta_pb2 import *  # noqa\n"
                "from confluent_kafka.schema_registry.confluent.meta_pb2 import DESCRIPTOR  # noqa\n")
    sys.path.insert(0, out)
    module = importlib.import_module(path[:-len(".proto")].replace("/", ".") + "_pb2")
    return module.Person


def schema_text(fmt, run):
    if fmt == "avro":
        return json.dumps(AVRO_SCHEMA), "AVRO"
    if fmt == "json":
        return json.dumps(JSON_SCHEMA), "JSON"
    return PROTO_TEMPLATE.format(package=proto_names(run)[1]), "PROTOBUF"


def encrypt_rule(kek, on_failure="ERROR,NONE"):
    return Rule("encryptPII", "", RuleKind.TRANSFORM, RuleMode.WRITEREAD, "ENCRYPT", ["PII"],
                RuleParams({"encrypt.kek.name": kek, "encrypt.kms.type": KMS_TYPE,
                            "encrypt.kms.key.id": KMS_KEY_ID}),
                None, None, on_failure, False)


def rule_registry(executor=True, error_override=False):
    """A rule registry of its own (not the global one): a fresh executor, fresh DEK caches."""
    reg = RuleRegistry()
    if executor:
        reg.register_executor(FieldEncryptionExecutor())
    if error_override:
        reg.register_override(RuleOverride("ENCRYPT", None, "ERROR", None))
    return reg


def serializer(fmt, client, pb_class, rule_conf, registry):
    if fmt == "avro":
        return AvroSerializer(client, json.dumps(AVRO_SCHEMA), conf=SER_CONF,
                              rule_conf=rule_conf, rule_registry=registry)
    if fmt == "json":
        return JSONSerializer(json.dumps(JSON_SCHEMA), client, conf=SER_CONF,
                              rule_conf=rule_conf, rule_registry=registry)
    return ProtobufSerializer(pb_class, client, conf=SER_CONF, rule_conf=rule_conf, rule_registry=registry)


def deserializer(fmt, client, pb_class, rule_conf, registry):
    if fmt == "avro":
        return AvroDeserializer(client, rule_conf=rule_conf, rule_registry=registry)
    if fmt == "json":
        return JSONDeserializer(None, schema_registry_client=client, rule_conf=rule_conf,
                                rule_registry=registry)
    return ProtobufDeserializer(pb_class, {}, client, rule_conf=rule_conf, rule_registry=registry)


def to_record(fmt, obj, pb_class):
    if fmt == "protobuf":
        return pb_class(**obj)
    return dict(obj)


def from_record(fmt, rec):
    if fmt == "protobuf":
        return {"name": rec.name, "ssn": rec.ssn, "age": rec.age}
    return rec


# --- DEK registry over HTTP -----------------------------------------------------------

def check_dek_registry(url, state, where, wait=0.0):
    """The KEK and each subject's DEK as served by `url`; returns {subject: encryptedKeyMaterial}."""
    kek = state["kek"]
    subjects = [item["subject"] for item in state["items"]]
    deadline = time.monotonic() + wait
    while True:  # a follower may need a moment to see the leader's writes
        status, keks = http(url, "GET", "/dek-registry/v1/keks")
        if (status == 200 and isinstance(keks, list) and kek in keks) or time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    check(f"{where}: GET /dek-registry/v1/keks lists {kek}",
          status == 200 and isinstance(keks, list) and kek in keks, f"got {status} {keks!r}")
    status, body = http(url, "GET", f"/dek-registry/v1/keks/{q(kek)}")
    got = body if isinstance(body, dict) else {}
    eq(f"{where}: GET /dek-registry/v1/keks/{{kek}}: [status, name, kmsType, kmsKeyId, shared]",
       [status, got.get("name"), got.get("kmsType"), got.get("kmsKeyId"), got.get("shared")],
       [200, kek, KMS_TYPE, KMS_KEY_ID, False])
    status, deks = http(url, "GET", f"/dek-registry/v1/keks/{q(kek)}/deks")
    check(f"{where}: GET /dek-registry/v1/keks/{{kek}}/deks lists the {len(subjects)} subjects",
          status == 200 and isinstance(deks, list) and sorted(deks) == sorted(subjects),
          f"got {status} {deks!r}, want {sorted(subjects)!r}")
    materials = {}
    for subject in subjects:
        base = f"/dek-registry/v1/keks/{q(kek)}/deks/{q(subject)}"
        status, versions = http(url, "GET", f"{base}/versions")
        eq(f"{where}: GET .../deks/{subject}/versions", [status, versions], [200, [1]])
        status, body = http(url, "GET", f"{base}/versions/latest")
        dek = body if isinstance(body, dict) else {}
        eq(f"{where}: GET .../deks/{subject}/versions/latest: [status, kekName, subject, version, algorithm]",
           [status, dek.get("kekName"), dek.get("subject"), dek.get("version"), dek.get("algorithm")],
           [200, kek, subject, 1, "AES256_GCM"])
        ekm = dek.get("encryptedKeyMaterial")
        try:
            wrapped = base64.b64decode(ekm, validate=True) if isinstance(ekm, str) else b""
        except ValueError:
            wrapped = b""
        # The client wraps the 32-byte AES256_GCM key with the local KMS' AES-128-GCM, and
        # its Tink key data first: more than 32 + 28 bytes.
        check(f"{where}:   ... its encryptedKeyMaterial is base64 of a wrapped key ({len(wrapped)} bytes)",
              len(wrapped) > 32 + GCM_OVERHEAD, f"got {ekm!r}")
        check(f"{where}:   ... and it has no keyMaterial (the KEK is not shared)",
              "keyMaterial" not in dek or dek["keyMaterial"] in (None, ""), f"got {dek!r}")
        check(f"{where}:   ... and a ts", isinstance(dek.get("ts"), int), f"got {dek!r}")
        status, v1 = http(url, "GET", f"{base}/versions/1")
        eq(f"{where}:   ... = GET .../versions/1", [status, v1], [200, body])
        materials[subject] = ekm
    return materials


# --- phases ---------------------------------------------------------------------------

def produce(url, state_file):
    run = uuid.uuid4().hex[:8]
    kek = f"csfle-kek-{run}"
    print(f"== produce at {url}: run {run}, KEK {kek}", flush=True)
    state = {"run": run, "kek": kek, "produced_at": url, "items": []}
    pb_class = proto_class(run)
    for fmt in FORMATS:
        topic = f"csfle-{fmt}-{run}"
        subject = f"{topic}-value"
        text, schema_type = schema_text(fmt, run)
        client = SchemaRegistryClient({"url": url})
        schema_id = client.register_schema(
            subject, Schema(text, schema_type, [], None, RuleSet(None, [encrypt_rule(kek)])))
        latest = SchemaRegistryClient({"url": url}).get_latest_version(subject)
        rules = (latest.schema.rule_set.domain_rules or []) if latest.schema.rule_set else []
        eq(f"{fmt}: registered with the ENCRYPT rule, served back [id, rule type, tags, params, onFailure]",
           [latest.schema_id, [(r.type, r.tags, r.params.params if r.params else None, r.on_failure)
                               for r in rules]],
           [schema_id, [("ENCRYPT", ["PII"], {"encrypt.kek.name": kek, "encrypt.kms.type": KMS_TYPE,
                                             "encrypt.kms.key.id": KMS_KEY_ID}, "ERROR,NONE")]])
        ser = serializer(fmt, SchemaRegistryClient({"url": url}), pb_class, {"secret": SECRET}, rule_registry())
        ctx = SerializationContext(topic, MessageField.VALUE)
        item = {"fmt": fmt, "topic": topic, "subject": subject, "schema_id": schema_id, "records": []}
        for i, (name, age) in enumerate((("Ada Lovelace", 36), ("Alan Turing", 41))):
            rec = {"name": name, "ssn": f"ssn-{run}-{i}-6789", "age": age}
            data = ser(to_record(fmt, rec, pb_class), ctx)
            check(f"{fmt}: record {i} serialized with magic byte 0 and schema id {schema_id}",
                  data is not None and data[0] == 0 and int.from_bytes(data[1:5], "big") == schema_id,
                  f"got {data[:5].hex() if data else data}")
            check(f"{fmt}:   ... its bytes do not contain the plaintext ssn {rec['ssn']!r}",
                  rec["ssn"].encode() not in data, data.hex())
            check(f"{fmt}:   ... but do contain the untagged name {name!r}", name.encode() in data, data.hex())
            item["records"].append({"value_hex": data.hex(), "expect": rec})
        state["items"].append(item)
    state["encrypted_key_material"] = check_dek_registry(url, state, "produce")
    with open(state_file, "w") as f:
        json.dump(state, f, indent=1)
    print(f"  ..   state written to {state_file}", flush=True)


def consume(url, state_file):
    with open(state_file) as f:
        state = json.load(f)
    print(f"== consume at {url}: run {state['run']}, KEK {state['kek']} (produced at {state['produced_at']})",
          flush=True)
    materials = check_dek_registry(url, state, "consume", wait=10.0)
    eq("consume: the DEKs' encryptedKeyMaterial is the one the producer saw",
       materials, state.get("encrypted_key_material"))
    for mode in MODES:
        env = {k: v for k, v in os.environ.items() if k != "LOCAL_SECRET"}
        if mode == "env":
            env["LOCAL_SECRET"] = SECRET
        run_child(["--phase", "decrypt", "--mode", mode, "--state", state_file, "--url", url], env)


def decrypt(url, state_file, mode):
    with open(state_file) as f:
        state = json.load(f)
    print(f"== decrypt at {url}, mode {mode} (LOCAL_SECRET {'set' if os.environ.get('LOCAL_SECRET') else 'unset'})",
          flush=True)
    rule_conf = {"right": {"secret": SECRET}, "wrong": {"secret": WRONG_SECRET}}.get(mode)
    pb_class = proto_class(state["run"])
    for item in state["items"]:
        fmt = item["fmt"]
        ctx = SerializationContext(item["topic"], MessageField.VALUE)
        # A fresh client and rule registry per deserializer: the DEK is fetched again.
        de = deserializer(fmt, SchemaRegistryClient({"url": url}), pb_class, rule_conf,
                          rule_registry(executor=mode != "noexec", error_override=mode == "error"))
        for i, r in enumerate(item["records"]):
            data, want = bytes.fromhex(r["value_hex"]), r["expect"]
            label = f"{fmt} record {i}, {mode}"
            if mode in ("right", "env"):
                eq(f"{label}: decrypted to the plaintext record", from_record(fmt, de(data, ctx)), want)
            elif mode == "error":
                try:
                    got = de(data, ctx)
                    check(f"{label}: SerializationError (onFailure overridden to ERROR)", False,
                          f"got {from_record(fmt, got)!r}")
                except SerializationError as e:
                    chain, cause = [], e
                    while cause is not None:
                        chain.append(f"{type(cause).__name__}: {cause}")
                        cause = cause.__cause__ or cause.__context__
                    check(f"{label}: SerializationError (onFailure overridden to ERROR), from a RuleError",
                          any(c.startswith("RuleError") for c in chain), " <- ".join(chain))
            else:
                got = from_record(fmt, de(data, ctx))
                try:
                    ciphertext = base64.b64decode(got.get("ssn") or "", validate=True)
                except ValueError:
                    ciphertext = b""
                check(f"{label}: onFailure NONE passes the record through with ssn still encrypted",
                      {k: v for k, v in got.items() if k != "ssn"} == {k: v for k, v in want.items() if k != "ssn"}
                      and got.get("ssn") != want["ssn"]
                      and len(ciphertext) == len(want["ssn"].encode()) + GCM_OVERHEAD,
                      f"got {got!r}")


def run_child(args, env=None):
    """Runs this script with args; its output indented; adds its counts to ours."""
    global passed, failed
    proc = subprocess.run([sys.executable, os.path.abspath(__file__)] + args, env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=600)
    counts = None
    for line in proc.stdout.splitlines():
        print(f"  | {line}", flush=True)
        m = re.fullmatch(r"(\d+) passed, (\d+) failed", line)
        if m:
            counts = int(m.group(1)), int(m.group(2))
    if counts is None:
        failed += 1
        print(f"FAIL child {' '.join(args)} ended without a summary (exit code {proc.returncode})", flush=True)
        return
    passed += counts[0]
    failed += counts[1]
    if proc.returncode != 0 and counts[1] == 0:
        failed += 1
        print(f"FAIL child {' '.join(args)} exit code {proc.returncode}", flush=True)


def whole(leader, follower):
    rounds = [(leader, leader)]
    if follower:
        rounds = [(leader, follower), (follower, leader)]
    work = tempfile.mkdtemp(prefix="csfle-")
    for i, (p, c) in enumerate(rounds):
        state_file = os.path.join(work, f"state-{i}.json")
        print(f"== round {i + 1}: produce at {p}, consume at {c}", flush=True)
        run_child(["--phase", "produce", "--state", state_file, "--url", p])
        if os.path.exists(state_file):
            run_child(["--phase", "consume", "--state", state_file, "--url", c])
        else:
            check(f"round {i + 1}: the produce phase wrote its state", False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--phase", choices=("produce", "consume", "decrypt"))
    ap.add_argument("--state", help="state file (written by produce, read by consume)")
    ap.add_argument("--url", help="registry URL (default: $SR_URL)")
    ap.add_argument("--mode", choices=MODES, help="decrypt only: which case")
    args = ap.parse_args()
    url = args.url or os.environ.get("SR_URL")
    if not url:
        sys.exit("SR_URL is not set (e.g. SR_URL=http://127.0.0.1:8081)")
    if args.phase and not args.state:
        sys.exit(f"--phase {args.phase} needs --state FILE")
    if args.phase == "produce":
        produce(url, args.state)
    elif args.phase == "consume":
        consume(url, args.state)
    elif args.phase == "decrypt":
        if not args.mode:
            sys.exit("--phase decrypt needs --mode")
        decrypt(url, args.state, args.mode)
    else:
        whole(url, os.environ.get("SR_FOLLOWER_URL"))


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001 - a crash is a failure with its trace
        failed += 1
        traceback.print_exc()
        sys.stdout.flush()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
