"""Which files of a product tree are evidence, and of what kind.

Not evidence: tests, documentation, examples, vendored and generated code, lock
files, CI configuration, public-suffix lists, and the compliance repo's own files when
it sits inside SOURCE. A folder is excluded by its name at any depth, so the walk can
skip it whole; a build folder (`BUILD_DIRS`) and a content-hashed bundle are excluded
only when the tree holds the sources they were built from (`built.py`: otherwise they
are the product's only code, kind `bundle`). A content-hashed bundle without a source
map is excluded too when the tree holds code of its own beside it: the libraries bundled
into it cannot be told from the product's code, and the product's code is scanned.
Sample and example configuration files, and copies of well-known libraries (by their
distributed file or folder names; `text.vendored()` tells them by their licence
banner), are not evidence either.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Protocol


class Sources(Protocol):
    def generated(self, folder: str) -> bool: ...
    def unplaced(self, rel: str) -> bool: ...

# Folders that are never product runtime code.
EXCLUDED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "bower_components", "jspm_packages", "vendor", "vendors",
    "third_party", "third-party", "thirdparty", "external", "jslib", "jslibs", "js-lib", "js_lib",
    "site-packages", ".venv", "venv", "env",
    ".tox", ".nox", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".cache", ".next",
    ".nuxt", ".svelte-kit", ".output", ".turbo", ".parcel-cache", ".terraform", ".gradle", ".idea",
    ".vscode", "target", "bin", "obj", "coverage", "htmlcov", "public-suffix",
    "test", "tests", "testing", "__tests__", "__test__", "test_utils", "test-utils", "testutils",
    "test_helpers", "test-helpers", "testhelpers", "spec", "specs", "e2e", "cypress", "playwright",
    "fixtures", "__fixtures__", "__mocks__", "mocks", "mock", "testdata", "test-data", "test_data",
    "docs", "doc", "documentation", "examples", "example", "samples", "sample", "demo", "demos",
    "benchmarks", "bench", "stories", ".storybook", "storybook", "generated", "__generated__",
    "gen", ".github", ".gitlab", ".circleci", ".buildkite", ".devcontainer", "locale", "locales",
    "i18n", "migrations",
    # the starting files a command writes into a new project of the user's (`rasa init`'s
    # initial_project/, a cookiecutter): sample data, whose hosts are the user's to keep or not
    "initial_project", "project_template", "project_templates", "project-template", "project-templates",
    "boilerplate", "boilerplates", "cookiecutter",
})
# Folders that hold a copy of a well-known third-party library, by the name it is
# distributed under (Indico's `static/dist/js/mathjax/`, a `tinymce/` or `swagger-ui/`
# beside a product's own scripts): vendored code, whose CDN fallbacks and links are the
# library's. Names a product's own module could have (`editor`, `maps`, `charts`) are not listed.
LIBRARY_DIRS = frozenset({
    "mathjax", "tinymce", "ckeditor", "ckeditor4", "ckeditor5", "pdfjs", "pdf.js", "pdfjs-dist", "swagger-ui",
    "swagger-ui-dist", "redoc", "monaco", "monaco-editor", "ace-builds", "codemirror", "codemirror5", "katex",
    "mermaid", "openlayers", "jquery-ui", "font-awesome", "fontawesome", "fontawesome-free", "select2",
    "highlight.js", "highlightjs", "prismjs", "summernote", "froala", "fullcalendar", "plotly.js", "reveal.js",
    "revealjs", "simplemde", "easymde", "tui-editor", "datatables", "jstree", "mathquill", "leaflet-dist",
    "blockly",
})
# Folders of build output: generated code when the tree holds its sources, else the product's code.
BUILD_DIRS = frozenset({"dist", "build", "built", "out", "immutable", "static-build", "static_build"})

LOCK_FILES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock",
    "poetry.lock", "pipfile.lock", "pdm.lock", "uv.lock", "cargo.lock", "composer.lock", "gemfile.lock",
    "go.sum", "packages.lock.json", ".terraform.lock.hcl", "flake.lock", "mix.lock", "podfile.lock",
    "pubspec.lock", "gradle.lockfile", "requirements.lock",
})

# File names that hold lists of domains, not uses of them.
LISTS = ("public_suffix_list.dat", "effective_tld_names.dat", "public-suffix-list*", "*psl.json", "*.psl",
         "*blocklist*", "*blacklist*", "*trackers*", "*adblock*")

# LISTS as one pattern (fnmatch's own translation of each: the same names match).
_LISTS = re.compile("|".join(fnmatch.translate(p) for p in LISTS))
_DOC_SUFFIXES = (".md", ".markdown", ".rst", ".adoc", ".asciidoc", ".txt", ".rtf", ".tex", ".ipynb",
                 ".org", ".pod", ".man", ".1", ".csv", ".tsv", ".log", ".po", ".pot", ".mo", ".xlf",
                 ".snap", ".svg", ".map", ".lock", ".sum", ".patch", ".diff")
_CODE_SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".py", ".go", ".rb", ".php", ".java", ".kt", ".cs",
                  ".rs", ".vue", ".svelte", ".ex", ".exs", ".scala", ".swift", ".dart")
_GENERATED = re.compile(
    r"(\.min\.(js|css|mjs)|[.-]bundle\.js|\.chunk\.js|\.pb\.go|_pb2(_grpc)?\.pyi?|\.pb\.(cc|h)"
    r"|\.generated\.\w+|\.g\.(dart|cs)|\.designer\.cs|_generated\.\w+|\.d\.ts)$"
)
# A bundler's content-hashed output file: `app.3f9a1c0d2b4e6f80.js`, `chunk-Ct5XQNSj.js`.
_HASHED = re.compile(r"[.-]([0-9a-f]{16,}|(?=[A-Za-z0-9_]*[0-9])(?=[A-Za-z0-9_]*[A-Z])[A-Za-z0-9_]{8})\.(m?js|css)$")
# A bundle of third-party code (`vendor-C_LwJMwU.js`, `vendors~main.js`, `chunk-vendors.js`): vendored code.
_VENDOR_CHUNK = re.compile(r"^(?=.*\.(m?js|css)$)(.*[.~_-])?vendors?(?=[.~_-])", re.IGNORECASE)
# Build and developer tooling (a framework's runtime config, such as next.config.js, is kept).
_TOOLING = re.compile(r"^(gulpfile|gruntfile|webpack|rollup|vitest|babel|jest|karma|eslint|prettier|stylelint"
                      r"|postcss|tailwind|tsup|esbuild|playwright|cypress|storybook)"
                      r"([.-].*)?\.(c|m)?(js|ts)$|^(setup|noxfile|fabfile)\.py$|^(rakefile|capfile|guardfile)$"
                      r"|^(record|wheel|installer|entry_points\.txt|top_level\.txt)$", re.IGNORECASE)
_TEST_FILE = re.compile(
    r"(^test_.*\.py$|_tests?\.py$|^tests?\.py$|^conftest\.py$|_test\.go$|\.(test|spec|e2e|stories|story)\.[cm]?[jt]sx?$"
    r"|_spec\.rb$|_test\.rb$|(Tests?|Spec|IT)\.(java|kt|cs|scala|swift)$|Test\.php$|_test\.(rs|exs|dart)$)"
)
# A sample or example configuration (`sample-config.json`, `config.example.yaml`,
# `settings.py.sample`): values to copy from, not the product's settings. An `.env`
# template and a deployment file of that name stay evidence of the variables they name.
_SAMPLE_SUFFIXES = (".example", ".sample")
_CONFIG_SUFFIXES = (".json", ".jsonc", ".json5", ".hjson", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf",
                    ".xml", ".properties", ".plist")
_SAMPLE = re.compile(r"(?:^|[._-])(?:examples?|samples?)(?:[._-]|$)")
# A template a configuration file is made from (`config.py.tmpl`, `settings.yml.dist`,
# `app.json.template`): a code or configuration suffix, then the template's own.
_CONFIG_TEMPLATE = re.compile(r"\.(?:py|js|mjs|cjs|ts|php|rb|json|ya?ml|toml|ini|cfg|conf|xml|properties)"
                              r"\.(?:tmpl|template|dist|tpl|in)$")
# A copy of a well-known third-party library, by the file name it is distributed under
# (`ol.js`, `jquery-3.7.1.min.js`, `leaflet-src.js`): vendored code wherever it lies.
# Names a product's own module could have (`bootstrap.js`, `chart.js`, `video.js`) are not listed.
_LIBRARY = re.compile(
    r"^(?:jquery(?:[.-]ui)?|ol|ol-debug|openlayers|leaflet(?:-src)?|mapbox-gl|maplibre-gl|cesium|angular|react-dom"
    r"|lodash|underscore|backbone|moment(?:-with-locales|-timezone)?|d3|plotly|echarts|highcharts|codemirror|tinymce"
    r"|ckeditor|socket\.io|sockjs|swagger-ui-bundle|swagger-ui-standalone-preset|redoc\.standalone|select2"
    r"|popper|dropzone|xterm|purify|mathjax|katex|pdf\.worker|jszip|hls|dash\.all)"
    r"(?:[.-](?:full|dev|debug|slim|esm|umd|standalone|src|production|development))*(?:[.-]v?\d+(?:\.\d+)*)?"
    r"(?:[.-]min)?\.(?:m?js|css)$")
_NOTICES = re.compile(r"^(readme|changelog|changes|history|license|licence|copying|notice|authors|contributing"
                      r"|code_of_conduct|security|news|todo)([.-].*)?$", re.IGNORECASE)

MANIFESTS = {
    "pyproject.toml": "pyproject", "pipfile": "pipfile", "setup.cfg": "setup.cfg", "package.json": "npm",
    "go.mod": "go", "gemfile": "gemfile", "pom.xml": "maven", "build.gradle": "gradle",
    "build.gradle.kts": "gradle", "cargo.toml": "cargo", "composer.json": "composer",
}
_REQUIREMENTS = re.compile(r"^requirements([-_.][\w.-]*)?\.(txt|in|pip)$|^[\w.-]*requirements\.(txt|in)$")
_DEV_REQUIREMENTS = re.compile(r"(dev|test|tests|testing|lint|docs?|ci|type|typing|mypy|format|build|bench)",
                               re.IGNORECASE)
_DEPLOY_NAMES = re.compile(
    r"^(dockerfile([.-].*)?|.*\.dockerfile|(docker-)?compose([.-][\w-]+)?\.ya?ml|app\.ya?ml|app\.json|fly\.toml"
    r"|render\.ya?ml|netlify\.toml|vercel\.json|serverless\.ya?ml|procfile|manifest\.ya?ml|values([.-][\w-]+)?\.ya?ml"
    r"|wrangler\.toml|railway\.(json|toml)|heroku\.yml|template\.ya?ml|skaffold\.ya?ml)$"
)
_DEPLOY_DIRS = frozenset({"k8s", "kubernetes", "kube", "deploy", "deployment", "deployments", "manifests",
                          "helm", "charts", "chart", "infra", "ops", ".do", "kustomize", "overlays", "base"})
_ENV_FILE = re.compile(r"^(\.env(\..*)?|.*\.env|env\.(example|sample|template|dist)|\.?envrc)$")


# What a file list is read for besides code (kind()'s manifest, requirements, env,
# terraform, deploy and metadata kinds), by cheap string tests on the lowercase name: a
# superset of the names _kind() gives those kinds (a test holds the two together), so
# that most of a large tree's names are passed over without kind().
_LISTED_SUFFIXES = (".txt", ".in", ".pip", ".toml", ".xml", ".gradle", ".kts", ".csproj", ".fsproj", ".vbproj",
                    ".tf", ".yaml", ".yml", ".mod", ".cfg", ".env", ".dockerfile", "package.json",
                    "composer.json", "app.json", "vercel.json", "railway.json")
_LISTED_PREFIXES = (".env", "env.", "envrc", "dockerfile", "requirements", "gemfile", "pipfile", "procfile")
_LISTED_NAMES = frozenset({"pkg-info", "metadata"})


def listed(name: str) -> bool:
    """Whether a file name may be a manifest, requirements, env, terraform, deploy or
    metadata file (kind() decides)."""
    low = name.lower()
    return low.endswith(_LISTED_SUFFIXES) or low.startswith(_LISTED_PREFIXES) or low in _LISTED_NAMES


def hashed(name: str) -> bool:
    """Whether a file name is a bundler's content-hashed output (`main-fc8e0fefa2ef3d8c.js`)."""
    return _HASHED.search(name) is not None


def excluded_dir(name: str) -> bool:
    """A folder never worth descending into (build folders are decided per tree)."""
    low = name.lower()
    return low in EXCLUDED_DIRS or low in LIBRARY_DIRS


def build_root(rel: str) -> str | None:
    """The outermost build folder that holds this file, or None."""
    parts = rel.split("/")[:-1]
    for i, p in enumerate(parts):
        if p.lower() in BUILD_DIRS:
            return "/".join(parts[:i + 1])
    return None


def kind(rel: str, sources: Sources | None = None) -> str | None:
    """What a file of SOURCE (a `/`-separated relative path) is evidence of: a manifest
    kind, `requirements`, `env`, `deploy`, `terraform`, `source`, `bundle` (build output
    that is the product's only code), or None (not evidence). Without `sources`, build
    output is taken as generated from sources the tree holds."""
    parts = rel.split("/")
    if parts[-1] in ("PKG-INFO", "METADATA"):  # a built Python package's core metadata
        dirs = parts[:-1]
        built = not dirs or dirs[-1].endswith((".dist-info", ".egg-info"))
        return "metadata" if built and not any(p.lower() in EXCLUDED_DIRS for p in dirs) else None
    if any(excluded_dir(p) or p.endswith((".dist-info", ".egg-info")) for p in parts[:-1]):
        return None
    root = build_root(rel)
    if root is not None and (sources is None or sources.generated(root)):
        return None
    found = _kind(parts)
    if found == "source" and hashed(parts[-1]):
        folder = "/".join(parts[:-1])
        if sources is None or sources.generated(folder) or sources.unplaced(rel):
            return None
        return "bundle"
    return "bundle" if found == "source" and root is not None else found


def _kind(parts: list[str]) -> str | None:
    name = parts[-1]
    low = name.lower()
    if low in LOCK_FILES or low.endswith(".lock"):
        return None
    if low in MANIFESTS:
        return MANIFESTS[low]
    if low.endswith(".csproj") or low.endswith(".fsproj") or low.endswith(".vbproj"):
        return "nuget"
    if _REQUIREMENTS.match(low):
        stem = low.rsplit(".", 1)[0]
        return None if _DEV_REQUIREMENTS.search(stem.replace("requirements", "")) else "requirements"
    if len(parts) > 1 and parts[-2].lower() == "requirements" and low.endswith((".txt", ".in")):
        return None if _DEV_REQUIREMENTS.search(low) else "requirements"
    if _ENV_FILE.match(low):
        return "env"
    if low.endswith(".tf"):
        return "terraform"
    notice = _NOTICES.match(low) and not low.endswith(_CODE_SUFFIXES)  # changelog.js is code
    if _TEST_FILE.search(name) or notice or low.endswith(_DOC_SUFFIXES) or _GENERATED.search(low):
        return None
    if _TOOLING.match(low) or _VENDOR_CHUNK.search(low) or _LIBRARY.match(low):
        return None
    if _LISTS.match(low):
        return None
    if _DEPLOY_NAMES.match(low):
        return "deploy"
    if low.endswith((".yaml", ".yml")) and any(p.lower() in _DEPLOY_DIRS for p in parts[:-1]):
        return "deploy"
    sample = low.endswith(_SAMPLE_SUFFIXES) or (low.endswith(_CONFIG_SUFFIXES) and _SAMPLE.search(low))
    return None if sample or _CONFIG_TEMPLATE.search(low) else "source"
