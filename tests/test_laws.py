"""The transfer laws' data (src/subreg/data/laws/*.yaml): every file valid against the
schema of subreg.laws, one per law the policy can name, with its sources; and the loader
refuses a broken file with `path:line:col: message`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import POLICY, dump
from subreg import laws, model, yamlio
from subreg.errors import InputError


def test_one_valid_file_per_law() -> None:
    files = sorted(p.stem for p in laws.LAWS_DIR.glob("*.yaml"))
    assert files == sorted(laws.LAW_IDS) == sorted(
        ["gdpr", "uk-gdpr", "swiss-fadp", "quebec", "pipeda", "ccpa", "none"])
    for law_id in laws.LAW_IDS:
        data = laws.read(laws.LAWS_DIR / f"{law_id}.yaml")  # the schema, uncached
        assert data.id == law_id
        assert set(data.name) == set(data.short) == set(data.summary) == {"en", "fr"}, law_id
        assert dt.date(2025, 1, 1) <= data.checked_on, law_id
        for item in [*data.adequacy, *data.mechanisms]:
            assert item.source.strip(), (law_id, item)
            assert item.url is None or item.url.startswith("https://")


def test_each_law_has_the_rule_spec_6_names() -> None:
    rules = {d.id: d.rule for d in laws.all_laws()}
    assert rules == {"gdpr": "adequacy", "uk-gdpr": "adequacy", "swiss-fadp": "adequacy",
                     "quebec": "assessment", "pipeda": "none", "ccpa": "none", "none": "none"}
    assert {d.id for d in laws.all_laws() if d.transfer_assessment} == {"gdpr", "uk-gdpr"}
    mechanisms = {d.id: [m.id for m in d.mechanisms] for d in laws.all_laws() if d.mechanisms}
    assert mechanisms == {"gdpr": ["SCC", "BCR", "DPF"],
                          "uk-gdpr": ["IDTA", "UK Addendum", "UK BCR", "DPF UK Extension"],
                          "swiss-fadp": ["SCC (Swiss amendments)", "BCR", "Swiss-US DPF"]}
    # the US is never adequate as a country: only certified recipients, through a mechanism
    for d in laws.all_laws():
        assert "US" not in {p.place for p in d.adequacy}, d.id
    quebec = laws.law("quebec")
    assert quebec.home is not None and quebec.home.places == ["CA-QC"]


def test_policy_default_adequacy_is_the_gdpr_data() -> None:
    gdpr = laws.law("gdpr")
    assert gdpr.home is not None
    default = laws.gdpr_adequate_default()
    assert default == [p for p in gdpr.home.places if p != "EU"] + [p.place for p in gdpr.adequacy]
    assert "US" not in default and {"CH", "GB", "JP", "BR", "NO"} <= set(default)
    policy = model.parse(model.Policy, yamlio.loads(dump(POLICY).encode(), "p"))
    assert policy.adequate_countries == default
    assert policy.law("eu") == "gdpr" and policy.law("us") == "none"
    assert "subprocessors" in policy.material_fields


@pytest.mark.parametrize(("mechanism", "invalid"), [
    ("Privacy Shield", True), ("EU-U.S. Privacy-Shield", True), ("Swiss-US Privacy Shield", True),
    ("Safe Harbour", True), ("SCC (2010)", True), ("Decision 2004/915/EC", True),
    ("SCC", False), ("DPF", False), ("IDTA", False),
])
def test_never_valid_mechanisms(mechanism: str, invalid: bool) -> None:
    assert (laws.invalid_reason(mechanism) is not None) is invalid


GOOD = """id: none
name: {en: n, fr: n}
short: {en: n, fr: n}
summary: {en: n, fr: n}
source: s
checked_on: 2026-01-01
rule: none
"""


@pytest.mark.parametrize(("text", "message"), [
    (GOOD.replace("rule: none", "rule: nothing"), ":7:7: rule: Input should be 'adequacy', 'assessment' or 'none'"),
    (GOOD + "adequcy: []\n", ":8:1: unknown field 'adequcy'"),
    (GOOD.replace("2026-01-01", "2026-02-30"), ":6:13: checked_on: '2026-02-30' is not a real date"),
    (GOOD.replace("id: none", "id: ccpa"), "the file of law 'ccpa' must be named ccpa.yaml"),
    (GOOD + "transfer_assessment: true\n", "only a law with rule 'adequacy' lists adequacy"),
    (GOOD.replace("rule: none", "rule: assessment"), "needs its home places"),
    (GOOD.replace("rule: none", "rule: assessment") + "home: {places: [CA-QC], source: q}\n",
     "needs an assessment_label"),
    (GOOD.replace("rule: none", "rule: adequacy") + "home: {places: [DE], source: q}\n", "needs an adequacy_label"),
    (GOOD.replace("rule: none", "rule: adequacy") + "home: {places: [DE], source: q}\nadequacy_label: {en: a}\n"
     "mechanisms:\n  - {id: SCC, names: [SCCs], kind: safeguard, source: s}\n", "its id must be one of its names"),
    (GOOD.replace("rule: none", "rule: adequacy") + "home: {places: [DE], source: q}\nadequacy_label: {en: a}\n"
     "mechanisms:\n  - {id: SCC, names: [SCC], kind: safeguard, source: s}\n"
     "  - {id: S-C-C, names: [S-C-C], kind: safeguard, source: s}\n", "belongs to both SCC and S-C-C"),
    (GOOD.replace("rule: none", "rule: adequacy") + "home: {places: [DE], source: q}\nadequacy_label: {en: a}\n"
     "adequacy:\n  - {place: JP, source: a}\n  - {place: JP, source: b}\n", "a place is listed twice"),
    (GOOD.replace("rule: none", "rule: adequacy") + "home: {places: [DE], source: q}\nadequacy_label: {en: a}\n"
     "adequacy:\n  - {place: Japan, source: a}\n", "'Japan' is not a location"),
])
def test_a_broken_law_file_is_refused_with_its_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "none.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        laws.read(path)
    assert str(exc.value).startswith("subreg/data/laws/none.yaml:"), str(exc.value)
    assert message in str(exc.value)


def test_unknown_law_id() -> None:
    with pytest.raises(InputError, match="unknown transfer law 'gdrp'"):
        laws.law("gdrp")


@pytest.mark.parametrize(("place", "places", "inside"), [
    ("CA-QC", {"CA"}, True), ("CA-QC", {"CA-QC"}, True), ("CA", {"CA-QC"}, False),
    ("CA-QC", {"US"}, False), ("DE", {"DE"}, True), ("US", {"DE"}, False),
])
def test_within_a_place_or_its_country(place: str, places: set[str], inside: bool) -> None:
    assert laws.within(place, places) is inside


@pytest.mark.parametrize("listing", ["adequacy:\n  - {place: JP, source: a}\n",
                                     "mechanisms:\n  - {id: SCC, names: [SCC], kind: safeguard, source: s}\n",
                                     "transfer_assessment: true\n"])
def test_only_an_adequacy_law_lists_adequacy_mechanisms_or_assessments(tmp_path: Path, listing: str) -> None:
    path = tmp_path / "none.yaml"
    path.write_text(GOOD + listing, encoding="utf-8")
    with pytest.raises(InputError, match="only a law with rule 'adequacy' lists adequacy, mechanisms or"):
        laws.read(path)
