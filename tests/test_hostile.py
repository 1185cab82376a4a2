"""Hostile input (issue 18): nothing crashes, hangs, injects or half-writes.

One test (at least) per class, each through the installed `subreg` on a real git
repository, asserting the exit code, the one-line message, and the exact bytes of the
output that must stay inert:

1. nothing registry-derived becomes a GitHub workflow command or forges structure;
2. no history breaks the audit or publish (gitlinks, bad file names, bad dates);
3. templates are data (sandbox, real folders only, path:line errors);
4. valid output files (code points refused at read time; names; confusables);
5. all or nothing on disk (kill -9 at many moments);
6. linear failure reporting;
7. caps on printed problems, a fast "did you mean";
8. the pytest plugin stays out of other projects;
9. the small ones (job summary, contacts, --today).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import INSTALLED_BIN, SUBREG_BIN, Repo, clean_env, dump, entry

TODAY = "2025-06-01"
# What the GitHub runner would read as a workflow command, were it a line of its own.
PAYLOAD = "x\n::add-mask::secret\r\n::stop-commands::tok\u2028::error::forged"
INERT = "x\\n::add-mask::secret\\r\\n::stop-commands::tok\\u2028::error::forged"
ANNOTATION = re.compile(r"::(error|warning) file=[^,:]*,line=\d+,title=[^,:]*::[^\r\n]*")


def runner_lines(text: str) -> list[str]:
    """The lines of an output as a log reader could split them."""
    return re.split(r"\r\n|\r|\n|\u2028|\u2029|\x85", text)


def assert_inert(text: str) -> None:
    """No line starts with `::` unless it is one of subreg's own annotations."""
    for line in runner_lines(text):
        if line.startswith("::"):
            assert ANNOTATION.fullmatch(line), f"forged workflow command: {line!r}"


@pytest.fixture
def based(repo: Repo) -> Repo:
    repo.put("acme")
    repo.commit("2025-01-01", "baseline")
    return repo


def summary_env(tmp_path: Path) -> dict[str, str]:
    return {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}


# -- 1. nothing registry-derived becomes a workflow command -----------------------------

def test_yaml_key_and_file_name_stay_one_line_in_validate(cli, based: Repo) -> None:
    based.write("registry/acme.yaml", dump(entry()) + 'nam: 1\n"x\\n::add-mask::secret": 1\n')
    based.write("registry/b\n::stop-commands::tok.yaml", dump(entry(name="B")))
    res = cli("--repo", based.path, "validate")
    assert res.code == 2 and res.out == ""
    assert res.err.split("\n") == [
        "registry/acme.yaml:32:1: unknown field 'nam' (did you mean 'name'?)",
        "registry/acme.yaml:33:1: unknown field 'x\\n::add-mask::secret'",
        "registry/b\\n::stop-commands::tok.yaml: bad file name 'b\\n::stop-commands::tok.yaml': "
        "registry files are named <id>.yaml, with an id of lowercase letters, digits and dashes",
        "3 problems found", "",
    ]
    assert_inert(res.err)


def test_custom_check_message_is_inert_in_text_annotations_junit_and_summary(
        installed, based: Repo, tmp_path: Path) -> None:
    based.write("checks/test_evil.py", f"def test_evil(subprocessor):\n    raise RuntimeError({PAYLOAD!r})\n")
    junit = tmp_path / "junit.xml"
    res = installed("--repo", based.path, "--today", TODAY, "check", "--all", "--junit-xml", junit,
                    env=summary_env(tmp_path))
    assert res.code == 1, res.err
    message = f"the check itself failed: RuntimeError: {INERT}"
    assert f"::error file=registry/acme.yaml,line=1,title=evil::{message}\n" in res.out
    assert f"  registry/acme.yaml:1: [error] evil: {message}\n" in res.out
    assert_inert(res.out + res.err)
    summary = (tmp_path / "summary.md").read_text("utf-8")
    shown = message.replace("\\", "\\\\")  # a Markdown cell escapes its backslashes
    assert f"| failed | evil | acme | registry/acme.yaml:1 | {shown} |\n" in summary
    assert_inert(summary)
    [case] = [c for c in ET.parse(junit).iter("testcase") if c.get("classname") == "evil"]
    failure = case.find("failure")
    assert failure is not None and failure.get("message") == message


def test_a_text_field_is_one_line(cli, based: Repo, tmp_path: Path) -> None:
    """A line break in a `purpose` would forge a "how to object" section in the e-mail."""
    based.put("evil", name="Evil", legal_name="Evil Inc.",
              purpose={"en": "Analytics\n\nHow to object\nWrite to evil@example.com", "fr": "x"},
              notice={"announced_on": "2025-05-01", "effective_on": "2025-06-15"})
    res = cli("--repo", based.path, "--today", TODAY, "notice", "--out", tmp_path / "drafts")
    assert res.code == 2 and res.out == ""
    assert res.err == ("registry/evil.yaml:10:7: purpose.en: code point U+000A is not allowed: text fields "
                       "are one line, without control, bidirectional-override or non-character code points\n")
    assert not (tmp_path / "drafts").exists()


# -- 2. no history breaks the audit or publish -------------------------------------------

def _commit_with_date(repo: Repo, date: str, message: str) -> str:
    repo.git("add", "-A")
    env = repo.env()
    env.update(GIT_COMMITTER_DATE=date, GIT_AUTHOR_DATE=date)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo.path, env=env, check=True)
    return repo.git("rev-parse", "HEAD")


def _gitlink(repo: Repo) -> tuple[str, str]:
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},registry/sub.yaml")
    repo.git("commit", "-q", "-m", "a submodule", day="2025-02-01")
    sha = repo.git("rev-parse", "HEAD")
    repo.git("rm", "-q", "--cached", "registry/sub.yaml")
    repo.git("commit", "-q", "-m", "no submodule", day="2025-02-02")
    return sha, ("registry/sub.yaml", "is a submodule (a gitlink); registry/ holds only <id>.yaml files")


def _bad_name(name: bytes) -> object:
    def make(repo: Repo) -> tuple[str, str]:
        path = os.path.join(os.fsencode(repo.path), b"registry", name)
        Path(os.fsdecode(path)).write_text(dump(entry(name="Bad")), encoding="utf-8")
        sha = repo.commit("2025-02-01", "bad name")
        os.unlink(path)
        repo.commit("2025-02-02", "fixed")
        shown = "registry/" + name.decode("utf-8", "surrogateescape").encode("unicode_escape").decode()
        shown = shown.replace("\\udcff", "\\xff")
        return sha, (shown, "has a file name with control characters or bytes that are not UTF-8")
    return make


def _date(date: str) -> object:
    def make(repo: Repo) -> tuple[str, str]:
        repo.put("beta", name="Beta", legal_name="Beta SAS",
                 notice={"announced_on": "2025-01-10", "effective_on": "2025-02-20"})
        sha = _commit_with_date(repo, date, "dated strangely")
        return sha, ("registry", BAD_DATE)
    return make


def _malformed_date(repo: Repo) -> tuple[str, str]:
    repo.put("beta", name="Beta", legal_name="Beta SAS",
             notice={"announced_on": "2025-01-10", "effective_on": "2025-02-20"})
    repo.git("add", "-A")
    tree, parent = repo.git("write-tree"), repo.git("rev-parse", "HEAD")
    obj = (f"tree {tree}\nparent {parent}\nauthor T <t@example.com> notadate +0000\n"
           "committer T <t@example.com> notadate +0000\n\nmalformed date\n")
    sha = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--literally", "--stdin"], cwd=repo.path,
                         input=obj, capture_output=True, text=True, check=True, env=repo.env()).stdout.strip()
    repo.git("update-ref", "refs/heads/main", sha)
    repo.git("reset", "-q", "--hard")
    return sha, ("registry", BAD_DATE)


BAD_DATE = ("the commit's committer date cannot be read (malformed, or after the year 9999): "
            "it is dated as the commit before it")
HISTORIES = {
    "gitlink": _gitlink,
    "control byte": _bad_name(b"a\x01b.yaml"),
    "line break": _bad_name(b"a\n::add-mask::x.yaml"),
    "not UTF-8": _bad_name(b"\xff.yaml"),
    "year 10000": _date("@253402300800 +0000"),
    "malformed date": _malformed_date,
}


@pytest.mark.parametrize("case", list(HISTORIES))
def test_unreadable_past_commits_are_warnings(cli, based: Repo, tmp_path: Path, case: str) -> None:
    sha, (path, message) = HISTORIES[case](based)  # type: ignore[operator]
    res = cli("--repo", based.path, "--today", TODAY, "audit", "--out", tmp_path / "audit")
    assert res.code == 0, res.err
    line = "registry:1" if path == "registry" else f"{path}:1"
    assert f"  {line}: [warning] history-invalid: commit {sha[:12]}: {path}: {message}\n" in res.out
    assert_inert(res.out)
    doc = json.loads((tmp_path / "audit" / "audit.json").read_text("utf-8"))
    assert [(f["check"], f["outcome"], f["path"]) for f in doc["findings"]] == [
        ("history-invalid", "warning", path)]

    res = cli("--repo", based.path, "--today", TODAY, "publish", "--out", tmp_path / "site")
    assert res.code == 0, res.err
    assert res.err == f"warning: {sha[:12]}:{path}: {message} (left out of the feed)\n"
    ET.parse(tmp_path / "site" / "feed.xml")  # parses


def test_history_payload_is_inert_in_audit_annotations_summary_and_report(
        installed, based: Repo, tmp_path: Path) -> None:
    sha, (path, message) = HISTORIES["line break"](based)  # type: ignore[operator]
    res = installed("--repo", based.path, "--today", TODAY, "audit", "--out", tmp_path / "audit",
                    env=summary_env(tmp_path))
    assert res.code == 0, res.err
    note = f"commit {sha[:12]}: {path}: {message}"
    assert path == "registry/a\\n::add-mask::x.yaml"
    annotation = f"::warning file={path.replace(':', '%3A')},line=1,title=history-invalid::{note}\n"
    assert res.out.startswith(annotation)
    shown = note.replace("\\", "\\\\")
    summary = (tmp_path / "summary.md").read_text("utf-8")
    report = (tmp_path / "audit" / "audit.md").read_text("utf-8")
    row = f"| history-invalid | - | {path.replace(chr(92), chr(92) * 2)}:1 | {shown} |\n"
    assert row in summary and row in report
    for text in (res.out, res.err, summary, report):
        assert_inert(text)


@pytest.mark.parametrize("today", ["9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01"])
def test_extreme_today_is_refused(cli, based: Repo, today: str) -> None:
    res = cli("--repo", based.path, "--today", today, "audit")
    assert res.code == 2 and res.out == ""
    assert res.err.endswith(f"Error: Invalid value for '--today': '{today}' is out of range: "
                            "the year must be 1900-2999\n")


@pytest.mark.parametrize("day", ["9999-12-20", "0001-01-01"])
def test_extreme_data_dates_are_refused(cli, based: Repo, tmp_path: Path, day: str) -> None:
    based.put("beta", name="Beta", legal_name="Beta SAS",
              notice={"announced_on": day, "effective_on": "9999-12-31"})
    res = cli("--repo", based.path, "--today", TODAY, "notice", "--out", tmp_path / "drafts")
    assert res.code == 2 and res.out == ""
    assert res.err.split("\n")[0] == (f"registry/beta.yaml:33:17: notice.announced_on: '{day}' is out of range: "
                                      "dates are years 1900-2999")
    assert not (tmp_path / "drafts").exists()


# -- 3. templates are data ---------------------------------------------------------------

@pytest.fixture
def announcing(based: Repo) -> Repo:
    """A change with something to announce."""
    based.put("beta", name="Beta", legal_name="Beta SAS",
              notice={"announced_on": "2025-05-01", "effective_on": "2025-06-15"})
    return based


def test_override_cannot_reach_python(cli, announcing: Repo, tmp_path: Path) -> None:
    proof = tmp_path / "PWNED"
    announcing.write("templates/notice_subject.j2",
                     f"{{{{ lipsum.__globals__.os.popen('touch {proof}').read() }}}}\n")
    res = cli("--repo", announcing.path, "--today", TODAY, "notice", "--out", tmp_path / "drafts")
    assert res.code == 2 and res.out == ""
    assert res.err == ("templates/notice_subject.j2:1: template error (SecurityError): access to attribute "
                       "'__globals__' of 'function' object is unsafe.\n")
    assert not proof.exists() and not (tmp_path / "drafts").exists()


def test_symlinked_folder_in_templates_cannot_read_host_files(cli, based: Repo, tmp_path: Path) -> None:
    host = tmp_path / "host"
    host.mkdir()
    (host / "secret.txt").write_text("TOP-SECRET\n", encoding="utf-8")
    based.write("templates/subprocessors.md.j2", '{% include "parts/secret.txt" %}\n')
    (based.path / "templates" / "parts").symlink_to(host)
    res = cli("--repo", based.path, "--today", TODAY, "publish", "--out", tmp_path / "site")
    assert res.code == 2 and res.out == ""
    assert res.err == ("templates/parts: is a symlink; templates/ must hold real folders and regular "
                       "files only\n")
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(("source", "message"), [
    ("# list\n{{ nope.x }}\n", "templates/subprocessors.md.j2:2: template error (UndefinedError): 'nope' is undefined"),
    ("# list\n\n{% if %}\n", "templates/subprocessors.md.j2:3: template syntax error: Expected an expression, "
     "got 'end of statement block'"),
    ("{{ 1 / 0 }}\n", "templates/subprocessors.md.j2:1: template error (ZeroDivisionError): division by zero"),
])
def test_broken_override_is_exit_2_at_its_line(cli, based: Repo, tmp_path: Path, source: str,
                                               message: str) -> None:
    based.write("templates/subprocessors.md.j2", source)
    res = cli("--repo", based.path, "--today", TODAY, "publish", "--out", tmp_path / "site")
    assert res.code == 2 and res.out == ""
    assert res.err == message + "\n"
    assert not (tmp_path / "site").exists()


# -- 4. valid output files, always -------------------------------------------------------

@pytest.mark.parametrize(("field", "text", "where", "point"), [
    ("purpose", '{en: "Analytics \\uFFFE", fr: x}', "29:15: purpose.en", "U+FFFE"),
    ("purpose", '{en: "Analytics \\uFFFF", fr: x}', "29:15: purpose.en", "U+FFFF"),
    ("purpose", '{en: "Analytics \\x1b[31m", fr: x}', "29:15: purpose.en", "U+001B"),
    ("address", '"Main St \\u202e1"', "31:10: address", "U+202E"),
])
def test_xml_forbidden_code_points_are_refused_at_read_time(cli, based: Repo, tmp_path: Path, field: str,
                                                            text: str, where: str, point: str) -> None:
    data = entry()
    data.pop(field, None)
    based.write("registry/acme.yaml", dump(data) + f"{field}: {text}\n")
    junit = tmp_path / "junit.xml"
    res = cli("--repo", based.path, "--today", TODAY, "check", "--all", "--junit-xml", junit)
    assert res.code == 2 and res.out == ""
    assert res.err == (f"registry/acme.yaml:{where}: code point {point} is not allowed: text fields are one "
                       "line, without control, bidirectional-override or non-character code points\n")
    assert not junit.exists()


def test_raw_forbidden_code_point_anywhere_in_a_file(cli, based: Repo) -> None:
    based.write("registry/acme.yaml", dump(entry()) + "# reviewed \u202e by legal\n")
    res = cli("--repo", based.path, "validate")
    assert res.code == 2
    assert res.err == ("registry/acme.yaml:32:12: code point U+202E is not allowed: control, "
                       "bidirectional-override and non-character code points are refused anywhere in a file\n"
                       "1 problem found\n")


def test_junit_and_feed_always_parse(cli, based: Repo, tmp_path: Path) -> None:
    based.write("checks/test_ctrl.py", "def test_ctrl(subprocessor):\n    raise ValueError('a\\x01b\\uffff')\n")
    junit = tmp_path / "junit.xml"
    res = cli("--repo", based.path, "--today", TODAY, "check", "--all", "--junit-xml", junit)
    assert res.code == 1, res.err
    [case] = [c for c in ET.parse(junit).iter("testcase") if c.get("classname") == "ctrl"]
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "the check itself failed: ValueError: a\\x01b\\uffff"


IN_NAME = ("is not allowed in a name: it is invisible, a format character or an unusual space")
ANYWHERE = ("is not allowed: control, bidirectional-override and non-character code points are refused "
            "anywhere in a file")


@pytest.mark.parametrize(("name", "message"), [
    ("Acme\u200b Analytics", f"1:7: name: code point U+200B (ZERO WIDTH SPACE) {IN_NAME}"),
    ("Acme\u00ad Analytics", f"1:7: name: code point U+00AD (SOFT HYPHEN) {IN_NAME}"),
    ("Acme\u3164Analytics", f"1:7: name: code point U+3164 (HANGUL FILLER) {IN_NAME}"),
    ("Acme\u00a0Analytics", f"1:7: name: code point U+00A0 (NO-BREAK SPACE) {IN_NAME}"),
    ("Acme\ufe0f Analytics", f"1:7: name: code point U+FE0F (VARIATION SELECTOR-16) {IN_NAME}"),
    ("Acme\u2066 Analytics", f"1:11: code point U+2066 {ANYWHERE}"),
    ("Acme\u202e Analytics", f"1:11: code point U+202E {ANYWHERE}"),
])
def test_invisible_and_bidi_code_points_are_refused_in_names(cli, based: Repo, name: str,
                                                            message: str) -> None:
    based.put("beta", name=name, legal_name="Beta SAS")
    res = cli("--repo", based.path, "validate")
    assert res.code == 2
    assert res.err == f"registry/beta.yaml:{message}\n1 problem found\n"


@pytest.mark.parametrize("name", [
    "Str\u0456pe",  # a Cyrillic i
    "\uff33\uff54\uff52\uff49\uff50\uff45",  # fullwidth
    "\uff33\uff34\uff32\uff29\uff30\uff25",  # fullwidth capitals
    "\u0405tripe",  # a Cyrillic S
])
def test_look_alike_names_are_duplicates(cli, based: Repo, name: str) -> None:
    based.put("stripe", name="Stripe", legal_name="Stripe, Inc.")
    based.put("stripe-2", name=name, legal_name="Stripe Payments Europe")
    based.commit("2025-02-01")
    res = cli("--repo", based.path, "--today", TODAY, "check", "--all", "--format", "json")
    assert res.code == 1, res.err
    [dup] = json.loads(res.out)["findings"]
    assert (dup["check"], dup["subprocessor"], dup["path"], dup["line"]) == (
        "duplicate", None, "registry/stripe-2.yaml", 1)
    assert dup["message"] == f"stripe-2 has the same name as stripe ({name!r})"


def test_distinct_names_are_not_duplicates(cli, based: Repo) -> None:
    based.put("stripe", name="Stripe", legal_name="Stripe, Inc.")
    based.put("stripes", name="Str1pe", legal_name="Str1pe Ltd")
    based.commit("2025-02-01")
    res = cli("--repo", based.path, "--today", TODAY, "check", "--all", "--format", "json")
    assert res.code == 0, res.err
    assert json.loads(res.out)["findings"] == []


# -- 5. all or nothing on disk -----------------------------------------------------------

def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def restore(folder: Path, files: dict[str, bytes]) -> None:
    import shutil

    shutil.rmtree(folder)
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)


def aside(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.subreg-"))


@pytest.mark.parametrize("command", ["publish", "audit"])
def test_a_kill_at_any_moment_leaves_the_old_or_the_new_folder(based: Repo, tmp_path: Path, command: str) -> None:
    out = tmp_path / "out"
    args = [str(SUBREG_BIN), "--repo", str(based.path), "--today", TODAY, command, "--out"]
    subprocess.run([*args, str(out)], env=clean_env(), check=True, capture_output=True)
    (out / "CNAME").write_text("list.example.com\n", encoding="utf-8")  # the user's own file
    old = snapshot(out)
    based.put("beta", name="Beta", legal_name="Beta SAS",
              notice={"announced_on": "2025-05-01", "effective_on": "2025-06-15"})
    based.commit("2025-05-01", "add beta")
    reference = tmp_path / "reference"
    subprocess.run([*args, str(reference)], env=clean_env(), check=True, capture_output=True)
    new = {**snapshot(reference), "CNAME": old["CNAME"]}
    assert new != old

    # Each step of the write waits 0.1 s: once the folder being built aside appears, a
    # kill after 0, 0.05, 0.1, ... s lands at a different moment of the write each time
    # (the files, the carry-over, the swap, the clean-up), and the last ones after it.
    slow = clean_env(SUBREG_TEST_WRITE_DELAY="0.1")
    seen, mid_write = set(), 0
    for i in range(16):
        stale = set(aside(out))  # left by the previous kill: the run removes them first
        proc = subprocess.Popen([*args, str(out)], env=slow, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not set(aside(out)) - stale and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(0.05 * i)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = snapshot(out)
        assert now in (old, new), f"kill {i}: neither the old folder nor the new one"
        seen.add("old" if now == old else "new")
        mid_write += bool(aside(out))
        if now == new:
            restore(out, old)
    assert seen == {"old", "new"} and mid_write > 0
    # the next run removes what the killed ones left aside, and writes the new folder
    subprocess.run([*args, str(out)], env=clean_env(), check=True, capture_output=True)
    assert snapshot(out) == new and aside(out) == []


def test_write_tree_without_exchange_and_recovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from subreg import outputs

    out = tmp_path / "site"
    outputs.write_tree(out, {"index.html": "one", "notice.de.md": "stale"})
    (out / "keep" / "x.txt").parent.mkdir()
    (out / "keep" / "x.txt").write_text("mine", encoding="utf-8")
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    outputs.write_tree(out, {"index.html": "two", "feed.xml": "<feed/>"})
    # subreg's stale output is gone, the user's folder is carried over
    assert snapshot(out) == {"feed.xml": b"<feed/>", "index.html": b"two", "keep/x.txt": b"mine"}
    assert aside(out) == []
    # a run killed between the two renames: the old folder is aside, none in place
    os.rename(out, tmp_path / ".site.subreg-old-abc123")
    (tmp_path / ".site.subreg-new-def456").mkdir()
    outputs.recover(out)
    assert snapshot(out)["index.html"] == b"two" and aside(out) == []
    # an empty folder is replaced by a plain rename
    empty = tmp_path / "empty"
    empty.mkdir()
    outputs.write_tree(empty, {"audit.md": "x"})
    assert snapshot(empty) == {"audit.md": b"x"}


def test_write_tree_refuses_repositories_files_and_the_current_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from subreg import outputs
    from subreg.errors import InputError

    (tmp_path / "repo" / ".git").mkdir(parents=True)
    with pytest.raises(InputError, match="it holds a git repository"):
        outputs.write_tree(tmp_path / "repo", {"index.html": "x"})
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="it is not a folder"):
        outputs.write_tree(tmp_path / "file", {"index.html": "x"})
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    with pytest.raises(InputError, match="it holds the current folder"):
        outputs.write_tree(tmp_path, {"index.html": "x"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "here", "repo"]


# -- 6. failure reporting is linear ------------------------------------------------------

def test_failures_are_not_rendered_by_pytest(installed, based: Repo) -> None:
    """pytest renders each failure with the repr of every argument of every frame: the
    whole registry for a check that takes `session`, once per failure. subreg's runner
    reports a failure without rendering it (see bench for the timing)."""
    based.write("checks/test_probe.py", '''
from pathlib import Path


class Probe:
    def __repr__(self):
        with open(Path(__file__).with_name("repr-calls"), "a") as fh:
            fh.write("x")
        return "Probe()"


def fail(probe):
    raise ValueError("no")


def test_probe(subprocessor, session):
    fail(Probe())
''')
    res = installed("--repo", based.path, "--today", TODAY, "check", "--all")
    assert res.code == 1, res.err
    assert "  registry/acme.yaml:1: [error] probe: the check itself failed: ValueError: no\n" in res.out
    assert not (based.path / "checks" / "repr-calls").exists()


# -- 7. caps -----------------------------------------------------------------------------

def test_at_most_100_problems_per_file_then_a_count(cli, based: Repo) -> None:
    extra = "".join(f"unknown_{i:03d}: 1\n" for i in range(250))
    based.write("registry/acme.yaml", dump(entry()) + extra)
    res = cli("--repo", based.path, "validate")
    assert res.code == 2
    lines = res.err.split("\n")
    assert len(lines) == 103 and lines[-1] == ""
    assert lines[0] == "registry/acme.yaml:32:1: unknown field 'unknown_000'"
    assert lines[99] == "registry/acme.yaml:131:1: unknown field 'unknown_099'"
    assert lines[100] == "registry/acme.yaml: ... and 150 more problems in this file (the first 100 are shown)"
    assert lines[101] == "250 problems found"


def test_did_you_mean_stays_fast_on_tens_of_thousands_of_unknown_keys(installed, based: Repo) -> None:
    # near misses of real field names: the costliest case for a fuzzy match
    extra = "".join(f"purpse{i}: 1\n" for i in range(40_000))
    based.write("registry/acme.yaml", dump(entry()) + extra)
    start = time.monotonic()
    res = installed("--repo", based.path, "validate")
    elapsed = time.monotonic() - start
    assert res.code == 2
    lines = res.err.split("\n")
    assert lines[0] == "registry/acme.yaml:32:1: unknown field 'purpse0' (did you mean 'purpose'?)"
    assert lines[100] == "registry/acme.yaml: ... and 39900 more problems in this file (the first 100 are shown)"
    assert elapsed < 4, elapsed  # about 1 s; a fuzzy match per key took 6 s


# -- 8. the pytest plugin stays out of other projects ------------------------------------

def test_plugin_is_absent_outside_a_compliance_repo(tmp_path: Path) -> None:
    project = tmp_path / "other"
    project.mkdir()
    (project / "conftest.py").write_text('''
import pytest


@pytest.fixture
def registry():
    return "the project's own registry"


@pytest.fixture
def subprocessor():
    return "the project's own subprocessor"
''', encoding="utf-8")
    (project / "test_other.py").write_text('''
import pytest


def test_own_registry(registry):
    assert registry == "the project's own registry"


def test_own_subprocessor(subprocessor):
    assert subprocessor == "the project's own subprocessor"


@pytest.mark.parametrize("name", ["change", "changes", "policy", "today", "history", "session", "base_registry"])
def test_subreg_fixtures_do_not_exist(request, name):
    with pytest.raises(pytest.FixtureLookupError):
        request.getfixturevalue(name)
''', encoding="utf-8")
    env = {k: v for k, v in clean_env().items() if k != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    proc = subprocess.run([str(INSTALLED_BIN / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=project, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("9 passed")


def test_plugin_is_active_in_a_compliance_repo(based: Repo) -> None:
    based.write("checks/test_own.py", '''
def test_no_india(subprocessor):
    assert "IN" not in subprocessor.locations
''')
    env = {k: v for k, v in clean_env().items() if k != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    proc = subprocess.run([str(INSTALLED_BIN / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "checks"],
                          cwd=based.path, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "test_no_india[acme]" in subprocess.run(
        [str(INSTALLED_BIN / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only", "checks"],
        cwd=based.path, env=env, capture_output=True, text=True, check=False).stdout


# -- 9. the small ones -------------------------------------------------------------------

def test_job_summary_in_a_missing_folder_is_a_warning(installed, based: Repo, tmp_path: Path) -> None:
    summary = tmp_path / "missing" / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    res = installed("--repo", based.path, "--today", TODAY, "check", "--all", env=env)
    assert res.code == 0, res.err
    assert res.err == f"warning: cannot add to the job summary ({summary}): No such file or directory\n"
    res = installed("--repo", based.path, "--today", TODAY, "audit", env=env)
    assert res.code == 0, res.err
    assert res.err == f"warning: cannot add to the job summary ({summary}): No such file or directory\n"


@pytest.mark.parametrize("contact", ["a(b)@example.com", "\"a b\"@example.com", "a@b@example.com",
                                     "a..b@example.com", "a@-example.com"])
def test_a_contact_is_refused_rather_than_changed(cli, based: Repo, contact: str) -> None:
    based.put("acme", contact=contact)
    res = cli("--repo", based.path, "validate")
    assert res.code == 2
    assert res.err == (f"registry/acme.yaml:4:10: contact: {contact!r} is neither an e-mail address nor an "
                       "https:// link\n1 problem found\n")


def test_a_plain_contact_is_accepted(cli, based: Repo) -> None:
    based.put("acme", contact="privacy+eu@mail.example.co.uk")
    res = cli("--repo", based.path, "validate")
    assert res.code == 0, res.err


@pytest.mark.parametrize("today", ["2026-W01-1", "2026-001", "20260101", "2026-01-01T00:00"])
def test_today_is_yyyy_mm_dd_only(cli, based: Repo, today: str) -> None:
    res = cli("--repo", based.path, "--today", today, "validate")
    assert res.code == 2 and res.out == ""
    assert res.err.endswith(f"Error: Invalid value for '--today': '{today}' is not a date: write YYYY-MM-DD\n")
