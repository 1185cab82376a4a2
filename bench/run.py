"""`make bench`: subreg against its floors on generated compliance repositories.

For each generated repository (bench/generate.py: 500 and 5,000 subprocessors with
1,000 to 10,000 commits of history, plus a 3-file pull request on branch `pr`), time
whole-process runs of the installed `subreg`, each next to its floor (bench/floors.py)
measured in the same run on the same repository, alternating subreg and floor runs so
that drift affects both alike:

- `subreg check --base main --head pr` (the merge gate on the pull request);
- `subreg audit --out TMP` (every check on head plus the replay of the whole history);
- the same audit with every entry failing a check: with `--today` two years later
  (every due-diligence assessment stale: the target), and with a custom check in
  `checks/` that fails for every entry (a shared clone of the repository, so the
  history is the same; no target: pytest's assertion rewriting explains each failing
  `assert`, the custom check's own cost); their "floor" is the passing audit;
- `subreg publish --out TMP` (the page and the feed of the whole history), next to the
  whole-history feed floor.

Each figure is a median: of `--runs` runs (5) after one warm-up run, or of 3 runs, the
warm-up included, when a run takes more than 3 seconds. Each row also gives the peak
resident size of subreg's process (the largest of its runs, from wait4's rusage). On
the 500 x 10,000 repository it also times `subreg diff` on the pull request, subreg's
one-pass history engine, and the raw `git log --raw -- registry/`. Then the scan
trees (bench/scan.py), and how the audit and publish grow: seconds per 1,000
commits plus entries, for each size.

This is a benchmark, not a test: it prints figures and never fails on them. It exits 1
only when a command gives a wrong result (e.g. the check fails the pull request).

Usage: python bench/run.py [--sizes 500x10000,5000x2000] [--runs 5] [--no-scan]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
import scan as scan_bench

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SUBREG = str(BIN / "subreg") if (BIN / "subreg").exists() else shutil.which("subreg") or "subreg"
PYTHON = sys.executable
FLOORS = str(HERE / "floors.py")
SIZES = [(500, 1_000), (500, 10_000), (5_000, 2_000), (5_000, 10_000)]
FOCUS = {(500, 10_000), (5_000, 2_000)}  # the sizes the targets apply to (issue 17)
TARGETS = {"check": 1.5, "audit": 2.0, "failing": 1.5, "publish": 2.0}
LATER = "2027-03-01"  # two years after generate.TODAY: every due-diligence assessment is stale

# A custom check that fails for every entry (in a clone's checks/): the audit with
# every entry failing, through the custom checks' path.
EVERY_ENTRY_FAILS = '''"""The bench's custom check: it fails for every entry."""


def test_every_entry_fails(subprocessor):
    """Fails for every entry, so that the audit reports one finding per entry."""
    assert subprocessor.id == "", f"{subprocessor.id} fails, as every entry does here"
'''
SLOW = 3.0  # seconds: slower runs are measured 3 times, warm-up included

ENV = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
ENV.update(generate.GIT_ENV)

# subreg's one-pass history engine on its own (issue 3): one `git log`, one cat-file,
# each blob parsed once, plus the first-parent replay.
HISTORY = """
import sys, datetime as dt
from pathlib import Path
from subreg import history
from subreg.project import Project
p = Project(Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2]))
tip = p.git.resolve("main")
h = history.scan(p.git, p.policy, [tip], replay_from=tip)
p.close()
"""


@dataclass
class Run:
    seconds: float
    code: int
    err: str
    rss_kb: int = 0  # peak resident size of the process (its largest child, e.g. git, aside)


def once(cmd: list[str], cwd: str | None = None) -> Run:
    """One whole-process run: wall time, exit code, last line of its output, and its
    peak resident size (wait4's rusage of that one process)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    text = (stderr or stdout).decode(errors="replace").strip().splitlines()
    return Run(elapsed, proc.returncode, text[-1] if text else "", usage.ru_maxrss)


@dataclass
class Row:
    repo: str
    what: str
    subreg: float | None
    floor: float | None
    runs: int
    note: str = ""
    target: float | None = None
    rss_kb: int = 0  # subreg's peak resident size over its runs

    @property
    def ratio(self) -> float | None:
        if self.subreg is None or not self.floor:
            return None
        return self.subreg / self.floor


@dataclass
class Bench:
    runs: int
    rows: list[Row] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def pair(self, repo: str, what: str, cmd: list[str], floor: list[str] | None,
             ok: tuple[int, ...], target: float | None = None, out_dir: bool = False,
             floor_out_dir: bool = False) -> Row:
        """Median wall time of `cmd` and of `floor`, interleaved; `ok[0]` is the exit
        code expected, the others are accepted with a note. `out_dir`: `cmd` (and with
        `floor_out_dir` the floor) writes into a fresh `--out` folder each run."""
        rss: list[int] = []

        def with_out(command: list[str], folder: bool) -> Run:
            if not folder:
                return once(command)
            with tempfile.TemporaryDirectory(prefix="subreg-bench-") as tmp:
                return once([*command, "--out", str(Path(tmp) / "out")])

        def run_cmd() -> Run:
            r = with_out(cmd, out_dir)
            rss.append(r.rss_kb)
            return r

        def run_floor() -> Run:
            assert floor is not None
            return with_out(floor, floor_out_dir)

        first = run_cmd()
        if first.code not in ok:
            if "ModuleNotFoundError" in first.err and "subreg.commands" in first.err:
                note = "not implemented yet"
            else:
                note = f"exit {first.code}: {first.err[:110]}"
                self.wrong.append(f"{repo} {what}: {note}")
            floor_t = None
            if floor:
                floor_t = statistics.median(run_floor().seconds for _ in range(3))
            row = Row(repo, what, None, floor_t, 0, note, target)
            self.rows.append(row)
            print(f"  {what:<24} {note}", flush=True)
            return row
        floor_first = run_floor() if floor else None
        slow = max(first.seconds, floor_first.seconds if floor_first else 0.0) > SLOW
        n = 3 if slow else self.runs
        mine = [first.seconds] if slow else []
        theirs = [floor_first.seconds] if slow and floor_first else []
        while len(mine) < n:
            r = run_cmd()
            if r.code not in ok:
                self.wrong.append(f"{repo} {what}: exit {r.code}: {r.err}")
            mine.append(r.seconds)
            if floor:
                theirs.append(run_floor().seconds)
        row = Row(repo, what, statistics.median(mine),
                  statistics.median(theirs) if theirs else None, n, target=target, rss_kb=max(rss))
        if first.code != ok[0]:
            row.note = f"exit {first.code}"
        self.rows.append(row)
        ratio = f"{row.ratio:.2f}x" if row.ratio else ""
        print(f"  {what:<40} {fmt(row.subreg):>9} {fmt(row.floor):>9} {ratio:>7} {mb(row.rss_kb):>7}",
              flush=True)
        return row


def fmt(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:.2f} s"


def mb(kb: int) -> str:
    return f"{kb / 1024:.0f} MB" if kb else ""


def label(entries: int, commits: int) -> str:
    return f"{entries:,} x {commits:,}"


def machine() -> list[str]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gitv = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    subv = subprocess.run([SUBREG, "--version"], capture_output=True, text=True).stdout.strip()
    return [f"nproc {os.cpu_count()}", f"CPU {cpu}", f"Python {platform.python_version()}",
            gitv, subv or "subreg ?", f"{platform.system()} {platform.release()}"]


def table(rows: list[Row]) -> str:
    out = ["| repository (entries x commits) | command | subreg | floor | ratio | target | peak RSS | runs |",
           "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = f"{r.ratio:.2f}x" if r.ratio else "n/a" if r.subreg is None else ""
        target = ""
        if r.target is not None:
            verdict = "" if r.ratio is None else " met" if r.ratio <= r.target else " MISSED"
            target = f"<= {r.target:.1f}x{verdict}"
        what = r.what + (f" ({r.note})" if r.note else "")
        floor = fmt(r.floor) if r.floor is not None else ""
        out.append(f"| {r.repo} | {what} | {fmt(r.subreg)} | {floor} | {ratio} | {target} "
                   f"| {mb(r.rss_kb)} | {r.runs or ''} |")
    return "\n".join(out)


def growth(rows: list[Row], infos: dict[tuple[int, int], generate.Info]) -> str:
    """Seconds per 1,000 (commits + entries) of the audit and publish at each size: flat
    when the cost is linear in commits plus entries (their product would grow tenfold
    between 500 x 1,000 and 5,000 x 10,000)."""
    out = ["| repository (entries x commits) | commits + entries | audit | per 1,000 | publish | per 1,000 |",
           "|---|---:|---:|---:|---:|---:|"]
    for (entries, commits), info in infos.items():
        name = label(entries, commits)
        found = {r.what.split(" (")[0]: r.subreg for r in rows if r.repo == name}
        size = info.commits + info.entries
        cells = []
        for what in ("audit", "publish"):
            t = found.get(what)
            cells += [fmt(t), f"{t / size * 1000:.3f} s" if t else "n/a"]
        out.append(f"| {name} | {size:,} | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} |")
    return "\n".join(out)


def failing_clone(info: generate.Info) -> str:
    """A shared clone of the repository (the same history) whose checks/ holds a custom
    check that fails for every entry; cached beside the repository."""
    dest = Path(info.path + "-every-entry-fails")
    check = dest / "checks" / "test_every_entry_fails.py"
    if not check.is_file() or check.read_text() != EVERY_ENTRY_FAILS:
        if dest.exists():
            shutil.rmtree(dest)
        subprocess.run(["git", "clone", "-q", "--shared", info.path, str(dest)], env=ENV, check=True)
        check.parent.mkdir()
        check.write_text(EVERY_ENTRY_FAILS)
    return str(dest)


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for item in text.split(","):
        entries, commits = item.lower().replace("_", "").split("x")
        sizes.append((int(entries), int(commits)))
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=SIZES,
                        help="comma-separated ENTRIESxCOMMITS (default: all six)")
    parser.add_argument("--runs", type=int, default=5, help="runs per fast command (default 5)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-scan", dest="scan", action="store_false",
                        help="leave out the `subreg scan` trees (bench/scan.py)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    scan_bench.bytecode()  # as `pip install` leaves subreg for users (see there)
    facts = machine()
    print("subreg bench: " + "; ".join(facts), flush=True)

    print("\nrepositories (bench/.work/, cached by parameters and generator version):")
    infos = {}
    for entries, commits in args.sizes:
        info, fresh = generate.ensure(entries, commits, args.seed)
        infos[(entries, commits)] = info
        how = f"generated in {info.seconds:.1f} s" if fresh else "cached"
        print(f"  {label(entries, commits):<16} {info.entries:>5} entries, {info.commits:>6} "
              f"commits ({info.merges} merges), {info.blobs:>6} registry blob versions: {how}",
              flush=True)

    bench = Bench(args.runs)
    for (entries, commits), info in infos.items():
        repo, name = info.path, label(entries, commits)
        focus = (entries, commits) in FOCUS
        print(f"\n{name}  ({repo})", flush=True)

        def target(kind: str, on: bool = focus) -> float | None:
            return TARGETS[kind] if on else None

        sub = [SUBREG, "--repo", repo, "--today", info.today]
        bench.pair(name, "check (3-file PR)", [*sub, "check", "--base", info.base, "--head", info.head],
                   [PYTHON, FLOORS, "pr", repo, info.base, info.head], ok=(0,), target=target("check"))
        planted = (1, 0) if info.violations else (0, 1)  # exit 1: the planted violations
        bench.pair(name, "audit", [*sub, "audit"], [PYTHON, FLOORS, "audit", repo], ok=planted,
                   target=target("audit"), out_dir=True)
        if focus:
            clone = failing_clone(info)
            # no target: each failing `assert` of a custom check is explained by pytest's
            # assertion rewriting (the repr of the entry among others), the check's own cost
            bench.pair(name, "audit, every entry failing a custom check (floor: the audit)",
                       [SUBREG, "--repo", clone, "--today", info.today, "audit"], [*sub, "audit"], ok=(1,),
                       out_dir=True, floor_out_dir=True)
            bench.pair(name, f"audit, every assessment stale (--today {LATER}; floor: the audit)",
                       [SUBREG, "--repo", repo, "--today", LATER, "audit"], [*sub, "audit"], ok=(1,),
                       target=target("failing"), out_dir=True, floor_out_dir=True)
        bench.pair(name, "publish (whole-history feed floor)", [*sub, "publish"],
                   [PYTHON, FLOORS, "publish-full", repo], ok=(0,), target=target("publish"), out_dir=True)
        if (entries, commits) == (500, 10_000):
            raw = ["git", "-C", repo, "log", "--raw", "--", "registry/"]
            bench.pair(name, "diff (3-file PR)", [*sub, "diff", "--base", info.base, "--head", info.head],
                       raw, ok=(0,))
            bench.pair(name, "history engine (1 pass)", [PYTHON, "-c", HISTORY, repo, info.today],
                       raw, ok=(0,))

    if args.scan:
        scan_bench.rows(bench, SUBREG)

    elapsed = time.perf_counter() - started
    print("\n## subreg bench\n")
    print("Machine: " + "; ".join(facts) + ".\n")
    print(table(bench.rows))
    print("\nFloors (bench/floors.py), whole processes like subreg: check = git diff + ls-tree, "
          "every registry file of the head read through one pipelined `git cat-file --batch "
          "--buffer`, parsed (CSafeLoader) and validated + one `git log base..head` of the changed "
          "files; audit = one `git log --raw -z --no-renames -- registry/` + every blob it names, "
          "read once through one pipelined `git cat-file --batch --buffer` (a writer thread "
          "feeding it while the main thread parses) and parsed; the whole-history feed floor "
          "(publish) = the working tree's registry loaded, parsed and validated + the audit "
          "floor. The audits with every entry failing are timed against the passing audit. "
          "For diff and the history engine the reference is the raw `git log --raw -- "
          f"registry/`. Medians of whole-process wall times; today is {generate.TODAY}. Targets "
          f"(issue 17) apply to {' and '.join(label(*f) for f in sorted(FOCUS))}. The audit exits "
          "1 by design: each history carries 2 planted violations (additions with only 14 days "
          "of notice). Peak RSS: subreg's process, the largest of its runs. Scan rows "
          "(bench/scan.py): the floor is `git grep -I -c -E 'https?://'` on the same tree "
          "(target for the whole-tree scan: within 2.0x), and `subreg validate` (start-up and "
          "the registry) for the pull-request scan.")
    print("\nGrowth: the audit and publish per 1,000 commits plus entries (flat: linear in "
          "commits plus entries, not in their product).\n")
    print(growth(bench.rows, infos))
    if args.scan and scan_bench.CPU_ROWS:
        print("\nScan CPU time (bench/scan.py): user + system seconds of the whole process and its git "
              "children, next to the floor's; medians, interleaved. Unlike wall time it does not move "
              "with what else the machine runs.\n")
        print(scan_bench.cpu_table())
    print(f"\nbench: {elapsed:.0f} s end to end")
    results = HERE / ".work" / "results.json"
    results.parent.mkdir(exist_ok=True)
    results.write_text(json.dumps({"machine": facts, "seconds": round(elapsed, 1),
                                   "rows": [r.__dict__ | {"ratio": r.ratio} for r in bench.rows]},
                                  indent=1) + "\n")
    if bench.wrong:
        print("\nwrong results:\n  " + "\n  ".join(bench.wrong))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
