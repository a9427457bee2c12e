//! Set helpers of the combined-schema and enum diffs: the size of a maximum bipartite matching
//! (`MaximumCardinalityMatch`) and a canonical text of JSON values for set membership.

use serde_json::Value;

/// Size of a maximum matching of a bipartite graph (`MaximumCardinalityMatch`): left nodes
/// with the right nodes they may match.
pub(super) fn max_matching(edges: &[Vec<usize>], right: usize) -> usize {
    let mut matched: Vec<Option<usize>> = vec![None; right];
    let mut size = 0;
    for l in 0..edges.len() {
        let mut seen = vec![false; right];
        if augment(l, edges, &mut matched, &mut seen, 0) {
            size += 1;
        }
    }
    size
}

fn augment(
    l: usize,
    edges: &[Vec<usize>],
    matched: &mut [Option<usize>],
    seen: &mut [bool],
    depth: usize,
) -> bool {
    if depth > edges.len() {
        return false;
    }
    for &r in edges.get(l).map(Vec::as_slice).unwrap_or(&[]) {
        if seen.get(r).copied().unwrap_or(true) {
            continue;
        }
        seen[r] = true;
        let free = match matched[r] {
            None => true,
            Some(other) => augment(other, edges, matched, seen, depth + 1),
        };
        if free {
            matched[r] = Some(l);
            return true;
        }
    }
    false
}

/// A text equal for equal JSON values (object keys sorted), for set membership.
pub(super) fn canonical(v: &Value) -> String {
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        Value::from(k.as_str()),
                        o.get(k).map(canonical).unwrap_or_default()
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}
