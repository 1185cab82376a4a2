"""The `pytest11` entry point: subreg's fixtures, only in a compliance repository.

Installing subreg installs this entry point into every pytest run of the environment.
In another project, fixtures named `change`, `registry` or `policy` would clash with
that project's own, and a test asking for `subprocessor` would look for a registry that
is not there. So the fixtures (`subreg.plugin`) are registered only when the run's
rootdir, or a folder above it, holds `policies/policy.yaml`; anywhere else subreg adds
nothing to pytest. (`subreg check` and `subreg audit` load `subreg.plugin` themselves.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

POLICY = Path("policies") / "policy.yaml"


def in_compliance_repo(rootdir: Path) -> bool:
    """Whether `rootdir` or a folder above it holds policies/policy.yaml."""
    start = rootdir.resolve()
    return any((folder / POLICY).is_file() for folder in (start, *start.parents))


def pytest_configure(config: pytest.Config) -> None:
    if not in_compliance_repo(config.rootpath):
        return
    from subreg import plugin

    if not config.pluginmanager.is_registered(plugin):
        config.pluginmanager.register(plugin, "subreg.plugin")
