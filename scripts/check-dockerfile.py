#!/usr/bin/env python3
"""Checks the Dockerfile without a container engine (run by .ci/run).

1. Every `COPY` source from the build context exists and is not excluded by
   `.dockerignore` (Docker's rules: patterns relative to the context root, `*`, `?`, `**`,
   a leading `!` re-includes; the last matching pattern decides).
2. With `--build`: the first stage is replayed on the host: its `COPY` lines copy the same
   files into a scratch directory laid out as its `WORKDIR`, and its `RUN` lines run there
   with bash, in order, with the same commands and flags. `CARGO_TARGET_DIR` points at this
   checkout's `target/` so that compiled dependencies are reused; the binary the final stage
   copies (`/src/target/release/…`) must exist afterwards.

Exits non-zero with one line per problem.
"""

import fnmatch
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

root = pathlib.Path(__file__).resolve().parent.parent


def instructions(text):
    """(keyword, arguments) per instruction, continuation lines joined, comments dropped."""
    out, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, args = current.partition(" ")
        out.append((keyword.upper(), args.strip()))
        current = ""
    return out


def ignore_patterns():
    path = root / ".dockerignore"
    if not path.exists():
        return []
    patterns = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip("/"))
        patterns.append((negate, pattern))
    return patterns


def pattern_matches(pattern, path):
    """Docker matches a pattern against the path and each of its parent directories."""
    regex = re.escape(pattern).replace(r"\*\*", "\0").replace(r"\*", "[^/]*")
    regex = regex.replace(r"\?", "[^/]").replace("\0", ".*")
    parts = path.split("/")
    return any(
        re.fullmatch(regex, "/".join(parts[:i])) for i in range(1, len(parts) + 1)
    )


def excluded(path, patterns):
    verdict = False
    for negate, pattern in patterns:
        if pattern_matches(pattern, path):
            verdict = not negate
    return verdict


def copy_sources(args):
    """The context sources of a COPY (None for `COPY --from=…`)."""
    words = shlex.split(args)
    if any(w.startswith("--from") for w in words):
        return None, None
    words = [w for w in words if not w.startswith("--")]
    return words[:-1], words[-1]


def check_sources(steps, patterns):
    problems = []
    for keyword, args in steps:
        if keyword not in ("COPY", "ADD"):
            continue
        sources, _ = copy_sources(args)
        for src in sources or []:
            rel = os.path.normpath(src)
            matches = [p for p in root.glob(rel)] if any(c in rel for c in "*?[") else [root / rel]
            if not matches or not all(m.exists() for m in matches):
                problems.append(f"COPY {src}: not in the build context")
                continue
            for m in matches:
                r = str(m.relative_to(root))
                if excluded(r, patterns):
                    problems.append(f"COPY {src}: excluded by .dockerignore")
    return problems


def first_stage(steps):
    stage, seen_from = [], False
    for keyword, args in steps:
        if keyword == "FROM":
            if seen_from:
                break
            seen_from = True
            continue
        stage.append((keyword, args))
    return stage


def replay_build(steps, patterns):
    problems = []
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="docker-build-"))
    workdir = scratch
    env = dict(os.environ, CARGO_TARGET_DIR=str(root / "target"))
    try:
        for keyword, args in first_stage(steps):
            if keyword == "WORKDIR":
                workdir = scratch / args.lstrip("/")
                workdir.mkdir(parents=True, exist_ok=True)
            elif keyword in ("COPY", "ADD"):
                sources, dest = copy_sources(args)
                target = workdir / dest if not dest.startswith("/") else scratch / dest.lstrip("/")
                for src in sources or []:
                    s = root / src
                    if s.is_dir():
                        d = target if len(sources) == 1 and not dest.endswith("/") else target / s.name
                        shutil.copytree(
                            s,
                            d,
                            dirs_exist_ok=True,
                            ignore=lambda d, names: [
                                n for n in names
                                if excluded(str((pathlib.Path(d) / n).relative_to(root)), patterns)
                            ],
                        )
                    else:
                        target.mkdir(parents=True, exist_ok=True) if dest.endswith("/") else target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(s, target / s.name if dest.endswith("/") else target)
            elif keyword == "RUN":
                print(f"+ RUN {args}", flush=True)
                r = subprocess.run(["bash", "-euo", "pipefail", "-c", args], cwd=workdir, env=env)
                if r.returncode != 0:
                    problems.append(f"RUN {args[:80]}…: exit {r.returncode}")
                    return problems
        binary = root / "target" / "release" / "schema-registry"
        if not binary.exists():
            problems.append("the build stage left no target/release/schema-registry")
        else:
            # The real binary, not the dependency layer's stub.
            r = subprocess.run([str(binary), "--help"], capture_output=True, text=True)
            if r.returncode != 0 or "Usage" not in r.stdout:
                problems.append("target/release/schema-registry is not the registry (a stub?)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return problems


def main():
    steps = instructions((root / "Dockerfile").read_text())
    patterns = ignore_patterns()
    problems = check_sources(steps, patterns)
    if not problems and "--build" in sys.argv[1:]:
        problems += replay_build(steps, patterns)
    for p in problems:
        print(f"Dockerfile: {p}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print("Dockerfile checks hold")


if __name__ == "__main__":
    main()
