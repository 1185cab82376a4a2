"""Jinja2 environments for subreg's outputs.

Templates ship inside the package (`subreg/templates/*.j2`) and can be overridden file by
file from the compliance repo's `templates/` folder. Registry text is only ever passed
to templates as data, never rendered as a template itself.

HTML is autoescaped whatever the template's suffix (`select_autoescape` keys on the
suffix, and `page.html.j2` would otherwise not be escaped). `StrictUndefined` makes a
missing value fail loudly instead of printing nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

PACKAGE_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


# Templates that produce plain text or Markdown; every other template is escaped as
# HTML/XML, whatever its name, so that a partial or macro called from an HTML template
# can never let registry text through raw.
_PLAIN = (".md.j2", ".txt.j2", "_subject.j2", ".md", ".txt")


def _autoescape(name: str | None) -> bool:
    return name is None or not name.endswith(_PLAIN)


class _Loader(jinja2.FileSystemLoader):
    """The repo's templates/ first, then the package's; symlinks leaving the repo are refused."""

    def __init__(self, repo: Path | None) -> None:
        self.repo_dir = (repo / "templates") if repo is not None else None
        paths = [str(PACKAGE_TEMPLATES)]
        if self.repo_dir is not None and self.repo_dir.is_dir():
            paths.insert(0, str(self.repo_dir))
        super().__init__(paths, followlinks=False)

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        if self.repo_dir is not None:
            candidate = self.repo_dir / template
            if candidate.is_symlink():
                from subreg.errors import InputError

                raise InputError.at(f"templates/{template}", "is a symlink; templates must be regular files")
        return super().get_source(environment, template)


def environment(repo: Path | None) -> jinja2.Environment:
    """A Jinja2 environment whose templates can be overridden from `repo/templates/`."""
    env = jinja2.Environment(
        loader=_Loader(repo),
        autoescape=_autoescape,  # noqa: S701 - a function: on for every HTML/XML template
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_cell
    env.filters["md_text"] = md_text
    env.filters["date"] = format_date
    env.filters["country"] = country_name
    env.filters["countries"] = country_names
    return env


# -- escaping -------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md_text(value: object) -> str:
    """Registry text inside Markdown prose: no markup, no HTML, no @mentions, one line."""
    text = re.sub(r"[\r\n\u2028\u2029]+", " ", str(value))
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@\u200b")


def md_cell(value: object) -> str:
    """Registry text inside a Markdown table cell (pipes and line breaks included)."""
    return md_text(value)


# -- per-language formatting ----------------------------------------------------------

def translation(texts: dict[str, str], lang: str, languages: list[str]) -> tuple[str, str]:
    """(text, the language it is written in): the text in `lang`, else in the first
    policy language that has one. A missing translation is a `translations` finding,
    not a reason to print nothing."""
    for candidate in (lang, *languages, *sorted(texts)):
        if candidate in texts:
            return str(texts[candidate]), candidate
    return "", lang


def format_date(value: dt.date | str, lang: str) -> str:
    """A date as the language writes it: "5 March 2025", "5 mars 2025", "1er mars 2025"."""
    from babel.dates import format_date as babel_date

    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    text = str(babel_date(value, "d MMMM y", locale=lang))
    if lang.split("_")[0] == "fr" and value.day == 1:
        text = "1er" + text[1:]  # French writes the first of the month as an ordinal
    return text


@cache
def _territories(lang: str) -> dict[str, str]:
    from babel import Locale

    return dict(Locale.parse(lang).territories)


_SPECIAL = {
    "EU": {"en": "European Union", "fr": "Union européenne"},
    "Global": {"en": "Global", "fr": "Mondial"},
    "CA-QC": {"en": "Quebec (Canada)", "fr": "Québec (Canada)"},  # an ISO 3166-2 subdivision
}


def country_name(code: str, lang: str) -> str:
    """A location code as a name in the reader's language (IN -> India / Inde)."""
    if code in _SPECIAL:
        names = _SPECIAL[code]
        if lang in names:
            return names[lang]
        if code == "EU":
            return _territories(lang).get("EU", names["en"])
        return names["en"]
    return _territories(lang).get(code, code)


def country_names(codes: list[str], lang: str) -> str:
    return ", ".join(country_name(c, lang) for c in codes)
