"""`subreg validate` and bad input, through the installed `subreg` command."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, Repo, dump, entry

SUBREG = shutil.which("subreg", path=os.path.dirname(sys.executable)) or "subreg"


def subreg(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SUBREG, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=60, check=False)


def test_seed_registry_is_valid() -> None:
    proc = subreg("--repo", ROOT, "validate")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ok: 21 subprocessors, policies/policy.yaml and waivers are valid\n"


def test_repo_is_found_upward(tmp_path: Path) -> None:
    proc = subreg("validate", cwd=ROOT / "registry")
    assert proc.returncode == 0
    proc = subreg("validate", cwd=tmp_path)
    assert proc.returncode == 2 and "no policies/policy.yaml" in proc.stderr


GOOD = dump(entry())

BAD: dict[str, tuple[bytes | str, str]] = {
    "duplicate key": (GOOD + "name: Again\n", r"registry/bad\.yaml:\d+:1: duplicate key 'name' \(first defined on line 1\)"),
    "unknown field": (GOOD + "nmae: x\n", r":\d+:1: unknown field 'nmae' \(did you mean 'name'\?\)"),
    "impossible date": (GOOD.replace("2024-01-01", "2024-13-01"), r":\d+:\d+: dpa_signed_on: '2024-13-01' is not a real date"),
    "US date": (GOOD.replace("'2024-01-01'", "01/10/2024"), r":\d+:\d+: dpa_signed_on: '01/10/2024' is not a date"),
    "unknown tier": (GOOD.replace("tier: core", "tier: gold"), r":\d+:7: tier: Input should be 'core'"),
    "missing field": (GOOD.replace("tier: core\n", ""), r":1:1: missing required field 'tier'"),
    "unclosed bracket": ("name: x\nlocations: [US, EU\n", r":\d+:\d+: invalid YAML"),
    "billion laughs": ("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", r":1:4: YAML anchors are not allowed"),
    "alias": ("a: x\nb: *a\n", r":2:4: YAML aliases are not allowed"),
    "merge key": ("<<: {name: x}\n", r":1:1: YAML merge keys \(<<\) are not allowed"),
    "list at top level": ("- name: x\n", r":1:1: expected a mapping of fields, found a list"),
    "empty file": ("", r"registry/bad\.yaml:1:1: expected a mapping of fields, found an empty file"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00", r"registry/bad\.yaml:3: binary file \(NUL byte\)"),
    "latin-1": ("name: Société\n".encode("latin-1"), r"registry/bad\.yaml:1:11: not UTF-8 text \(byte 0xe9\)"),
    "deep nesting": ("a: " + "[" * 20000 + "]" * 20000 + "\n", r":1:\d+: (nesting deeper than 32 levels|invalid YAML)"),
    "javascript link": (GOOD + "website: javascript:alert(1)\n", r"website: 'javascript:alert\(1\)' is not an https:// link"),
    "control character": (GOOD.replace("name: Acme Analytics", 'name: "Acme\\x07"', 1), r":1:7: name: code point U\+0007 is not allowed"),
    "yes as boolean": (GOOD.replace("personal_data: true", "personal_data: yes"), r"personal_data: 'yes' is not a boolean"),
    "python tag": (GOOD + "x: !!python/object:os.system ls\n", r"YAML tags are not allowed"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_entry(repo: Repo, case: str) -> None:
    content, pattern = BAD[case]
    repo.put("acme")
    repo.write("registry/bad.yaml", content)
    proc = subreg("--repo", repo.path, "validate")
    assert proc.returncode == 2
    assert re.search(pattern, proc.stderr), proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_every_problem_is_reported_not_only_the_first(repo: Repo) -> None:
    repo.write("registry/one.yaml", GOOD + "nmae: x\n")
    repo.write("registry/two.yaml", GOOD.replace("tier: core", "tier: gold"))
    repo.write("policies/waivers.yaml", "- check: dpa\n")
    proc = subreg("--repo", repo.path, "validate")
    lines = proc.stderr.splitlines()
    assert any(line.startswith("registry/one.yaml:") for line in lines)
    assert any(line.startswith("registry/two.yaml:") for line in lines)
    assert any(line.startswith("policies/waivers.yaml:1:3: missing required field") for line in lines)
    assert lines[-1].endswith("problems found")


def test_huge_file_is_refused_before_parsing(repo: Repo) -> None:
    repo.write("registry/huge.yaml", b"name: " + b"x" * (30 * 1024 * 1024) + b"\n")
    proc = subreg("--repo", repo.path, "validate")
    assert proc.returncode == 2
    assert "registry/huge.yaml: file is 31,457,287 bytes; the limit is 1,048,576" in proc.stderr


@pytest.mark.parametrize("name", ["Acme.yaml", "my vendor.yaml", "acme_1.yaml", "acme.yml"])
def test_bad_file_names(repo: Repo, name: str) -> None:
    repo.write(f"registry/{name}", GOOD)
    proc = subreg("--repo", repo.path, "validate")
    assert proc.returncode == 2 and f"registry/{name}: bad file name" in proc.stderr


def test_symlink_out_of_the_repo_is_refused(repo: Repo, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text(GOOD)
    (repo.path / "registry").mkdir(exist_ok=True)
    (repo.path / "registry" / "leak.yaml").symlink_to(secret)
    proc = subreg("--repo", repo.path, "validate")
    assert proc.returncode == 2 and "registry/leak.yaml: is a symlink" in proc.stderr


def test_symlink_in_git_history_is_refused(repo: Repo) -> None:
    repo.put("acme")
    (repo.path / "registry" / "leak.yaml").symlink_to("/etc/passwd")
    repo.commit("2025-01-01")
    proc = subreg("--repo", repo.path, "diff", "--base", "HEAD", "--head", "HEAD")
    assert proc.returncode == 2 and "HEAD:registry/leak.yaml: is a symlink" in proc.stderr


@pytest.mark.parametrize(("policy", "pattern"), [
    ("company: [x\n", r"policies/policy\.yaml:\d+:\d+: invalid YAML"),
    ("company: X\n", r"policies/policy\.yaml:1:1: missing required field 'notice_period_days'"),
    (dump({"company": "X", "notice_period_days": "thirty", "languages": ["en"],
           "contacts": {"privacy": "p@x.com"}, "regions": {}}),
     r"notice_period_days: 'thirty' is not a whole number"),
    (dump({"company": "X", "notice_period_days": 30, "languages": ["xx"],
           "contacts": {"privacy": "p@x.com"},
           "regions": {"eu": {"name": {"xx": "EU"}, "location": {"xx": "EU"}}}}),
     r"unknown language 'xx'"),
])
def test_broken_policy(repo: Repo, policy: str, pattern: str) -> None:
    repo.put("acme")
    repo.write("policies/policy.yaml", policy)
    proc = subreg("--repo", repo.path, "validate")
    assert proc.returncode == 2 and re.search(pattern, proc.stderr), proc.stderr
    proc = subreg("--repo", repo.path, "check")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_unknown_region_is_refused(repo: Repo) -> None:
    repo.put("acme", regions=["eu", "apac"])
    proc = subreg("--repo", repo.path, "validate")
    assert proc.returncode == 2
    assert re.search(r"registry/acme\.yaml:\d+:\d+: unknown region 'apac'", proc.stderr)


def test_norway_stays_norway(repo: Repo) -> None:
    repo.write("registry/acme.yaml", GOOD.replace("- DE", "- NO"))
    proc = subreg("--repo", repo.path, "validate")
    assert proc.returncode == 0, proc.stderr


def test_bad_today_and_bad_options() -> None:
    proc = subreg("--repo", ROOT, "--today", "2025-02-30", "validate")
    assert proc.returncode == 2 and "is not a date" in proc.stderr
    proc = subreg("--repo", ROOT, "nope")
    assert proc.returncode == 2 and "No such command" in proc.stderr


def test_schema_is_json_schema_of_an_entry() -> None:
    import json

    import jsonschema

    proc = subreg("schema")
    schema = json.loads(proc.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["required"]) == {"name", "tier", "personal_data", "locations", "purpose", "data_processed"}
    assert "id" not in schema["properties"] and schema["additionalProperties"] is False


def test_every_command_has_help() -> None:
    for command in ("validate", "schema", "diff", "check", "notice", "publish", "audit", "init"):
        proc = subreg(command, "--help")
        assert proc.returncode == 0 and "Usage: subreg" in proc.stdout
        summary = proc.stdout.split("\n\n")[1].strip()
        assert len(summary) > 20, command
