//! Java's `HashMap`/`HashSet` iteration order, which decides the order in which Confluent's
//! diff visits message names, enum names, oneof names and tags (it puts declarations into
//! `HashMap`s, then iterates `new HashSet<>(original.keySet())` after `addAll(update.keySet())`).
//!
//! A Java hash table iterates bucket by bucket (bucket = `h ^ (h >>> 16)` masked by the table
//! size) and within a bucket in insertion order (resizing keeps that order). Treeified buckets
//! (8+ keys in one bucket of a table of 64+) are not modelled.

use std::collections::HashMap;
use std::hash::Hash;

/// `hashCode()` of the Java boxed key.
pub(super) trait JavaHash {
    fn java_hash(&self) -> i32;
}

impl JavaHash for i32 {
    /// `Integer.hashCode()`: the value.
    fn java_hash(&self) -> i32 {
        *self
    }
}

impl JavaHash for String {
    /// `String.hashCode()`: over UTF-16 code units, `h = 31 * h + c`, wrapping.
    fn java_hash(&self) -> i32 {
        self.encode_utf16()
            .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
    }
}

fn bucket<K: JavaHash>(k: &K, table: usize) -> usize {
    let h = k.java_hash() as u32;
    ((h ^ (h >> 16)) as usize) & (table.max(1) - 1)
}

/// `HashMap.tableSizeFor`.
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

/// `keys` (insertion order, distinct) in the order a table of `table` buckets iterates them.
fn order<K: JavaHash + Clone>(keys: &[K], table: usize) -> Vec<K> {
    let mut indexed: Vec<(usize, usize, &K)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (bucket(k, table), i, k))
        .collect();
    indexed.sort_by_key(|(b, i, _)| (*b, *i));
    indexed.into_iter().map(|(_, _, k)| k.clone()).collect()
}

/// A `HashMap` filled by `put`s from the default constructor: a later put of a key replaces
/// its value and keeps its place; removals do not shrink the table.
#[derive(Debug)]
pub(super) struct JavaMap<K, V> {
    keys: Vec<K>,
    values: HashMap<K, V>,
    table: usize,
}

impl<K: JavaHash + Clone + Eq + Hash, V> JavaMap<K, V> {
    pub(super) fn new() -> Self {
        JavaMap {
            keys: Vec::new(),
            values: HashMap::new(),
            table: 16,
        }
    }

    pub(super) fn put(&mut self, k: K, v: V) {
        if self.values.insert(k.clone(), v).is_none() {
            self.keys.push(k);
            self.table = grow(self.table, self.values.len());
        }
    }

    pub(super) fn get(&self, k: &K) -> Option<&V> {
        self.values.get(k)
    }

    pub(super) fn remove(&mut self, k: &K) -> Option<V> {
        let v = self.values.remove(k)?;
        self.keys.retain(|x| x != k);
        Some(v)
    }

    pub(super) fn len(&self) -> usize {
        self.values.len()
    }

    /// `keySet()` in iteration order.
    pub(super) fn key_order(&self) -> Vec<K> {
        order(&self.keys, self.table)
    }

    /// `new HashMap<>(this)` followed by `put`s of `more` (the keys not already present): the
    /// iteration order of the copy.
    pub(super) fn copy_then_put(&self, more: &[K]) -> Vec<K> {
        let n = self.len();
        let initial = if n == 0 {
            16
        } else {
            table_size_for((n as f32 / 0.75 + 1.0) as usize)
        };
        let mut keys = self.key_order();
        for k in more {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        order(&keys, grow(initial, keys.len()))
    }
}

/// `new HashSet<>(a.keySet())` then `addAll(b.keySet())`: the iteration order of the union.
pub(super) fn union_order<K, V, W>(a: &JavaMap<K, V>, b: &JavaMap<K, W>) -> Vec<K>
where
    K: JavaHash + Clone + Eq + Hash,
{
    let first = a.key_order();
    let initial = table_size_for(((first.len() as f32 / 0.75) as usize + 1).max(16));
    let mut seen: std::collections::HashSet<K> = first.iter().cloned().collect();
    let mut keys = first;
    for k in b.key_order() {
        if seen.insert(k.clone()) {
            keys.push(k);
        }
    }
    let table = grow(initial, keys.len());
    order(&keys, table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_and_int_hashes() {
        assert_eq!("ab".to_string().java_hash(), 3105);
        assert_eq!(7i32.java_hash(), 7);
    }

    #[test]
    fn small_tags_iterate_ascending_and_large_ones_by_bucket() {
        let mut a: JavaMap<i32, ()> = JavaMap::new();
        for t in [3, 1, 2] {
            a.put(t, ());
        }
        assert_eq!(a.key_order(), vec![1, 2, 3]);
        let mut b: JavaMap<i32, ()> = JavaMap::new();
        for t in [17, 1, 100] {
            b.put(t, ());
        }
        // 16 buckets: 17 and 1 share bucket 1 (insertion order), 100 is in bucket 4.
        assert_eq!(b.key_order(), vec![17, 1, 100]);
        let empty: JavaMap<i32, ()> = JavaMap::new();
        assert_eq!(union_order(&empty, &b), vec![17, 1, 100]);
    }

    #[test]
    fn negative_enum_numbers_spread() {
        // -1: 0xFFFFFFFF ^ 0x0000FFFF = 0xFFFF0000, bucket 0.
        let mut m: JavaMap<i32, ()> = JavaMap::new();
        m.put(1, ());
        m.put(-1, ());
        assert_eq!(m.key_order(), vec![-1, 1]);
    }
}
