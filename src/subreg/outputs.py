"""Writing output files: all or nothing, never half-written.

A single file (`--junit-xml`, `--sarif`) is written beside its place and renamed over
it. A folder (`notice`, `publish`, `audit --out`, `init`) is built whole in a sibling
folder (`.<name>.subreg-new-*`), then swapped in by one atomic rename: on Linux,
`renameat2(RENAME_EXCHANGE)`, which exchanges the two folders at once; elsewhere, or
where the file system cannot exchange, two renames (the old folder aside as
`.<name>.subreg-old-*`, the new one in), whose gap the next run repairs by putting the
old folder back. So a failure, or a `kill -9` at any moment, leaves the folder exactly
as it was or exactly as the new run made it, and the next run removes whatever a killed
one left aside.

What the folder held besides subreg's outputs (a CNAME file beside the page, say) is
carried into the new folder; subreg's own outputs that the new run does not write (the
drafts of a language the policy dropped) are not.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from subreg.errors import InputError

# The names of every file a subreg command writes into a folder.
OUTPUT_NAMES = re.compile(
    r"index(\.[A-Za-z_-]+)?\.html|subprocessors(\.[A-Za-z_-]+)?\.(md|json)|feed\.xml"
    r"|notice(\.[A-Za-z_-]+)?\.(json|md|html|eml)|audit\.(json|md)"
)
_ASIDE = re.compile(r"\.(?P<name>.+)\.subreg-(?P<kind>new|old)-[A-Za-z0-9_]+")

# Tests only: seconds to wait at each step of a folder write, so that a test can kill
# the process in the middle of one.
_DELAY_VARIABLE = "SUBREG_TEST_WRITE_DELAY"


def _pause() -> None:
    delay = os.environ.get(_DELAY_VARIABLE)
    if delay:
        time.sleep(float(delay))


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename it into place. A device or a
    pipe (`/dev/stdout`, `/dev/null`, a FIFO) is written to, never replaced: renaming a
    file over it would destroy the device node, and a stream has no half-written state."""
    path = Path(path)
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        mode = os.stat(path).st_mode  # through a symlink: /dev/stdout is one
    except OSError:
        mode = None  # absent (or unreadable: the rename below says why)
    if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISBLK(mode) or stat.S_ISSOCK(mode)):
        try:
            with open(path, "wb") as stream:
                stream.write(data)
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror}") from None
        return
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for leftover in folder.glob(f".{glob_escape(path.name)}.*.tmp"):
            leftover.unlink(missing_ok=True)  # left by a killed run
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {exc.strerror}") from None


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def write_tree(out: Path, files: Mapping[str, str | bytes]) -> None:
    """Make the folder `out` hold `files` (relative path -> content), all at once: it is
    built aside and swapped in whole, so that no failure or kill leaves it half-written."""
    out = Path(out)
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise InputError(f"cannot write to {out}: it is not a folder (or is a symlink)")
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        recover(out)
        _refuse_unsafe(out)
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}.subreg-new-"))
    except OSError as exc:
        raise InputError(f"cannot write to {out}: {exc.strerror}") from None
    try:
        for name, content in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
            _pause()
        if out.is_dir():
            _carry_over(out, staging, files)
        _pause()
        _swap(staging, out)
        _pause()
    except OSError as exc:
        raise InputError(f"cannot write to {out}: {exc.strerror}") from None
    finally:
        # after an exchange, the staging folder holds the previous output
        shutil.rmtree(staging, ignore_errors=True)


def recover(out: Path) -> None:
    """Undo what a killed write of `out` left: put back a folder set aside by the
    two-rename swap when the new one never arrived, and remove every other leftover."""
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        return
    for entry in sorted(parent.iterdir()):
        found = _ASIDE.fullmatch(entry.name)
        if found is None or found["name"] != out.name or entry.is_symlink():
            continue
        if found["kind"] == "old" and not out.exists():
            os.rename(entry, out)
        else:
            shutil.rmtree(entry, ignore_errors=True)


def _refuse_unsafe(out: Path) -> None:
    """A folder that is a git repository, or holds the current folder, is never swapped."""
    if not out.is_dir():
        return
    if (out / ".git").exists():
        raise InputError(f"refusing to write into {out}: it holds a git repository; choose an output folder")
    here, target = Path.cwd().resolve(), out.resolve()
    if here == target or target in here.parents:
        raise InputError(f"refusing to write into {out}: it holds the current folder; choose an output folder")


def _carry_over(old: Path, new: Path, files: Mapping[str, str | bytes]) -> None:
    """Into the new folder, what the old one held that is not one of subreg's outputs."""
    written = {name.split("/", 1)[0] for name in files}
    for entry in old.iterdir():
        if entry.name in written or OUTPUT_NAMES.fullmatch(entry.name):
            continue
        _link_copy(entry, new / entry.name)


def _link_copy(src: Path, dest: Path) -> None:
    if src.is_symlink():
        os.symlink(os.readlink(src), dest)
    elif src.is_dir():
        dest.mkdir()
        for child in src.iterdir():
            _link_copy(child, dest / child.name)
    else:
        try:
            os.link(src, dest)
        except OSError:
            shutil.copy2(src, dest)


def _swap(new: Path, out: Path) -> None:
    """Put the folder `new` at `out` in one step; afterwards `new` holds the old folder."""
    if not out.exists():
        os.rename(new, out)
        return
    if _exchange(new, out):
        return
    try:
        os.rename(new, out)  # POSIX: a folder replaces an empty folder atomically
        return
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    aside = out.with_name(f".{out.name}.subreg-old-{secrets.token_hex(6)}")
    os.rename(out, aside)
    _pause()
    try:
        os.rename(new, out)
    except OSError:
        os.rename(aside, out)
        raise
    os.rename(aside, new)  # removed by the caller, with the staging folder


def _exchange(a: Path, b: Path) -> bool:
    """renameat2(RENAME_EXCHANGE): swap two paths atomically. False where unsupported."""
    if not sys.platform.startswith("linux"):  # pragma: no cover - Linux is what CI runs
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # pragma: no cover - a libc older than glibc 2.28
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):  # pragma: no cover
        return False
    raise OSError(err, os.strerror(err), str(b))

