"""The words of the public outputs, per language, from page_strings.j2.

subreg ships English and French. A compliance repo's `templates/page_strings.j2` sets
`strings` too, and only what it changes: for a language subreg ships, each key it gives
replaces that key's default (a key's whole value: a list or a mapping is replaced, not
merged); a language subreg does not ship must give every key. A policy language that
neither has is written in English, and marked `lang="en"` where it appears.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2

from subreg.errors import InputError
from subreg.render import env as envmod

FILE = "page_strings.j2"
_WHERE = f"templates/{FILE}"


@dataclass(frozen=True)
class Words:
    """The words of one policy language (`lang`); `words_lang` is the language they are
    really in ("en" when no words exist for `lang`)."""

    lang: str
    words_lang: str
    t: dict[str, Any]


def _strings(env: jinja2.Environment) -> dict[str, dict[str, Any]]:
    assert isinstance(env, envmod.SandboxedEnvironment)
    strings = getattr(env.module_of(FILE), "strings", None)
    if not isinstance(strings, dict) or not all(isinstance(k, str) and isinstance(v, dict)
                                                for k, v in strings.items()):
        raise InputError.at(_WHERE, "must set `strings`: a mapping of each language to a mapping of words")
    return strings


@cache
def defaults() -> dict[str, dict[str, Any]]:
    """subreg's own words (its page_strings.j2, without overrides)."""
    return _strings(envmod.environment(None))


def merged(env: jinja2.Environment) -> dict[str, dict[str, Any]]:
    """subreg's words with the compliance repo's over them."""
    base = defaults()
    strings = _strings(env)
    out = {lang: dict(words) for lang, words in base.items()}
    for lang, words in strings.items():
        if lang in base:
            out[lang].update(words)
            continue
        missing = [key for key in base["en"] if key not in words]
        if missing:
            shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
            raise InputError.at(_WHERE, f"language {lang!r} is not one subreg ships: it must give every "
                                f"key of 'en'; missing: {shown}")
        out[lang] = dict(words)
    return out


def words(env: jinja2.Environment, languages: list[str]) -> list[Words]:
    strings = merged(env)
    out = []
    for lang in languages:
        have = lang if lang in strings else "en"
        out.append(Words(lang, have, strings[have]))
    return out


def language_name(lang: str) -> str:
    """A language's name in that language, as a language switch writes it: "English",
    "Français", "Deutsch"."""
    from babel import Locale  # the policy's languages are ones Babel knows (registry.py)

    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]
