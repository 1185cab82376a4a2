"""The `subreg` command. A whole-tree scan's git grep starts here, before anything
heavy is imported (scan/begin.py); then the click layer takes over.

The cyclic garbage collector is off while subreg starts: importing click, pydantic and
the models makes many objects and no garbage, and collecting passes over them would
cost a start-up a tenth of its time. The command turns it back on, with those objects
frozen out of its passes, once it has loaded the compliance repo (options.py)."""

from __future__ import annotations

import gc
import sys


def main() -> int:
    gc.disable()
    from subreg.scan.begin import early

    early(sys.argv[1:])
    from subreg.cli import main as cli_main

    return cli_main()
