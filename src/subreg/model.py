"""The pydantic models of what subreg reads: a registry entry, the policy, the waivers.

Every scalar arrives from yamlio as text; these types decide what the text means, and
refuse what a careful reader would not guess at (`yes` for true, `01/10/2024` for a date).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from subreg import yamlio
from subreg.errors import MAX_PER_FILE, InputError, Problem
from subreg.escape import UNSAFE
from subreg.options import MAX_YEAR, MIN_YEAR

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Invisible code points that a name could hide, beyond the format characters (Cf):
# the combining grapheme joiner, Hangul and Khmer fillers, Mongolian variation
# selectors, the Braille blank and the variation selectors.
_INVISIBLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\uffa0"
                        "\ufe00-\ufe0f\U000e0100-\U000e01ef]")
# RFC 5322 dot-atom: what the address is, with nothing a mail parser would drop or
# reinterpret (comments in parentheses, quoted strings, routes).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{{2,}}")
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LANG = re.compile(r"[a-z]{2,3}")


def _date(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value
    if type(value) is str:
        return _date_text(value)
    raise ValueError(f"{value!r} is not a date: write it as YYYY-MM-DD")


# The validators of text are pure functions of the text, called for every value of every
# entry of every version in a history, where most texts recur from version to version:
# each distinct text is checked once (a failure is not kept: it raises each time).
_memo = lru_cache(maxsize=1 << 16)


@_memo
def _date_text(value: str) -> dt.date:
    if not _DATE.fullmatch(value):
        raise ValueError(f"{value!r} is not a date: write it as YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a real date (YYYY-MM-DD)") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"{value!r} is out of range: dates are years {MIN_YEAR}-{MAX_YEAR}")
    return day


def _bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"{value!r} is not a boolean: write true or false")


def _int(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(r"-?\d{1,9}", value):
        raise ValueError(f"{value!r} is not a whole number")
    return value


def _code_point(ch: str) -> str:
    return f"U+{ord(ch):04X}"


@_memo
def _line(value: str) -> str:
    """SPEC 2: text fields are one line, with no control, bidirectional-override or
    non-character code points (XML 1.0 forbids some of them: feed.xml and junit.xml
    must always parse)."""
    # printable ASCII holds none of them (ASCII's unsafe code points are its controls)
    bad = None if value.isascii() and value.isprintable() else UNSAFE.search(value)
    if bad:
        raise ValueError(f"code point {_code_point(bad.group())} is not allowed: text fields are one line, "
                         "without control, bidirectional-override or non-character code points")
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be empty")
    return stripped


_text = _line


@_memo
def _name(value: str) -> str:
    """A name readers compare with others: no invisible or unusual-space code points."""
    value = _line(value)
    if value.isascii():  # no ASCII code point is invisible, a format character or an unusual space
        return value
    for ch in value:
        if unicodedata.category(ch) in ("Cf", "Co", "Cn", "Cs") or _INVISIBLE.match(ch) \
                or (ch != " " and unicodedata.category(ch) == "Zs"):
            raise ValueError(f"code point {_code_point(ch)} ({unicodedata.name(ch, 'unassigned')}) is not "
                             "allowed in a name: it is invisible, a format character or an unusual space")
    return value


@_memo
def _https(value: str) -> str:
    value = _line(value)
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or " " in value:
        raise ValueError(f"{value!r} is not an https:// link (only https links are allowed)")
    return value


@_memo
def _contact(value: str) -> str:
    value = _line(value)
    if value.startswith("https://"):
        return _https(value)
    if _EMAIL.fullmatch(value):
        return value
    raise ValueError(f"{value!r} is neither an e-mail address nor an https:// link")


@_memo
def _id(value: str) -> str:
    if not ID_PATTERN.fullmatch(value):
        raise ValueError(f"{value!r} is not an id (lowercase letters, digits and dashes)")
    return value


COUNTRIES = Path(__file__).with_name("data") / "countries.txt"


@cache
def countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes that Babel can name: Babel's list as of the Babel this
    package was built with, kept in data/countries.txt (a test compares it with Babel's,
    see babel_countries), since loading Babel's locale data costs every command ~10 ms."""
    return frozenset(COUNTRIES.read_text(encoding="ascii").split())


def babel_countries() -> frozenset[str]:
    """The countries of Babel's English locale data (what data/countries.txt holds)."""
    from babel import Locale

    not_countries = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}
    codes = dict(Locale("en").territories)
    return frozenset(code for code in codes if len(code) == 2 and code.isalpha()) - not_countries


# ISO 3166-2 subdivisions that a transfer law tells apart from their country: Québec's
# P-39.1 s.17 governs communication "outside Québec", which `CA` (all of Canada) cannot
# express. Anywhere else, a subdivision counts as its country (CA-QC is in CA).
SUBDIVISIONS = frozenset({"CA-QC"})


def _location(value: str) -> str:
    if value in ("EU", "Global") or value in countries() or value in SUBDIVISIONS:
        return value
    hint = ""
    if value.upper() in countries() or value.upper() == "EU" or value.upper() in SUBDIVISIONS:
        hint = f" (did you mean {value.upper()!r}?)"
    elif value.lower() == "global":
        hint = " (did you mean 'Global'?)"
    raise ValueError(
        f"{value!r} is not a location: use an ISO 3166-1 alpha-2 code, EU, Global or CA-QC "
        f"(Québec){hint}"
    )


@_memo
def _lang(value: str) -> str:
    if not _LANG.fullmatch(value):
        raise ValueError(f"{value!r} is not a language code such as en or fr")
    return value


Date = Annotated[dt.date, BeforeValidator(_date)]
Bool = Annotated[bool, BeforeValidator(_bool)]
Int = Annotated[int, BeforeValidator(_int)]
Line = Annotated[str, AfterValidator(_line)]
Name = Annotated[str, AfterValidator(_name)]
Text = Annotated[str, AfterValidator(_text)]
Url = Annotated[str, AfterValidator(_https)]
Contact = Annotated[str, AfterValidator(_contact)]
Id = Annotated[str, AfterValidator(_id)]
Location = Annotated[str, AfterValidator(_location)]
Lang = Annotated[str, AfterValidator(_lang)]
LangText = dict[Lang, Text]
Tier = Literal["core", "infrastructure", "integration"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Certification(_Strict):
    name: Line
    expires_on: Date | None = None


class Security(_Strict):
    encryption_at_rest: Bool
    encryption_in_transit: Bool
    breach_notice_hours: Annotated[Int, Field(ge=0)]
    audit_rights: Bool


class DueDiligence(_Strict):
    assessed_on: Date
    risk: Literal["low", "medium", "high"]
    frameworks: list[Line] = []


class Notice(_Strict):
    announced_on: Date
    effective_on: Date


class ChainMember(_Strict):
    """One of a subprocessor's own sub-processors (its chain, EDPB Opinion 22/2024).

    `purpose` is a language map like the entry's: the chain is part of what customers
    are told (Art. 28(2)-(4)), and `translations` checks it in every policy language.
    Public outputs carry only `name` and `locations`.
    """

    name: Name
    legal_name: Name | None = None
    address: Line | None = None
    contact: Contact | None = None
    locations: Annotated[list[Location], Field(min_length=1)]
    purpose: LangText | None = None

    @property
    def entity(self) -> str:
        """The legal entity: what identifies a chain member across versions."""
        return self.legal_name or self.name


_HOSTNAME = re.compile(r"(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def _hostname(value: str) -> str:
    value = _line(value)
    if not _HOSTNAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a domain name such as api.example.com (lowercase, no scheme)")
    return value


Hostname = Annotated[str, AfterValidator(_hostname)]
Ecosystem = Literal["pypi", "npm", "go", "rubygems", "maven", "nuget", "cargo", "composer"]


class Detect(_Strict):
    """How `subreg scan` recognises an entry in product code (SPEC 10), beside the catalogue."""

    catalog: Id | None = None
    packages: dict[Ecosystem, list[Line]] = {}
    domains: list[Hostname] = []


class ScanPolicy(_Strict):
    """`scan:` in the policy: hosts of the company itself, never evidence of a third party."""

    own_domains: list[Hostname] = []


class Subprocessor(_Strict):
    """One registry entry (`registry/<id>.yaml`)."""

    name: Name
    legal_name: Name | None = None
    address: Line | None = None
    contact: Contact | None = None
    subprocessors_url: Url | None = None
    tier: Tier
    personal_data: Bool
    opt_in: Bool | None = None
    locations: Annotated[list[Location], Field(min_length=1)]
    regions: Annotated[list[Annotated[str, AfterValidator(_id)]], Field(min_length=1)] | None = None
    purpose: LangText
    data_processed: LangText
    certifications: list[Certification] = []
    transfer_mechanisms: list[Line] = []
    dpa_signed_on: Date | None = None
    security: Security | None = None
    due_diligence: DueDiligence | None = None
    notice: Notice | None = None
    replaces: Id | None = None
    website: Url | None = None
    retired_on: Date | None = None
    transfer_assessed_on: Date | None = None
    subprocessors: list[ChainMember] = []
    detect: Detect | None = None
    # Set by the registry, not read from YAML.
    id: SkipJsonSchema[str] = Field(default="", exclude=True)
    path: SkipJsonSchema[str] = Field(default="", exclude=True)

    @field_validator("subprocessors")
    @classmethod
    def _chain_unique(cls, members: list[ChainMember]) -> list[ChainMember]:
        seen: set[str] = set()
        for m in members:
            if identity(m.entity) in seen:
                raise ValueError(f"{m.entity!r} is listed twice in the chain (same legal entity): "
                                 "list each sub-processor once, with all its locations")
            seen.add(identity(m.entity))
        return members

    @field_validator("opt_in")
    @classmethod
    def _opt_in_only_for_integrations(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        # A core or infrastructure subprocessor is used for every customer: letting it
        # be "opt-in" would exempt it from notices (SPEC 2).
        if value and info.data.get("tier") not in (None, "integration"):
            raise ValueError(f"true is only for tier: integration; a {info.data['tier']} "
                             "subprocessor serves every customer and cannot be opted out of")
        return value

    @model_validator(mode="after")
    def _defaults(self) -> Subprocessor:
        if self.opt_in is None:
            object.__setattr__(self, "opt_in", self.tier == "integration")
        return self

    @property
    def entity(self) -> str:
        """The contracting legal entity, the identity used for renames and duplicates."""
        return self.legal_name or self.name

    def needs_notice(self) -> bool:
        """SPEC 4: only entries with personal data that are not opt-in need notices."""
        return self.personal_data and not self.opt_in


_NOT_ALNUM = re.compile(r"[\W_]+")  # \W is not alphanumeric (str.isalnum) and not `_`


@_memo
def identity(name: str) -> str:
    """A name compared ignoring case, spaces and punctuation: its casefolded letters
    and digits (those of str.isalnum)."""
    return _NOT_ALNUM.sub("", name.casefold())


# The transfer laws a residency region's data can be under (SPEC 3 and 6; the rules and
# their data are in subreg.laws and data/laws/).
Law = Literal["gdpr", "uk-gdpr", "swiss-fadp", "quebec", "pipeda", "ccpa", "none"]


class Region(_Strict):
    name: LangText
    location: LangText
    law: Law | None = None  # absent: `eu` means gdpr, any other key none (Policy.law)


_DEFAULTS_FILE = Path(__file__).with_name("data") / "defaults.yaml"


@cache
def _defaults() -> dict[str, Any]:
    data: dict[str, Any] = yamlio.loads(_DEFAULTS_FILE.read_bytes(), str(_DEFAULTS_FILE)).data
    return data


@cache
def _gdpr_adequate() -> tuple[str, ...]:
    # the places of data/laws/gdpr.yaml read as data: subreg.laws validates that file whole
    # (where its transfer rules are used), which a policy's default need not wait for
    # (tests/test_laws.py keeps both readings equal)
    path = _DEFAULTS_FILE.with_name("laws") / "gdpr.yaml"
    data = yamlio.loads(path.read_bytes(), str(path), marks=False).data
    home = [str(p) for p in data["home"]["places"] if p != "EU"]
    return (*home, *(str(item["place"]) for item in data["adequacy"]))


def _default_adequacy() -> list[str]:
    """SPEC 3's default `adequate_countries`: the EEA and the countries of the European
    Commission's adequacy decisions in force, from data/laws/gdpr.yaml (without US)."""
    return list(_gdpr_adequate())


MaterialField = Literal[
    "name", "legal_name", "address", "contact", "subprocessors_url", "tier",
    "personal_data", "opt_in", "locations", "regions", "purpose", "data_processed",
    "certifications", "transfer_mechanisms", "dpa_signed_on", "security",
    "due_diligence", "replaces", "website", "retired_on", "subprocessors",
]


class DpaTerms(_Strict):
    """One negotiated DPA's terms (`dpa_terms.<name>` in the policy): its notice period,
    and the days customers under it have to object (default: the notice period)."""

    notice_period_days: Annotated[Int, Field(ge=1, le=3650)]
    objection_days: Annotated[Int, Field(ge=1, le=3650)] | None = None

    @property
    def objection_window(self) -> int:
        """Days from `announced_on` a customer under these terms has to object."""
        return self.objection_days if self.objection_days is not None else self.notice_period_days


NoticeEvidence = Literal["commit", "ledger"]


class Policy(_Strict):
    """`policies/policy.yaml`: the organisation's commitments."""

    company: Line
    notice_period_days: Annotated[Int, Field(ge=1, le=3650)]
    languages: Annotated[list[Lang], Field(min_length=1)]
    contacts: Annotated[dict[Annotated[str, AfterValidator(_id)], Contact], Field(min_length=1)]
    regions: Annotated[dict[Annotated[str, AfterValidator(_id)], Region], Field(min_length=1)]
    material_fields: list[MaterialField] = Field(
        default_factory=lambda: list(_defaults()["material_fields"])
    )
    notice_grace_days: Annotated[Int, Field(ge=0, le=365)] = 7
    certification_warning_days: Annotated[Int, Field(ge=0)] = 30
    public_url: Url | None = None
    max_breach_notice_hours: Annotated[Int, Field(ge=0)] = 72
    due_diligence_max_age_days: Annotated[Int, Field(ge=1)] = 365
    adequate_countries: list[Location] = Field(default_factory=lambda: _default_adequacy())
    recognized_certifications: list[Line] = Field(
        default_factory=lambda: list(_defaults()["recognized_certifications"])
    )
    scan: ScanPolicy = Field(default_factory=ScanPolicy)
    # What happens when a customer objects (e.g. the right to terminate the affected
    # service), per language: shown in notice drafts and on the public page.
    objection_process: LangText | None = None
    # How a notice is dated (SPEC 4, 9): by git history, or by the ledger of its sending.
    notice_evidence: NoticeEvidence = "commit"
    # Negotiated DPAs whose terms differ from the standard: the gate requires the longest
    # notice period, and drafts give each terms' objection deadline.
    dpa_terms: dict[Annotated[str, AfterValidator(_id)], DpaTerms] = {}

    @model_validator(mode="after")
    def _unique_languages(self) -> Policy:
        if len(set(self.languages)) != len(self.languages):
            raise ValueError("languages: each language may appear once")
        return self

    @field_validator("dpa_terms")
    @classmethod
    def _standard_is_reserved(cls, value: dict[str, DpaTerms]) -> dict[str, DpaTerms]:
        if "standard" in value:
            raise ValueError("'standard' names the standard terms (notice_period_days): give negotiated "
                             "terms another name")
        return value

    def law(self, region: str) -> Law:
        """The transfer law of a residency region's data: its `law`, else `gdpr` for
        the `eu` region and `none` for any other."""
        found = self.regions[region].law if region in self.regions else None
        if found is not None:
            return found
        return "gdpr" if region == "eu" else "none"

    @property
    def sender(self) -> str:
        """The address notices come from: the privacy contact, else the first e-mail."""
        mails = [c for c in self.contacts.values() if "@" in c and "://" not in c]
        return self.contacts.get("privacy", mails[0] if mails else "") if mails else ""


class Waiver(_Strict):
    check: Annotated[str, AfterValidator(_id)]
    subprocessor: Id
    reason: Text
    approved_by: Line
    expires_on: Date
    # Set by the reader, not read from YAML: where the waiver stands in waivers.yaml.
    line: SkipJsonSchema[int] = Field(default=1, exclude=True)


_SENT_AT = re.compile(r"(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2}):(\d{2})Z)?")


def _sent_at(value: Any) -> Any:
    """`YYYY-MM-DDTHH:MM:SSZ` (UTC, as `notice send` writes it), or a date alone for a
    notice sent another way (then the start of that day, UTC)."""
    if isinstance(value, dt.datetime):
        return value
    found = _SENT_AT.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError(f"{value!r} is not a time: write YYYY-MM-DDTHH:MM:SSZ (UTC) or YYYY-MM-DD")
    day = _date(found[1])
    try:
        clock = dt.time(int(found[2]), int(found[3]), int(found[4])) if found[2] else dt.time()
    except ValueError:
        raise ValueError(f"{value!r} is not a real time of day") from None
    return dt.datetime.combine(day, clock, tzinfo=dt.UTC)


SentAt = Annotated[dt.datetime, BeforeValidator(_sent_at)]
Count = Annotated[Int, Field(ge=0)]
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def _digest(value: str) -> str:
    value = _line(value)
    if not _DIGEST.fullmatch(value):
        raise ValueError(f"{value!r} is not a digest: write sha256: and 64 hexadecimal digits")
    return value


Channel = Literal["email", "in-app", "portal", "letter"]


class LedgerRecord(_Strict):
    """`notices/ledger/<announced_on>-<digest>.yaml`: evidence that a notice was sent
    (SPEC 9), written by `subreg notice send` or by hand for another channel."""

    announced_on: Date
    sent_at: SentAt
    subprocessors: Annotated[list[Id], Field(min_length=1)]
    languages: dict[Lang, Count] = {}
    digests: dict[Lang, Annotated[str, AfterValidator(_digest)]] = {}
    message_ids: dict[Lang, Line] = {}
    refused: Count = 0
    # recipients not sent yet: a sending that stopped half-way, to be resumed
    pending: Count = 0
    channel: Channel = "email"
    evidence: Line | None = None
    # recipients under negotiated dpa_terms, by terms (the others are under the standard)
    terms: dict[Id, Count] = {}


ObjectionStatus = Literal["open", "resolved", "withdrawn"]
Outcome = Literal["not-engaged-for-customer", "alternative-offered", "terminated"]
_CUSTOMER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}")


def _customer(value: str) -> str:
    value = _line(value)
    if "@" in value or not _CUSTOMER.fullmatch(value):
        raise ValueError(f"{value!r} is not a customer reference: write your reference for the customer "
                         "(e.g. a CRM id such as ACME-0042: letters, digits and . _ : / # -, no spaces), "
                         "never a person's name or address")
    return value


class Resolution(_Strict):
    on: Date
    outcome: Outcome | None = None
    note: Text | None = None


class Objection(_Strict):
    """`objections/<name>.yaml`: one customer's objection to one notice (SPEC 9)."""

    customer: Annotated[str, AfterValidator(_customer)]
    subprocessor: Id
    notice: Date
    received_on: Date
    terms: Id | None = None
    status: ObjectionStatus
    resolution: Resolution | None = None


# ---------------------------------------------------------------------------
# Turning a Doc into a model, with every problem located.

M = TypeVar("M", bound=BaseModel)

_VOCABULARY: frozenset[str] = frozenset(
    name
    for model in (Subprocessor, ChainMember, Certification, Security, DueDiligence, Notice, Policy,
                  Region, Waiver, Detect, ScanPolicy, DpaTerms, LedgerRecord, Objection, Resolution)
    for name in model.model_fields
) - {"id", "path"}


@lru_cache(maxsize=1024)
def _did_you_mean(field: str) -> str:
    if len(field) > 64:  # no field name is that long: nothing to suggest
        return ""
    close = difflib.get_close_matches(field, _VOCABULARY, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _message(err: Any, hint: bool = True) -> tuple[str, bool]:
    """A readable message for one pydantic error, and whether it concerns a key.
    `hint`: look for the field the author meant (for the problems that are printed)."""
    kind, loc = err["type"], err["loc"]
    field = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        return f"unknown field '{field}'{_did_you_mean(str(field)) if hint else ''}", True
    if kind == "missing":
        return f"missing required field '{field}'", False
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    label = ".".join(str(p) for p in loc if not isinstance(p, int)) or "document"
    if kind in ("model_type", "dict_type") and err.get("input") is None:
        msg = "expected a mapping, found nothing"
    elif kind == "list_type":
        msg = "expected a list"
    elif kind == "too_short":
        msg = "must not be empty" + (" (leave it out to mean every region)" if field == "regions" else "")
    return f"{label}: {msg}", False


def parse(model: type[M], doc: yamlio.Doc) -> M:
    """Validate `doc` as `model`; every problem is reported at its line and column."""
    if not isinstance(doc.data, dict):
        found = "an empty file" if doc.data is None else f"a {type(doc.data).__name__}"
        if isinstance(doc.data, list):
            found = "a list"
        raise InputError(problems=[doc.problem((), f"expected a mapping of fields, found {found}")])
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        problems: list[Problem] = []
        # pydantic lists errors in document order, and only the first MAX_PER_FILE of a
        # file are printed: only those get a "did you mean" (tens of thousands of unknown
        # keys must not cost a fuzzy match each)
        for i, err in enumerate(exc.errors(include_url=False)):
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            msg, on_key = _message(err, hint=i < MAX_PER_FILE)
            if err["type"] == "missing":
                problems.append(doc.problem(loc[:-1], msg))
            else:
                problems.append(doc.problem(loc, msg, key=on_key))
        raise InputError(problems=problems) from None


def parse_waivers(doc: yamlio.Doc) -> list[Waiver]:
    """`policies/waivers.yaml`: a list of waivers (an empty file is no waivers)."""
    if doc.data is None:
        return []
    if not isinstance(doc.data, list):
        raise InputError(problems=[doc.problem((), "expected a list of waivers")])
    waivers, problems = [], []
    for i, item in enumerate(doc.data):
        sub = yamlio.Doc(doc.path, item, _shift(doc.marks, i), _shift(doc.key_marks, i))
        if isinstance(item, dict) and "line" in item:
            problems.append(sub.problem(("line",), "unknown field 'line'", key=True))
            continue
        try:
            waiver = parse(Waiver, sub)
            object.__setattr__(waiver, "line", doc.marks.get((i,), (1, 1))[0])
            waivers.append(waiver)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems=problems)
    return waivers


def _shift(marks: dict[yamlio.Path, tuple[int, int]], index: int) -> dict[yamlio.Path, tuple[int, int]]:
    return {loc[1:]: pos for loc, pos in marks.items() if loc[:1] == (index,)}
