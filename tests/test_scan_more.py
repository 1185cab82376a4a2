"""`subreg scan` edge cases: built packages' metadata, the change scan's limits, git
without PCRE, reports in-process, and the parsers' corners."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from conftest import Repo
from subreg.escape import one_line
from subreg.gitrepo import Git, ProductTree, unquote_path
from subreg.scan import collect, manifests, paths, text
from test_scan import STRIPE, TODAY, as_json, compliance
from test_scan_evidence import MATCHER, found, git, scan, tree


def test_built_package_metadata_is_a_manifest(tmp_path: Path) -> None:
    meta = ("Metadata-Version: 2.1\nName: app\nRequires-Dist: stripe>=7\nRequires-Dist: pytest; extra == \"test\"\n"
            "Requires-Dist: openai; extra == \"ai\"\nRequires-Dist: not a requirement!\n\n"
            "Long description mentioning Requires-Dist: sentry-sdk\n")
    got = scan(tree(tmp_path / "p", {"app-1.0.dist-info/METADATA": meta, "PKG-INFO": meta,
                                     "vendor/x.dist-info/METADATA": meta, "docs/PKG-INFO": meta}))
    assert found(got) == [
        ("PKG-INFO", 3, "stripe", "dependency", "Requires-Dist: stripe>=7"),
        ("PKG-INFO", 5, "openai", "dependency", 'Requires-Dist: openai; extra == "ai"'),
        ("app-1.0.dist-info/METADATA", 3, "stripe", "dependency", "Requires-Dist: stripe>=7"),
        ("app-1.0.dist-info/METADATA", 5, "openai", "dependency", 'Requires-Dist: openai; extra == "ai"'),
    ]
    assert [(w.path, w.line) for w in got.warnings] == [("PKG-INFO", 6), ("app-1.0.dist-info/METADATA", 6)]
    assert paths.kind("src/app/METADATA") is None


@pytest.mark.parametrize(("rel", "kind"), [
    ("requirements/base.txt", "requirements"), ("requirements/dev.txt", None), ("requirements-test.txt", None),
    ("requirements.in", "requirements"), ("constraints.txt", None), ("App.fsproj", "nuget"),
    ("Dockerfile.prod", "deploy"), ("charts/api/templates/deploy.yaml", "deploy"), ("config/app.yaml", "deploy"),
    ("config/settings.yaml", "source"), ("src/app.py", "source"), ("src/app_test.go", None),
    ("web/src/App.test.tsx", None), ("web/yarn.lock", None), ("x/.terraform.lock.hcl", None),
    ("web/gulpfile.js", None), ("web/next.config.js", "source"), ("pkg/x.egg-info/requires.txt", None),
    ("static/app.3f9a1c0d2b4e6f80.js", None), ("README.md", None), ("CHANGELOG", None), (".envrc", "env"),
    ("deploy/.env.production", "env"), ("blocklist.json", None), ("locale/fr/app.po", None),
    # a Python module named test or tests is a test suite (Django's app/tests.py, a Supybot
    # plugin's test.py); a module whose name only holds the word is the product's (round 20)
    ("shop/tests.py", None), ("plugins/RSS/test.py", None), ("shop/contest.py", "source"),
    ("shop/testing_tools.py", "source"), ("shop/latest.py", "source"),
])
def test_which_files_are_evidence(rel: str, kind: str | None) -> None:
    assert paths.kind(rel) == kind


def test_change_scan_limits(run: Any, repo: Repo, tmp_path: Path) -> None:
    compliance(repo, stripe=STRIPE)
    product = tree(tmp_path / "shop", {"app.py": "", "package.json": '{"dependencies": {}}', "old.py": "x = 1\n"})
    git(product, "checkout", "-q", "-b", "feature")
    (product / "link.py").symlink_to(product / "app.py")
    (product / "old.py").unlink()
    tree(product, {
        "big.py": "# x\n" * (collect.MAX_FILE // 4 + 10) + 'U = "https://api.openai.com"\n',
        "package.json": b'{"dependencies": {"mixpanel": "1"}}\x00',
        "src/ok.py": 'U = "https://api.stripe.com"\nV = "https://api.mistral.ai"\n',
        "src/tests/test_new.py": 'U = "https://api.openai.com"\n',
    })
    res = run("--repo", repo.path, "--today", TODAY, "scan", product, "--base", "main", "--format", "json")
    doc = as_json(res.out)
    assert doc["services"] == ["mistral", "stripe"]
    p = product.as_posix()
    assert [(w["path"], w["message"][:22]) for w in doc["warnings"]] == [
        (f"{p}/big.py", "file is 2,097,221 byte"),
        (f"{p}/package.json", "binary file where a te"),
    ]
    assert doc["head"] == git(product, "rev-parse", "HEAD") and doc["base"] == git(product, "rev-parse", "main")


def test_change_scan_reads_base_manifests_as_data(run: Any, repo: Repo, tmp_path: Path) -> None:
    compliance(repo, stripe=STRIPE)
    product = tree(tmp_path / "shop", {"package.json": b"\x00binary", "requirements.txt": "stripe\nbroken==\n"})
    git(product, "checkout", "-q", "-b", "feature")
    tree(product, {"package.json": '{"dependencies": {"stripe": "1"}}', "requirements.txt": "stripe\nmixpanel\n"})
    res = run("--repo", repo.path, "--today", TODAY, "scan", product, "--base", "main", "--format", "json")
    doc = as_json(res.out)
    # base's broken lines are base's problems; stripe in package.json is new to that manifest
    assert [(f["check"], f["subprocessor"]) for f in doc["findings"]] == [("undeclared-subprocessor", "mixpanel")]
    assert doc["warnings"] == [] and doc["summary"]["passed"] == 1


def test_git_grep_without_pcre_gives_the_same_files(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.py": 'U = "https://api.stripe.com"\n', "b.py": 'U = "https://example.org"\n',
                                 "c/d.py": "x = 1\n"})
    pt = ProductTree(Git(root))
    try:
        slow = pt.grep_output(pt.grep_start(perl=False))
        fast = pt.grep_output(pt.grep_start())
    finally:
        pt.git.close()
    assert slow[1] is False and fast[1] is True
    # without PCRE the lines are whole (no authorities to pick lines by); with it, the file's catalogue authorities
    assert collect._url_files(slow, MATCHER, ()) == {"a.py": ()}
    assert collect._url_files(fast, MATCHER, ()) == {"a.py": ("api.stripe.com",)}
    assert collect._url_files((b"", True), MATCHER, ()) == {}
    assert collect._url_files(fast, MATCHER, ("stripe.com",)) == {}


# A path with a line break (and a NUL-looking name, a quote, a backslash, a non-ASCII
# letter): git's -z output ends a path in NUL, and any other byte may be in it.
ODD = "a\nb.py"
ODD_TOO = 'q"\\ café\tz.py'


def test_a_path_with_a_line_break_does_not_confuse_the_grep(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {ODD: 'U = "https://api.stripe.com/v1"\n', "a": "x = 1\n", "b.py": "y = 2\n",
                                 ODD_TOO: 'V = "https://api.openai.com/v1"\n', "c.py": 'W = "https://example.org"\n'})
    got = scan(root)
    assert [(e.path, e.line, e.service) for e in got.evidence] == [(ODD, 1, "stripe"), (ODD_TOO, 1, "openai")]
    pt = ProductTree(Git(root))
    try:
        for perl in (True, False):
            out = pt.grep_output(pt.grep_start(perl=perl))
            assert set(collect._url_files(out, MATCHER, ())) == {ODD, ODD_TOO}
            paths = sorted({p.decode() for p, _ in ProductTree.grep_records(*out)})
            assert paths == [ODD, "c.py", ODD_TOO]
    finally:
        pt.git.close()


def test_grep_records_of_both_output_forms() -> None:
    perl = b"a\nb.py\0://api.stripe.com/v1\na\nb.py\0://x.example\nc.py\0://api.openai.com\n"
    assert list(ProductTree.grep_records(perl, True)) == [
        (b"a\nb.py", b"://api.stripe.com/v1"), (b"a\nb.py", b"://x.example"), (b"c.py", b"://api.openai.com")]
    plain = b"a\nb.py\x001\0u = 'https://api.stripe.com'\nc.py\x0012\0v = 'https://x.example'\n"
    assert list(ProductTree.grep_records(plain, False)) == [
        (b"a\nb.py", b"u = 'https://api.stripe.com'"), (b"c.py", b"v = 'https://x.example'")]
    assert list(ProductTree.grep_records(b"", True)) == list(ProductTree.grep_records(b"", False)) == []


def test_diff_header_paths_are_unquoted() -> None:
    assert unquote_path(b"b/plain.py") == b"b/plain.py"
    assert unquote_path(b'"b/a\\nb.py"') == b"b/a\nb.py"
    assert unquote_path(b'"b/q\\"\\\\ caf\\303\\251\\tz.py"') == 'b/q"\\ café\tz.py'.encode()
    assert unquote_path(b'"') == b'"' and unquote_path(b'"b/x\\"') == b"b/x\\"


def test_a_change_to_a_path_with_a_line_break_counts_its_added_lines(cli: Any, repo: Repo, tmp_path: Path) -> None:
    compliance(repo)
    product = tree(tmp_path / "shop", {ODD: "x = 1\n", ODD_TOO: "y = 1\n"})
    git(product, "checkout", "-q", "-b", "feature")
    tree(product, {ODD: 'x = 1\nU = "https://api.stripe.com/v1"\n', ODD_TOO: 'y = 1\nV = "https://api.openai.com"\n'})
    res = cli("--repo", repo.path, "--today", TODAY, "scan", product, "--base", "main", "--format", "json")
    doc = as_json(res.out)
    p = product.as_posix()
    # a finding's path is one inert line of text (findings.Finding); the evidence keeps it as it is
    assert [(f["subprocessor"], f["path"], f["line"]) for f in doc["findings"]] == [
        ("openai", one_line(f"{p}/{ODD_TOO}"), 2), ("stripe", one_line(f"{p}/{ODD}"), 2)]
    assert [e["path"] for f in doc["findings"] for e in f["evidence"]] == [f"{p}/{ODD_TOO}", f"{p}/{ODD}"]
    assert f"at {one_line(f'{p}/{ODD}')}:2." in doc["findings"][1]["message"]  # the whole path, escaped


def test_a_subfolder_of_a_repository_is_scanned_as_that_folder(cli: Any, repo: Repo, tmp_path: Path) -> None:
    """A monorepo's service: git runs in SOURCE, so only what lies below it counts, and
    paths are shown from SOURCE."""
    compliance(repo)
    mono = tree(tmp_path / "mono", {"svc/api/pay.py": 'U = "https://api.stripe.com/v1"\n',
                                    "svc/requirements.txt": "openai==1\n",
                                    "other/app.py": 'V = "https://api.mistral.ai/v1"\n',
                                    "requirements.txt": "sentry-sdk\n"})
    res = cli("--repo", repo.path, "--today", TODAY, "scan", mono / "svc", "--format", "json")
    doc = as_json(res.out)
    s = (mono / "svc").as_posix()
    assert doc["services"] == ["openai", "stripe"] and doc["warnings"] == []
    assert [(f["subprocessor"], f["path"], f["line"]) for f in doc["findings"]] == [
        ("openai", f"{s}/requirements.txt", 1), ("stripe", f"{s}/api/pay.py", 1)]
    git(mono, "checkout", "-q", "-b", "feature")
    tree(mono, {"svc/api/pay.py": 'U = "https://api.stripe.com/v1"\nW = "https://api.groq.com"\n',
                "other/app.py": 'V = "https://api.anthropic.com"\n', "svc/requirements.txt": "openai==2\nposthog\n"})
    res = cli("--repo", repo.path, "--today", TODAY, "scan", mono / "svc", "--base", "main", "--format", "json")
    doc = as_json(res.out)
    assert [(f["subprocessor"], f["path"], f["line"]) for f in doc["findings"]] == [
        ("groq", f"{s}/api/pay.py", 2), ("posthog", f"{s}/requirements.txt", 2)]


def test_reports_in_process(run: Any, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compliance(repo, stripe=STRIPE)
    product = tree(tmp_path / "shop", {"app.py": 'U = "https://api.mixpanel.com"\n'})
    summary = tmp_path / "summary.md"
    monkeypatch.chdir(product)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    res = run("--repo", repo.path, "--today", TODAY, "scan", ".", "--sarif", tmp_path / "s.sarif")
    assert res.code == 1
    assert res.out.startswith("::error file=app.py,line=1,title=undeclared-subprocessor::")
    assert json.loads((tmp_path / "s.sarif").read_text())["runs"][0]["results"][0]["ruleId"] == "undeclared-subprocessor"
    assert "| failed | undeclared-subprocessor | mixpanel | app.py:1 |" in summary.read_text()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    monkeypatch.chdir(outside)
    res = run("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    assert as_json(res.out)["findings"][0]["path"] == f"{product.resolve().as_posix()}/app.py"


def test_parser_corners() -> None:
    deps, problems = manifests.parse("pyproject", '[project]\ndependencies = ["stripe", "not valid!"]\n')
    assert [d.name for d in deps] == ["stripe"] and problems[0].line == 2
    assert manifests.parse("npm", '{"a": ' * 5000 + "1" + "}" * 5000)[1][0].message.startswith("invalid JSON")
    deps, _ = manifests.parse("go", "module x\nrequire (\n\t// a comment\n\n)\nrequire \"github.com/stripe/stripe-go\" v1\n")
    assert [(d.name, d.line) for d in deps] == [("github.com/stripe/stripe-go", 6)]
    gem = "platforms :jruby do\n  gem 'stripe'\nend\nend\ngem 'rspec', groups: [:development, :test]\n"
    assert [d.name for d in manifests.parse("gemfile", gem)[0]] == ["stripe"]
    pom = ("<project><dependencies><dependency><groupId>g</groupId></dependency><!-- c -->"
           "<dependency><groupId>com.stripe</groupId><artifactId>stripe-java</artifactId><scope>compile</scope>"
           "</dependency></dependencies><profiles><profile><dependencies><dependency><groupId>io.sentry</groupId>"
           "<artifactId>sentry</artifactId></dependency></dependencies></profile></profiles></project>")
    assert [d.name for d in manifests.parse("maven", pom)[0]] == ["com.stripe:stripe-java", "io.sentry:sentry"]
    csproj = ('<Project><ItemGroup><PackageReference Update="Stripe.net" /><PackageReference Include="Sentry">'
              "<PrivateAssets>all</PrivateAssets></PackageReference><IsTestProject>false</IsTestProject>"
              "</ItemGroup></Project>")
    assert [d.name for d in manifests.parse("nuget", csproj)[0]] == ["Stripe.net"]
    cargo = '[target."cfg(unix)".dependencies]\nsentry = { version = "1", optional = true }\n'
    assert [(d.name, d.line) for d in manifests.parse("cargo", cargo)[0]] == [("sentry", 2)]
    assert manifests.parse("composer", '{"require": {"PHP": "8", "ext-curl": "*"}}') == ([], [])


def test_text_corners() -> None:
    def hosts(src: str, path: str) -> list[int]:
        return [h.line for h in text.hosts(src, path, MATCHER)]

    assert hosts('ENV URL=https://api.stripe.com\n# https://api.openai.com\n', "Dockerfile") == [1]
    assert hosts("x = 'it\\'s' # https://api.stripe.com\nURL = 'https://api.openai.com'\n", "a.py") == [2]
    assert hosts("; https://api.stripe.com\nurl = https://api.openai.com\n", "a.ini") == [2]
    assert hosts('s = "a#b" # https://api.stripe.com\n', "a.rb") == []
    assert hosts("(def u \"https://api.stripe.com\") ; https://api.openai.com\n", "a.clj") == [1]
    assert hosts('u = "https://1.2.3.4/x" + "https://localhost/x" + "https://-.com"\n', "a.py") == []
    assert text.provider_source("aws") == "hashicorp/aws"
    tf = 'terraform {\n  required_providers {\n    aws = "~> 3.0"\n  }\n}\nresource "aws_s3_bucket" "b" {}\n'
    assert [(h.line, h.text) for h in text.terraform(tf, "main.tf", MATCHER)] == [(3, "hashicorp/aws")]
    assert [(h.line, h.text) for h in text.env_names("DD_ENV: x\nDD_ENV: y\n# SENTRY_DSN\n", "compose.yaml", MATCHER)] == [
        (1, "DD_ENV"), (2, "DD_ENV")]


def test_warnings_are_one_printable_line(tmp_path: Path) -> None:
    got = scan(tree(tmp_path / "p", {"requirements.txt": "stripe\nnot \x1b[31mvalid!\n"}))
    [w] = got.warnings
    assert str(w).startswith("requirements.txt:2: warning: not a requirement: Expected") and "\x1b" not in str(w)
    assert "\n" not in str(w)


@pytest.mark.parametrize("line", [
    "Django==5.0", "sentry-sdk[django]==1.40", "stripe", "A.b_C-d>=1,<2", "x[a,b]~=1.0.post1", "y===1!2.0+local",
    "z!=1.*", "pkg<=3", "q>2", "Sentry_SDK[flask,celery]>=1.4.0", "a1", "zope.interface==6.0",
])
def test_the_plain_requirement_shape_names_what_packaging_names(line: str) -> None:
    from packaging.requirements import Requirement

    assert manifests._PLAIN.fullmatch(line), line
    assert manifests._requirement(line) == Requirement(line).name


@pytest.mark.parametrize("line", ["pkg ; python_version < '3.12'", "pkg @ https://x.example/p.whl", "pkg >= 1",
                                  "-e .", "pkg[", "pkg==", "_pkg", "pkg-"])
def test_other_requirement_lines_go_to_packaging(line: str) -> None:
    assert manifests._PLAIN.fullmatch(line) is None


def _every_line(source: str, path: str) -> list[tuple[int, str]]:
    """code_lines() reading every line, kept to the lines holding a URL: what the
    fast path (only the lines holding a URL or a comment token) must give."""
    lines = source.split("\n")
    return [(n, code) for n, code in text.code_lines(source, path, "") if "://" in lines[n - 1]]


@pytest.mark.parametrize("path", ["app.py", "app.js", "page.html", "tool.rb", "run.sh", "style.css", "Makefile"])
def test_url_lines_fast_path_equals_reading_every_line(path: str) -> None:
    import random

    pieces = ['x = "https://api.stripe.com/v1"', "# https://hooks.slack.com/a", "/* https://api.sendgrid.com",
              "*/ u = 'https://api.openai.com'", '"""', "'''", 'd = """https://o1.ingest.sentry.io/1',
              "<!-- https://cdn.example.com -->", "<!--", "--> https://api.stripe.com/v2", "=begin", "=end",
              "  * https://api.mixpanel.com", "  =begin", "plain code line", "", "// https://api.stripe.com/v3",
              "s = 'a' + \"https://api.stripe.com/v4\"  # https://x.example", "  b'''https://hooks.slack.com/b", "-->", "end */", 'x = 1 """', "e = 2 '''"]
    rng = random.Random(17)
    for _ in range(400):
        source = "\n".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
        assert list(text.code_lines(source, path, "://")) == _every_line(source, path), source


@pytest.mark.parametrize("path", ["app.py", "app.js", "page.html", "tool.rb", "bundle.js"])
def test_hosts_read_by_needles_equal_hosts_read_from_every_url_line(path: str) -> None:
    """With the authorities of the file's catalogue URLs as needles (what git grep gives
    a whole-tree scan), hosts() reads only the lines holding one, and the state tokens:
    it must find what reading every URL line finds, comments, docstrings, strings over
    lines and links included; with one needle, only the hits on lines holding it."""
    pieces = ['x = "https://api.stripe.com/v1"', "# https://hooks.slack.com/a", "/* https://api.sendgrid.com",
              "*/ u = 'https://api.openai.com'", '"""', "'''", 'd = """https://o1.ingest.sentry.io/1',
              "<!-- https://api.mixpanel.com -->", "<!--", "--> https://api.stripe.com/v2", "=begin", "=end",
              "  * https://api.mixpanel.com", "plain code line", "", "// https://api.stripe.com/v3",
              "s = 'a' + \"https://API.Stripe.com/v4\"  # https://api.openai.com", "  b'''https://hooks.slack.com/b",
              "-->", "end */", 'x = 1 """', "e = 2 '''", '<a href="https://api.openai.com/docs">',
              "y = '//api.mixpanel.com/t'", 'docs_url = "https://api.sendgrid.com/v3"',
              "a = ['https://example.org', \"https://api.stripe.com\"]", "if u == 'https://api.openai.com/v1':",
              "k = 'https://user@api.stripe.com:443/v1' + 1"]
    rng = random.Random(41)
    bundle = path == "bundle.js"
    found = 0
    for _ in range(300):
        source = "\n".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
        lines = source.split("\n")
        authorities = sorted({authority for line in lines for _, authority, _ in text._urls(line)
                              if MATCHER.url(text.host_of(authority) or "", "") is not None})
        every = text.hosts(source, path, MATCHER, bundle=bundle)
        found += len(every)
        if authorities:
            assert text.hosts(source, path, MATCHER, bundle=bundle, needles=tuple(authorities)) == every, source
            one = authorities[0]
            assert text.hosts(source, path, MATCHER, bundle=bundle, needles=(one,)) == [
                h for h in every if one in lines[h.line - 1]], source
    assert found > 300


def test_doc_key_from_the_end_equals_the_search() -> None:
    """text.doc_key reads a prefix from its end; it must say what _DOC_KEY.search says."""
    import random

    tokens = ["docs", "documentation", "help", "website", "_url", "url", "_link", "_page", "Href", "DOC", "x", " ",
              "  ", "\t", "\u00a0", "\u2003", ":", "=", "==", "(", "[", "{", "f", "R", "b", "u", "e", "\"", "'", "`",
              "const ", "a", "privacy", "_", "signup", "learnMore", "learn_more", "terms", "k"]
    rng = random.Random(5)
    checked = {True: 0, False: 0}
    for _ in range(20000):
        prefix = "".join(rng.choice(tokens) for _ in range(rng.randint(0, 12)))
        if rng.random() < 0.5:  # shaped like a key and its value, each part maybe missing or doubled
            parts = [rng.choice(["docs", "Help", "x", "guide", "readme"]), rng.choice(["", "_url", "Link", "_uri"]),
                     rng.choice(["", "\"", "'"]), rng.choice(["", " ", "\u2003"]), rng.choice([":", "=", "", "::"]),
                     rng.choice(["", " ", "\t"]), rng.choice(["", "(", "[{"]), rng.choice(["", " "]),
                     rng.choice(["", "f", "B", "fr", "u", "R"]), rng.choice(["\"", "'", "`", ""])]
            prefix += "".join(parts)
        want = text._DOC_KEY.search(prefix) is not None
        assert text.doc_key(prefix) is want, repr(prefix)
        checked[want] += 1
    long_line = "x = 1; " * 60 + 'docs_url = "'
    assert text.doc_key(long_line) and text.is_link(long_line)
    assert checked[True] > 500 and checked[False] > 500  # both sides of the rule were tried


def _shaped(rng: random.Random, keys: list[str]) -> str:
    """A key, a separator and the opening of a string: the shapes the link patterns look
    for, each part mostly as a pattern wants it, else missing, doubled or wrong."""
    def part(good: list[str], other: list[str]) -> str:
        return rng.choice(good if rng.random() < 0.75 else other)

    return "".join([rng.choice(keys), part([""], ["_url", "Value", "_text", "_uri", "x"]), part([""], ["\"", "'"]),
                    part([""], [" ", "\u2003"]), part([":", "=", "("], ["", "::", "==", "!=", "!==", "==="]),
                    part([""], [" ", "\t"]), part([""], ["(", "[{", "{"]), part([""], [" "]),
                    part(["", "f"], ["B", "fr", "u", "R"]), part(["\"", "'", "`"], [""]), part([""], ["text", "a'b"])])


def test_link_patterns_read_from_the_end_equal_their_searches() -> None:
    """is_link() reads each pattern from the end of the prefix (a long minified line is
    not tried at every position); each reading must say what the pattern's search says,
    on both sides of the rule, and is_link() what any of them says."""
    tokens = ["<a", "<A", "<", ">", "<a ", "<a\t", "<ab ", "](", "]", "(", "{", "}", ",", " ", "\u00a0", "\"a\"", "'a'",
              "`A`", "\"b\"", "href", "Href", "xhref", "_href", ":", "e.g.", "example", "Examples", "sample",
              "placeholder", "description", "Help", "usage", "epilog", "hint", "tooltip", "Title", "1", "x", "'", "\"",
              "`", "=", "==", "f", "R", "u", "b", "jsx(", "h("]
    keys = ["e.g.", "example", "Samples", "placeholder", "xsample", "1example", "description", "HELP", "usage", "title",
            "x", "'a', {href", "\"a\",{ Href", "`a` , {xhref", "'a', {id: 1, href"]
    readings = {"_ANCHOR": text._anchor, "_EXAMPLE": lambda p: text._keyed(p, text._EXAMPLE_WORD),
                "_PROSE": text._prose, "_COMPARED": text._compared}
    rng = random.Random(23)
    checked: dict[tuple[str, bool], int] = {}
    for _ in range(40000):
        prefix = "".join(rng.choice(tokens) for _ in range(rng.randint(0, 10)))
        if rng.random() < 0.8:
            prefix += _shaped(rng, keys)
        for name, reading in readings.items():
            want = getattr(text, name).search(prefix) is not None
            assert reading(prefix) is want, (name, prefix)
            checked[name, want] = checked.get((name, want), 0) + 1
        assert text.is_link(prefix) is any(p.search(prefix) for p in text._NOT_USE), prefix
    for name in readings:
        assert checked.get((name, True), 0) > 200 and checked.get((name, False), 0) > 200, (name, checked)
