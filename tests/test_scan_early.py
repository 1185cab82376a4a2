"""The whole-tree scan's early start (scan/begin.py, entry.py): git grep and git ls-files
start in SOURCE before click and pydantic are imported, and the scan takes them over
only when they run where it would have run them; and the byte-level path test of
hosts whose path decides (collect._url_files)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from conftest import Repo
from subreg.gitrepo import Git, ProductTree
from subreg.scan import begin, catalog, collect, compare, paths
from test_scan import TODAY, as_json, compliance
from test_scan_evidence import MATCHER, found, git, tree

STRIPE = 'KEY = "https://api.stripe.com/v1/charges"\n'


@pytest.mark.parametrize(("argv", "source"), [
    (["scan", "src"], "src"),
    (["--repo", "c", "--today", "2026-12-01", "scan", "--format", "json", "src", "--sarif", "o.sarif"], "src"),
    (["--repo=c", "--today=2026-12-01", "scan", "--format=json", "--sarif=o", "src"], "src"),
    (["scan", "--format", "text", "-weird name"], None),  # an option click does not know
    (["scan", "--base", "main", "src"], None),  # a change: no whole-tree grep
    (["scan", "--base=main", "src"], None),
    (["scan", "--catalog"], None),
    (["scan", "--help"], None),
    (["scan", "--", "src"], None),
    (["scan"], None),
    (["scan", "a", "b"], None),  # click refuses it
    (["--repo", "scan", "check"], None),  # `scan` is --repo's value here
    (["check", "--all"], None),
    (["validate", "scan"], None),
    (["--version"], None),
    ([], None),
])
def test_only_a_whole_tree_scan_starts_early(argv: list[str], source: str | None) -> None:
    assert begin.source_of(argv) == source


def test_the_scan_takes_over_what_started_early(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.py": STRIPE, "b.py": 'U = "https://example.org"\n'})
    begin.early(["--repo", str(tmp_path), "scan", str(root)])
    grep, listing = begin._EARLY[os.path.realpath(root)]
    started = begin.start(root)
    assert started.grep is grep and started.listing is listing and begin._EARLY == {}
    got = collect.whole(started, MATCHER, (), ())
    assert found(got) == [("a.py", 1, "stripe", "host", "api.stripe.com")]


def test_a_symlinked_source_is_taken_over_by_its_real_folder(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"svc/a.py": STRIPE})
    (tmp_path / "link").symlink_to(root / "svc")
    begin.early(["scan", str(tmp_path / "link")])
    grep = begin._EARLY[os.path.realpath(root / "svc")][0]
    started = begin.start(tmp_path / "link")
    assert started.grep is grep
    assert found(collect.whole(started, MATCHER, (), ())) == [("a.py", 1, "stripe", "host", "api.stripe.com")]


def test_what_started_early_for_another_folder_is_stopped_not_used(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a/x.py": STRIPE, "b/y.py": 'U = "https://api.openai.com/v1"\n'})
    begin.early(["scan", str(root / "a")])
    grep, listing = begin._EARLY[os.path.realpath(root / "a")]
    started = begin.start(root / "b")
    assert started.grep is not grep and begin._EARLY == {}
    assert grep.proc.returncode is not None and grep.out.closed and listing.out.closed
    assert found(collect.whole(started, MATCHER, (), ())) == [("y.py", 1, "openai", "host", "api.openai.com")]


def test_outside_git_the_early_processes_are_stopped_and_the_folder_walked(tmp_path: Path) -> None:
    root = tree(tmp_path / "plain", {"a.py": STRIPE}, commit=False)
    begin.early(["scan", str(root)])
    grep, _ = begin._EARLY[os.path.realpath(root)]
    started = begin.start(root)
    assert started.git is None and started.grep is None and begin._EARLY == {}
    assert grep.proc.returncode is not None and grep.out.closed
    assert found(collect.whole(started, MATCHER, (), ())) == [("a.py", 1, "stripe", "host", "api.stripe.com")]


def test_early_does_nothing_for_a_missing_folder_or_another_command(tmp_path: Path) -> None:
    begin.early(["scan", str(tmp_path / "missing")])
    begin.early(["check", "--all"])
    assert begin._EARLY == {}


def test_an_unused_early_start_is_stopped_at_exit(tmp_path: Path) -> None:
    """The command fails before the scan (a bad --today): no git is left running."""
    root = tree(tmp_path / "p", {"a.py": STRIPE})
    # registered before early(): atexit runs last-registered first, so this looks after begin's _stop
    code = ("import sys, atexit; procs = []; "
            "atexit.register(lambda: print([p.returncode is not None for p in procs])); "
            "import subreg.scan.begin as b; b.early(sys.argv[1:]); "
            "procs += [s.proc for pair in b._EARLY.values() for s in pair]")
    out = subprocess.run([sys.executable, "-c", code, "scan", str(root)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[True, True]"  # never polled, a process's returncode stays None


# -- the path test of hosts where the path decides --------------------------------------


def _reference(out: tuple[bytes, bool]) -> set[str]:
    """The files _url_files must name: those with a URL that the matcher itself maps to
    a service (the definition, one URL at a time)."""
    return {p.decode("utf-8", errors="surrogateescape") for p, url in ProductTree.grep_records(*out)
            if collect._known(url, MATCHER, (), {})}


@pytest.mark.parametrize("url", [
    "https://acuityscheduling.com/api/v1/appointments",  # under the service's path
    "https://acuityscheduling.com/API/v1",  # in another case
    "https://acuityscheduling.com/api",  # the path itself
    "https://acuityscheduling.com/api/",
    "https://acuityscheduling.com/apis/v1",  # not at a segment boundary
    "https://acuityscheduling.com/",  # the host alone
    "https://acuityscheduling.com",
    "https://acuityscheduling.com/pricing",
    "https://acuityscheduling.com/api/caf\u00e9",  # not ASCII: the matcher decides
    "https://acuityscheduling.com/\u212api",  # KELVIN SIGN, which str.lower() makes a k
    "https://export.arxiv.org/rss/cs",  # one of three paths
    "https://export.arxiv.org/oai2",
    "https://export.arxiv.org/ab",
    "https://cdn.jsdelivr.net/npm/lib.js",  # a service's host with a path of another's: any path is a hit
    "https://cdn.jsdelivr.net/gh/fawazahmed0/currency-api",
])
def test_the_byte_path_test_names_the_files_the_matcher_would(tmp_path: Path, url: str) -> None:
    root = tree(tmp_path / "p", {"a.py": f'U = "{url}"\n', "b.py": STRIPE})
    pt = ProductTree(Git(root))
    try:
        out = pt.grep_output(pt.grep_start())
    finally:
        pt.git.close()
    assert set(collect._url_files(out, MATCHER, ())) == _reference(out)
    assert collect._url_files(out, MATCHER, ())["b.py"] == ("api.stripe.com",)


# -- a website split without urlsplit ------------------------------------------------------

def _split(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return (parts.hostname or "").lower().removeprefix("www."), parts.path.rstrip("/").lower()


ODD_SITES = ["https://Stripe.com", "https://a.b/c/", "https://a.b/C/D?x#y", "http://x.io:80/a", "https://u@x.io/a",
             "https://x.io/a;b", "https://x.io/%41", "https://x.io/a\\b", "https://[::1]/a", "https://x.io//a//",
             "https://x.io/a b", "https://x.io/a\tb", "https://x.io/a\nb", "https://x.io/\u00e9", "https://x.io/a/../b",
             "https://x.io\n/a", "https://www.x.io", "https://x..io/", "https://WWW.X.IO/A/", "ftp://x.io/a", "x.io/a",
             "https://x.io/\u212a", "https://x.io/a\x7fb"]


@pytest.mark.parametrize("url", ODD_SITES)
def test_a_website_is_split_as_urlsplit_splits_it(url: str) -> None:
    assert compare._site(url) == _split(url)


def test_every_catalogue_website_is_split_as_urlsplit_splits_it() -> None:
    assert [compare._site(s.website) for s in catalog.load()] == [_split(s.website or "") for s in catalog.load()]


# -- the names a file list is read for -----------------------------------------------------

LISTED_KINDS = {"pyproject", "pipfile", "setup.cfg", "npm", "go", "gemfile", "maven", "gradle", "cargo", "composer",
                "nuget", "requirements", "env", "terraform", "deploy", "metadata"}
LISTED_NAMES = [
    *paths.MANIFESTS, "Pipfile", "Gemfile", "POM.xml", "Cargo.toml", "App.csproj", "lib.fsproj", "old.vbproj",
    "requirements.txt", "requirements-prod.txt", "requirements_base.in", "requirements.pip", "prod-requirements.txt",
    "requirements/base.txt", ".env", ".env.example", ".env.local", "prod.env", "env.example", "env.sample",
    "env.template", "env.dist", ".envrc", "envrc", "main.tf", "Dockerfile", "Dockerfile.prod", "dockerfile-dev",
    "api.dockerfile", "docker-compose.yml", "docker-compose.prod.yaml", "compose.yaml", "compose-prod.yml",
    "app.yaml", "app.json", "fly.toml", "render.yaml", "netlify.toml", "vercel.json", "serverless.yml", "Procfile",
    "manifest.yml", "values.yaml", "values-prod.yaml", "wrangler.toml", "railway.json", "railway.toml",
    "heroku.yml", "template.yaml", "skaffold.yaml", "k8s/deployment.yaml", "deploy/api.yml",
    "charts/app/templates/cm.yaml", "PKG-INFO", "pkg.dist-info/METADATA", "x.egg-info/PKG-INFO"]
# code, docs, data and look-alikes: kind() gives none of them a listed kind
OTHER_NAMES = ["index.js", "app.py", "nodes.json", "mypackage.json", "codex.node.json", "data.xml", "notes.txt",
               "config.yaml", "tsconfig.json", "package-lock.json", "yarn.lock", "go.sum", "README.md", "envoy.yaml",
               "environment.ts", "dockerfile.md", "requirements.md", "setup.py", "Makefile", "requirements/dev.txt"]


@pytest.mark.parametrize("rel", LISTED_NAMES)
def test_every_name_of_a_listed_kind_passes_the_cheap_name_test(rel: str) -> None:
    assert paths.kind(rel) in LISTED_KINDS
    assert paths.listed(rel.rsplit("/", 1)[-1])


@pytest.mark.parametrize("rel", OTHER_NAMES)
def test_a_name_of_another_kind_is_left_to_kind(rel: str) -> None:
    assert paths.kind(rel) not in LISTED_KINDS


def test_the_cheap_name_test_passes_over_what_a_large_tree_holds_most_of() -> None:
    assert [n for n in ("index.js", "codex.node.json", "nodes.json", "icon.svg", "README.md", "app.tsx", "a.d.ts")
            if paths.listed(n)] == []
    assert {paths.kind(n) for n in LISTED_NAMES} == LISTED_KINDS  # the list reaches every listed kind


def test_templates_and_deploy_files_the_old_name_test_passed_over_are_read(tmp_path: Path) -> None:
    """env.example, envrc and api.dockerfile are evidence by kind(); a git tree's file
    list used to skip them by name before kind() was asked."""
    root = tree(tmp_path / "p", {"env.example": "STRIPE_SECRET_KEY=\n", "envrc": "export SENTRY_DSN=\n",
                                 "api.dockerfile": "FROM python:3.12\nENV TWILIO_AUTH_TOKEN=x\n"})
    assert [(e.path, e.line, e.service, e.kind) for e in collect.whole(begin.start(root), MATCHER, (), ()).evidence] == [
        ("api.dockerfile", 2, "twilio", "env"), ("env.example", 1, "stripe", "env"), ("envrc", 1, "sentry", "env")]


# -- protocol-relative URLs ----------------------------------------------------------------

RELATIVE_FILES = {
    "web/social.js": "$.getScript('//connect.facebook.net/en_US/all.js#xfbml=1', function() {});\n"
                     "// a comment: //platform.twitter.com/widgets.js\n"
                     "var later = a //www.gravatar.com/avatar\n",
    "app/settings.py": "AVATAR_URL = '//www.gravatar.com/avatar'  # gravatar's default\n"
                       "LOCAL = '//localhost/avatar'\nPATH = 'a//api.stripe.com/v1'\nEMPTY = '//' + \"// \"\n",
    "web/theme.css": "@font-face { src: url(//fonts.gstatic.com/s/inter.woff2); }\n",
    "web/page.html": "<script src=//platform.twitter.com/widgets.js></script>\n"
                     '<a href="//api.openai.com/docs">docs</a>\n',
}
RELATIVE_FOUND = [("app/settings.py", 1, "gravatar"), ("web/page.html", 1, "x-twitter"),
                  ("web/social.js", 1, "meta"), ("web/theme.css", 1, "google-fonts")]


def test_a_protocol_relative_url_is_a_url_in_a_git_tree_and_on_disk(tmp_path: Path) -> None:
    """`'//host/...'` after a quote, `(` or `=` is fetched with the page's scheme; `//` in a
    comment, after a word or in an anchor is not a use."""
    for commit in (True, False):
        root = tree(tmp_path / f"p{commit}", RELATIVE_FILES, commit=commit)
        got = collect.whole(begin.start(root), MATCHER, (), ())
        assert [(e.path, e.line, e.service) for e in got.evidence] == RELATIVE_FOUND


def test_git_grep_without_pcre_names_the_protocol_relative_files_too(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", RELATIVE_FILES)
    pt = ProductTree(Git(root))
    try:
        slow, fast = (pt.grep_output(pt.grep_start(perl=perl)) for perl in (False, True))
    finally:
        pt.git.close()
    assert set(collect._url_files(slow, MATCHER, ())) == set(collect._url_files(fast, MATCHER, ())) == {
        "app/settings.py", "web/page.html", "web/social.js", "web/theme.css"}


def test_a_pull_request_that_adds_a_protocol_relative_url_fails_on_its_line(run: Any, repo: Repo,
                                                                            tmp_path: Path) -> None:
    compliance(repo)
    product = tree(tmp_path / "shop", {"web/app.js": "var x = 1;\n"})
    git(product, "checkout", "-q", "-b", "feature")
    tree(product, {"web/app.js": "var x = 1;\nload('//connect.facebook.net/en_US/sdk.js');\n"})
    res = run("--repo", repo.path, "--today", TODAY, "scan", product, "--base", "main", "--format", "json")
    doc = as_json(res.out)
    assert res.code == 1 and [(f["check"], f["subprocessor"], f["line"]) for f in doc["findings"]] == [
        ("undeclared-subprocessor", "meta", 2)]


def test_a_comment_after_a_parenthesis_or_an_equals_sign_is_still_a_comment(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"web/a.js": "foo(// see https://api.stripe.com/v1\n  1);\n"
                                             "var x =// https://api.openai.com/v1\n  2;\n"
                                             "load(//fonts.gstatic.com/s/a.woff2);\n"})
    assert [(e.path, e.line, e.service) for e in collect.whole(begin.start(root), MATCHER, (), ()).evidence] == [
        ("web/a.js", 5, "google-fonts")]


def test_without_git_nothing_starts_early(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from subreg import spool

    root = tree(tmp_path / "p", {"a.py": STRIPE})
    with monkeypatch.context() as m:
        m.setitem(spool.ENV, "PATH", str(tmp_path / "no-git-here"))
        begin.early(["scan", str(root)])  # git cannot be started: no error here, `start` meets it
    assert begin._EARLY == {}
    assert found(collect.whole(begin.start(root), MATCHER, (), ())) == [("a.py", 1, "stripe", "host", "api.stripe.com")]


def test_the_installed_command_reads_protocol_relative_urls_and_passes_over_csp_and_library_copies(
        cli: Any, repo: Repo, tmp_path: Path) -> None:
    """The whole-tree scan as users run it (its grep started by entry.py before click):
    a CSP list and a library copy name hosts without using them; a protocol-relative
    script load is a use."""
    compliance(repo)
    product = tree(tmp_path / "shop", {
        "web/csp.js": "const SCRIPT_SRC = [\n  \"'self'\",\n  'https://js.stripe.com',\n];\n",
        "web/social.js": "$.getScript('//connect.facebook.net/en_US/sdk.js');\n",
        "web/mathjax/startup.js": "var CDN = 'https://cdn.jsdelivr.net/npm/mathjax@3';\n"})
    res = cli("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    doc = as_json(res.out)
    assert res.code == 1 and doc["services"] == ["meta"]
    assert [(f["check"], f["subprocessor"], f["path"], f["line"]) for f in doc["findings"]] == [
        ("undeclared-subprocessor", "meta", f"{product.as_posix()}/web/social.js", 1)]
