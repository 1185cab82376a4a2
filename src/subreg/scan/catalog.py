"""The catalogue of third-party services: one YAML record per service in `services/`,
its schema, and the `Matcher` that recognises a service from a package name, a URL
(host, or host and path), a Terraform provider or an environment variable.

Each record was written from the vendor's own documentation (SDK install pages, API
references, Terraform registry pages): names and legal entities, website, API hosts,
the vendor's packages per ecosystem, Terraform providers and environment variables.
Hosts are API and asset hosts, not marketing sites, so that a link to a vendor's blog
is not taken for use of its service; `urls` name a service that shares its host with
others by the path its API lives under (`www.googleapis.com/drive`).

The records are validated by `parse()` (a pydantic schema, imported only there) in
`tests/test_scan_catalog.py`, and compiled into `services/index.json` (`python -m
subreg.scan.catalog`), the one file a scan reads: the records, and the tables a scan
looks them up by (the Matcher's, and compare.Catalogue's by website, name and legal
entity), derived once there rather than on every scan. The test fails when the index
and the records differ. A scan never builds the schema, and makes a Service only of a
record it reports.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from subreg.errors import SubregError
from subreg.scan import names

FOLDER = Path(__file__).with_name("services")
INDEX = FOLDER / "index.json"

HOST = re.compile(r"(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
URL_PREFIX = re.compile(r"(?P<host>[^/]+)(?P<path>(?:/[a-z0-9_.~-]+)+)")
ENV = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_?")
PROVIDER = re.compile(r"[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9-]*")

CATEGORIES = (
    "cloud", "hosting", "cdn", "database", "storage", "email", "sms", "messaging", "video",
    "payments", "ai", "analytics", "feature-flags", "monitoring", "support", "crm", "marketing",
    "enrichment", "scheduling", "esign", "auth", "media", "search", "collaboration", "devtools",
    "automation", "maps", "security", "identity", "shipping", "cms", "translation", "banking", "scraping",
    "weather", "finance",
)
_LISTS = ("legal_names", "aliases", "domains", "hosts", "urls", "terraform", "env")


@dataclass(frozen=True)
class Service:
    """One catalogue record (`services/<id>.yaml`), or a service a registry entry's
    `detect` describes."""

    name: str
    legal_names: tuple[str, ...]  # the first is the usual contracting entity
    category: str = "cloud"
    aliases: tuple[str, ...] = ()
    website: str | None = None  # every catalogue record has one
    subprocessors_url: str | None = None
    domains: tuple[str, ...] = ()  # matched with their subdomains
    hosts: tuple[str, ...] = ()  # matched exactly (a bare apex that also serves marketing pages)
    urls: tuple[str, ...] = ()  # host/path: the host exactly, then the path or below it
    packages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    terraform: tuple[str, ...] = ()
    env: tuple[str, ...] = ()  # a trailing `_` is a prefix
    id: str = ""

    @property
    def legal_name(self) -> str:
        return self.legal_names[0]

    @classmethod
    def of(cls, sid: str, data: Mapping[str, Any]) -> Service:
        values: dict[str, Any] = {k: tuple(v) if k in _LISTS else v for k, v in data.items()}
        values["packages"] = {eco: tuple(p) for eco, p in data.get("packages", {}).items()}
        return cls(**values, id=sid)

    def as_json(self) -> dict[str, Any]:
        """The record's fields, defaults left out (as in the YAML record)."""
        out: dict[str, Any] = {"name": self.name, "legal_names": list(self.legal_names)}
        for key in ("aliases", "website", "subprocessors_url", "category", "domains", "hosts", "urls",
                    "packages", "terraform", "env"):
            value = getattr(self, key)
            if key == "packages":
                value = {eco: list(p) for eco, p in value.items()}
            elif isinstance(value, tuple):
                value = list(value)
            if value:
                out[key] = value
        return out


def _schema() -> Any:
    """The pydantic model of a record: built only to validate records (tests, index)."""
    from typing import Annotated, Literal

    from pydantic import AfterValidator, BaseModel, ConfigDict, Field

    from subreg.scan.names import Ecosystem

    def check(pattern: re.Pattern[str], what: str) -> AfterValidator:
        def inner(value: str) -> str:
            if not pattern.fullmatch(value):
                raise ValueError(f"{value!r} is not {what}")
            return value
        return AfterValidator(inner)

    def v_env(value: str) -> str:
        if not ENV.fullmatch(value) or len(value) < 3:
            raise ValueError(f"{value!r} is not an environment variable name or prefix (A-Z, 0-9, _)")
        return value

    def v_url(value: str) -> str:
        m = URL_PREFIX.fullmatch(value)
        if not m or not HOST.fullmatch(m.group("host")):
            raise ValueError(f"{value!r} is not a host and a path (api.example.com/v1, lowercase)")
        return value

    def v_package(value: str) -> str:
        if not value or value != value.strip() or " " in value:
            raise ValueError(f"{value!r} is not a package name")
        if names.is_pattern(value) and not names.valid_pattern(value):
            raise ValueError(f"{value!r}: a pattern ends in a separator and '*'")
        return value

    def v_text(value: str) -> str:
        if not value.strip() or any(ord(c) < 32 for c in value):
            raise ValueError("must be one line of text")
        depth = 0
        for c in value:  # a list split at its commas leaves "Name (first" behind
            depth += (c == "(") - (c == ")")
            if depth < 0:
                break
        if depth:
            raise ValueError(f"{value!r}: unbalanced parentheses")
        return value

    t_host = Annotated[str, check(HOST, "a domain name (lowercase labels, a dot, a top-level domain)")]
    t_https = Annotated[str, check(re.compile(r"https://[a-z0-9.-]+(?:/[\w./%-]*)?"), "an https:// link")]
    t_line = Annotated[str, AfterValidator(v_text)]

    class Record(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)

        name: t_line
        legal_names: Annotated[list[t_line], Field(min_length=1)]
        aliases: list[t_line] = []
        website: t_https
        subprocessors_url: t_https | None = None
        category: Literal[CATEGORIES]  # type: ignore[valid-type]
        domains: list[t_host] = []
        hosts: list[t_host] = []
        urls: list[Annotated[str, AfterValidator(v_url)]] = []
        packages: dict[Ecosystem, list[Annotated[str, AfterValidator(v_package)]]] = {}
        terraform: list[Annotated[str, check(PROVIDER, "a Terraform provider source (namespace/type, lowercase)")]] = []
        env: list[Annotated[str, AfterValidator(v_env)]] = []

    return Record


def parse(service_id: str, raw: bytes) -> Service:
    """A record, validated against the schema."""
    from pydantic import ValidationError

    from subreg import yamlio
    from subreg.model import ID_PATTERN

    if not ID_PATTERN.fullmatch(service_id):
        raise SubregError(f"catalogue: {service_id!r} is not an id")
    # strictly, as the registry is read: a key written twice (a second `domains:` that
    # silently replaced the first) is an error, not the last one winning
    data = yamlio.loads(raw, f"services/{service_id}.yaml").data
    try:
        record = _schema().model_validate(data)
    except ValidationError as exc:
        raise SubregError(f"catalogue record {service_id}: {exc}") from None
    return Service.of(service_id, record.model_dump(exclude_defaults=True))


def compile_records() -> dict[str, dict[str, Any]]:
    """Every record of services/*.yaml, validated, as the index holds them."""
    return {p.stem: parse(p.stem, p.read_bytes()).as_json() for p in sorted(FOLDER.glob("*.yaml"))}


def compile_index() -> dict[str, Any]:
    """The index: the records, and what a scan looks them up by, derived from them once
    here rather than on every scan (compare.Catalogue)."""
    from subreg.scan.compare import Catalogue

    records = compile_records()
    return {"records": records, "lookup": Catalogue.of(_services(records)).lookup_json()}


def _services(records: Mapping[str, Mapping[str, Any]]) -> tuple[Service, ...]:
    return tuple(Service.of(sid, rec) for sid, rec in sorted(records.items()))


@cache
def index() -> dict[str, Any]:
    """The compiled index (services/index.json), read once."""
    data: dict[str, Any] = json.loads(INDEX.read_bytes())
    return data


def matcher() -> Matcher:
    """The catalogue's Matcher, from the compiled index."""
    return Matcher.of_json(index()["lookup"]["matcher"])


@cache
def load() -> tuple[Service, ...]:
    """Every record of the shipped catalogue, from the compiled index, by id."""
    return _services(index()["records"])


@dataclass
class Matcher:
    """Maps evidence to a service id. Services added first win a name they share with
    a later one, so that a registry entry's own `detect` takes precedence over the
    catalogue."""

    exact: dict[str, dict[str, str]] = field(default_factory=dict)  # eco -> name -> id
    prefixes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # eco -> (prefix, id)
    domains: dict[str, str] = field(default_factory=dict)
    hosts: dict[str, str] = field(default_factory=dict)
    urls: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # host -> (path, id), longest first
    providers: dict[str, str] = field(default_factory=dict)
    env_exact: dict[str, str] = field(default_factory=dict)
    env_prefixes: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def build(cls, services: Iterable[Service], then: Matcher | None = None) -> Matcher:
        """The services' matcher; `then`: a matcher built before (the catalogue's, from
        its index) whose services come after these, as if added after them."""
        m = cls()
        for s in services:
            m.add(s.id, s.packages, s.domains, s.hosts, s.terraform, s.env, s.urls)
        if then is not None:
            m.exact = {eco: {**then.exact.get(eco, {}), **m.exact.get(eco, {})} for eco in {*then.exact, *m.exact}}
            m.domains, m.hosts = {**then.domains, **m.domains}, {**then.hosts, **m.hosts}
            m.providers, m.env_exact = {**then.providers, **m.providers}, {**then.env_exact, **m.env_exact}
            m.prefixes = {eco: m.prefixes.get(eco, []) + then.prefixes.get(eco, []) for eco in {*then.prefixes,
                                                                                                 *m.prefixes}}
            m.urls = {host: m.urls.get(host, []) + then.urls.get(host, []) for host in {*then.urls, *m.urls}}
            m.env_prefixes = m.env_prefixes + then.env_prefixes
        for eco in m.prefixes:  # longest first; a stable sort keeps the earlier service first among equals
            m.prefixes[eco].sort(key=lambda p: -len(p[0]))
        for host in m.urls:
            m.urls[host].sort(key=lambda p: -len(p[0]))
        m.env_prefixes.sort(key=lambda p: -len(p[0]))
        return m

    def as_json(self) -> dict[str, Any]:
        return {"exact": self.exact, "prefixes": self.prefixes, "domains": self.domains, "hosts": self.hosts,
                "urls": self.urls, "providers": self.providers, "env_exact": self.env_exact,
                "env_prefixes": self.env_prefixes}

    @classmethod
    def of_json(cls, data: Mapping[str, Any]) -> Matcher:
        def pairs(items: Iterable[list[str]]) -> list[tuple[str, str]]:
            return [(a, b) for a, b in items]

        return cls(exact=data["exact"], prefixes={eco: pairs(p) for eco, p in data["prefixes"].items()},
                   domains=data["domains"], hosts=data["hosts"], urls={h: pairs(u) for h, u in data["urls"].items()},
                   providers=data["providers"], env_exact=data["env_exact"], env_prefixes=pairs(data["env_prefixes"]))

    def add(self, sid: str, packages: Mapping[str, Iterable[str]], domains: Iterable[str] = (),
            hosts: Iterable[str] = (), terraform: Iterable[str] = (), env: Iterable[str] = (),
            urls: Iterable[str] = ()) -> None:
        for eco, pkgs in packages.items():
            for raw in pkgs:
                name = names.normalise(eco, raw)
                if names.is_pattern(name):
                    self.prefixes.setdefault(eco, []).append((name[:-1], sid))
                else:
                    self.exact.setdefault(eco, {}).setdefault(name, sid)
        for d in domains:
            self.domains.setdefault(d.lower(), sid)
        for h in hosts:
            self.hosts.setdefault(h.lower(), sid)
        for u in urls:
            host, _, path = u.lower().partition("/")
            self.urls.setdefault(host, []).append(("/" + path.rstrip("/"), sid))
        for t in terraform:
            self.providers.setdefault(t.lower(), sid)
        for e in env:
            if e.endswith("_"):
                self.env_prefixes.append((e, sid))
            else:
                self.env_exact.setdefault(e, sid)

    def package(self, eco: str, raw: str) -> str | None:
        name = names.normalise(eco, raw)
        table = self.exact.get(eco, {})
        if name in table:
            return table[name]
        if eco == "go":
            parts = name.split("/")
            for i in range(len(parts) - 1, 1, -1):
                hit = table.get("/".join(parts[:i]))
                if hit:
                    return hit
        for prefix, sid in self.prefixes.get(eco, ()):
            if name.startswith(prefix) and len(name) > len(prefix):
                return sid
        return None

    def host(self, host: str) -> str | None:
        host = host.lower().rstrip(".")
        if host in self.hosts:
            return self.hosts[host]
        labels = host.split(".")
        for i in range(len(labels) - 1):
            hit = self.domains.get(".".join(labels[i:]))
            if hit:
                return hit
        return None

    def candidate(self, host: str) -> bool:
        """Whether a URL on this host may name a service (by its host, or by its path)."""
        return host.lower().rstrip(".") in self.urls or self.host(host) is not None

    def url(self, host: str, path: str) -> str | None:
        """The service of a URL: by host and path (`urls`) first, then by host. The
        path matches at a segment boundary: `/drive` covers `/drive/v3/files`, not
        `/drivers`."""
        host = host.lower().rstrip(".")
        path = path.lower()
        for prefix, sid in self.urls.get(host, ()):
            if path == prefix or path.startswith(prefix + "/"):
                return sid
        return self.host(host)

    def provider(self, source: str) -> str | None:
        return self.providers.get(source.lower())

    def variable(self, name: str) -> str | None:
        if name in self.env_exact:
            return self.env_exact[name]
        for prefix, sid in self.env_prefixes:
            if name.startswith(prefix) and len(name) > len(prefix):
                return sid
        return None


def main(argv: list[str] | None = None) -> int:
    """`python -m subreg.scan.catalog [--check]`: (re)write services/index.json from the
    records, or (--check) exit 1 when it is out of date; a record that is not valid is
    an error at its file (exit 2), and the index is left as it was."""
    try:
        compiled = compile_index()
    except SubregError as exc:
        print(exc, file=sys.stderr)
        return 2
    text = json.dumps(compiled, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if argv and argv[0] == "--check":
        return 0 if INDEX.exists() and INDEX.read_text(encoding="utf-8") == text else 1
    INDEX.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
