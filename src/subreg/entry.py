"""The `subreg` command. A whole-tree scan's git grep starts here, before anything
heavy is imported (scan/begin.py); then the click layer takes over.

The cyclic garbage collector is off while subreg starts: importing click, pydantic and
the models makes many objects and no garbage, and collecting passes over them would
cost a start-up a tenth of its time. The command turns it back on, with those objects
frozen out of its passes, once it has loaded the compliance repo (options.py).

Pydantic plugins (the `pydantic` entry points of whatever else is installed) are not
loaded: subreg validates its own data, and a gate has no use for code that an unrelated
package registers to watch every validation (looking for them also costs a start-up
about 5 ms). `PYDANTIC_DISABLE_PLUGINS` set by the caller is left as it is."""

from __future__ import annotations

import gc
import os
import sys


def main() -> int:
    gc.disable()
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from subreg.scan.begin import early

    early(sys.argv[1:])
    from subreg.cli import main as cli_main

    return cli_main()
