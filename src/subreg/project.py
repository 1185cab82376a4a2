"""A compliance repo: where it is, its policy and waivers, its registry at any ref."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from subreg import model, yamlio
from subreg import registry as reg
from subreg.errors import InputError, Problem
from subreg.gitrepo import Git, TreeItem
from subreg.model import Policy, Waiver
from subreg.registry import Registry

WORKTREE = "worktree"
POLICIES = reg.POLICY.rpartition("/")[0]


def find_root(start: Path) -> Path:
    """The nearest folder, from `start` upward, that holds policies/policy.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / reg.POLICY).is_file():
            return folder
    raise InputError(
        f"no {reg.POLICY} in {start} or any folder above it: run subreg inside a "
        "compliance repo, pass --repo, or create one with `subreg init DIR`"
    )


@dataclass(frozen=True)
class Range:
    """base..head, resolved. `head` is a commit sha, or WORKTREE."""

    base: str
    head: str
    base_label: str
    head_label: str


class Project:
    def __init__(self, root: Path, today: dt.date, policy: Policy | None = None) -> None:
        """`policy` stands in for `policies/policy.yaml` when there is none to read (an
        import outside a compliance repo)."""
        self.root = root
        self.today = today
        if policy is not None:
            self.__dict__["policy"] = policy  # the cached_property's value
        self._trees: dict[str, Registry] = {}
        self._listings: dict[str, list[TreeItem] | None] = {}
        self._listings_of: dict[tuple[str, str], list[TreeItem] | None] = {}
        # every entry parsed by this project, by blob id: the working tree, the refs and
        # the history read each content once
        self.parsed: reg.Parsed = {}
        # parse registries with their positions at once (set when every entry is judged:
        # the lines of many findings will be asked for)
        self.positions = False

    def close(self) -> None:
        if "git" in self.__dict__:
            self.git.close()

    @cached_property
    def policy(self) -> Policy:
        policy = reg.load_policy(self.root)
        from babel import Locale, UnknownLocaleError

        for lang in policy.languages:
            try:
                Locale.parse(lang)
            except (UnknownLocaleError, ValueError):
                raise InputError.at(reg.POLICY, f"unknown language {lang!r}") from None
        return policy

    @cached_property
    def waivers(self) -> list[Waiver]:
        return reg.load_waivers(self.root)

    @cached_property
    def git(self) -> Git:
        return Git(self.root)

    # -- registries -----------------------------------------------------------------

    @cached_property
    def worktree(self) -> Registry:
        files = reg.worktree_files(self.root)
        if files is None:
            return Registry(exists=False)
        return reg.build(files, self.policy, parsed=self.parsed, positions=self.positions)

    def at(self, commit: str, label: str = "") -> Registry:
        """The registry at a commit, read straight from git objects (no checkout)."""
        if commit == WORKTREE:
            return self.worktree
        if commit not in self._trees:
            items = self.listing(commit)
            if items is None:
                self._trees[commit] = Registry(exists=False)
            else:
                label = label or commit[:12]
                self._trees[commit] = reg.build(self._blobs(items, label), self.policy, label, self.parsed,
                                                self.positions)
        return self._trees[commit]

    def _blobs(self, items: list[TreeItem], label: str) -> list[tuple[str, bytes | Problem]]:
        good, problems = reg.layout(((i.path, i.kind) for i in items), label)
        by_path = {i.path: i for i in items}
        out: list[tuple[str, bytes | Problem]] = list(problems)
        readable = []
        for path in good:
            item = by_path[path]
            if item.size > yamlio.MAX_BYTES:
                out.append((item.path, Problem(f"{label}:{item.path}", 0, 0,
                                               f"file is {item.size:,} bytes; the limit is {yamlio.MAX_BYTES:,}")))
            else:
                readable.append(item)
        shas = {i.sha: i.path for i in readable}
        contents = dict(self.git.blobs.read_many(shas))
        out.extend((i.path, contents[i.sha]) for i in readable)
        return out

    def listing(self, commit: str) -> list[TreeItem] | None:
        """The registry folder and what it holds at a commit (one `git ls-tree`)."""
        if commit not in self._listings:
            self._listings[commit] = self.git.tree(commit, reg.FOLDER)
        return self._listings[commit]

    def pair(self, rng: Range) -> tuple[Registry, Registry]:
        """(base, head). Entries unchanged since base are shared with head, so only the
        files the change touched are read from git at base.

        Head is read strictly. Base is already merged, so a problem there must not block
        the change that fixes it (SPEC 4): an invalid entry at base stands for its last
        valid state in history (absent when it never had one), and each problem is kept
        in `base.warnings`. A base without a registry is the baseline only when the
        registry never existed in its history."""
        head = self.at(rng.head, rng.head_label)
        items = self.listing(rng.base)
        if items is None:
            return Registry(exists=self.git.touched(rng.base, reg.FOLDER)), head
        head_shas = head.blobs
        base = Registry()
        docs = base.docs
        assert isinstance(docs, reg.Docs)
        changed = []
        for item in items:
            sid = reg.entry_id(item.path)
            if head_shas.get(item.path) == item.sha and sid in head and item.kind == "file":
                base.entries[sid] = head[sid]
                docs.share(sid, head.docs)
            else:
                changed.append(item)
        other, problems = reg.build_lenient(self._blobs(changed, rng.base_label), self.policy, rng.base_label,
                                            self.parsed)
        base.entries.update(other.entries)
        docs.update_from(other.docs)
        for path, found in sorted(problems.items()):
            base.warnings.extend(self._fall_back(base, rng, path, found))
        base.entries = dict(sorted(base.entries.items()))
        return base, head

    def _fall_back(self, base: Registry, rng: Range, path: str, found: list[Problem]) -> list[Problem]:
        """Stand an invalid base entry for its last valid state; say so in each problem."""
        from subreg import history

        last = history.last_valid(self.git, rng.base, path) if reg.check_name(path) is None else None
        if last is None:
            what = "it has no valid earlier state, so the change is judged as if it were absent at base"
        else:
            sha, raw = last
            sp, doc = reg.parse_entry(raw, path, sha[:12])
            base.entries[sp.id], base.docs[sp.id] = sp, doc
            what = f"the change is judged against its last valid state, in commit {sha[:12]}"
        return [replace(p, message=f"{p.message} (invalid at base, already merged: {what})") for p in found]

    def file_at(self, commit: str, rel: str) -> bytes | None:
        """The regular file `rel` at `commit` (see Git.file_at); the policy and the
        waivers from one listing of their folder."""
        folder = rel.rpartition("/")[0]
        if folder != POLICIES:
            return self.git.file_at(commit, rel)
        if (commit, folder) not in self._listings_of:
            self._listings_of[(commit, folder)] = self.git.tree(commit, folder)
        return self.git.file_in(self._listings_of[(commit, folder)], commit, rel)

    def policy_at(self, commit: str) -> tuple[Policy | None, list[Problem]]:
        """The policy at a commit (None when it has none or it is invalid, with why)."""
        try:
            raw = self.file_at(commit, reg.POLICY)
            if raw is None:
                return None, []
            return model.parse(Policy, yamlio.loads(raw, f"{commit[:12]}:{reg.POLICY}")), []
        except InputError as exc:
            return None, exc.problems or [Problem(f"{commit[:12]}:{reg.POLICY}", 0, 0, str(exc))]

    def waivers_at(self, commit: str) -> tuple[list[Waiver], list[Problem]]:
        """The waivers at a commit (none when the file is absent or invalid, with why)."""
        try:
            raw = self.file_at(commit, reg.WAIVERS)
            if raw is None:
                return [], []
            return model.parse_waivers(yamlio.loads(raw, f"{commit[:12]}:{reg.WAIVERS}")), []
        except InputError as exc:
            return [], exc.problems or [Problem(f"{commit[:12]}:{reg.WAIVERS}", 0, 0, str(exc))]

    # -- refs -----------------------------------------------------------------------

    def resolve(self, base: str | None, head: str | None) -> Range:
        """Resolve --base/--head; head defaults to the working tree, base to the
        merge-base of head with the default branch."""
        git = self.git
        git.require_full_history()
        if head is None:
            head_sha, head_label = WORKTREE, WORKTREE
            tip = git.head()
        else:
            head_sha = tip = git.resolve(head)
            head_label = head
        if base is not None:
            base_sha = git.resolve(base)
            if tip is not None:
                git.merge_base(base_sha, tip)  # refuse unrelated histories
            return Range(base_sha, head_sha, base, head_label)
        if tip is None:
            raise InputError("this repository has no commits yet: commit the registry first, or pass --base")
        base_sha = git.default_base(tip)
        return Range(base_sha, head_sha, base_sha[:12], head_label)
