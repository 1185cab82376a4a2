"""What the public outputs may say of a subprocessor: SPEC 2's public fields, nothing else.

The page, the Markdown lists, `subprocessors.json` and the feed (section 8) are rendered
from `Public` views, never from the `Subprocessor` itself: a field that is not in the
view cannot reach a public output, whatever a template (subreg's or an override) asks
for. The view's fields are the allow-list (`PUBLIC_FIELDS`); the nested models keep
only `NESTED` of theirs: certification names (in force at the day of publishing: the
page must not claim an expired one), the notice's dates, and the chain's names and
locations (chain.py).

Internal, never published: contract dates (`dpa_signed_on`), security answers,
due diligence, assessments (`transfer_assessed_on`), `detect`, certification expiry
dates and the chain members' legal names, addresses, contacts and purposes; waivers,
objections and the ledger are not part of an entry at all.

`personal_data` is public although SPEC 2's list does not name it: SPEC 8 publishes it
(the infrastructure table marks the entries with personal data; the per-region lists
are the entries with personal data), and it is the fact that decides whether customers
are told of a change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from subreg.model import Notice, Subprocessor, Tier


@dataclass(frozen=True)
class Member:
    """A chain member as customers see it."""

    name: str
    locations: tuple[str, ...]


@dataclass(frozen=True)
class Public:
    """A subprocessor as customers see it: the allow-list of the public outputs."""

    id: str
    name: str
    legal_name: str | None
    address: str | None
    contact: str | None
    website: str | None
    subprocessors_url: str | None
    tier: Tier
    personal_data: bool
    opt_in: bool
    locations: tuple[str, ...]
    regions: tuple[str, ...] | None
    purpose: dict[str, str]
    data_processed: dict[str, str]
    certifications: tuple[str, ...]  # names, of those in force
    transfer_mechanisms: tuple[str, ...]
    notice: Notice | None
    replaces: str | None
    retired_on: dt.date | None
    subprocessors: tuple[Member, ...]

    @property
    def entity(self) -> str:
        """The contracting legal entity (the integrations table's "Provider")."""
        return self.legal_name or self.name

    def as_json(self) -> dict[str, Any]:
        """The view as JSON values, in field order, without `id`."""
        out: dict[str, Any] = {}
        for name in PUBLIC_FIELDS[1:]:
            out[name] = _json(name, getattr(self, name))
        return out


def _json(name: str, value: Any) -> Any:
    if name == "certifications":
        return [{"name": c} for c in value]
    if name == "subprocessors":
        return [{"name": m.name, "locations": list(m.locations)} for m in value]
    if isinstance(value, Notice):
        return {"announced_on": value.announced_on.isoformat(), "effective_on": value.effective_on.isoformat()}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


PUBLIC_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Public))
# The fields of the nested models that are public (every other one is internal).
NESTED: dict[str, tuple[str, ...]] = {
    "certifications": ("name",),
    "notice": ("announced_on", "effective_on"),
    "subprocessors": ("name", "locations"),
}


def view(sp: Subprocessor, today: dt.date) -> Public:
    """The public view of an entry at `today`."""
    return Public(
        id=sp.id,
        name=sp.name,
        legal_name=sp.legal_name,
        address=sp.address,
        contact=sp.contact,
        website=sp.website,
        subprocessors_url=sp.subprocessors_url,
        tier=sp.tier,
        personal_data=sp.personal_data,
        opt_in=bool(sp.opt_in),
        locations=tuple(sp.locations),
        regions=tuple(sp.regions) if sp.regions is not None else None,
        purpose=dict(sp.purpose),
        data_processed=dict(sp.data_processed),
        certifications=tuple(c.name for c in sp.certifications if c.expires_on is None or c.expires_on >= today),
        transfer_mechanisms=tuple(sp.transfer_mechanisms),
        notice=sp.notice,
        replaces=sp.replaces,
        retired_on=sp.retired_on,
        subprocessors=tuple(Member(m.name, tuple(m.locations)) for m in sp.subprocessors),
    )


def changes(old: Public, new: Public) -> dict[str, Any]:
    """The public fields whose value differs from `old` to `new` (the notice aside), with
    their new values as JSON, in field order."""
    a, b = old.as_json(), new.as_json()
    return {k: v for k, v in b.items() if k != "notice" and a[k] != v}
