"""The README's workflow for the product repository ("Scan your product"), read from the
README as a user copies it: GitHub's workflow schema and zizmor accept it, it keeps our
rules (actions pinned by SHA, least privilege, no credentials kept, both repositories
checked out), it installs subreg as the Install section says, and its scan step, run by
bash as written, gates a product's pull request against the compliance repository
checked out beside it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import GIT_ENV, ROOT, Repo, dump
from test_workflows import OFFLINE, PIN_LINE, WORKFLOWS, fresh, run_line, tool

HEADING = "### The workflow in the product repository"


def readme_workflow() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(HEADING):]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


@pytest.fixture(scope="module")
def workflow_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("product") / ".github" / "workflows" / "subprocessors.yml"
    path.parent.mkdir(parents=True)
    path.write_text(readme_workflow(), encoding="utf-8")
    return path


def doc_of(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def test_github_schema_and_zizmor_accept_it(workflow_file: Path) -> None:
    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        proc = subprocess.run([tool("check-jsonschema"), "--builtin-schema", schema, str(workflow_file)],
                              capture_output=True, text=True, env={**os.environ, **OFFLINE}, check=False)
        assert proc.returncode == 0, f"{schema}: {proc.stdout}{proc.stderr}"
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN")}
    proc = subprocess.run([tool("zizmor"), "--offline", "--no-progress", str(workflow_file)],
                          capture_output=True, text=True, env={**env, **OFFLINE}, check=False)
    assert proc.returncode == 0 and "No findings to report" in proc.stdout, proc.stdout + proc.stderr


def test_it_keeps_our_rules(workflow_file: Path) -> None:
    doc = doc_of(workflow_file)
    on = doc.get("on", doc.get(True))
    assert set(on) == {"pull_request", "push"} and doc["permissions"] == {}
    [(job_id, job)] = doc["jobs"].items()
    assert job["permissions"] == {"contents": "read"} and isinstance(job["timeout-minutes"], int)
    steps = job["steps"]
    ours = {line.split("@", 1)[0].split("uses:")[1].strip(): line.split("@", 1)[1].strip()
            for p in WORKFLOWS for line in p.read_text(encoding="utf-8").splitlines() if PIN_LINE.search(line)}
    for line in workflow_file.read_text(encoding="utf-8").splitlines():
        if "uses:" in line:
            m = PIN_LINE.search(line)
            assert m, f"not pinned by SHA with its version: {line.strip()}"
            assert ours[m["action"]] == line.split("@", 1)[1].strip(), "the same pin as our own workflows"
    checkouts = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
    assert len(checkouts) == 2 and all(s["with"]["persist-credentials"] is False for s in checkouts)
    assert all(s["with"]["fetch-depth"] == 0 for s in checkouts)  # the change's history, the registry's history
    assert "repository" not in checkouts[0]["with"]
    assert checkouts[1]["with"]["path"] == "compliance" and checkouts[1]["with"]["repository"]
    for s in steps:
        assert "${{" not in s.get("run", ""), "event data reaches the scripts through env: only"


def test_it_installs_subreg_as_the_install_section_says(workflow_file: Path) -> None:
    from subreg import __version__

    doc = doc_of(workflow_file)
    [install] = [s["run"] for job in doc["jobs"].values() for s in job["steps"] if "pip install" in s.get("run", "")]
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("### Install"):].split("```sh\n", 1)[1].split("```", 1)[0]
    spec = f'"subreg @ git+https://github.com/subreg/subreg@v{__version__}"'
    assert install == f"pip install {spec}" and spec in block  # subreg is not on PyPI


def _scan_step(workflow_file: Path) -> dict[str, Any]:
    doc = doc_of(workflow_file)
    [step] = [s for job in doc["jobs"].values() for s in job["steps"] if "subreg " in s.get("run", "")
              and "pip install" not in s["run"]]
    return step


def test_its_scan_step_runs_as_written(workflow_file: Path, repo: Repo, tmp_path: Path) -> None:
    """The product's workspace with the compliance repository checked out into
    `compliance/`, as the two checkouts leave it; the step's script run by bash."""
    repo.write("registry/stripe.yaml", dump(fresh(name="Stripe, Inc.", legal_name="Stripe, Inc.",
                                                  website="https://stripe.com")))
    repo.commit("2026-01-10", "baseline")
    product = tmp_path / "product"
    (product / "app").mkdir(parents=True)
    (product / "requirements.txt").write_text("stripe==7.0\n", encoding="utf-8")
    env = {**os.environ, **GIT_ENV}

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=product, env=env, check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "product")
    base = git("rev-parse", "HEAD")
    git("checkout", "-q", "-b", "pr")
    (product / "app" / "track.py").write_text('URL = "https://api.mixpanel.com/track"\n', encoding="utf-8")
    git("add", "-A")
    git("commit", "-q", "-m", "track")
    subprocess.run(["git", "clone", "-q", str(repo.path), str(product / "compliance")], check=True, env=env,
                   capture_output=True)
    step = _scan_step(workflow_file)
    # a pull request: only what it adds
    proc = run_line(step["run"], product, {"BASE_SHA": base}, tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "::error file=app/track.py,line=1,title=undeclared-subprocessor::" in proc.stdout
    assert f"subreg scan . ({base}..HEAD)" in proc.stdout
    assert "undeclared-subprocessor" in (product / "subreg-scan.sarif").read_text(encoding="utf-8")
    # a push to main: the whole tree, with the compliance folder not taken for evidence
    (product / "subreg-scan.sarif").unlink()
    proc = run_line(step["run"], product, {"BASE_SHA": ""}, tmp_path)
    assert proc.returncode == 1 and "subreg scan . (whole tree)" in proc.stdout, proc.stdout + proc.stderr
    assert (product / "subreg-scan.sarif").is_file()
    # once the registry declares the service, the pull request passes
    shutil.rmtree(product / "compliance")
    repo.write("registry/mixpanel.yaml", dump(fresh(name="Mixpanel, Inc.", website="https://mixpanel.com")))
    repo.commit("2026-02-01", "mixpanel")
    subprocess.run(["git", "clone", "-q", str(repo.path), str(product / "compliance")], check=True, env=env,
                   capture_output=True)
    proc = run_line(step["run"], product, {"BASE_SHA": base}, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
