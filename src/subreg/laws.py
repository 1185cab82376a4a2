"""Transfer laws: the rule each residency region's data is under when it leaves (SPEC 6).

A region's `law` (policy, SPEC 3) names one of the files in `data/laws/`: its home
territory, its adequacy list with the legal source of each entry, the mechanisms it
recognises and the ones it never does, and the date the data was last checked. This
module reads and validates those files and holds the three kinds of rule they describe:

- `adequacy` (gdpr, uk-gdpr, swiss-fadp): a place outside home needs an adequacy
  finding or a mechanism of that law listed in the entry's `transfer_mechanisms`;
- `assessment` (quebec): a place outside home needs a `transfer_assessed_on` on or
  before the date the entry (or its change) takes effect;
- `none` (pipeda, ccpa, none): no transfer condition.

The places an entry's data goes are its own `locations` and those of every member of
its chain (`subprocessors`): a sub-processor's location is where our customers' data is.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import Field, model_validator

from subreg import model, yamlio
from subreg.errors import InputError
from subreg.model import Date, LangText, Law, Line, Location, Policy, Subprocessor, Url

LAWS_DIR = Path(__file__).with_name("data") / "laws"
LAW_IDS: tuple[str, ...] = get_args(Law)

Rule = Literal["adequacy", "assessment", "none"]


class Place(model._Strict):
    """A place a law finds adequate, and the act that says so."""

    place: Location
    source: Line
    url: Url | None = None


class Mechanism(model._Strict):
    """A transfer mechanism a law recognises, by the names registries write it with."""

    id: Line
    names: Annotated[list[Line], Field(min_length=1)]
    # safeguard: a contract or rules (Art. 46-47 kind), which a transfer assessment must
    # back; adequacy: an adequacy finding limited to certified recipients (the DPF kind).
    kind: Literal["safeguard", "adequacy"]
    places: list[Location] | None = None  # only for recipients there (None: anywhere)
    source: Line
    url: Url | None = None
    warning: Line | None = None  # relying on it alone is a warning, and why


class Invalid(model._Strict):
    """Mechanisms that are never valid: any name containing one of `contains`."""

    contains: Annotated[list[Line], Field(min_length=1)]
    reason: Line


class Home(model._Strict):
    places: Annotated[list[Location], Field(min_length=1)]
    source: Line


class LawData(model._Strict):
    """One file of data/laws/."""

    id: Law
    name: LangText
    short: LangText
    summary: LangText
    source: Line
    url: Url | None = None
    checked_on: Date
    rule: Rule
    transfer_assessment: bool = False  # SCC/BCR-kind transfers need a recent assessment
    home: Home | None = None
    adequacy_label: LangText | None = None
    adequacy: list[Place] = Field(default_factory=list)
    mechanisms: list[Mechanism] = Field(default_factory=list)
    invalid: list[Invalid] = Field(default_factory=list)
    assessment_label: LangText | None = None

    @model_validator(mode="after")
    def _consistent(self) -> LawData:
        if self.rule != "none" and self.home is None:
            raise ValueError(f"a law with rule {self.rule!r} needs its home places")
        if self.rule == "adequacy" and self.adequacy_label is None:
            raise ValueError("a law with rule 'adequacy' needs an adequacy_label")
        if self.rule == "assessment" and self.assessment_label is None:
            raise ValueError("a law with rule 'assessment' needs an assessment_label")
        if self.rule != "adequacy" and (self.adequacy or self.mechanisms or self.transfer_assessment):
            raise ValueError("only a law with rule 'adequacy' lists adequacy, mechanisms or "
                             "transfer_assessment")
        seen: dict[str, str] = {}
        for mech in self.mechanisms:
            for name in mech.names:
                if key(name) in seen and seen[key(name)] != mech.id:
                    raise ValueError(f"the name {name!r} belongs to both {seen[key(name)]} and {mech.id}")
                seen[key(name)] = mech.id
            if key(mech.id) not in {key(n) for n in mech.names}:
                raise ValueError(f"mechanism {mech.id}: its id must be one of its names")
        places = [p.place for p in self.adequacy]
        if len(set(places)) != len(places):
            raise ValueError("a place is listed twice in adequacy")
        return self

    def is_home(self, place: str) -> bool:
        return self.home is not None and within(place, self.home_places)

    def mechanism(self, name: str) -> Mechanism | None:
        """The mechanism `name` stands for under this law, if any."""
        return self._by_key.get(key(name))

    @cached_property
    def _by_key(self) -> dict[str, Mechanism]:
        # the first mechanism with a name of each key (the validator keeps them apart)
        out: dict[str, Mechanism] = {}
        for m in self.mechanisms:
            for n in m.names:
                out.setdefault(key(n), m)
        return out

    @cached_property
    def home_places(self) -> frozenset[str]:
        return frozenset(self.home.places) if self.home is not None else frozenset()


@lru_cache(maxsize=4096)
def key(text: str) -> str:
    """A mechanism's name compared ignoring case, spaces and punctuation."""
    return re.sub(r"[^a-z0-9]", "", text.casefold())


def within(place: str, places: list[str] | set[str] | frozenset[str]) -> bool:
    """`place` is one of `places`, or a subdivision of one (CA-QC is within CA)."""
    return place in places or ("-" in place and place.split("-", 1)[0] in places)


# -- the data files -------------------------------------------------------------------

def read(path: Path) -> LawData:
    """One law file, validated; a problem is `path:line:col: message` (exit 2)."""
    display = f"subreg/data/laws/{path.name}"
    data = model.parse(LawData, yamlio.loads(path.read_bytes(), display))
    if data.id != path.stem:
        raise InputError.at(display, f"the file of law {data.id!r} must be named {data.id}.yaml")
    return data


@cache
def law(law_id: str) -> LawData:
    """The data of one law (one of LAW_IDS)."""
    if law_id not in LAW_IDS:
        raise InputError(f"unknown transfer law {law_id!r}: one of {', '.join(LAW_IDS)}")
    return read(LAWS_DIR / f"{law_id}.yaml")


def all_laws() -> list[LawData]:
    return [law(i) for i in LAW_IDS]


def gdpr_adequate_default() -> list[str]:
    """The EEA and the places of the Commission's adequacy decisions in force."""
    data = law("gdpr")
    assert data.home is not None
    return [p for p in data.home.places if p != "EU"] + [p.place for p in data.adequacy]


@lru_cache(maxsize=1024)
def invalid_reason(mechanism: str) -> str | None:
    """Why `mechanism` is never valid (under any of the laws), or None."""
    k = key(mechanism)
    for data in all_laws():
        for bad in data.invalid:
            if any(key(part) in k for part in bad.contains):
                return bad.reason
    return None


# -- the rules --------------------------------------------------------------------------

@dataclass(frozen=True)
class Flow:
    """A place an entry's data goes: the entry's own location, or a chain member's."""

    place: str
    member: int | None = None  # index in `subprocessors`; None: the entry itself
    via: str | None = None  # the chain member's name

    def label(self) -> str:
        return self.place if self.via is None else f"{self.place} (chain: {self.via})"

    def field(self, sp: Subprocessor) -> tuple[str | int, ...]:
        """Where the finding about this flow points in the entry's file."""
        if self.member is not None:
            return ("subprocessors", self.member, "locations")
        return ("transfer_mechanisms",) if sp.transfer_mechanisms else ("locations",)


def flows(sp: Subprocessor) -> list[Flow]:
    """Every place the entry's data goes, its own locations first, then its chain's."""
    out = [Flow(p) for p in dict.fromkeys(sp.locations)]
    for i, member in enumerate(sp.subprocessors):
        out.extend(Flow(p, i, member.name) for p in dict.fromkeys(member.locations))
    return out


@dataclass
class Judgement:
    """What one region's law says of one entry's transfers."""

    region: str
    law: LawData
    home: list[Flow] = field(default_factory=list)
    adequate: list[Flow] = field(default_factory=list)
    covered: list[tuple[Flow, list[Mechanism]]] = field(default_factory=list)
    uncovered: list[Flow] = field(default_factory=list)
    assessed: list[Flow] = field(default_factory=list)  # quebec: outside, assessed in time
    deadline: dt.date | None = None  # quebec: the latest acceptable assessment date

    @property
    def sole(self) -> list[tuple[Flow, Mechanism]]:
        """Transfers that rely only on a mechanism with a warning (the DPF alone)."""
        return [(f, ms[0]) for f, ms in self.covered if all(m.warning for m in ms)]

    @property
    def safeguarded(self) -> list[tuple[Flow, list[Mechanism]]]:
        """Transfers under an SCC/BCR-kind safeguard to a place without adequacy."""
        return [(f, [m for m in ms if m.kind == "safeguard"]) for f, ms in self.covered
                if any(m.kind == "safeguard" for m in ms)]


def regions(sp: Subprocessor, policy: Policy) -> list[str]:
    """The residency regions whose data the entry may touch (default: all)."""
    return [r for r in (sp.regions if sp.regions is not None else policy.regions) if r in policy.regions]


def adequate_places(data: LawData, policy: Policy) -> set[str]:
    """Home and adequacy of a law; for gdpr, the policy's `adequate_countries`."""
    assert data.home is not None
    listed = policy.adequate_countries if data.id == "gdpr" else [p.place for p in data.adequacy]
    return {*data.home.places, *listed}


_ADEQUATE: dict[tuple[int, int], tuple[LawData, Policy, frozenset[str]]] = {}


def _adequate(data: LawData, policy: Policy) -> frozenset[str]:
    """`adequate_places`, once per law and policy of a run (judge asks for every entry)."""
    memo = _ADEQUATE.get((id(data), id(policy)))
    if memo is None or memo[0] is not data or memo[1] is not policy:
        if len(_ADEQUATE) > 64:
            _ADEQUATE.clear()
        memo = _ADEQUATE[(id(data), id(policy))] = (data, policy, frozenset(adequate_places(data, policy)))
    return memo[2]


def deadline(sp: Subprocessor, today: dt.date) -> dt.date:
    """quebec: the assessment is due by the day the entry takes effect, its notice's
    `effective_on` while that is ahead, else today (an entry already in use, or one
    without a notice, must have been assessed by now)."""
    if sp.notice is not None and sp.notice.effective_on > today:
        return sp.notice.effective_on
    return today


def judge(sp: Subprocessor, region: str, policy: Policy, today: dt.date) -> Judgement:
    """The transfers of `sp`'s data of `region`, under that region's law."""
    data = law(policy.law(region))
    out = Judgement(region, data)
    if data.rule == "none":
        return out
    if data.rule == "assessment":
        out.deadline = deadline(sp, today)
        done = sp.transfer_assessed_on is not None and sp.transfer_assessed_on <= out.deadline
        for f in flows(sp):
            if data.is_home(f.place):
                out.home.append(f)
            else:
                (out.assessed if done else out.uncovered).append(f)
        return out
    ok = _adequate(data, policy)
    listed: list[Mechanism] = []
    for name in sp.transfer_mechanisms:
        found = data.mechanism(name)
        if found is not None and all(found.id != m.id for m in listed):
            listed.append(found)
    for f in flows(sp):
        if data.is_home(f.place):
            out.home.append(f)
        elif within(f.place, ok):
            out.adequate.append(f)
        else:
            usable = [m for m in listed if m.places is None or within(f.place, m.places)]
            if usable:
                out.covered.append((f, usable))
            else:
                out.uncovered.append(f)
    return out


def accepted(data: LawData) -> str:
    """The mechanisms a law accepts, for messages: "SCC, BCR, DPF (for US)"."""
    return ", ".join(m.id + (f" (for {', '.join(m.places)})" if m.places else "") for m in data.mechanisms)

