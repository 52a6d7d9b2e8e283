#!/usr/bin/env python3
"""doctest.py FUNDTRACE SOURCE_DIR WORK_DIR readme|man

Runs the examples of the documentation, as Rust's doctests run the code in
its docs, so that an example that no longer works fails the build.

readme: every fenced block of README.md opened with "```sh doctest" runs,
in order, in one directory holding a copy of data/ and build/fundtrace
(the program under test), as a new user would run them from a clone.

man: the EXAMPLES of each page in man/ run in a directory of their own
holding what the examples name: data/, case.ftg (the sample's snapshot),
bank.ftg, alerts.jsonl (its alerts), seeds.txt, export.csv (the sample
with other column names and a broken row) and day.csv.gz; `fundtrace` is
the program under test. fundtrace-synth(1) is left out: its examples
write ten million rows.

Each command (a line, with backslash continuations) must exit 0, or the
status its trailing comment names ("# exit 1: nothing new"). A command
that pipes into a program that is not installed (jq), or draws with
Graphviz (--svg, dot) where it is not installed, is skipped and said so.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys

ft, src, work, what = sys.argv[1:5]
ft = os.path.abspath(ft)
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)


def readme_blocks():
    blocks, cur = [], None
    for line in open(os.path.join(src, "README.md")):
        if cur is None and re.match(r"^```sh doctest\s*$", line):
            cur = []
        elif cur is not None and line.startswith("```"):
            blocks.append(cur)
            cur = None
        elif cur is not None:
            cur.append(line.rstrip("\n"))
    return blocks


def man_blocks(page):
    text = open(page).read().split("\n")
    blocks, cur, inside = [], None, False
    for line in text:
        if line.startswith(".SH"):
            inside = line.strip() == ".SH EXAMPLES"
            continue
        if not inside:
            continue
        if line.startswith(".nf"):
            cur = []
        elif line.startswith(".fi") and cur is not None:
            blocks.append(cur)
            cur = None
        elif cur is not None:
            cur.append(line.replace("\\-", "-").replace("\\e", "\\").replace("\\(aq", "'")
                       .replace("\\(dq", '"').replace("\\&", ""))
    return blocks


def complete(text):
    """Whether the shell text is a whole command (not the start of a loop)."""
    p = subprocess.run(["sh", "-n", "-c", text], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = p.stderr.decode()
    return not ("end of file" in err or "unexpected end" in err)


def commands(block):
    """Logical commands: continuations and compound commands (for ... done)
    joined, comment-only lines dropped."""
    out, cur = [], ""
    for line in block:
        if not cur and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cur += line
        if complete(cur):
            out.append(cur)
            cur = ""
        else:
            cur += "\n"
    if cur:
        out.append(cur)
    return out


def have(prog, env, cwd):
    """A program, builtin or keyword of the shell (command -v knows all)."""
    return subprocess.run(["sh", "-c", 'command -v "$1" >/dev/null', "sh", prog], env=env, cwd=cwd,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def missing_tool(cmd, env, cwd):
    """The program a pipeline needs that is not installed, or None."""
    code = cmd.split(" #")[0]
    try:
        words = shlex.split(code)
    except ValueError:
        return None
    if ("--svg" in words or "dot" in words) and not have("dot", env, cwd):
        return "dot"
    for i, w in enumerate(words):
        if (i == 0 or words[i - 1] == "|") and not have(w, env, cwd):
            return w
    return None


def run_block(cmds, cwd, env, name):
    failed = 0
    for cmd in cmds:
        want = 0
        m = re.search(r"#\s*exit\s+(\d+)", cmd)
        if m:
            want = int(m.group(1))
        tool = missing_tool(cmd, env, cwd)
        if tool:
            print("%s: skipped (no %s): %s" % (name, tool, cmd))
            continue
        try:
            p = subprocess.run(["sh", "-c", cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=300)
        except subprocess.TimeoutExpired:
            print("%s: FAIL (timed out): %s" % (name, cmd))
            failed += 1
            continue
        if p.returncode != want:
            print("%s: FAIL (exit %d, not %d): %s\n%s" % (name, p.returncode, want, cmd,
                                                          p.stderr.decode()[-2000:]))
            failed += 1
        else:
            print("%s: ok: %s" % (name, cmd))
    return failed


def fresh_dir(name):
    d = os.path.join(work, name)
    os.makedirs(d)
    shutil.copytree(os.path.join(src, "data"), os.path.join(d, "data"))
    os.makedirs(os.path.join(d, "build"))
    os.symlink(ft, os.path.join(d, "build", "fundtrace"))
    return d


def env_with_fundtrace(d):
    env = dict(os.environ)
    env["PATH"] = os.path.join(d, "build") + os.pathsep + env.get("PATH", "")
    env["MANPAGER"] = env["PAGER"] = "cat"
    return env


def must(args, cwd, **kw):
    subprocess.run(args, cwd=cwd, check=True, **kw)


def man_fixture(d):
    """What the man pages' examples name."""
    sample = os.path.join(d, "data", "sample.csv")
    must([ft, "load", "-q", sample, "-o", "case.ftg"], d, stdout=subprocess.DEVNULL)
    shutil.copy(os.path.join(d, "case.ftg"), os.path.join(d, "bank.ftg"))
    with open(os.path.join(d, "alerts.jsonl"), "w") as f:
        must([ft, "scan", "-q", "--format", "jsonl", "case.ftg"], d, stdout=f,
             stderr=subprocess.DEVNULL)
    with open(os.path.join(d, "seeds.txt"), "w") as f:
        f.write("DE28657181053065129795\nDE91954028166315827403\n")
    lines = open(sample).read().split("\n")
    lines[0] = "txn_id,Booking Date,Payer,Payee,Sum,currency,channel,memo,label"
    lines[5] = lines[5].replace("2024-03-01", "2024-02-30")
    with open(os.path.join(d, "export.csv"), "w") as f:
        f.write("\n".join(lines))
    with open(os.path.join(d, "day.csv.gz"), "wb") as f:
        must(["gzip", "-c", sample], d, stdout=f)


failed = 0
if what == "readme":
    d = fresh_dir("readme")
    env = env_with_fundtrace(d)
    blocks = readme_blocks()
    if not blocks:
        sys.exit("FAIL: README.md has no ```sh doctest block")
    n = 0
    for b in blocks:
        cmds = commands(b)
        n += len(cmds)
        failed += run_block(cmds, d, env, "README")
    print("README: %d commands in %d blocks, %d failed" % (n, len(blocks), failed))
else:
    pages = sorted(p for p in os.listdir(os.path.join(src, "man")) if p.endswith(".1"))
    n = 0
    for page in pages:
        if page == "fundtrace-synth.1":
            continue
        blocks = man_blocks(os.path.join(src, "man", page))
        if not blocks:
            print("%s: no EXAMPLES" % page)
            continue
        d = fresh_dir(page)
        man_fixture(d)
        env = env_with_fundtrace(d)
        for b in blocks:
            cmds = commands(b)
            n += len(cmds)
            failed += run_block(cmds, d, env, page)
    print("man pages: %d commands, %d failed" % (n, failed))
sys.exit(1 if failed else 0)
