"""Jinja2 environments for subreg's outputs.

Templates ship inside the package (`subreg/templates/*.j2`) and can be overridden file by
file from the compliance repo's `templates/` folder. Registry text is only ever passed
to templates as data, never rendered as a template itself.

Overrides are data too (they come in pull requests): every template renders in Jinja2's
`ImmutableSandboxedEnvironment`, so that `{{ lipsum.__globals__ ... }}` and its kind
reach nothing of Python's, and an override is read only when every component of its
path under `templates/` is a real folder or a regular file (a symlinked folder cannot
read host files). A broken override (a syntax error, an undefined value, an unsafe
access, any error while it renders) is exit 2 at the template's `path:line`.

HTML is autoescaped whatever the template's suffix (`select_autoescape` keys on the
suffix, and `page.html.j2` would otherwise not be escaped). `StrictUndefined` makes a
missing value fail loudly instead of printing nothing.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import os
import re
import stat
import types
from collections import abc
from functools import cache, lru_cache
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
import jinja2.environment
import jinja2.runtime
import jinja2.utils
import pydantic
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment

from subreg.errors import InputError

PACKAGE_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


# Templates that produce plain text or Markdown; every other template is escaped as
# HTML/XML, whatever its name, so that a partial or macro called from an HTML template
# can never let registry text through raw.
_PLAIN = (".md.j2", ".txt.j2", "_subject.j2", ".md", ".txt")


def _autoescape(name: str | None) -> bool:
    return name is None or not name.endswith(_PLAIN)


MAX_TEMPLATE_BYTES = 1024 * 1024
OVERRIDES = "templates"


class _Loader(jinja2.FileSystemLoader):
    """The repo's templates/ first, then the package's. An override is read only when
    every component of its path is a real folder or a regular file."""

    def __init__(self, repo: Path | None) -> None:
        self.repo_dir = (repo / OVERRIDES) if repo is not None else None
        if self.repo_dir is not None and self.repo_dir.is_symlink():
            raise InputError.at(OVERRIDES, "is a symlink; templates/ must be a real folder")
        super().__init__([str(PACKAGE_TEMPLATES)], followlinks=False)

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        if self.repo_dir is not None and self.repo_dir.is_dir():
            found = self._override(template)
            if found is not None:
                return found
        return super().get_source(environment, template)

    def _override(self, template: str) -> tuple[str, str, Any] | None:
        """The override of `template` in the repo's templates/, or None when there is none."""
        assert self.repo_dir is not None
        path, rel = self.repo_dir, OVERRIDES
        for part in split_template_path(template):
            path, rel = path / part, f"{rel}/{part}"
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                return None
            if stat.S_ISLNK(st.st_mode):
                raise InputError.at(rel, "is a symlink; templates/ must hold real folders and regular files only")
        if not stat.S_ISREG(st.st_mode):
            raise InputError.at(rel, "is not a regular file")
        if st.st_size > MAX_TEMPLATE_BYTES:
            raise InputError.at(rel, f"template is {st.st_size:,} bytes; the limit is {MAX_TEMPLATE_BYTES:,}")
        try:
            source = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise InputError.at(rel, "is not UTF-8 text") from None
        mtime = st.st_mtime
        return source, str(path), lambda: os.path.exists(path) and os.stat(path).st_mtime == mtime


class SandboxedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with every error of a template turned into exit 2 at its `path:line`."""

    def __init__(self, repo: Path | None, **options: Any) -> None:
        super().__init__(loader=_Loader(repo), **options)
        self.repo_dir = str(repo / OVERRIDES) if repo is not None else None

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`x.name` in a template, as the sandbox has it, without its cost for the
        objects a page is made of (thousands of lookups per page): a key of a plain dict
        that is not one of dict's attributes is its item, as the sandbox finds it (after
        the attribute lookup fails); an attribute of one of subreg's own data classes
        (dataclasses, pydantic models) or of Jinja's loops, namespaces and imported
        templates (`m.macro`) is its value when that is not a method, which is what the
        sandbox's checks let through for such objects (no leading underscore; they are not functions, types, frames,
        code or generators, whose internals it hides, nor mutable containers, whose
        mutating methods it refuses; not `str.format`). Anything else goes to the
        sandbox."""
        kind = type(obj)
        if kind is dict:
            if attribute not in _DICT_ATTRIBUTES and attribute in obj:
                return obj[attribute]
        elif attribute[:1] != "_" and _plain(kind):
            try:
                value = getattr(obj, attribute)
            except AttributeError:
                pass  # the sandbox tries an item then
            else:
                if not isinstance(value, (types.MethodType, types.BuiltinMethodType)):
                    return value
        return super().getattr(obj, attribute)

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """A call from a template, as the sandbox has it: a macro of a template is
        safely callable unless marked otherwise (`unsafe_callable`, `alters_data`),
        which the sandbox finds with two attribute lookups that fail, for each of the
        tens of thousands of macro calls of a long list; here, in the macro's own
        attributes (the class has neither)."""
        if type(__obj) is jinja2.runtime.Macro:
            own = __obj.__dict__
            if "unsafe_callable" not in own and "alters_data" not in own:
                return __context.call(__obj, *args, **kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def handle_exception(self, source: str | None = None) -> Any:
        try:
            super().handle_exception(source)  # re-raises, with the frames of templates rewritten
        except InputError:
            raise
        except Exception as exc:
            located = self._locate(exc)
            if located is None:
                raise
            raise located from None

    def module_of(self, name: str) -> Any:
        """The module of a template (its `{% set %}` values): Jinja evaluates a module's
        body outside `handle_exception`, so its errors are located here."""
        try:
            return self.get_template(name).module
        except InputError:
            raise
        except Exception:
            self.handle_exception()

    def _display(self, filename: str | None) -> tuple[str, bool] | None:
        """How a template file is named in a message, and whether it is an override."""
        if not filename:
            return None
        if self.repo_dir is not None and filename.startswith(self.repo_dir + os.sep):
            return OVERRIDES + "/" + filename[len(self.repo_dir) + 1:].replace(os.sep, "/"), True
        if filename.startswith(str(PACKAGE_TEMPLATES) + os.sep):
            return "subreg/templates/" + filename[len(str(PACKAGE_TEMPLATES)) + 1:], False
        return None

    def _locate(self, exc: Exception) -> InputError | None:
        """exit 2 at the override that failed; None when subreg's own templates failed
        with no override involved (a bug in subreg)."""
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        if isinstance(exc, jinja2.TemplateNotFound):
            message = f"template {exc.name!r} not found (in templates/ or subreg's own)"
        if isinstance(exc, jinja2.TemplateSyntaxError):
            where = self._display(exc.filename) or (f"{OVERRIDES}/{exc.name}", True)
            return InputError.at(where[0], f"template syntax error: {message}", exc.lineno or 0)
        frames = [(self._display(tb.tb_frame.f_code.co_filename), tb.tb_lineno) for tb in _walk(exc.__traceback__)]
        templates = [(where, line) for where, line in frames if where is not None]
        overrides = [(where, line) for where, line in templates if where[1]]
        kind = type(exc).__name__
        if overrides:
            (name, _), line = overrides[-1]
            return InputError.at(name, f"template error ({kind}): {message}", line)
        if templates and self._has_overrides():
            (name, _), line = templates[-1]
            return InputError.at(name, f"template error ({kind}): {message} (in subreg's own template, "
                                 "rendered with the overrides of templates/)", line)
        return None

    def _has_overrides(self) -> bool:
        if self.repo_dir is None or not os.path.isdir(self.repo_dir):
            return False
        with os.scandir(self.repo_dir) as entries:
            return any(True for _ in entries)


_DICT_ATTRIBUTES = frozenset(dir(dict))
_PLAIN_DATA: dict[type, bool] = {}
_JINJA_PLAIN = (jinja2.runtime.LoopContext, jinja2.utils.Namespace, jinja2.environment.TemplateModule)
_INTERNALS = (abc.MutableSet, abc.MutableMapping, abc.MutableSequence, collections.deque, type,
            types.FunctionType, types.MethodType, types.BuiltinMethodType, types.CodeType,
            types.TracebackType, types.FrameType, types.GeneratorType, types.CoroutineType,
            types.AsyncGeneratorType)


def _plain(kind: type) -> bool:
    """Whether objects of `kind` are plain data for the sandbox (see `getattr`)."""
    found = _PLAIN_DATA.get(kind)
    if found is None:
        ours = kind.__module__.startswith("subreg.") and (dataclasses.is_dataclass(kind)
                                                         or issubclass(kind, pydantic.BaseModel))
        found = _PLAIN_DATA[kind] = (ours or kind in _JINJA_PLAIN) \
            and not issubclass(kind, _INTERNALS)
    return found


def _walk(tb: TracebackType | None) -> list[TracebackType]:
    out = []
    while tb is not None:
        out.append(tb)
        tb = tb.tb_next
    return out


def environment(repo: Path | None) -> jinja2.Environment:
    """A sandboxed Jinja2 environment whose templates can be overridden from `repo/templates/`."""
    env = SandboxedEnvironment(
        repo,
        autoescape=_autoescape,  # a function: on for every HTML/XML template
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
    if type(value) is str:  # the same names and texts recur across a list's columns and languages
        return _md_text(value)
    return _md_text_of(value)


@lru_cache(maxsize=1 << 14)
def _md_text(value: str) -> str:
    return _md_text_of(value)


def _md_text_of(value: object) -> str:
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
