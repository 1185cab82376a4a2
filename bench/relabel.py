"""Rename blind labels to catalogue ids, mechanically (a benchmark tool, not a test).

Labellers who must not see the catalogue name every service `other:<name>`, and each
note names the file and the host(s) or the package that reaches the service. Once the
catalogue is frozen, and before the scan first runs on the set, this renames each label
whose own name is a catalogue id (`other:aws`: the labeller named the vendor as the
catalogue does; `other:voyageai` is `voyage-ai`, names compared without hyphens, dots
and underscores) to that id; otherwise each label whose note names hosts or packages
that the catalogue's matcher maps to exactly one service: hosts by the matcher's own
host test (a URL's path where the catalogue knows the service by host and path; a
templated label such as `<region>` or `{s}` read as one label), packages in the
package's own ecosystem where the note writes "<name> package", "through <name>", or a
scoped npm name (`@scope/name`). A label whose note maps to none stays `other:`; one
whose note maps to several is left as it is and printed for a person to decide; a used
label whose note maps to a service that the labeller lists, by that id, as not used (a
vendor's own telemetry sent through another vendor's SDK to the vendor's own host)
stays `other:` too. Two
labels that map to one service become one. (The name comes first: CARTO's tiles served
from a Fastly host are CARTO's, as their labeller wrote.)

Usage: python bench/relabel.py LABELS.yaml [...] > block.yaml  (the renamed entries, as YAML)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

from subreg.scan import catalog

HOST = re.compile(r"(?<![\w@.-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63})(/[\w./~-]*)?", re.IGNORECASE)
PACKAGES = (re.compile(r"`?([@\w][\w./@-]*)`?\s+(?:npm\s+|PyPI\s+)?package\b", re.IGNORECASE),
            re.compile(r"\bthrough\s+(?:the\s+)?`?([@\w][\w./@-]*[\w])`?", re.IGNORECASE),
            re.compile(r"(?<![\w@])(@[\w.-]+/[\w.-]+)"))  # a scoped npm package wherever it is named
PLACEHOLDER = re.compile(r"<[^<>\s]*>|\{[^{}\s]*\}")  # s3.<region>.amazonaws.com, {s}.tile...: a templated label
ECOSYSTEM = {"pypi": "pypi", "npm": "npm"}


def services_of(note: str, eco: str, matcher: catalog.Matcher) -> set[str]:
    """The catalogue services that the hosts and packages a note names map to."""
    found = set()
    note = PLACEHOLDER.sub("x", note)
    for m in HOST.finditer(note):
        sid = matcher.url(m.group(1), m.group(2) or "/")
        if sid:
            found.add(sid)
    for pattern in PACKAGES:
        for m in pattern.finditer(note):
            sid = matcher.package(eco, m.group(1))
            if sid:
                found.add(sid)
    return found


def squashed(name: str) -> str:
    """A name without its case, hyphens, dots and underscores: `voyageai` is `voyage-ai`."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def by_squashed(known: set[str]) -> dict[str, str]:
    """The catalogue ids by their squashed name, where that name is one id's only."""
    ids_of: dict[str, list[str]] = {}
    for sid in known:
        ids_of.setdefault(squashed(sid), []).append(sid)
    return {k: v[0] for k, v in ids_of.items() if len(v) == 1}


def rename(pkg: dict[str, Any], matcher: catalog.Matcher, known: set[str], log: list[str],
           known_squashed: dict[str, str]) -> dict[str, Any]:
    eco = ECOSYSTEM[pkg["registry"]]
    out = dict(pkg)
    # the services the labeller named, by their catalogue id, as not used by this package
    judged_unused = {label[6:] for label in pkg.get("not_used", {}) if label.startswith("other:")}
    for field in ("used", "not_used"):
        notes = pkg.get("notes", {}) if field == "used" else pkg.get("not_used", {})
        labels = list(pkg.get("used", [])) if field == "used" else list(notes)
        new_labels: list[str] = []
        new_notes: dict[str, str] = {}
        for label in labels:
            note = str(notes.get(label, ""))
            target = label
            if label.startswith("other:"):
                hits = services_of(note, eco, matcher)
                named = label[6:] if label[6:] in known else known_squashed.get(squashed(label[6:]))
                if named:
                    target = named
                    but = "" if named == label[6:] else " but for its hyphens"
                    note = f"(renamed from {label}: the labeller's name is the catalogue's id{but}) {note}"
                    log.append(f"{pkg['name']}: {field} {label} -> {target} (by its name; its note maps to "
                               f"{sorted(hits) or 'none'})")
                elif len(hits) == 1 and field == "used" and next(iter(hits)) in judged_unused:
                    log.append(f"{pkg['name']}: used {label} left as it is: its note maps to {sorted(hits)}, which "
                               f"the labeller lists as not used")
                elif len(hits) == 1:
                    target = hits.pop()
                    note = f"(renamed from {label} by its noted host or package) {note}"
                    log.append(f"{pkg['name']}: {field} {label} -> {target}")
                elif hits:
                    log.append(f"{pkg['name']}: {field} {label} left as it is: its note maps to {sorted(hits)}")
            if target in new_notes:
                new_notes[target] += f"; {note}"
            else:
                new_labels.append(target)
                new_notes[target] = note
        if field == "used":
            out["used"], out["notes"] = new_labels, new_notes
        else:
            out["not_used"] = new_notes
    return out


def main(argv: list[str]) -> int:
    services = catalog.load()
    matcher = catalog.Matcher.build(services)
    known = {s.id for s in services}
    known_squashed = by_squashed(known)
    log: list[str] = []
    block = []
    for path in argv:
        for pkg in yaml.safe_load(Path(path).read_text()):
            block.append(rename(pkg, matcher, known, log, known_squashed))
    sys.stdout.write(yaml.safe_dump(block, sort_keys=False, allow_unicode=True, width=120))
    for line in log:
        print(line, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
