"""The `subreg` command. A whole-tree scan's git grep starts here, before anything
heavy is imported (scan/begin.py); then the click layer takes over."""

from __future__ import annotations

import sys


def main() -> int:
    from subreg.scan.begin import early

    early(sys.argv[1:])
    from subreg.cli import main as cli_main

    return cli_main()
