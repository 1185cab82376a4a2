"""A subprocessor's chain: its own sub-processors that touch our customers' data (the
`subprocessors` field; EDPB Opinion 22/2024 expects the identity of every one of them).

Two versions of a chain are compared member by member, a member being identified by its
legal entity (`legal_name`, else `name`, ignoring case, spaces and punctuation), as
entries are for renames. A member added or removed, or one whose locations changed
(moved), is a change customers are told of: a material change of `subprocessors` when
the policy's `material_fields` include it. A new display name of the same entity, or a
new address, contact or purpose, is not: `diff` still shows it, as the field's old and
new values.

What customers see of a chain, on the page, in the Markdown lists, in
`subprocessors.json` and in notice drafts, is each member's name and locations only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from subreg.model import ChainMember, identity

Member = Mapping[str, Any]  # a chain member as JSON (diff.dump), or its public view


def public(members: Iterable[ChainMember | Member]) -> list[dict[str, Any]]:
    """The public view of a chain: each member's name and locations, in file order."""
    out = []
    for m in members:
        if isinstance(m, ChainMember):
            out.append({"name": m.name, "locations": list(m.locations)})
        else:
            out.append({"name": m["name"], "locations": list(m["locations"])})
    return out


def _key(m: Member) -> str:
    return identity(m.get("legal_name") or m["name"])


@dataclass
class Delta:
    """What changed in a chain, in the public view: members added, removed, moved."""

    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    moved: list[dict[str, Any]] = field(default_factory=list)  # {name, old, new}

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.moved)

    def as_json(self) -> dict[str, list[dict[str, Any]]]:
        return {"added": self.added, "removed": self.removed, "moved": self.moved}


def delta(old: Iterable[ChainMember | Member], new: Iterable[ChainMember | Member]) -> Delta:
    """Members added, removed and moved from `old` to `new` (locations as sets)."""
    def as_map(members: Iterable[ChainMember | Member]) -> dict[str, Member]:
        out: dict[str, Member] = {}
        for m in members:
            data: Member = m.model_dump(mode="json") if isinstance(m, ChainMember) else m
            out.setdefault(_key(data), data)
        return out

    before, after = as_map(old), as_map(new)
    out = Delta()
    for k, m in after.items():
        if k not in before:
            out.added.extend(public([m]))
        elif set(before[k]["locations"]) != set(m["locations"]):
            out.moved.append({"name": m["name"], "old": list(before[k]["locations"]),
                              "new": list(m["locations"])})
    out.removed.extend(public(m for k, m in before.items() if k not in after))
    return out


def text_lines(old: Iterable[Member], new: Iterable[Member], indent: str) -> list[str]:
    """The chain's change for `subreg diff`'s text: `+` added, `-` removed, `~` moved,
    then `=` for edits that change no member's identity or locations."""
    d = delta(old, new)
    lines = [f"{indent}+ {m['name']} ({', '.join(m['locations'])})" for m in d.added]
    lines += [f"{indent}- {m['name']} ({', '.join(m['locations'])})" for m in d.removed]
    lines += [f"{indent}~ {m['name']}: {', '.join(m['old'])} -> {', '.join(m['new'])}" for m in d.moved]
    if not d:
        lines.append(f"{indent}= same members and locations (names, addresses, contacts or purposes edited)")
    return lines
