"""docs/reference.md cannot drift: it names every registry field, policy key, waiver
field, command, option and check id, and its check list is the checks' docstrings."""

from __future__ import annotations

import subprocess
import sys
import typing
from typing import Any

import click
import pytest
from pydantic import BaseModel

from conftest import ROOT
from subreg import cli, rules
from subreg.model import Policy, Subprocessor, Waiver

DOC = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")


def fields(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> set[str]:
    """Every field name of a model and of the models nested in it."""
    seen = seen if seen is not None else set()
    seen.add(model)
    names: set[str] = set()
    for name, info in model.model_fields.items():
        if info.exclude:
            continue  # set by subreg (id, path), not read from YAML
        names.add(name)
        for inner in _models(info.annotation):
            if inner not in seen:
                names |= fields(inner, seen)
    return names


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


@pytest.mark.parametrize("model", [Subprocessor, Policy, Waiver])
def test_every_field_and_key_is_named(model: type[BaseModel]) -> None:
    missing = sorted(name for name in fields(model) if f"`{name}`" not in DOC)
    assert missing == [], f"docs/reference.md does not name these {model.__name__} fields"


def test_every_command_and_option_is_named() -> None:
    def walk(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
        found = []
        for name, command in group.commands.items():
            found.append((f"{prefix} {name}", command))
            if isinstance(command, click.Group):
                found += walk(command, f"{prefix} {name}")
        return found

    missing = []
    for path, command in walk(cli.cli, "subreg"):
        if f"`{path}" not in DOC:
            missing.append(path)
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt not in ("--help",) and opt not in DOC:
                    missing.append(f"{path} {opt}")
    for param in cli.cli.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt != "--version" and opt not in DOC:
                missing.append(f"subreg {opt}")
    assert missing == []


def test_every_check_is_documented_with_its_source_and_fix() -> None:
    table = rules.builtin()
    assert {"notice-required", "notice-period", "notice-backdated", "waiver-expired"} <= set(table)
    for rid, rule in table.items():
        assert rule.summary and rule.source and rule.fix, f"{rid}: the docstring lacks Source: or Fix:"
        assert rule.severity.split()[0] in ("error", "warning"), rid
        assert f"### `{rid}`" in DOC


def test_the_generated_check_list_is_up_to_date() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "reference.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_user_facing_texts_point_at_sections_that_exist() -> None:
    """The README, init's templates and the docstrings point users to this reference,
    never to a SPEC they do not have."""
    texts = [ROOT / "README.md", *sorted((ROOT / "src" / "subreg" / "templates").glob("init-*.j2"))]
    for path in texts:
        assert "SPEC" not in path.read_text(encoding="utf-8"), path
    for rid, rule in rules.builtin().items():
        assert "SPEC" not in rule.text + rule.source + rule.fix, rid
    anchors = {line[3:].strip().lower().replace(" ", "-") for line in DOC.splitlines() if line.startswith("## ")}
    for link in ("#registry-entry-fields", "#policy-keys", "#checks", "#when-a-notice-is-required"):
        assert link[1:] in anchors, link


def test_explain_prints_the_rule_its_source_and_the_fix(installed) -> None:
    res = installed("explain", "notice-period", cwd="/")
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert lines[0] == "notice-period (error)"
    assert lines[2] == "effective_on - announced_on is at least the required notice period."
    assert "Source: GDPR Art. 28(2) and 28(4); the DPA's notice clause." in res.out
    assert "How to fix: Move `effective_on` later" in res.out
    assert "`waiver-new`" in res.out  # lines are wrapped at spaces only, never inside an id
    assert max(len(line) for line in lines) <= 88


def test_explain_an_unknown_id_suggests_the_closest(installed) -> None:
    res = installed("explain", "notice-perod", cwd="/")
    assert (res.code, res.out) == (2, "")
    assert res.err == ("unknown check id 'notice-perod' (did you mean 'notice-period'?); "
                       "`subreg explain --all` lists them\n")


def test_explain_lists_every_check(installed) -> None:
    res = installed("explain", "--all", cwd="/")
    assert res.code == 0
    ids = [line.split()[0] for line in res.out.splitlines()]
    assert ids == sorted(rules.builtin())


def test_explain_reads_a_custom_check_without_running_it(run, tmp_path) -> None:
    from conftest import Repo

    repo = Repo(tmp_path / "c")
    canary = tmp_path / "ran"
    repo.write("checks/test_ours.py", f'''
import pathlib
pathlib.Path({str(canary)!r}).write_text("imported")

@pytest.mark.severity("warning")
def test_no_india(subprocessor):
    """No processing in India.

    Our customers' contracts exclude it.

    Source: our master services agreement, clause 9.
    Fix: Remove IN from locations.
    """
    assert "IN" not in subprocessor.locations
''')
    res = run("--repo", repo.path, "explain", "no-india")
    assert res.code == 0, res.err
    assert res.out == ("no-india (warning)\n\nNo processing in India.\n\nOur customers' contracts exclude it.\n\n"
                       "Source: our master services agreement, clause 9.\n\nHow to fix: Remove IN from locations.\n\n"
                       "Defined in checks/test_ours.py.\n")
    assert not canary.exists()
    assert run("--repo", repo.path, "explain", "notice-period").code == 0
