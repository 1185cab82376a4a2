"""The floors: honest minimal programs that do the work a subreg command cannot avoid.

Each floor runs as a whole process, like `subreg` itself, so interpreter start-up and
imports are counted on both sides. A floor does the unavoidable work and nothing else:
no checks, no reports, no error handling beyond git's exit status.

- `pr REPO BASE HEAD` (the merge gate, `subreg check --base BASE --head HEAD`):
  `git diff --raw -z BASE HEAD -- registry/`; `git ls-tree` of HEAD's registry/; every
  registry file of HEAD, plus the BASE version of each changed file, read through one
  pipelined `git cat-file --batch --buffer` (a writer thread feeding it every request
  while the main thread reads and parses the answers); each parsed once by libyaml (`yaml.compose` with
  `CSafeLoader`: one parse, every node keeps its line and column) into plain data whose
  scalars stay text, as subreg reads them; each entry of HEAD validated with subreg's
  pydantic model (`Subprocessor.model_validate`); and one `git log BASE..HEAD` of the
  changed files (a notice new in the change first appears in BASE..HEAD, so nothing
  older needs reading).
- `audit REPO` (the nightly replay, `subreg audit`): one
  `git log --raw -z --no-renames -- registry/`, then every blob those commits wrote
  read once through one pipelined `git cat-file --batch --buffer` (as above) and
  parsed once with CSafeLoader as above.
- `publish REPO` (`subreg publish`): the working tree's registry read, parsed and
  validated as above, plus one `git log --raw -z --no-renames -- registry/` (the dates
  and files of every change, for "last updated" and the feed). It reads no old blob:
  that is the floor of a page plus a feed of bounded length (the last changes only).
- `publish-full REPO`: `publish` plus every blob of the history read and parsed once, as
  in `audit`: the floor of a feed that covers the whole history (telling a material
  change from a non-material one needs the old versions).

`subreg scan` (bench/scan.py) has a floor that is one git command, timed as it is:
`git grep -I -c -E 'https?://'` on the same tree (every text file read once, every line
matched against a URL pattern: what a scan of URL hosts cannot do with less), and, for
the pull-request scan, `subreg validate` (start-up and the registry read).

The garbage collector is switched off: these short programs make no garbage cycles.

Usage: python bench/floors.py pr|audit|publish|publish-full REPO [BASE HEAD]
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import IO, Any

import yaml

from subreg.model import Subprocessor

ZERO = "0" * 40
ENV = {**os.environ, "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0", "GIT_LITERAL_PATHSPECS": "1"}
Loader: Any = yaml.CSafeLoader
ScalarNode, SequenceNode = yaml.ScalarNode, yaml.SequenceNode


def git(repo: str, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=repo, env=ENV, check=True,
                          stdout=subprocess.PIPE).stdout


def data(node: Any) -> Any:
    """Plain data from a composed node: scalars stay text, as subreg reads them."""
    if node.__class__ is ScalarNode:
        return node.value
    if node.__class__ is SequenceNode:
        return [data(n) for n in node.value]
    return {k.value: data(v) for k, v in node.value}


def parse(raw: bytes) -> Any:
    node = yaml.compose(raw.decode(), Loader=Loader)
    return data(node)


def _write(stdin: IO[bytes], shas: list[str]) -> None:
    stdin.write("".join(s + "\n" for s in shas).encode())
    stdin.close()


def blobs(repo: str, shas: Iterable[str]) -> Iterator[bytes]:
    """Each blob, through one pipelined `git cat-file --batch --buffer`: a writer
    thread feeds it every request while the main thread reads and parses the answers
    (git writes them in large blocks, and never waits on the reader's requests)."""
    wanted = list(dict.fromkeys(shas))
    proc = subprocess.Popen(["git", "cat-file", "--batch", "--buffer"], cwd=repo, env=ENV,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    writer = threading.Thread(target=_write, args=(proc.stdin, wanted))
    writer.start()
    out = proc.stdout
    for _ in wanted:
        size = int(out.readline().split()[2])
        yield out.read(size + 1)[:-1]
    writer.join()
    proc.wait()


def pr(repo: str, base: str, head: str) -> int:
    diff = git(repo, "diff", "--raw", "-z", "--no-abbrev", "--no-renames", base, head,
               "--", "registry/").split(b"\0")
    changed, old = [], []
    for meta, path in zip(diff[0::2], diff[1::2], strict=False):
        fields = meta.decode().split()
        if len(fields) == 5:
            changed.append(path.decode())
            if fields[2] != ZERO:
                old.append(fields[2])
    tree = git(repo, "ls-tree", "-r", "-z", head, "--", "registry/").split(b"\0")
    shas = [rec.split(b"\t")[0].split()[2].decode() for rec in tree if rec]
    gc.disable()
    for i, raw in enumerate(blobs(repo, shas + old)):
        doc = parse(raw)
        if i < len(shas):  # the base versions of changed files are parsed, not validated
            Subprocessor.model_validate(doc)
    if changed:
        git(repo, "log", "--format=%H %ct", f"{base}..{head}", "--", *changed)
    return 0


def log(repo: str) -> bytes:
    return git(repo, "log", "--raw", "-z", "--no-renames", "--no-abbrev", "--format=%x01%H %ct",
               "--", "registry/")


def replay(repo: str, out: bytes) -> None:
    """Every blob the log names, read once and parsed once."""
    shas = []
    for chunk in out.split(b"\x01")[1:]:
        for field in chunk.split(b"\0"):
            field = field.lstrip(b"\n")  # the first record follows the header's "\0\n"
            if field.startswith(b":"):
                sha = field.split()[3].decode()
                if sha != ZERO:
                    shas.append(sha)
    for raw in blobs(repo, shas):
        parse(raw)


def audit(repo: str) -> int:
    out = log(repo)
    gc.disable()
    replay(repo, out)
    return 0


def publish(repo: str, full: bool = False) -> int:
    folder = os.path.join(repo, "registry")
    gc.disable()
    for name in sorted(os.listdir(folder)):
        if name.endswith(".yaml"):
            with open(os.path.join(folder, name), "rb") as fh:
                Subprocessor.model_validate(parse(fh.read()))
    out = log(repo)
    if full:
        replay(repo, out)
    return 0


def main(argv: list[str]) -> int:
    kind, repo, *refs = argv
    if kind == "pr":
        return pr(repo, *refs)
    if kind == "audit":
        return audit(repo)
    if kind == "publish":
        return publish(repo)
    if kind == "publish-full":
        return publish(repo, full=True)
    raise SystemExit(f"unknown floor {kind!r}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
