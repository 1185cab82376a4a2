"""What users install: the built sdist and wheel, and the `subreg` the end-to-end tests run.

An editable install reads the source tree, so a file the package forgets to ship goes
unnoticed there. These tests look at the built artifacts themselves: the wheel holds
every file git tracks under src/subreg (templates, data, anything that is not Python),
the sdist rebuilds the same wheel, both pass `twine check`, and under `make test` the
end-to-end tests really run the wheel, installed in a virtualenv of its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import INSTALLED_BIN, ROOT, SUBREG_BIN


def _build(tmp: Path, *args: str) -> Path:
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(tmp), *args, str(ROOT)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return tmp


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel built from it: `make test`'s, else built here."""
    if os.environ.get("SUBREG_DIST"):
        return Path(os.environ["SUBREG_DIST"])
    return _build(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def tree_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built straight from the source tree."""
    if os.environ.get("SUBREG_TREE_WHEEL"):
        return Path(os.environ["SUBREG_TREE_WHEEL"])
    return _build(tmp_path_factory.mktemp("tree"), "--wheel")


def one(folder: Path, pattern: str) -> Path:
    [found] = sorted(folder.glob(pattern))
    return found


def package_files(wheel: Path) -> dict[str, str]:
    """The package's files in a wheel (dist-info aside), with their sha256."""
    with zipfile.ZipFile(wheel) as zf:
        return {name: hashlib.sha256(zf.read(name)).hexdigest()
                for name in zf.namelist() if not name.split("/")[0].endswith(".dist-info")}


def tracked() -> set[str]:
    """Files of src/subreg that git tracks or would (not ignored), as paths in the package."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "src/subreg"],
                         cwd=ROOT, capture_output=True, check=True).stdout.decode()
    return {p.removeprefix("src/") for p in out.split("\0") if p}


def test_the_wheel_ships_every_file_of_the_package(dist: Path) -> None:
    shipped = set(package_files(one(dist, "*.whl")))
    expected = tracked()
    assert expected - shipped == set(), "tracked files the wheel leaves out"
    assert shipped - expected == set(), "files in the wheel that are not in the source tree"
    # the files the run time reads, by kind: a sanity check that the list above is not empty
    assert {p for p in shipped if not p.endswith(".py")} >= {"subreg/py.typed", "subreg/data/defaults.yaml",
                                                           "subreg/templates/page.html.j2"}


def test_the_sdist_rebuilds_the_same_wheel(dist: Path, tree_wheel: Path) -> None:
    from_sdist = package_files(one(dist, "*.whl"))
    from_tree = package_files(one(tree_wheel, "*.whl"))
    assert from_sdist == from_tree


def test_the_sdist_holds_the_sources_and_the_metadata(dist: Path) -> None:
    sdist = one(dist, "*.tar.gz")
    with tarfile.open(sdist) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    assert {f"src/{p}" for p in tracked()} <= names
    assert {"pyproject.toml", "README.md", "PKG-INFO"} <= names


def test_twine_check_passes_on_both(dist: Path) -> None:
    files = [str(one(dist, "*.whl")), str(one(dist, "*.tar.gz"))]
    proc = subprocess.run([str(Path(sys.executable).parent / "twine"), "check", "--strict", *files],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2, proc.stdout


def test_the_wheel_declares_its_entry_points(dist: Path) -> None:
    with zipfile.ZipFile(one(dist, "*.whl")) as zf:
        [entry_points] = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
        text = zf.read(entry_points).decode()
    assert "subreg = subreg.entry:main" in text
    assert "[pytest11]" in text


def test_end_to_end_tests_run_the_installed_wheel() -> None:
    """Under `make test` (SUBREG_REQUIRE_WHEEL=1) the `subreg` of the end-to-end tests is
    the wheel installed in its own virtualenv: not the source tree, not editable."""
    if not os.environ.get("SUBREG_REQUIRE_WHEEL"):
        pytest.skip("only under `make test`, which builds and installs the wheel")
    probe = ("import importlib.metadata as m, json, subreg; d = m.distribution('subreg'); "
             "print(json.dumps({'file': subreg.__file__, 'direct_url': d.read_text('direct_url.json')}))")
    proc = subprocess.run([str(INSTALLED_BIN / "python"), "-c", probe], capture_output=True, text=True,
                          check=True, cwd="/")
    found = json.loads(proc.stdout)
    where = Path(found["file"]).resolve()
    assert ROOT / "src" not in where.parents, where
    assert "site-packages" in where.parts, where
    direct = json.loads(found["direct_url"] or "{}")
    assert direct.get("url", "").endswith(".whl"), direct
    assert not direct.get("dir_info", {}).get("editable"), direct
    assert SUBREG_BIN.parent == INSTALLED_BIN and Path(sys.executable).parent != INSTALLED_BIN
