//! 8.2's memoized comparison (`Context.compareMemoized` and the fixpoint of
//! `SchemaDiff.compare`), used under the lenient policy: the differences of a pair of schemas
//! are computed once, relative to the pair, and rebased onto the path where the pair is met
//! again; a pair met while it is still being compared counts as compatible (optimistically),
//! unless an earlier pass found it incompatible; passes repeat until the set of incompatible
//! pairs is stable.

use super::diff::{At, Differ, Diffs};
use super::difference::Difference;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// Most fixpoint passes (each pass is bounded by the step budget too).
const MAX_PASSES: usize = 32;

type Pair = (At, At);

#[derive(Default)]
pub(super) struct Memo {
    done: HashMap<Pair, Rc<Diffs>>,
    in_progress: HashSet<Pair>,
    seed: HashMap<Pair, Rc<Diffs>>,
    optimism: bool,
}

/// `Context.rebase`: a pair-relative path (`#/x`) under `prefix` (`#/a/b`).
fn rebase(prefix: &str, relative: &str) -> String {
    if relative.len() <= 2 {
        prefix.to_string()
    } else {
        format!("{prefix}/{}", relative.get(2..).unwrap_or_default())
    }
}

impl Differ<'_> {
    /// `SchemaDiff.compare(compatibleChanges, original, update)`: passes to a fixpoint.
    pub(super) fn fixpoint(&mut self, original: At, update: At) -> Diffs {
        let mut out = Diffs::new();
        for _ in 0..MAX_PASSES {
            self.memo.done.clear();
            self.memo.in_progress.clear();
            self.memo.optimism = false;
            out.clear();
            self.compare(&mut out, Some(original), Some(update));
            if self.error.is_some() {
                break;
            }
            let incompatible: HashMap<Pair, Rc<Diffs>> = self
                .memo
                .done
                .iter()
                .filter(|(_, d)| !d.is_empty())
                .map(|(k, d)| (*k, d.clone()))
                .collect();
            let same = incompatible.len() == self.memo.seed.len()
                && incompatible.keys().all(|k| self.memo.seed.contains_key(k));
            if !self.memo.optimism || same {
                break;
            }
            self.memo.seed = incompatible;
        }
        out
    }

    /// `Context.compareMemoized` + `addDifferencesRebased`.
    pub(super) fn memoized(&mut self, out: &mut Diffs, original: At, update: At) {
        let key = (original, update);
        let relative = if let Some(d) = self.memo.done.get(&key) {
            d.clone()
        } else if !self.memo.in_progress.insert(key) {
            match self.memo.seed.get(&key) {
                Some(d) => d.clone(),
                None => {
                    self.memo.optimism = true;
                    return;
                }
            }
        } else {
            let saved = std::mem::take(&mut self.path);
            let mut sub = Diffs::new();
            self.compare_types(&mut sub, original, update);
            self.path = saved;
            self.memo.in_progress.remove(&key);
            let sub = Rc::new(sub);
            self.memo.done.insert(key, sub.clone());
            sub
        };
        if self.path.is_empty() {
            out.extend(relative.iter().cloned());
        } else {
            let prefix = format!("#/{}", self.path.join("/"));
            out.extend(relative.iter().map(|d| Difference {
                kind: d.kind,
                path: rebase(&prefix, &d.path),
            }));
        }
    }
}
