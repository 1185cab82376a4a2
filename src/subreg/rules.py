"""Documentation of the check ids produced outside pytest (for `subreg explain`).

Each function is named after its id (underscores for dashes) and documents the rule in
the shape of the built-in checks' docstrings. The functions do nothing: the rules are
applied in `findings.py` (waivers), `session.py` and `strictness.py` (the policy of a
pull request) and `commands/audit.py` (the replay).
"""

from __future__ import annotations


def policy_relaxed() -> None:
    """The change relaxes the policy; it is judged by the stricter one.

    A pull request cannot lower the bar it is judged by: `check` judges base..head by
    the stricter of the base's and the head's `policies/policy.yaml`, setting by
    setting (the longer `notice_period_days`, the shorter `notice_grace_days`, every
    language and material field of both, the adequate countries and recognized
    certifications common to both, the wider warning windows, the lower
    `max_breach_notice_hours` and `due_diligence_max_age_days`), and reports each
    relaxation at its line of the policy, so that it takes effect only once merged. A
    change of the first language (which decides what a translation fix is) is reported
    too. A tightening applies at once.

    Severity: warning
    Source: subreg's gate design (SPEC 4): the rules a change is judged by are not the
    change's to set.
    Fix: Nothing, if the relaxation is intended and approved: it applies once merged.
    """


def waiver_new() -> None:
    """A waiver added by the change (warning, so that the reviewer sees it).

    Waivers added in a pull request apply to it (an emergency replacement comes with its
    waiver of `notice-period`), but each is reported, naming the check, the subprocessor
    and the `approved_by`, so that the reviewer can check the approval. A waiver whose
    terms change (a later `expires_on`, another approver) counts as new.

    Severity: warning
    Source: subreg's gate design (SPEC 4); the accountability of GDPR Art. 5(2).
    Fix: Confirm the approval with the approver named; nothing to change in the files.
    """


def waiver_expired() -> None:
    """A waiver past its expires_on.

    An expired waiver no longer waives anything, and is itself an error until it is
    deleted, so that no exception outlives its approval unnoticed. In the audit's replay,
    a past commit is judged with the waivers of that commit, as they stood then.

    Severity: error
    Source: subreg's waiver rules (SPEC 3).
    Fix: Fix what it waived and delete it, or renew it with a new approval and date.
    """


def waiver_expiring() -> None:
    """A waiver expires within 14 days.

    Reported in `check` and the audit at the waiver's own line of
    `policies/waivers.yaml`, while there is still time to fix what it waives or renew it.

    Severity: warning
    Source: subreg's waiver rules (SPEC 3).
    Fix: Fix what it waives before `expires_on`, or renew it with a new approval.
    """


def waiver_unused() -> None:
    """A waiver that matched no failure, where it could have.

    On a pull request, only waivers of the subprocessors in scope (those the change
    touches) are judged; with `--all` and in the audit, a waiver that waived nothing at
    head and nothing in the replay of the history. An emergency waiver of
    `notice-period` is therefore reported once its subprocessor is live: it can be
    deleted, and the audit stays green (the replay judges the past commit with the
    waivers of that commit).

    Severity: warning
    Source: subreg's waiver rules (SPEC 3).
    Fix: Delete the waiver.
    """


def history_invalid() -> None:
    """A file already merged is invalid: in an old commit, or at the base of a change.

    History cannot be rewritten, so an invalid file in a past commit is reported and the
    entry keeps its last valid state in the replay. At the base of a pull request, an
    invalid entry does not block the change that fixes it: the change is judged against
    the entry's last valid state in history (as absent when it never had one), and an
    invalid base policy or waivers file is replaced by head's. Head is always read
    strictly.

    Severity: warning
    Source: subreg's reading rules (SPEC 4, "Invalid base").
    Fix: Fix the file at head; the pull request that fixes it passes.
    """
