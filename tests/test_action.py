"""The composite action and the pre-commit hook, run for real as users get them.

The action's steps are read from `action.yml` and run by bash as GitHub's runner runs a
composite step (`bash --noprofile --norc -eo pipefail`), with the variables GitHub sets
(GITHUB_ACTION_PATH at a copy of this repository, RUNNER_TEMP, GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY, GITHUB_EVENT_NAME, the pull request's base SHA) and each step's
`env:` resolved from the action's inputs and the earlier steps' outputs. The install step
really installs subreg from that copy into its own virtualenv; the run step then gates a
compliance repository's pull request, once clean and once violating.

The pre-commit hook is run through `pre-commit try-repo`, which installs this repository
as a hook repository, as `pre-commit` does for every user.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import GIT_ENV, ROOT, Repo, dump
from test_workflows import day, fresh

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def repository_copy(dest: Path) -> Path:
    """This repository as a clone of it holds it: the files git tracks (and new ones not
    ignored), without .venv, build outputs or caches."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, check=True).stdout.decode()
    for rel in filter(None, out.split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "subreg"]):
        subprocess.run(["git", *args], cwd=dest, env=env, check=True, capture_output=True)
    return dest


def step(step_id: str) -> dict[str, Any]:
    return next(s for s in ACTION["runs"]["steps"] if s.get("id") == step_id)


def expression_values(inputs: dict[str, str], outputs: dict[str, dict[str, str]], base_sha: str) -> dict[str, str]:
    values = {f"inputs.{name}": str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    values.update({f"inputs.{k}": v for k, v in inputs.items()})
    for sid, outs in outputs.items():
        values.update({f"steps.{sid}.outputs.{k}": v for k, v in outs.items()})
    values["github.event.pull_request.base.sha"] = base_sha
    values["github.event.merge_group.base_sha"] = ""
    return values


def resolve(value: Any, values: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        key = m[1].strip()
        for operand in (o.strip() for o in key.split("||")):
            assert operand in values, f"the test has no value for ${{{{ {operand} }}}}"
            if values[operand]:
                return values[operand]
        return ""

    return re.sub(r"\$\{\{(.+?)\}\}", sub, str(value))


class Runner:
    """The steps of one job using the action, sharing RUNNER_TEMP and the job summary."""

    def __init__(self, tmp: Path, action_path: Path, workspace: Path, base_sha: str) -> None:
        self.tmp, self.action_path, self.workspace, self.base_sha = tmp, action_path, workspace, base_sha
        self.temp = tmp / "runner-temp"
        self.temp.mkdir(exist_ok=True)
        self.steps_run = 0
        self.summary = tmp / "step-summary-0.md"  # each step gets a job-summary file of its own
        self.outputs: dict[str, dict[str, str]] = {
            # what actions/setup-python gives: a Python to build the virtualenv with
            "python": {"python-path": str(Path(sys.base_prefix) / "bin" / "python3")},
        }

    def run_step(self, step_id: str, **inputs: str) -> tuple[int, str]:
        spec = step(step_id)
        assert spec["shell"] == "bash"
        values = expression_values(inputs, self.outputs, self.base_sha)
        self.steps_run += 1
        self.summary = self.tmp / f"step-summary-{self.steps_run}.md"
        self.summary.write_text("", encoding="utf-8")
        output = self.tmp / f"output-{step_id}"
        output.write_text("", encoding="utf-8")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GITHUB_", "VIRTUAL_ENV", "PYTHON"))}
        env.update(GIT_ENV)
        env.update(GITHUB_ACTIONS="true", GITHUB_ACTION_PATH=str(self.action_path), RUNNER_TEMP=str(self.temp),
                   RUNNER_OS="Linux", GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(self.summary),
                   GITHUB_EVENT_NAME="pull_request", GITHUB_WORKSPACE=str(self.workspace))
        env.update({k: resolve(v, values) for k, v in spec.get("env", {}).items()})
        cwd = self.workspace / resolve(spec.get("working-directory", "."), values)
        script = self.tmp / f"{step_id}.sh"
        script.write_text(spec["run"], encoding="utf-8")
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd, env=env,
                              capture_output=True, text=True, check=False, timeout=900)
        self.outputs[step_id] = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines()
                                     if "=" in line)
        return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def action_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return repository_copy(tmp_path_factory.mktemp("action") / "subreg")


@pytest.fixture
def pull_request(repo: Repo, tmp_path: Path) -> tuple[Path, str]:
    """A compliance repo: a baseline on main, then a pull request adding a subprocessor
    with a proper notice, checked out at the pull request's head."""
    repo.write("registry/acme.yaml", dump(fresh()))
    base = repo.commit(day(-40), "baseline")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("registry/beta.yaml", dump(fresh(
        name="Beta Mail", legal_name="Beta Mail SAS", locations=["FR"],
        notice={"announced_on": day(0), "effective_on": day(30)})))
    repo.commit(day(0), "add Beta Mail")
    return repo.path, base


def test_the_action_installs_subreg_and_gates_a_pull_request(action_copy: Path, pull_request: tuple[Path, str],
                                                              tmp_path: Path) -> None:
    workspace, base = pull_request
    job = Runner(tmp_path, action_copy, workspace, base)

    code, log = job.run_step("install")
    assert code == 0, log
    bin_dir = Path(job.outputs["install"]["bin"])
    assert bin_dir == job.temp / "subreg-venv" / "bin" and (bin_dir / "subreg").is_file()
    assert re.search(r"^subreg, version \d+\.\d+\.\d+$", log, re.M), log
    # installed from the action's checkout, not from this test's environment
    probe = subprocess.run([str(bin_dir / "python"), "-c", "import subreg; print(subreg.__file__)"],
                           capture_output=True, text=True, check=True)
    assert str(job.temp / "subreg-venv") in probe.stdout and str(ROOT) not in probe.stdout

    # the clean pull request passes, with its reports and outputs
    code, log = job.run_step("run", command="check")
    assert code == 0, log
    outputs = job.outputs["run"]
    reports = workspace / "subreg-reports"
    kept = job.temp / "subreg-summary" / "00-check.md"
    assert outputs == {"exit-code": "0", "report-dir": str(reports), "sarif": str(reports / "subreg.sarif"),
                       "junit-xml": str(reports / "junit.xml"), "summary": str(kept)}
    assert (reports / "subreg.sarif").is_file() and (reports / "junit.xml").is_file()
    assert f"subreg check {base}..worktree: 1 change(s), 1 subprocessor(s) in scope" in log
    summary = job.summary.read_text(encoding="utf-8")
    assert summary.startswith("## subreg check") and "**passed**" in summary
    assert kept.read_text(encoding="utf-8") == summary  # kept for the pull-request comment

    # a second run of the install step in the same job reuses the virtualenv
    marker = job.temp / "subreg-venv" / "kept"
    marker.write_text("", encoding="utf-8")
    code, log = job.run_step("install")
    assert code == 0 and marker.exists(), log

    # the same pull request, now adding a subprocessor without a notice: exit 1, reports still written
    (workspace / "registry" / "gamma.yaml").write_text(dump(fresh(name="Gamma", legal_name="Gamma Ltd")),
                                                      encoding="utf-8")
    (reports / "subreg.sarif").unlink()
    code, log = job.run_step("run", command="check")
    assert code == 1, log
    assert job.outputs["run"]["exit-code"] == "1"
    assert "::error file=registry/gamma.yaml,line=1,title=notice-required::" in log
    assert (reports / "subreg.sarif").is_file()
    assert "**failed**" in job.summary.read_text(encoding="utf-8")
    assert job.outputs["run"]["summary"] == str(job.temp / "subreg-summary" / "01-check.md")

    code, log = job.run_step("run", command="check", **{"fail-on-violations": "false"})
    assert code == 0 and job.outputs["run"]["exit-code"] == "1", log

    # the product repository's job: `command: scan` of the product, against the compliance
    # repository checked out beside it, from the product's pull-request base
    product = tmp_path / "product"
    (product / "web").mkdir(parents=True)
    (product / "web" / "analytics.js").write_text("export const url = 'https://api.mixpanel.com/track';\n",
                                                   encoding="utf-8")
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "start"]):
        subprocess.run(["git", *args], cwd=product, env=env, check=True, capture_output=True)
    product_base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=product, env=env, check=True,
                                  capture_output=True, text=True).stdout.strip()
    for args in (["add", "-A"], ["commit", "-q", "-m", "analytics"]):
        subprocess.run(["git", *args], cwd=product, env=env, check=True, capture_output=True)
    assert workspace.parent == product.parent  # the two checkouts side by side
    code, log = job.run_step("run", command="scan", base=product_base, repo=f"../{workspace.name}",
                             **{"working-directory": "../product"})
    assert code == 1, log
    assert "::error file=web/analytics.js,line=1,title=undeclared-subprocessor::" in log, log
    outputs = job.outputs["run"]
    assert outputs["exit-code"] == "1" and outputs["sarif"] == str(product / "subreg-reports" / "subreg-scan.sarif")
    assert Path(outputs["sarif"]).is_file() and outputs["junit-xml"] == ""
    assert "## subreg scan" in job.summary.read_text(encoding="utf-8")


# -- pre-commit -------------------------------------------------------------------------

def pre_commit(repo: Path, hook_repo: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(hook_repo.parent / "pre-commit-home")}
    env = {k: v for k, v in env.items() if not k.startswith(("VIRTUAL_ENV", "GITHUB_"))}
    return subprocess.run([str(Path(sys.executable).parent / "pre-commit"), "try-repo", str(hook_repo),
                           "subreg-validate", "--all-files"], cwd=repo, env=env, capture_output=True, text=True,
                          check=False, timeout=900)


def test_the_pre_commit_hook_validates_the_registry(action_copy: Path, repo: Repo) -> None:
    repo.write("registry/acme.yaml", dump(fresh()))
    repo.commit(day(-1))
    proc = pre_commit(repo.path, action_copy)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^subreg validate\.+Passed$", proc.stdout, re.M), proc.stdout

    text = (repo.path / "registry" / "acme.yaml").read_text(encoding="utf-8")
    (repo.path / "registry" / "acme.yaml").write_text(text.replace("tier: core", "tier: cor"), encoding="utf-8")
    repo.git("add", "-A")
    proc = pre_commit(repo.path, action_copy)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.search(r"^subreg validate\.+Failed$", proc.stdout, re.M), proc.stdout
    assert "- exit code: 2" in proc.stdout
    line = text.splitlines().index("tier: core") + 1
    assert f"registry/acme.yaml:{line}:7: tier: Input should be 'core', 'infrastructure' or 'integration'" \
        in proc.stdout, proc.stdout


# -- the README's install commands ----------------------------------------------------------

def readme_block(after: str) -> str:
    """The first ```sh block after the heading `after` in the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(after):]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def test_the_readme_install_commands_work_as_written(action_copy: Path, tmp_path: Path) -> None:
    """The README's install block, run by bash as written, with GitHub's address replaced
    by a local copy of this repository that carries the release tag."""
    from subreg import __version__

    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "tag", f"v{__version__}"], cwd=action_copy, env=env, check=False, capture_output=True)
    block = readme_block("### Install")
    assert f"@v{__version__}" in block, "the README installs the current release"
    # (file://localhost/..., since a PEP 508 URL needs a host)
    script = block.replace("https://github.com/subreg/subreg", f"file://localhost{action_copy}")
    home = tmp_path / "home"
    home.mkdir()
    run_env = {k: v for k, v in env.items() if not k.startswith(("VIRTUAL_ENV", "GITHUB_"))}
    run_env.update(HOME=str(home), PATH=f"{Path(sys.base_prefix) / 'bin'}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=run_env,
                          capture_output=True, text=True, check=False, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.strip().endswith(f"subreg, version {__version__}"), proc.stdout
    res = subprocess.run([str(home / ".subreg" / "bin" / "subreg"), "--repo", str(ROOT), "validate"],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0 and res.stdout.startswith("ok: 21 subprocessors"), res.stdout + res.stderr
