"""Failure reporting is linear (issue 18): N entries that all fail `due-diligence`.

A repository whose N entries all lack `due_diligence`, so that the check fails once per
entry; times whole-process runs of the installed `subreg check --all` and `subreg
audit` for each N. pytest used to render every failure with the repr of the `session`
fixture (the whole registry), once per failure: 400 entries took about a minute.

Usage: python bench/all_failing.py [--sizes 400,2000] [--subreg PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "@1735732800 +0000", "GIT_COMMITTER_DATE": "@1735732800 +0000",
}
POLICY = {
    "company": "Bench Corp", "notice_period_days": 30, "languages": ["en", "fr"],
    "contacts": {"privacy": "privacy@example.com"},
    "regions": {"eu": {"name": {"en": "European Union", "fr": "Union européenne"},
                       "location": {"en": "Frankfurt", "fr": "Francfort"}}},
}


def entry(i: int) -> dict[str, object]:
    return {
        "name": f"Vendor {i}", "legal_name": f"Vendor {i} GmbH", "tier": "core", "personal_data": True,
        "locations": ["DE"], "purpose": {"en": "Analytics", "fr": "Analyse"},
        "data_processed": {"en": "Usage events", "fr": "Événements d'usage"},
        "certifications": [{"name": "ISO 27001", "expires_on": "2030-01-01"}],
        "transfer_mechanisms": ["SCC"], "dpa_signed_on": "2024-01-01",
        "security": {"encryption_at_rest": True, "encryption_in_transit": True,
                     "breach_notice_hours": 48, "audit_rights": True},
    }


def make(root: Path, n: int) -> None:
    (root / "policies").mkdir(parents=True)
    (root / "registry").mkdir()
    (root / "policies" / "policy.yaml").write_text(yaml.safe_dump(POLICY, allow_unicode=True), encoding="utf-8")
    for i in range(n):
        (root / "registry" / f"e{i:05d}.yaml").write_text(yaml.safe_dump(entry(i), allow_unicode=True),
                                                          encoding="utf-8")
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "baseline"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="400,2000")
    parser.add_argument("--subreg", default=str(Path(sys.executable).parent / "subreg"))
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(GIT_ENV)
    work = Path(tempfile.mkdtemp(prefix="subreg-all-failing-"))
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            root = work / f"r{n}"
            make(root, n)
            for command in (["check", "--all"], ["audit", "--out", str(work / f"audit{n}")]):
                start = time.perf_counter()
                proc = subprocess.run([args.subreg, "--repo", str(root), "--today", "2025-06-01", *command],
                                      env=env, capture_output=True, text=True, check=False)
                elapsed = time.perf_counter() - start
                failures = proc.stdout.count("] due-diligence:")
                print(f"{n:>6} entries  {command[0]:<6} exit {proc.returncode}  {failures:>6} failures  "
                      f"{elapsed:6.2f} s")
                if proc.returncode != 1 or failures != n:
                    print(proc.stderr, file=sys.stderr)
                    return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
