"""Evidence in text files: URL hosts in source code, variables of `.env*` templates and
deployment manifests, Terraform providers.

Comments are not evidence. A line is read as a comment when it starts with its
language's comment marker (`#`, `//`, `/*`, `*`, `--`, `;`, `<!--`), when it lies in a
block comment that opened at the start of a line, or in a Python docstring (a
triple-quoted string that is a statement of its own); a URL after a comment marker
that is outside quotes is in a trailing comment. This is line-level reading, not a
parser of each language: it errs towards skipping, because a missed comment would be
a false finding, while a skipped line of real code rarely holds the only sign of a
service.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from subreg.scan.catalog import Matcher

# scheme://[userinfo@]authority; the authority runs until a path, query, quote or space.
_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]{1,15})://([^\s/\\?#\"'`<>()\[\]|,;]+)(/[^\s\\?#\"'`<>()\[\]|,;]*)?")
# A protocol-relative URL (`'//connect.facebook.net/en_US/sdk.js'`, `url(//fonts.gstatic.com/...)`):
# `//` right after a quote, a parenthesis or `=` (a script loader's string, CSS's url(), an
# unquoted HTML attribute), then a host; the page's own scheme, https, is what it is fetched with.
# `//` anywhere else is a comment or a path.
_RELATIVE_URL = re.compile(r"//([^\s/\\?#\"'`<>()\[\]|,;]+)(/[^\s\\?#\"'`<>()\[\]|,;]*)?")  # at a `//`
_BEFORE_RELATIVE = frozenset("\"'`(=")
_HOSTLIKE = re.compile(r"//[A-Za-z0-9-]+\.[A-Za-z]")  # `//` then a host, not `// a comment`
RELATIVE = re.compile(rb"[\"'`(=]//[A-Za-z0-9]")  # a file that may hold one (collect, for a file without `://`)
# A page for a person to read, not an API or an asset: the path ends in a page of HTML.
_PAGE = re.compile(r"\.html?$", re.IGNORECASE)
# An oEmbed endpoint: where a product asks how to embed a link that its user pasted (a
# provider list), the user's content rather than a service the product sends data to.
_OEMBED = re.compile(r"/(?:services/)?oembed(?:[/._-]|$)", re.IGNORECASE)
_HOST_TAIL = re.compile(r"[A-Za-z0-9.-]+$")
_PORT = re.compile(r":\d*$")
_SCHEMES = frozenset({
    "http", "https", "ws", "wss", "ftp", "ftps", "sftp", "grpc", "grpcs", "mongodb", "mongodb+srv",
    "redis", "rediss", "postgres", "postgresql", "mysql", "amqp", "amqps", "mqtt", "mqtts", "smtp", "smtps",
    "s3", "gs", "kafka", "nats", "tls", "tcp", "ssl",
})
MAX_LINE = 8192  # longer lines are minified or generated code
# Each needle is one search of the whole text; past a few, one pass for every URL's `//` costs less.
MAX_NEEDLES = 4

_HASH = frozenset({"py", "pyi", "rb", "sh", "bash", "zsh", "yaml", "yml", "toml", "ini", "cfg", "conf", "tf",
                   "hcl", "r", "pl", "pm", "ex", "exs", "cr", "nim", "ps1", "mk", "make", "cmake", "dockerfile",
                   "properties", "env", "php", "gitignore", "coffee", "jl", "tcl", "awk", "nix"})
_SLASH = frozenset({"js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx", "go", "java", "kt", "kts", "scala",
                    "groovy", "gradle", "c", "h", "cc", "cpp", "hpp", "cs", "fs", "swift", "rs", "dart", "php",
                    "vue", "svelte", "astro", "tf", "hcl", "json5", "jsonc", "proto", "sol", "zig", "v", "m",
                    "mm", "css", "scss", "less", "sass"})
_DASH = frozenset({"sql", "lua", "hs", "elm", "ada", "vhd"})
_SEMI = frozenset({"ini", "clj", "cljs", "lisp", "el", "scm", "asm", "s"})
_MARKUP = frozenset({"html", "htm", "xml", "vue", "svelte", "astro", "jsx", "tsx", "erb", "ejs", "hbs",
                     "handlebars", "mustache", "njk", "jinja", "jinja2", "j2", "twig", "blade", "liquid",
                     "xhtml", "cshtml", "razor", "aspx", "jsp", "php", "md"})


@dataclass(frozen=True)
class Hit:
    line: int
    service: str
    text: str  # what was found: a host, a variable, a provider source
    column: int = 0  # of a URL: where its scheme starts on the line


def _ext(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    if name.startswith("dockerfile"):
        return "dockerfile"
    return name.rsplit(".", 1)[-1] if "." in name else ""


def _markers(ext: str) -> tuple[str, ...]:
    out: list[str] = []
    if ext in _HASH or not ext:
        out.append("#")
    if ext in _SLASH or not ext:
        out.append("//")
    if ext in _DASH:
        out.append("--")
    if ext in _SEMI:
        out.append(";")
    if ext in _MARKUP:
        out.append("<!--")
    return tuple(out)


def _comment_start(line: str, markers: tuple[str, ...]) -> int:
    """Index where a comment starts on this line (outside quotes), or -1."""
    if not any(m in line.replace("://", "") for m in markers):
        return -1
    quote = ""
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        else:
            for m in markers:
                if line.startswith(m, i):
                    before = line[i - 1] if i > 0 else ""
                    if m == "//" and (before == ":" or (before in ("(", "=") and _HOSTLIKE.match(line, i))):
                        break  # the `//` of a URL (`https://`, `url(//host...)`, `src=//host...`)
                    if m == "#" and i > 0 and not line[i - 1].isspace():
                        break  # a fragment or a `#` inside a word
                    return i
        i += 1
    return -1


def code_lines(text: str, path: str, need: str = "", long_lines: bool = False,
               needles: tuple[str, ...] = ()) -> Iterator[tuple[int, str]]:
    """(number, code) for every line that holds `need`, with comments and docstrings
    left out (every line is still read, for the state of block comments). A line over
    MAX_LINE is minified code: skipped, or with `long_lines` (a bundle that is the
    product's only code) given whole, since minified code has no line comments.
    `needles` (with `need` "://"), when there are MAX_NEEDLES or fewer: only the lines
    holding one of them are given, found by plain search (see _needle_lines())."""
    picked = needles if len(needles) <= MAX_NEEDLES else ()

    def holds(line: str) -> bool:
        return any(n in line for n in picked) if picked else _holds(line, need)

    ext = _ext(path)
    markers = _markers(ext)
    python = ext in ("py", "pyi")
    slash = ext in _SLASH
    block = ""  # the closing token of the block comment or docstring we are in
    string = ""  # the closing token of a triple-quoted value that spans lines (Python)
    lines = _needle_lines(text, picked, _state_tokens(slash, python, ext == "rb")) if picked else _lines(text, need)
    for number, line in lines:
        if block:
            if block in line:
                block = ""
            continue
        if string:
            if string in line:
                string = ""
            elif line.lstrip().startswith("<!--"):  # HTML's comment in a template string
                if "-->" not in line:
                    block = "-->"
                continue
            elif line.lstrip().startswith("#"):  # a comment of the code or configuration the string holds
                continue
            if holds(line) and len(line) <= MAX_LINE:
                yield number, line
            continue
        stripped = line.strip()
        if len(line) > MAX_LINE:
            if long_lines and holds(line):
                yield number, line
            continue
        if not stripped:
            continue
        if python:
            bare = stripped.lstrip("rRbBuUfF")
            if bare[:3] in ('"""', "'''"):
                if bare[:3] not in bare[3:]:
                    block = bare[:3]
                continue  # a docstring: a string that is a statement of its own
            for token in ('"""', "'''"):
                if line.count(token) % 2 == 1:
                    string = token
                    break
        if slash and stripped.startswith("/*"):
            if "*/" not in stripped[2:]:
                block = "*/"
            continue
        if stripped.startswith("<!--"):  # HTML's comment, in markup or in a template inside any file
            if "-->" not in stripped:
                block = "-->"
            continue
        if ext == "rb" and stripped.startswith("=begin"):
            block = "=end"
            continue
        if (slash and stripped.startswith("*")) or stripped.startswith(markers) or not holds(line):
            continue
        cut = _comment_start(line, markers)
        yield number, line if cut < 0 else line[:cut]


# What can matter on a line when looking for URLs: a URL (its `//`), or a token that
# opens or closes a comment, a docstring or a string spanning lines (a plain literal
# alternation: a character class in front of `//` would make the search try every quote
# and parenthesis of a bundle). Any other line is passed
# over whatever the state, so only these lines need be looked at.
_TOKENS = re.compile(r"//|/\*|\*/|<!--|-->|\"\"\"|\'\'\'|=begin|=end")  # `//`: in `://` and protocol-relative URLs


def _holds(line: str, need: str) -> bool:
    """Whether a line holds what code_lines() looks for: `need`; for `://`, a URL with a
    scheme or a protocol-relative one."""
    return need in line or (need == "://" and next(_relative_starts(line), -1) >= 0)


def _relative_starts(line: str) -> Iterator[int]:
    """Where the protocol-relative URLs of a line start (their `//`), found by plain
    search: a character class before `//` in a regular expression would make it try
    every quote and parenthesis of a long line."""
    i = line.find("//", 1)
    while i > 0:
        if line[i - 1] in _BEFORE_RELATIVE:
            yield i
        i = line.find("//", i + 2)


def _lines(text: str, need: str) -> Iterator[tuple[int, str]]:
    """(number, line) of the lines code_lines() must look at: all of them, or, when
    looking for URLs, those holding a URL or a comment token (found at C speed)."""
    if need != "://":
        yield from enumerate(text.split("\n"), 1)
        return
    number, pos, end = 1, 0, -1
    for m in _TOKENS.finditer(text):
        if m.start() <= end:
            continue  # a further token on the line just given
        number += text.count("\n", pos, m.start())
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.start())
        if end < 0:
            end = len(text)
        pos = start
        yield number, text[start:end]


@functools.cache
def _state_tokens(slash: bool, python: bool, ruby: bool) -> re.Pattern[str]:
    """The tokens that change code_lines()'s state in a language: a block comment's
    (`/*`, `*/`; HTML's in any file), a docstring's or a string's over lines (Python),
    Ruby's `=begin` and `=end`."""
    tokens = ["<!--", "-->"] + ["/*", "*/"] * slash + ['"""', "'''"] * python + ["=begin", "=end"] * ruby
    return re.compile("|".join(re.escape(t) for t in tokens))


def _needle_lines(text: str, needles: tuple[str, ...], state: re.Pattern[str]) -> Iterator[tuple[int, str]]:
    """(number, line) of the lines holding a needle, and of the lines above the last of
    them holding a token that changes the state (a line holding neither is passed over
    by code_lines() whatever the state, and the state below the last needle is not
    needed)."""
    starts: set[int] = set()
    for needle in needles:
        starts |= _line_starts(text, _finds(text, needle))
    if not starts:
        return
    last = text.find("\n", max(starts))
    starts |= _line_starts(text, (m.start() for m in state.finditer(text, 0, last if last >= 0 else len(text))))
    number, pos = 1, 0
    for start in sorted(starts):
        number += text.count("\n", pos, start)
        pos = start
        end = text.find("\n", start)
        yield number, text[start:end if end >= 0 else len(text)]


def _finds(text: str, needle: str) -> Iterator[int]:
    at = text.find(needle)
    while at >= 0:
        yield at
        at = text.find(needle, at + len(needle))


def _line_starts(text: str, places: Iterable[int]) -> set[int]:
    """Where the lines holding `places` (ascending) start; a line is looked back to
    once, however many places it holds (a minified line may hold thousands)."""
    starts, end = set(), -1
    for at in places:
        if at <= end:
            continue
        starts.add(text.rfind("\n", 0, at) + 1)
        end = text.find("\n", at)
        if end < 0:
            break
    return starts


def host_of(authority: str) -> str | None:
    """The host of a URL's authority: userinfo and port dropped; a templated prefix
    (`${bucket}.s3.amazonaws.com`) leaves its literal domain."""
    host = authority.rsplit("@", 1)[-1]
    host = _PORT.sub("", host)
    tail = _HOST_TAIL.search(host)
    if not tail:
        return None
    host = tail.group(0).strip(".-").lower()
    if "." not in host or not host.rsplit(".", 1)[-1].isalpha():
        return None
    return host


def is_own(host: str, own: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in own)


# A link for people to follow, not a service the code calls: an HTML/JSX anchor, a
# Markdown link, a value under a documentation-like key, text of a help or description.
# An anchor compiled by a framework (`jsx("a", {href: "..."})`, Vue's `h("a", {href: ...})`) is one too.
_ANCHOR = re.compile(r"<a\s[^<>]*$|\]\($|[\"'`]a[\"'`]\s*,\s*\{[^{}]*\bhref\s*:\s*[\"'`]$", re.IGNORECASE)
_LINK_WORDS = (r"(?:doc|docs|documentation|homepage|home_page|help|learn_?more|guide|tutorial|website|about|readme"
               r"|reference|more_?info|info|terms|privacy|pricing|signup|sign_up|register|support|contact"
               r"|issues|issue_?tracker|bug_?tracker|bug_?report|changelog|release_?notes|forum|faq|blog"
               r"|source_?code)")
_DOC_KEY = re.compile(
    r"(?i)(?:" + _LINK_WORDS + r"(?:_?url|_?link|_?href|_?uri|_?page)?|(?:url|link)_" + _LINK_WORDS + r")"
    r"[\"']?\s*[:=]\s*[(\[{]?\s*[frbu]?[\"'`]$")
# A value the code compares with (`endpoint == 'https://...'`), not one it calls.
_COMPARED = re.compile(r"(?:==|!=)=?\s*[frbu]?[\"'`]$")
# An example value (a form's sample or placeholder), not one the code uses.
_EXAMPLE = re.compile(r"(?i)(?<![a-z0-9])(?:e\.g\.|examples?|samples?|placeholder)(?:_?url|_?value|_?text)?"
                      r"[\"']?\s*[:=]\s*[(\[{]?\s*[frbu]?[\"'`]$")
_PROSE = re.compile(r"(?i)(?:description|help|usage|example|epilog|hint|tooltip|title)"
                    r"[\"']?\s*[(:=]\s*[frbu]?(?:\"[^\"]*|'[^']*|`[^`]*)$")


_NOT_USE = (_ANCHOR, _DOC_KEY, _EXAMPLE, _PROSE, _COMPARED)  # what is_link() says, as searches


def is_link(prefix: str) -> bool:
    """Whether the URL that follows `prefix` (its line up to the scheme) is not one the
    code talks to: a link for a person to follow, an example, or a value compared with.
    It says what `any(p.search(prefix) for p in _NOT_USE)` says, each pattern read from
    the end of the prefix (each is anchored there), not tried at every position of a
    long line."""
    return _anchor(prefix) or doc_key(prefix) or _keyed(prefix, _EXAMPLE_WORD) or _prose(prefix) or _compared(prefix)


# The key of _DOC_KEY and of _EXAMPLE, and what may follow it up to `[:=]`, whose length
# is bounded (the longest is `documentation_href"`, 19 characters).
_DOC_WORD = re.compile(_DOC_KEY.pattern.split(r"\s*[:=]")[0] + "$")
_EXAMPLE_WORD = re.compile(_EXAMPLE.pattern.split(r"\s*[:=]")[0] + "$")
_PROSE_WORD = re.compile(_PROSE.pattern.split(r"[\"']?\s*[(:=]")[0] + "$")
_QUOTES = ("\"", "'", "`")
_LETTERS = ("f", "r", "b", "u")  # a string's prefix letter, `[frbu]` in any case


def doc_key(prefix: str) -> bool:
    """`_DOC_KEY.search(prefix)`, without trying every position of a long line."""
    return _keyed(prefix, _DOC_WORD)


def _keyed(prefix: str, word: re.Pattern[str]) -> bool:
    """Whether `prefix` ends in a key that `word` matches (at its end), then
    `\\s*[:=]\\s*[(\\[{]?\\s*[frbu]?` and a quote: what follows the key is read from the
    end, each step forced, and the key is looked for in the last characters."""
    if prefix[-1:] not in _QUOTES:
        return False
    head = prefix[:-1]
    if head[-1:].lower() in _LETTERS:  # not whitespace, a bracket or [:=]: the prefix letter
        head = head[:-1]
    head = head.rstrip()
    if head[-1:] in ("(", "[", "{"):
        head = head[:-1].rstrip()
    if head[-1:] not in (":", "="):
        return False
    return word.search(head[:-1].rstrip()[-32:]) is not None


def _prose(prefix: str) -> bool:
    """`_PROSE.search(prefix)` from the end: whether the string still open at the end
    of the prefix follows `word["']?\\s*[(:=]\\s*[frbu]?` (a key, quoted or not),
    tried for each kind of quote from its last one, so that the other quotes inside a
    description's text (an apostrophe, a backtick around a name) do not hide the key
    it is the value of."""
    return any(_prose_from(prefix, prefix.rfind(q)) for q in _QUOTES)


def _prose_from(prefix: str, quote: int) -> bool:
    if quote < 0:
        return False
    head = prefix[:quote]
    if head[-1:].lower() in _LETTERS:
        head = head[:-1]
    head = head.rstrip()
    if head[-1:] not in ("(", ":", "="):
        return False
    key = head[:-1].rstrip()
    if key[-1:] in ("\"", "'"):  # a quoted key: JSON's `"description": "...`
        key = key[:-1]
    return _PROSE_WORD.search(key[-16:]) is not None


def _compared(prefix: str) -> bool:
    """`_COMPARED.search(prefix)` from the end: `==` or `!=`, `=`, spaces, a lowercase
    prefix letter and a quote."""
    if prefix[-1:] not in _QUOTES:
        return False
    head = prefix[:-1]
    if head[-1:] in _LETTERS:
        head = head[:-1]
    return head.rstrip().endswith(("==", "!="))


def _anchor(prefix: str) -> bool:
    """`_ANCHOR.search(prefix)` from the end: an `<a` tag still open (its `<` the last
    `<` and no `>` after it), a Markdown link's `](`, or a compiled anchor's
    `"a", {...href: "` (its `{` the last brace)."""
    if prefix.endswith("]("):
        return True
    tag = prefix.rfind("<")
    opened = tag >= 0 and ">" not in prefix[tag:]  # the last tag is still open
    if opened and prefix[tag + 1:tag + 2] in ("a", "A") and prefix[tag + 2:tag + 3].isspace():
        return True
    brace = prefix.rfind("{")
    if brace < 0 or "}" in prefix[brace:] or prefix[-1:] not in _QUOTES:
        return False
    inner = prefix[brace + 1:-1].rstrip()
    if not inner.endswith(":"):
        return False
    inner = inner[:-1].rstrip()
    if inner[-4:].lower() != "href" or (len(inner) > 4 and (inner[-5].isalnum() or inner[-5] == "_")):
        return False
    head = prefix[:brace].rstrip()
    if not head.endswith(","):
        return False
    head = head[:-1].rstrip()
    return len(head) >= 3 and head[-1] in _QUOTES and head[-2] in ("a", "A") and head[-3] in _QUOTES


LINK_WINDOW = 300  # what of a long line before a URL is read to tell a link


def hosts(text: str, path: str, matcher: Matcher, own: tuple[str, ...] = (), bundle: bool = False,
          needles: tuple[str, ...] = ()) -> list[Hit]:
    """URL hosts of the catalogue in the code of a source file; in a `bundle` (built
    output that is the product's only code), in its minified lines too: hosts only,
    each judged by what precedes it on its line, never a package name. `needles`: the
    authorities (as the file writes them) of every catalogue URL the file may hold,
    when known (git grep found them): only the lines holding one are read for URLs."""
    out = []
    lines: list[str] = []  # the file's lines, split when a list's opening line is looked for
    for number, code in code_lines(text, path, "://", long_lines=bundle, needles=needles):
        long = len(code) > MAX_LINE
        for start, authority, url_path in _urls(code):
            host = host_of(authority)
            if host is None or is_own(host, own) or _PAGE.search(url_path) or _OEMBED.search(url_path):
                continue
            sid = matcher.url(host, url_path)
            before = code[max(0, start - LINK_WINDOW):start] if long else code[:start]
            if sid and not is_link(before) and not allowed_source(before) and not in_sentence(before):
                if _ELEMENT.match(code):
                    lines = lines or text.split("\n")
                    if in_allowlist(lines, number) or continues_link_key(lines, number):
                        continue
                out.append(Hit(number, sid, host, start))
    return out


_WORD = re.compile(r"[A-Za-z][a-z]+[,.;:!?]?")
SENTENCE_WORDS = 3  # words of text before a URL, in its string, that make the string a sentence


def in_sentence(prefix: str) -> bool:
    """Whether the URL that follows `prefix` is inside a sentence for people: the string
    it is in (opened at the prefix's last quote) has SENTENCE_WORDS words of text before
    it (`"A new version is available at https://..."`, a message, a notice), where a
    string the code calls holds at most a command and its options (`"curl -s https://"`)."""
    quote = max(prefix.rfind(q) for q in _QUOTES)
    if quote < 0:
        return False
    words = 0
    for token in prefix[quote + 1:quote + 1 + LINK_WINDOW].split():
        if _WORD.fullmatch(token):
            words += 1
            if words >= SENTENCE_WORDS:
                return True
    return False


def continues_link_key(lines: list[str], number: int) -> bool:
    """Whether line `number` (1-based), a string of its own, is the value that its
    previous line's documentation-like key opens (`SUPPORT_URL = (` then the URL on the
    next line), as is_link() would say had it been written on one line."""
    previous = lines[number - 2].rstrip() if number >= 2 else ""
    return previous.endswith(("(", "[", "{", "=", ":")) and is_link(previous + ' "')


def _urls(code: str) -> Iterator[tuple[int, str, str]]:
    """(where it starts, authority, path) of the http(s) and protocol-relative URLs of a
    line (a protocol-relative one starts at its `//`)."""
    for m in _URL.finditer(code):
        if m.group(1).lower() in _SCHEMES:
            yield m.start(), m.group(2), m.group(3) or ""
    for i in _relative_starts(code):
        rel = _RELATIVE_URL.match(code, i)
        if rel:
            yield i, rel.group(1), rel.group(2) or ""


# A Content-Security-Policy allowlist names the hosts a page may load from or connect
# to: a permission, not a use (the product's use of the host, if any, is elsewhere in its
# code). A directive written as CSP writes it (`script-src`, `frame-ancestors`), a
# directive's list (`scriptSrc: [`, `"connect-src": [`, `LOGROCKET_SCRIPT_SRC = [`), or a
# CSP source keyword (`'self'`, `'unsafe-inline'`) before the URL on its line.
_CSP_DIRECTIVES = (r"(?:default|script|style|img|connect|font|frame|media|object|worker|child|manifest|prefetch"
                   r"|form|base)")
_CSP_HYPHEN = re.compile(r"(?i)(?<![\w-])" + _CSP_DIRECTIVES + r"-(?:src(?:-elem|-attr)?|action|ancestors)(?![\w-])"
                         r"|content-security-policy")
_CSP_LIST = re.compile(r"(?i)(?<![a-z0-9])" + _CSP_DIRECTIVES + r"[-_]?(?:src|action|ancestors)(?:[-_]?(?:elem|attr))?"
                       r"[\"']?\s*[:=]\s*\[")
_CSP_KEYWORD = re.compile(r"'(?:self|none|unsafe-inline|unsafe-eval|unsafe-hashes|strict-dynamic|wasm-unsafe-eval)'")
# A line that is one string of a list spread over lines (`    'https://cdn.example.com',`).
_ELEMENT = re.compile(r"""^\s*[frbu]?(?:"[^"]*"|'[^']*'|`[^`]*`)\s*,?\s*$""")
ALLOWLIST_LINES = 200  # how far up a list's opening line is looked for


# Each of the three needs one of these words (plain tests first: a long line's prefix is
# searched only when it holds one).
_CSP_WORDS = ("src", "action", "ancestors", "content-security-policy", "'self'", "'none'", "'unsafe-",
              "'strict-dynamic'", "'wasm-unsafe-eval'")


def allowed_source(prefix: str) -> bool:
    """Whether the URL after `prefix` (its line up to the scheme) is a source that a
    Content-Security-Policy allowlist names."""
    low = prefix.lower()
    if not any(w in low for w in _CSP_WORDS):
        return False
    return bool(_CSP_HYPHEN.search(prefix) or _CSP_LIST.search(prefix) or _CSP_KEYWORD.search(prefix))


_OPENER = re.compile(r"^\s*[\[({]\s*$")  # a line that only opens a list nested in the one above
_CLOSER = re.compile(r"^\s*[\]})]+\s*,?\s*$")  # a line that only closes an element of the list above


def in_allowlist(lines: list[str], number: int) -> bool:
    """Whether line `number` (1-based), one string of a list, is in a CSP directive's
    list or in a list of links or examples: the line that opens the list, above the
    list's other strings (and its elements that are lists or objects), names a CSP
    directive, or a documentation-like or example key (`examples=[`, then `[`, then
    the URL: an example of a value, as `examples=["https://..."]` is on one line)."""
    i = number - 2
    depth = 0  # brackets closed below, and not yet opened, walking up: inside an element of the list
    while i >= 0 and number - i <= ALLOWLIST_LINES:
        line = lines[i]
        i -= 1
        if depth or _CLOSER.match(line):  # an object or a list that is one element of the list
            depth = max(0, depth + sum(line.count(c) for c in "]})") - sum(line.count(c) for c in "[{("))
            continue
        if (_ELEMENT.match(line) or not line.strip() or line.lstrip().startswith(("//", "#", "/*", "*"))
                or _OPENER.match(line)):
            continue  # another string of the list, a blank line, a comment, a nested list's bracket
        opening = line.rstrip()
        if not opening.endswith(("[", "(", "{")):
            return False
        return (opening.endswith("[") and allowed_source(line)) or is_link(opening + ' "')
    return False


# A third-party library's licence banner at the top of a script or stylesheet: a
# `/*!` comment (the one minifiers keep, by convention for a library's licence notice)
# naming a licence or a copyright, before any code (`/*! jQuery v3.7.1 | (c) OpenJS
# Foundation | jquery.org/license */`, `/*! @license DOMPurify 3.2.6 | (c) Cure53 */`).
_BANNER = re.compile(r"\A\ufeff?\s*/\*!(.*?)\*/", re.DOTALL)
_BANNER_WORDS = re.compile(r"licen[cs]e|\(c\)|©|copyright", re.IGNORECASE)
_BANNER_FILES = frozenset({"js", "mjs", "cjs", "css"})
BANNER_BYTES = 4096


def vendored(text: str, path: str) -> bool:
    """Whether a script or stylesheet starts with a third-party library's licence banner
    (a copy of a library served from the product's folders: vendored code)."""
    if _ext(path) not in _BANNER_FILES:
        return False
    m = _BANNER.match(text[:BANNER_BYTES])
    return m is not None and _BANNER_WORDS.search(m.group(1)) is not None


# -- environment variables --------------------------------------------------------------

_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")
_TOKEN = re.compile(r"(?<![A-Za-z0-9_])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?![A-Za-z0-9_])")
# Frameworks expose variables to browser code under a prefix of their own.
_PUBLIC = ("NEXT_PUBLIC_", "NUXT_PUBLIC_", "NUXT_ENV_", "REACT_APP_", "VITE_", "VUE_APP_", "EXPO_PUBLIC_",
           "GATSBY_", "PUBLIC_", "MIX_", "STORYBOOK_")
# What a framework's fresh project template ships, and is no sign of use until filled in
# (Laravel's .env.example: AWS_* and PUSHER_* with these values).
FRAMEWORK_DEFAULTS = {
    "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_DEFAULT_REGION": "us-east-1", "AWS_BUCKET": "",
    "AWS_USE_PATH_STYLE_ENDPOINT": "false", "PUSHER_APP_ID": "", "PUSHER_APP_KEY": "",
    "PUSHER_APP_SECRET": "", "PUSHER_HOST": "", "PUSHER_PORT": "443", "PUSHER_SCHEME": "https",
    "PUSHER_APP_CLUSTER": "mt1", "MAILGUN_DOMAIN": "", "MAILGUN_SECRET": "", "MAILGUN_ENDPOINT": "api.mailgun.net",
    "POSTMARK_TOKEN": "", "RESEND_KEY": "", "SLACK_BOT_USER_OAUTH_TOKEN": "", "SLACK_BOT_USER_DEFAULT_CHANNEL": "",
}


def variable(name: str, matcher: Matcher) -> str | None:
    for prefix in _PUBLIC:
        if name.startswith(prefix) and len(name) > len(prefix):
            hit = matcher.variable(name[len(prefix):])
            if hit:
                return hit
    return matcher.variable(name)


def _value(raw: str) -> str:
    raw = raw.strip()
    if raw[:1] in "\"'" and raw[-1:] == raw[:1] and len(raw) > 1:
        return raw[1:-1]
    cut = raw.find(" #")
    return (raw[:cut] if cut >= 0 else raw).strip()


def _is_default(name: str, value: str) -> bool:
    for prefix in _PUBLIC:
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    if name not in FRAMEWORK_DEFAULTS:
        return False
    return value in ("", FRAMEWORK_DEFAULTS[name]) or value.startswith("${")


def env_template(text: str, matcher: Matcher) -> list[Hit]:
    """Variables of a `.env*` template. A service whose variables here are all a
    framework's untouched defaults (Laravel's AWS_* and PUSHER_* block) is not used."""
    found: dict[str, list[tuple[Hit, bool]]] = {}
    for number, line in enumerate(text.split("\n"), 1):
        m = _ENV_LINE.match(line)
        if not m or line.lstrip().startswith("#"):
            continue
        name, value = m.group(1), _value(m.group(2))
        sid = variable(name, matcher)
        if sid:
            found.setdefault(sid, []).append((Hit(number, sid, name), _is_default(name, value)))
    return [h for hits in found.values() if not all(d for _, d in hits) for h, _ in hits]


def env_names(text: str, path: str, matcher: Matcher) -> list[Hit]:
    """Variable names in a deployment manifest (compose, Kubernetes, Dockerfile, ...)."""
    out: dict[Hit, None] = {}
    for number, code in code_lines(text, path):
        for m in _TOKEN.finditer(code):
            sid = variable(m.group(1), matcher)
            if sid:
                out[Hit(number, sid, m.group(1))] = None
    return list(out)


# -- Terraform -------------------------------------------------------------------------

_SOURCE = re.compile(r"""(?:^|[{,\s])source\s*=\s*"([^"]+)\"""")
_PROVIDER_BLOCK = re.compile(r"""^\s*provider\s+"([a-z0-9_-]+)"\s*\{""")
_REQUIRED = re.compile(r"^\s*required_providers\s*\{")
_LOCAL = re.compile(r"""^\s*([a-z0-9_-]+)\s*=\s*(\{|"[^"]*")""")
_RESOURCE = re.compile(r"""^\s*(?:resource|data)\s+"([a-z0-9]+)_[a-z0-9_]+"\s""")


def provider_source(raw: str) -> str:
    """`registry.terraform.io/hashicorp/aws` and `HashiCorp/AWS` are `hashicorp/aws`."""
    parts = raw.lower().strip().split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else "hashicorp/" + parts[0]


def terraform(text: str, path: str, matcher: Matcher) -> list[Hit]:
    """Providers a Terraform file requires or configures. A `provider "x"` block or a
    resource whose local name is not in `required_providers` means `hashicorp/x`."""
    lines = list(code_lines(text, path))
    locals_: dict[str, tuple[str, int]] = {}
    depth = 0
    current = ""
    in_required = False
    for number, code in lines:
        if not in_required and _REQUIRED.match(code):
            in_required, depth = True, code.count("{") - code.count("}")
            continue
        if in_required:
            m = _LOCAL.match(code)
            if m and depth == 1:
                current = m.group(1)
                if m.group(2).startswith('"'):  # legacy: name = "version"
                    locals_[current] = (f"hashicorp/{current}", number)
                else:
                    locals_.setdefault(current, (f"hashicorp/{current}", number))
            s = _SOURCE.search(code)
            if s and current:
                locals_[current] = (provider_source(s.group(1)), number)
            depth += code.count("{") - code.count("}")
            if depth <= 0:
                in_required = False
    out: list[Hit] = []
    for _local, (source, number) in sorted(locals_.items(), key=lambda kv: kv[1][1]):
        sid = matcher.provider(source)
        if sid:
            out.append(Hit(number, sid, source))
    for number, code in lines:
        m = _PROVIDER_BLOCK.match(code) or _RESOURCE.match(code)
        if m and m.group(1) not in locals_:
            source = f"hashicorp/{m.group(1)}"
            sid = matcher.provider(source)
            if sid:
                out.append(Hit(number, sid, source))
    return out
