"""Check ids produced outside pytest, documented for `subreg explain` and the reference.

Each function is named after its check id (underscores for dashes) and exists only for
its docstring.
"""

from __future__ import annotations


def history_invalid() -> None:
    """A past commit holds something subreg cannot read; it is skipped, not fatal.

    The nightly audit and `publish` read the whole history of `registry/`, and a past
    commit can no longer be fixed. Whatever a commit holds that cannot be read is
    reported as a warning naming that commit, and the entry keeps its last readable
    state (no false removal, no false addition in the replay or the feed): a registry
    file that does not parse or fails the schema; a file under `registry/` that is not a
    regular `<id>.yaml` file (a submodule, a symlink, a file name with control
    characters or bytes that are not UTF-8); a committer date that cannot be used
    (malformed, or after the year 9999), in which case the commit is dated as the one
    before it.

    Severity: warning
    Source: subreg (the audit's replay of history, SPEC section 3 and 8).
    Fix: Nothing can change a merged commit; the warning stays while that commit is in
    the history. Make sure the current registry is valid, and refuse such files in pull
    requests (the gate does).
    """
