//! The DEK registry's part of `export` / `import`: KEKs and DEK versions through
//! `/dek-registry/v1/keks/…` (Confluent's `DekRegistryResource`), soft-deleted ones included.
//!
//! The order of the writes follows the rules of Confluent's DEK registry (mirrored in
//! `crate::keys`):
//! - `DekRegistryResource.createDek` looks the KEK up with `getKek(kekName,
//!   request.isDeleted())`: a DEK created with `deleted: true` may name a soft-deleted KEK, a
//!   live one needs a live KEK.
//! - `AbstractDekRegistry.deleteKek` refuses to soft-delete a KEK while live DEKs use it
//!   (42272), and `undeleteDek` refuses under a soft-deleted KEK (40472): the DEKs of a
//!   soft-deleted KEK are all soft-deleted.
//!
//! So each KEK is created first, with its dumped `deleted` flag, then its DEKs with theirs: one
//! write per key, and a soft-deleted KEK never exists live on the target, even for a moment.
//! Keys the target already holds live but the dump marks deleted are soft-deleted afterwards,
//! DEKs before their KEK. A create is never used to change a key's `deleted` flag (Confluent's
//! `createKek` / `createDek` would flip it when the rest is equal): the target is read first.

use super::dump::{DekLine, Dump, KekLine, DEK_ALGORITHMS};
use super::export::list_all;
use super::{int_list, say, Api};
use crate::client::{segment as enc, Reply};
use indicatif::ProgressBar;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

const KEKS: &str = "/dek-registry/v1/keks";

/// Whether an answer says the registry has no DEK registry: an unknown path, 404 with
/// `error_code` 404 (or none, from a proxy), as Confluent without its `dek-registry` module
/// and Karapace answer. The DEK registry's own 404s carry 40470.
fn no_dek_registry(r: &Reply) -> bool {
    r.status == 404 && r.error_code().is_none_or(|c| c == 404)
}

fn kek_path(name: &str) -> String {
    format!("{KEKS}/{}", enc(name))
}

fn dek_path(d: &DekLine) -> String {
    format!(
        "{}/deks/{}/versions/{}?deleted=true&algorithm={}",
        kek_path(&d.kek_name),
        enc(&d.subject),
        d.version,
        enc(&d.algorithm)
    )
}

fn kek_what(k: &KekLine) -> String {
    format!("KEK {}", k.name)
}

fn dek_what(d: &DekLine) -> String {
    format!(
        "DEK of KEK {}, subject {}, {} version {}",
        d.kek_name, d.subject, d.algorithm, d.version
    )
}

// ---- export ----------------------------------------------------------------------------

/// Reads every KEK and DEK version (soft-deleted ones too). A registry without the DEK
/// registry has none. A DEK the registry cannot answer because its KEK is shared (50070: the
/// registry has no KMS to unwrap it with) is skipped with a warning.
pub(super) async fn export_keys(
    api: &Api,
    failures: &mut Vec<String>,
) -> Result<(Vec<KekLine>, Vec<DekLine>), String> {
    let mut keks = Vec::new();
    let mut deks = Vec::new();
    let names = match list_all(api, &format!("{KEKS}?deleted=true")).await? {
        Ok(n) => n,
        Err(r) if no_dek_registry(&r) => return Ok((keks, deks)),
        Err(r) => {
            failures.push(format!("KEKs: listing them: {}", r.describe()));
            return Ok((keks, deks));
        }
    };
    for name in &names {
        let path = kek_path(name);
        let r = api.get(&format!("{path}?deleted=true")).await?;
        if r.status == 404 {
            continue; // gone since it was listed
        }
        if !r.ok() {
            failures.push(format!("KEK {name}: {}", r.describe()));
            continue;
        }
        match serde_json::from_value::<KekLine>(r.body.clone()) {
            Ok(k) => keks.push(k),
            Err(e) => {
                failures.push(format!("KEK {name}: unreadable answer {}: {e}", r.body));
                continue;
            }
        }
        let subjects = match list_all(api, &format!("{path}/deks?deleted=true")).await? {
            Ok(s) => s,
            Err(r) => {
                failures.push(format!("KEK {name}: listing its DEKs: {}", r.describe()));
                continue;
            }
        };
        for s in &subjects {
            let base = format!("{path}/deks/{}/versions", enc(s));
            for alg in DEK_ALGORITHMS {
                let r = api
                    .get(&format!("{base}?deleted=true&algorithm={alg}"))
                    .await?;
                let versions = match (r.status, int_list(&r.body)) {
                    (200, Some(vs)) => vs,
                    (404, _) => continue,
                    _ => {
                        failures.push(format!(
                            "DEKs of KEK {name}, subject {s}, {alg}: listing versions: {}",
                            r.describe()
                        ));
                        continue;
                    }
                };
                for v in versions {
                    let r = api
                        .get(&format!("{base}/{v}?deleted=true&algorithm={alg}"))
                        .await?;
                    let what = format!("DEK of KEK {name}, subject {s}, {alg} version {v}");
                    if r.error_code() == Some(50070) {
                        eprintln!(
                            "export: warning: skipping the {what} (its KEK is shared and the registry cannot unwrap it): {}",
                            r.describe()
                        );
                        continue;
                    }
                    if r.status == 404 {
                        continue;
                    }
                    if !r.ok() {
                        failures.push(format!("{what}: {}", r.describe()));
                        continue;
                    }
                    match serde_json::from_value::<DekLine>(r.body.clone()) {
                        Ok(d) => deks.push(d),
                        Err(e) => {
                            failures.push(format!("{what}: unreadable answer {}: {e}", r.body))
                        }
                    }
                }
            }
        }
    }
    Ok((keks, deks))
}

// ---- import ----------------------------------------------------------------------------

/// The counts of the import summary for keys.
#[derive(Debug, Default)]
pub(super) struct KeySummary {
    pub keks_created: usize,
    pub keks_present: usize,
    pub deks_created: usize,
    pub deks_present: usize,
    pub soft_deleted: usize,
}

impl KeySummary {
    pub fn written(&self) -> usize {
        self.keks_created + self.deks_created + self.soft_deleted
    }
}

/// What the target holds for one dumped key.
enum Found {
    Missing,
    /// The same content; `live`: not soft-deleted there.
    Present {
        live: bool,
    },
    Conflict(String),
}

/// The writes an import makes to the DEK registry, in their order.
#[derive(Debug, Default)]
pub(super) struct KeyPlan<'a> {
    create_keks: Vec<&'a KekLine>,
    create_deks: Vec<&'a DekLine>,
    delete_deks: Vec<&'a DekLine>,
    delete_keks: Vec<&'a KekLine>,
}

impl KeyPlan<'_> {
    pub fn writes(&self) -> usize {
        self.create_keks.len()
            + self.create_deks.len()
            + self.delete_deks.len()
            + self.delete_keks.len()
    }

    /// The counts of a dry run.
    pub fn dry_run(&self, sum: &mut KeySummary) {
        sum.keks_created = self.create_keks.len();
        sum.deks_created = self.create_deks.len();
        sum.soft_deleted = self.delete_deks.len() + self.delete_keks.len();
    }
}

/// The fields of a KEK that differ from the target's (`deleted` aside).
fn kek_differs(a: &KekLine, b: &KekLine) -> Vec<&'static str> {
    let mut d = Vec::new();
    if a.kms_type != b.kms_type {
        d.push("kmsType");
    }
    if a.kms_key_id != b.kms_key_id {
        d.push("kmsKeyId");
    }
    if a.kms_props != b.kms_props {
        d.push("kmsProps");
    }
    if a.doc != b.doc {
        d.push("doc");
    }
    if a.shared != b.shared {
        d.push("shared");
    }
    d
}

async fn find_kek(api: &Api, k: &KekLine) -> Result<Found, String> {
    let r = api
        .get(&format!("{}?deleted=true", kek_path(&k.name)))
        .await?;
    if r.status == 404 {
        return Ok(Found::Missing);
    }
    if !r.ok() {
        return Ok(Found::Conflict(format!(
            "reading it on the target: {}",
            r.describe()
        )));
    }
    Ok(match serde_json::from_value::<KekLine>(r.body.clone()) {
        Err(e) => Found::Conflict(format!("unreadable answer of the target {}: {e}", r.body)),
        Ok(t) => {
            let differs = kek_differs(k, &t);
            if differs.is_empty() {
                Found::Present { live: !t.deleted }
            } else {
                Found::Conflict(format!(
                    "the target holds another KEK of that name ({} differ)",
                    differs.join(", ")
                ))
            }
        }
    })
}

async fn find_dek(api: &Api, d: &DekLine) -> Result<Found, String> {
    let r = api.get(&dek_path(d)).await?;
    if r.status == 404 {
        return Ok(Found::Missing);
    }
    if !r.ok() {
        return Ok(Found::Conflict(format!(
            "reading it on the target: {}",
            r.describe()
        )));
    }
    let material = r.body.get("encryptedKeyMaterial").and_then(Value::as_str);
    Ok(if material == d.encrypted_key_material.as_deref() {
        Found::Present {
            live: r.body.get("deleted") != Some(&json!(true)),
        }
    } else {
        Found::Conflict("the target holds this DEK version with other key material".into())
    })
}

/// Reads the target's keys and plans the writes; the keys that cannot be imported are
/// reported in `failures`. `Err` on a fatal (connectivity) error.
pub(super) async fn plan<'a>(
    api: &Api,
    dump: &'a Dump,
    sum: &mut KeySummary,
    failures: &mut Vec<String>,
) -> Result<KeyPlan<'a>, String> {
    let mut plan = KeyPlan::default();
    if dump.keks.is_empty() && dump.deks.is_empty() {
        return Ok(plan);
    }
    let probe = api.get(&format!("{KEKS}?limit=1")).await?;
    if !probe.ok() {
        let why = if no_dek_registry(&probe) {
            "the target has no DEK registry"
        } else {
            "the target's DEK registry cannot be read"
        };
        failures.push(format!(
            "{} KEKs and {} DEKs not imported: {why} (GET {}{KEKS} answered {})",
            dump.keks.len(),
            dump.deks.len(),
            api.base(),
            probe.describe()
        ));
        return Ok(plan);
    }
    let not_undeleted = "soft-deleted on the target but live in the dump (not undeleted)";
    // KEKs whose DEKs cannot go in (a conflict), and KEKs to create (their DEKs are missing).
    let mut blocked: BTreeMap<&str, String> = BTreeMap::new();
    let mut creating: BTreeSet<&str> = BTreeSet::new();
    for k in &dump.keks {
        match find_kek(api, k).await? {
            Found::Missing => {
                creating.insert(&k.name);
                plan.create_keks.push(k);
            }
            Found::Present { live } => {
                sum.keks_present += 1;
                match (live, k.deleted) {
                    (true, true) => plan.delete_keks.push(k),
                    (false, false) => failures.push(format!("{}: {not_undeleted}", kek_what(k))),
                    _ => {}
                }
            }
            Found::Conflict(why) => {
                failures.push(format!("{}: {why}", kek_what(k)));
                blocked.insert(&k.name, why);
            }
        }
    }
    for d in &dump.deks {
        if blocked.contains_key(d.kek_name.as_str()) {
            failures.push(format!("{}: its KEK is not imported", dek_what(d)));
            continue;
        }
        let found = if creating.contains(d.kek_name.as_str()) {
            Found::Missing
        } else {
            find_dek(api, d).await?
        };
        match found {
            Found::Missing => plan.create_deks.push(d),
            Found::Present { live } => {
                sum.deks_present += 1;
                match (live, d.deleted) {
                    (true, true) => plan.delete_deks.push(d),
                    (false, false) => failures.push(format!("{}: {not_undeleted}", dek_what(d))),
                    _ => {}
                }
            }
            Found::Conflict(why) => failures.push(format!("{}: {why}", dek_what(d))),
        }
    }
    Ok(plan)
}

/// `POST /dek-registry/v1/keks` (Confluent's `CreateKekRequest`).
fn kek_body(k: &KekLine) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(k.name));
    m.insert("kmsType".into(), json!(k.kms_type));
    m.insert("kmsKeyId".into(), json!(k.kms_key_id));
    m.insert("kmsProps".into(), json!(k.kms_props));
    if let Some(doc) = &k.doc {
        m.insert("doc".into(), json!(doc));
    }
    m.insert("shared".into(), json!(k.shared));
    m.insert("deleted".into(), json!(k.deleted));
    Value::Object(m)
}

/// `POST /dek-registry/v1/keks/{kek}/deks/{subject}` (Confluent's `CreateDekRequest`).
fn dek_body(d: &DekLine) -> Value {
    let mut m = Map::new();
    m.insert("version".into(), json!(d.version));
    m.insert("algorithm".into(), json!(d.algorithm));
    if let Some(e) = &d.encrypted_key_material {
        m.insert("encryptedKeyMaterial".into(), json!(e));
    }
    m.insert("deleted".into(), json!(d.deleted));
    Value::Object(m)
}

/// After a 409 (created since the target was read): whether the target now holds the same
/// key, `deleted` flag included.
async fn same_after_conflict(api: &Api, kek: Option<&KekLine>, dek: Option<&DekLine>) -> bool {
    let (found, deleted) = match (kek, dek) {
        (Some(k), _) => (find_kek(api, k).await, k.deleted),
        (_, Some(d)) => (find_dek(api, d).await, d.deleted),
        _ => return false,
    };
    matches!(found, Ok(Found::Present { live }) if live != deleted)
}

/// Creates the missing keys (KEKs before their DEKs, each with its dumped `deleted` flag),
/// then soft-deletes the keys the dump marks deleted (DEKs before their KEKs). `Err` on a
/// fatal (connectivity) error.
pub(super) async fn write(
    api: &Api,
    plan: &KeyPlan<'_>,
    pb: &ProgressBar,
    sum: &mut KeySummary,
    failures: &mut Vec<String>,
) -> Result<(), String> {
    let mut fail = |msg: String| {
        say(pb, &format!("import: failed: {msg}"));
        failures.push(msg);
    };
    let mut not_created: BTreeSet<&str> = BTreeSet::new();
    for k in &plan.create_keks {
        pb.set_message(kek_what(k));
        pb.inc(1);
        let r = api.post(KEKS, &kek_body(k)).await?;
        if r.ok() {
            sum.keks_created += 1;
        } else if r.status == 409 && same_after_conflict(api, Some(k), None).await {
            sum.keks_present += 1;
        } else {
            fail(format!("{}: creating it: {}", kek_what(k), r.describe()));
            not_created.insert(&k.name);
        }
    }
    for d in &plan.create_deks {
        pb.set_message(dek_what(d));
        pb.inc(1);
        if not_created.contains(d.kek_name.as_str()) {
            fail(format!("{}: its KEK was not created", dek_what(d)));
            continue;
        }
        let path = format!("{}/deks/{}", kek_path(&d.kek_name), enc(&d.subject));
        let r = api.post(&path, &dek_body(d)).await?;
        if r.ok() {
            sum.deks_created += 1;
        } else if r.status == 409 && same_after_conflict(api, None, Some(d)).await {
            sum.deks_present += 1;
        } else {
            fail(format!("{}: creating it: {}", dek_what(d), r.describe()));
        }
    }
    for d in &plan.delete_deks {
        pb.set_message(format!("soft-deleting {}", dek_what(d)));
        pb.inc(1);
        let path = format!(
            "{}/deks/{}/versions/{}?algorithm={}",
            kek_path(&d.kek_name),
            enc(&d.subject),
            d.version,
            enc(&d.algorithm)
        );
        let r = api.delete(&path).await?;
        if r.status == 204 || r.ok() {
            sum.soft_deleted += 1;
        } else {
            fail(format!(
                "{}: soft-deleting it: {}",
                dek_what(d),
                r.describe()
            ));
        }
    }
    for k in &plan.delete_keks {
        pb.set_message(format!("soft-deleting {}", kek_what(k)));
        pb.inc(1);
        let r = api.delete(&kek_path(&k.name)).await?;
        if r.status == 204 || r.ok() {
            sum.soft_deleted += 1;
        } else {
            fail(format!(
                "{}: soft-deleting it: {}",
                kek_what(k),
                r.describe()
            ));
        }
    }
    Ok(())
}
