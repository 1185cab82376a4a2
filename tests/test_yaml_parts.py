"""The history's fast YAML path (yamlio._by_parts) reads every document as the strict
parser does: the same data, or no shortcut at all (then the whole document is parsed
and reports what is wrong). Checked on mutations of real registry files with the
constructs that could read otherwise in a part than in the whole."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from subreg import yamlio
from subreg.errors import InputError

ROOT = Path(__file__).resolve().parents[1]

SNIPPETS = [
    '"quoted\n', "'single\n", "[1,\n", "{a: 1,\n", "key: |\n", "  indented\n", "\tx: 1\n", "# comment\n", "\n",
    "---\n", "...\n", "--- \n", "--- x\n", "... # e\n", "%YAML 1.1\n", "? complex\n", ": value\n", "- item\n",
    "name: dup\n", "a: &x 1\n", "b: *x\n", "c: !!str 1\n", "<<: {}\n", "null: 1\n", "~: 2\n", "x:y\n", "k:\n",
    "  - a\n", "  - b\n", 'z: "multi\nline"\n', "w: 'it''s\n  more'\n", "v: >\n  folded\n\n  text\n",
    "u: plain\n  continued\n", "t: [a, b]\n", "s: {x: 1}\n", 'r: "\\x01"\n', 'q: "a\n b"\n', "p:\n  x:\n    y: 1\n",
    "O: yes\n", "\ufeffbom: 1\n", "key : spaced\n", "k2:  \n", "purpose:\n  en: X\n", "  en: Y\n", "x: 1 # c\n",
    "y: 'a' 'b'\n", "  # indented comment\n", "e: \n  f\n", "key: ---\n", "- a\n", "k: \\\n", 'a: "x\\\n  y"\n',
    "a: 'x\n", "x: |2\n   y\n", "x: |-\n  y\n\n", "x: >+\n  y\n\n\n", "  z\n", " - q\n", "k: [\n  1, 2]\n",
    "k: {\n}\n", "k: \t1\n", "k:\t1\n", "K: 'a\n\n b'\n", "z: a:b\n", "z: a: b\n", "y: - a\n", "q: @x\n",
    "q: |\n\ttab\n", "k: v\r\n", "\r\n", "k:\r\n  - a\r\n",
]


def _whole(text: str) -> object:
    try:
        return yamlio._build(text, "registry/x.yaml", False).data
    except (InputError, yaml.YAMLError) as exc:
        return exc


@pytest.mark.parametrize("seed", range(3))
def test_parts_read_as_the_whole_document(seed: int) -> None:
    rng = random.Random(seed)
    base = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "registry").glob("*.yaml"))]
    yamlio._PARTS.clear()
    by_parts = 0
    for _ in range(4000):
        lines = rng.choice(base).splitlines(keepends=True)
        for _ in range(rng.randint(0, 4)):
            lines.insert(rng.randint(0, len(lines)), rng.choice(SNIPPETS))
        if lines and rng.random() < 0.3:
            del lines[rng.randrange(len(lines))]
        text = "".join(lines)
        parts = yamlio._by_parts(text, "registry/x.yaml")
        if parts is not None:
            by_parts += 1
            assert parts == _whole(text), text
    assert by_parts > 500  # the shortcut was taken often enough to mean something
    assert len(yamlio._PARTS) > 100


def test_a_part_met_before_is_not_parsed_again() -> None:
    one = b"name: Acme\ntier: core\n"
    two = b"name: Acme\ntier: infrastructure\n"
    assert yamlio.loads(one, "registry/a.yaml", marks=False, parts=True).data == {"name": "Acme", "tier": "core"}
    assert "name: Acme\n" in yamlio._PARTS
    assert yamlio.loads(two, "registry/a.yaml", marks=False, parts=True).data == {"name": "Acme",
                                                                                 "tier": "infrastructure"}


@pytest.mark.parametrize("text", [
    "name: Acme\n---\ntier: core\n",  # a second document: the whole says so
    "name: Acme\n...\ntier: core\n",
    "name: Acme\nname: Other\n",  # a key given twice
    'name: "Acme\ntier: core"\n',  # a quote that runs on into the next part
    "  name: Acme\n",  # no top-level key at the start of a line
    "x\nname: Acme\n",  # text before the first key
])
def test_documents_the_parts_cannot_read_are_read_whole(text: str) -> None:
    assert yamlio._by_parts(text, "registry/x.yaml") is None
    whole = _whole(text)
    if isinstance(whole, Exception):
        with pytest.raises(InputError):
            yamlio.loads(text.encode(), "registry/x.yaml", marks=False, parts=True)
    else:
        assert yamlio.loads(text.encode(), "registry/x.yaml", marks=False, parts=True).data == whole
