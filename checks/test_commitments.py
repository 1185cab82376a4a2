"""AI Sales Agent's own commitments, from its published subprocessor list, that subreg's
built-in checks do not cover.

`subreg check` and `subreg audit` run these next to the built-in checks (so `make run`
does); `pytest checks/` runs them alone on the working tree. Each function is one
check: its id is its name without `test_`, dashes for underscores, and a failing
`assert` is a finding at the line of the first `subprocessor.<field>` it names.
"""

from __future__ import annotations

from subreg.model import Policy, Subprocessor

# The EU/EEA: where the EU residency region's data may be processed without a transfer.
EEA = {
    "EU", "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
}

# Names of compliance claims and transfer frameworks that are not security
# certifications. The seed list showed two of them in its certifications column.
NOT_CERTIFICATIONS = ("gdpr compliant", "gdpr", "privacy shield", "ccpa compliant", "hipaa compliant")


def test_infrastructure_has_no_personal_data(subprocessor: Subprocessor) -> None:
    """An infrastructure subprocessor has no access to customer personal data.

    Our list says infrastructure subprocessors "provide essential infrastructure but
    have limited or no access to personal data", and their "Data Access" column says
    what little they see. An infrastructure entry with `personal_data: true` breaks
    that sentence.

    Source: our subprocessor list, "Infrastructure Subprocessors".
    Fix: Move it to `tier: core` (and announce it), or, if its access really is that
    limited, keep it here and explain the exception in a waiver of this check
    (policies/waivers.yaml: the reason, who approved it, until when).
    """
    if subprocessor.tier == "infrastructure":
        assert not subprocessor.personal_data, (
            f"{subprocessor.name} is listed as infrastructure, with limited or no access to personal "
            "data, but has personal_data: true: make it a core subprocessor or explain the exception "
            "in a waiver"
        )


def test_optional_integration_is_opt_in(subprocessor: Subprocessor) -> None:
    """An optional integration is engaged only when a customer enables it.

    Our list's "Optional Integrations" table promises "Opt-in Required: Yes" for every
    integration: none may be switched on for all customers. An integration with
    `opt_in: false` is a core subprocessor in disguise.

    Source: our subprocessor list, "Optional Integrations" ("Opt-in Required: Yes").
    Fix: Make it `tier: core`, with a customer notice, or set `opt_in: true`.
    """
    if subprocessor.tier == "integration":
        assert subprocessor.opt_in, (
            f"{subprocessor.name} is an optional integration but has opt_in: false: our list promises "
            "that every integration requires the customer's opt-in"
        )


def test_core_eu_data_stays_in_eu_or_is_safeguarded(subprocessor: Subprocessor, policy: Policy) -> None:
    """A core subprocessor that may touch the EU region's data processes it in the EU, or
    under a contractual safeguard.

    Customers who choose the EU residency region ("primary data stored in EU-West
    (Frankfurt)") expect their data to stay in the EU/EEA. For a core subprocessor with
    personal data whose `regions` include `eu` (all regions when absent), every place
    its data goes, its own `locations` and its chain's, is in the EU/EEA, or the entry
    relies on SCC or BCR (for a US recipient, the DPF also counts). Stricter than the
    GDPR on purpose: an adequacy decision alone is not what we promise these customers.

    Source: our subprocessor list, "Data Residency Options" (European Union: EU-West,
    Frankfurt); GDPR Art. 46.
    Fix: Sign SCC with the subprocessor (or the chain member's processor) and list them
    in `transfer_mechanisms`, or take `eu` out of its `regions`.
    """
    sp = subprocessor
    if sp.tier != "core" or not sp.personal_data or "eu" not in policy.regions:
        return
    if sp.regions is not None and "eu" not in sp.regions:
        return
    chain = [place for member in sp.subprocessors for place in member.locations]
    outside = _unsafeguarded(subprocessor.locations + chain, subprocessor.transfer_mechanisms)
    assert not _unsafeguarded(subprocessor.locations + chain, subprocessor.transfer_mechanisms), (
        f"EU-region data of {sp.name} goes to {', '.join(outside)} (its locations or its chain's) "
        "without SCC or BCR (or the DPF for the US)"
    )


def _unsafeguarded(places: list[str], mechanisms: list[str]) -> list[str]:
    """The places outside the EU/EEA that no contractual safeguard covers."""
    listed = {m.upper() for m in mechanisms}
    out = []
    for place in dict.fromkeys(places):
        if place in EEA or listed & {"SCC", "BCR"} or (place == "US" and "DPF" in listed):
            continue
        out.append(place)
    return out


def test_certifications_are_certifications(subprocessor: Subprocessor) -> None:
    """The certifications column lists security certifications, not compliance claims.

    The seed list showed "GDPR compliant" (a legal obligation, not a certification) and
    "Privacy Shield" (a transfer framework, invalid since 16 July 2020) as
    certifications. Customers read the column as audited evidence: list only
    certificates and attestation reports (SOC 2 Type II, ISO 27001, PCI DSS ...).

    Source: our subprocessor list, "Security Certifications"; CJEU C-311/18 (Privacy Shield).
    Fix: Remove the claim from `certifications`; a transfer framework belongs in
    `transfer_mechanisms`.
    """
    claims = [c.name for c in subprocessor.certifications
              if c.name.casefold().strip().startswith(NOT_CERTIFICATIONS)]
    assert not [c for c in subprocessor.certifications if c.name in claims], (
        f"{', '.join(claims)} {'is' if len(claims) == 1 else 'are'} not a security certification: "
        "remove it from certifications"
    )
