"""Mutation testing of subreg's gate-critical modules: a report, not a CI step.

    python scripts/mutate.py [--jobs 2] [--only notices.py,diff.py] [--list]

How it works, so that the score means what it says:

1. One pytest run of the in-process tests with per-test coverage contexts
   (`--cov-context=test`) records which tests execute each line, and how long each
   test takes.
2. Each module is parsed with `ast`, and each mutation is a splice of the source text at
   the node's exact position (line numbers and formatting are kept): a comparison
   turned to its boundary or its negation (`<` -> `<=`, `==` -> `!=`, `in` -> `not in`,
   `is` -> `is not`), `and` <-> `or`, a `not` removed, `+` <-> `-`, an integer plus
   one, `True` <-> `False`, `break` <-> `continue`, `min` <-> `max`, `any` <-> `all`.
   Docstrings and other strings are not mutated.
3. Each mutant runs, in a private copy of `src/` put first on PYTHONPATH (the installed
   `subreg` of the end-to-end tests imports it too), only the tests that cover its
   line, fastest first, stopping at the first failure (`pytest -x`). A failure, an
   error or a timeout kills the mutant; a mutant on a line no test executes survives.
4. Mutants listed in `scripts/mutation-equivalent.txt` (module, line, and the
   mutation, with the reason) behave exactly like the original: they are left out of
   the score and listed apart.

The score of a module is killed / (mutants - equivalent). The README's "Mutation
testing" section gives the last run.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PKG = SRC / "subreg"
TARGETS = ["notices.py", "diff.py", "history.py", "dating.py", "strictness.py",
           "checks/check_notice.py", "checks/check_certifications.py", "checks/check_dpa.py",
           "checks/check_due_diligence.py", "checks/check_duplicate.py",
           "checks/check_security.py", "checks/check_translations.py",
           "checks/check_transfer.py", "checks/check_identity.py", "laws.py", "chain.py"]
EQUIVALENT = ROOT / "scripts" / "mutation-equivalent.txt"
# End-to-end tests of other machinery (the wheel's contents, the browser, the workflows'
# linters) that exercise no rule: their coverage contexts never select them for a mutant
# of these modules anyway, and leaving them out makes the coverage run shorter.
SKIP_TESTS = ["tests/test_page_browser.py", "tests/test_package.py", "tests/test_workflows.py",
              "tests/test_bench_generate.py"]

_COMPARE = {ast.Lt: ("<", "<="), ast.LtE: ("<=", "<"), ast.Gt: (">", ">="), ast.GtE: (">=", ">"),
            ast.Eq: ("==", "!="), ast.NotEq: ("!=", "=="), ast.In: ("in", "not in"),
            ast.NotIn: ("not in", "in"), ast.Is: ("is", "is not"), ast.IsNot: ("is not", "is")}
_SWAP_NAMES = {"min": "max", "max": "min", "any": "all", "all": "any"}


@dataclass(frozen=True)
class Mutant:
    module: str  # relative to src/subreg
    line: int
    col: int
    start: int  # byte offsets of the splice in the module's source
    end: int
    old: str
    new: str

    @property
    def key(self) -> str:
        return f"{self.module}:{self.line}:{self.col}: {self.old.strip()} -> {self.new.strip() or '(removed)'}"

    def apply(self, source: bytes) -> bytes:
        assert source[self.start:self.end].decode() == self.old, self
        return source[:self.start] + self.new.encode() + source[self.end:]


class _Finder(ast.NodeVisitor):
    def __init__(self, module: str, source: bytes) -> None:
        self.module, self.source = module, source
        self.starts = [0]
        for i, byte in enumerate(source):
            if byte == 10:
                self.starts.append(i + 1)
        self.found: list[Mutant] = []
        self.docstrings: set[int] = set()

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def add(self, line: int, _col: int, start: int, end: int, new: str) -> None:
        old = self.source[start:end].decode()
        col = len(self.source[self.starts[line - 1]:start].decode()) + 1
        self.found.append(Mutant(self.module, line, col, start, end, old, new))

    def between(self, a: ast.AST, b: ast.AST, word: str, new: str) -> None:
        """Mutate the operator `word` found in the text between nodes a and b."""
        lo = self.offset(a.end_lineno, a.end_col_offset)  # type: ignore[attr-defined]
        hi = self.offset(b.lineno, b.col_offset)  # type: ignore[attr-defined]
        text = self.source[lo:hi].decode()
        span = _find_word(text, word)
        if span is None:
            return
        line = a.end_lineno + text[:span[0]].count("\n")  # type: ignore[attr-defined]
        start = lo + len(text[:span[0]].encode())
        self.add(line, 0, start, start + len(text[span[0]:span[1]].encode()), new)

    # -- visitors -------------------------------------------------------------------

    def visit_Compare(self, node: ast.Compare) -> None:
        left: ast.AST = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            old, new = _COMPARE[type(op)]
            self.between(left, right, old, new)
            left = right
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        word = "and" if isinstance(node.op, ast.And) else "or"
        for a, b in zip(node.values, node.values[1:], strict=False):
            self.between(a, b, word, "or" if word == "and" else "and")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            start = self.offset(node.lineno, node.col_offset)
            stop = self.offset(node.operand.lineno, node.operand.col_offset)
            self.add(node.lineno, node.col_offset, start, stop, "")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, (ast.Add, ast.Sub)):
            word = "+" if isinstance(node.op, ast.Add) else "-"
            self.between(node.left, node.right, word, "-" if word == "+" else "+")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        start = self.offset(node.lineno, node.col_offset)
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[arg-type]
        if isinstance(node.value, bool):
            self.add(node.lineno, node.col_offset, start, end, str(not node.value))
        elif isinstance(node.value, int):
            self.add(node.lineno, node.col_offset, start, end, str(node.value + 1))

    def visit_Break(self, node: ast.Break) -> None:
        self._keyword(node, "continue")

    def visit_Continue(self, node: ast.Continue) -> None:
        self._keyword(node, "break")

    def _keyword(self, node: ast.stmt, new: str) -> None:
        start = self.offset(node.lineno, node.col_offset)
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[arg-type]
        self.add(node.lineno, node.col_offset, start, end, new)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in _SWAP_NAMES:
            f = node.func
            start = self.offset(f.lineno, f.col_offset)
            self.add(f.lineno, f.col_offset, start, start + len(f.id), _SWAP_NAMES[f.id])
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        return  # `from __future__ import annotations` and friends: nothing to mutate

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        # the annotation of a dataclass field is a type, not behaviour; its value is
        if node.value is not None:
            self.visit(node.value)

    def visit_arg(self, node: ast.arg) -> None:
        return  # parameter annotations

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        for item in node.decorator_list:
            self.visit(item)
        self.visit(node.args)
        for stmt in node.body:
            self.visit(stmt)


_OPERATOR = {
    "not in": r"\bnot\s+in\b", "is not": r"\bis\s+not\b", "in": r"\bin\b", "is": r"\bis\b",
    "and": r"\band\b", "or": r"\bor\b", "<": r"<(?!=)", ">": r">(?!=)", "<=": r"<=", ">=": r">=",
    "==": r"==", "!=": r"!=", "+": r"\+(?!=)", "-": r"-(?!=)",
}


def _find_word(text: str, word: str) -> tuple[int, int] | None:
    """Where operator `word` stands in `text`, the source between its two operands."""
    found = re.search(_OPERATOR[word], text)
    return found.span() if found else None


def mutants(module: str) -> list[Mutant]:
    source = (PKG / module).read_bytes()
    finder = _Finder(module, source)
    finder.visit(ast.parse(source))
    return sorted(set(finder.found), key=lambda m: (m.start, m.new))


# -- coverage: which tests run which lines ---------------------------------------------

def coverage_map(work: Path, modules: list[str]) -> tuple[dict[str, dict[int, list[str]]], dict[str, float]]:
    """Per module, line -> test node ids; and each test's duration (seconds)."""
    rc = work / "coveragerc"
    rc.write_text("[run]\nbranch = false\nsource = subreg\n")
    env = {**os.environ, "COVERAGE_FILE": str(work / ".coverage"), "SUBREG_BIN": _subreg_bin()}
    junit = work / "times.xml"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--cov-config={rc}",
           "--cov=subreg", "--cov-context=test", "--cov-report=", f"--junitxml={junit}",
           *[f"--ignore={t}" for t in SKIP_TESTS], "tests"]
    print("coverage run:", " ".join(cmd[3:]), flush=True)
    subprocess.run(cmd, cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL)
    from coverage import CoverageData

    data = CoverageData(basename=str(work / ".coverage"))
    data.read()
    out: dict[str, dict[int, list[str]]] = {}
    for module in modules:
        path = str(PKG / module)
        by_line = data.contexts_by_lineno(path) if path in data.measured_files() else {}
        out[module] = {line: sorted({c.rsplit("|", 1)[0] for c in ctxs if c.strip("|")})
                       for line, ctxs in by_line.items()}
    times: dict[str, float] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314 - our own pytest wrote it
        cls, name = case.get("classname", ""), case.get("name", "")
        node = cls.replace(".", "/") + ".py::" + name
        times[node] = float(case.get("time", "0") or 0)
    return out, times


def _subreg_bin() -> str:
    # The development install: it imports subreg from sys.path, so PYTHONPATH (the
    # mutant's copy of src/) comes first. The wheel's copy would ignore the mutant.
    return str(Path(sys.executable).parent / "subreg")


# -- running a mutant ----------------------------------------------------------------------

@dataclass
class Result:
    mutant: Mutant
    outcome: str  # killed | survived | uncovered | timeout
    tests: int
    seconds: float


def _nodes_of(mutant: Mutant, lines: dict[int, list[str]], times: dict[str, float]) -> list[str]:
    """The tests that execute the mutant's line. A line run only at import time (a
    module constant, a decorator) is covered by no test's context: it gets every test
    that executes some line of its module."""
    tests = set(lines.get(mutant.line, []))
    if not tests and mutant.line in lines:
        tests = {t for covering in lines.values() for t in covering}
    return sorted(tests, key=lambda t: (times.get(t, 1.0), t))


def run_mutant(mutant: Mutant, copy: Path, nodes: list[str], times: dict[str, float]) -> Result:
    if not nodes:
        return Result(mutant, "uncovered", 0, 0.0)
    target = copy / "subreg" / mutant.module
    original = (PKG / mutant.module).read_bytes()
    target.write_bytes(mutant.apply(original))
    budget = 60 + 5 * sum(times.get(n, 1.0) for n in nodes)
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1",
           "SUBREG_BIN": _subreg_bin(), "COVERAGE_PROCESS_START": ""}
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:cov", *nodes]
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=budget, check=False)
        outcome = "survived" if proc.returncode == 0 else "killed"
    except subprocess.TimeoutExpired:
        outcome = "timeout"
    finally:
        target.write_bytes(original)
    return Result(mutant, outcome, len(nodes), time.monotonic() - start)


def _copies(work: Path, jobs: int) -> Iterator[Path]:
    for i in range(jobs):
        copy = work / f"src{i}"
        shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        yield copy


def load_equivalent() -> dict[str, str]:
    """`module:line: old -> new  # why` lines of scripts/mutation-equivalent.txt."""
    out = {}
    for raw in EQUIVALENT.read_text(encoding="utf-8").splitlines() if EQUIVALENT.exists() else []:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, why = line.partition("  # ")
        out[key.strip()] = why.strip()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated modules (relative to src/subreg)")
    parser.add_argument("--also", default="", help="comma-separated modules to add to the default ones")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--json", type=Path, help="also write every result as JSON")
    args = parser.parse_args(argv)
    extra = [m for m in args.also.split(",") if m and m not in TARGETS]
    modules = [m for m in [*TARGETS, *extra] if not args.only or m in args.only.split(",")]
    everything = {m: mutants(m) for m in modules}
    if args.list:
        for m in modules:
            for mu in everything[m]:
                print(mu.key)
        return 0
    equivalent = load_equivalent()
    known = {mu.key for ms in everything.values() for mu in ms}
    stale = sorted(k for k in equivalent if k not in known and k.split(":")[0] in modules)
    work = Path(tempfile.mkdtemp(prefix="subreg-mutation-"))
    try:
        lines, times = coverage_map(work, modules)
        todo = [mu for m in modules for mu in everything[m] if mu.key not in equivalent]
        print(f"{len(todo)} mutants to run ({sum(len(v) for v in everything.values()) - len(todo)} "
              f"equivalent left out), {args.jobs} at a time", flush=True)
        copies = list(_copies(work, args.jobs))
        free = list(copies)
        results: list[Result] = []

        def one(mu: Mutant) -> Result:
            copy = free.pop()
            try:
                return run_mutant(mu, copy, _nodes_of(mu, lines[mu.module], times), times)
            finally:
                free.append(copy)

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for i, res in enumerate(pool.map(one, todo), 1):
                results.append(res)
                if res.outcome != "killed":
                    print(f"  [{i}/{len(todo)}] {res.outcome}: {res.mutant.key}", flush=True)
                elif i % 25 == 0:
                    print(f"  [{i}/{len(todo)}] ...", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report(modules, everything, equivalent, results, stale, args.json)


def report(modules: list[str], everything: dict[str, list[Mutant]], equivalent: dict[str, str],
           results: list[Result], stale: list[str], json_path: Path | None) -> int:
    by_module: dict[str, list[Result]] = {m: [] for m in modules}
    for r in results:
        by_module[r.mutant.module].append(r)
    print("\nmodule                             mutants  equiv  killed  survived  score")
    total_k = total_n = 0
    for m in modules:
        rs = by_module[m]
        killed = sum(r.outcome in ("killed", "timeout") for r in rs)
        eq = len(everything[m]) - len(rs)
        n = len(rs)
        total_k, total_n = total_k + killed, total_n + n
        score = f"{100 * killed / n:5.1f}%" if n else "   - "
        print(f"{m:<34} {len(everything[m]):>7}  {eq:>5}  {killed:>6}  {n - killed:>8}  {score}")
    if total_n:
        print(f"{'all':<34} {sum(len(v) for v in everything.values()):>7}  "
              f"{sum(len(v) for v in everything.values()) - total_n:>5}  {total_k:>6}  "
              f"{total_n - total_k:>8}  {100 * total_k / total_n:5.1f}%")
    survivors = [r for r in results if r.outcome in ("survived", "uncovered")]
    print(f"\nsurviving mutants ({len(survivors)}):")
    for r in sorted(survivors, key=lambda r: (r.mutant.module, r.mutant.start)):
        print(f"  {r.mutant.key}  ({r.outcome}, {r.tests} tests)")
    if stale:
        print("\nscripts/mutation-equivalent.txt lists mutants that no longer exist:")
        for key in stale:
            print(f"  {key}")
    if json_path:
        json_path.write_text(json.dumps([{"mutant": r.mutant.key, "outcome": r.outcome, "tests": r.tests,
                                          "seconds": round(r.seconds, 2)} for r in results], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
