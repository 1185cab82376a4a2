"""One escaping function for every line of text subreg prints or writes as text.

Registry-derived text (YAML keys, file names, messages of custom checks, git's paths)
reaches stdout, stderr, the GitHub runner's log, the job summary and text reports. A
line break inside such data would start a new line that the data controls: for the
GitHub runner, a line such as `::add-mask::` or `::stop-commands::` is a workflow
command. `one_line` makes data inert: every control character (C0, DEL, C1), line and
paragraph separator, bidirectional embedding, override or isolate, non-character and
lone surrogate (a byte of a file name that was not UTF-8) is written as a visible
escape (`\\n`, `\\x01`, `\\u202e`), so one value is always one line, and the text is
also valid in XML (JUnit) and JSON.
"""

from __future__ import annotations

import re

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


# The code points one_line escapes, as a regular-expression class (in escapes, so that
# yamlio can derive its own class from it): controls (C0, DEL, C1), the line and
# paragraph separators, bidirectional embeddings, overrides and isolates, the
# non-characters of every plane, and lone surrogates.
CONTROLS = r"\x00-\x1f\x7f-\x9f"
OTHERS = r"\u2028\u2029\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef\ud800-\udfff" + "".join(
    rf"\U{plane:04x}fffe\U{plane:04x}ffff" for plane in range(17)
)
UNSAFE = re.compile(f"[{CONTROLS}{OTHERS}]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    cp = ord(ch)
    if 0xDC80 <= cp <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{cp - 0xDC00:02x}"
    if cp < 0x100:
        return f"\\x{cp:02x}"
    return f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"


def one_line(text: object) -> str:
    """`text` as one inert line: unsafe code points written as visible escapes."""
    value = str(text)
    return UNSAFE.sub(_escape, value) if UNSAFE.search(value) else value

