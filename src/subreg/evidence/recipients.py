"""The recipients file of `subreg notice send` (SPEC 9): a CSV of `email,language[,terms]`.

It holds customers' addresses, which never enter git: a file inside the compliance
repository's work tree is refused, whatever .gitignore says. An optional first row
`email,language,terms` is a header; blank rows and rows starting with `#` are skipped.
`language` defaults to the policy's first language; `terms` names a `dpa_terms` entry
(absent: the standard terms). Every problem is reported at its line, without the
address: the messages may end up in a CI log.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

from subreg.errors import InputError, Problem
from subreg.model import _EMAIL, Policy

MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Recipient:
    line: int
    address: str
    language: str
    terms: str | None


def inside(path: Path, folders: list[Path]) -> Path | None:
    """The folder of `folders` that `path` (resolved: symlinks followed) lies in."""
    real = Path(os.path.realpath(path))
    for folder in folders:
        top = Path(os.path.realpath(folder))
        if real == top or top in real.parents:
            return top
    return None


def read(path: Path, policy: Policy, work_trees: list[Path]) -> list[Recipient]:
    """The recipients of `path`, validated; InputError with every problem otherwise."""
    shown = str(path)
    tree = inside(path, work_trees)
    if tree is not None:
        raise InputError.at(shown, f"is inside the repository's work tree ({tree}): the recipients file holds "
                                   "customers' addresses, which never enter git; keep it outside the repository")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError.at(shown, f"cannot read the recipients file: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise InputError.at(shown, f"is larger than {MAX_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError.at(shown, "is not UTF-8 text") from None
    problems: list[Problem] = []
    out: list[Recipient] = []
    seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    first = True
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise InputError.at(shown, f"is not a CSV file: {exc}", reader.line_num) from None
    for line, row in rows:
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if first and cells[0].lower() == "email":
            first = False
            continue
        first = False
        if len(cells) > 3:
            problems.append(Problem(shown, line, 0, f"{len(cells)} columns: a row is email,language[,terms]"))
            continue
        address, language, terms = [*cells, "", ""][:3]
        if not _EMAIL.fullmatch(address):
            problems.append(Problem(shown, line, 1, "the first column is not an e-mail address"))
            continue
        language = language or policy.languages[0]
        if language not in policy.languages:
            problems.append(Problem(shown, line, 0, f"language {language!r} is not one of the policy's languages "
                                                    f"({', '.join(policy.languages)})"))
            continue
        if terms and terms not in policy.dpa_terms:
            known = ", ".join(sorted(policy.dpa_terms)) or "none"
            problems.append(Problem(shown, line, 0, f"terms {terms!r} are not in the policy's dpa_terms ({known})"))
            continue
        key = address.casefold()
        if key in seen:
            problems.append(Problem(shown, line, 1, f"this address is already listed on line {seen[key]}: "
                                                    "each recipient gets one message"))
            continue
        seen[key] = line
        out.append(Recipient(line, address, language, terms or None))
    if problems:
        raise InputError(problems=problems)
    if not out:
        raise InputError.at(shown, "lists no recipients")
    return out
