#!/usr/bin/env python3
"""A *shared* KEK with Confluent's real Python client: the registry makes the DEKs.

With ``shared: true`` the client's FieldEncryptionExecutor asks the registry to create the
DEK without key material (POST /dek-registry/v1/keks/{kek}/deks/{subject}, no
encryptedKeyMaterial) and uses the raw key the registry answers (``keyMaterial``, on the
create and on every read); neither producer nor consumer needs the KMS. The registry under
test runs its local KMS (``--dek-local-kms-secret SECRET``, SR_SECRET here).

Checked: the record's bytes hold no plaintext ssn; a consumer without any KMS secret
decrypts it; the DEK the registry serves has keyMaterial, and the client's own
LocalKmsClient with the same secret unwraps encryptedKeyMaterial to exactly that key (the
registry wraps as the clients' local KMS does). Ends with "N passed, N failed".

    SR_URL=http://127.0.0.1:8081 SR_SECRET=... csfle_shared.py
"""

import base64
import json
import os
import sys
import traceback
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
from confluent_kafka.schema_registry.rules.encryption.encrypt_executor import (  # noqa: E402
    FieldEncryptionExecutor,
)
from confluent_kafka.schema_registry.rules.encryption.localkms.local_client import (  # noqa: E402
    LocalKmsClient,
)
from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: E402

URL = os.environ["SR_URL"]
SECRET = os.environ["SR_SECRET"]
passed = failed = 0


def check(what, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {what}", flush=True)
    else:
        failed += 1
        print(f"FAIL {what} {detail}", flush=True)


def http(method, path, body=None):
    req = urllib.request.Request(URL + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, json.loads(r.read() or b"null")


def main():
    FieldEncryptionExecutor.register()
    run = uuid.uuid4().hex[:8]
    kek, subject = f"shared-{run}", f"shared-{run}-value"
    status, got = http("POST", "/dek-registry/v1/keks",
                       {"name": kek, "kmsType": "local-kms", "kmsKeyId": "shared-key", "shared": True})
    check("a shared KEK is created", status == 200 and got.get("shared") is True, got)
    schema = json.dumps({"type": "record", "name": "P", "fields": [
        {"name": "name", "type": "string"},
        {"name": "ssn", "type": "string", "confluent:tags": ["PII"]}]})
    rule = Rule("encrypt", "", RuleKind.TRANSFORM, RuleMode.WRITEREAD, "ENCRYPT", ["PII"],
                RuleParams({"encrypt.kek.name": kek, "encrypt.kms.type": "local-kms",
                            "encrypt.kms.key.id": "shared-key"}),
                None, None, "ERROR,ERROR", False)
    client = SchemaRegistryClient({"url": URL})
    client.register_schema(subject, Schema(schema, "AVRO", [], None, RuleSet(None, [rule])))
    ctx = SerializationContext(f"shared-{run}", MessageField.VALUE)
    ssn = f"ssn-{run}"
    data = AvroSerializer(client, schema, conf={"auto.register.schemas": False, "use.latest.version": True})(
        {"name": "Ada", "ssn": ssn}, ctx)
    check("the bytes hold no plaintext ssn (no KMS secret on the producer)", ssn.encode() not in data)
    back = AvroDeserializer(SchemaRegistryClient({"url": URL}))(data, ctx)
    check("a consumer without any KMS secret decrypts it", back == {"name": "Ada", "ssn": ssn}, back)
    status, dek = http("GET", f"/dek-registry/v1/keks/{kek}/deks/{subject}/versions/latest")
    check("the DEK is served with keyMaterial and encryptedKeyMaterial",
          status == 200 and "keyMaterial" in dek and "encryptedKeyMaterial" in dek, dek)
    aead = LocalKmsClient(SECRET).get_aead("local-kms://shared-key")
    raw = aead.decrypt(base64.b64decode(dek["encryptedKeyMaterial"]), b"")
    check("the client's LocalKmsClient unwraps encryptedKeyMaterial to keyMaterial",
          raw == base64.b64decode(dek["keyMaterial"]))


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        failed += 1
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
