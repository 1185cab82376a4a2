"""The shortcuts taken for speed give what the long way gives."""

from __future__ import annotations

import dataclasses
import json
import random
from typing import Any

import jinja2
import pytest

from subreg.findings import Finding, make
from subreg.render import env as envmod
from subreg.render.publish import json_text


def test_a_finding_as_json_is_its_dataclass() -> None:
    f = make("no-india", "warning", "india", "registry/india.yaml", 7, "message")
    assert f.as_json() == dataclasses.asdict(f)
    assert list(f.as_json()) == [field.name for field in dataclasses.fields(Finding)]


def _value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 4 or roll < 0.3:
        return rng.choice(["a", 'é"\\', None, True, False, 0, -1, 12345, "x\ty", "\u2028"])
    if roll < 0.65:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["k", "é", "a b", "\u2029"]) + str(i): _value(rng, depth + 1) for i in range(rng.randint(0, 4))}


def test_the_public_list_json_is_what_json_dumps_writes() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        value = _value(rng)
        assert json_text(value) == json.dumps(value, indent=2, ensure_ascii=False)
    for odd in ([1.5], {"t": (1, 2)}, {1: "a"}, {"deep": [{}, []]}):  # not plain: json.dumps itself
        assert json_text(odd) == json.dumps(odd, indent=2, ensure_ascii=False)


@dataclasses.dataclass(frozen=True)
class _Mine:
    name: str
    _hidden: str = "secret"

    def shout(self) -> str:
        return self.name.upper()


_Mine.__module__ = "subreg.test_speed_fixture"  # one of subreg's own data classes


@pytest.mark.parametrize("template", [
    "{{ d.a }}", "{{ d.items }}", "{{ d.missing is defined }}", "{{ m.name }}", "{{ m.shout() }}",
    "{{ m._hidden is defined }}", "{{ m.nothing is defined }}", "{% for x in [1, 2] %}{{ loop.index }}"
    "{{ loop.last }}{% endfor %}", "{% set n = namespace(v=1) %}{{ n.v }}", "{{ d.get('a') }}",
    "{{ m.__class__ is defined }}", "{{ s.upper() }}",
])
def test_template_lookups_are_the_sandboxs(template: str) -> None:
    """The fast lookups (dict keys, subreg's data classes, loops, namespaces) give what
    Jinja's sandbox gives, unsafe attributes refused alike."""
    context = {"d": {"a": 1}, "m": _Mine("x"), "s": "text"}
    ours = envmod.environment(None).from_string(template).render(context)
    theirs = jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=True) \
        .from_string(template).render(context)
    assert ours == theirs


def test_an_unsafe_macro_stays_uncallable() -> None:
    environment = envmod.environment(None)
    template = environment.from_string("{% macro m() %}x{% endmacro %}{{ m() }}")
    assert template.render() == "x"
    module = environment.from_string("{% macro m() %}x{% endmacro %}").module
    module.m.unsafe_callable = True
    with pytest.raises(jinja2.sandbox.SecurityError):
        environment.from_string("{{ mod.m() }}").render(mod=module)
