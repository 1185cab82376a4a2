"""Runtime dependencies declared in the manifests of each ecosystem, read as data.

Real parsers where they exist: `packaging` for requirement lines, `tomllib` for
pyproject.toml, Pipfile and Cargo.toml, `json` for package.json and composer.json,
`configparser` for setup.cfg, `xml.etree` for pom.xml and *.csproj (a document with a
DTD is refused before parsing, so no entity can expand). go.mod, Gemfile and Gradle
files have no parser in Python's reach (a Gemfile and a Gradle script are programs):
they are read line by line for the declarations whose form is fixed, and never run.

Development-only dependencies are not evidence: dev/test groups, devDependencies,
require-dev, dev-dependencies, test scopes and configurations, Gemfile groups of
development and test, PrivateAssets analysers, test projects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: a scan reads the kinds of manifest its tree has
    import xml.etree.ElementTree as ET

    from packaging.requirements import Requirement


@dataclass(frozen=True)
class Dep:
    eco: str
    name: str
    line: int
    text: str


class ManifestError(Exception):
    """A manifest that cannot be read: a warning at `line`, never a crash."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = max(line, 1)


_DEV = re.compile(r"^(dev|devel|develop|development|test|tests|testing|lint|linting|docs?|documentation|ci"
                  r"|typing|types|mypy|format|formatting|style|build|bench|benchmarks?|coverage|qa|check"
                  r"|release|tools?)([-_].*)?$", re.IGNORECASE)


class _Lines:
    """Finds the line of a name in a manifest's text, for evidence."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")

    def find(self, *needles: str) -> tuple[int, str]:
        """The first line that holds a quoted needle (or `<tag>`), or that starts with
        a bare one (a TOML key)."""
        for needle in needles:
            quoted = needle[:1] in "\"'<"
            for i, line in enumerate(self.lines):
                if (needle in line) if quoted else line.lstrip().startswith(needle):
                    return i + 1, line.strip()
        return 1, needles[0].strip('"')

    def dep(self, eco: str, name: str, *needles: str) -> Dep:
        line, text = self.find(*(needles or (f'"{name}"', f"'{name}'")))
        return Dep(eco, name, line, text[:200])


# -- Python ----------------------------------------------------------------------------

class InvalidRequirement(ValueError):
    """A requirement line that PEP 508 does not allow."""


def _parse_requirement(spec: str) -> Requirement:
    from packaging.requirements import InvalidRequirement as Invalid
    from packaging.requirements import Requirement

    try:
        return Requirement(spec)
    except Invalid as exc:
        raise InvalidRequirement(str(exc)) from None


# The common shape of a requirement: a name, extras, version clauses, nothing else. Its
# name is the one packaging gives (tests/test_scan_more.py compares the two); any other
# line (markers, URLs, odd spacing) goes to packaging, which alone decides what is valid.
_PLAIN = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:\[[A-Za-z0-9._-]+(?:,[A-Za-z0-9._-]+)*\])?"
                    r"(?:(?:===?|~=|!=|<=?|>=?)[A-Za-z0-9.*+!_-]+(?:,(?:===?|~=|!=|<=?|>=?)[A-Za-z0-9.*+!_-]+)*)?")


def _requirement(spec: str) -> str | None:
    """The project name of a PEP 508 requirement (None for a URL or a path)."""
    plain = _PLAIN.fullmatch(spec)
    if plain:
        return plain.group(1)
    return _parse_requirement(spec).name


def requirements(text: str) -> tuple[list[Dep], list[ManifestError]]:
    deps: list[Dep] = []
    problems: list[ManifestError] = []
    pending = ""
    start, first = 0, ""
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if pending:
            line = pending + " " + line
        else:
            start, first = number, raw
        if line.endswith("\\"):
            pending = line[:-1].strip()
            continue
        pending = ""
        if not line or line.startswith("-") or "://" in line.split(" @ ")[0] or line.startswith((".", "/")):
            continue
        line = line.split(" --hash", 1)[0].split(" --", 1)[0].strip()
        try:
            name = _requirement(line)
        except InvalidRequirement as exc:
            problems.append(ManifestError(f"not a requirement: {exc}", start))
            continue
        if name:
            deps.append(Dep("pypi", name, start, first.strip()[:200]))
    return deps, problems


def core_metadata(text: str) -> tuple[list[Dep], list[ManifestError]]:
    """`Requires-Dist` of a built package's PKG-INFO or METADATA (dev-like extras left out)."""
    deps: list[Dep] = []
    problems: list[ManifestError] = []
    for number, raw in enumerate(text.split("\n"), 1):
        if not raw:
            break  # the headers end where the long description starts
        if not raw.startswith("Requires-Dist:"):
            continue
        spec = raw[len("Requires-Dist:"):].strip()
        try:
            req = _parse_requirement(spec)
        except InvalidRequirement as exc:
            problems.append(ManifestError(f"not a requirement: {exc}", number))
            continue
        extras = re.findall(r"extra\s*==\s*[\"']([^\"']+)[\"']", str(req.marker or ""))
        if extras and all(_DEV.match(e) for e in extras):
            continue
        deps.append(Dep("pypi", req.name, number, raw.strip()[:200]))
    return deps, problems


def _toml(text: str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ManifestError(f"invalid TOML: {exc}", int(m.group(1)) if m else 1) from None


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _pep508(specs: Iterable[str], lines: _Lines, problems: list[ManifestError]) -> list[Dep]:
    out = []
    for spec in specs:
        try:
            name = _requirement(spec)
        except InvalidRequirement as exc:
            problems.append(ManifestError(f"not a requirement: {exc}", lines.find(f'"{spec}"', f"'{spec}'")[0]))
            continue
        if name:
            out.append(lines.dep("pypi", name, f'"{spec}"', f"'{spec}'", spec))
    return out


def pyproject(text: str) -> tuple[list[Dep], list[ManifestError]]:
    data, lines = _toml(text), _Lines(text)
    problems: list[ManifestError] = []
    project = _table(data.get("project"))
    specs = _strings(project.get("dependencies"))
    for group, items in _table(project.get("optional-dependencies")).items():
        if not _DEV.match(group):
            specs += _strings(items)
    deps = _pep508(specs, lines, problems)
    poetry = _table(_table(data.get("tool")).get("poetry"))
    names = [n for n in _table(poetry.get("dependencies")) if n.lower() != "python"]
    names += list(_table(_table(_table(poetry.get("group")).get("main")).get("dependencies")))
    deps += [lines.dep("pypi", n, f"{n} =", f"{n}=", f'"{n}"', n) for n in names]
    return deps, problems


def pipfile(text: str) -> tuple[list[Dep], list[ManifestError]]:
    data, lines = _toml(text), _Lines(text)
    return [lines.dep("pypi", n, f"{n} =", f"{n}=", f'"{n}"', n) for n in _table(data.get("packages"))], []


def setup_cfg(text: str) -> tuple[list[Dep], list[ManifestError]]:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise ManifestError(f"invalid setup.cfg: {exc.message}", getattr(exc, "lineno", 1)) from None
    specs = []
    if parser.has_option("options", "install_requires"):
        specs += parser.get("options", "install_requires").split("\n")
    if parser.has_section("options.extras_require"):
        for group, value in parser.items("options.extras_require"):
            if not _DEV.match(group):
                specs += value.split("\n")
    problems: list[ManifestError] = []
    specs = [s.split("#", 1)[0].strip() for s in specs]
    return _pep508([s for s in specs if s], _Lines(text), problems), problems


# -- JavaScript, PHP -------------------------------------------------------------------

def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"invalid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise ManifestError("invalid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise ManifestError("expected a JSON object")
    return data


def package_json(text: str) -> tuple[list[Dep], list[ManifestError]]:
    data, lines = _json(text), _Lines(text)
    names: list[str] = []
    for key in ("dependencies", "optionalDependencies"):
        names += [n for n in _table(data.get(key)) if isinstance(n, str)]
    for key in ("bundledDependencies", "bundleDependencies"):
        names += _strings(data.get(key))
    return [lines.dep("npm", n) for n in dict.fromkeys(names)], []


def composer_json(text: str) -> tuple[list[Dep], list[ManifestError]]:
    data, lines = _json(text), _Lines(text)
    platform = re.compile(r"^(php|hhvm|composer(-.*)?|ext-.*|lib-.*)$", re.IGNORECASE)
    names = [n for n in _table(data.get("require")) if isinstance(n, str) and not platform.match(n)]
    return [lines.dep("composer", n) for n in names], []


# -- Go, Ruby, Gradle: fixed forms, read line by line ---------------------------------

_GO_REQ = re.compile(r"^([^\s\"]+|\"[^\"]+\")\s+(v[^\s]+)(\s*//.*)?$")


def go_mod(text: str) -> tuple[list[Dep], list[ManifestError]]:
    deps, problems = [], []
    block = False
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if block:
            if line.startswith(")"):
                block = False
                continue
            spec = line
        elif line.startswith("require ("):
            block = True
            continue
        elif line.startswith("require "):
            spec = line[len("require "):].strip()
        else:
            continue
        if not spec or spec.startswith("//"):
            continue
        m = _GO_REQ.match(spec)
        if not m:
            problems.append(ManifestError(f"not a require line: {spec[:80]!r}", number))
            continue
        if m.group(3) and "indirect" in m.group(3):
            continue  # a dependency of a dependency
        deps.append(Dep("go", m.group(1).strip('"'), number, line[:200]))
    return deps, problems


_GEM = re.compile(r"""^\s*gem\s*\(?\s*['"]([A-Za-z0-9_.-]+)['"](.*)$""")
_GROUP = re.compile(r"""^\s*group\s*\(?\s*(.+?)\)?\s+do\b""")
_BLOCK = re.compile(r"""\bdo\s*(\|[^|]*\|)?\s*$""")
_DEV_GROUPS = {"development", "test", "dev", "ci", "lint", "tools"}


def _dev_groups(text: str) -> bool:
    groups = set(re.findall(r"[:'\"]([a-z_]+)", text))
    return bool(groups) and groups <= _DEV_GROUPS


def gemfile(text: str) -> tuple[list[Dep], list[ManifestError]]:
    deps = []
    stack: list[bool] = []  # per open block: is it a development/test group
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        g = _GROUP.match(line)
        if g:
            stack.append(_dev_groups(g.group(1)))
            continue
        if _BLOCK.search(line):
            stack.append(False)
            continue
        if line.strip() == "end":
            if stack:
                stack.pop()
            continue
        m = _GEM.match(line)
        if not m or any(stack):
            continue
        options = m.group(2)
        inline = re.search(r"\bgroups?\s*(?::|=>)\s*(\[[^\]]*\]|:\w+|['\"]\w+['\"])", options)
        if inline and _dev_groups(inline.group(1)):
            continue
        deps.append(Dep("rubygems", m.group(1), number, raw.strip()[:200]))
    return deps, []


_GRADLE_CONF = r"(?:implementation|api|compile|runtimeOnly|runtime)"
_GRADLE = re.compile(r"""^\s*""" + _GRADLE_CONF + r"""\s*\(?\s*(?:platform\s*\(\s*|enforcedPlatform\s*\(\s*)?"""
                     r"""['"]([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+)(?::[^'"]*)?['"]""")
_GRADLE_MAP = re.compile(r"""^\s*""" + _GRADLE_CONF + r"""\s*\(?\s*group\s*[:=]\s*['"]([^'"]+)['"]\s*,"""
                         r"""\s*name\s*[:=]\s*['"]([^'"]+)['"]""")


def gradle(text: str) -> tuple[list[Dep], list[ManifestError]]:
    deps = []
    for number, raw in enumerate(text.split("\n"), 1):
        if raw.lstrip().startswith(("//", "/*", "*")):
            continue
        m = _GRADLE.match(raw) or _GRADLE_MAP.match(raw)
        if m:
            deps.append(Dep("maven", f"{m.group(1)}:{m.group(2)}", number, raw.strip()[:200]))
    return deps, []


# -- XML: pom.xml, *.csproj ------------------------------------------------------------

def _xml(text: str) -> ET.Element:
    head = text[:4096].upper()
    if "<!DOCTYPE" in head or "<!ENTITY" in text.upper():
        raise ManifestError("refusing an XML document with a DTD (entities are not read)")
    import xml.etree.ElementTree as ET

    try:
        return ET.fromstring(text)  # noqa: S314 - no DTD, so no entity expansion or external fetch
    except ET.ParseError as exc:
        raise ManifestError(f"invalid XML: {exc}", exc.position[0]) from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in el if _local(c.tag) == name), None)


def pom(text: str) -> tuple[list[Dep], list[ManifestError]]:
    root, lines = _xml(text), _Lines(text)
    holders = [root] + [p for ps in root if _local(ps.tag) == "profiles" for p in ps if _local(p.tag) == "profile"]
    deps = []
    for holder in holders:
        block = _child(holder, "dependencies")
        for dep in block if block is not None else ():
            if _local(dep.tag) != "dependency":
                continue
            group, artifact, scope = (_child(dep, k) for k in ("groupId", "artifactId", "scope"))
            if group is None or artifact is None or not group.text or not artifact.text:
                continue
            if scope is not None and (scope.text or "").strip() == "test":
                continue
            g, a = group.text.strip(), artifact.text.strip()
            deps.append(lines.dep("maven", f"{g}:{a}", f"<artifactId>{a}</artifactId>", f"<artifactId>{a}"))
    return deps, []


def csproj(text: str) -> tuple[list[Dep], list[ManifestError]]:
    root, lines = _xml(text), _Lines(text)
    refs = [el for el in root.iter() if _local(el.tag) == "PackageReference"]
    names = [el.get("Include") or el.get("Update") or "" for el in refs]
    test_project = any(_local(el.tag) == "IsTestProject" and (el.text or "").strip().lower() == "true"
                       for el in root.iter()) or any(n.lower() == "microsoft.net.test.sdk" for n in names)
    if test_project:
        return [], []
    deps = []
    for el, name in zip(refs, names, strict=True):
        private = (el.get("PrivateAssets") or "") + "".join(
            (c.text or "") for c in el if _local(c.tag) == "PrivateAssets")
        if not name or private.strip().lower() == "all":
            continue
        deps.append(lines.dep("nuget", name, f'"{name}"', name))
    return deps, []


# -- Rust ------------------------------------------------------------------------------

def cargo(text: str) -> tuple[list[Dep], list[ManifestError]]:
    data, lines = _toml(text), _Lines(text)
    tables = [_table(data.get("dependencies"))]
    tables += [_table(_table(t).get("dependencies")) for t in _table(data.get("target")).values()]
    deps = []
    for table in tables:
        for key, value in table.items():
            name = _table(value).get("package", key)
            if isinstance(name, str):
                deps.append(lines.dep("cargo", name, f"{key} =", f"{key}=", f'"{name}"', key))
    return deps, []


PARSERS: dict[str, Callable[[str], tuple[list[Dep], list[ManifestError]]]] = {
    "requirements": requirements, "metadata": core_metadata, "pyproject": pyproject, "pipfile": pipfile,
    "setup.cfg": setup_cfg,
    "npm": package_json, "composer": composer_json, "go": go_mod, "gemfile": gemfile, "gradle": gradle,
    "maven": pom, "nuget": csproj, "cargo": cargo,
}


def parse(kind: str, text: str) -> tuple[list[Dep], list[ManifestError]]:
    """Dependencies of a manifest of this kind; a file that cannot be read is one
    problem, and problems of single lines leave the rest of the file read."""
    try:
        return PARSERS[kind](text)
    except ManifestError as exc:
        return [], [exc]
