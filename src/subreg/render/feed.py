"""The Atom feed of the public list (`feed.xml`, RFC 4287), built from git history.

One entry per change a customer would be told of, from the first-parent commits that
changed the registry (`history.Step`), newest first:

- `added`: an addition. The registry's first commit is the baseline (the list as first
  published), not a change: its entries get no feed entry.
- `retired`: a modification or rename that sets (or moves) `retired_on`.
- `changed`: any other modification or rename that changes a `material_fields` value
  that is public (a chain member's new address, a certificate's new expiry date, a
  change of an internal field, is not published).
- `removed`: a deleted entry, unless it was already retired (that was announced when it
  retired).

Renames and non-material edits are not announced, and neither is a change of internal
fields only: entries carry public views (public.py), and a change lists only the public
fields that changed (SPEC 2). Each entry's `updated` is its commit's
committer time (UTC). Ids are `urn:uuid:` UUIDs derived from the commit sha, the
subprocessor id and the kind of change: the same history always gives the same ids, and
editing the policy (its `public_url`, its company name) does not change them, so feed
readers never show an entry twice. The feed's own id derives from the registry's first
commit (the company name while there is none). Without history (not a git repository, or
no commit yet) the feed has no entries and its `updated` is the last registry commit,
else `today` at midnight UTC.

Titles and texts are in every policy language (page_strings.j2); XML escaping is
Jinja's autoescape (the template's name holds ".xml").
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from subreg import diff, public
from subreg.history import Step
from subreg.model import Policy, Subprocessor
from subreg.public import Public
from subreg.render import publish, words

Kind = Literal["added", "changed", "retired", "removed"]


@dataclass(frozen=True)
class Event:
    """One feed entry: what happened to which subprocessor, in which commit."""

    kind: Kind
    sha: str
    time: int
    sp: Public  # as it was after the change (before it, for a removal)
    fields: tuple[str, ...] = ()  # the public material fields that changed
    effective_on: dt.date | None = None  # the date of a notice new in this change

    @property
    def id(self) -> str:
        return urn(f"subreg:{self.sha}:{self.sp.id}:{self.kind}")

    @property
    def updated(self) -> str:
        return timestamp(self.time)


def urn(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def timestamp(epoch: int) -> str:
    """RFC 3339, UTC: 2026-11-28T03:56:20Z."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _view(sp: Subprocessor, step: Step) -> Public:
    return public.view(sp, step.date)


def _event(step: Step, change: diff.Change, policy: Policy) -> Event | None:
    old, new = change.old, change.new
    if change.kind == "added" and new is not None:
        if change.baseline:
            return None
        return Event("added", step.sha, step.time, _view(new, step), (), _effective(change))
    if change.kind == "removed" and old is not None:
        return None if old.retired_on is not None else Event("removed", step.sha, step.time, _view(old, step))
    if old is None or new is None:
        return None
    if new.retired_on is not None and new.retired_on != old.retired_on:
        return Event("retired", step.sha, step.time, _view(new, step))
    found = diff.material_changes(old, new, change.changed, policy)
    before, after = _view(old, step), _view(new, step)
    visible = public.changes(before, after)  # a change of internal parts only is not public
    fields = tuple(f for f in public.PUBLIC_FIELDS if f in found and f in visible)
    if fields:
        return Event("changed", step.sha, step.time, after, fields, _effective(change))
    return None


def _effective(change: diff.Change) -> dt.date | None:
    if change.new is not None and change.new.notice is not None and change.notice_is_new:
        return change.new.notice.effective_on
    return None


def events(steps: list[Step], policy: Policy) -> list[Event]:
    """The feed's entries, newest first (latest commit first; by id within a commit)."""
    out = []
    for step in reversed(steps):
        for change in step.changes:
            event = _event(step, change, policy)
            if event is not None:
                out.append(event)
    return out


def render(root: Path | None, policy: Policy, steps: list[Step], today: dt.date,
           last_commit: int | None) -> str:
    """feed.xml. `steps` is the first-parent history of the registry, oldest first."""
    env = publish.environment(root)
    entries = events(steps, policy)
    if entries:
        updated = entries[0].updated
    elif last_commit is not None:
        updated = timestamp(last_commit)
    else:
        updated = f"{today.isoformat()}T00:00:00Z"
    feed_id = urn(f"subreg:feed:{steps[0].sha}" if steps else f"subreg:feed:{policy.company}")
    return env.get_template("feed.xml.j2").render(
        sections=words.words(env, list(policy.languages)),
        languages=list(policy.languages),
        company=policy.company,
        feed_id=feed_id,
        updated=updated,
        public_url=publish.https(policy.public_url),
        feed_url=publish.feed_url(policy),
        entries=entries,
        pick=lambda texts, lang: publish.pick(texts, lang, list(policy.languages)),
    )
