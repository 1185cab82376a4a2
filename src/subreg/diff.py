"""What changed in the registry between two states: added, removed, renamed, modified.

Renames follow the identity rule of SPEC section 4, not git's similarity score:
registry files look alike, and git happily pairs two unrelated companies. A file that
moved to a new id is a rename only when its legal entity (`legal_name`, else `name`,
compared ignoring case, spaces and punctuation) is the same.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from subreg import chain
from subreg.escape import one_line
from subreg.model import Policy, Subprocessor, identity
from subreg.registry import Registry

Kind = Literal["added", "removed", "renamed", "modified"]


@dataclass
class Change:
    """One subprocessor's change between base and head."""

    kind: Kind
    id: str  # the id at head (at base for a removal)
    old: Subprocessor | None
    new: Subprocessor | None
    changed: frozenset[str] = frozenset()  # top-level fields whose value changed
    material: bool = False  # a material_fields value changed, beyond editorial changes
    baseline: bool = False  # the registry's first commit (SPEC 4): nothing needs notice
    revived: bool = False  # a retired entry brought back (its retired_on removed or moved later)

    @cached_property
    def fields(self) -> dict[str, dict[str, Any]]:
        """Changed fields, old -> new (JSON values), found by deepdiff."""
        if self.old is None or self.new is None:
            return {}
        return field_changes(self.old, self.new)

    @property
    def old_id(self) -> str | None:
        return self.old.id if self.old else None

    @property
    def replaced_entity(self) -> bool:
        """The legal entity changed under the same id: a replacement (SPEC 4)."""
        return bool(self.old and self.new and identity(self.old.entity) != identity(self.new.entity))

    @property
    def needs_notice(self) -> bool:
        """SPEC 4: an addition, a material change or a replacement of an entry with
        personal data that is not opt-in (or one that newly becomes such)."""
        if self.baseline or self.new is None or not self.new.needs_notice():
            return False
        if self.kind == "added":
            return True
        assert self.old is not None
        return self.material or self.replaced_entity or self.revived or not self.old.needs_notice()

    @property
    def notice_is_new(self) -> bool:
        """The head notice is a new notice: a notice is identified by its entry and its
        `announced_on` (SPEC 4), so moving only `effective_on` keeps the same notice."""
        if self.new is None or self.new.notice is None:
            return False
        if self.old is None or self.old.notice is None:
            return True
        return self.old.notice.announced_on != self.new.notice.announced_on

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "material": self.material, "fields": self.fields}


# Lists whose order carries no meaning: compared as sets.
_DUMP_EXCLUDE = {"id", "path"}


def dump(sp: Subprocessor) -> dict[str, Any]:
    return sp.model_dump(mode="json", exclude=_DUMP_EXCLUDE)


def _canonical(value: Any) -> Any:
    """A value with every list sorted, so that order-only differences vanish."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


_FIELDS = tuple(f for f in Subprocessor.model_fields if f not in _DUMP_EXCLUDE)


def changed_fields(old: Subprocessor, new: Subprocessor) -> frozenset[str]:
    """Names of the top-level fields that differ (list order ignored). Cheap: this
    runs for every change of a long history, where deepdiff would cost a millisecond
    a call. Fields whose values are equal have equal dumps (the values of a validated
    entry are of one type each: no 1 for a True); only the others are dumped."""
    found = []
    for k in _FIELDS:
        a, b = getattr(old, k), getattr(new, k)
        if a is b or a == b:
            continue
        da = old.model_dump(mode="json", include={k})[k]
        db = new.model_dump(mode="json", include={k})[k]
        if _differs(da, db):
            found.append(k)
    return frozenset(found)


def _differs(a: Any, b: Any) -> bool:
    """`_canonical(a) != _canonical(b)`, without sorting where no list can hide an order."""
    if a == b:
        return False
    if type(a) is not type(b) or not _has_list(a) or len(a) != len(b):
        return True
    return bool(_canonical(a) != _canonical(b))


def _has_list(value: Any) -> bool:
    """Whether a dumped value holds a list (only a list's order can differ unseen)."""
    if isinstance(value, list):
        return True
    return isinstance(value, dict) and any(_has_list(v) for v in value.values())


def field_changes(old: Subprocessor, new: Subprocessor) -> dict[str, dict[str, Any]]:
    """Top-level fields whose value changed, old -> new; list order is ignored."""
    a, b = dump(old), dump(new)
    candidates = [k for k in a if a[k] != b[k]]
    if not candidates:
        return {}
    from deepdiff import DeepDiff  # costly import: only when something differs

    diff = DeepDiff(
        {k: a[k] for k in candidates}, {k: b[k] for k in candidates},
        ignore_order=True, threshold_to_diff_deeper=0,
    )
    roots = {str(k) for k in diff.affected_root_keys}
    return {k: {"old": a[k], "new": b[k]} for k in candidates if k in roots}


def _name(sp: Subprocessor) -> str:
    return sp.name


def _entity(sp: Subprocessor) -> str:
    return sp.entity


_ENTITY_FIELDS: dict[str, Callable[[Subprocessor], str]] = {"name": _name, "legal_name": _entity}
_TEXT_MAPS = ("purpose", "data_processed")


def editorial(name: str, old: Subprocessor, new: Subprocessor, policy: Policy) -> bool:
    """A change of field `name` that needs no notice although the field is material
    (SPEC 4): a `name` or `legal_name` whose identity key (case, spaces and punctuation
    ignored) stays the same, or a text map whose text in the policy's first language
    stays the same (a translation fix)."""
    if name in _ENTITY_FIELDS:
        key = _ENTITY_FIELDS[name]
        return identity(key(old)) == identity(key(new))
    if name in _TEXT_MAPS:
        first = policy.languages[0]
        texts: tuple[dict[str, str], dict[str, str]] = (getattr(old, name), getattr(new, name))
        return texts[0].get(first) == texts[1].get(first)
    return False


def material_changes(old: Subprocessor, new: Subprocessor, changed: frozenset[str],
                     policy: Policy) -> frozenset[str]:
    """The changed fields that are material: in `material_fields`, and not editorial; a
    chain (`subprocessors`) whose members and their locations stayed the same is not
    material either (chain.py)."""
    found = {f for f in changed if f in policy.material_fields and not editorial(f, old, new, policy)}
    if "subprocessors" in found and not chain.delta(old.subprocessors, new.subprocessors):
        found.discard("subprocessors")
    return frozenset(found)


def revived(old: Subprocessor, new: Subprocessor, today: dt.date | None) -> bool:
    """A retired entry brought back (SPEC 4): its `retired_on` had passed (on `today`,
    the date of the change) and is removed or moved later."""
    if today is None or old.retired_on is None or old.retired_on > today:
        return False
    return new.retired_on is None or new.retired_on > old.retired_on


def _change(kind: Kind, sid: str, old: Subprocessor, new: Subprocessor, policy: Policy,
            today: dt.date | None) -> Change | None:
    changed = changed_fields(old, new)
    if not changed and kind == "modified":
        return None
    material = bool(material_changes(old, new, changed, policy))
    return Change(kind, sid, old, new, changed, material, revived=revived(old, new, today))


def compare(base: Registry, head: Registry, policy: Policy, today: dt.date | None = None) -> list[Change]:
    """Every change from base to head, ordered by id. `today` is the date of the
    change (a retirement that had passed by then and is undone is an addition)."""
    baseline = not base.exists
    removed = {i: base[i] for i in base.entries if i not in head}
    added = {i: head[i] for i in head.entries if i not in base}
    changes: list[Change] = []

    # Pair moved files by legal entity; one-to-one, in id order for stable results.
    by_entity: dict[str, list[str]] = {}
    for rid in sorted(removed):
        by_entity.setdefault(identity(removed[rid].entity), []).append(rid)
    for aid in sorted(added):
        candidates = by_entity.get(identity(added[aid].entity))
        if candidates:
            rid = candidates.pop(0)
            renamed = _change("renamed", aid, removed.pop(rid), added.pop(aid), policy, today)
            assert renamed is not None
            changes.append(renamed)

    for aid, sp in added.items():
        changes.append(Change("added", aid, None, sp, baseline=baseline))
    for rid, sp in removed.items():
        changes.append(Change("removed", rid, sp, None))
    for sid in base.entries:
        if sid in head:
            modified = _change("modified", sid, base[sid], head[sid], policy, today)
            if modified is not None:
                changes.append(modified)
    changes.sort(key=lambda c: (c.id, c.kind))
    return changes


def as_json(changes: list[Change], base: str, head: str) -> dict[str, Any]:
    """SPEC 6: the `subreg diff --format json` document."""
    return {
        "base": base,
        "head": head,
        "added": [c.id for c in changes if c.kind == "added"],
        "removed": [c.id for c in changes if c.kind == "removed"],
        "renamed": [{"from": c.old_id, "to": c.id} for c in changes if c.kind == "renamed"],
        "modified": [c.as_json() for c in changes if c.changed],
    }


def as_text(changes: list[Change], base: str, head: str) -> str:
    lines = [f"registry changes {base[:12]}..{head[:12] if head != 'worktree' else head}"]
    if not changes:
        lines.append("  no changes")
    for c in changes:
        if c.kind == "renamed":
            lines.append(f"  renamed   {c.old_id} -> {c.id}")
        elif c.kind != "modified":
            lines.append(f"  {c.kind:<9} {c.id}")
        if c.changed:
            tag = "material" if c.material else "not material"
            lines.append(f"  modified  {c.id} ({tag})")
            for name, values in c.fields.items():
                if name == "subprocessors":  # member by member, readably
                    lines.append(f"      {name}:")
                    lines.extend(chain.text_lines(values["old"], values["new"], " " * 8))
                    continue
                lines.append(f"      {name}: {_short(values['old'])} -> {_short(values['new'])}")
    return "".join(one_line(line) + "\n" for line in lines)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = one_line(text)
    return text if len(text) <= 120 else text[:117] + "..."
