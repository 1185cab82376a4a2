"""Shared fixtures: real compliance repos in real git repositories, with controlled
commit dates and isolated git configuration, and two runners of the real CLI:

- `run`: the `subreg` entry point in-process (fast, and measured by coverage);
- `installed`: the `subreg` command that users get, in a subprocess. `make test` builds
  the sdist and the wheel, installs the wheel into a clean virtualenv of its own and
  points `SUBREG_BIN` at its `subreg`; tests of what users run (end-to-end runs, the
  workflows' and the action's commands, init, the browser) use this one, so that a file
  the package forgets to ship fails them.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from subreg.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _installed_bin() -> Path:
    """The `subreg` under test end to end: $SUBREG_BIN (set by `make test` to the wheel's
    virtualenv), else the wheel's virtualenv of an earlier `make test`, else the
    development one (a plain `pytest` run while working)."""
    if os.environ.get("SUBREG_BIN"):
        return Path(os.environ["SUBREG_BIN"])
    wheel = ROOT / ".venv-wheel" / "bin" / "subreg"
    return wheel if wheel.exists() else Path(sys.executable).parent / "subreg"


SUBREG_BIN = _installed_bin()
# The folder of the installed `subreg`, to put on PATH as `pip install` would.
INSTALLED_BIN = SUBREG_BIN.parent

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}

POLICY: dict[str, Any] = {
    "company": "Example Corp",
    "notice_period_days": 30,
    "languages": ["en", "fr"],
    "contacts": {"privacy": "privacy@example.com", "dpo": "dpo@example.com"},
    "regions": {
        "eu": {"name": {"en": "European Union", "fr": "Union européenne"},
               "location": {"en": "EU-West (Frankfurt)", "fr": "UE-Ouest (Francfort)"}},
        "us": {"name": {"en": "United States", "fr": "États-Unis"},
               "location": {"en": "US-East (Virginia)", "fr": "US-Est (Virginie)"}},
    },
}

ENTRY: dict[str, Any] = {
    "name": "Acme Analytics",
    "legal_name": "Acme Analytics GmbH",
    "address": "Musterstraße 1, 10115 Berlin, Germany",
    "contact": "privacy@acme.example",
    "tier": "core",
    "personal_data": True,
    "locations": ["DE"],
    "purpose": {"en": "Product analytics", "fr": "Analyse produit"},
    "data_processed": {"en": "Usage events", "fr": "Événements d'usage"},
    "certifications": [{"name": "ISO 27001", "expires_on": "2030-01-01"}],
    "transfer_mechanisms": ["SCC"],
    "dpa_signed_on": "2024-01-01",
    "security": {"encryption_at_rest": True, "encryption_in_transit": True,
                 "breach_notice_hours": 48, "audit_rights": True},
    "due_diligence": {"assessed_on": "2025-01-01", "risk": "low", "frameworks": ["GDPR"]},
    "transfer_assessed_on": "2025-01-01",
}


def entry(**overrides: Any) -> dict[str, Any]:
    """A valid registry entry; a value of None removes the field."""
    data = copy.deepcopy(ENTRY)
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def epoch(day: str) -> int:
    return int(dt.datetime.fromisoformat(day + "T12:00:00+00:00").timestamp())


@dataclass
class Result:
    code: int
    out: str
    err: str


class Repo:
    """A compliance repo in a real git repository."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.write("policies/policy.yaml", dump(POLICY))

    def env(self, day: str | None = None) -> dict[str, str]:
        env = {**os.environ, **GIT_ENV}
        if day:
            stamp = f"@{epoch(day)} +0000"
            env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        return env

    def git(self, *args: str, day: str | None = None) -> str:
        proc = subprocess.run(["git", *args], cwd=self.path, env=self.env(day),
                              capture_output=True, text=True, check=True)
        return proc.stdout.strip()

    def write(self, rel: str, text: str | bytes) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")
        return target

    def put(self, sp_id: str, **overrides: Any) -> Path:
        return self.write(f"registry/{sp_id}.yaml", dump(entry(**overrides)))

    def policy(self, **overrides: Any) -> None:
        data = copy.deepcopy(POLICY)
        data.update(overrides)
        self.write("policies/policy.yaml", dump(data))

    def remove(self, rel: str) -> None:
        (self.path / rel).unlink()

    def commit(self, day: str, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, day=day)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "compliance")


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Run the real `subreg` entry point in-process; returns code, stdout, stderr."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)

    def invoke(*args: str | Path) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    yield invoke


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a subprocess: no GitHub Actions variables of the machine that
    runs the tests, git configuration isolated, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(GIT_ENV)
    env.update(extra)
    return env


@pytest.fixture
def installed() -> Callable[..., Result]:
    """Run the installed `subreg` (SUBREG_BIN) in a subprocess: `installed(*args,
    cwd=..., env={...}, stdin=...)` returns code, stdout, stderr."""

    def invoke(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
               stdin: str | None = None) -> Result:
        proc = subprocess.run([str(SUBREG_BIN), *[str(a) for a in args]], cwd=cwd,
                              env=clean_env(**(env or {})), input=stdin, capture_output=True,
                              text=True, check=False, timeout=600)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return invoke


@pytest.fixture(params=["in-process", "installed"])
def cli(request: pytest.FixtureRequest, run: Any, installed: Any) -> Any:
    """Both runners, one after the other: for behaviour that must hold for the installed
    command and be measured by coverage too."""
    return run if request.param == "in-process" else installed


@pytest.fixture
def own_repo(tmp_path: Path) -> Repo:
    """This repository's registry, policies and own checks in a git repository of their
    own, so that tests do not depend on how CI cloned us (a shallow clone has no history
    to read)."""
    repo = Repo(tmp_path / "own")
    shutil.rmtree(repo.path / "policies")
    shutil.copytree(ROOT / "registry", repo.path / "registry")
    shutil.copytree(ROOT / "policies", repo.path / "policies")
    shutil.copytree(ROOT / "checks", repo.path / "checks", ignore=shutil.ignore_patterns("__pycache__"))
    repo.commit("2026-11-01", "registry baseline")
    return repo
