"""The comparison with the registry: which entry declares which service, and the
findings `undeclared-subprocessor`, `activation-before-notice` and `unused-subprocessor`.

An entry is linked to a catalogue service by, in this order of strength: its
`detect.catalog`; its `website` (same host, www. aside, and the same path when the
catalogue's website has one); its name, as the service's name or alias; its legal
entity, among the service's (names compared ignoring case, spaces and punctuation,
as for renames). Only the strongest kind that links an entry counts, so
that Twilio SendGrid (legal entity Twilio Inc., website sendgrid.com) declares SendGrid
and not the rest of Twilio. An entry's `detect.packages` and `detect.domains` add to
the service it is linked to, or make a service of its own (id: the entry's id).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from subreg import escape
from subreg import findings as fd
from subreg.errors import InputError
from subreg.model import Policy, Subprocessor, identity
from subreg.registry import Registry
from subreg.scan import catalog
from subreg.scan.catalog import Matcher, Service
from subreg.scan.collect import Evidence

UNDECLARED = "undeclared-subprocessor"
EARLY = "activation-before-notice"
UNUSED = "unused-subprocessor"
CHECKS = (UNDECLARED, EARLY, UNUSED)


@dataclass
class Links:
    services: dict[str, Service]  # catalogue services plus the entries' own
    catalogued: frozenset[str] = frozenset()
    entries: dict[str, list[Subprocessor]] = field(default_factory=dict)  # service id -> entries
    matcher: Matcher = field(default_factory=Matcher)

    def of(self, sp_id: str) -> list[str]:
        return sorted(s for s, es in self.entries.items() if any(e.id == sp_id for e in es))


# A plain https URL (a lowercase host; no user, port, query or fragment): what almost
# every website is, split without urlsplit's cost (link() splits every catalogue record's).
_PLAIN = re.compile(r"https?://([a-z0-9.-]+)(/[^?#;\\@:%\[\]\s\x00-\x1f\x7f]*)?")


def _site(url: str | None) -> tuple[str, str]:
    """(host without `www.`, path without its final `/`), lowercase, as urlsplit reads them."""
    if not url:
        return "", ""
    plain = _PLAIN.fullmatch(url)
    if plain:
        return plain.group(1).removeprefix("www."), (plain.group(2) or "").rstrip("/").lower()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    return host, parts.path.rstrip("/").lower()


def _names(s: Service) -> set[str]:
    return {identity(n) for n in (s.name, *s.aliases)} - {""}


def _legal(s: Service) -> set[str]:
    return {identity(n) for n in s.legal_names} - {""}


class _Services(dict[str, Service]):
    """Service id -> Service: the registry's own, and the catalogue's, each record made
    a Service when first asked for (a scan asks for the few it found)."""

    def __init__(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__()
        self._records = records

    def __missing__(self, sid: str) -> Service:
        record = self._records.get(sid)
        if record is None:
            raise KeyError(sid)
        service = self[sid] = Service.of(sid, record)
        return service

    def __contains__(self, sid: object) -> bool:
        return dict.__contains__(self, sid) or sid in self._records


@dataclass
class Catalogue:
    """The catalogue as link() looks services up: by website, by name and by legal
    entity, and the catalogue's Matcher. Derived from the records once, when the index is
    compiled (catalog.compile_index), and read from it on each scan (load)."""

    records: Mapping[str, Mapping[str, Any]]
    by_site: dict[str, dict[str, list[str]]]  # host -> path -> ids
    by_name: dict[str, list[str]]
    by_legal: dict[str, list[str]]
    matcher: Matcher

    @classmethod
    def of(cls, services: Iterable[Service]) -> Catalogue:
        services = list(services)
        by_site: dict[str, dict[str, list[str]]] = {}
        by_name: dict[str, list[str]] = {}
        by_legal: dict[str, list[str]] = {}
        for s in services:
            host, path = _site(s.website)
            by_site.setdefault(host, {}).setdefault(path, []).append(s.id)
            for n in sorted(_names(s)):
                by_name.setdefault(n, []).append(s.id)
            for n in sorted(_legal(s)):
                by_legal.setdefault(n, []).append(s.id)
        return cls({s.id: s.as_json() for s in services}, by_site, by_name, by_legal, Matcher.build(services))

    @classmethod
    def load(cls) -> Catalogue:
        data = catalog.index()
        lookup = data["lookup"]
        return cls(data["records"], lookup["by_site"], lookup["by_name"], lookup["by_legal"], catalog.matcher())

    def lookup_json(self) -> dict[str, Any]:
        return {"by_site": self.by_site, "by_name": self.by_name, "by_legal": self.by_legal,
                "matcher": self.matcher.as_json()}


def link(registry: Registry, catalogue: Catalogue | Iterable[Service]) -> Links:
    if not isinstance(catalogue, Catalogue):
        catalogue = Catalogue.of(catalogue)
    links = Links(_Services(catalogue.records), frozenset(catalogue.records))
    own: list[Service] = []
    for sp in registry:
        detect = sp.detect
        if detect and detect.catalog and detect.catalog not in catalogue.records:
            line = registry.line(sp.id, "detect", "catalog")
            raise InputError.at(sp.path or f"registry/{sp.id}.yaml",
                                f"detect.catalog: unknown catalogue id {detect.catalog!r} "
                                "(`subreg scan --catalog` lists them)", line)
        targets = _targets(sp, catalogue)
        if detect and (detect.packages or detect.domains):
            if not detect.catalog:
                if sp.id not in links.services:
                    links.services[sp.id] = Service(name=sp.name, legal_names=(sp.entity,), website=sp.website,
                                                    id=sp.id)
                targets = sorted({*targets, sp.id})
            own.append(Service(name=sp.name, legal_names=(sp.entity,), domains=tuple(detect.domains),
                               packages={k: tuple(v) for k, v in detect.packages.items()},
                               id=detect.catalog or sp.id))
        for t in targets:
            links.entries.setdefault(t, []).append(sp)
    links.matcher = Matcher.build(own, then=catalogue.matcher)
    return links


def _targets(sp: Subprocessor, catalogue: Catalogue) -> list[str]:
    if sp.detect and sp.detect.catalog:
        return [sp.detect.catalog]
    host, path = _site(sp.website)
    if host:
        paths = catalogue.by_site.get(host, {})
        exact = paths.get(path, []) or paths.get("", [])
        if exact:
            return sorted(exact)
    named = catalogue.by_name.get(identity(sp.name), [])
    if named:
        return sorted(named)
    return sorted({*catalogue.by_legal.get(identity(sp.entity), []), *catalogue.by_legal.get(identity(sp.name), [])})


@dataclass
class ScanFinding:
    finding: fd.Finding
    service: str | None = None
    evidence: list[Evidence] = field(default_factory=list)
    stub: tuple[str, str] | None = None  # (path, text) of a proposed registry file

    def as_json(self) -> dict[str, object]:
        doc: dict[str, object] = {**self.finding.as_json(), "service": self.service,
                                  "evidence": [e.as_json() for e in self.evidence]}
        if self.stub:
            doc["stub"] = {"path": self.stub[0], "text": self.stub[1]}
        return doc


def _current(sp: Subprocessor, today: dt.date) -> bool:
    return sp.retired_on is None or sp.retired_on > today


def _where(evidence: list[Evidence]) -> str:
    first = evidence[0]
    more = len(evidence) - 1
    # the path as the finding shows it (escaped, never cut at a line break)
    return f"{first.kind} {first.text!r} at {escape.one_line(first.path)}:{first.line}" + (
        f" and {more} more" if more else "")


def judge(links: Links, evidence: list[Evidence], today: dt.date, whole_tree: bool,
          policy: Policy | None = None,
          in_effect_before: Callable[[Subprocessor], bool] | None = None) -> tuple[list[ScanFinding], int]:
    """The findings, and how many used services were found declared and in effect.
    `in_effect_before(entry)`: whether an earlier version of a pending entry was already
    in effect (activation.py); such an entry's pending notice is a change of a service in
    use, not its activation."""
    from subreg.scan import stub as stubs

    by_service: dict[str, list[Evidence]] = {}
    for e in sorted(evidence):
        by_service.setdefault(e.service, []).append(e)
    out: list[ScanFinding] = []
    passed = 0
    for sid, ev in sorted(by_service.items()):
        service = links.services[sid]
        current = [e for e in links.entries.get(sid, []) if _current(e, today)]
        if not current:
            path, text = stubs.render(service, today, policy, sid in links.catalogued)
            msg = (f"{service.name} ({sid}) is used by the code, but no current registry entry declares it: "
                   f"{_where(ev)}. Add {path} (proposed below), which needs a customer notice before activation")
            out.append(ScanFinding(fd.make(UNDECLARED, "error", sid, ev[0].path, ev[0].line, msg), sid, ev,
                                   (path, text)))
            continue
        live = [e for e in current if e.notice is None or e.notice.effective_on <= today]
        if live or (in_effect_before is not None and any(in_effect_before(e) for e in current)):
            passed += 1
            continue
        entry = min(current, key=lambda e: (e.notice.effective_on if e.notice else today, e.id))
        assert entry.notice is not None
        msg = (f"{service.name} is used by the code ({_where(ev)}), but registry entry {entry.id} takes effect "
               f"only on {entry.notice.effective_on}: the code may not process customers' data with it before "
               "their notice period has run")
        out.append(ScanFinding(fd.make(EARLY, "error", entry.id, ev[0].path, ev[0].line, msg), sid, ev))
    if whole_tree:
        out += _unused(links, by_service, today)
    return out, passed


def _unused(links: Links, by_service: dict[str, list[Evidence]], today: dt.date) -> list[ScanFinding]:
    out = []
    entries = {e.id: e for es in links.entries.values() for e in es}
    for sp_id, sp in sorted(entries.items()):
        if sp.tier != "core" or not _current(sp, today):
            continue
        mine = links.of(sp_id)
        if any(s in by_service for s in mine):
            continue
        names = ", ".join(mine)
        msg = (f"{sp.name} is a current core subprocessor, but the scanned code shows no sign of it "
               f"(no package, host, Terraform provider or variable of {names}): retire the entry (retired_on) "
               "if it is no longer used, or tell the scan how to see it (detect)")
        path = sp.path or f"registry/{sp_id}.yaml"
        out.append(ScanFinding(fd.make(UNUSED, "warning", sp_id, path, 1, msg), None, []))
    return out
