"""Unit tests of the strict YAML reader and the models."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import POLICY, dump, entry
from subreg import model, yamlio
from subreg.errors import InputError, Problem


def parse_entry(data: dict) -> model.Subprocessor:
    return model.parse(model.Subprocessor, yamlio.loads(dump(data).encode(), "registry/x.yaml"))


def errors_of(data: dict) -> list[str]:
    with pytest.raises(InputError) as info:
        parse_entry(data)
    return [p.message for p in info.value.problems]


def test_scalars_stay_text_until_typed() -> None:
    doc = yamlio.loads(b"a: NO\nb: 2024-01-01\nc: ~\nd: '~'\ne: 1.0\nf: [on, off]\n", "f.yaml")
    assert doc.data == {"a": "NO", "b": "2024-01-01", "c": None, "d": "~", "e": "1.0", "f": ["on", "off"]}
    assert doc.marks[("f", 1)] == (6, 9) and doc.key_marks[("b",)] == (2, 1)


def test_bom_and_crlf_are_fine() -> None:
    doc = yamlio.loads("\ufeffname: Société\r\ntier: core\r\n".encode(), "f.yaml")
    assert doc.data == {"name": "Société", "tier": "core"}


@pytest.mark.parametrize(("text", "message"), [
    ("a: !!binary aGVsbG8=\n", "YAML tags are not allowed"),
    ("a: !!map {x: 1}\n", "YAML tags are not allowed"),
    ("? [a, b]\n: c\n", "mapping keys must be plain text"),
    ("a: 1\n---\na: 2\n", "only one YAML document"),
])
def test_reader_refuses(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        yamlio.loads(text.encode(), "f.yaml")
    assert message in str(info.value)


def test_norway_and_booleans() -> None:
    sp = parse_entry(entry(locations=["NO", "EU", "Global"], personal_data="True"))
    assert sp.locations == ["NO", "EU", "Global"] and sp.personal_data is True
    assert "'us' is not a location" in errors_of(entry(locations=["us"]))[0]
    assert "did you mean 'Global'" in errors_of(entry(locations=["global"]))[0]
    assert "'XX' is not a location" in errors_of(entry(locations=["XX"]))[0]


def test_opt_in_defaults_by_tier() -> None:
    assert parse_entry(entry(tier="integration")).opt_in is True
    assert parse_entry(entry(tier="core")).opt_in is False
    sp = parse_entry(entry(tier="integration", opt_in=False))
    assert sp.opt_in is False and sp.needs_notice()


def test_entity_defaults_to_name() -> None:
    sp = parse_entry(entry(legal_name=None))
    assert sp.entity == "Acme Analytics"
    assert model.identity("Stripe, Inc.") == model.identity("stripe inc")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("contact", "not a mail", "neither an e-mail address nor an https:// link"),
    ("contact", "http://example.com/privacy", "neither an e-mail address"),
    ("website", "https://", "not an https:// link"),
    ("name", "  ", "must not be empty"),
    ("purpose", {"en": "a\x00b", "fr": "x"}, "code point U+0000 is not allowed"),
    ("purpose", {"EN": "a"}, "not a language code"),
    ("replaces", "Not An Id", "is not an id"),
    ("security", {"encryption_at_rest": True, "encryption_in_transit": True,
                  "breach_notice_hours": "lots", "audit_rights": True}, "'lots' is not a whole number"),
    ("locations", [], "must not be empty"),
    ("certifications", "ISO 27001", "expected a list"),
    ("security", None, ""),
])
def test_field_errors(field: str, value: object, message: str) -> None:
    if value is None:
        data = entry()
        data[field] = None  # an explicit null where a mapping may be absent is fine
        assert parse_entry(data).security is None
        return
    assert any(message in m for m in errors_of(entry(**{field: value})))


def test_contacts_accept_https_and_mail() -> None:
    assert parse_entry(entry(contact="https://example.com/privacy")).contact == "https://example.com/privacy"
    assert parse_entry(entry(contact="privacy@example.com")).contact == "privacy@example.com"


def test_policy_defaults_and_overrides() -> None:
    policy = model.parse(model.Policy, yamlio.loads(dump(POLICY).encode(), "p.yaml"))
    assert policy.max_breach_notice_hours == 72 and policy.due_diligence_max_age_days == 365
    assert "US" not in policy.adequate_countries and "CH" in policy.adequate_countries
    assert "tier" in policy.material_fields and policy.sender == "privacy@example.com"
    custom = model.parse(model.Policy, yamlio.loads(dump({**POLICY, "adequate_countries": ["US"]}).encode(), "p"))
    assert custom.adequate_countries == ["US"]
    with pytest.raises(InputError, match="each language may appear once"):
        model.parse(model.Policy, yamlio.loads(dump({**POLICY, "languages": ["en", "en"]}).encode(), "p"))
    with pytest.raises(InputError, match="material_fields"):
        model.parse(model.Policy, yamlio.loads(dump({**POLICY, "material_fields": ["colour"]}).encode(), "p"))


def test_waivers_file() -> None:
    ok = "- {check: dpa, subprocessor: acme, reason: r, approved_by: me, expires_on: 2025-01-01}\n"
    [w] = model.parse_waivers(yamlio.loads(ok.encode(), "w.yaml"))
    assert w.expires_on == dt.date(2025, 1, 1)
    assert w.line == 1
    assert model.parse_waivers(yamlio.loads(b"", "w.yaml")) == []
    with pytest.raises(InputError, match="unknown field 'line'"):
        model.parse_waivers(yamlio.loads(ok.replace("check:", "line: 9, check:").encode(), "w.yaml"))
    with pytest.raises(InputError, match="expected a list of waivers"):
        model.parse_waivers(yamlio.loads(b"check: dpa\n", "w.yaml"))
    with pytest.raises(InputError) as info:
        model.parse_waivers(yamlio.loads((ok + "- {check: Bad Id}\n").encode(), "w.yaml"))
    assert Problem("w.yaml", 2, 11, "check: 'Bad Id' is not an id (lowercase letters, digits and dashes)") \
        in info.value.problems


def test_problem_formatting() -> None:
    assert str(Problem("a.yaml", 3, 4, "bad")) == "a.yaml:3:4: bad"
    assert str(Problem("a.yaml", 3, 0, "bad")) == "a.yaml:3: bad"
    assert str(Problem("a.yaml", 0, 0, "bad")) == "a.yaml: bad"
    assert str(InputError("plain message")) == "plain message"


def test_the_countries_are_babels_and_the_file_is_one_sorted_code_a_line() -> None:
    # data/countries.txt stands in for Babel's locale data at run time: it must be Babel's list
    assert model.countries() == model.babel_countries()
    assert {"DE", "FR", "US", "IN", "CH"} <= model.countries() and not {"EU", "ZZ", "419"} & model.countries()
    assert model.COUNTRIES.read_text(encoding="ascii") == "\n".join(sorted(model.babel_countries())) + "\n"


def test_identity_keeps_exactly_the_casefolded_letters_and_digits_of_every_character() -> None:
    # the regular expression stands for "".join(ch for ch in name.casefold() if ch.isalnum())
    every = "".join(map(chr, range(0x110000)))
    assert model.identity(every) == "".join(ch for ch in every.casefold() if ch.isalnum())
    assert model.identity("Straße_GmbH & Co. KG") == "strassegmbhcokg"
    assert model.identity("ＯｐｅｎＡＩ, L.L.C.") == "ｏｐｅｎａｉllc" and model.identity("Ⅻ-٣") == "ⅻ٣"
