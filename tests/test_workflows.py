"""The GitHub workflows, the composite action and the pre-commit hook, checked for real:
zizmor, the GitHub JSON schemas, the rules of least privilege, and the subreg commands
of every `run:` step executed as written against a clone of a compliance repo."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import INSTALLED_BIN, ROOT, Repo, dump, entry

BIN = Path(sys.executable).parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
PIN_LINE = re.compile(r"uses:\s*(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40}) # v\d+\.\d+\.\d+\s*$")
# A proxy that refuses every connection: the tools below must not need the network.
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
           "NO_PROXY": "", "no_proxy": ""}


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed in {BIN}: pip install -e '.[dev]'")
    return str(path)


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), path
    return doc


def triggers(doc: dict[str, Any]) -> dict[str, Any]:
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert isinstance(on, dict)
    return on


def steps(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(job id, step) for every step of a workflow, or of a composite action."""
    if "runs" in doc:
        return [("action", s) for s in doc["runs"]["steps"]]
    return [(job_id, s) for job_id, job in doc["jobs"].items() for s in job.get("steps", [])]


def workflow(name: str) -> dict[str, Any]:
    return load(ROOT / ".github" / "workflows" / name)


def test_the_expected_files_exist() -> None:
    assert [p.name for p in WORKFLOWS] == ["nightly-audit.yml", "pr-gate.yml", "tests.yml"]
    assert ACTION.is_file() and HOOKS.is_file()


# -- the tools -----------------------------------------------------------------------------

def test_zizmor_reports_nothing() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN")}
    proc = subprocess.run(
        [tool("zizmor"), "--offline", "--strict-collection", "--no-progress",
         *[str(p) for p in WORKFLOWS], str(ACTION), str(HOOKS)],
        cwd=ROOT, capture_output=True, text=True, env={**env, **OFFLINE}, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout, proc.stdout


@pytest.mark.parametrize(("path", "schemas"), [
    *[(p, ["vendor.github-workflows", "custom.github-workflows-require-timeout"]) for p in WORKFLOWS],
    (ACTION, ["vendor.github-actions"]),
], ids=lambda v: v.name if isinstance(v, Path) else None)
def test_github_schemas_accept(path: Path, schemas: list[str]) -> None:
    for schema in schemas:
        proc = subprocess.run(
            [tool("check-jsonschema"), "--builtin-schema", schema, str(path)],
            capture_output=True, text=True, env={**os.environ, **OFFLINE}, check=False,
        )
        assert proc.returncode == 0, f"{schema}: {proc.stdout}{proc.stderr}"


def test_a_broken_workflow_is_caught(tmp_path: Path) -> None:
    """The two checks above would see a mistake: zizmor an injection, the schema a typo."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
        "    timeout-minutes: 5\n    permissions: {}\n    steps:\n"
        "      - run: echo \"${{ github.event.pull_request.title }}\"\n", encoding="utf-8")
    proc = subprocess.run([tool("zizmor"), "--offline", "--no-progress", str(bad)],
                          capture_output=True, text=True, env={**os.environ, **OFFLINE}, check=False)
    assert proc.returncode != 0 and "template-injection" in proc.stdout
    bad.write_text(bad.read_text(encoding="utf-8").replace("runs-on", "run-on"), encoding="utf-8")
    proc = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(bad)],
                          capture_output=True, text=True, env={**os.environ, **OFFLINE}, check=False)
    assert proc.returncode != 0


# -- least privilege, read from the files ------------------------------------------------

@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_granted_per_job(path: Path) -> None:
    doc = load(path)
    assert doc["permissions"] == {}, "top-level permissions must be {}"
    assert "concurrency" in doc
    for job_id, job in doc["jobs"].items():
        assert "permissions" in job, f"{job_id}: no permissions of its own"
        assert isinstance(job.get("timeout-minutes"), int), f"{job_id}: no timeout"
        grants = job["permissions"]
        assert all(level in ("read", "none") for scope, level in grants.items()
                   if (scope, job_id) not in {("security-events", "code-scanning"),
                                              ("issues", "tracking-issue")}), f"{job_id}: {grants}"


def test_write_grants_are_where_they_are_needed_and_nowhere_else() -> None:
    gate, nightly = workflow("pr-gate.yml"), workflow("nightly-audit.yml")
    assert gate["jobs"]["gate"]["permissions"] == {"contents": "read"}
    assert gate["jobs"]["code-scanning"]["permissions"]["security-events"] == "write"
    assert nightly["jobs"]["tracking-issue"]["permissions"] == {"issues": "write"}
    assert nightly["jobs"]["audit"]["permissions"] == {"contents": "read"}
    assert nightly["jobs"]["publish"]["permissions"] == {"contents": "read"}
    # The jobs that hold a write grant run no code from the repository.
    for job in (gate["jobs"]["code-scanning"], nightly["jobs"]["tracking-issue"]):
        lines = [line.split()[0] for s in job["steps"] for line in s.get("run", "").splitlines() if line.strip()]
        assert not {"subreg", "python", "pip", "make", "pytest"} & set(lines), lines


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_every_action_is_pinned_by_sha_with_its_version(path: Path) -> None:
    doc = load(path)
    uses = [s["uses"] for _, s in steps(doc) if "uses" in s]
    assert uses
    for ref in uses:
        assert PINNED.match(ref), f"{path.name}: {ref} is not pinned to a full commit SHA"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if "uses:" in line]
    for line in lines:
        assert PIN_LINE.search(line), f"{path.name}: no '# vX.Y.Z' comment on {line.strip()!r}"


def test_one_sha_per_action_everywhere() -> None:
    from subreg.commands import init

    seen: dict[str, set[str]] = {}
    texts = [p.read_text(encoding="utf-8") for p in [*WORKFLOWS, ACTION]]
    texts += [f"uses: {pin}" for pin in init.PINS.values()]
    for text in texts:
        for line in text.splitlines():
            m = PIN_LINE.search(line)
            if m:
                seen.setdefault(m["action"].split("/")[1], set()).add(line.split("@", 1)[1].strip())
    assert {name for name, pins in seen.items() if len(pins) > 1} == set(), seen


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_no_expression_inside_run(path: Path) -> None:
    """Event data reaches scripts through env: only, never spliced into the script."""
    doc = load(path)
    if path != ACTION:
        assert not {"pull_request_target", "workflow_run"} & set(triggers(doc))
    for job_id, step in steps(doc):
        if "run" in step:
            assert "${{" not in step["run"], f"{job_id}: an expression inside run: {step['run']!r}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_keep_no_credentials(path: Path) -> None:
    checkouts = [s for _, s in steps(load(path)) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    assert all(s.get("with", {}).get("persist-credentials") is False for s in checkouts)


def test_pr_gate() -> None:
    doc = workflow("pr-gate.yml")
    assert triggers(doc) == {"pull_request": {"branches": ["main"]}}
    job = doc["jobs"]["gate"]
    named = {s.get("name"): s for s in job["steps"]}
    assert job["steps"][0]["with"] == {"fetch-depth": 0, "persist-credentials": False}
    assert job["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    check = named["Policy checks"]
    assert "continue-on-error" not in check and "if" not in check  # its failure fails the job
    assert "--sarif" in check["run"] and "--junit-xml" in check["run"] and '--base "$BASE_SHA"' in check["run"]
    after = job["steps"][job["steps"].index(check) + 1:]
    assert after and all("cancelled()" in s.get("if", "") or "always()" in s.get("if", "") for s in after)
    assert all("continue-on-error" not in s for s in job["steps"])
    upload = named["Upload notice drafts"]["with"]
    assert upload["name"] == "notices-pr-${{ github.event.pull_request.number }}-${{ github.run_attempt }}"
    assert upload["if-no-files-found"] == "ignore" and isinstance(upload["retention-days"], int)
    assert "--out notices/" in named["Customer-notice drafts"]["run"]
    sarif = [s for _, s in steps(doc) if "upload-sarif" in s.get("uses", "")]
    assert len(sarif) == 1


def test_nightly_audit() -> None:
    doc = workflow("nightly-audit.yml")
    assert set(triggers(doc)) == {"schedule", "workflow_dispatch"}
    audit, publish = doc["jobs"]["audit"], doc["jobs"]["publish"]
    assert audit["steps"][0]["with"]["fetch-depth"] == 0
    assert publish["steps"][0]["with"]["fetch-depth"] == 0
    issue = doc["jobs"]["tracking-issue"]
    assert issue["needs"] == "audit" and "needs.audit.result == 'failure'" in issue["if"]
    script = issue["steps"][-1]
    assert {"GH_TOKEN", "GH_REPO", "RUN_URL"} <= set(script["env"])
    for command in ("gh issue list", "gh issue comment", "gh issue create"):
        assert command in script["run"]


def test_tests_workflow_runs_the_readme_command() -> None:
    doc = workflow("tests.yml")
    assert set(triggers(doc)) == {"push", "pull_request"}
    runs = [s["run"] for _, s in steps(doc) if "run" in s]
    assert runs == ["make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_action_interface() -> None:
    doc = load(ACTION)
    assert doc["runs"]["using"] == "composite"
    assert {"command", "base", "args", "python-version", "working-directory"} <= set(doc["inputs"])
    assert {"exit-code", "report-dir", "sarif", "junit-xml"} <= set(doc["outputs"])
    install = next(s for s in doc["runs"]["steps"] if s.get("id") == "install")
    assert '"$GITHUB_ACTION_PATH"' in install["run"] and "pip install" in install["run"]


def test_pre_commit_hook() -> None:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    [hook] = hooks
    assert hook["id"] == "subreg-validate" and hook["entry"] == "subreg validate"
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert files.search("registry/stripe.yaml") and files.search("policies/policy.yaml")
    assert not files.search("checks/test_x.py") and not files.search("src/registry/x.py")


# -- the commands, as written, on a clone ----------------------------------------------------

TODAY = dt.datetime.now(dt.UTC).date()


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def fresh(**overrides: Any) -> dict[str, Any]:
    """An entry that passes every date-driven check today."""
    return entry(due_diligence={"assessed_on": day(-10), "risk": "low", "frameworks": ["GDPR"]},
                 certifications=[{"name": "ISO 27001", "expires_on": day(700)}], **overrides)


# The values GitHub gives the expressions the workflows use, in a run on pull request 7.
def context(base_sha: str) -> dict[str, str]:
    return {"github.event.pull_request.base.sha": base_sha}


def commands(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(job id, command line, the env: mappings in scope) of every `subreg` line of every run: step."""
    found = []
    for job_id, job in doc["jobs"].items():
        for step in job.get("steps", []):
            script = step.get("run", "").replace("\\\n", " ")
            env = {**doc.get("env", {}), **job.get("env", {}), **step.get("env", {})}
            for line in script.splitlines():
                if line.strip().startswith("subreg "):
                    found.append((job_id, line.strip(), env))
    return found


def resolve(env: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    out = {}
    for key, value in env.items():
        m = re.fullmatch(r"\$\{\{\s*(.+?)\s*\}\}", str(value))
        if m:
            assert m[1] in values, f"the test has no value for ${{{{ {m[1]} }}}}: add it to context()"
            out[key] = values[m[1]]
        else:
            out[key] = str(value)
    return out


@pytest.fixture
def pr(repo: Repo, tmp_path: Path) -> tuple[Path, str]:
    """A compliance repo whose main holds a baseline, a pull request adding a subprocessor
    with a proper notice, and a clone checked out the way actions/checkout does it for a
    pull request: detached at the merge commit, with full history."""
    repo.write("registry/acme.yaml", dump(fresh()))
    repo.commit(day(-40), "baseline")
    base = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("registry/beta.yaml", dump(fresh(
        name="Beta Mail", legal_name="Beta Mail SAS", locations=["FR"],
        notice={"announced_on": day(0), "effective_on": day(30)})))
    repo.commit(day(0), "add Beta Mail")
    repo.git("checkout", "-q", "main")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.path), str(clone)], check=True, env=repo.env())
    for args in (["checkout", "-q", "--detach", "origin/main"],
                 ["merge", "-q", "--no-ff", "-m", "Merge pull request #7", "origin/feature"]):
        subprocess.run(["git", *args], cwd=clone, check=True, env=repo.env(day(0)))
    return clone, base


def run_line(line: str, cwd: Path, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run one command line as the runner's bash would, with subreg on PATH as after
    `pip install .`, in GitHub Actions mode (annotations, job summary)."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    full = {**base_env, **env, "PATH": f"{INSTALLED_BIN}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    # A `run:` step without `shell:` runs as `bash -e {0}` on Linux runners.
    script = tmp_path / "step.sh"
    script.write_text(line + "\n", encoding="utf-8")
    return subprocess.run(["bash", "-e", str(script)], cwd=cwd, env=full,
                          capture_output=True, text=True, check=False)


def test_workflow_commands_run_as_written(pr: tuple[Path, str], tmp_path: Path) -> None:
    clone, base = pr
    ran = []
    for name in ("pr-gate.yml", "nightly-audit.yml"):
        for job_id, line, env in commands(workflow(name)):
            proc = run_line(line, clone, resolve(env, context(base)), tmp_path)
            assert proc.returncode == 0, f"{name}/{job_id}: {line}\n{proc.stdout}{proc.stderr}"
            ran.append(line.split()[1])
    assert sorted(ran) == ["audit", "check", "notice", "publish"]
    assert (clone / "reports" / "subreg.sarif").is_file() and (clone / "reports" / "junit.xml").is_file()
    assert (clone / "notices" / "notice.en.md").is_file() and (clone / "notices" / "notice.json").is_file()
    assert "Beta Mail" in (clone / "notices" / "notice.en.md").read_text(encoding="utf-8")
    assert (clone / "audit" / "audit.json").is_file() and (clone / "audit" / "audit.md").is_file()
    assert (clone / "site" / "index.html").is_file()
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "subreg check" in summary


def test_the_gate_fails_on_a_violation(pr: tuple[Path, str], tmp_path: Path) -> None:
    clone, base = pr
    (clone / "registry" / "gamma.yaml").write_text(dump(fresh(name="Gamma", legal_name="Gamma Ltd")),
                                                  encoding="utf-8")  # no notice
    [(job_id, line, env)] = [c for c in commands(workflow("pr-gate.yml")) if " check " in c[1]]
    proc = run_line(line, clone, resolve(env, context(base)), tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "::error file=registry/gamma.yaml" in proc.stdout and "notice-required" in proc.stdout
    assert (clone / "reports" / "subreg.sarif").is_file()  # still uploaded for code scanning


# -- the composite action's own script ------------------------------------------------------

def action_script(step_id: str) -> str:
    step = next(s for s in load(ACTION)["runs"]["steps"] if s.get("id") == step_id)
    assert step["shell"] == "bash"
    return str(step["run"])


def run_action(clone: Path, tmp_path: Path, **inputs: str) -> tuple[int, dict[str, str], str]:
    """Run the action's `run` step with its env as GitHub would set it from the inputs."""
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(GITHUB_OUTPUT=str(output), RUNNER_TEMP=str(tmp_path), SUBREG_BIN=str(INSTALLED_BIN),
               SUBREG_COMMAND=inputs.get("command", "check"), SUBREG_BASE=inputs.get("base", ""),
               SUBREG_ARGS=inputs.get("args", ""), SUBREG_OUT=inputs.get("out", ""),
               SUBREG_FAIL=inputs.get("fail", "true"), PR_BASE_SHA=inputs.get("pr_base", ""))
    script = tmp_path / "step.sh"
    script.write_text(action_script("run"), encoding="utf-8")
    # `shell: bash` runs `bash --noprofile --norc -eo pipefail {0}`: -e included.
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=clone, env=env,
                          capture_output=True, text=True, check=False)
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if "=" in line)
    return proc.returncode, outputs, proc.stdout + proc.stderr


def test_action_check_uses_the_pull_request_base(pr: tuple[Path, str], tmp_path: Path) -> None:
    clone, base = pr
    code, outputs, log = run_action(clone, tmp_path, command="check", pr_base=base)
    assert code == 0, log
    assert outputs["exit-code"] == "0"
    assert outputs["sarif"] == str(clone / "subreg-reports" / "subreg.sarif")
    assert Path(outputs["sarif"]).is_file() and Path(outputs["junit-xml"]).is_file()
    assert f"subreg check {base[:12]}" in log or base in log


def test_action_fails_on_violations_unless_told_not_to(pr: tuple[Path, str], tmp_path: Path) -> None:
    clone, base = pr
    (clone / "registry" / "gamma.yaml").write_text(dump(fresh(name="Gamma", legal_name="Gamma Ltd")),
                                                  encoding="utf-8")
    code, outputs, log = run_action(clone, tmp_path, command="check", base=base)
    assert (code, outputs["exit-code"]) == (1, "1"), log
    code, outputs, log = run_action(clone, tmp_path, command="check", base=base, fail="false")
    assert (code, outputs["exit-code"]) == (0, "1"), log


def test_action_passes_args_without_evaluating_them(pr: tuple[Path, str], tmp_path: Path) -> None:
    clone, base = pr
    code, outputs, log = run_action(clone, tmp_path, command="check", base=base, args="--all --format 'json'")
    assert code == 0, log
    assert '"findings": []' in log
    code, outputs, log = run_action(clone, tmp_path, command="check", args="$(touch pwned) `touch pwned2`")
    assert code == 2 and outputs["exit-code"] == "2"
    assert not (clone / "pwned").exists() and not (clone / "pwned2").exists()


def test_action_out_folders_and_commands(pr: tuple[Path, str], tmp_path: Path) -> None:
    clone, base = pr
    code, outputs, log = run_action(clone, tmp_path, command="notice", pr_base=base)
    assert code == 0, log
    assert outputs["report-dir"] == str(clone / "notices") and (clone / "notices" / "notice.json").is_file()
    code, outputs, log = run_action(clone, tmp_path, command="publish", out="public")
    assert code == 0 and (clone / "public" / "index.html").is_file(), log
    code, outputs, log = run_action(clone, tmp_path, command="validate")
    assert code == 0 and outputs["report-dir"] == "", log
    code, outputs, log = run_action(clone, tmp_path, command="rm -rf /")
    assert code == 2 and "unknown command" in log


def test_pre_commit_hook_entry_runs(pr: tuple[Path, str], tmp_path: Path) -> None:
    clone, _ = pr
    [hook] = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    proc = run_line(hook["entry"], clone, {}, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (clone / "registry" / "acme.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    assert run_line(hook["entry"], clone, {}, tmp_path).returncode == 2


def test_bash_is_available() -> None:
    assert shutil.which("bash"), "these tests run the workflows' scripts with bash, as the runner does"
