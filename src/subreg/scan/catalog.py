"""The catalogue of third-party services: one YAML record per service in `services/`,
its schema (`Service`), and the `Matcher` that recognises a service from a package
name, a URL host, a Terraform provider or an environment variable.

Each record was written from the vendor's own documentation (SDK install pages, API
references, Terraform registry pages): names and legal entities, website, API hosts,
the vendor's packages per ecosystem, Terraform providers and environment variables.
Hosts are API and asset hosts, not marketing sites, so that a link to a vendor's blog
is not taken for use of its service. `tests/test_scan_catalog.py` validates every
record (schema, well-formed domains, no package, host, provider or variable claimed by
two services, every service of the seed list present).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from subreg.errors import SubregError
from subreg.model import ID_PATTERN
from subreg.scan import names
from subreg.scan.names import Ecosystem

FOLDER = Path(__file__).with_name("services")

HOST = re.compile(r"(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
ENV = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_?")
PROVIDER = re.compile(r"[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9-]*")

Category = Literal[
    "cloud", "hosting", "cdn", "database", "storage", "email", "sms", "messaging", "video",
    "payments", "ai", "analytics", "feature-flags", "monitoring", "support", "crm", "marketing",
    "enrichment", "scheduling", "esign", "auth", "media", "search", "collaboration", "devtools",
    "automation", "maps", "security", "identity", "shipping", "cms",
]


def _host(value: str) -> str:
    if not HOST.fullmatch(value):
        raise ValueError(f"{value!r} is not a domain name (lowercase labels, a dot, a top-level domain)")
    return value


def _env(value: str) -> str:
    if not ENV.fullmatch(value) or len(value) < 3:
        raise ValueError(f"{value!r} is not an environment variable name or prefix (A-Z, 0-9, _)")
    return value


def _https(value: str) -> str:
    if not re.fullmatch(r"https://[a-z0-9.-]+(?:/[\w./%-]*)?", value):
        raise ValueError(f"{value!r} is not an https:// link")
    return value


def _package(value: str) -> str:
    if not value or value != value.strip() or " " in value:
        raise ValueError(f"{value!r} is not a package name")
    if names.is_pattern(value) and not names.valid_pattern(value):
        raise ValueError(f"{value!r}: a pattern ends in a separator and '*'")
    return value


def _provider(value: str) -> str:
    if not PROVIDER.fullmatch(value):
        raise ValueError(f"{value!r} is not a Terraform provider source (namespace/type, lowercase)")
    return value


def _text(value: str) -> str:
    if not value.strip() or any(ord(c) < 32 for c in value):
        raise ValueError("must be one line of text")
    return value


Host = Annotated[str, AfterValidator(_host)]
Text = Annotated[str, AfterValidator(_text)]


class Service(BaseModel):
    """One catalogue record (`services/<id>.yaml`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Text
    legal_names: Annotated[list[Text], Field(min_length=1)]  # the first is the usual contracting entity
    aliases: list[Text] = []
    website: Annotated[str, AfterValidator(_https)] | None = None  # every catalogue record has one
    subprocessors_url: Annotated[str, AfterValidator(_https)] | None = None
    category: Category
    domains: list[Host] = []  # matched with their subdomains
    hosts: list[Host] = []  # matched exactly (a bare apex that also serves marketing pages)
    packages: dict[Ecosystem, list[Annotated[str, AfterValidator(_package)]]] = {}
    terraform: list[Annotated[str, AfterValidator(_provider)]] = []
    env: list[Annotated[str, AfterValidator(_env)]] = []  # a trailing `_` is a prefix
    id: str = Field(default="", exclude=True)

    @property
    def legal_name(self) -> str:
        return self.legal_names[0]


def parse(service_id: str, raw: bytes) -> Service:
    if not ID_PATTERN.fullmatch(service_id):
        raise SubregError(f"catalogue: {service_id!r} is not an id")
    data = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loader
    try:
        return Service.model_validate({**data, "id": service_id})
    except ValidationError as exc:
        raise SubregError(f"catalogue record {service_id}: {exc}") from None


@cache
def load() -> tuple[Service, ...]:
    """Every record of the shipped catalogue, by id. The records are built without
    validation here: tests/test_scan_catalog.py validates every one of them with
    parse(), and they are part of subreg, not input."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out = []
    for path in sorted(FOLDER.glob("*.yaml")):
        data = yaml.load(path.read_bytes(), Loader=loader)  # noqa: S506 - safe loader
        out.append(Service.model_construct(**data, id=path.stem))
    return tuple(out)


@dataclass
class Matcher:
    """Maps evidence to a service id. Services added first win a name they share with
    a later one, so that a registry entry's own `detect` takes precedence over the
    catalogue."""

    exact: dict[str, dict[str, str]] = field(default_factory=dict)  # eco -> name -> id
    prefixes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # eco -> (prefix, id)
    domains: dict[str, str] = field(default_factory=dict)
    hosts: dict[str, str] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)
    env_exact: dict[str, str] = field(default_factory=dict)
    env_prefixes: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def build(cls, services: Iterable[Service]) -> Matcher:
        m = cls()
        for s in services:
            m.add(s.id, s.packages, s.domains, s.hosts, s.terraform, s.env)
        for eco in m.prefixes:
            m.prefixes[eco].sort(key=lambda p: -len(p[0]))
        m.env_prefixes.sort(key=lambda p: -len(p[0]))
        return m

    def add(self, sid: str, packages: dict[Ecosystem, list[str]], domains: Iterable[str] = (),
            hosts: Iterable[str] = (), terraform: Iterable[str] = (), env: Iterable[str] = ()) -> None:
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

    def provider(self, source: str) -> str | None:
        return self.providers.get(source.lower())

    def variable(self, name: str) -> str | None:
        if name in self.env_exact:
            return self.env_exact[name]
        for prefix, sid in self.env_prefixes:
            if name.startswith(prefix) and len(name) > len(prefix):
                return sid
        return None

    def needles(self) -> list[str]:
        """Fixed strings whose presence makes a file worth reading for hosts."""
        return sorted(set(self.domains) | set(self.hosts))
