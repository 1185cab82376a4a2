"""Writing output files: all or nothing, never half-written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from subreg.errors import InputError


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename it into place."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8") if isinstance(text, str) else text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {exc.strerror}") from None


def write_tree(out: Path, files: Mapping[str, str | bytes]) -> None:
    """Write several files into `out` so that a failure leaves none of them behind:
    everything goes to a temporary folder first, then each file is moved in."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"cannot write to {out}: it is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=out, prefix=".subreg-"))
    except OSError as exc:
        raise InputError(f"cannot write to {out}: {exc.strerror}") from None
    try:
        for name, content in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        for name in files:
            dest = out / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, dest)
    except OSError as exc:
        raise InputError(f"cannot write to {out}: {exc.strerror}") from None
    finally:
        for leftover in sorted(staging.rglob("*"), reverse=True):
            leftover.rmdir() if leftover.is_dir() else leftover.unlink()
        staging.rmdir()
