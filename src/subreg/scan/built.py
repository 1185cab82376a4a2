"""Build output: generated from sources the tree holds, or the product's only code.

Generated code is not evidence when the tree also holds the sources it was generated
from: the sources are then scanned, and the bundle would only repeat them (with the
third-party code bundled into it). But when a tree holds only the built output (an npm
package that ships its `dist/` alone, a repository that commits its bundle without the
code it was built from), that output IS the product's code, and it is scanned.

A build folder (`dist/`, `build/`, `built/`, `out/`, ... see `paths.BUILD_DIRS`) or a
content-hashed bundle's folder holds output built from sources in the tree when:

1. its source maps (`*.map`, the first few, by name) name a file that the tree holds;
   maps that name only files the tree lacks say the sources are elsewhere (a map's
   third-party entries, under `node_modules/` or a bundler's runtime, are left aside);
2. without such a map, the folders from the build folder up to its package root (the
   nearest folder with a package manifest, else SOURCE) hold a `src/`, `source/` or
   `sources/` folder with code in it, or a build recipe: a bundler's configuration
   (webpack, rollup, vite, gulp, grunt, esbuild, tsup, parcel) or a `tsconfig*.json`
   whose `outDir` is the build folder.

Everything else is the product's only code. In such a bundle, the code of third-party
packages bundled into it is vendored code: a URL that the bundle's source map places in
a file under `node_modules/` (or a bundler's runtime) is not evidence (`bundled()`).
A content-hashed bundle without its map cannot be split so; when the tree holds code of
its own besides such bundles (a Python package shipping a prebuilt web app, a server
beside its client's chunks), that code is the product's and the mapless bundles are left
out (`unplaced()`): a bundled library's hosts are never taken for the product's. Only a
tree of nothing but such bundles is scanned in them.

Read as text and data like the rest: maps are read up to `MAP_BYTES` to decide a
folder and up to `MAP_MAX` to place a URL, never run; a map that does not parse
decides nothing.
"""

from __future__ import annotations

import bisect
import json
import posixpath
import re
from collections.abc import Callable, Iterable

from subreg.scan import paths

MAPS_READ = 3  # source maps looked at per build folder
MAP_BYTES = 256 * 1024  # a map's `sources` come before its (large) `sourcesContent`
MAP_MAX = 16 * 1024 * 1024  # a larger map is not read to place a URL
SOURCE_DIRS = ("src", "source", "sources")
CODE = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".vue", ".svelte", ".astro", ".coffee",
        ".py", ".go", ".rb", ".php", ".java", ".kt", ".cs", ".rs", ".scss", ".sass", ".less", ".elm", ".dart")
OWN_CODE = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".vue", ".svelte", ".py", ".go", ".rb",
            ".php", ".java", ".kt", ".cs", ".rs", ".dart")  # code a product writes (not styles)
PACKAGE_ROOTS = ("package.json", "pyproject.toml", "setup.cfg", "setup.py", "composer.json", "go.mod", "gemfile",
                 "cargo.toml", "pom.xml", "build.gradle", "build.gradle.kts")
_RECIPE = re.compile(r"^(webpack|rollup|vite|gulpfile|gruntfile|esbuild|tsup|parcel|rspack|rolldown|snowpack)"
                     r"([.-][\w.-]*)?\.(c|m)?(js|ts)$|^\.parcelrc$", re.IGNORECASE)
_TSCONFIG = re.compile(r"^tsconfig([.-][\w.-]*)?\.json$", re.IGNORECASE)
_OUT_DIR = re.compile(r'^[^/\n]*"outDir"\s*:\s*"([^"\n]+)"', re.MULTILINE)
_SOURCES = re.compile(rb'"sources"\s*:\s*\[')
_SOURCE_ROOT = re.compile(rb'"sourceRoot"\s*:\s*"([^"]*)"')
_SCHEME = re.compile(r"^[a-zA-Z][\w+.-]*://[^/]*/")
_THIRD_PARTY = ("node_modules/", "webpack/", "(webpack)", "vite/", "\0", "external ", "rolldown:", "rollup:")


class Built:
    """Answers, per folder of build output, whether the tree holds the sources it was
    built from. `files`: every file of the tree (relative, `/`-separated); `read(rel)`:
    a file's first bytes, or None."""

    def __init__(self, files: Iterable[str], read: Callable[[str, int], bytes | None]) -> None:
        listed = list(files)
        self._set = frozenset(listed)
        # git lists paths sorted, and sorting a sorted list is one pass; a set's order is not
        self._files = sorted(listed) if len(self._set) == len(listed) else sorted(self._set)
        self._read = read
        self._memo: dict[str, bool] = {}
        self._maps: dict[str, SourceMap | None] = {}
        self._own: bool | None = None

    def generated(self, folder: str) -> bool:
        """Whether the output in `folder` was built from sources the tree holds."""
        hit = self._memo.get(folder)
        if hit is None:
            by_maps = self._by_maps(folder)
            hit = by_maps if by_maps is not None else self._by_layout(folder)
            self._memo[folder] = hit
        return hit

    def unplaced(self, rel: str) -> bool:
        """Whether the content-hashed bundle `rel` has no source map and the tree holds
        code of its own outside such bundles (so the bundle is left out)."""
        if rel + ".map" in self._set:
            return False
        if self._own is None:
            self._own = any(self._own_code(f) for f in self._files)
        return self._own

    def _own_code(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        if not name.endswith(OWN_CODE) or paths.hashed(name):
            return False
        return paths.kind(rel, self) in ("source", "bundle")

    def bundled(self, rel: str, line: int, column: int) -> bool:
        """Whether the code at (line, column) of the bundle `rel` (1-based line, 0-based
        column) comes from a third-party package bundled into it, by its source map."""
        if rel not in self._maps:
            path = rel + ".map"
            data = self._read(path, MAP_MAX + 1) if path in self._set else None
            self._maps[rel] = SourceMap.parse(data) if data and len(data) <= MAP_MAX else None
        found = self._maps[rel]
        return found is not None and found.third_party(line, column)

    def _under(self, folder: str) -> list[str]:
        prefix = folder + "/" if folder else ""
        start = bisect.bisect_left(self._files, prefix)
        end = bisect.bisect_left(self._files, prefix + "\U0010ffff") if prefix else len(self._files)
        return self._files[start:end]

    def _by_maps(self, folder: str) -> bool | None:
        maps = [f for f in self._under(folder) if f.endswith(".map")][:MAPS_READ]
        seen = False
        for rel in maps:
            data = self._read(rel, MAP_BYTES)
            for source in _sources(data) if data else ():
                seen = True
                if self._resolves(posixpath.dirname(rel), source):
                    return True
        return False if seen else None

    def _resolves(self, folder: str, source: str) -> bool:
        if _SCHEME.match(source):  # webpack://name/./src/x.ts: relative to the bundler's context, somewhere above
            path = posixpath.normpath(_SCHEME.sub("", source)).lstrip("/")
            level = folder
            while True:
                if posixpath.normpath(posixpath.join(level, path)) in self._set:
                    return True
                if not level:
                    return False
                level = posixpath.dirname(level)
        if source.startswith("/"):
            return False
        return posixpath.normpath(posixpath.join(folder, source)) in self._set

    def _by_layout(self, folder: str) -> bool:
        level = posixpath.dirname(folder)
        while True:
            children = self._children(level)
            for d in SOURCE_DIRS:
                if any(f.endswith(CODE) for f in self._under(posixpath.join(level, d) if level else d)):
                    return True
            for child in children:
                if _RECIPE.match(child):
                    return True
                if _TSCONFIG.match(child) and self._outputs_to(posixpath.join(level, child), level, folder):
                    return True
            if not level or any(c.lower() in PACKAGE_ROOTS for c in children):
                return False
            level = posixpath.dirname(level)

    def _children(self, level: str) -> list[str]:
        """The files directly in `level`."""
        prefix = level + "/" if level else ""
        return [f[len(prefix):] for f in self._under(level) if "/" not in f[len(prefix):]]

    def _outputs_to(self, tsconfig: str, level: str, folder: str) -> bool:
        data = self._read(tsconfig, 64 * 1024)
        text = data.decode("utf-8", errors="replace") if data else ""
        return any(posixpath.normpath(posixpath.join(level, m.group(1))) == folder for m in _OUT_DIR.finditer(text))


def _sources(data: bytes) -> list[str]:
    """The first-party entries of a source map's `sources`, with its `sourceRoot`."""
    m = _SOURCES.search(data)
    if not m:
        return []
    try:
        raw, _end = json.JSONDecoder().raw_decode(data[m.end() - 1:].decode("utf-8", errors="replace"))
    except ValueError:
        return []
    root = _SOURCE_ROOT.search(data)
    prefix = root.group(1).decode("utf-8", errors="replace") if root else ""
    out = []
    for s in raw:
        if not isinstance(s, str) or not s or any(t in s for t in _THIRD_PARTY):
            continue
        out.append(s if _SCHEME.match(s) or not prefix else posixpath.join(prefix, s))
    return out


_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _vlq(segment: str) -> list[int]:
    """The numbers of one segment of a source map's `mappings` (base64 VLQ)."""
    out, value, shift = [], 0, 0
    for ch in segment:
        digit = _B64.get(ch)
        if digit is None:
            return []
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        out.append(-(value >> 1) if value & 1 else value >> 1)
        value, shift = 0, 0
    return out


class SourceMap:
    """Which source each generated position of a bundle comes from (source map v3)."""

    def __init__(self, sources: list[bool], mappings: str) -> None:
        self.vendored = sources  # per source index: whether it is third-party code
        self.lines = mappings.split(";")
        self._decoded: list[list[tuple[int, int]]] = []  # per line: (column, source index)
        self._source = 0  # the running source index, after the decoded lines

    @classmethod
    def parse(cls, data: bytes) -> SourceMap | None:
        try:
            doc = json.loads(data)
        except ValueError:
            return None
        if not isinstance(doc, dict) or not isinstance(doc.get("mappings"), str):
            return None
        sources = doc.get("sources")
        if not isinstance(sources, list) or not any(isinstance(s, str) and _vendored(s) for s in sources):
            return None  # nothing bundled from third parties: no need to place anything
        return cls([isinstance(s, str) and _vendored(s) for s in sources], doc["mappings"])

    def third_party(self, line: int, column: int) -> bool:
        index = line - 1
        if not 0 <= index < len(self.lines):
            return False
        while len(self._decoded) <= index:
            self._decode(len(self._decoded))
        source = -1
        for col, src in self._decoded[index]:
            if col > column:
                break
            source = src
        return 0 <= source < len(self.vendored) and self.vendored[source]

    def _decode(self, index: int) -> None:
        column, row = 0, []
        for segment in self.lines[index].split(","):
            fields = _vlq(segment)
            if not fields:
                continue
            column += fields[0]
            if len(fields) >= 4:
                self._source += fields[1]
                row.append((column, self._source))
            else:  # a position mapped to no source
                row.append((column, -1))
        self._decoded.append(row)


def _vendored(source: str) -> bool:
    return any(t in source for t in _THIRD_PARTY)
