"""The scripts `make test` runs on a fresh machine."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT

LOCK = Path("/var/lib/dpkg/lock-frontend")


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("apt-get") or not LOCK.exists(),
                    reason="needs root and Debian's apt-get (as CI has)")
def test_ensure_chromium_waits_for_the_apt_lock(tmp_path: Path) -> None:
    """A fresh machine may still be running its own apt job: the script waits for the
    lock instead of failing. Here another process holds dpkg's lock for a few seconds
    while the script runs (with chromium hidden from its PATH, so that it installs)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("apt-get", "env", "id", "sh", "dpkg", "apt-config", "gpgv", "sqv"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    held = threading.Event()
    release = 4.0

    def hold() -> None:
        with open(LOCK, "w") as fh:
            fcntl.lockf(fh, fcntl.LOCK_EX)
            held.set()
            time.sleep(release)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    started = time.monotonic()
    proc = subprocess.run(["/bin/sh", str(ROOT / "scripts" / "ensure-chromium")], capture_output=True, text=True,
                          env={"PATH": str(bin_dir), "HOME": str(tmp_path)}, timeout=900, check=False)
    holder.join()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "installing chromium (apt-get)" in proc.stdout
    assert time.monotonic() - started >= release - 0.5  # it waited for the lock, then went on
