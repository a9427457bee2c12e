#!/usr/bin/env python3
"""Data-contract rules run by Confluent's real Python client (confluent-kafka).

Rule sets are kept whole by the registry (the community edition of Confluent's drops
them), so the client's rule executors see them: a CEL condition (a WRITE domain rule)
refuses a record, and a JSONata migration (an UPGRADE rule on the newer version) turns an
old record into the new shape when a consumer reads with ``use.latest.version``. The
serializers look the rules up through ``GET /subjects/{s}/versions/latest`` and the
deserializer reads the writer's version by ID and the versions in between.

Also checked: a rule registered without ``kind``/``mode`` is served with Confluent's
defaults (TRANSFORM, WRITEREAD), which the client needs to run it (its ``Rule.from_dict``
keeps absent ones as None, and such a rule never runs).

Each check prints what it verifies; the run ends with "N passed, N failed" and exits
non-zero on any failure. Run through tests/clients/run.sh.
"""

import json
import os
import sys
import traceback
import urllib.error
import urllib.request
import warnings

try:  # see confluent_client_test.py: authlib forces a deprecation warning on import
    import authlib.deprecate  # noqa: F401
except ImportError:
    pass
warnings.filterwarnings("ignore", message=".*httpx module is deprecated.*")

from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: E402
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer  # noqa: E402
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor  # noqa: E402
from confluent_kafka.schema_registry.rules.jsonata.jsonata_executor import JsonataExecutor  # noqa: E402
from confluent_kafka.serialization import (  # noqa: E402
    MessageField,
    SerializationContext,
    SerializationError,
)

SR_URL = os.environ.get("SR_URL")
if not SR_URL:
    sys.exit("SR_URL is not set (e.g. SR_URL=http://127.0.0.1:8081)")

CelExecutor.register()
JsonataExecutor.register()

V1 = json.dumps({"type": "record", "name": "Pay", "namespace": "rules.test",
                 "fields": [{"name": "a", "type": "string"}]})
V2 = json.dumps({"type": "record", "name": "Pay", "namespace": "rules.test",
                 "fields": [{"name": "b", "type": "string"}]})
SUBJECT = "rules-value"
passed = 0
failed = 0


def fresh():
    return SchemaRegistryClient({"url": SR_URL})


def check(what, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what} {detail}")


def eq(what, got, want):
    check(what, got == want, f"got {got!r}, want {want!r}")


def http(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(SR_URL.rstrip("/") + path, data=data, method=method,
                                 headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def main():
    ctx = SerializationContext("rules", MessageField.VALUE)
    status, v1 = http("POST", f"/subjects/{SUBJECT}/versions", {
        "schema": V1,
        "ruleSet": {"domainRules": [{"name": "nonEmpty", "kind": "CONDITION", "mode": "WRITE",
                                     "type": "CEL", "expr": "message.a != ''"}]}})
    eq("v1 with a CEL condition registered", status, 200)

    ser = AvroSerializer(fresh(), None, conf={"auto.register.schemas": False,
                                               "use.latest.version": True})
    try:
        ser({"a": ""}, ctx)
        check("the CEL condition refuses an empty a", False, "serialized")
    except SerializationError as e:
        # The client wraps RuleConditionError (its rule name in the cause chain).
        chain = f"{e!r} {e.__cause__!r} {e.__context__!r}"
        check("the CEL condition refuses an empty a", "RuleConditionError" in chain, chain)
    old = ser({"a": "x"}, ctx)
    check("the CEL condition lets a='x' through", old is not None and old[0] == 0)

    status, _ = http("PUT", f"/config/{SUBJECT}", {"compatibility": "NONE"})
    eq("compatibility NONE for the rename", status, 200)
    status, v2 = http("POST", f"/subjects/{SUBJECT}/versions", {
        "schema": V2,
        "ruleSet": {"migrationRules": [{"name": "aToB", "kind": "TRANSFORM", "mode": "UPGRADE",
                                        "type": "JSONATA",
                                        "expr": "$merge([$sift($, function($v, $k) {$k != 'a'}), {'b': $.a}])"}]}})
    eq("v2 with a JSONata upgrade registered", status, 200)
    eq("v2 keeps only its own rules (the request's rule set)",
       sorted((v2.get("ruleSet") or {}).keys()), ["migrationRules"])

    de = AvroDeserializer(fresh(), None, conf={"use.latest.version": True})
    eq("a v1 record read at the latest version is migrated by JSONata", de(old, ctx), {"b": "x"})
    de_plain = AvroDeserializer(fresh())
    eq("read as written, the v1 record is unchanged", de_plain(old, ctx), {"a": "x"})

    status, v3 = http("POST", "/subjects/defaults-value/versions", {
        "schema": V1, "ruleSet": {"domainRules": [{"name": "t", "type": "CEL", "expr": "true"}]}})
    eq("a rule without kind and mode registered", status, 200)
    rule = fresh().get_latest_version("defaults-value").schema.rule_set.domain_rules[0]
    eq("served with Confluent's defaults (kind)", str(getattr(rule.kind, "value", rule.kind)), "TRANSFORM")
    eq("served with Confluent's defaults (mode)", str(getattr(rule.mode, "value", rule.mode)), "WRITEREAD")


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001 - a crash is a failure with its trace
        failed += 1
        traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
