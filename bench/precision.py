"""Precision and recall of `subreg scan` on real, public product code (a benchmark, not a test).

Fetches the packages of bench/precision_labels.yaml as package sources through the
ordinary clients (`pip download`, `npm pack`), unpacks each into a git repository under
bench/.work/corpus/, scans it whole against an empty registry (so that every service it
finds is reported), and compares the services found with the hand labels:

- precision: reported services that the labels say are used / reported services;
- recall: used services that were reported / used services (a used service the
  catalogue does not know counts as a miss);
- recall within the catalogue: the same, over the used services the catalogue knows.

Usage: python bench/precision.py [--set dev|held-out-1|...|held-out-25]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "corpus"
BIN = Path(sys.executable).parent
SUBREG = str(BIN / "subreg") if (BIN / "subreg").exists() else "subreg"
GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "bench",
           "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "bench@example.com"}
POLICY = {"company": "Corpus", "notice_period_days": 30, "languages": ["en"], "contacts": {"privacy": "p@example.com"},
          "regions": {"eu": {"name": {"en": "EU"}, "location": {"en": "EU"}}}}


def fetch(pkg: dict[str, str], dest: Path) -> None:
    """The package source, unpacked into `dest` and committed."""
    with tempfile.TemporaryDirectory() as tmp:
        if pkg["registry"] == "npm":
            subprocess.run(["npm", "pack", "--silent", f"{pkg['name']}@{pkg['version']}"], cwd=tmp, check=True,
                           capture_output=True)
        else:
            spec = f"{pkg['name']}=={pkg['version']}"
            got = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
                                  ":all:", "--no-build-isolation", "-d", tmp, spec], capture_output=True)
            if got.returncode != 0:  # no buildable sdist: the wheel holds the same code
                subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", tmp, spec],
                               check=True, capture_output=True)
        archive = next(p for p in Path(tmp).iterdir() if p.is_file())
        dest.mkdir(parents=True)
        if archive.suffix in (".whl", ".zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(dest)
        else:
            with tarfile.open(archive) as tar:
                tar.extractall(dest, filter="data")
    uid, gid = os.getuid(), os.getgid()
    for folder, dirs, files in os.walk(dest):
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), uid, gid)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "package"]):
        subprocess.run(["git", *args], cwd=dest, env=GIT_ENV, check=True, capture_output=True)


def scan(tree: Path, compliance: Path) -> list[str]:
    proc = subprocess.run([SUBREG, "--repo", str(compliance), "--today", "2026-12-01", "scan", str(tree),
                           "--format", "json"], capture_output=True, text=True, env=GIT_ENV)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"subreg scan {tree} failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
    services: list[str] = json.loads(proc.stdout)["services"]
    return services


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    labels = yaml.safe_load((HERE / "precision_labels.yaml").read_text())["packages"]
    parser.add_argument("--set", choices=list(dict.fromkeys(pkg["set"] for pkg in labels)),
                        help="only this set (default: all)")
    args = parser.parse_args(argv)
    catalogue = {s["id"] for s in json.loads(subprocess.run([SUBREG, "scan", "--catalog", "--format", "json"],
                                                             capture_output=True, text=True, check=True).stdout)}
    compliance = WORK / "compliance"
    shutil.rmtree(compliance, ignore_errors=True)
    (compliance / "policies").mkdir(parents=True)
    (compliance / "policies" / "policy.yaml").write_text(yaml.safe_dump(POLICY))
    rows = []
    for pkg in labels:
        if args.set and pkg["set"] != args.set:
            continue
        tree = WORK / f"{pkg['registry']}-{pkg['name']}-{pkg['version']}".replace("/", "-")
        if not (tree / ".git").is_dir():
            shutil.rmtree(tree, ignore_errors=True)
            fetch(pkg, tree)
        found = set(scan(tree, compliance))
        used = set(pkg["used"])
        tp, fp, fn = found & used, found - used, used - found
        rows.append((pkg, tp, fp, fn, {u for u in used if u in catalogue}))
        print(f"{pkg['name']}: found {sorted(found)}; false {sorted(fp)}; missed {sorted(fn)}", flush=True)
    print("\n| package | set | used | reported | right | wrong | missed | precision | recall | recall (catalogued) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for pkg, tp, fp, fn, known in rows:
        print(f"| {pkg['name']} {pkg['version']} ({pkg['registry']}) | {pkg['set']} | " + _cells([(tp, fp, fn, known)]))
    sets = list(dict.fromkeys(pkg["set"] for pkg, *_ in rows))
    for name in sets:
        print(f"| **all {name}** | | " + _cells([r[1:] for r in rows if r[0]["set"] == name], bold=True))
    if len(sets) > 1:
        print("| **union of the sets** | | " + _cells([r[1:] for r in rows], bold=True))
    return 0


Counts = tuple[set[str], set[str], set[str], set[str]]  # right, wrong, missed, used services the catalogue knows


def _cells(rows: list[Counts], bold: bool = False) -> str:
    tp = sum(len(r[0]) for r in rows)
    fp = sum(len(r[1]) for r in rows)
    fn = sum(len(r[2]) for r in rows)
    known = sum(len(r[3]) for r in rows)
    known_found = sum(len(r[0] & r[3]) for r in rows)
    b = "**" if bold else ""
    return (f"{tp + fn} | {tp + fp} | {tp} | {fp} | {fn} | {b}{_ratio(tp, tp + fp)}{b} | {b}{_ratio(tp, tp + fn)}{b} | "
            f"{_ratio(known_found, known)} |")


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "n/a"


if __name__ == "__main__":
    raise SystemExit(main())
