"""Build output: not evidence when the tree holds the sources it was built from; the
product's code when it does not (an npm package that ships only `dist/`, a repository
that commits its bundle alone). Both ways, on real git trees, whole and --base, and
without git; minified bundles give hosts only, and a bundle's third-party code (placed
by its source map) is vendored code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import Repo
from subreg.scan import built, paths
from test_scan import STRIPE, TODAY, as_json, compliance
from test_scan_evidence import found, git, scan, tree

PKG = json.dumps({"name": "app", "main": "dist/index.js", "files": ["dist"],
                  "dependencies": {"express": "4.0.0"}}, indent=2) + "\n"
SENDER = 'const r = await fetch("https://api.mixpanel.com/track", {method: "POST"});\n'


def _vlq(n: int) -> str:
    b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    v = (-n << 1) | 1 if n < 0 else n << 1
    out = ""
    while True:
        digit, v = v & 31, v >> 5
        out += b64[digit | (32 if v else 0)]
        if not v:
            return out


def source_map(sources: list[str], segments: list[list[tuple[int, int]]]) -> str:
    """A v3 map: per generated line, (generated column, source index) segments."""
    lines, src = [], 0
    for row in segments:
        col, parts = 0, []
        for c, s in row:
            parts.append(_vlq(c - col) + _vlq(s - src) + _vlq(0) + _vlq(0))
            col, src = c, s
        lines.append(",".join(parts))
    return json.dumps({"version": 3, "file": "x.js", "sources": sources, "names": [], "mappings": ";".join(lines)})


def test_dist_beside_its_sources_is_not_evidence(tmp_path: Path) -> None:
    got = scan(tree(tmp_path / "p", {"package.json": PKG, "src/index.ts": 'export const u = "https://x.example";\n',
                                     "dist/index.js": SENDER}))
    assert found(got) == []


def test_dist_alone_is_the_product_code(tmp_path: Path) -> None:
    got = scan(tree(tmp_path / "p", {"package.json": PKG, "dist/index.js": SENDER, "README.md": "x\n",
                                     "dist/package.json": '{"dependencies": {"stripe": "1"}}\n',
                                     "dist/index.min.js": SENDER, "dist/tests/a.js": SENDER,
                                     "src/README.md": "no code here\n"}))
    assert found(got) == [
        ("dist/index.js", 1, "mixpanel", "host", "api.mixpanel.com"),
        ("dist/package.json", 1, "stripe", "dependency", '{"dependencies": {"stripe": "1"}}'),
    ]


def test_without_git_the_same_rule(tmp_path: Path) -> None:
    alone = scan(tree(tmp_path / "a", {"package.json": PKG, "build/server.js": SENDER}, commit=False))
    assert found(alone) == [("build/server.js", 1, "mixpanel", "host", "api.mixpanel.com")]
    beside = scan(tree(tmp_path / "b", {"package.json": PKG, "build/server.js": SENDER, "src/server.py": "x = 1\n"},
                       commit=False))
    assert found(beside) == []


@pytest.mark.parametrize(("sources", "held", "evidence"), [
    (["../src/index.ts"], "src/index.ts", False),  # the map names a file the tree holds: generated
    (["../src/index.ts"], "", True),  # it names files the tree lacks: the product's only code
    (["webpack://app/./src/index.ts"], "src/index.ts", False),  # a bundler's context, found above the map
    (["webpack://app/./src/index.ts"], "", True),
    (["webpack:///./node_modules/x/index.js"], "lib/index.ts", True),  # third-party only: decides nothing
    (["/abs/src/index.ts"], "abs/src/index.ts", True),  # an absolute path on the builder's machine
])
def test_source_maps_decide(tmp_path: Path, sources: list[str], held: str, evidence: bool) -> None:
    files = {"package.json": PKG, "dist/index.js": SENDER, "dist/index.js.map": source_map(sources, [[]])}
    if held:
        files[held] = "export {};\n"
    got = scan(tree(tmp_path / "p", files))
    assert bool(found(got)) is evidence


def test_a_map_names_the_sources_in_sourceroot_and_a_broken_map_decides_nothing(tmp_path: Path) -> None:
    rooted = json.dumps({"version": 3, "sourceRoot": "../app", "sources": ["main.ts"], "mappings": ""})
    got = scan(tree(tmp_path / "a", {"dist/main.js": SENDER, "dist/main.js.map": rooted, "app/main.ts": "x\n"}))
    assert found(got) == []
    broken = scan(tree(tmp_path / "b", {"dist/main.js": SENDER, "dist/main.js.map": '{"sources": [not json'}))
    assert found(broken) == [("dist/main.js", 1, "mixpanel", "host", "api.mixpanel.com")]


@pytest.mark.parametrize(("recipe", "text", "evidence"), [
    ("webpack.config.js", "module.exports = {};\n", False),
    ("vite.config.ts", "export default {};\n", False),
    ("gulpfile.js", "exports.default = () => {};\n", False),
    ("tsconfig.json", '{"compilerOptions": {"outDir": "./dist"}}\n', False),
    ("tsconfig.build.json", '{\n  // "outDir": "./dist",\n  "compilerOptions": {"outDir": "lib"}\n}\n', True),
    ("tsconfig.json", '{"compilerOptions": {"target": "es2022"}}\n', True),
])
def test_a_build_recipe_beside_the_output_says_it_is_built_here(tmp_path: Path, recipe: str, text: str,
                                                                 evidence: bool) -> None:
    got = scan(tree(tmp_path / "p", {"package.json": PKG, "dist/index.js": SENDER, recipe: text}))
    assert bool(found(got)) is evidence


def test_the_package_root_bounds_the_search_for_sources(tmp_path: Path) -> None:
    files = {"src/app.ts": "x\n", "packages/web/package.json": PKG, "packages/web/dist/index.js": SENDER,
             "themes/a/assets/built/a.js": SENDER, "themes/a/src/a.js": "x\n",
             "themes/b/package.json": "{}", "themes/b/assets/built/b.js": SENDER}
    got = scan(tree(tmp_path / "mono", files))
    # packages/web has no sources of its own (the root's src/ is another package's);
    # themes/a's sources are two levels up, within its package (no manifest between)
    assert found(got) == [("packages/web/dist/index.js", 1, "mixpanel", "host", "api.mixpanel.com"),
                          ("themes/b/assets/built/b.js", 1, "mixpanel", "host", "api.mixpanel.com")]


LONG = "var a=1;" * 1200  # a minified line, over text.MAX_LINE


def test_hashed_bundles_minified_lines_and_bundled_third_party_code(tmp_path: Path) -> None:
    line = LONG + 'fetch("https://api.mixpanel.com/track");' + LONG + 'x.src="https://js.stripe.com/v3";'
    stripe_at = line.index('"https://js.stripe.com') + 1
    mix_at = line.index('"https://api.mixpanel.com') + 1
    amap = source_map(["../../client/app.ts", "webpack:///./node_modules/payments/index.js"],
                      [[(0, 0), (stripe_at - 5, 1)]])
    files = {"package.json": PKG, "public/assets/index-DkKtmj7M.js": line + "\n",
             "public/assets/index-DkKtmj7M.js.map": amap,
             "public/assets/vendor-C_LwJMwU.js": 'u="https://api.intercom.io";\n',
             "public/assets/chunk-vendors.js": 'u="https://api.intercom.io";\n',
             "public/assets/about-Bx3k9QzL.js": '<a href="https://api.intercom.io/x">\n'
                                                'h("a",{href:"https://api.intercom.io/y"});\n'
                                                'h("link",{href:"https://fonts.googleapis.com/css"});\n'}
    got = scan(tree(tmp_path / "p", files))
    assert found(got) == [
        ("public/assets/about-Bx3k9QzL.js", 3, "google-fonts", "host", "fonts.googleapis.com"),
        ("public/assets/index-DkKtmj7M.js", 1, "mixpanel", "host", "api.mixpanel.com"),
    ]
    assert mix_at < stripe_at
    # in a product's own source file, a minified line is still skipped
    src = scan(tree(tmp_path / "q", {"app/main.js": line + "\n"}))
    assert found(src) == []


def test_changelog_code_is_code(tmp_path: Path) -> None:
    got = scan(tree(tmp_path / "p", {"server/plugins/changelog.js": SENDER, "CHANGELOG.md": SENDER}))
    assert found(got) == [("server/plugins/changelog.js", 1, "mixpanel", "host", "api.mixpanel.com")]


@pytest.mark.parametrize(("rel", "kind"), [
    ("dist/app.js", None), ("static/app.3f9a1c0d2b4e6f80.js", None), ("web/vendor-C_LwJMwU.js", None),
    ("vendors~main.js", None), ("app.vendor.css", None), ("vendorize.js", "source"), ("vendor.py", "source"),
    ("lib/changelog.ts", "source"), ("CHANGELOG", None), ("changelog.md", None),
])
def test_without_a_tree_build_output_is_generated(rel: str, kind: str | None) -> None:
    assert paths.kind(rel) == kind


def test_source_map_segments_place_positions() -> None:
    data = source_map(["a.ts", "node_modules/b/x.js"], [[(0, 0), (10, 1), (20, 0)], [], [(0, 1)]]).encode()
    m = built.SourceMap.parse(data)
    assert m is not None
    assert [m.third_party(1, c) for c in (0, 9, 10, 19, 20)] == [False, False, True, True, False]
    assert m.third_party(2, 5) is False and m.third_party(3, 0) is True and m.third_party(9, 0) is False
    assert built.SourceMap.parse(source_map(["a.ts"], [[(0, 0)]]).encode()) is None  # nothing third-party
    assert built.SourceMap.parse(b"[]") is None and built.SourceMap.parse(b"nope") is None
    assert built.SourceMap.parse(b'{"sources": ["node_modules/x"], "mappings": 3}') is None
    unmapped = built.SourceMap.parse(b'{"sources": ["node_modules/x"], "mappings": "A,CAAA,C,!"}')
    assert unmapped is not None and unmapped.third_party(1, 0) is False and unmapped.third_party(1, 1) is True
    assert unmapped.third_party(1, 2) is False
    assert built._vlq("!") == [] and built._sources(b'{"sources": [1, "", "a.ts"]}') == ["a.ts"]
    assert built._sources(b'{"x": 1}') == []


def test_pull_request_scan_follows_the_same_rule(cli: Any, repo: Repo, tmp_path: Path) -> None:
    compliance(repo, stripe=STRIPE)
    alone = tree(tmp_path / "alone", {"package.json": PKG, "dist/index.js": "module.exports = {};\n"})
    beside = tree(tmp_path / "beside", {"package.json": PKG, "dist/index.js": "module.exports = {};\n",
                                        "src/index.ts": "export {};\n"})
    for product in (alone, beside):
        git(product, "checkout", "-q", "-b", "feature")
        tree(product, {"dist/index.js": "module.exports = {};\n" + SENDER})
    res = cli("--repo", repo.path, "--today", TODAY, "scan", alone, "--base", "main", "--format", "json")
    assert res.code == 1, res.err
    doc = as_json(res.out)
    assert [(f["check"], f["service"], f["path"], f["line"]) for f in doc["findings"]] == [
        ("undeclared-subprocessor", "mixpanel", f"{alone.as_posix()}/dist/index.js", 2)]
    res = cli("--repo", repo.path, "--today", TODAY, "scan", beside, "--base", "main", "--format", "json")
    assert res.code == 0, res.err
    assert as_json(res.out)["findings"] == []


def test_whole_tree_scan_of_a_dist_only_package_through_the_installed_subreg(installed: Any, repo: Repo,
                                                                               tmp_path: Path) -> None:
    compliance(repo, stripe=STRIPE)
    product = tree(tmp_path / "pkg", {"package.json": PKG, "dist/index.js": SENDER})
    res = installed("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    assert res.code == 1, res.err
    [f] = [f for f in as_json(res.out)["findings"] if f["check"] == "undeclared-subprocessor"]
    assert (f["service"], f["path"], f["line"]) == ("mixpanel", f"{product.as_posix()}/dist/index.js", 1)


def test_pull_request_scan_reads_maps_from_head(run: Any, repo: Repo, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    compliance(repo, stripe=STRIPE)
    amap = source_map(["../src/index.ts"], [[]])
    product = tree(tmp_path / "p", {"package.json": PKG, "dist/index.js": "\n", "dist/index.js.map": amap})
    git(product, "checkout", "-q", "-b", "feature")
    tree(product, {"dist/index.js": "\n" + SENDER})
    args = ("--repo", repo.path, "--today", TODAY, "scan", product, "--base", "main", "--format", "json")
    # the map names ../src/index.ts, which HEAD lacks: dist/ is the product's code
    assert [f["service"] for f in as_json(run(*args).out)["findings"]] == ["mixpanel"]
    monkeypatch.setattr("subreg.scan.collect._HeadSources.MAX_BLOB", 10)  # a map too large is not read
    assert [f["service"] for f in as_json(run(*args).out)["findings"]] == ["mixpanel"]
    tree(product, {"src/index.ts": "export {};\n"})
    monkeypatch.undo()
    assert as_json(run(*args).out)["findings"] == []
