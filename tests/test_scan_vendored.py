"""What a product ships that is not its own use of a service: sample and example
configuration files, copies of third-party libraries served from its folders (by their
distributed names or their licence banners), and content-hashed bundles without source
maps beside code of the product's own. Both sides of each rule, on real git trees,
whole and --base, and through the installed subreg."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import Repo
from subreg.scan import paths, text
from test_scan import STRIPE, TODAY, as_json, compliance
from test_scan_built import PKG, source_map
from test_scan_evidence import found, git, scan, tree

JITSI = '{"url": "https://meet.jit.si/room"}\n'
BING = 'var u = "https://dev.virtualearth.net/REST/v1/Imagery";\n'
LONG = "var a=1;" * 1100  # a minified line (over text.MAX_LINE)


@pytest.mark.parametrize(("rel", "kind"), [
    ("sample-config-advanced.json", None), ("sample-config.json", None), ("config.sample.json", None),
    ("config.example.yaml", None), ("conf/settings-example.toml", None), ("example-settings.ini", None),
    ("app/settings.py.example", None), ("config.js.sample", None), ("examples.json", None),
    ("config_samples.yml", None), ("templates/initdir/config.py.tmpl", None), ("config.yml.dist", None),
    ("app.json.template", None), ("conf/settings.ini.in", None), ("config.php.dist", None),
    # near misses: the product's configuration, code that names samples, env and deployment templates
    ("config.json", "source"), ("samplerate.json", "source"), ("app/sample_handler.py", "source"),
    ("app/examples_api.py", "source"), ("resampled.yaml", "source"), (".env.example", "env"),
    ("env.sample", "env"), ("docker-compose.example.yml", "deploy"), ("charts/app/values-example.yaml", "deploy"),
    ("templates/page.tmpl", "source"), ("views/index.html.tmpl", "source"), ("app/template.py", "source"),
])
def test_sample_and_example_configuration_is_not_evidence(rel: str, kind: str | None) -> None:
    assert paths.kind(rel) == kind


@pytest.mark.parametrize(("rel", "kind"), [
    ("public/scripts/ol.js", None), ("public/scripts/ol-min.js", None), ("static/OpenLayers.js", None),
    ("static/leaflet-src.js", None), ("static/jquery-3.7.1.js", None), ("static/jquery-ui.js", None),
    ("static/d3.v7.js", None), ("static/socket.io.js", None), ("static/swagger-ui-bundle.js", None),
    ("static/pdf.worker.mjs", None), ("static/moment-with-locales.js", None), ("static/mapbox-gl.css", None),
    # near misses: a product's own modules, and names that only start like a library's
    ("public/scripts/bootstrap.js", "source"), ("public/scripts/chart.js", "source"),
    ("public/scripts/olive.js", "source"), ("public/scripts/maps.js", "source"), ("app/ol.py", "source"),
    ("static/jquery-setup.js", "source"), ("static/d3-charts.js", "source"),
])
def test_well_known_library_files_are_vendored_code(rel: str, kind: str | None) -> None:
    assert paths.kind(rel) == kind


@pytest.mark.parametrize(("head", "path", "vendored"), [
    ("/*! jQuery v3.7.1 | (c) OpenJS Foundation and other contributors | jquery.org/license */\n", "a.js", True),
    ("\ufeff\n/*!\n * Chart.js v4.3.3\n * Released under the MIT License\n */\n", "a.js", True),
    ("/*! @license DOMPurify 3.2.6 | (c) Cure53 */\n", "a.mjs", True),
    ("/*! normalize.css v8.0.1 | MIT License | github.com/necolas/normalize.css */\n", "a.css", True),
    ("/*!\n * Bootstrap v5.3.3 (https://getbootstrap.com/)\n * Copyright 2011-2024 The Bootstrap Authors\n */\n",
     "a.cjs", True),
    # near misses: the product's own header, a `/*!` with no licence, a banner after code, other languages
    ("/**\n * @description Web server\n * @copyright Acme 2024\n * @license Apache-2.0\n */\n", "a.js", False),
    ("/*! build 42, generated for the admin app */\n", "a.js", False),
    ("'use strict';\n/*! jQuery v3.7.1 | (c) OpenJS Foundation */\n", "a.js", False),
    ("/* Copyright Acme, MIT License */\n", "a.js", False),
    ("/*! (c) Acme */\n", "a.py", False),
    ("/*! unterminated (c) banner\n", "a.js", False),
])
def test_a_licence_banner_marks_a_library_copy(head: str, path: str, vendored: bool) -> None:
    assert text.vendored(head + BING, path) is vendored


def test_vendored_and_sample_files_leave_only_the_products_own_uses(tmp_path: Path) -> None:
    own = ("/**\n * @description Device map\n * @license Apache-2.0\n */\n"
           'fetch("https://nominatim.openstreetmap.org/search?q=" + q);\n')
    got = scan(tree(tmp_path / "p", {
        "package.json": '{"name": "mesh", "dependencies": {}}\n',
        "sample-config-advanced.json": JITSI, "config.json": JITSI,
        "public/scripts/ol.js": "// OpenLayers. See https://openlayers.org/\n" + BING,
        "public/scripts/purify.js": "/*! @license DOMPurify 3.2.6 | (c) Cure53 */\n" + BING,
        "public/scripts/bootstrap.js": BING, "public/scripts/map.js": own,
        ".env.example": "SENTRY_DSN=\n",
    }))
    assert found(got) == [
        (".env.example", 1, "sentry", "env", "SENTRY_DSN"),
        ("config.json", 1, "jitsi-8x8", "host", "meet.jit.si"),
        ("public/scripts/bootstrap.js", 1, "bing-maps", "host", "dev.virtualearth.net"),
        ("public/scripts/map.js", 5, "openstreetmap", "host", "nominatim.openstreetmap.org"),
    ]


def _chunk(url: str) -> str:
    return LONG + f'fetch("{url}");\n'


def test_mapless_hashed_bundles_beside_the_products_own_code_are_left_out(tmp_path: Path) -> None:
    chunks = "app/web/_next/static/chunks/"
    mapped = chunks + "2327-ea623ca2d22f78e9.js"
    files = {
        "pyproject.toml": '[project]\nname = "app"\nversion = "1"\n',
        "app/main.py": 'BASE = "https://api.openai.com/v1"\n',
        chunks + "main-fc8e0fefa2ef3d8c.js": _chunk("https://use.typekit.net/x.css"),
        chunks + "94ca1967.1b3402358e0e1255.js": _chunk("https://excalidraw.firebaseio.com"),
        mapped: _chunk("https://api.mixpanel.com/track"),
        mapped + ".map": source_map(["webpack://_N_E/./src/track.ts"], [[(0, 0)]]),
        "app/web/index.html": '<script src="https://app.chatwoot.com/packs/js/sdk.js"></script>\n',
    }
    got = scan(tree(tmp_path / "p", files))
    assert found(got) == [
        ("app/main.py", 1, "openai", "host", "api.openai.com"),
        (mapped, 1, "mixpanel", "host", "api.mixpanel.com"),
        ("app/web/index.html", 1, "chatwoot-cloud", "host", "app.chatwoot.com"),
    ]
    # a tree of nothing but such bundles (and styles, pages) is scanned in them
    alone = {k: v for k, v in files.items() if not k.endswith(".py")}
    got = scan(tree(tmp_path / "q", alone))
    assert [(e.path, e.service) for e in got.evidence] == [
        (mapped, "mixpanel"),
        (chunks + "94ca1967.1b3402358e0e1255.js", "firebase"),
        (chunks + "main-fc8e0fefa2ef3d8c.js", "adobe-fonts"),
        ("app/web/index.html", "chatwoot-cloud"),
    ]
    # without git, the same
    plain = tree(tmp_path / "r", files, commit=False)
    assert [(e.path, e.service) for e in scan(plain).evidence] == [
        ("app/main.py", "openai"), (mapped, "mixpanel"), ("app/web/index.html", "chatwoot-cloud")]


def test_a_dist_only_packages_own_code_leaves_its_mapless_chunks_out(tmp_path: Path) -> None:
    got = scan(tree(tmp_path / "p", {
        "package.json": PKG, "dist/index.js": 'fetch("https://api.openai.com/v1");\n',
        "dist/public/assets/index-DkKtmj7M.js": _chunk("https://use.typekit.net/x.css"),
    }))
    assert found(got) == [("dist/index.js", 1, "openai", "host", "api.openai.com")]


def test_pull_request_scan_leaves_out_an_added_mapless_chunk(run: Any, repo: Repo, tmp_path: Path) -> None:
    compliance(repo, stripe=STRIPE)
    product = tree(tmp_path / "p", {"pyproject.toml": '[project]\nname = "app"\nversion = "1"\n',
                                    "app/main.py": "X = 1\n"})
    git(product, "checkout", "-q", "-b", "feature")
    tree(product, {"app/static/main-fc8e0fefa2ef3d8c.js": _chunk("https://use.typekit.net/x.css"),
                   "app/static/sample-config.json": JITSI, "app/static/ol.js": BING,
                   "app/static/app.js": 'fetch("https://api.mixpanel.com/track");\n'})
    res = run("--repo", repo.path, "--today", TODAY, "scan", product, "--base", "main", "--format", "json")
    assert res.code == 1, res.err
    assert [(f["service"], f["path"], f["line"]) for f in as_json(res.out)["findings"]] == [
        ("mixpanel", f"{product.as_posix()}/app/static/app.js", 1)]


def test_installed_subreg_leaves_out_samples_library_copies_and_mapless_bundles(installed: Any, repo: Repo,
                                                                                 tmp_path: Path) -> None:
    compliance(repo, stripe=STRIPE)
    product = tree(tmp_path / "mesh", {
        "package.json": '{"name": "mesh", "dependencies": {}}\n',
        "server.js": 'const hook = "https://hooks.slack.com/services/" + id;\n',
        "sample-config.json": JITSI,
        "public/scripts/ol.js": BING,
        "public/scripts/jquery.js": "/*! jQuery v3.7.1 | (c) OpenJS Foundation */\n" + BING,
        "public/assets/index-DkKtmj7M.js": _chunk("https://use.typekit.net/x.css"),
    })
    res = installed("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    assert res.code == 1, res.err
    doc = as_json(res.out)
    assert doc["services"] == ["slack"]
    [f] = [f for f in doc["findings"] if f["check"] == "undeclared-subprocessor"]
    assert (f["service"], f["path"], f["line"]) == ("slack", f"{product.as_posix()}/server.js", 1)
    assert f["evidence"] == [{"path": f"{product.as_posix()}/server.js", "line": 1, "kind": "host", "text": "hooks.slack.com"}]


def test_installed_subreg_reads_rounds_19_and_20_rules(installed: Any, repo: Repo, tmp_path: Path) -> None:
    """Through the wheel's subreg: a Python test module named tests.py or test.py, and a
    JSON schema's description, are not evidence; a CLI's update-notifier is the npm
    registry's client, so the npm registry is in use."""
    compliance(repo, stripe=STRIPE)
    product = tree(tmp_path / "cli", {
        "package.json": '{"name": "cli", "dependencies": {"update-notifier": "^7.0.0", "left-pad": "1"}}\n',
        "shop/tests.py": 'HOOK = "https://hooks.slack.com/services/T0/B0/X"\n',
        "plugins/RSS/test.py": 'FEED = "https://api.openai.com/v1/feed"\n',
        "schemas/project.json": '{"Lake": {"description": "See `category` from https://api.mixpanel.com/track"}}\n',
        "shop/views.py": 'API = "https://api.mailgun.net/v3"\n',
    })
    res = installed("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    assert res.code == 1, res.err
    doc = as_json(res.out)
    assert doc["services"] == ["mailgun", "npm"]
    by = {f["service"]: f["evidence"] for f in doc["findings"] if f["check"] == "undeclared-subprocessor"}
    assert by["npm"] == [{"path": f"{product.as_posix()}/package.json", "line": 1, "kind": "dependency",
                          "text": '{"name": "cli", "dependencies": {"update-notifier": "^7.0.0", "left-pad": "1"}}'}]
    assert by["mailgun"] == [{"path": f"{product.as_posix()}/shop/views.py", "line": 1, "kind": "host",
                              "text": "api.mailgun.net"}]


@pytest.mark.parametrize(("rel", "kind"), [
    ("indico/web/static/dist/js/mathjax/es5/latest.js", None), ("static/tinymce/plugins/media/plugin.js", None),
    ("public/swagger-ui/index.html", None), ("assets/vendor-libs/pdfjs/web/viewer.mjs", None),
    ("static/MathJax/MathJax.js", None), ("app/static/codemirror/mode/xml.js", None),
    ("public/blockly/blockly_compressed.js", None), ("askbot/media/jslib/jquery.fancybox/index.js", None),
    # near misses: a product's own folders with names of their own, and files named like a library's folder
    ("static/js/editor/mathjax_config.js", "source"), ("app/maps/leaflet_layers.js", "source"),
    ("static/js/katex_setup.js", "source"), ("src/charts/index.ts", "source"), ("src/mathjax_support/render.py", "source"),
])
def test_a_folder_named_after_a_well_known_library_is_vendored_code(rel: str, kind: str | None) -> None:
    assert paths.kind(rel) == kind
    assert any(paths.excluded_dir(p) for p in rel.split("/")[:-1]) is (kind is None)  # the walk skips the folder


@pytest.mark.parametrize(("rel", "kind"), [
    ("rasa/cli/initial_project/domain.yml", None), ("rasa/cli/initial_project/actions/actions.py", None),
    ("django/conf/project_template/project_name/settings.py-tpl", None), ("gen/boilerplate/app.js", None),
    ("tools/cookiecutter/{{cookiecutter.slug}}/main.py", None),
    # a test suite's support code (django CMS's cms/test_utils/project/, a test project's templates)
    ("cms/test_utils/project/templates/nav_playground.html", None), ("lib/test-helpers/server.js", None),
    # near misses: a product's own folders and files with such words in their names
    ("app/project_templates.py", "source"), ("src/templates/email.py", "source"), ("src/initial/boot.py", "source"),
])
def test_a_new_projects_starting_files_are_sample_data(rel: str, kind: str | None) -> None:
    assert paths.kind(rel) == kind
    assert any(paths.excluded_dir(p) for p in rel.split("/")[:-1]) is (kind is None)  # the walk skips the folder


def test_a_library_copy_folder_gives_no_evidence_in_a_git_tree_or_on_disk(tmp_path: Path) -> None:
    files = {"static/mathjax/es5/latest.js": 'var CDN = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/";\n',
             "app/main.py": 'SENTRY = "https://o1.ingest.sentry.io/api/1"\n'}
    for commit in (True, False):
        root = tree(tmp_path / f"p{commit}", files, commit=commit)
        assert [(e.path, e.service) for e in scan(root).evidence] == [("app/main.py", "sentry")]


CSP_FILES = {
    # a list per directive, spread over lines (the Unleash server's secure-headers.js)
    "src/secure-headers.js": "import helmet from 'helmet';\nconst STRIPE_SCRIPT_SRC = [\n    'https://js.stripe.com',\n"
                             "    // the checkout\n    'https://checkout.stripe.com',\n];\n"
                             "const SENTRY_CONNECT_SRC = [\n\n    'https://o1.ingest.sentry.io',\n];\n",
    # helmet's directives on one line, a header string, a Python dict of directives
    "src/helmet.js": "app.use(helmet({ contentSecurityPolicy: { directives: {\n"
                     "  scriptSrc: [\"'self'\", \"https://js.stripe.com\"],\n"
                     "  'connect-src': [\"https://api.openai.com\"],\n  styleSrc: [\n    \"'self'\",\n"
                     "    \"https://fonts.googleapis.com\",\n    \"'unsafe-inline'\",\n  ],\n} } }));\n"
                     "res.set('Content-Security-Policy', \"default-src 'self'; img-src https://www.gravatar.com\");\n",
    "app/csp.py": 'CSP = {\n    "frame-ancestors": ["https://app.hubspot.com"],\n}\n',
}
USES = {
    # near misses: a script the page loads, an image, a list of endpoints the code calls
    "src/loader.js": "const scriptSrc = 'https://js.stripe.com/v3';\nimg.src = \"https://www.gravatar.com/avatar/x\";\n",
    "src/endpoints.js": "const ENDPOINTS = [\n    'https://api.openai.com/v1',\n];\nconst imgSrc = [\n"
                        "    'https://o1.ingest.sentry.io/api/1',\n];\n",
}


def test_a_content_security_policy_allowlist_is_not_a_use(tmp_path: Path) -> None:
    assert found(scan(tree(tmp_path / "csp", CSP_FILES))) == []
    assert [(e.path, e.line, e.service) for e in scan(tree(tmp_path / "uses", USES)).evidence] == [
        ("src/endpoints.js", 2, "openai"), ("src/loader.js", 1, "stripe"), ("src/loader.js", 2, "gravatar")]


@pytest.mark.parametrize(("prefix", "allowed"), [
    ("script-src 'self' ", True), ("\"frame-ancestors\": [\"", True), ("  connectSrc: ['", True),
    ("CONNECT_SRC = [\"", True), ("[\"'self'\", \"", True), ("Content-Security-Policy: ", True),
    ("const scriptSrc = '", False), ("img.src = \"", False), ("imgSrc = \"", False), ("description-src '", False),
    ("my-script-src-loader = '", False), ("self.url = '", False),
])
def test_what_names_a_csp_source(prefix: str, allowed: bool) -> None:
    assert text.allowed_source(prefix) is allowed


def test_a_list_is_looked_up_to_its_opening_line_within_the_limit() -> None:
    lines = ["SCRIPT_SRC = ["] + ["    'https://a.example',"] * (text.ALLOWLIST_LINES - 1) + ["    'https://b.example',"]
    assert text.in_allowlist(lines, text.ALLOWLIST_LINES) is True  # its opener is the limit's last line up
    assert text.in_allowlist(lines, text.ALLOWLIST_LINES + 1) is False  # one line further: not looked for
    assert text.in_allowlist(["    'https://a.example',"], 1) is False  # no line above: no list named
    assert text.in_allowlist(["ENDPOINTS = [", "    'https://a.example',"], 2) is False


EXAMPLE_LISTS = {
    # a pydantic field's examples, a list of lists under the key (CrewAI's agent definition)
    "app/agent.py": 'from pydantic import Field\n\nclass Agent:\n    tools: list = Field(\n        default=None,\n'
                    '        examples=[\n            [\n                "https://api.stripe.com/mcp#list_invoices",\n'
                    '                "snowflake",\n            ],\n        ],\n    )\n',
    # a JSON schema's examples, and a documentation key's list (in a JS object)
    "src/schema.js": "export const schema = {\n  examples: [\n    {\n      url: 'https://api.openai.com/v1',\n"
                     "    },\n    'https://hooks.slack.com/services/T0/B0/x',\n  ],\n  docs: [\n"
                     "    'https://www.twilio.com/docs',\n  ],\n};\n",
}
NESTED_USES = {
    # the same shapes under keys that name no example: endpoints the code calls
    "app/routes.py": 'ROUTES = [\n    [\n        "https://api.stripe.com/v1/charges",\n    ],\n]\n',
    "src/targets.js": "export const targets = {\n  hooks: [\n    'https://hooks.slack.com/services/T0/B0/x',\n  ],\n};\n",
}


def test_a_url_in_a_list_of_examples_is_not_a_use_however_deep_the_list(tmp_path: Path) -> None:
    # the object's `url:` line under `examples` is not one string of the list, so it stays evidence
    assert [(e.path, e.line, e.service) for e in scan(tree(tmp_path / "examples", EXAMPLE_LISTS)).evidence] == [
        ("src/schema.js", 4, "openai")]
    assert [(e.path, e.line, e.service) for e in scan(tree(tmp_path / "uses", NESTED_USES)).evidence] == [
        ("app/routes.py", 3, "stripe"), ("src/targets.js", 3, "slack")]


def test_a_list_opening_line_is_found_above_nested_brackets_and_decides_by_its_key() -> None:
    nested = ["EXAMPLES = [", "    [", "        (", "            'https://a.example',"]
    assert text.in_allowlist(nested, 4) is True
    assert text.in_allowlist(["ENDPOINTS = [", "    [", "        'https://a.example',"], 3) is False
    assert text.in_allowlist(["call(", "    'https://a.example',"], 2) is False  # an opening line with no key
    assert text.in_allowlist(["x = 1", "    'https://a.example',"], 2) is False  # no list opens above
    # an element that is an object or a list, closed above the URL, is stepped over whole
    objects = ["  {", "    url: 'https://b.example', tags: ['x'],", "    more: {a: [1]},", "  },", "  'https://a.example',"]
    assert text.in_allowlist(["EXAMPLES = [", *objects], 6) is True
    assert text.in_allowlist(["ENDPOINTS = [", *objects], 6) is False
