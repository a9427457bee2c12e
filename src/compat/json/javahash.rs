//! The iteration order of Java's `HashMap` / `HashSet` over string keys, which decides the
//! order in which Confluent's diff visits properties and dependencies (it iterates
//! `new HashSet<>(original keys)` + `addAll(update keys)`, and the loader's `HashMap`s).
//!
//! A Java hash table iterates bucket by bucket (bucket = spread hash masked by the table size),
//! and within a bucket in insertion order (resizing keeps that relative order). Treeified
//! buckets (8+ colliding keys in one bucket) are not modelled.

/// `String.hashCode()`: over UTF-16 code units, `h = 31 * h + c`, wrapping.
fn string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// `HashMap.hash()`: the high half folded into the low half.
fn spread(s: &str) -> u32 {
    let h = string_hash(s) as u32;
    h ^ (h >> 16)
}

/// `HashMap.tableSizeFor`: the smallest power of two at least `cap` (at least 1).
fn table_size_for(cap: usize) -> usize {
    cap.max(1)
        .checked_next_power_of_two()
        .unwrap_or(1 << 30)
        .min(1 << 30)
}

/// Grows `cap` the way `putVal` does until `n` entries fit under the 0.75 load factor.
fn grow(mut cap: usize, n: usize) -> usize {
    while n * 4 > cap * 3 && cap < (1 << 30) {
        cap *= 2;
    }
    cap
}

/// Table size of a `HashMap` filled by `n` `put`s from the default constructor.
pub(super) fn default_table(n: usize) -> usize {
    grow(16, n)
}

/// Table size of `new HashMap<>(otherMap)` / `new HashSet<>(collection)` of `initial` entries,
/// after `total` entries in all were added.
pub(super) fn copy_table(initial: usize, total: usize, as_set: bool) -> usize {
    let cap = if as_set {
        // HashSet(Collection): new HashMap<>(max((int) (n / .75f) + 1, 16))
        table_size_for(((initial as f32 / 0.75) as usize + 1).max(16))
    } else if initial == 0 {
        16
    } else {
        // HashMap(Map): threshold = tableSizeFor((int) (n / 0.75f + 1.0f))
        table_size_for((initial as f32 / 0.75 + 1.0) as usize)
    };
    grow(cap, total)
}

/// `keys` (in insertion order, no duplicates) in the order a Java hash table of `table`
/// buckets iterates them.
pub(super) fn order<S: AsRef<str>>(keys: Vec<S>, table: usize) -> Vec<S> {
    let mask = table.max(1) - 1;
    let mut indexed: Vec<(usize, usize, S)> = keys
        .into_iter()
        .enumerate()
        .map(|(i, k)| ((spread(k.as_ref()) as usize) & mask, i, k))
        .collect();
    indexed.sort_by_key(|(bucket, i, _)| (*bucket, *i));
    indexed.into_iter().map(|(_, _, k)| k).collect()
}

/// The iteration order of a `HashMap` built by `put`s of `keys` in that order.
pub(super) fn map_order<S: AsRef<str>>(keys: Vec<S>) -> Vec<S> {
    let table = default_table(keys.len());
    order(keys, table)
}

/// The iteration order of `new HashSet<>(first)` followed by `addAll(second)`; both already in
/// their own iteration order.
pub(super) fn union_order(first: &[String], second: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let keys: Vec<String> = first
        .iter()
        .chain(second)
        .filter(|k| seen.insert(k.as_str()))
        .cloned()
        .collect();
    let table = copy_table(first.len(), keys.len(), true);
    order(keys, table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_string_hash() {
        // "a".hashCode() == 97, "ab".hashCode() == 3105
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("ab"), 3105);
        assert_eq!(string_hash("polygenelubricants"), i32::MIN);
    }

    #[test]
    fn bucket_order() {
        // 16 buckets: "b" (98 -> 2) comes before "a"? no: 97 -> 1, 98 -> 2.
        assert_eq!(map_order(vec!["b", "a"]), vec!["a", "b"]);
        // "Aa" and "BB" collide: insertion order kept.
        assert_eq!(map_order(vec!["BB", "Aa"]), vec!["BB", "Aa"]);
    }
}
