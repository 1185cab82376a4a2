"""The strict YAML reader used for every file subreg reads.

YAML is read as data, never as a program: every scalar stays text (so `NO` is Norway
and `2024-13-01` reaches the schema as text, to be refused there), anchors, aliases,
merge keys and tags are refused, duplicate keys are refused, nesting is capped, and
files are size-checked before parsing. Each value keeps its line and column so that
schema errors can be reported as `path:line:col: message`.

The document is built straight from libyaml's event stream (CSafeLoader where it is
compiled in): that is both faster than composing nodes and iterative, so deep nesting
cannot exhaust the stack.
"""

from __future__ import annotations

import gc
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import yaml

from subreg.errors import InputError, Problem
from subreg.escape import OTHERS

MAX_BYTES = 1024 * 1024
# Anywhere in a file, even in a comment (where a bidirectional override would make a
# reviewer misread the lines around it): every code point that escape.one_line would
# have to escape, but tab and the line breaks YAML is made of.
_FORBIDDEN = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{OTHERS}]")
MAX_DEPTH = 32

try:  # pragma: no branch - depends on how PyYAML was built
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_STR_TAGS = frozenset({None, "!", "tag:yaml.org,2002:str"})

Path = tuple[str | int, ...]


@dataclass
class Doc:
    """A parsed YAML document: plain data plus the position of every value."""

    path: str
    data: Any
    # position (1-based line, col) of each value, and of each mapping key, by path
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, loc: Path, key: bool = False) -> tuple[int, int]:
        """Best position for `loc`: the value (or key), else the nearest parent."""
        table = self.key_marks if key else self.marks
        while loc:
            if loc in table:
                return table[loc]
            if loc in self.marks:
                return self.marks[loc]
            loc = loc[:-1]
        return self.marks.get((), (1, 1))

    def problem(self, loc: Path, message: str, key: bool = False) -> Problem:
        line, col = self.where(loc, key)
        return Problem(self.path, line, col, message)


@contextmanager
def bulk() -> Iterator[None]:
    """Around the parsing of many files: the cyclic garbage collector, triggered again
    and again by the many small objects of each document, costs a fifth of the time
    and finds nothing to collect (documents hold no cycles). Afterwards what was loaded
    is frozen, so that later collections do not walk it again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


# The UTF-8 encodings of the code points _FORBIDDEN refuses (C0 and C1 controls, the line
# and paragraph separators, bidirectional embeddings, overrides and isolates, the
# non-characters U+FDD0-U+FDEF and U+xFFFE/U+xFFFF of every plane; lone surrogates are
# not UTF-8): searching the bytes of valid UTF-8 with it is three times faster than
# searching the text, and finds a forbidden code point exactly when _FORBIDDEN does.
_FORBIDDEN_UTF8 = re.compile(
    rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]"
    rb"|\xef\xb7[\x90-\xaf]|\xef\xbf[\xbe\xbf]|[\xf0-\xf4][\x8f\x9f\xaf\xbf]\xbf[\xbe\xbf]")


def decode(raw: bytes, path: str) -> str:
    """Bytes to text: UTF-8 only (a BOM is fine), no NUL bytes, size capped."""
    if len(raw) <= MAX_BYTES:  # the common case, fast: valid text with nothing forbidden
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        else:
            if _FORBIDDEN_UTF8.search(raw) is None:
                return text
    return _decode(raw, path)


def _decode(raw: bytes, path: str) -> str:
    """`decode`, saying what is wrong (where the fast path found something)."""
    if len(raw) > MAX_BYTES:
        raise InputError.at(path, f"file is {len(raw):,} bytes; the limit is {MAX_BYTES:,}")
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise InputError.at(path, "binary file (NUL byte); expected UTF-8 YAML text", line)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError.at(
            path, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            line, col,
        ) from None
    bad = _FORBIDDEN.search(text)
    if bad:
        at = bad.start()
        line = text.count("\n", 0, at) + 1
        col = at - (text.rfind("\n", 0, at) + 1) + 1
        raise InputError.at(
            path, f"code point U+{ord(bad.group()):04X} is not allowed: control, bidirectional-override "
            "and non-character code points are refused anywhere in a file", line, col,
        )
    return text


def loads(raw: bytes, path: str, marks: bool = True, parts: bool = False) -> Doc:
    """Parse one YAML document from bytes, strictly. Raises InputError.

    With `marks=False` positions are not recorded (a third faster, for the thousands of
    old blobs of a history); a caller that meets a problem parses again with marks to
    report it at its line. With `parts` too, the document is read by parts
    (`_by_parts`): the versions of an entry in a history share most of their text.
    """
    text = decode(raw, path)
    if parts and not marks:
        data = _by_parts(text, path)
        if data is not None:
            return Doc(path, data)
    try:
        return _build(text, path, marks)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = " ".join(s for s in (exc.context, exc.problem) if s) or "invalid YAML"
        if mark is None:  # pragma: no cover - libyaml always marks its errors
            raise InputError.at(path, f"invalid YAML: {msg}") from None
        raise InputError.at(path, f"invalid YAML: {msg}", mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked reader errors
        raise InputError.at(path, f"invalid YAML: {exc}") from None


# A top-level key at the start of a line (`name: ...`, `name:` and its block below).
_TOP_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*:(?: |$)", re.MULTILINE)
_BLANK_OR_COMMENTS = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*")
# what the document as a whole reads otherwise than its parts do: a document marker
# (`---`, `...`) or a directive (`%`) at the start of a line, a byte-order mark, and
# carriage returns (a line break of their own for YAML, not for the split into parts)
_WHOLE_ONLY = ("\n---", "\n...", "\n%", "\ufeff", "\r")
_WHOLE_ONLY_FIRST = ("---", "...", "%")
# text of one top-level part -> its (key, value), parsed once however many files hold it
_PARTS: dict[str, tuple[str, Any]] = {}
_MAX_PARTS = 1 << 18


def _by_parts(text: str, path: str) -> dict[str, Any] | None:
    """The data of a block mapping read part by part, or None (then the document is
    parsed whole, and reports what is wrong at its line).

    The versions of an entry in a history differ in a field or two, and entries share
    texts: each top-level part (a line that starts with a plain `key:`, and everything
    up to the next such line) is parsed once, alone, by the same strict parser, and
    the data put together. A part read alone reads as within the document: the root
    mapping holds it at indentation 0, and a construct that would run on into the next
    part (an open quote or bracket) makes it fail alone. Anything unusual (a part that
    fails, a part that is not one `key: value`, a key given twice, text before the
    first key that is not blank lines and comments, a document marker, a directive, a
    carriage return) gives None. tests/test_yaml_parts.py compares both ways on
    mutated documents."""
    starts = [m.start() for m in _TOP_KEY.finditer(text)]
    if not starts or (starts[0] and _BLANK_OR_COMMENTS.fullmatch(text, 0, starts[0]) is None) \
            or text.startswith(_WHOLE_ONLY_FIRST) or any(mark in text for mark in _WHOLE_ONLY):
        return None
    starts.append(len(text))
    data: dict[str, Any] = {}
    for begin, end in itertools.pairwise(starts):
        piece = text[begin:end]
        part = _PARTS.get(piece)
        if part is None:
            try:
                found = _build(piece, path, False).data
            except (InputError, yaml.YAMLError):
                return None
            if type(found) is not dict or len(found) != 1:
                return None
            if len(_PARTS) >= _MAX_PARTS:
                _PARTS.clear()
            part = _PARTS[piece] = next(iter(found.items()))
        key, value = part
        if key in data:
            return None
        data[key] = value
    return data


def _fail(path: str, mark: Any, message: str) -> InputError:
    return InputError.at(path, message, mark.line + 1, mark.column + 1)


_Scalar, _MapStart, _SeqStart = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
_MapEnd, _SeqEnd, _Alias = yaml.MappingEndEvent, yaml.SequenceEndEvent, yaml.AliasEvent
_DocStart, _StreamEnd = yaml.DocumentStartEvent, yaml.StreamEndEvent


def _build(text: str, path: str, with_marks: bool = True) -> Doc:
    doc = Doc(path, None)
    marks, key_marks = doc.marks, doc.key_marks
    loader = _Loader(text)
    get_event = loader.get_event
    # Each frame: [container, its path (with marks only), pending key (mappings)]
    stack: list[list[Any]] = []
    documents = 0
    loc: Any = ()
    try:
        while True:
            ev = get_event()
            cls = type(ev)
            if cls is _Scalar or cls is _MapStart or cls is _SeqStart:
                if ev.anchor is not None:
                    raise _fail(path, ev.start_mark, f"YAML anchors are not allowed (&{ev.anchor})")
                tag = ev.tag
                if cls is _Scalar:
                    if tag not in _STR_TAGS:
                        raise _fail(path, ev.start_mark, f"YAML tags are not allowed ({tag})")
                    value: Any = ev.value
                    if not ev.style and value in _NULLS:
                        value = None
                else:
                    if tag is not None and not ev.implicit:
                        raise _fail(path, ev.start_mark, f"YAML tags are not allowed ({tag})")
                    value = {} if cls is _MapStart else []
                if not stack:
                    doc.data = value
                else:
                    frame = stack[-1]
                    parent = frame[0]
                    if type(parent) is list:
                        if with_marks:
                            loc = (*frame[1], len(parent))
                        parent.append(value)
                    elif frame[2] is _NO_KEY:
                        # this node is a mapping key
                        if cls is not _Scalar:
                            raise _fail(path, ev.start_mark, "mapping keys must be plain text")
                        key = "" if value is None else value
                        if key == "<<" and not ev.style:
                            raise _fail(path, ev.start_mark, "YAML merge keys (<<) are not allowed")
                        if key in parent:
                            first = key_marks.get((*frame[1], key), (0, 0))[0] if with_marks else "?"
                            raise _fail(path, ev.start_mark,
                                        f"duplicate key '{key}' (first defined on line {first})")
                        parent[key] = None
                        if with_marks:
                            mark = ev.start_mark
                            key_marks[(*frame[1], key)] = (mark.line + 1, mark.column + 1)
                        frame[2] = key
                        continue
                    else:
                        if with_marks:
                            loc = (*frame[1], frame[2])
                        parent[frame[2]] = value
                        frame[2] = _NO_KEY
                if with_marks:
                    mark = ev.start_mark
                    marks[loc] = (mark.line + 1, mark.column + 1)
                if cls is not _Scalar:
                    if len(stack) >= MAX_DEPTH:
                        raise _fail(path, ev.start_mark, f"nesting deeper than {MAX_DEPTH} levels")
                    stack.append([value, loc, _NO_KEY])
            elif cls is _MapEnd or cls is _SeqEnd:
                stack.pop()
            elif cls is _Alias:
                raise _fail(path, ev.start_mark, f"YAML aliases are not allowed (*{ev.anchor})")
            elif cls is _DocStart:
                documents += 1
                if documents > 1:
                    raise _fail(path, ev.start_mark, "only one YAML document per file is allowed")
            elif cls is _StreamEnd or ev is None:
                break
    finally:
        loader.dispose()
    return doc


class _NoKey:
    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "<no key>"


_NO_KEY: Any = _NoKey()
