"""Check ids produced outside pytest, documented in the shape of the built-in checks'
docstrings (first line: the rule; then why; then Severity, Source and Fix), for
`subreg explain` and the generated reference."""

from __future__ import annotations


def undeclared_subprocessor() -> None:
    """Product code uses a third-party service that no current registry entry declares.

    `subreg scan` found evidence in SOURCE that the product uses a service of the
    catalogue (or one an entry's `detect` describes): a runtime dependency in a
    manifest, a URL host in source code, a Terraform provider, or a variable of an
    `.env*` template or deployment manifest. No current entry of the registry (not
    retired, any tier) is linked to that service, by `detect.catalog`, by its website,
    by its name or by its legal entity. A service in use that the list does not name is
    the most common broken subprocessor promise: the data flows before customers were
    told. On a pull request (`--base`), only what the change adds counts.

    Severity: error
    Source: GDPR Art. 28(2) and 28(4): no sub-processor without the controller's prior
    authorisation; the DPA's notice clause.
    Fix: Add the proposed `registry/<id>.yaml` (printed with the finding), complete its
    TODOs and let it meet the notice gate; or remove the use; or, if the evidence is
    wrong, waive `undeclared-subprocessor` for the catalogue id with a reason.
    """


def activation_before_notice() -> None:
    """Product code uses a subprocessor whose notice is not yet effective.

    The service is declared, but every current entry linked to it carries a notice
    whose `effective_on` is after today: customers are still within their notice
    period, and may object. The code may not send the service customers' data before
    that day.

    Severity: error
    Source: GDPR Art. 28(2); the notice period of the DPA (policy `notice_period_days`).
    Fix: Merge the code on or after the entry's `effective_on`, or keep it behind a
    switch that stays off until then.
    """


def unused_subprocessor() -> None:
    """A current core entry that the scanned code shows no sign of using.

    In a whole-tree scan (no `--base`), a current core entry linked to a catalogue
    service (or with its own `detect`) has no evidence anywhere in SOURCE. Either the
    service is no longer used, and the public list overstates what is shared, or the
    scan cannot see how it is used (a service reached only through infrastructure, or
    from another repository).

    Severity: warning
    Source: GDPR Art. 5(1)(a) and 28: the list customers rely on should be accurate.
    Fix: Retire the entry (`retired_on`) if it is no longer used; or scan the
    repository that uses it; or describe how to see it with `detect`.
    """
