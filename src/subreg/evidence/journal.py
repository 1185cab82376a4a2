"""The progress journal of `subreg notice send`: who has already been sent a draft.

One file per draft, `<state>/send/<announced_on>-<digest>.jsonl`, where `<state>` is
`$SUBREG_STATE_DIR`, else `$XDG_STATE_HOME/subreg`, else `~/.local/state/subreg`: a
local file, outside the repository, never committed. Each line is one recipient's
outcome, appended and flushed to disk right after the server answered for that
recipient: `{"r": <hash>, "status": "accepted" | "refused", "language", "terms",
"at"}`. A recipient is named by a keyed hash of the address (HMAC-SHA256, the key being
the draft's digest), never by the address.

A run that stops (a dropped connection, a kill) is resumed by running the same command
again: every recipient the journal shows as accepted is skipped, so nobody gets a second
copy; recipients refused before are tried again. A lock on the journal keeps two runs of
the same draft apart.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from subreg.errors import InputError


def state_dir() -> Path:
    if os.environ.get("SUBREG_STATE_DIR"):
        return Path(os.environ["SUBREG_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "subreg"


@dataclass
class Outcome:
    status: str
    language: str
    terms: str | None
    at: str


@dataclass
class Journal:
    path: Path
    key: str  # the draft's digest
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # hash -> last outcome
    _fh: IO[str] | None = None

    def name(self, address: str) -> str:
        return hmac.new(self.key.encode(), address.casefold().encode(), hashlib.sha256).hexdigest()[:32]

    def accepted(self, address: str) -> bool:
        found = self.outcomes.get(self.name(address))
        return found is not None and found.status == "accepted"

    def note(self, address: str, status: str, language: str, terms: str | None, at: dt.datetime) -> None:
        """Record one outcome, on disk before the next message is sent."""
        assert self._fh is not None, "open the journal first"
        stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        entry = {"r": self.name(address), "status": status, "language": language, "terms": terms, "at": stamp}
        self._fh.write(json.dumps(entry, sort_keys=True) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.outcomes[self.name(address)] = Outcome(status, language, terms, stamp)

    def open(self) -> None:
        """Open for appending, with an exclusive lock (one run of a draft at a time)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise InputError(f"cannot write the send journal {self.path}: {exc.strerror}") from None
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise InputError(f"another `subreg notice send` of these drafts is running (the journal {self.path} "
                             "is locked): let it finish") from None
        self._fh = fh

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def load(digest: str, announced_on: str) -> Journal:
    """The journal of a draft (empty when it was never sent)."""
    path = state_dir() / "send" / f"{announced_on}-{digest[:12]}.jsonl"
    journal = Journal(path, digest)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return journal
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the send journal {path}: {exc}") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry: Any = json.loads(line)
            journal.outcomes[str(entry["r"])] = Outcome(str(entry["status"]), str(entry["language"]),
                                                        entry["terms"], str(entry["at"]))
        except (ValueError, KeyError, TypeError):
            # a line cut short by a kill is the last one: what it would have said was not
            # known to have reached the disk, so that recipient is tried again
            if number != len(text.splitlines()):
                raise InputError(f"{path}:{number}: the send journal is damaged; it was not written by "
                                 "subreg") from None
    return journal
