"""Customer-notice drafts: the facts (`notice.json`), then Markdown, HTML and e-mail.

What a draft announces, from the changes between base and head (`diff.compare`):

- `added`: every addition, and every change of legal entity under the same id (a
  replacement, SPEC 4), shown with what it replaces (`replaces: <id>` names another
  entry; a replacement names the previous legal entity). Additions of the registry's
  first commit are the baseline and announce nothing.
- `changed`: modifications (renames included) that are material, or that make an entry
  need notices (it gains personal data or loses opt-in), other than retirements and
  replacements; each with the material fields, old -> new.
- `removed`, as information: removals, and entries that gained a `retired_on`. A file
  deleted after its entry was already retired at base was announced when it retired.

Dates. The draft's `announced_on` is the latest `announced_on` of the notices new in the
change (today when there is none); `effective_on` is the earliest `effective_on` among
them (null when there is none); `objection_deadline` is `announced_on + the required
period` (the longest of `notice_period_days` and the `dpa_terms`), never after
`effective_on`, and null when the draft has nothing to object to (removals only);
`objection_deadlines` gives, per `dpa_terms` entry, `announced_on` + its
`objection_days` (else its notice period), never after `effective_on`. An item's own
dates (`announced_on`, `effective_on`, `objection_deadline`, `objection_deadlines`) are
those of its notice when that notice is new in the change, else null (the draft says
"to be confirmed"), so that additions announced on different days each show their own;
a removal is effective on its `retired_on`, else when the entry that replaces it takes
effect, else on the draft's date.

What it says. An addition shows its legal entity, and `transfers`: each place its data
(or its chain's) goes outside the EU/EEA without an adequacy decision, with the
safeguards listed for it. The opening sentence speaks of new subprocessors only when
the draft adds one; the policy's `objection_process` says what happens on an objection.

Safety. Registry and policy text is data: it is passed to templates, never rendered as
one. HTML is autoescaped (env.py), Markdown uses the `md`/`md_text` filters, JSON is
`json.dumps`, and mail headers go through `header_safe`, which turns control characters
into spaces and breaks encoded words (`=?`), because Python's email package decodes an
encoded newline into a real header. The words of the drafts live in the
`notice_strings.j2` partial: data only, since a macro imported from a partial whose name
is not `.html` would write registry text unescaped into an HTML template. Drafts carry no
customer personal data: the recipient is a placeholder, and nothing comes from git but
the two commit ids.

Output is deterministic: the same inputs give byte-identical files (fixed Date, a
Message-ID and MIME boundary derived from a hash of notice.json).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import jinja2

from subreg import chain, laws
from subreg.diff import Change
from subreg.errors import InputError
from subreg.model import Policy, Subprocessor
from subreg.notices import STANDARD, objection_deadlines
from subreg.registry import Registry
from subreg.render import env as envmod

RECIPIENT = "customers@example.invalid"
PLACEHOLDER_SENDER = "privacy@example.invalid"

Facts = dict[str, Any]


# -- facts ------------------------------------------------------------------------------

def _gained_retirement(c: Change) -> bool:
    return bool(c.old and c.new and c.old.retired_on is None and c.new.retired_on is not None)


def _notice_dates(c: Change) -> tuple[str | None, str | None]:
    if c.new is not None and c.new.notice is not None and c.notice_is_new:
        return c.new.notice.announced_on.isoformat(), c.new.notice.effective_on.isoformat()
    return None, None


def _who(sp: Subprocessor) -> dict[str, Any]:
    return {"id": sp.id, "name": sp.name, "legal_name": sp.entity}


def _deadlines(policy: Policy, announced: str | None, effective: str | None) -> dict[str, Any]:
    """An item's objection deadline under the standard terms and under each `dpa_terms`
    entry, from its own notice (None, and none per terms, without a new notice)."""
    if announced is None or effective is None:
        return {"objection_deadline": None, "objection_deadlines": {}}
    found = objection_deadlines(policy, dt.date.fromisoformat(announced), dt.date.fromisoformat(effective))
    return {"objection_deadline": found.pop(STANDARD).isoformat(),
            "objection_deadlines": {k: v.isoformat() for k, v in found.items()}}


def _transfers(sp: Subprocessor, policy: Policy) -> list[dict[str, Any]]:
    """Where the entry's data (its chain's included) leaves the EU/EEA for a place
    without an adequacy decision (GDPR Chapter V, the policy's `adequate_countries`),
    and the safeguards the entry lists that cover that place."""
    data = laws.law("gdpr")
    adequate = laws.adequate_places(data, policy)
    out: list[dict[str, Any]] = []
    for flow in laws.flows(sp):
        if data.is_home(flow.place) or laws.within(flow.place, adequate) or any(
                t["place"] == flow.place for t in out):
            continue
        usable = []
        for name in sp.transfer_mechanisms:
            found = data.mechanism(name)
            if found is not None and (found.places is None or laws.within(flow.place, found.places)):
                usable.append(name)
        out.append({"place": flow.place, "safeguards": usable})
    return out


def _added(c: Change, old: Registry, new: Registry, policy: Policy) -> dict[str, Any]:
    sp = c.new
    assert sp is not None
    replaces: dict[str, Any] | None = None
    if c.replaced_entity and c.old is not None:
        replaces = _who(c.old)
    elif sp.replaces:
        target = old.get(sp.replaces) or new.get(sp.replaces)
        replaces = _who(target) if target else {"id": sp.replaces, "name": sp.replaces,
                                                "legal_name": sp.replaces}
    announced, effective = _notice_dates(c)
    return {
        **_who(sp),
        "tier": sp.tier,
        "personal_data": sp.personal_data,
        "opt_in": sp.opt_in,
        "purpose": dict(sp.purpose),
        "data_processed": dict(sp.data_processed),
        "locations": list(sp.locations),
        "regions": list(sp.regions) if sp.regions is not None else None,
        "certifications": [cert.name for cert in sp.certifications],
        "transfer_mechanisms": list(sp.transfer_mechanisms),
        "subprocessors": chain.public(sp.subprocessors),
        "transfers": _transfers(sp, policy),
        "announced_on": announced,
        "effective_on": effective,
        **_deadlines(policy, announced, effective),
        "replaces": replaces,
    }


def _changed(c: Change, policy: Policy) -> dict[str, Any]:
    assert c.new is not None
    shown = set(policy.material_fields) | {"personal_data", "opt_in"}
    announced, effective = _notice_dates(c)
    fields = []
    for name, v in c.fields.items():
        if name not in shown:
            continue
        if name == "subprocessors":  # names and locations only, and what changed in them
            delta = chain.delta(v["old"], v["new"])
            if delta:
                fields.append({"field": name, "old": chain.public(v["old"]), "new": chain.public(v["new"]),
                               "chain": delta.as_json()})
            continue
        fields.append({"field": name, "old": v["old"], "new": v["new"]})
    return {
        **_who(c.new),
        "fields": fields,
        "announced_on": announced,
        "effective_on": effective,
        **_deadlines(policy, announced, effective),
    }


def _removed(sp: Subprocessor, announced: str, added: list[dict[str, Any]]) -> dict[str, Any]:
    # Without a retired_on, an entry replaced by a new one goes when its replacement comes.
    successor = next((a["effective_on"] for a in added if a["replaces"]
                      and a["replaces"]["id"] == sp.id and a["effective_on"]), None)
    return {
        **_who(sp),
        "purpose": dict(sp.purpose),
        "effective_on": sp.retired_on.isoformat() if sp.retired_on else successor or announced,
    }


def build_facts(changes: list[Change], old: Registry, new: Registry, policy: Policy,
                today: dt.date, base: str, head: str) -> Facts | None:
    """notice.json: what the drafts say, or None when there is nothing to announce."""
    added, changed, gone = [], [], []
    for c in changes:
        if c.kind == "removed":
            if c.old is not None and c.old.retired_on is None:
                gone.append(c.old)
        elif c.kind == "added":
            if not c.baseline:
                added.append(_added(c, old, new, policy))
        elif _gained_retirement(c):
            assert c.new is not None
            gone.append(c.new)
        elif c.replaced_entity:
            added.append(_added(c, old, new, policy))
        elif c.changed and (c.material or c.needs_notice):
            item = _changed(c, policy)
            if item["fields"]:
                changed.append(item)
    if not (added or changed or gone):
        return None
    fresh = [i for i in added + changed if i["announced_on"] is not None]
    announced = max((i["announced_on"] for i in fresh), default=today.isoformat())
    effective = min((i["effective_on"] for i in fresh), default=None)
    deadline: str | None = None
    per_terms: dict[str, str] = {}
    if added or changed:
        found = objection_deadlines(policy, dt.date.fromisoformat(announced),
                                    dt.date.fromisoformat(effective) if effective else None)
        deadline = found.pop(STANDARD).isoformat()
        per_terms = {k: v.isoformat() for k, v in found.items()}
    return {
        "announced_on": announced,
        "effective_on": effective,
        "objection_deadline": deadline,
        "objection_deadlines": per_terms,
        "added": added,
        "changed": changed,
        "removed": [_removed(sp, announced, added) for sp in gone],
        "company": policy.company,
        "notice_period_days": policy.notice_period_days,
        "contacts": dict(policy.contacts),
        "objection_process": dict(policy.objection_process) if policy.objection_process else None,
        "public_url": policy.public_url,
        "languages": list(policy.languages),
        "base": base,
        "head": head,
    }


# -- rendering --------------------------------------------------------------------------

_HEADER_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def header_safe(text: str) -> str:
    """A mail header value that cannot add a header: control characters become spaces
    and encoded words are broken (`=?` -> `= ?`), so the parser has nothing to decode."""
    text = _HEADER_BAD.sub(" ", text).replace("=?", "= ?")
    return " ".join(text.split())


def pick(texts: Any, lang: str, languages: list[str] | None = None) -> str:
    """A language map's text in `lang`; a missing translation (a `translations` finding,
    not an error) falls back to the first language that has one."""
    if not isinstance(texts, dict):
        return "" if texts is None else str(texts)
    return envmod.translation(texts, lang, languages or [])[0]


def _md_link(value: str) -> str:
    """A policy contact in Markdown: an autolink when it is plainly an address or an
    https link (md_text would break the address to stop @mentions), else escaped text."""
    if re.fullmatch(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", value) or re.fullmatch(
        r"https://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+", value
    ):
        return f"<{value}>"
    return envmod.md_text(value)


def _environment(root: Path, policy: Policy) -> jinja2.Environment:
    env = envmod.environment(root)

    def shown(value: Any, field: str, lang: str, t: dict[str, Any]) -> str:
        """A field's JSON value as the reader reads it."""
        if value is None or value == []:
            if field == "transfers":
                return str(t["adequate"])
            return str(t["all_regions"] if field == "regions" and value is None else t["none"])
        if isinstance(value, bool):
            return str(t["yes"] if value else t["no"])
        if field in ("purpose", "data_processed"):
            return pick(value, lang, policy.languages)
        if field == "locations":
            return envmod.country_names(value, lang)
        if field == "regions":
            return ", ".join(pick(policy.regions[k].name, lang, policy.languages)
                             if k in policy.regions else str(k) for k in value)
        if field == "tier":
            return str(t["tiers"].get(value, value))
        if field == "certifications":
            return ", ".join(str(c["name"]) if isinstance(c, dict) else str(c) for c in value)
        if field == "subprocessors":
            return "; ".join(f"{m['name']} ({envmod.country_names(m['locations'], lang)})" for m in value)
        if field == "transfers":  # the safeguards by the names the reader's practice uses
            names = t.get("mechanisms", {})
            return "; ".join(f"{envmod.country_names([x['place']], lang)}{t['colon']} "
                             f"{', '.join(names.get(m, m) for m in x['safeguards']) or t['safeguard_missing']}"
                             for x in value)
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return envmod.format_date(value, lang)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return str(value)

    def chain_delta(delta: dict[str, list[dict[str, Any]]], lang: str, t: dict[str, Any]) -> str:
        """What changed in a chain, in words: added, no longer used, moved."""
        parts = [f"{t['chain_added']} {m['name']} ({envmod.country_names(m['locations'], lang)})"
                 for m in delta["added"]]
        parts += [f"{t['chain_removed']} {m['name']} ({envmod.country_names(m['locations'], lang)})"
                  for m in delta["removed"]]
        parts += [f"{t['chain_moved']} {m['name']} ({envmod.country_names(m['old'], lang)} → "
                  f"{envmod.country_names(m['new'], lang)})" for m in delta["moved"]]
        return "; ".join(parts)

    env.filters["shown"] = shown
    env.filters["chain_delta"] = chain_delta
    env.filters["pick"] = lambda texts, lang: pick(texts, lang, policy.languages)
    env.filters["md_link"] = _md_link
    return env


def _sender(policy: Policy) -> Address:
    addr = policy.sender or PLACEHOLDER_SENDER
    try:
        return Address(display_name=header_safe(policy.company), addr_spec=addr)
    except (ValueError, IndexError) as exc:
        raise InputError.at("policies/policy.yaml",
                            f"contact {addr!r} cannot be used as a From address: {exc}") from None


# Bodies are encoded when set, in quoted-printable lines of at most 76 characters (RFC
# 2045; Python's default is 78). Headers are folded when written, only past RFC 5322's
# hard limit: Python's folding at 78 columns puts a fold right after "Subject:" and
# doubles the space before an encoded word, which mail clients then show.
_BODY = SMTP.clone(max_line_length=76)
_HEADERS = SMTP.clone(max_line_length=998)


def _message(facts: Facts, lang: str, subject: str, text: str, html: str,
             sender: Address, digest: str) -> bytes:
    msg = EmailMessage(policy=_BODY)
    msg["From"] = sender
    msg["To"] = RECIPIENT
    msg["Subject"] = header_safe(subject)
    announced = dt.date.fromisoformat(facts["announced_on"])
    msg["Date"] = format_datetime(dt.datetime.combine(announced, dt.time(9, 0), tzinfo=dt.UTC))
    msg["Message-ID"] = f"<notice-{digest[:32]}.{lang}@{sender.domain or 'example.invalid'}>"
    msg["X-Unsent"] = "1"  # mail clients open the file as a draft to send
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.make_alternative()
    part = EmailMessage(policy=_BODY)
    part.set_content(html, subtype="html", charset="utf-8", cte="quoted-printable")
    del part["MIME-Version"]  # a top-level header only (add_alternative would leave it)
    msg.attach(part)
    msg["Content-Language"] = header_safe(lang)  # after set_content, which drops Content-*
    # "=_" cannot occur in quoted-printable text, and a fixed boundary keeps files stable.
    msg.set_boundary(f"=_subreg_{digest[:24]}")
    return msg.as_bytes(policy=_HEADERS)


def _render(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    # a broken override is exit 2 at its path:line: the sandboxed environment says so
    return env.get_template(name).render(context)


def render(facts: Facts, root: Path, policy: Policy) -> dict[str, str | bytes]:
    """Every draft file, by name: notice.json, then per language .md, .html and .eml."""
    doc = json.dumps(facts, indent=2, ensure_ascii=False) + "\n"
    digest = hashlib.sha256(doc.encode("utf-8")).hexdigest()
    env = _environment(root, policy)
    sender = _sender(policy)
    files: dict[str, str | bytes] = {"notice.json": doc}
    for lang in policy.languages:
        context: dict[str, Any] = {"n": facts, "lang": lang}
        subject = " ".join(_render(env, "notice_subject.j2", context).split())
        context["subject"] = subject
        md = _render(env, "notice.md.j2", context)
        html = _render(env, "notice.html.j2", context)
        text = _render(env, "notice.txt.j2", context)
        files[f"notice.{lang}.md"] = md
        files[f"notice.{lang}.html"] = html
        files[f"notice.{lang}.eml"] = _message(facts, lang, subject, text, html, sender, digest)
    return files
