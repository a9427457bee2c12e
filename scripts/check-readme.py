#!/usr/bin/env python3
"""Runs every command block of README.md (run by .ci/run through scripts/readme.sh).

    python3 scripts/check-readme.py [--readme PATH] [--list] [--only LINE] [--keep] [--verbose]

Conventions for README authors (Python 3.11 stdlib only):

Blocks
  ```sh (or bash, shell)  run, in document order, each as `bash -euo pipefail -c BLOCK`, in one
                          scratch directory shared by all blocks (a file one block writes, a
                          later one reads), stdin closed, timeout 120 s. Non-zero exit or
                          timeout fails the block (and the run, which goes on to the end).
  ```text, ```console,    not run, no directive needed (output examples). Data blocks
  untagged, data tags     (json, yaml, properties, proto, ...) are not run either unless a
                          file= directive writes them.
  ```python               must carry `python`, `file=` or `skip` (else the run fails), like
  (and js, go, ...)       every other tag of a runnable language: no block is silently ignored.

Directives: HTML comments on the line(s) directly above the fence (no blank line between;
one directive per comment; a `readme:` comment anywhere else, or an unknown one, fails the run):
  <!-- readme: skip -- REASON -->     not run; REASON (required) names where it is checked.
  <!-- readme: timeout=SECONDS -->    per-block timeout (for background: the wait for WAIT_FOR).
  <!-- readme: background -- WAIT_FOR -->
                                      starts a long-running process in its own process group,
                                      waits until its stdout+stderr contains WAIT_FOR (default
                                      wait 600 s if the block runs cargo, else 120 s), leaves it
                                      running for later blocks, kills it at the end. Its env has
                                      SR_LISTEN=127.0.0.1:<free port> unless the block mentions
                                      --listen/SR_LISTEN, and SR_STORE=sqlite://<tmp>/bg-N.db
                                      unless it mentions --store/SR_STORE/--config/SR_CONFIG
                                      (a properties file may choose the store).
  <!-- readme: file=NAME -->          the block (any tag) is written to <scratch>/NAME, after
                                      substitutions, instead of being run.
  <!-- readme: python -->             a ```python block is run as a script file in the scratch
                                      dir by $README_PYTHON (default .venv-clients/bin/python
                                      if it exists, else python3).

Environment and substitutions (in block text, before running or writing):
  - PATH starts with a directory holding `schema-registry` -> $SR_BIN (default
    target/release/schema-registry, relative to the repo root). SR_* variables of the caller
    are not passed on (so an exported SR_STORE changes nothing). REPO=<repo root>.
  - The script starts a registry first (`--listen 127.0.0.1:0 --store sqlite://<tmp>/registry.db`)
    and replaces `http://localhost:8081` with its URL (also exported as README_REGISTRY_URL).
  - `localhost:9092` is replaced by $KAFKA_BOOTSTRAP when set (scripts/readme.sh starts a broker).
  - cargo runs against the checkout from the scratch dir: `cargo install ... --path .` gets
    `--path "$REPO"`, `cargo run|build|test` get `--manifest-path "$REPO/Cargo.toml"`; blocks
    mentioning cargo run with CARGO_TARGET_DIR=<repo>/target and
    CARGO_INSTALL_ROOT=<tmp>/install (nothing lands in ~/.cargo/bin).
  Nothing else is changed.

Options: --readme PATH (default README.md of the repo), --list (each block and what would
happen, nothing run), --only LINE (only the block whose fence or directives are on LINE,
after the file= blocks above it), --keep (keep the scratch directory), --verbose (print every
block's output), --no-cargo (report blocks that run cargo as skipped: for a shared tree).
Output: `ok (line N, 0.4 s)`, `FAILED (line N): ...` with the block, its output's tail and the
registry's log tail, `skipped (line N): REASON`; last `README: N run, N skipped, N failed`.
Exit status: 0 all good, 1 a block or a directive failed, 2 the script could not start.
"""

import argparse
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

root = pathlib.Path(__file__).resolve().parent.parent

DEFAULT_TIMEOUT = 120.0
DEFAULT_BG_TIMEOUT = 120.0
DEFAULT_BG_CARGO_TIMEOUT = 600.0
REGISTRY_START_TIMEOUT = 30.0
SHELL_TAGS = {"sh", "bash", "shell"}
PYTHON_TAGS = {"python", "py", "python3"}
QUIET_TAGS = {"", "text", "console", "output", "plain", "plaintext", "txt"}
# Tags of languages one could run: such a block needs a directive (python/file/skip).
RUNNABLE_TAGS = PYTHON_TAGS | {
    "javascript", "js", "node", "typescript", "ts", "go", "java", "rust", "rs", "ruby", "rb",
    "zsh", "fish", "powershell", "pwsh", "ps1", "bat", "cmd", "perl", "php", "kotlin", "scala",
    "csharp", "cs", "c", "cpp", "sql",
}
DIRECTIVE_RE = re.compile(r"^\s*<!--\s*readme:(.*?)-->\s*$")
FENCE_RE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
TAIL_LINES = 40


class Block:
    def __init__(self, line, tag, text, directives, directive_lines):
        self.line = line  # 1-based line of the opening fence
        self.tag = tag
        self.text = text
        self.directives = directives  # [(line, raw text)]
        self.first_line = directive_lines[0] if directive_lines else line
        self.end_line = line
        self.action = None  # run | background | python | file | skip | none | error
        self.reason = ""
        self.timeout = None
        self.wait_for = None
        self.file_name = None
        self.errors = []


def parse(text):
    """Returns (blocks, errors): fenced blocks with their directives; errors about directives."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks, errors = [], []
    pending = []  # directive (line, text) on the lines directly above
    i = 0
    while i < len(lines):
        line = lines[i]
        m = DIRECTIVE_RE.match(line)
        if m:
            pending.append((i + 1, m.group(1).strip()))
            i += 1
            continue
        if "<!--" in line and "readme:" in line:
            errors.append(f"line {i + 1}: a readme: directive must be a whole line `<!-- readme: ... -->`")
        f = FENCE_RE.match(line)
        if f and not (f.group(2)[0] == "`" and "`" in f.group(3)):
            indent, fence, info = len(f.group(1)), f.group(2), f.group(3).strip()
            tag = info.split()[0].strip("{}.").lower() if info else ""
            body, j, closed = [], i + 1, False
            while j < len(lines):
                c = re.match(r"^\s*(`{3,}|~{3,})\s*$", lines[j])
                if c and c.group(1)[0] == fence[0] and len(c.group(1)) >= len(fence):
                    closed = True
                    break
                body.append(strip_indent(lines[j], indent))
                j += 1
            b = Block(i + 1, tag, "\n".join(body) + ("\n" if body else ""), pending, [l for l, _ in pending])
            b.end_line = j + 1
            if not closed:
                b.errors.append("the fence is never closed")
            blocks.append(b)
            pending = []
            i = j + 1
            continue
        for dl, d in pending:
            errors.append(f"line {dl}: directive `{d}` is not directly above a fence")
        pending = []
        i += 1
    for dl, d in pending:
        errors.append(f"line {dl}: directive `{d}` is not directly above a fence")
    for b in blocks:
        classify(b)
    return blocks, errors


def strip_indent(line, n):
    k = 0
    while k < n and k < len(line) and line[k] == " ":
        k += 1
    return line[k:]


def classify(b):
    kinds = []
    for dl, d in b.directives:
        if d == "skip" or d.startswith("skip ") or d.startswith("skip--"):
            reason = d[4:].strip()
            if reason.startswith("--"):
                reason = reason[2:].strip()
            else:
                reason = "" if not reason else reason
            if not reason:
                b.errors.append(f"line {dl}: `skip` needs a reason naming where the block is checked: `skip -- REASON`")
            b.reason = reason
            kinds.append("skip")
        elif d.startswith("timeout"):
            m = re.fullmatch(r"timeout\s*=\s*([0-9]+(?:\.[0-9]+)?)", d)
            if not m or float(m.group(1)) <= 0:
                b.errors.append(f"line {dl}: bad directive `{d}` (timeout=SECONDS)")
            else:
                b.timeout = float(m.group(1))
        elif d.startswith("background"):
            m = re.fullmatch(r"background\s*--\s*(.+)", d)
            if not m:
                b.errors.append(f"line {dl}: `background` needs the text to wait for: `background -- WAIT_FOR`")
            else:
                b.wait_for = m.group(1).strip()
            kinds.append("background")
        elif d.startswith("file"):
            m = re.fullmatch(r"file\s*=\s*(\S+)", d)
            name = m.group(1) if m else ""
            if not m or name.startswith("/") or ".." in pathlib.PurePosixPath(name).parts:
                b.errors.append(f"line {dl}: bad directive `{d}` (file=NAME, a relative path)")
            b.file_name = name
            kinds.append("file")
        elif d == "python":
            kinds.append("python")
        else:
            b.errors.append(f"line {dl}: unknown directive `{d}`")
    if len(kinds) > 1:
        b.errors.append(f"line {b.line}: conflicting directives: {', '.join(kinds)}")
    kind = kinds[0] if kinds else None
    if kind == "skip":
        b.action = "skip"
    elif kind == "file":
        b.action = "file"
    elif kind == "background":
        if b.tag not in SHELL_TAGS:
            b.errors.append(f"line {b.line}: `background` on a `{b.tag or 'untagged'}` block (only sh)")
        b.action = "background"
    elif kind == "python":
        if b.tag not in PYTHON_TAGS:
            b.errors.append(f"line {b.line}: `python` directive on a `{b.tag or 'untagged'}` block")
        b.action = "python"
    elif b.tag in SHELL_TAGS:
        b.action = "run"
    elif b.tag in PYTHON_TAGS:
        b.errors.append("python block without a directive (python, file=NAME or skip -- REASON)")
        b.action = "none"
    elif b.tag in RUNNABLE_TAGS:
        b.errors.append(f"`{b.tag}` block without a directive (file=NAME or skip -- REASON)")
        b.action = "none"
    else:
        b.action = "none"
    if b.errors:
        b.action = "error"


def describe(b):
    t = f"```{b.tag}" if b.tag else "untagged"
    if b.action == "error":
        return f"{t}: ERROR: " + "; ".join(b.errors)
    what = {
        "run": "run with bash",
        "background": f"run in the background until its output has {b.wait_for!r}",
        "python": "run with $README_PYTHON",
        "file": f"written to {b.file_name}",
        "skip": f"skipped: {b.reason}",
        "none": "not run (output/data)",
    }[b.action]
    if b.timeout and b.action in ("run", "background", "python"):
        what += f" (timeout {b.timeout:g} s)"
    return f"{t}: {what}"


def substitute(text, subs, shell):
    for old, new in subs:
        text = text.replace(old, new)
    if shell:
        text = re.sub(r"(\bcargo\s+install\b[^\n;&|]*?--path\s+)\.(?=\s|$)", r'\1"$REPO"', text)
        text = re.sub(r"\bcargo\s+(run|build|test)\b", r'cargo \1 --manifest-path "$REPO/Cargo.toml"', text)
    return text


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, n=TAIL_LINES):
    try:
        data = pathlib.Path(path).read_text(errors="replace")
    except OSError:
        return ""
    lines = data.splitlines()
    cut = lines[-n:]
    prefix = [f"[... {len(lines) - n} earlier lines]"] if len(lines) > n else []
    return "\n".join(prefix + cut)


def indent(text, pre="    | "):
    return "\n".join(pre + l for l in text.rstrip("\n").split("\n")) if text.strip() else pre + "(empty)"


def kill_group(proc, grace=10.0):
    """SIGTERM to the process group, SIGKILL after `grace` s."""
    if proc is None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def wait_for_output(proc, path, pattern, timeout):
    """Polls `path` until `pattern` (str or compiled re) is in it; returns the match text or None."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            data = pathlib.Path(path).read_text(errors="replace")
        except OSError:
            data = ""
        if isinstance(pattern, str):
            if pattern in data:
                return pattern
        else:
            m = pattern.search(data)
            if m:
                return m.group(1)
        if proc.poll() is not None or time.monotonic() >= deadline:
            return None
        time.sleep(0.1)


class Runner:
    def __init__(self, args, tmp, sr_bin):
        self.args = args
        self.tmp = tmp
        self.work = tmp / "work"
        self.logs = tmp / "logs"
        self.bin = tmp / "bin"
        for d in (self.work, self.logs, self.bin):
            d.mkdir()
        (self.bin / "schema-registry").symlink_to(sr_bin)
        self.sr_bin = sr_bin
        self.procs = []  # (label, Popen, log path) killed at the end
        self.registry = None
        self.registry_log = self.logs / "registry.stderr"
        self.url = None
        self.log_mark = 0
        self.subs = []
        self.n_run = self.n_skipped = self.n_failed = self.n_files = 0
        env = {k: v for k, v in os.environ.items() if not k.startswith("SR_")}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
        env["REPO"] = str(root)
        self.env = env
        py = os.environ.get("README_PYTHON")
        if py:
            self.python = str(root / py) if "/" in py and not py.startswith("/") else py
        elif (root / ".venv-clients/bin/python").exists():
            self.python = str(root / ".venv-clients/bin/python")
        else:
            self.python = "python3"

    def start_registry(self):
        out = self.logs / "registry.stdout"
        with open(out, "wb") as o, open(self.registry_log, "wb") as e:
            self.registry = subprocess.Popen(
                [str(self.sr_bin), "--listen", "127.0.0.1:0", "--store", f"sqlite://{self.tmp}/registry.db"],
                cwd=self.tmp, env={k: v for k, v in self.env.items() if k != "REPO"},
                stdin=subprocess.DEVNULL, stdout=o, stderr=e, start_new_session=True)
        self.procs.append(("registry", self.registry, self.registry_log))
        url = wait_for_output(self.registry, out, re.compile(r"listening on (https?://[^\s\"',]+)"), REGISTRY_START_TIMEOUT)
        if url is None:
            print("check-readme: the registry did not print `listening on http://...` within "
                  f"{REGISTRY_START_TIMEOUT:g} s:\n" + indent(tail(out) + "\n" + tail(self.registry_log)), file=sys.stderr)
            return False
        self.url = url.rstrip("/.")
        self.env["README_REGISTRY_URL"] = self.url
        self.subs = [("http://localhost:8081", self.url)]
        if os.environ.get("KAFKA_BOOTSTRAP"):
            self.subs.append(("localhost:9092", os.environ["KAFKA_BOOTSTRAP"]))
        print(f"== registry {self.url} ({self.sr_bin})")
        return True

    def block_env(self, b, text):
        env = dict(self.env)
        if "cargo" in text:
            env["CARGO_TARGET_DIR"] = str(root / "target")
            env["CARGO_INSTALL_ROOT"] = str(self.tmp / "install")
        if b.action == "background":
            if "--listen" not in text and "SR_LISTEN" not in text:
                env["SR_LISTEN"] = f"127.0.0.1:{free_port()}"
            if not any(w in text for w in ("--store", "SR_STORE", "--config", "SR_CONFIG")):
                env["SR_STORE"] = f"sqlite://{self.tmp}/bg-{b.line}.db"
        return env

    def fail(self, b, why, out=None, err=None, text=None, out_label="stdout"):
        self.n_failed += 1
        print(f"FAILED (line {b.line}): {why}")
        if text is not None:
            print(f"  block (README line {b.line}, ```{b.tag}):\n" + indent(text, "    > "))
        if out is not None:
            print(f"  {out_label} (tail):\n" + indent(tail(out)))
        if err is not None:
            print("  stderr (tail):\n" + indent(tail(err)))
        if self.registry is not None:
            state = "running" if self.registry.poll() is None else f"exited with {self.registry.returncode}"
            try:
                with open(self.registry_log, "rb") as f:
                    f.seek(self.log_mark)
                    new = f.read().decode(errors="replace").splitlines()[-15:]
            except OSError:
                new = []
            print(f"  registry {self.url} ({state}), its log during the block (tail):\n" + indent("\n".join(new)))
        for label, p, log in self.procs[1:]:
            if p.poll() is not None:
                print(f"  {label} exited with {p.returncode}, output tail:\n" + indent(tail(log, 10)))

    def write_file(self, b):
        text = substitute(b.text, self.subs, shell=False)
        path = self.work / b.file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        self.n_files += 1
        print(f"wrote {b.file_name} (line {b.line})")

    def run_block(self, b):
        try:
            self.log_mark = self.registry_log.stat().st_size
        except OSError:
            self.log_mark = 0
        if self.args.no_cargo and re.search(r"\bcargo\b", b.text):
            self.n_skipped += 1
            print(f"skipped (line {b.line}): --no-cargo")
            return
        self.n_run += 1
        shell = b.action in ("run", "background")
        if shell and re.search(r"\bcargo\s+install\b(?![^\n]*--locked)", b.text):
            print(f"warning (line {b.line}): `cargo install` without --locked ignores Cargo.lock, "
                  "re-resolves the dependencies and rebuilds them (minutes) into target/release")
        text = substitute(b.text, self.subs, shell=shell)
        env = self.block_env(b, text)
        if b.action == "python":
            script = self.work / f"readme-block-{b.line}.py"
            script.write_text(text)
            cmd = [self.python, script.name]
        else:
            # The ERR trap (on the block's first line, so that $LINENO stays the block's line)
            # names the command that stopped the block, which `set -e` alone does not.
            trap = ("trap 'echo \"check-readme: exit status $? at line $LINENO of the block (README line "
                    f"$(($LINENO + {b.line}))): $BASH_COMMAND\" >&2' ERR; ")
            cmd = ["bash", "-euo", "pipefail", "-c", trap + text]
        if b.action == "background":
            return self.run_background(b, cmd, env, text)
        out, err = self.logs / f"block-{b.line}.stdout", self.logs / f"block-{b.line}.stderr"
        timeout = b.timeout or DEFAULT_TIMEOUT
        start = time.monotonic()
        with open(out, "wb") as o, open(err, "wb") as e:
            p = subprocess.Popen(cmd, cwd=self.work, env=env, stdin=subprocess.DEVNULL,
                                 stdout=o, stderr=e, start_new_session=True)
        try:
            rc = p.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
            rc = None
        finally:
            kill_group(p, grace=5.0)  # also whatever the block left running in the background
        took = time.monotonic() - start
        if timed_out:
            self.fail(b, f"timed out after {timeout:g} s", out, err, text)
        elif rc != 0:
            self.fail(b, f"exit status {rc} after {took:.1f} s", out, err, text)
        else:
            print(f"ok (line {b.line}, {took:.1f} s)")
            if self.args.verbose:
                print(indent(pathlib.Path(out).read_text(errors="replace")) + "\n" + indent(pathlib.Path(err).read_text(errors="replace"), "    ! "))

    def run_background(self, b, cmd, env, text):
        log = self.logs / f"background-{b.line}.log"
        timeout = b.timeout or (DEFAULT_BG_CARGO_TIMEOUT if re.search(r"\bcargo\b", text) else DEFAULT_BG_TIMEOUT)
        start = time.monotonic()
        with open(log, "wb") as o:
            p = subprocess.Popen(cmd, cwd=self.work, env=env, stdin=subprocess.DEVNULL,
                                 stdout=o, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((f"background block of line {b.line}", p, log))
        found = wait_for_output(p, log, b.wait_for, timeout)
        took = time.monotonic() - start
        if found is None:
            why = (f"exited with {p.returncode} before printing {b.wait_for!r}" if p.poll() is not None
                   else f"did not print {b.wait_for!r} within {timeout:g} s")
            self.procs.remove((f"background block of line {b.line}", p, log))
            kill_group(p)
            self.fail(b, why, log, None, text, out_label="output (stdout+stderr)")
        else:
            extra = "".join(f", {k}={env[k]}" for k in ("SR_LISTEN", "SR_STORE") if k in env)
            print(f"ok (line {b.line}, {took:.1f} s, running in the background{extra})")
            if self.args.verbose:
                print(indent(pathlib.Path(log).read_text(errors="replace")))

    def finish(self):
        for label, p, log in reversed(self.procs):
            if label != "registry" and p.poll() is not None:
                print(f"note: the {label} had exited ({p.returncode}) before the end:\n" + indent(tail(log, 10)))
            kill_group(p)


def main():
    ap = argparse.ArgumentParser(description="Runs every command block of README.md (see the header of this file).")
    ap.add_argument("--readme", default=str(root / "README.md"))
    ap.add_argument("--list", action="store_true", help="print each block and what would happen; run nothing")
    ap.add_argument("--only", type=int, metavar="LINE", help="run only the block at README line LINE (after the file= blocks above it)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every block's output")
    ap.add_argument("--no-cargo", action="store_true", help="skip blocks that run cargo (reported as skipped)")
    args = ap.parse_args()

    readme = pathlib.Path(args.readme)
    try:
        blocks, errors = parse(readme.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        print(f"check-readme: cannot read {readme}: {e}", file=sys.stderr)
        return 2

    if args.list:
        for e in errors:
            print(f"ERROR {e}")
        for b in blocks:
            print(f"line {b.line}: {describe(b)}")
        bad = len(errors) + sum(b.action == "error" for b in blocks)
        return 1 if bad else 0

    selected = blocks
    if args.only is not None:
        target = [b for b in blocks if b.first_line <= args.only <= b.end_line]
        if not target:
            print(f"check-readme: no block at line {args.only} of {readme}", file=sys.stderr)
            return 2
        t = target[0]
        selected = [b for b in blocks if b.line < t.line and b.action == "file"] + [t]
        errors = []

    sr_bin = pathlib.Path(os.environ.get("SR_BIN", "target/release/schema-registry"))
    if not sr_bin.is_absolute():
        sr_bin = root / sr_bin
    if not os.access(sr_bin, os.X_OK):
        print(f"check-readme: no executable registry binary at {sr_bin} (cargo build --release, or set SR_BIN)", file=sys.stderr)
        return 2
    if not os.environ.get("KAFKA_BOOTSTRAP") and any("localhost:9092" in b.text for b in selected if b.action not in ("skip", "none")):
        print("check-readme: warning: KAFKA_BOOTSTRAP is not set; blocks naming localhost:9092 need a broker there "
              "(scripts/readme.sh starts one)", file=sys.stderr)

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="check-readme-"))
    runner = None

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)  # also when started with SIGINT ignored (a `&` job)
    try:
        runner = Runner(args, tmp, sr_bin)
        print(f"== {readme} ({len(selected)} blocks), scratch {runner.work}")
        for e in errors:
            runner.n_failed += 1
            print(f"FAILED ({e})")
        if not runner.start_registry():
            return 2
        for b in selected:
            if b.action == "error":
                runner.n_failed += 1
                print(f"FAILED (line {b.line}): " + "; ".join(b.errors))
            elif b.action == "skip":
                runner.n_skipped += 1
                print(f"skipped (line {b.line}): {b.reason}")
            elif b.action == "file":
                runner.write_file(b)
            elif b.action in ("run", "background", "python"):
                runner.run_block(b)
        print(f"README: {runner.n_run} run, {runner.n_skipped} skipped, {runner.n_failed} failed"
              f" ({runner.n_files} files written)")
        return 1 if runner.n_failed else 0
    except KeyboardInterrupt:
        print("check-readme: interrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip the clean-up
        if runner is not None:
            runner.finish()
        if args.keep:
            print(f"check-readme: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)


if __name__ == "__main__":
    sys.exit(main())
