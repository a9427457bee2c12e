#!/usr/bin/env python3
"""The layout rules of ARCHITECTURE.md, checked (run by .ci/run):

1. no file in src/ has more than 1,000 lines of code (non-blank, non-comment lines outside
   `#[cfg(test)]` items), and none in src/registry/ more than 600;
2. only src/http/, src/app.rs and src/main.rs use axum or `crate::http`;
3. src/registry.rs does not exist (the registry is the src/registry/ folder);
4. `registry` does not import `exporter` (the exporter worker depends on the registry, not
   the other way round).

Prints a table of the largest files and exits non-zero with one line per broken rule.
"""

import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
src = root / "src"
MAX_LOC = 1000
MAX_REGISTRY_LOC = 600


def code_lines(text):
    """Non-blank, non-comment lines, skipping `#[cfg(test)]` items (brace-matched)."""
    lines = text.splitlines()
    n = 0
    i = 0
    in_block_comment = False
    while i < len(lines):
        s = lines[i].strip()
        if in_block_comment:
            if "*/" in s:
                in_block_comment = False
            i += 1
            continue
        if s.startswith("/*"):
            in_block_comment = "*/" not in s
            i += 1
            continue
        if s.startswith("#[cfg(test)]"):
            # Skip the attribute and the item it guards: up to the matching closing brace,
            # or to the `;` of a `mod tests;` declaration.
            depth = 0
            opened = False
            i += 1
            while i < len(lines):
                t = re.sub(r'"(\\.|[^"\\])*"', '""', lines[i])
                t = t.split("//", 1)[0]
                depth += t.count("{") - t.count("}")
                opened = opened or "{" in t
                i += 1
                if (opened and depth <= 0) or (not opened and t.strip().endswith(";")):
                    break
            continue
        if s and not s.startswith("//"):
            n += 1
        i += 1
    return n


problems = []
sizes = []
for path in sorted(src.rglob("*.rs")):
    rel = path.relative_to(root).as_posix()
    text = path.read_text(encoding="utf-8")
    loc = code_lines(text)
    sizes.append((loc, rel))
    # A file holding only tests (tests.rs, *_tests.rs) counts as tests.
    is_test_file = path.name == "tests.rs" or path.name.endswith("_tests.rs")
    limit = MAX_REGISTRY_LOC if rel.startswith("src/registry/") else MAX_LOC
    if not is_test_file and loc > limit:
        problems.append(f"{rel}: {loc} lines of code (limit {limit})")
    allowed_http = rel.startswith("src/http/") or rel in ("src/app.rs", "src/main.rs")
    if not allowed_http:
        for no, line in enumerate(text.splitlines(), 1):
            code = line.split("//", 1)[0]
            if re.search(r"\baxum\b|crate::http\b", code):
                problems.append(f"{rel}:{no}: uses axum or crate::http outside http/, app.rs, main.rs")
    if rel.startswith("src/registry/") or rel == "src/registry.rs":
        for no, line in enumerate(text.splitlines(), 1):
            if re.search(r"crate::exporter\b", line.split("//", 1)[0]):
                problems.append(f"{rel}:{no}: the registry imports the exporter")

if (src / "registry.rs").exists():
    problems.append("src/registry.rs exists (the registry is the src/registry/ folder)")

print("largest files in src/ (lines of code, tests excluded):")
for loc, rel in sorted(sizes, reverse=True)[:12]:
    print(f"  {loc:6d}  {rel}")
if problems:
    print("\nlayout rules broken:")
    for p in problems:
        print(f"  {p}")
    sys.exit(1)
print("layout rules hold")
