"""No internal field is published (SPEC 2): `index.html`, `index.L.html`, the Markdown
lists, `subprocessors.json` and the feed carry only the public fields.

The internal fields are found by introspecting the pydantic models, nested ones included:
every field of `Subprocessor` (and of the models inside it) that the allow-list
(`subreg.public`) does not name. A field added to the model later is internal until it
is added to the allow-list, and this test covers it without a change.

Two tests: every internal field gets a unique sentinel value (where its type allows one:
text, dates, numbers) and no output holds any of them; and a registry whose internal
fields all differ (booleans and enumerations too) publishes byte-identical outputs.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import types
import typing
from itertools import count
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from conftest import Repo, dump, entry
from subreg import public
from subreg.model import Subprocessor

OUTPUTS = ["index.html", "index.fr.html", "subprocessors.en.md", "subprocessors.fr.md",
           "subprocessors.json", "feed.xml"]
TODAY = "2025-03-15"


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> X; Annotated stays (its validators decide what a text may be)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return args[0]
    return annotation


def _base(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


class Sentinels:
    """Values for every field of a model, unique where the type allows it: `tokens`
    maps each unique value (as it would be written) to the field path that holds it.
    `alternate` gives other values for every field (booleans and enumerations too)."""

    def __init__(self, alternate: bool = False) -> None:
        self.alternate = alternate
        self.n = count(1)
        self.tokens: dict[str, str] = {}
        self.shared: list[str] = []  # paths whose type allows no unique value (bool, enum)

    def value(self, annotation: Any, path: str) -> Any:
        alternate = self.alternate
        annotation = _unwrap(annotation)
        base = _base(annotation)
        origin = typing.get_origin(base)
        if isinstance(base, type) and issubclass(base, BaseModel):
            return self.model(base, path)
        if origin is list:
            return [self.value(typing.get_args(base)[0], f"{path}[0]")]
        if origin is dict:
            key_type, value_type = typing.get_args(base)
            keys = self._keys(key_type, path)
            return {k: self.value(value_type, f"{path}.{k}") for k in keys}
        if origin is Literal:
            self.shared.append(path)
            options = typing.get_args(base)
            return options[-1] if alternate else options[0]
        if base is bool:
            self.shared.append(path)
            return "false" if alternate else "true"
        n = next(self.n)
        if base is int:
            number = str(86400 + n + (1000 if alternate else 0))
            self.tokens[number] = path
            return number
        if base is dt.date:
            year = 2900 + n
            self.tokens[str(year)] = path
            return f"{year}-{'11' if alternate else '07'}-14"
        return self._text(annotation, path, n)

    def _keys(self, key_type: Any, path: str) -> list[str]:
        base = _base(_unwrap(key_type))
        if typing.get_origin(base) is Literal:
            return [str(typing.get_args(base)[0])]
        try:  # a language map: one text per policy language
            TypeAdapter(key_type).validate_python("en")
            return ["en", "fr"]
        except ValidationError:
            return [self._text(key_type, f"{path}.[key]", next(self.n))]

    def _text(self, annotation: Any, path: str, n: int) -> str:
        token = f"zq{'b' if self.alternate else 's'}{n:03d}q"
        adapter = TypeAdapter(annotation)
        for candidate in (token, f"https://{token}.example/", f"{token}@{token}.example", f"{token}.example"):
            try:
                adapter.validate_python(candidate)
            except ValidationError:
                continue
            self.tokens[token] = path
            return candidate
        pytest.fail(f"no sentinel value fits {path} ({annotation}): teach this test its type")

    def model(self, model: type[BaseModel], path: str) -> dict[str, Any]:
        return {name: self.value(info.annotation, f"{path}.{name}" if path else name)
                for name, info in model.model_fields.items() if not info.exclude}


def internal_paths(model: type[BaseModel] = Subprocessor, prefix: str = "",
                   allowed: tuple[str, ...] = public.PUBLIC_FIELDS) -> list[str]:
    """Every field path of the model that the allow-list does not publish."""
    out = []
    for name, info in model.model_fields.items():
        if info.exclude:
            continue  # set by subreg (id, path), not data
        path = f"{prefix}{name}"
        inner = [m for m in _models(info.annotation)]
        if name not in allowed:
            out.append(path)
        elif inner and prefix == "" and name in public.NESTED:
            out += internal_paths(inner[0], f"{path}.", public.NESTED[name])
        elif inner:
            out += internal_paths(inner[0], f"{path}.", tuple(inner[0].model_fields))
    return out


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def test_the_allow_list_names_real_fields() -> None:
    fields = set(Subprocessor.model_fields)
    assert set(public.PUBLIC_FIELDS) <= fields
    for name, inner in public.NESTED.items():
        [model] = _models(Subprocessor.model_fields[name].annotation)
        assert set(inner) <= set(model.model_fields), name
    # what SPEC 2 lists as internal is internal, today's fields and nested ones alike
    found = set(internal_paths())
    assert {"dpa_signed_on", "security", "due_diligence", "transfer_assessed_on", "certifications.expires_on",
            "subprocessors.legal_name", "subprocessors.address", "subprocessors.contact",
            "subprocessors.purpose"} <= found
    assert not found & {"name", "locations", "notice", "certifications.name", "subprocessors.name",
                        "subprocessors.locations"}


def planted(s: Sentinels, **public_fields: Any) -> dict[str, Any]:
    """An entry whose public fields are ordinary (and `public_fields`) and whose internal
    fields (every one, nested included) hold sentinels."""
    data = entry(name="NewCo", legal_name="NewCo SAS", **public_fields)
    member = {"name": "Chain Member Ltd", "locations": ["FR"]}
    for path in internal_paths():
        head, _, rest = path.partition(".")
        annotation = Subprocessor.model_fields[head].annotation
        if not rest:
            data[head] = s.value(annotation, head)
            continue
        assert head in ("certifications", "subprocessors") and "." not in rest, f"teach this test {path}"
        [model] = _models(annotation)
        value = s.value(model.model_fields[rest].annotation, path)
        if head == "certifications":
            data["certifications"] = [{**c, rest: value} for c in data["certifications"]]
        else:
            member[rest] = value
    data["subprocessors"] = [member]
    return data


def history(repo: Repo, s: Sentinels) -> None:
    """A baseline; the sentinel entry added (a feed entry); then a pending change of it,
    of a public field and of every internal one (a feed entry, the upcoming table,
    `pending`). Internal fields are material for the policy: still not published."""
    repo.policy(material_fields=["name", "legal_name", "tier", "personal_data", "locations", "regions", "purpose",
                                 "data_processed", "subprocessors", "dpa_signed_on", "security", "due_diligence",
                                 "certifications"])
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.write("registry/newco.yaml", dump(planted(s, notice={"announced_on": "2025-02-01",
                                                              "effective_on": "2025-03-03"})))
    repo.commit("2025-02-01")
    repo.write("registry/newco.yaml", dump(planted(s, locations=["DE", "AT"], notice={
        "announced_on": "2025-03-01", "effective_on": "2025-04-01"})))
    repo.commit("2025-03-01")


def outputs(out: Path) -> dict[str, bytes]:
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    return {name: (out / name).read_bytes() for name in OUTPUTS}


def test_no_internal_field_reaches_any_public_output(cli, repo: Repo, tmp_path: Path) -> None:
    s = Sentinels()
    history(repo, s)
    # every text, date and number of the internal fields, in each of the two versions
    assert len(s.tokens) >= 22, s.tokens
    out = tmp_path / "site"
    res = cli("--repo", repo.path, "--today", TODAY, "publish", "--out", out)
    assert res.code == 0, res.err
    files = outputs(out)
    # the sentinel entry is on the page, its change pending, and in the feed twice
    page = files["index.html"].decode()
    assert "NewCo" in page and "Chain Member Ltd" in page and "en-upcoming" in page
    assert files["feed.xml"].decode().count("NewCo") >= 2
    leaks = [(name, token, path) for name, raw in files.items() for token, path in s.tokens.items()
             if re.search(rf"(?<![0-9A-Za-z]){token}(?![0-9A-Za-z])".encode(), raw)]
    assert leaks == []

    # subprocessors.json: public keys only, at every level
    data = json.loads(files["subprocessors.json"])
    allowed = set(public.PUBLIC_FIELDS)
    for item in data["subprocessors"]:
        assert set(item) <= allowed | {"status", "pending"}, set(item) - allowed
        assert set(item.get("pending", {})) <= allowed | {"effective_on", "announced_on"}
        for key, inner in public.NESTED.items():
            values = item[key] if isinstance(item[key], list) else [item[key]] if item[key] else []
            assert all(set(v) == set(inner) for v in values), key
    newco = next(i for i in data["subprocessors"] if i["id"] == "newco")
    assert newco["pending"]["locations"] == ["DE", "AT"]
    # nor does an internal field's name reach the feed (a material change of it is not public)
    feed = files["feed.xml"].decode()
    for name in internal_paths():
        assert "." in name or name not in feed, name
    assert "Change to NewCo: location. Location: Germany, Austria." in feed


def test_internal_fields_change_no_byte_of_the_outputs(run, tmp_path: Path) -> None:
    """Every internal field different (booleans and enumerations too): the same outputs.
    Dates stay on the same side of today, so that what the page derives from them (a
    certification in force) is the same."""
    sites = []
    for alternate in (False, True):
        repo = Repo(tmp_path / f"repo-{alternate}")
        history(repo, Sentinels(alternate))
        out = tmp_path / f"site-{alternate}"
        res = run("--repo", repo.path, "--today", TODAY, "publish", "--out", out)
        assert res.code == 0, res.err
        sites.append(outputs(out))
    first, second = sites
    for name in OUTPUTS:
        a, b = first[name], second[name]
        if name == "feed.xml":  # entry ids derive from commit ids, which differ with the content
            a, b = (re.sub(rb"urn:uuid:[0-9a-f-]+", b"urn:uuid:*", x) for x in (a, b))
        assert a == b, name
