"""The edge cases of hostile input, in-process (tests/test_hostile.py runs the installed
`subreg` on each class)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import Repo, dump, entry
from subreg import outputs
from subreg.errors import InputError, Problem, format_problems
from subreg.escape import one_line
from subreg.gitrepo import epoch
from subreg.registry import history_problem

TODAY = "2025-06-01"


@pytest.fixture
def based(repo: Repo) -> Repo:
    repo.put("acme")
    repo.commit("2025-01-01", "baseline")
    return repo


@pytest.mark.parametrize(("text", "shown"), [
    ("plain text, é and 日本", "plain text, é and 日本"),
    ("a\nb\rc\td", "a\\nb\\rc\\td"),
    ("\x00\x1b\x7f\x85\x9f", "\\x00\\x1b\\x7f\\x85\\x9f"),
    ("\u2028\u2029\u202a\u202e\u2066\u2069", "\\u2028\\u2029\\u202a\\u202e\\u2066\\u2069"),
    ("\ufdd0\ufffe\uffff\U0001fffe\U0010ffff", "\\ufdd0\\ufffe\\uffff\\U0001fffe\\U0010ffff"),
    (b"a\xffb".decode("utf-8", "surrogateescape"), "a\\xffb"),
    ("\ud800", "\\ud800"),
])
def test_one_line(text: str, shown: str) -> None:
    assert one_line(text) == shown


def test_input_error_of_lines_and_plain_messages() -> None:
    assert str(InputError.of_lines(["a\nb", "c"])) == "a\\nb\nc"
    assert str(InputError("bad ref 'x\n::y'")) == "bad ref 'x\\n::y'"
    assert format_problems([Problem("p", 0, 0, "m"), Problem("p", 0, 0, "m")]) == ["p: m"]
    problems = [Problem("a.yaml", i, 1, "x") for i in range(1, 103)] + [Problem("b.yaml", 1, 1, "y")]
    lines = format_problems(problems)
    assert lines[100:] == ["a.yaml: ... and 2 more problems in this file (the first 100 are shown)", "b.yaml:1:1: y"]
    assert format_problems(problems[:101])[100] == "a.yaml: ... and 1 more problem in this file (the first 100 are shown)"


@pytest.mark.parametrize(("text", "value"), [
    (b"1735732800", 1735732800), (b" 0\n", 0), ("253402300799", 253402300799),
    (b"253402300800", None), (b"", None), (b"-5", None), (b"12x", None), (b"9" * 13, None), ("١٢", None),
])
def test_epoch(text: bytes | str, value: int | None) -> None:
    assert epoch(text) == value


@pytest.mark.parametrize(("path", "mode", "problem"), [
    ("registry/acme.yaml", "100644", None),
    ("registry/acme.yaml", "100755", None),
    ("registry/sub.yaml", "160000", "is a submodule"),
    ("registry/link.yaml", "120000", "is a symlink"),
    ("registry/sub", "040000", "is in a subfolder"),
    ("registry/sub/acme.yaml", "100644", "is in a subfolder"),
    ("registry/acme.yaml", "100664", "has the git file mode 100664"),
    ("registry/a\u202eb.yaml", "100644", "control characters or bytes that are not UTF-8"),
    ("registry/Acme.yaml", "100644", "bad file name 'Acme.yaml'"),
])
def test_history_problem(path: str, mode: str, problem: str | None) -> None:
    found = history_problem(path, mode)
    assert (found is None) if problem is None else (found is not None and problem in found)


# -- the small ones, in-process (the job summary; the injection test's in-process twin) ---

def test_job_summary_warning_in_process(run, based: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "missing" / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    for command in (["check", "--all"], ["audit"]):
        res = run("--repo", based.path, "--today", TODAY, *command)
        assert res.code == 0, res.err
        assert res.err == f"warning: cannot add to the job summary ({summary}): No such file or directory\n"
    monkeypatch.delenv("GITHUB_ACTIONS")
    from subreg.report import github

    assert github.add_to_summary("x") is None


def test_custom_check_payload_in_process(run, based: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    based.write("checks/test_evil.py", "def test_evil(subprocessor):\n    raise RuntimeError('a\\n::add-mask::b')\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    res = run("--repo", based.path, "--today", TODAY, "check", "--all")
    assert res.code == 1
    assert "::error file=registry/acme.yaml,line=1,title=evil::the check itself failed: RuntimeError: " \
           "a\\n::add-mask::b\n" in res.out
    assert "| the check itself failed: RuntimeError: a\\\\n::add-mask::b |" in (tmp_path / "summary.md").read_text()


def test_broken_custom_check_file_is_one_line(run, based: Repo) -> None:
    based.write("checks/test_broken.py", "def test_broken(:\n")
    res = run("--repo", based.path, "--today", TODAY, "check", "--all")
    assert res.code == 2
    assert res.err.startswith("checks/test_broken.py: cannot load the check: ")
    assert len(res.err.strip().split("\n")) == 1


def test_skipped_custom_check_is_not_a_finding(run, based: Repo) -> None:
    based.write("checks/test_skip.py", "import pytest\n\ndef test_skip(subprocessor):\n    pytest.skip('later')\n")
    res = run("--repo", based.path, "--today", TODAY, "check", "--all")
    assert res.code == 0, res.out + res.err
    assert "skip" not in res.out


# -- templates, in-process ---------------------------------------------------------------

def publish(run, repo: Repo, tmp_path: Path):  # type: ignore[no-untyped-def]
    return run("--repo", repo.path, "--today", TODAY, "publish", "--out", tmp_path / "site")


def test_templates_folder_symlink_is_refused(run, based: Repo, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (based.path / "templates").symlink_to(tmp_path / "elsewhere")
    res = publish(run, based, tmp_path)
    assert res.code == 2 and res.err == "templates: is a symlink; templates/ must be a real folder\n"


def test_override_special_files_are_refused(run, based: Repo, tmp_path: Path) -> None:
    (based.path / "templates").mkdir()
    os.mkfifo(based.path / "templates" / "page.css.j2")
    res = publish(run, based, tmp_path)
    assert res.code == 2 and res.err == "templates/page.css.j2: is not a regular file\n"
    os.unlink(based.path / "templates" / "page.css.j2")
    based.write("templates/page.css.j2", b"\xff\xfe")
    res = publish(run, based, tmp_path)
    assert res.code == 2 and res.err == "templates/page.css.j2: is not UTF-8 text\n"
    based.write("templates/page.css.j2", "x" * (1024 * 1024 + 1))
    res = publish(run, based, tmp_path)
    assert res.code == 2 and res.err == "templates/page.css.j2: template is 1,048,577 bytes; the limit is 1,048,576\n"
    assert not (tmp_path / "site").exists()


def test_override_of_a_partial_breaking_subregs_template(run, based: Repo, tmp_path: Path) -> None:
    based.write("templates/page_strings.j2", "{% set strings = {'en': {'security_items': 5}} %}\n")
    res = publish(run, based, tmp_path)
    assert res.code == 2
    assert res.err.startswith("subreg/templates/page_section.html.j2:")
    assert "(TypeError): 'int' object is not iterable" in res.err
    assert res.err.endswith("(in subreg's own template, rendered with the overrides of templates/)\n")


def test_override_including_a_missing_template(run, based: Repo, tmp_path: Path) -> None:
    based.write("templates/subprocessors.md.j2", "a\n{% include 'nowhere.j2' %}\n")
    res = publish(run, based, tmp_path)
    assert res.code == 2 and res.err == (
        "templates/subprocessors.md.j2:2: template error (TemplateNotFound): template 'nowhere.j2' not found "
        "(in templates/ or subreg's own)\n")


def test_override_is_used_and_sandboxed_in_notice(run, based: Repo, tmp_path: Path) -> None:
    based.put("beta", name="Beta", legal_name="Beta SAS",
              notice={"announced_on": "2025-05-01", "effective_on": "2025-06-15"})
    based.write("templates/notice_subject.j2", "Changes at {{ n.company | upper }} ({{ range(3) | list | length }})\n")
    res = run("--repo", based.path, "--today", TODAY, "notice", "--out", tmp_path / "drafts")
    assert res.code == 0, res.err
    eml = (tmp_path / "drafts" / "notice.en.eml").read_text("utf-8")
    assert "Subject: Changes at EXAMPLE CORP (3)" in eml  # filters and globals still work
    based.write("templates/notice_subject.j2", "{{ [].__class__.__base__.__subclasses__() }}\n")
    res = run("--repo", based.path, "--today", TODAY, "notice", "--out", tmp_path / "drafts2")
    assert res.code == 2 and "SecurityError" in res.err


# -- model -------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "point"), [("Acme\ue000", "U+E000"), ("Acme\u0378", "U+0378")])
def test_private_and_unassigned_code_points_in_names(run, based: Repo, name: str, point: str) -> None:
    based.put("beta", name=name, legal_name="Beta SAS")
    res = run("--repo", based.path, "validate")
    assert res.code == 2 and f"name: code point {point}" in res.err


def test_tab_in_a_text_field_is_refused(run, based: Repo) -> None:
    based.write("registry/acme.yaml", dump(entry(purpose=None)) + 'purpose: {en: "a\\tb", fr: x}\n')
    res = run("--repo", based.path, "validate")
    assert res.code == 2 and "purpose.en: code point U+0009 is not allowed" in res.err


# -- history, in-process -----------------------------------------------------------------

def test_first_commit_with_an_unreadable_date(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.git("add", "-A")
    env = repo.env()
    env.update(GIT_COMMITTER_DATE="@253402300800 +0000", GIT_AUTHOR_DATE="@253402300800 +0000")
    import subprocess

    subprocess.run(["git", "commit", "-q", "-m", "future"], cwd=repo.path, env=env, check=True)
    res = run("--repo", repo.path, "--today", TODAY, "publish", "--out", tmp_path / "site")
    assert res.code == 0, res.err
    assert "the commit's committer date cannot be read" in res.err
    # the last usable date of the registry: none, so the data's date (today)
    assert "(last updated 2025-06-01)" in res.out


def test_write_atomic_removes_leftovers(tmp_path: Path) -> None:
    (tmp_path / ".junit.xml.abc.tmp").write_text("half", encoding="utf-8")
    outputs.write_atomic(tmp_path / "junit.xml", "<x/>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml"]


@pytest.mark.parametrize(("source", "message"), [
    ("{% set strings = 1 / 0 %}\n", "templates/page_strings.j2:1: template error (ZeroDivisionError): division by zero"),
    ("x\n{{ nope.x }}\n", "templates/page_strings.j2:2: template error (UndefinedError): 'nope' is undefined"),
    ("{% set strings = {'fr': 1} %}\n", "templates/page_strings.j2: must set `strings`: a mapping of each "
     "language to a mapping of words"),
    ("{% set strings = {'de': {'title': 'Liste'}} %}\n", "templates/page_strings.j2: language 'de' is not one "
     "subreg ships: it must give every key of 'en'; missing: last_updated, languages_label, overview_title, "
     "overview, changes_title, changes, feed, objection_title and 69 more"),
])
def test_broken_words_override(run, based: Repo, tmp_path: Path, source: str, message: str) -> None:
    based.write("templates/page_strings.j2", source)
    res = publish(run, based, tmp_path)
    assert res.code == 2 and res.err == message + "\n"


def test_explain_of_a_custom_check_is_inert(run, based: Repo) -> None:
    based.write("checks/test_odd.py", 'def test_odd(subprocessor):\n    """Odd.\\r::add-mask::x\n\n    Text\\u2028::stop-commands::y\n    """\n')
    res = run("--repo", based.path, "explain", "odd")
    assert res.code == 0, res.err
    # a carriage return or a line separator in the docstring is not a line break
    assert "Odd.\\r::add-mask::x\n" in res.out and "Text\\u2028::stop-commands::y\n" in res.out
    res = run("--repo", based.path, "explain", "--all")
    assert "odd" in res.out and "\r" not in res.out
