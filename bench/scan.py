"""`make bench`, scan part: `subreg scan` against `git grep -I -c -E 'https?://'`.

Trees (cached under bench/.work/):

- generated product repositories of about 20,000 and 60,000 files (`product()`): Python, Node,
  Go and Terraform services with their manifests, source files of which about one in
  five holds URLs (mostly the company's own and generic hosts, a few catalogue hosts,
  some in comments), tests, docs and fixtures, plus a branch `pr` whose three commits
  add a dependency, add a host on a new line and bump a version;
- the largest real tree this machine can fetch as a package source (`real()`):
  n8n-nodes-base from npm (about 30,000 files: n8n's integrations with hundreds of
  services, as compiled JavaScript, type declarations and icons), unpacked and
  committed to a git repository. Most of it is under dist/, which the scan reads
  (git grep sees every file, as the floor does) but does not take as evidence.

Timed, as whole processes (medians, alternating with the floor): the whole-tree scan
next to the floor `git grep -I -c -E 'https?://'` on the same tree (target: within
2x), and on the generated trees the pull-request scan (`--base main` with HEAD on
`pr`) next to `subreg validate` of the same compliance repo: starting subreg and
reading the registry, which a scan cannot avoid; what the pull-request scan adds to it
grows with the change (three commits here), not with the tree.

Usage: python bench/scan.py [--runs 5]  (also run by bench/run.py)
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import inspect
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
VERSION = "1"
REAL = ("n8n-nodes-base", "2.41.2")  # the largest package source found on npm or PyPI for this bench
FLOOR = ["git", "grep", "-I", "-c", "-E", "https?://"]
TARGET = 2.0

GIT_ENV = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Bench Bot",
           "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "Bench Bot",
           "GIT_COMMITTER_EMAIL": "bench@example.com", "GIT_AUTHOR_DATE": "@1735732800 +0000",
           "GIT_COMMITTER_DATE": "@1735732800 +0000", "LC_ALL": "C"}

GENERIC = ["https://example.org/{p}", "https://internal.acme-corp.io/api/{p}", "https://cdn.acme-corp.io/{p}.js",
           "https://www.w3.org/TR/{p}", "https://github.com/acme/{p}", "http://localhost:8080/{p}",
           "https://en.wikipedia.org/wiki/{p}", "https://schemas.acme-corp.io/{p}.json"]
VENDOR = ["https://api.stripe.com/v1/{p}", "https://api.openai.com/v1/{p}", "https://hooks.slack.com/services/{p}",
          "https://api.sendgrid.com/v3/{p}", "https://o1.ingest.sentry.io/{p}"]
WORDS = ["user", "order", "invoice", "account", "session", "token", "cache", "queue", "report", "export", "import",
         "billing", "plan", "seat", "tenant", "region", "audit", "event", "metric", "job", "worker", "task",
         "handler", "router", "model", "view", "form"]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env={**GIT_ENV, "PATH": "/usr/bin:/bin"}, check=True,
                   capture_output=True)


def _ident(rng: random.Random) -> str:
    return "_".join(rng.sample(WORDS, 2))


def _source(rng: random.Random, lang: str, lines: int, urls: bool) -> str:
    comment = {"py": "#", "js": "//", "ts": "//", "go": "//"}[lang]
    out = []
    for i in range(lines):
        name = _ident(rng)
        if urls and rng.random() < 0.08:
            pool = VENDOR if rng.random() < 0.005 else GENERIC
            url = rng.choice(pool).format(p=name)
            if rng.random() < 0.3:
                out.append(f"{comment} see {url}")
            elif lang == "py":
                out.append(f'{name.upper()}_URL = "{url}"')
            elif lang == "go":
                out.append(f'const {name}URL{i} = "{url}"')
            else:
                out.append(f'export const {name}Url{i} = "{url}";')
        elif lang == "py":
            out.append(f"def {name}_{i}(value):\n    return value + {i}")
        elif lang == "go":
            out.append(f"func {name}{i}(v int) int {{ return v + {i} }}")
        else:
            out.append(f"export function {name}{i}(v) {{ return v + {i}; }}")
    return "\n".join(out) + "\n"


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def product(dest: Path, files: int = 20_000, seed: int = 1) -> None:
    """A product monorepo: services of four ecosystems, tests, docs, fixtures."""
    rng = random.Random(seed)
    _write(dest, "services/api/requirements.txt", "Django==5.0\nsentry-sdk[django]==1.40\nstripe==7.0\n")
    _write(dest, "services/api/requirements-dev.txt", "pytest\nstripe-mock\n")
    _write(dest, "apps/web/package.json", json.dumps({
        "name": "web", "dependencies": {"react": "18.0.0", "@sentry/react": "7.0.0", "@stripe/stripe-js": "2.0.0"},
        "devDependencies": {"jest": "29.0.0", "@segment/analytics-next": "1.0.0"}}, indent=2) + "\n")
    _write(dest, "services/worker/go.mod", "module example.com/worker\n\ngo 1.22\n\nrequire (\n"
           "\tgithub.com/aws/aws-sdk-go-v2 v1.30.0\n\tgithub.com/segmentio/backo-go v1.0.0 // indirect\n)\n")
    _write(dest, "infra/main.tf", 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n'
           '    datadog = { source = "DataDog/datadog" }\n  }\n}\n')
    _write(dest, ".env.example", "SENTRY_DSN=\nSTRIPE_SECRET_KEY=\nDATABASE_URL=postgres://localhost/app\n")
    layout = [("services/api/app", "py", 0.30), ("apps/web/src", "ts", 0.30), ("services/worker/internal", "go", 0.15),
              ("packages/ui/src", "js", 0.10), ("services/api/tests", "py", 0.08), ("docs", "md", 0.04),
              ("apps/web/src/__tests__", "ts", 0.03)]
    written = 6
    for folder, lang, share in layout:
        count = int(files * share)
        for i in range(count):
            sub = f"{folder}/{_ident(rng).replace('_', '/')}"
            if lang == "md":
                text = "\n".join(f"See {rng.choice(VENDOR + GENERIC).format(p=i)} for details." for _ in range(20))
                _write(dest, f"{sub}/page_{i}.md", text + "\n")
            else:
                _write(dest, f"{sub}/mod_{i}.{lang}", _source(rng, lang, rng.randint(20, 120), rng.random() < 0.2))
            written += 1
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "product")
    _git(dest, "checkout", "-q", "-b", "pr")
    pkg = json.loads((dest / "apps/web/package.json").read_text())
    pkg["dependencies"]["posthog-js"] = "1.100.0"
    _write(dest, "apps/web/package.json", json.dumps(pkg, indent=2) + "\n")
    _write(dest, "services/api/requirements.txt", "Django==5.1\nsentry-sdk[django]==1.45\nstripe==7.0\n")
    with (dest / "services/api/app/settings_vendor.py").open("w") as fh:
        fh.write('MIXPANEL_URL = "https://api.mixpanel.com/track"\n')
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "pr: posthog, mixpanel, a version bump")


def real(dest: Path) -> None:
    """The npm package source of a large real project, unpacked and committed."""
    name, version = REAL
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", f"{name}@{version}"], cwd=tmp, check=True, capture_output=True)
        archive = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "package")


def _digest() -> str:
    """What the trees are made from: they are made again when that changes, not when the
    timing code does."""
    parts = [inspect.getsource(f) for f in (_ident, _source, _write, product, real)]
    parts += [repr((GENERIC, VENDOR, WORDS, REAL, VERSION))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:10]


def ensure(kind: str, files: int = 20_000) -> Path:
    digest = _digest()
    dest = WORK / (f"scan-{kind}-{files}-{digest}" if kind == "product" else f"scan-{kind}-{digest}")
    if not (dest / ".git").is_dir():
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        product(dest, files) if kind == "product" else real(dest)
    return dest


def compliance() -> Path:
    """This repository's registry and policy, as the compliance repo of the scans."""
    dest = WORK / "scan-compliance"
    if dest.exists():
        shutil.rmtree(dest)
    for folder in ("registry", "policies"):
        shutil.copytree(ROOT / folder, dest / folder)
    return dest


def count(tree: Path) -> int:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=tree, capture_output=True, check=True).stdout
    return out.count(b"\0")


def bytecode() -> None:
    """subreg's modules compiled to bytecode, as `pip install` leaves them for users (it
    compiles what it installs; `make bench` runs the wheel's subreg): an editable install
    run with PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module on every
    run, a cost no user pays."""
    import subreg

    compileall.compile_dir(str(Path(subreg.__file__).parent), quiet=1)


def cpu(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children: user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


CPU_ROWS: list[str] = []


def cpu_pair(label: str, cmd: list[str], floor: list[str], runs: int) -> None:
    """The CPU time of the whole-tree scan next to the floor's, interleaved, medians: on a
    machine other work shares, wall times move with the load while CPU times do not."""
    mine, theirs = [], []
    for _ in range(runs):
        mine.append(cpu(cmd)[1])
        theirs.append(cpu(floor)[1])
    m, f = statistics.median(mine), statistics.median(theirs)
    CPU_ROWS.append(f"| {label} | {m:.3f} s | {f:.3f} s | {m / f:.2f}x | {runs} |")


def cpu_table() -> str:
    return "\n".join(["| tree | scan CPU (user+sys) | floor CPU | ratio | runs |", "|---|---:|---:|---:|---:|",
                      *CPU_ROWS])


def rows(bench: object, subreg: str) -> None:
    """Add the scan rows to a bench.run.Bench (and the CPU rows to CPU_ROWS)."""
    bytecode()
    runs = getattr(bench, "runs", 5)
    repo = str(compliance())
    sub = [subreg, "--repo", repo, "--today", "2025-03-01", "scan"]
    for files in (20_000, 60_000):
        prod = ensure("product", files)
        label = f"product tree ({count(prod):,} files)"
        print(f"\n{label}  ({prod})", flush=True)
        bench.pair(label, "scan (whole tree)", [*sub, str(prod)],  # type: ignore[attr-defined]
                   ["git", "-C", str(prod), *FLOOR[1:]], ok=(1, 0), target=TARGET)
        cpu_pair(label, [*sub, str(prod)], ["git", "-C", str(prod), *FLOOR[1:]], runs)
        bench.pair(label, "scan --base (3-commit PR)", [*sub, str(prod), "--base", "main"],  # type: ignore[attr-defined]
                   [subreg, "--repo", repo, "validate"], ok=(1, 0))
    try:
        tree = ensure("real")
    except (subprocess.CalledProcessError, StopIteration, OSError) as exc:
        print(f"  real tree: cannot fetch {REAL[0]}=={REAL[1]} ({exc})", flush=True)
        return
    label = f"{REAL[0]} {REAL[1]} from npm ({count(tree):,} files)"
    print(f"\n{label}  ({tree})", flush=True)
    bench.pair(label, "scan (whole tree)", [*sub, str(tree)], ["git", "-C", str(tree), *FLOOR[1:]],  # type: ignore[attr-defined]
               ok=(1, 0), target=TARGET)
    cpu_pair(label, [*sub, str(tree)], ["git", "-C", str(tree), *FLOOR[1:]], runs)


def main(argv: list[str] | None = None) -> int:
    import run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    bench = run.Bench(args.runs)
    rows(bench, run.SUBREG)
    print()
    print(run.table(bench.rows))
    print()
    print(cpu_table())
    return 1 if bench.wrong else 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    raise SystemExit(main())
