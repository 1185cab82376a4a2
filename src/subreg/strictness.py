"""The policy a change is judged by: the stricter of base's and head's (SPEC 4).

A pull request that edits `policies/policy.yaml` cannot lower the bar it is judged by:
`check` judges base..head with the stricter value of every setting (the longer notice
period, the shorter grace, every language and material field of both, the fewer
adequate countries and recognized certifications, the wider warning windows, ...), and
reports each relaxation as the warning `policy-relaxed`, so that it takes effect only
once merged. A tightening applies at once. Settings that set no bar (the company's
name, contacts, regions, the public URL) are head's.

Every field of `Policy` has a rule in `RULES` (a test fails for a field without one);
at run time a field without a rule is judged by base's value, so that a new setting can
never be relaxed by the pull request that introduces its use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from subreg.model import DpaTerms, Policy, Region, ScanPolicy


def _head(_base: Any, head: Any) -> Any:
    return head


def _union(base: list[Any], head: list[Any]) -> list[Any]:
    return [*base, *(x for x in head if x not in base)]


def _common(base: list[Any], head: list[Any]) -> list[Any]:
    return [x for x in head if x in base]


# Laws that add no transfer condition: moving a region's data to one of them relaxes.
_NO_CONDITION = ("none", "pipeda", "ccpa")


def _effective_law(key: str, region: Region) -> str:
    return region.law or ("gdpr" if key == "eu" else "none")


def _regions(base: dict[str, Region], head: dict[str, Region]) -> dict[str, Region]:
    """Head's regions (entries are validated against them), but a region present at both
    keeps base's transfer law when head's would relax it: to a law without transfer
    conditions, or to another law with conditions of its own (laws are not ordered: the
    change of law waits for the merge). A law with conditions where there was none
    applies at once."""
    out = dict(head)
    for key, region in head.items():
        if key not in base:
            continue
        old, new = _effective_law(key, base[key]), _effective_law(key, region)
        if old != new and not (old in _NO_CONDITION and new not in _NO_CONDITION):
            out[key] = region.model_copy(update={"law": old})
    return out


def _scan(base: ScanPolicy, head: ScanPolicy) -> ScanPolicy:
    """Own domains are never evidence for `subreg scan`: only those of both policies are
    left out (a domain the change adds waits for the merge)."""
    return head.model_copy(update={"own_domains": _common(base.own_domains, head.own_domains)})


def _evidence(base: str, head: str) -> str:
    """`ledger` (a notice is dated by the record of its sending) is stricter than
    `commit`: a change can switch to it at once, not away from it."""
    return "ledger" if "ledger" in (base, head) else "commit"


def _dpa_terms(base: dict[str, DpaTerms], head: dict[str, DpaTerms]) -> dict[str, DpaTerms]:
    """Every negotiated terms of both, with the longer notice period and objection
    window of each: dropping terms, or shortening them, waits for the merge."""
    out = dict(base)
    for key, terms in head.items():
        old = out.get(key)
        if old is None:
            out[key] = terms
            continue
        days = max(old.notice_period_days, terms.notice_period_days)
        window = max(old.objection_window, terms.objection_window)
        if (days, window) == (terms.notice_period_days, terms.objection_window):
            out[key] = terms
        elif (days, window) != (old.notice_period_days, old.objection_window):
            out[key] = DpaTerms(notice_period_days=days, objection_days=window)
    return out


Rule = Callable[[Any, Any], Any]

RULES: dict[str, Rule] = {
    "company": _head,
    "notice_period_days": max,
    "notice_grace_days": min,
    "languages": _union,  # base's order: its first language decides what is editorial
    "contacts": _head,
    "regions": _regions,  # head's keys (entries are validated against them), base's laws
    "material_fields": _union,
    "certification_warning_days": max,
    "public_url": _head,
    "max_breach_notice_hours": min,
    "due_diligence_max_age_days": min,
    "adequate_countries": _common,
    "recognized_certifications": _common,
    "scan": _scan,
    "objection_process": _head,  # what customers are told of the process, not a bar
    "notice_evidence": _evidence,
    "dpa_terms": _dpa_terms,
}


@dataclass(frozen=True)
class Relaxation:
    field: str
    message: str


def _show(value: Any) -> str:
    if isinstance(value, dict) and all(isinstance(v, DpaTerms) for v in value.values()):
        return "{" + ", ".join(f"{k}: {v.notice_period_days} days notice, {v.objection_window} to object"
                               for k, v in value.items()) + "}"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _relaxation(name: str, base: Any, head: Any, judged: Any) -> str:
    if isinstance(head, list):
        dropped = [x for x in judged if x not in head]
        added = [x for x in head if x not in judged]
        what = "; ".join(part for part in (
            f"removes {_show(dropped)}" if dropped else "",
            f"adds {_show(added)}" if added else "") if part)
        return (f"{name}: this change {what}, which relaxes the policy; until it is merged, "
                f"changes are judged with {name}: [{_show(judged)}]")
    return (f"{name}: this change relaxes {_show(base)} to {_show(head)}; until it is merged, "
            f"changes are judged with {_show(judged)}")


def judge(base: Policy | None, head: Policy) -> tuple[Policy, list[Relaxation]]:
    """The policy to judge base..head by, and how head relaxes base's."""
    if base is None:
        return head, []
    update: dict[str, Any] = {}
    found: list[Relaxation] = []
    for name in type(head).model_fields:
        b, h = getattr(base, name), getattr(head, name)
        rule = RULES.get(name)
        judged = rule(b, h) if rule is not None else b
        same = (set(map(str, judged)) == set(map(str, h))) if isinstance(h, list) else judged == h
        if not same:
            update[name] = judged
            if name == "regions":
                found += [Relaxation(name, f"regions.{key}.law: this change relaxes {_effective_law(key, judged[key])} "
                                           f"to {_effective_law(key, h[key])}; until it is merged, that region's data "
                                           f"is judged with {_effective_law(key, judged[key])}")
                          for key in h if judged[key] != h[key]]
            else:
                found.append(Relaxation(name, _relaxation(name, b, h, judged)))
    if base.languages[0] != head.languages[0]:
        found.append(Relaxation("languages", (
            f"languages: this change makes {head.languages[0]} the first language instead of "
            f"{base.languages[0]}; until it is merged, {base.languages[0]} decides which text "
            "changes are translation fixes")))
        update["languages"] = _union(base.languages, head.languages)
    return head.model_copy(update=update), found
