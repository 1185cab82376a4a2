"""The GitHub workflows, the composite action and the pre-commit hook, checked for real:
zizmor, the GitHub JSON schemas, the rules of least privilege, and the subreg commands
of every `run:` step executed as written against a clone of a compliance repo."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import GIT_ENV, INSTALLED_BIN, ROOT, Repo, dump, entry
from github_api import TOKEN, GitHubAPI

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
                   if (scope, job_id) not in WRITE_GRANTS), f"{job_id}: {grants}"


# (scope, job) of every write grant: nowhere else.
WRITE_GRANTS = {("security-events", "code-scanning"), ("pull-requests", "comment"),
                ("issues", "tracking-issue"), ("issues", "close-tracking-issue"),
                ("pages", "deploy-pages"), ("id-token", "deploy-pages"),
                ("contents", "record-ledger"), ("pull-requests", "record-ledger")}


def test_write_grants_are_where_they_are_needed_and_nowhere_else() -> None:
    gate, nightly = workflow("pr-gate.yml"), workflow("nightly-audit.yml")
    assert gate["jobs"]["gate"]["permissions"] == {"contents": "read"}
    assert gate["jobs"]["code-scanning"]["permissions"]["security-events"] == "write"
    assert gate["jobs"]["comment"]["permissions"] == {"pull-requests": "write"}
    assert nightly["jobs"]["tracking-issue"]["permissions"] == {"issues": "write"}
    assert nightly["jobs"]["close-tracking-issue"]["permissions"] == {"issues": "write"}
    assert nightly["jobs"]["audit"]["permissions"] == {"contents": "read"}
    assert nightly["jobs"]["publish"]["permissions"] == {"contents": "read"}
    assert nightly["jobs"]["deploy-pages"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert nightly["jobs"]["send-notices"]["permissions"] == {"contents": "read"}
    assert nightly["jobs"]["record-ledger"]["permissions"] == {"contents": "write", "pull-requests": "write"}
    # The jobs that hold a write grant run no code from the repository: no checkout that
    # is run, no subreg, Python, pip, make or pytest.
    for job_id in ("code-scanning", "comment"):
        _assert_runs_no_repository_code(gate["jobs"][job_id])
    for job_id in ("tracking-issue", "close-tracking-issue", "deploy-pages", "record-ledger"):
        _assert_runs_no_repository_code(nightly["jobs"][job_id])
    assert not any(s.get("uses", "").startswith("actions/checkout@") for s in nightly["jobs"]["record-ledger"]["steps"])
    assert not any(s.get("uses", "").startswith("actions/checkout@") for s in gate["jobs"]["comment"]["steps"])


def test_smtp_secrets_are_in_one_step_of_one_job_only() -> None:
    """The SMTP credentials and the recipients reach the step that sends, in a job that
    can only read the repository, behind the environment that holds them."""
    for path in WORKFLOWS:
        text = path.read_text(encoding="utf-8")
        for job_id, job in load(path)["jobs"].items():
            for step in job.get("steps", []):
                found = {k for k, v in step.get("env", {}).items() if "secrets." in str(v)}
                if found:
                    assert (path.name, job_id, step["name"]) == ("nightly-audit.yml", "send-notices",
                                                                  "Send the notices due today")
                    assert found == {"SUBREG_SMTP_HOST", "SUBREG_SMTP_USER", "SUBREG_SMTP_PASSWORD",
                                     "SUBREG_RECIPIENTS"}
                    assert job["environment"] == "customer-notices" and job["permissions"] == {"contents": "read"}
        assert text.count("${{ secrets.") == (4 if path.name == "nightly-audit.yml" else 0), path.name


def _assert_runs_no_repository_code(job: dict[str, Any]) -> None:
    """No command of its scripts (the first word of each line and of each part after
    a pipe, `&&`, `||`, `;` or `$(`) runs code from the repository."""
    commands = set()
    for step in job["steps"]:
        for line in step.get("run", "").replace("\\\n", " ").splitlines():
            for part in re.split(r"\|\||&&|[|;]|\$\(", line):
                words = part.strip().lstrip("{(!").split()
                if words:
                    commands.add(words[0])
    assert not {"subreg", "python", "python3", "pip", "make", "pytest", "bash", "sh", "source", "."} & commands, \
        commands


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
    assert triggers(doc) == {"pull_request": {"branches": ["main"]}, "merge_group": None}
    job = doc["jobs"]["gate"]
    named = {s.get("name"): s for s in job["steps"]}
    assert job["steps"][0]["with"] == {"fetch-depth": 0, "persist-credentials": False}
    assert job["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha || github.event.merge_group.base_sha }}"
    check = named["Policy checks"]
    assert "continue-on-error" not in check and "if" not in check  # its failure fails the job
    assert "--sarif" in check["run"] and "--junit-xml" in check["run"] and '--base "$BASE_SHA"' in check["run"]
    assert check["run"].rstrip().endswith('exit "$code"')  # subreg's exit code is the step's
    after = job["steps"][job["steps"].index(check) + 1:]
    assert after and all("cancelled()" in s.get("if", "") or "always()" in s.get("if", "") for s in after)
    assert all("continue-on-error" not in s for s in job["steps"])
    upload = named["Upload notice drafts"]["with"]
    assert upload["name"] == "notices-${{ env.RUN_KEY }}"
    assert job["env"]["RUN_KEY"] == "${{ github.event.pull_request.number || github.run_id }}-${{ github.run_attempt }}"
    assert upload["if-no-files-found"] == "ignore" and isinstance(upload["retention-days"], int)
    assert "--out notices/" in named["Customer-notice drafts"]["run"]
    sarif = [s for _, s in steps(doc) if "upload-sarif" in s.get("uses", "")]
    assert len(sarif) == 1
    # the comment: its own job, after the gate, skipped for forks and merge queues
    comment = doc["jobs"]["comment"]
    assert comment["needs"] == "gate"
    for condition in ("github.event_name == 'pull_request'",
                      "github.event.pull_request.head.repo.full_name == github.repository",
                      "needs.gate.outputs.comment != ''"):
        assert condition in comment["if"]
    assert named["Upload the pull-request comment"]["with"]["name"] == "subreg-comment-${{ env.RUN_KEY }}"
    assert comment["steps"][0]["with"]["name"] == \
        "subreg-comment-${{ github.event.pull_request.number }}-${{ github.run_attempt }}"


def test_nightly_audit() -> None:
    doc = workflow("nightly-audit.yml")
    assert set(triggers(doc)) == {"schedule", "workflow_dispatch"}
    audit, publish = doc["jobs"]["audit"], doc["jobs"]["publish"]
    assert audit["steps"][0]["with"]["fetch-depth"] == 0
    assert publish["steps"][0]["with"]["fetch-depth"] == 0
    issue = doc["jobs"]["tracking-issue"]
    assert issue["needs"] == "audit" and "needs.audit.result == 'failure'" in issue["if"]
    close = doc["jobs"]["close-tracking-issue"]
    assert close["needs"] == "audit" and "needs.audit.result == 'success'" in close["if"]
    for job in (issue, close):
        assert {"GH_TOKEN", "GH_REPO", "RUN_URL", "TITLE", "LABEL"} <= set(job["steps"][-1]["env"])
    # GitHub Pages: optional (a repository variable), deployed by a job of its own
    pages = doc["jobs"]["deploy-pages"]
    assert pages["needs"] == "publish" and pages["if"] == "${{ vars.SUBREG_DEPLOY_PAGES == 'true' }}"
    assert pages["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in pages["steps"]] == ["actions/deploy-pages"]
    [upload] = [s for s in publish["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert upload["with"] == {"path": "site/"} and "SUBREG_DEPLOY_PAGES" in upload["if"]


# -- the scripts that call GitHub's API, run as written against a local API server ---------

def api_script(name: str, job_id: str) -> tuple[str, dict[str, str]]:
    step = workflow(name)["jobs"][job_id]["steps"][-1]
    return step["run"], step["env"]


def run_api_script(name: str, job_id: str, api: GitHubAPI, cwd: Path, tmp_path: Path,
                   **values: str) -> subprocess.CompletedProcess[str]:
    script, env = api_script(name, job_id)
    context_values = {"github.token": TOKEN, "github.repository": api.state.repo,
                      "github.server_url": "https://github.com", "github.run_id": "4242",
                      "github.event.pull_request.number": "7", **values}
    full = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    full.update(resolve(env, context_values))
    full["GITHUB_API_URL"] = api.url
    path = tmp_path / "api-step.sh"
    path.write_text(script, encoding="utf-8")
    return subprocess.run(["bash", "-e", str(path)], cwd=cwd, env=full, capture_output=True, text=True,
                          check=False, timeout=60)


def test_the_comment_is_created_once_then_updated(tmp_path: Path) -> None:
    work = tmp_path / "job"
    (work / "comment").mkdir(parents=True)
    (work / "comment" / "1-check.md").write_text("## subreg check\n\n**failed**: 1 failed\n", encoding="utf-8")
    (work / "comment" / "2-notice.md").write_text("## Customer notice draft (en)\n\n# Notice\n", encoding="utf-8")
    with GitHubAPI() as api:
        # a comment by the pull request's author that copies the marker is left alone
        api.state.comments[7] = [{"id": 1, "body": "<!-- subreg-gate-comment --> fake", "user": {"login": "mallory"}}]
        proc = run_api_script("pr-gate.yml", "comment", api, work, tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "created a comment"
        [_, ours] = api.state.comments[7]
        run_url = "https://github.com/acme/compliance/actions/runs/4242"
        assert ours["body"] == ("<!-- subreg-gate-comment -->\n## subreg check\n\n**failed**: 1 failed\n"
                                "## Customer notice draft (en)\n\n# Notice\n\n"
                                f"[The run]({run_url}) has the notice drafts in every language and the SARIF "
                                "and JUnit reports.\n")
        # the next push updates the same comment
        (work / "comment" / "1-check.md").write_text("## subreg check\n\n**passed**\n", encoding="utf-8")
        proc = run_api_script("pr-gate.yml", "comment", api, work, tmp_path)
        assert proc.returncode == 0 and proc.stdout.strip() == f"updated comment {ours['id']}", proc.stderr
        assert len(api.state.comments[7]) == 2 and "**passed**" in api.state.comments[7][1]["body"]
        assert api.state.comments[7][0]["body"] == "<!-- subreg-gate-comment --> fake"


def test_the_comment_finds_its_own_beyond_the_first_page(tmp_path: Path) -> None:
    work = tmp_path / "job"
    (work / "comment").mkdir(parents=True)
    (work / "comment" / "1-check.md").write_text("## subreg check\n", encoding="utf-8")
    with GitHubAPI() as api:
        api.state.comments[7] = [{"id": i, "body": "lgtm", "user": {"login": "reviewer"}} for i in range(150)]
        api.state.comments[7].append({"id": 999, "body": "<!-- subreg-gate-comment -->\nold",
                                      "user": {"login": "github-actions[bot]"}})
        proc = run_api_script("pr-gate.yml", "comment", api, work, tmp_path)
        assert proc.returncode == 0 and proc.stdout.strip() == "updated comment 999", proc.stderr
        assert len(api.state.comments[7]) == 151


def test_the_comment_text_is_data_not_shell(tmp_path: Path) -> None:
    """The comment's text comes from the pull request: it is sent as a JSON string."""
    work = tmp_path / "job"
    (work / "comment").mkdir(parents=True)
    hostile = '$(touch pwned) `touch pwned2` "quotes" \\ back\\slash\n'
    (work / "comment" / "1-check.md").write_text(hostile, encoding="utf-8")
    with GitHubAPI() as api:
        proc = run_api_script("pr-gate.yml", "comment", api, work, tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert hostile in api.state.comments[7][0]["body"]
    assert not (work / "pwned").exists() and not (work / "pwned2").exists()


def test_a_failing_audit_opens_one_tracking_issue_then_comments(tmp_path: Path) -> None:
    work = tmp_path / "job"
    (work / "audit").mkdir(parents=True)
    (work / "audit" / "audit.md").write_text("# Subprocessor audit\n\n**FAILED**\n", encoding="utf-8")
    with GitHubAPI() as api:
        proc = run_api_script("nightly-audit.yml", "tracking-issue", api, work, tmp_path)
        assert proc.returncode == 0 and proc.stdout.strip() == "opened the tracking issue", proc.stderr
        [issue] = api.state.issues
        assert issue["title"] == "Nightly subreg audit failed" and issue["labels"] == [{"name": "subreg-audit"}]
        assert "**FAILED**" in issue["body"] and "actions/runs/4242" in issue["body"]
        assert api.state.labels == ["subreg-audit"]
        # the next night: a comment on the same issue, the label already there
        proc = run_api_script("nightly-audit.yml", "tracking-issue", api, work, tmp_path)
        assert proc.returncode == 0 and proc.stdout.strip() == "commented on issue 1", proc.stderr
        assert len(api.state.issues) == 1 and "**FAILED**" in api.state.comments[1][0]["body"]


def test_a_passing_audit_closes_the_tracking_issue(tmp_path: Path) -> None:
    with GitHubAPI() as api:
        proc = run_api_script("nightly-audit.yml", "close-tracking-issue", api, tmp_path, tmp_path)
        assert proc.returncode == 0 and proc.stdout.strip() == "no open tracking issue", proc.stderr
        api.state.issues.append({"number": 1, "title": "Nightly subreg audit failed", "body": "",
                                 "labels": [{"name": "subreg-audit"}], "state": "open"})
        api.state.issues.append({"number": 2, "title": "Something else", "body": "",
                                 "labels": [{"name": "subreg-audit"}], "state": "open"})
        proc = run_api_script("nightly-audit.yml", "close-tracking-issue", api, tmp_path, tmp_path)
        assert proc.returncode == 0 and proc.stdout.strip() == "closed issue 1", proc.stderr
        assert [i["state"] for i in api.state.issues] == ["closed", "open"]
        assert api.state.issues[0]["state_reason"] == "completed"
        assert "passed again" in api.state.comments[1][0]["body"]


def test_api_scripts_stop_on_a_refused_token(tmp_path: Path) -> None:
    with GitHubAPI() as api:
        script, env = api_script("nightly-audit.yml", "close-tracking-issue")
        full = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
        full.update(resolve(env, {"github.token": "wrong", "github.repository": api.state.repo,
                                  "github.server_url": "https://github.com", "github.run_id": "1"}))
        full["GITHUB_API_URL"] = api.url
        proc = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=full, capture_output=True, text=True,
                              check=False)
        assert proc.returncode != 0 and "401" in proc.stderr


def test_tests_workflow_runs_the_readme_command() -> None:
    doc = workflow("tests.yml")
    assert set(triggers(doc)) == {"push", "pull_request"}
    runs = [s["run"] for _, s in steps(doc) if "run" in s]
    assert runs == ["make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_action_interface() -> None:
    doc = load(ACTION)
    assert doc["runs"]["using"] == "composite"
    assert {"command", "base", "source", "repo", "args", "python-version", "working-directory"} <= set(doc["inputs"])
    assert "scan" in doc["inputs"]["command"]["description"]
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
def context(base_sha: str, event: str = "pull_request") -> dict[str, str]:
    pr = event == "pull_request"
    return {"github.event.pull_request.base.sha": base_sha if pr else "",
            "github.event.merge_group.base_sha": "" if pr else base_sha,
            "github.event.pull_request.number": "7" if pr else "", "github.run_id": "4242",
            "github.run_attempt": "1", "github.event_name": event}


def subreg_steps(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """(job id, step, the env: mappings in scope) of every run: step that runs subreg."""
    found = []
    for job_id, job in doc["jobs"].items():
        for step in job.get("steps", []):
            script = step.get("run", "")
            if any(line.strip().startswith("subreg ") for line in script.splitlines()):
                env = {**doc.get("env", {}), **job.get("env", {}), **step.get("env", {})}
                found.append((job_id, step, env))
    return found


def commands(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(job id, subreg command line, env) of every `subreg` line of every run: step."""
    return [(job_id, line.strip(), env) for job_id, step, env in subreg_steps(doc)
            for line in step["run"].replace("\\\n", " ").splitlines() if line.strip().startswith("subreg ")]


def evaluate(expression: str, values: dict[str, str]) -> str:
    """A `${{ a || b }}` expression: the first operand with a value."""
    for operand in (o.strip() for o in expression.split("||")):
        assert operand in values, f"the test has no value for ${{{{ {operand} }}}}: add it to context()"
        if values[operand]:
            return values[operand]
    return ""


def resolve(env: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    out = {}
    for key, value in env.items():
        out[key] = re.sub(r"\$\{\{\s*(.+?)\s*\}\}", lambda m: evaluate(m[1], values), str(value))
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


def run_line(line: str, cwd: Path, env: dict[str, str], tmp_path: Path,
             summary: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a `run:` script as the runner's bash would, with subreg on PATH as after
    `pip install .`, in GitHub Actions mode (annotations, a job summary file per step)."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    summary = summary or tmp_path / "summary.md"
    summary.touch()
    full = {**base_env, **env, "PATH": f"{INSTALLED_BIN}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    # A `run:` step without `shell:` runs as `bash -e {0}` on Linux runners.
    script = tmp_path / "step.sh"
    script.write_text(line + "\n", encoding="utf-8")
    return subprocess.run(["bash", "-e", str(script)], cwd=cwd, env=full,
                          capture_output=True, text=True, check=False)


def run_steps(name: str, clone: Path, tmp_path: Path, values: dict[str, str],
              skip: set[str] = frozenset()) -> dict[str, tuple[int, str, str]]:  # type: ignore[assignment]
    """Every subreg step of a workflow, its whole script as written, in order: step name ->
    (exit code, output, that step's job summary). The jobs in `skip` are tested on their own."""
    results = {}
    for i, (job_id, step, env) in enumerate(subreg_steps(workflow(name))):
        if job_id in skip:
            continue
        summary = tmp_path / f"summary-{i}.md"
        proc = run_line(step["run"], clone, resolve(env, values), tmp_path, summary)
        results[step["name"]] = (proc.returncode, proc.stdout + proc.stderr, summary.read_text(encoding="utf-8"))
    return results


def test_workflow_commands_run_as_written(pr: tuple[Path, str], tmp_path: Path) -> None:
    clone, base = pr
    ran = [" ".join(line.split()[1:3]) for name in ("pr-gate.yml", "nightly-audit.yml")
           for _, line, _ in commands(workflow(name))]
    assert sorted(ran) == ["audit --out", "check --base", "notice --base", "notice --base", "notice send",
                           "publish --out"]
    results = {**run_steps("pr-gate.yml", clone, tmp_path, context(base)),
               **run_steps("nightly-audit.yml", clone, tmp_path, context(base), skip={"send-notices"})}
    for step_name, (code, log, _) in results.items():
        assert code == 0, f"{step_name}: {log}"
    assert (clone / "reports" / "subreg.sarif").is_file() and (clone / "reports" / "junit.xml").is_file()
    assert (clone / "notices" / "notice.en.md").is_file() and (clone / "notices" / "notice.json").is_file()
    assert "Beta Mail" in (clone / "notices" / "notice.en.md").read_text(encoding="utf-8")
    assert (clone / "audit" / "audit.json").is_file() and (clone / "audit" / "audit.md").is_file()
    assert (clone / "site" / "index.html").is_file()
    # the job summaries, kept for the pull-request comment: the findings, then the draft
    check_summary = results["Policy checks"][2]
    assert check_summary.startswith("## subreg check\n\n**passed**")
    assert (clone / "comment" / "1-check.md").read_text(encoding="utf-8") == check_summary
    draft = (clone / "notices" / "notice.en.md").read_text(encoding="utf-8")
    notice_summary = results["Customer-notice drafts"][2]
    assert notice_summary == f"## Customer notice draft (en)\n\n{draft}\n"
    assert (clone / "comment" / "2-notice.md").read_text(encoding="utf-8") == notice_summary


def test_the_gate_runs_for_merge_queues(pr: tuple[Path, str], tmp_path: Path) -> None:
    clone, base = pr
    doc = workflow("pr-gate.yml")
    assert "merge_group" in triggers(doc)
    results = run_steps("pr-gate.yml", clone, tmp_path, context(base, event="merge_group"))
    code, log, _ = results["Policy checks"]
    assert code == 0 and f"subreg check {base}..worktree: 1 change(s)" in log, log


def test_the_gate_fails_on_a_violation(pr: tuple[Path, str], tmp_path: Path) -> None:
    clone, base = pr
    (clone / "registry" / "gamma.yaml").write_text(dump(fresh(name="Gamma", legal_name="Gamma Ltd")),
                                                  encoding="utf-8")  # no notice
    code, log, summary = run_steps("pr-gate.yml", clone, tmp_path, context(base))["Policy checks"]
    assert code == 1, log
    assert "::error file=registry/gamma.yaml" in log and "notice-required" in log
    assert (clone / "reports" / "subreg.sarif").is_file()  # still uploaded for code scanning
    assert summary.startswith("## subreg check\n\n**failed**")
    assert (clone / "comment" / "1-check.md").read_text(encoding="utf-8") == summary  # kept for the comment


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
               SUBREG_SOURCE=inputs.get("source", "."), SUBREG_REPO=inputs.get("repo", ""),
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


def _product(tmp_path: Path) -> tuple[Path, str]:
    """A product repository: main uses Stripe; a pull request adds Mixpanel."""
    product = tmp_path / "product"
    (product / "app").mkdir(parents=True)
    (product / "requirements.txt").write_text("stripe==7.0\n", encoding="utf-8")
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "product"]):
        subprocess.run(["git", *args], cwd=product, env=env, check=True, capture_output=True)
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=product, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()
    (product / "app" / "track.py").write_text('URL = "https://api.mixpanel.com/track"\n', encoding="utf-8")
    for args in (["checkout", "-q", "-b", "pr"], ["add", "-A"], ["commit", "-q", "-m", "track"]):
        subprocess.run(["git", *args], cwd=product, env=env, check=True, capture_output=True)
    return product, base


def test_action_scans_a_product_against_the_compliance_repo_beside_it(pr: tuple[Path, str], tmp_path: Path) -> None:
    clone, _ = pr
    (clone / "registry" / "stripe.yaml").write_text(dump(fresh(name="Stripe, Inc.", legal_name="Stripe, Inc.",
                                                               website="https://stripe.com")), encoding="utf-8")
    product, base = _product(tmp_path)
    shutil.copytree(clone, product / "compliance", ignore=shutil.ignore_patterns(".git"))  # checked out beside
    # the pull request: only what it adds, from the pull request's base
    code, outputs, log = run_action(product, tmp_path, command="scan", repo="compliance", pr_base=base)
    assert (code, outputs["exit-code"]) == (1, "1"), log
    assert "app/track.py:1: [error] undeclared-subprocessor: Mixpanel (mixpanel) is used" in log, log
    assert f"subreg scan . ({base}..HEAD)" in log and "Proposed registry/mixpanel.yaml:" in log
    assert outputs["sarif"] == str(product / "subreg-reports" / "subreg-scan.sarif")
    assert outputs["report-dir"] == str(product / "subreg-reports") and outputs["junit-xml"] == ""
    assert "undeclared-subprocessor" in Path(outputs["sarif"]).read_text(encoding="utf-8")
    # the whole tree (no pull request), from a subfolder, findings not failing the step
    code, outputs, log = run_action(product, tmp_path, command="scan", repo="compliance", source="app",
                                    fail="false", out="scan-out")
    assert (code, outputs["exit-code"]) == (0, "1"), log
    assert "subreg scan app (whole tree)" in log and "app/track.py:1: [error] undeclared-subprocessor" in log
    assert outputs["sarif"] == str(product / "scan-out" / "subreg-scan.sarif") and Path(outputs["sarif"]).is_file()
    # a source that looks like an option is a folder
    code, outputs, log = run_action(product, tmp_path, command="scan", repo="compliance", source="--catalog")
    assert code == 2 and "--catalog: no such folder" in log, log  # a folder, not the option


def test_pre_commit_hook_entry_runs(pr: tuple[Path, str], tmp_path: Path) -> None:
    clone, _ = pr
    [hook] = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    proc = run_line(hook["entry"], clone, {}, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (clone / "registry" / "acme.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    assert run_line(hook["entry"], clone, {}, tmp_path).returncode == 2


def test_bash_is_available() -> None:
    assert shutil.which("bash"), "these tests run the workflows' scripts with bash, as the runner does"


def test_dependabot_config_is_valid() -> None:
    path = ROOT / ".github" / "dependabot.yml"
    proc = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(path)],
                          capture_output=True, text=True, env={**os.environ, **OFFLINE}, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {u["package-ecosystem"] for u in load(path)["updates"]} == {"github-actions", "pip"}


# -- from a merged change to a sent notice: the nightly's send and record jobs ---------------

def job_step(name: str, job_id: str, step_name: str) -> dict[str, Any]:
    return next(s for s in workflow(name)["jobs"][job_id]["steps"] if s.get("name") == step_name)


def test_the_send_path_is_a_job_of_its_own() -> None:
    doc = workflow("nightly-audit.yml")
    send, record = doc["jobs"]["send-notices"], doc["jobs"]["record-ledger"]
    assert send["needs"] == "audit" and "vars.SUBREG_SEND_NOTICES == 'true'" in send["if"]
    assert "needs.audit.outputs.report != ''" in send["if"]
    assert record["needs"] == "send-notices" and "needs.send-notices.outputs.ledger != ''" in record["if"]
    assert [s["uses"].split("@")[0] for s in record["steps"] if "uses" in s] == ["actions/download-artifact"]
    uploads = {s["name"]: s for s in send["steps"] if "upload-artifact" in s.get("uses", "")}
    assert all("cancelled()" in s["if"] for s in uploads.values())  # a stopped sending still leaves its record


@pytest.fixture
def smtp_tls(tmp_path: Path) -> Any:
    from smtp_server import SMTPServer, certificate

    cert = certificate(tmp_path)
    with SMTPServer(auth=True, tls=cert) as server:
        server.cert = cert[0]  # type: ignore[attr-defined]
        yield server


def test_the_notices_due_are_sent_and_their_records_committed(pr: tuple[Path, str], tmp_path: Path,
                                                              smtp_tls: Any) -> None:
    from smtp_server import PASSWORD, USER

    clone, base = pr
    runner = tmp_path / "runner"
    runner.mkdir()
    audit_step = job_step("nightly-audit.yml", "audit", "Audit")
    assert run_line(audit_step["run"], clone, {}, tmp_path).returncode == 0
    due = json.loads((clone / "audit" / "audit.json").read_text("utf-8"))["notices_due"]
    merge = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True,
                           check=True).stdout.strip()
    assert due == [{"commit": merge, "base": base, "announced_on": day(0), "subprocessors": ["beta"]}]
    step = job_step("nightly-audit.yml", "send-notices", "Send the notices due today")
    values = {"secrets.SUBREG_SMTP_HOST": smtp_tls.address, "secrets.SUBREG_SMTP_USER": USER,
              "secrets.SUBREG_SMTP_PASSWORD": PASSWORD,
              "secrets.SUBREG_RECIPIENTS": "ops@client-a.example,en\ndpo@client-b.example,fr",
              "runner.temp": str(runner)}
    env = {**resolve(step["env"], values), "RUNNER_TEMP": str(runner), "SSL_CERT_FILE": str(smtp_tls.cert)}
    proc = run_line(step["run"], clone, env, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [(m.recipients, m.message["Content-Language"]) for m in smtp_tls.received] == [
        (["ops@client-a.example"], "en"), (["dpo@client-b.example"], "fr")]
    assert smtp_tls.handler.logins == [USER]
    [record] = sorted((clone / "ledger").iterdir())
    assert record.name.startswith(f"{day(0)}-") and "languages: {en: 1, fr: 1}\n" in record.read_text("utf-8")
    assert not (runner / "recipients.csv").exists()  # the addresses are gone with the step
    assert "client-a" not in proc.stdout + proc.stderr
    # a re-run of the job (its journal downloaded from the first attempt) sends nobody a second copy
    journals = runner / "journals" / "send-journal-4242-1"
    journals.mkdir(parents=True)
    for journal in (runner / "subreg-state" / "send").iterdir():
        shutil.copy(journal, journals / journal.name)
    shutil.rmtree(runner / "subreg-state")
    proc = run_line(step["run"], clone, env, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(smtp_tls.received) == 2 and "already sent before" in proc.stdout
    # the next job commits the record, through GitHub's API, running no repository code
    work = tmp_path / "record-job"
    (work / "ledger").mkdir(parents=True)
    shutil.copy(record, work / "ledger" / record.name)
    with GitHubAPI() as api:
        proc = run_api_script("nightly-audit.yml", "record-ledger", api, work, tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == f"committed notices/ledger/{record.name} to main"
        assert api.state.files["main"][f"notices/ledger/{record.name}"][1] == record.read_bytes()
        # once more (the record rewritten by a resumed sending): it replaces the file
        proc = run_api_script("nightly-audit.yml", "record-ledger", api, work, tmp_path)
        assert proc.returncode == 0 and api.state.pulls == [], proc.stderr


def test_a_protected_branch_gets_a_pull_request_with_the_record(tmp_path: Path) -> None:
    work = tmp_path / "record-job"
    (work / "ledger").mkdir(parents=True)
    (work / "ledger" / "2026-12-01-3f2a9c1b0d4e.yaml").write_text("announced_on: 2026-12-01\n", encoding="utf-8")
    with GitHubAPI() as api:
        api.state.protected.add("main")
        proc = run_api_script("nightly-audit.yml", "record-ledger", api, work, tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == ("opened a pull request for notices/ledger/2026-12-01-3f2a9c1b0d4e.yaml "
                                       "(branch subreg-ledger/2026-12-01-3f2a9c1b0d4e)")
        assert api.state.files["main"] == {}
        [(_, content)] = api.state.files["subreg-ledger/2026-12-01-3f2a9c1b0d4e"].values()
        assert content == b"announced_on: 2026-12-01\n"
        [pull] = api.state.pulls
        assert (pull["head"], pull["base"], pull["title"]) == (
            "subreg-ledger/2026-12-01-3f2a9c1b0d4e", "main", "Ledger: 2026-12-01-3f2a9c1b0d4e")


def test_with_nothing_due_the_send_step_sends_nothing(pr: tuple[Path, str], tmp_path: Path) -> None:
    clone, _ = pr
    (clone / "audit").mkdir()
    (clone / "audit" / "audit.json").write_text('{"notices_due": []}', encoding="utf-8")
    step = job_step("nightly-audit.yml", "send-notices", "Send the notices due today")
    proc = run_line(step["run"], clone, {"RUNNER_TEMP": str(tmp_path)}, tmp_path)
    assert (proc.returncode, proc.stdout.strip()) == (0, "no notice is due today")
    with GitHubAPI() as api:
        (tmp_path / "empty").mkdir()
        proc = run_api_script("nightly-audit.yml", "record-ledger", api, tmp_path / "empty", tmp_path)
        assert (proc.returncode, proc.stdout.strip()) == (0, "no ledger record to commit")
        assert api.state.requests == []
