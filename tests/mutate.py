#!/usr/bin/env python3
"""mutate.py - mutation testing of fundtrace's library code.

Makes one small, realistic change (a mutant) at a time to a C file of src/,
on a scratch copy of the tree, rebuilds incrementally, runs the fast test
suite and records whether the suite noticed (killed) or not (survived).
The share of mutants killed, per module and overall, is the mutation score.

Mutants, by kind:
  boundary   < <-> <=, > <-> >=
  condition  == <-> !=, && <-> ||, a comparison negated (< -> >=), a '!'
             removed, an if's condition negated or the check removed (0)
  operator   + <-> -, * <-> /, % -> *, += <-> -=, << <-> >>, & <-> |,
             ++ <-> --, floor <-> ceil, fmin <-> fmax
  constant   an integer n -> n+1 and n-1 (0 -> 1, 1 -> 0 and 2), a real
             x -> 2x (0 -> 1), true <-> false

Not mutated: comments, strings, #include and #if lines; the arguments of
assert(), __attribute__ and the allocation calls (how much to allocate is
the sanitizer suite's business); array sizes in declarations and the
initializers of array tables (data, not logic: currency exponents, names);
and the statements that only handle running out of memory (an if whose
body reports ENOMEM or whose condition checks an allocation): the suite
does not fail allocations.

The sample: for a seed, the mutants of each file are shuffled and the files
get shares of --count proportional to how many mutants they have (at
least one each); a file's mutants are tried in their shuffled order until
its share compiled. The same seed and sources give the same sample, on
any machine. Mutants are named by a hash of the file, the text of the line
(not its number, which moves as code is edited), the position in the
line, and the change; tests/mutate-equivalent.txt lists those that cannot
be killed because they change nothing observable, with the reason.

The state file (one JSON object a line) records every result; an
interrupted run started again with the same arguments resumes where it
stopped; --rerun-survivors runs the survivors again after tests were
added, --rerun ID just the one named. Timed-out mutants (an endless loop) count as killed, mutants that
do not compile are not counted at all.

The scratch copy is built without -Werror (a mutant may warn), with the
library shared and the programs not relinked when it changes
(CMAKE_LINK_DEPENDS_NO_SHARED), with Ninja when there is one. Each mutant
then costs one compile, one library link and the suite, stopped at the
first failure: first the tests that killed this file's mutants before and
the file's unit test, then the rest. Tests that fail without a mutant are
left out, with a warning.
"""

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FAST_EXCLUDE = "sanitizers|release_|hostile|faults|mutate"

# --- C tokens -----------------------------------------------------------------

TOKEN = re.compile(
    r"""
     (?P<ws>[ \t\r\f\v]+|\n)
    |(?P<comment>//[^\n]*|/\*.*?\*/)
    |(?P<str>"(?:\\.|[^"\\\n])*")
    |(?P<chr>'(?:\\.|[^'\\\n])+')
    |(?P<num>(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[uUlLfF]*)
    |(?P<id>[A-Za-z_]\w*)
    |(?P<op><<=|>>=|\.\.\.|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^]=
         |[-+*/%&|^!~<>=?:;,.(){}\[\]\#\\])
    |(?P<other>.)
    """,
    re.S | re.X,
)

KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "_Bool", "_Static_assert", "_Alignof",
    "_Atomic", "_Thread_local", "bool",
}
BUILTIN_TYPES = {
    "char", "short", "int", "long", "float", "double", "void", "signed", "unsigned", "_Bool",
    "bool", "const", "volatile", "FILE", "DIR", "va_list", "igraph_t", "z_stream", "pcre2_code",
    "xmlTextReaderPtr", "xmlDocPtr", "xmlNodePtr", "pthread_t", "regex_t",
}
ALLOC = re.compile(r"\b(malloc|calloc|realloc|strdup|strndup|FT_ARRAY_GROW|ft_array_grow"
                   r"|open_memstream|igraph_vector\w*_init)\b")
# Calls whose arguments are not mutated: checks of our own bugs, compiler
# attributes, allocation sizes (under- and over-allocation are the
# sanitizer suite's business).
NOT_MUTATED_CALLS = {"assert", "_Static_assert", "static_assert", "__attribute__", "malloc",
                     "calloc", "realloc", "FT_ARRAY_GROW", "ft_array_grow"}
OOM_BODY = re.compile(r"ft_error_oom|ENOMEM|\boom\b|rather than fail")


class Tok:
    __slots__ = ("kind", "text", "start", "end", "line")

    def __init__(self, kind, text, start, end, line):
        self.kind, self.text, self.start, self.end, self.line = kind, text, start, end, line


def tokenize(src):
    """Significant tokens of C source `src`; preprocessor lines other than
    #define are dropped, #define keeps only its numbers (marked 'pp')."""
    toks = []
    line = 1
    pos = 0
    bol = True  # at the beginning of a line (only blanks before)
    pp = None  # None, 'define' or 'skip' while in a preprocessor line
    n = len(src)
    while pos < n:
        m = TOKEN.match(src, pos)
        kind = m.lastgroup
        text = m.group()
        start, pos = pos, m.end()
        if kind == "ws":
            if text == "\n":
                line += 1
                bol = True
                if pp and not src[:start].rstrip(" \t\r").endswith("\\"):
                    pp = None
            continue
        if kind == "comment":
            line += text.count("\n")
            continue
        if bol and text == "#":
            m2 = re.compile(r"[ \t]*(\w+)").match(src, pos)
            pp = "define" if m2 and m2.group(1) == "define" else "skip"
            bol = False
            continue
        bol = False
        if pp == "skip" or text == "\\":
            line += text.count("\n")
            continue
        if pp == "define":
            if kind == "num":
                toks.append(Tok("pp", text, start, pos, line))
            continue
        toks.append(Tok(kind, text, start, pos, line))
        line += text.count("\n")
    return toks


def match_close(toks, i):
    """Index of the bracket closing the one at toks[i]."""
    opening = toks[i].text
    closing = {"(": ")", "[": "]", "{": "}"}[opening]
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].text == opening:
            depth += 1
        elif toks[j].text == closing:
            depth -= 1
            if depth == 0:
                return j
    return len(toks) - 1


def statement_end(toks, i):
    """Index of the last token of the statement starting at toks[i]."""
    if i >= len(toks):
        return len(toks) - 1
    if toks[i].text == "{":
        return match_close(toks, i)
    if toks[i].text in ("if", "while", "for", "switch") and i + 1 < len(toks):
        j = match_close(toks, i + 1)
        end = statement_end(toks, j + 1)
        if toks[i].text == "if" and end + 1 < len(toks) and toks[end + 1].text == "else":
            end = statement_end(toks, end + 2)
        return end
    depth = 0
    for j in range(i, len(toks)):
        t = toks[j].text
        if t in "([{":
            depth += 1
        elif t in ")]}":
            depth -= 1
        elif t == ";" and depth <= 0:
            return j
    return len(toks) - 1


DECL_START = {"static", "const", "struct", "enum", "union", "unsigned", "signed", "extern",
              "volatile", "register", "_Thread_local"}


def declares(toks, i, types):
    """True when the '[' at toks[i] sizes an array in a declaration (char
    a[8], b[16];), not an index (x = a[1];, uint32_t v = a[1];)."""
    depth = 0
    comma = False
    j = i - 1
    while j >= 0:
        x = toks[j].text
        if toks[j].kind == "pp":
            break  # a #define's number ends what comes before
        if x == "}" and depth == 0 and toks[j + 1].text != ",":
            break  # the end of a block (not of an initializer): a statement starts after it
        if x in ")]}":
            depth += 1
        elif x in "([{":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and x == ";":
            break
        elif depth == 0 and x == ",":
            comma = True  # another declarator: its initializer is not ours
        elif depth == 0 and x == "=" and not comma:
            return False  # in an initializer
        j -= 1
    first = toks[j + 1] if j + 1 < i else None
    if first is None:
        return False
    second = toks[j + 2] if j + 2 < i else None
    if first.kind == "id" and first.text not in KEYWORDS and second is not None and \
            second.kind == "id":
        return True  # a type we do not know, then the name: PCRE2_UCHAR msg[256]
    if j >= 0 and toks[j].text == "(" and not (first.text in DECL_START or is_type(first, types)):
        return False
    return first.text in DECL_START or is_type(first, types)


def typedef_names(paths):
    """Type names declared with typedef in `paths` (for telling a pointer
    declaration from a product)."""
    names = set(BUILTIN_TYPES)
    for p in paths:
        try:
            with open(p, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        for m in re.finditer(r"\btypedef\b[^;{}]*?(\w+)\s*(?:\[[^\]]*\])?\s*;", text, re.S):
            names.add(m.group(1))
        for m in re.finditer(r"\btypedef\b[^;{]*\(\s*\*\s*(\w+)\s*\)", text):
            names.add(m.group(1))
        # typedef struct x { ... } x;
        for m in re.finditer(r"\btypedef\s+(?:struct|union|enum)\b[^;{]*\{", text):
            depth, k = 1, m.end()
            while depth and k < len(text):
                depth += {"{": 1, "}": -1}.get(text[k], 0)
                k += 1
            name = re.match(r"\s*(\w+)", text[k:])
            if name:
                names.add(name.group(1))
    return names


# --- mutants -----------------------------------------------------------------

BOUNDARY = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
BINARY = {"+": ["-"], "-": ["+"], "*": ["/"], "/": ["*"], "%": ["*"], "<<": [">>"], ">>": ["<<"],
          "&": ["|"], "|": ["&"], "^": ["|"]}
ASSIGN = {"+=": "-=", "-=": "+=", "*=": "/=", "/=": "*=", "|=": "&=", "&=": "|=", "<<=": ">>=",
          ">>=": "<<=", "^=": "|="}
CALLS = {"floor": "ceil", "ceil": "floor", "fmin": "fmax", "fmax": "fmin", "floorl": "ceill",
         "ceill": "floorl"}


class Mutant:
    __slots__ = ("file", "line", "start", "end", "orig", "repl", "kind", "text", "id")

    def to_json(self):
        return {"id": self.id, "file": self.file, "line": self.line, "kind": self.kind,
                "orig": self.orig, "repl": self.repl, "text": self.text}

    def describe(self):
        return "%s:%d: %s '%s' -> '%s' in `%s`" % (self.file, self.line, self.kind, self.orig,
                                                   self.repl, self.text)


def is_type(tok, types):
    return tok.kind == "id" and (tok.text in types or tok.text.endswith("_t"))


def is_operand_end(tok, types):
    """True when `tok` can end an operand, so that an operator after it is
    binary."""
    if tok.kind in ("num", "str", "chr"):
        return True
    if tok.kind == "id":
        return tok.text not in KEYWORDS and not is_type(tok, types)
    return tok.text in (")", "]")


def int_value(text):
    m = re.match(r"(0[xX][0-9a-fA-F]+|\d+)([uUlL]*)$", text)
    if not m:
        return None
    digits, suffix = m.groups()
    if digits.lower().startswith("0x"):
        return int(digits, 16), suffix, "hex"
    if len(digits) > 1 and digits.startswith("0"):
        return None  # octal: leave alone
    return int(digits), suffix, "dec"


def int_text(v, suffix, base):
    return ("0x%X" % v if base == "hex" else str(v)) + suffix


def real_double(text):
    m = re.match(r"((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([fFlL]?)$", text)
    if not m:
        return None
    v = float(m.group(1))
    if v == 0:
        return "1.0" + m.group(2)
    return repr(v * 2) + m.group(2)


def enumerate_mutants(rel, src, types):
    """Every mutant of the C source `src` (the file named `rel`), in source
    order."""
    toks = tokenize(src)
    skip = [False] * len(toks)
    sizes = set()  # array sizes in declarations: not mutated, but no reason to skip an if
    # assert()s, array sizes in declarations, out-of-memory handling
    for i, t in enumerate(toks):
        if t.kind == "id" and t.text in NOT_MUTATED_CALLS and \
                i + 1 < len(toks) and toks[i + 1].text == "(":
            for k in range(i, match_close(toks, i + 1) + 1):
                skip[k] = True
        if t.text == "[" and i >= 1 and (toks[i - 1].kind == "id" or toks[i - 1].text == "]") \
                and declares(toks, i, types):
            sizes.update(range(i, match_close(toks, i) + 1))
        if t.text == "{" and i >= 2 and toks[i - 1].text == "=" and toks[i - 2].text == "]":
            for k in range(i, match_close(toks, i) + 1):
                skip[k] = True
        if t.text == "if" and i + 1 < len(toks) and toks[i + 1].text == "(":
            close = match_close(toks, i + 1)
            # the body alone, without an else branch
            if toks[close + 1].text == "{":
                body_end = match_close(toks, close + 1)
            else:
                body_end = statement_end(toks, close + 1)
            cond = src[toks[i + 1].start:toks[close].end]
            body = src[toks[close].end:toks[body_end].end]
            before = src[max(0, toks[i].start - 400):toks[i].start]
            names = re.findall(r"!\s*(\w+)|(\w+)\s*==\s*NULL", cond)
            guards_alloc = names and all(
                re.search(r"\b%s\s*=\s*[^;]*\b(malloc|calloc|realloc|strdup|strndup)\b"
                          % re.escape(a or b), before) for a, b in names)
            if OOM_BODY.search(body) or ALLOC.search(cond) or guards_alloc:
                for k in range(i, body_end + 1):
                    skip[k] = True

    # A ')' that closes a control statement's condition or a cast ends no
    # operand: the '*', '&', '-' after it are unary.
    opener, stack = {}, []
    for i, t in enumerate(toks):
        if t.text == "(":
            stack.append(i)
        elif t.text == ")" and stack:
            opener[i] = stack.pop()
    not_operand = set()
    for c, o in opener.items():
        before = toks[o - 1].text if o else ""
        inside = toks[o + 1:c]
        if before in ("if", "while", "for", "switch") or (
                inside and all(x.text in ("*", "const", "struct", "unsigned", "signed")
                               or is_type(x, types) for x in inside)):
            not_operand.add(c)

    lines = src.split("\n")
    out = []

    def add(t, repl, kind, start=None, end=None, orig=None):
        m = Mutant()
        m.file = rel
        m.line = t.line
        m.start = t.start if start is None else start
        m.end = t.end if end is None else end
        m.orig = src[m.start:m.end] if orig is None else orig
        m.repl = repl
        m.kind = kind
        m.text = lines[t.line - 1].strip()
        out.append(m)

    for i, t in enumerate(toks):
        if skip[i] or i in sizes:
            continue
        prev = toks[i - 1] if i else None
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        x = t.text
        if t.kind == "op":
            binary = prev is not None and is_operand_end(prev, types) and i - 1 not in not_operand
            if x in BOUNDARY:
                add(t, BOUNDARY[x], "boundary")
            if x in NEGATE:
                add(t, NEGATE[x], "condition")
            if x == "&&":
                add(t, "||", "condition")
            elif x == "||":
                add(t, "&&", "condition")
            elif x == "!" and nxt is not None and nxt.text != "=":
                add(t, "", "condition")
            elif x in BINARY and binary:
                # a pointer declaration is not a product
                if x == "*" and i >= 2 and toks[i - 2].text in ("struct", "enum", "union"):
                    continue
                for r in BINARY[x]:
                    add(t, r, "operator")
            elif x in ASSIGN:
                add(t, ASSIGN[x], "operator")
            elif x in ("++", "--"):
                add(t, "--" if x == "++" else "++", "operator")
        elif t.kind in ("num", "pp"):
            iv = int_value(x)
            if iv is not None:
                v, suffix, base = iv
                if v == 0:
                    repls = [1]
                elif v == 1:
                    repls = [0, 2]
                else:
                    repls = [v + 1, v - 1]
                for r in repls:
                    add(t, int_text(r, suffix, base), "constant")
            else:
                r = real_double(x)
                if r is not None:
                    add(t, r, "constant")
        elif t.kind == "id":
            if x in ("true", "false"):
                add(t, "false" if x == "true" else "true", "constant")
            elif x in CALLS and nxt is not None and nxt.text == "(":
                add(t, CALLS[x], "operator")
            elif x == "if" and nxt is not None and nxt.text == "(":
                close = match_close(toks, i + 1)
                if any(skip[i + 2:close]):
                    continue
                a, b = toks[i + 2].start, toks[close - 1].end
                cond = src[a:b]
                if "\n" in cond and len(cond) > 200:
                    continue
                add(t, "!(%s)" % cond, "condition", a, b)
                add(t, "0", "condition", a, b)

    # Names that survive line moves: file, line text, which occurrence of
    # that text, the column in it, and the change.
    seen = {}
    for m in out:
        key = (m.line, m.text)
        if key not in seen:
            seen[key] = sum(1 for k in seen if k[1] == m.text)
        occ = seen[key]
        line_start = src.rfind("\n", 0, m.start) + 1
        col = m.start - line_start - (len(lines[m.line - 1]) - len(lines[m.line - 1].lstrip()))
        h = hashlib.sha1("\0".join([m.file, m.text, str(occ), str(col), m.orig, m.repl])
                         .encode()).hexdigest()
        m.id = h[:10]
    return out


def apply(src, m):
    return src[:m.start] + m.repl + src[m.end:]


# --- the sample --------------------------------------------------------------

def quotas(sizes, count):
    """Shares of `count` proportional to `sizes` (largest remainder), at
    least one for every non-empty file when count allows."""
    total = sum(sizes.values())
    if not total:
        return {f: 0 for f in sizes}
    exact = {f: count * n / total for f, n in sizes.items()}
    q = {f: int(v) for f, v in exact.items()}
    for f in sorted(sizes, key=lambda f: (-(exact[f] - q[f]), f))[:count - sum(q.values())]:
        q[f] += 1
    nonempty = [f for f in sizes if sizes[f]]
    if count >= len(nonempty):
        for f in nonempty:
            while q[f] == 0:
                donor = max(q, key=lambda g: (q[g], g))
                q[donor] -= 1
                q[f] += 1
    for f in q:
        q[f] = min(q[f], sizes[f])
    return q


def shuffled(mutants, seed, rel):
    rng = random.Random("%s:%s" % (seed, rel))
    order = list(mutants)
    rng.shuffle(order)
    return order


# --- the scratch tree, build and suite ---------------------------------------

def log(msg):
    print(msg, flush=True)


def tree_files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-co", "--exclude-standard", "-z"],
                             check=True, capture_output=True).stdout.decode()
        files = [f for f in out.split("\0") if f and os.path.isfile(os.path.join(root, f))]
        if files:
            return files
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for d, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if not x.startswith((".", "build"))]
        for n in names:
            files.append(os.path.relpath(os.path.join(d, n), root))
    return files


def sync_tree(root, dest):
    """Makes `dest` a copy of the tree at `root`, rewriting only the files
    that differ (so the incremental build stays valid)."""
    files = set(tree_files(root))
    for f in files:
        a, b = os.path.join(root, f), os.path.join(dest, f)
        with open(a, "rb") as fa:
            data = fa.read()
        if f == "CMakeLists.txt":
            data = shared_library(data)
        try:
            with open(b, "rb") as fb:
                if fb.read() == data:
                    continue
        except OSError:
            pass
        os.makedirs(os.path.dirname(b), exist_ok=True)
        with open(b, "wb") as fb:
            fb.write(data)
        shutil.copymode(a, b)
    for d, dirs, names in os.walk(dest):
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), dest)
            if rel not in files:
                os.unlink(os.path.join(d, n))


def shared_library(cmakelists):
    """The top CMakeLists.txt of the scratch copy: the library is built
    shared and the programs are not relinked when it changes
    (CMAKE_LINK_DEPENDS_NO_SHARED), so a mutant costs one compile and one
    library link, not a link of every test program. The code is the same;
    a tree without this line is built as it is."""
    return cmakelists.replace(b"add_library(fundtrace_lib STATIC",
                              b"add_library(fundtrace_lib SHARED")


def run(cmd, timeout=None, cwd=None):
    """Runs `cmd` in its own process group; returns (status, output,
    seconds); status None on a timeout (the group is killed)."""
    t0 = time.time()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out.decode(errors="replace"), time.time() - t0
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        return None, out.decode(errors="replace"), time.time() - t0


class Bench:
    """The scratch tree, its build and its suite."""

    def __init__(self, args):
        self.args = args
        self.src = os.path.join(args.work, "tree")
        self.build = os.path.join(args.work, "build")
        self.test_timeout = None
        self.suite_timeout = None
        self.names = set()
        self.exclude = args.exclude

    def build_cmd(self):
        cmd = ["cmake", "--build", self.build, "-j", str(self.args.jobs)]
        for t in self.args.target or []:
            cmd += ["--target", t]
        return cmd

    def ctest_cmd(self, stop, only=None, besides=None):
        """The suite; `only`: just these tests; `besides`: all but these."""
        cmd = ["ctest", "--test-dir", self.build, "-j", str(self.args.jobs), "--no-tests=error"]
        exclude = self.exclude
        if besides:
            names = "|".join("^%s$" % re.escape(n) for n in besides)
            exclude = "%s|%s" % (exclude, names) if exclude else names
        if exclude:
            cmd += ["-E", exclude]
        if only:
            cmd += ["-R", "|".join("^%s$" % re.escape(n) for n in only)]
        elif self.args.tests:
            cmd += ["-R", self.args.tests]
        if stop:
            cmd.append("--stop-on-failure")
        if self.test_timeout:
            cmd += ["--timeout", str(int(self.test_timeout))]
        return cmd

    def prepare(self):
        os.makedirs(self.src, exist_ok=True)
        sync_tree(self.args.root, self.src)
        if not os.path.exists(os.path.join(self.build, "CMakeCache.txt")):
            log("mutate: configuring %s" % self.build)
            cmd = ["cmake", "-S", self.src, "-B", self.build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                   "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -DNDEBUG", "-DFT_WERROR=OFF",
                   "-DFT_SANITIZER_SUITE=OFF", "-DFT_RELEASE_SUITE=OFF",
                   "-DCMAKE_LINK_DEPENDS_NO_SHARED=ON"]
            if shutil.which("ninja"):
                cmd += ["-G", "Ninja"]
            rc, out, _ = run(cmd)
            if rc != 0:
                sys.exit("mutate: cmake failed:\n" + out[-3000:])
        log("mutate: building the unmutated tree")
        rc, out, secs = run(self.build_cmd())
        if rc != 0:
            sys.exit("mutate: the unmutated tree does not build:\n" + out[-3000:])
        log("mutate: running the suite on the unmutated tree")
        rc, out, secs = run(self.ctest_cmd(False))
        results = parse_ctest(out)
        if not results:
            sys.exit("mutate: no tests ran:\n" + out[-3000:])
        failed = sorted(n for n, (s, _) in results.items() if s != "Passed")
        if failed:
            log("mutate: WARNING: these tests fail without a mutant and are left out: "
                + ", ".join(failed))
            extra = "|".join("^%s$" % re.escape(n) for n in failed)
            self.exclude = "%s|%s" % (self.exclude, extra) if self.exclude else extra
        self.names = set(results) - set(failed)
        longest = max(t for _, t in results.values())
        self.test_timeout = self.args.timeout or max(20.0, 5 * longest)
        self.suite_timeout = 3 * secs + 2 * self.test_timeout + 60
        log("mutate: %d tests in %.0f s (longest %.1f s); a test times out after %.0f s"
            % (len(results), secs, longest, self.test_timeout))

    def first_tests(self, rel, killers):
        """The tests most likely to kill a mutant of `rel`: those that
        killed its mutants before, and the unit test named after it."""
        stem = module_of(rel)
        first = [t for t in killers if t in self.names]
        for t in ("unit_" + stem, "unit_" + stem.split("_")[0]):
            if t in self.names and t not in first:
                first.append(t)
        return first if not self.args.tests else []

    def suite(self, only=None, besides=None):
        """Runs (part of) the suite: (outcome, test), outcome None when
        every test passed."""
        rc, out, _ = run(self.ctest_cmd(True, only, besides), timeout=self.suite_timeout)
        if rc is None:
            return "timeout", "(whole suite)"
        results = parse_ctest(out)
        failed = [n for n, (s, _) in results.items() if s not in ("Passed", "Timeout")]
        timed = [n for n, (s, _) in results.items() if s == "Timeout"]
        if failed:
            return "killed", failed[0]
        if timed:
            return "timeout", timed[0]
        if rc != 0:
            return "killed", "(ctest exit %d)" % rc
        return None, ""

    def try_mutant(self, m, original, killers=()):
        """Writes mutant m, builds and runs the suite, the likeliest
        killers first: (outcome, test, secs)."""
        path = os.path.join(self.src, m.file)
        t0 = time.time()
        with open(path, "w") as f:
            f.write(apply(original, m))
        try:
            rc, out, _ = run(self.build_cmd(), timeout=600)
            if rc != 0:
                return "invalid", "", time.time() - t0
            first = self.first_tests(m.file, killers)
            outcome, test = self.suite(only=first) if first else (None, "")
            if outcome is None and (not first or self.names - set(first)):
                outcome, test = self.suite(besides=first)
            return outcome or "survived", test, time.time() - t0
        finally:
            with open(path, "w") as f:
                f.write(original)

    def restore(self, rel, original):
        with open(os.path.join(self.src, rel), "w") as f:
            f.write(original)


CTEST_LINE = re.compile(r"Test\s+#\d+:\s+(\S+)\s+\.*\s*(?:\*\*\*)?(Passed|Failed|Timeout|Not Run"
                        r"|Exception|Subprocess|\w+)")


def parse_ctest(out):
    res = {}
    for line in out.splitlines():
        m = CTEST_LINE.search(line)
        if m:
            t = re.search(r"([\d.]+) sec", line)
            res[m.group(1)] = (m.group(2), float(t.group(1)) if t else 0.0)
    return res


# --- state, equivalents, report ------------------------------------------------

def load_state(path):
    header, results = None, {}
    if not os.path.exists(path):
        return header, results
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                o = json.loads(line)
            except ValueError:
                continue  # a line cut short by an interruption
            if "seed" in o:
                header = o
            elif "id" in o:
                results[o["id"]] = o
    return header, results


def load_equivalent(path):
    eq = {}
    if not path or not os.path.exists(path):
        return eq
    with open(path) as f:
        for line in f:
            m = re.match(r"([0-9a-f]{10})\s+(.*)", line)
            if m:
                eq[m.group(1)] = m.group(2).strip()
    return eq


def module_of(rel):
    return os.path.splitext(os.path.basename(rel))[0]


def report(sample, results, equivalent, out=sys.stdout):
    rows = {}
    for m in sample:
        r = results.get(m.id)
        if not r:
            continue
        outcome = r["outcome"]
        if outcome == "survived" and m.id in equivalent:
            outcome = "equivalent"
        rows.setdefault(module_of(m.file), []).append(outcome)
    cols = ["killed", "timeout", "survived", "equivalent", "invalid"]
    out.write("%-16s %6s %7s %8s %10s %7s %7s\n" % ("module", "killed", "timeout", "survived",
                                                    "equivalent", "invalid", "score"))
    tot = {c: 0 for c in cols}

    def score(c):
        k = c["killed"] + c["timeout"]
        d = k + c["survived"]
        return "%6.1f%%" % (100.0 * k / d) if d else "      -"

    for mod in sorted(rows):
        c = {x: rows[mod].count(x) for x in cols}
        for x in cols:
            tot[x] += c[x]
        out.write("%-16s %6d %7d %8d %10d %7d %s\n" % (mod, c["killed"], c["timeout"],
                                                       c["survived"], c["equivalent"],
                                                       c["invalid"], score(c)))
    out.write("%-16s %6d %7d %8d %10d %7d %s\n" % ("all", tot["killed"], tot["timeout"],
                                                   tot["survived"], tot["equivalent"],
                                                   tot["invalid"], score(tot)))
    raw = tot["killed"] + tot["timeout"] + tot["survived"] + tot["equivalent"]
    if raw:
        out.write("score counting equivalent mutants as survivors: %.1f%%\n"
                  % (100.0 * (tot["killed"] + tot["timeout"]) / raw))
    surv = [m for m in sample if m.id in results and results[m.id]["outcome"] == "survived"]
    if surv:
        out.write("\nsurvivors (id, where, change; [equivalent] when listed as such):\n")
        for m in surv:
            out.write("  %s %s%s\n" % (m.id, m.describe(),
                                       "  [equivalent]" if m.id in equivalent else ""))
    secs = [results[m.id].get("secs", 0) for m in sample if m.id in results]
    valid = [results[m.id] for m in sample if m.id in results
             and results[m.id]["outcome"] != "invalid"]
    if valid:
        out.write("\n%d mutants (%d did not compile) in %.1f min: %.1f min per 100 mutants\n"
                  % (len(valid), len(secs) - len(valid), sum(secs) / 60,
                     sum(secs) / 60 / len(valid) * 100))


# --- main ----------------------------------------------------------------------

def default_files(root):
    src = os.path.join(root, "src")
    return sorted("src/" + f for f in os.listdir(src)
                  if f.endswith(".c") and not f.startswith("cmd_"))


def main():
    ap = argparse.ArgumentParser(
        prog="tests/mutate.py",
        description=__doc__.split("\n", 1)[1].strip(),
        epilog="Example: nice -n 19 tests/mutate.py --seed 1 --count 200  "
               "(about 50 min per 100 mutants on two cores). Per file: tests/mutate.py "
               "--count 20 src/money.c. A mutant by hand: --show ID, then --only ID.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", metavar="FILE",
                    help="C files to mutate, relative to the root (default: src/*.c but cmd_*.c)")
    ap.add_argument("--seed", type=int, default=1, help="the sample's seed (default 1)")
    ap.add_argument("--count", type=int, default=200,
                    help="mutants to run, spread over the files (default 200)")
    ap.add_argument("--root", default=ROOT, help="the source tree (default: this checkout)")
    ap.add_argument("--work", help="scratch copy and its build, kept between runs "
                                   "(default: ROOT/build-mutate)")
    ap.add_argument("--state", help="results, for resuming (default: WORK/state-SEED.jsonl)")
    ap.add_argument("--equivalent", help="the list of equivalent mutants "
                                         "(default: ROOT/tests/mutate-equivalent.txt)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="build and test jobs (default 2)")
    ap.add_argument("--timeout", type=float,
                    help="seconds a test may take before the mutant counts as timed out "
                         "(default: 5 times the slowest test unmutated, at least 20)")
    ap.add_argument("--tests", help="only the tests matching this regular expression (ctest -R)")
    ap.add_argument("--exclude", default=FAST_EXCLUDE,
                    help="tests left out (ctest -E; default '%s': the fast suite)" % FAST_EXCLUDE)
    ap.add_argument("--target", action="append", help="build only this target (repeatable)")
    ap.add_argument("--kinds", default="boundary,condition,operator,constant",
                    help="kinds of mutants, comma-separated (default: all four)")
    ap.add_argument("--list", action="store_true", help="print the sample's first candidates "
                    "per file and exit (nothing is built)")
    ap.add_argument("--list-all", action="store_true",
                    help="print every mutant of the files and exit")
    ap.add_argument("--show", metavar="ID", action="append", help="print mutant ID as a diff")
    ap.add_argument("--only", metavar="ID", action="append",
                    help="run just mutant ID (repeatable; outside the sample and its state)")
    ap.add_argument("--rerun", action="append", metavar="ID",
                    help="run mutant ID of the sample again, in its place (after a test was added "
                    "for it; repeatable)")
    ap.add_argument("--rerun-survivors", action="store_true",
                    help="run the sample's survivors again (after adding tests)")
    ap.add_argument("--report", action="store_true", help="print the report from the state file")
    ap.add_argument("--fresh", action="store_true", help="discard the state file")
    args = ap.parse_args()
    # a kill ends the run through the finally clauses (the scratch file is
    # restored; a later run syncs the tree again anyway)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    args.root = os.path.abspath(args.root)
    args.work = os.path.abspath(args.work or os.path.join(args.root, "build-mutate"))
    state_path = args.state or os.path.join(args.work, "state-%d.jsonl" % args.seed)
    eq_path = args.equivalent or os.path.join(args.root, "tests", "mutate-equivalent.txt")
    files = args.files or default_files(args.root)
    kinds = set(args.kinds.split(","))
    bad = kinds - {"boundary", "condition", "operator", "constant"}
    if bad:
        ap.error("unknown kind: " + ",".join(sorted(bad)))

    headers = []
    for d in ("include", "src"):
        for dirpath, _, names in os.walk(os.path.join(args.root, d)):
            headers += [os.path.join(dirpath, n) for n in names if n.endswith(".h")]
    types = typedef_names(headers)  # and each file's own, below

    sources, mutants = {}, {}
    for rel in files:
        path = os.path.join(args.root, rel)
        if not os.path.isfile(path):
            ap.error("no such file: %s" % rel)
        with open(path) as f:
            sources[rel] = f.read()
        own = types | typedef_names([path])
        mutants[rel] = [m for m in enumerate_mutants(rel, sources[rel], own) if m.kind in kinds]
    by_id = {m.id: m for ms in mutants.values() for m in ms}

    if args.list_all:
        for rel in files:
            for m in mutants[rel]:
                print(m.id, m.describe())
        return 0
    if args.show:
        for i in args.show:
            m = by_id.get(i)
            if not m:
                sys.exit("mutate: no mutant %s in %s" % (i, " ".join(files)))
            print(m.describe())
            old = sources[m.file].split("\n")[m.line - 1]
            new = apply(sources[m.file], m).split("\n")[m.line - 1:m.line - 1
                                                          + 1 + m.repl.count("\n")]
            print("-" + old)
            for ln in new:
                print("+" + ln)
        return 0

    q = quotas({rel: len(mutants[rel]) for rel in files}, args.count)
    order = {rel: shuffled(mutants[rel], args.seed, rel) for rel in files}
    if args.list:
        for rel in files:
            for m in order[rel][:q[rel]]:
                print(m.id, m.describe())
        return 0

    os.makedirs(args.work, exist_ok=True)
    equivalent = load_equivalent(eq_path)
    if args.only:
        bench = Bench(args)
        bench.prepare()
        for i in args.only:
            m = by_id.get(i)
            if not m:
                sys.exit("mutate: no mutant %s in %s" % (i, " ".join(files)))
            outcome, test, secs = bench.try_mutant(m, sources[m.file], [])
            log("%s %s: %s%s (%.0f s)" % (m.id, m.describe(), outcome,
                                          " by " + test if test else "", secs))
        return 0

    fingerprint = hashlib.sha1("\0".join(rel + "\0" + sources[rel] for rel in files)
                               .encode()).hexdigest()[:16]
    header = {"seed": args.seed, "count": args.count, "files": files, "kinds": sorted(kinds),
              "sources": fingerprint}
    if args.fresh and os.path.exists(state_path):
        os.unlink(state_path)
    old_header, results = load_state(state_path)
    if old_header and not args.report:
        same = all(old_header.get(k) == header[k] for k in ("seed", "files", "kinds", "sources"))
        if not same:
            sys.exit("mutate: %s holds results for another seed, file list or source; give "
                     "--fresh to start again or --state for another file" % state_path)

    def sample_so_far():
        s = []
        for rel in files:
            valid = 0
            for m in order[rel]:
                if valid >= q[rel]:
                    break
                r = results.get(m.id)
                if r is None:
                    break
                s.append(m)
                if r["outcome"] != "invalid":
                    valid += 1
        return s

    if args.report:
        report(sample_so_far(), results, equivalent)
        return 0

    if not old_header:
        with open(state_path, "w") as f:
            f.write(json.dumps(header) + "\n")
    for i in args.rerun or []:
        if i not in by_id:
            sys.exit("mutate: no mutant %s in %s" % (i, " ".join(files)))
        results.pop(i, None)
    if args.rerun_survivors:
        for m in sample_so_far():
            if results[m.id]["outcome"] == "survived":
                del results[m.id]
    todo = 0
    for rel in files:
        need = q[rel]
        for m in order[rel]:
            if need == 0:
                break
            r = results.get(m.id)
            if r is None:
                todo += 1
                need -= 1
            elif r["outcome"] != "invalid":
                need -= 1
    log("mutate: seed %d, %d mutants in %d files (%d candidates), %d to run; state %s"
        % (args.seed, args.count, len(files), sum(len(v) for v in mutants.values()), todo,
           state_path))
    if todo:
        bench = Bench(args)
        bench.prepare()
        done = 0
        with open(state_path, "a") as st:
            for rel in files:
                valid = 0
                killers = [r["by"] for r in results.values()
                           if r["file"] == rel and r["outcome"] == "killed"][-3:][::-1]
                for m in order[rel]:
                    if valid >= q[rel]:
                        break
                    r = results.get(m.id)
                    if r is None:
                        outcome, test, secs = bench.try_mutant(m, sources[rel], killers)
                        if outcome == "killed" and test in bench.names:
                            killers = [test] + [k for k in killers if k != test][:2]
                        r = m.to_json()
                        r.update(outcome=outcome, by=test, secs=round(secs, 1))
                        results[m.id] = r
                        st.write(json.dumps(r) + "\n")
                        st.flush()
                        if outcome != "invalid":
                            done += 1
                        log("[%d/%d] %s %s: %s%s (%.0f s)"
                            % (done, todo, m.id, m.describe(), outcome,
                               " by " + test if test else "", secs))
                    if r["outcome"] != "invalid":
                        valid += 1
    print()
    report(sample_so_far(), results, equivalent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
