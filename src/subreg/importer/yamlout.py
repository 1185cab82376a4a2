"""Writing an entry as this repository's registry files are written.

A comment header says where the entry came from; keys come in the registry's reading
order; lists of codes are flow lists (`locations: [US, EU]`), text maps and
certifications are blocks; comments say what the source did not state. A text is
written plain only when every YAML reader reads it back as the same text, so `NO`
(Norway), `yes`, `1.0` or `2024-01-01` as text are quoted.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from subreg.importer.entries import Draft

ORDER = (
    "name", "legal_name", "address", "contact", "website", "subprocessors_url", "tier",
    "personal_data", "opt_in", "locations", "purpose", "data_processed", "certifications",
    "transfer_mechanisms", "dpa_signed_on",
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBERISH = re.compile(r"[-+.]?\d[\w.:+-]*")
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")


def scalar(text: str, flow: bool = False) -> str:
    """`text` as a YAML scalar that reads back as exactly this text."""
    if _plain(text, flow):
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _plain(text: str, flow: bool) -> bool:
    if not text or text != text.strip() or text[0] in _INDICATORS or _NUMBERISH.fullmatch(text):
        return False
    if ": " in text or " #" in text or text.endswith(":") or "\\" in text:
        return False
    if flow and any(ch in text for ch in ",[]{}"):
        return False
    try:  # YAML 1.1 resolution, the widest: NO, yes, on, ~, 1e3, dates and sexagesimals
        return bool(yaml.safe_load(text) == text)
    except yaml.YAMLError:
        return False


def _value(key: str, value: Any) -> list[str]:
    if isinstance(value, bool):
        return [f"{key}: {'true' if value else 'false'}"]
    if isinstance(value, str):
        return [f"{key}: {value if key == 'dpa_signed_on' and _DATE.fullmatch(value) else scalar(value)}"]
    if isinstance(value, dict):
        if not value:
            return [f"{key}: {{}}"]
        return [f"{key}:", *(f"  {lang}: {scalar(text)}" for lang, text in value.items())]
    if key == "certifications":
        return [f"{key}:", *(f"  - name: {scalar(c['name'])}" for c in value)]
    return [f"{key}: [{', '.join(scalar(v, flow=True) for v in value)}]"]


def _comment(text: str) -> list[str]:
    """A comment, wrapped near 90 columns."""
    lines, line = [], "#"
    for word in text.split():
        if len(line) + 1 + len(word) > 90 and line != "#":
            lines.append(line)
            line = "#"
        line += " " + word
    lines.append(line)
    return lines


def render(draft: Draft, source_name: str) -> str:
    tier = draft.fields["tier"]
    where = draft.rows
    out = _comment(f"{draft.name} — {tier} subprocessor. Imported with `subreg import` from "
                   f"{source_name} ({where}): only what the source states; `subreg check` lists what "
                   "is still to add.")
    for key in ORDER:
        if key in draft.comments:
            out += _comment(draft.comments[key])
        if key not in draft.fields:
            continue
        lines = _value(key, draft.fields[key])
        if key in draft.trailing:
            lines[0] += f"  # {draft.trailing[key]}"
        out += lines
    return "\n".join(out) + "\n"
