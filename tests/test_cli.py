"""The CLI's error mapping and file writing, end to end."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import INSTALLED_BIN, ROOT, Repo
from subreg import cli


def test_internal_error_is_exit_3_without_traceback(run, monkeypatch) -> None:
    from subreg.commands import validate

    def broken(opts):
        raise RuntimeError("boom")

    monkeypatch.setattr(validate, "run", broken)
    res = run("--repo", ROOT, "validate")
    assert res.code == 3
    assert "internal error (RuntimeError: boom); this is a bug in subreg" in res.err
    assert "Traceback" not in res.err
    monkeypatch.setenv("SUBREG_DEBUG", "1")
    res = run("--repo", ROOT, "validate")
    assert res.code == 3 and "Traceback" in res.err


def test_python_dash_m_runs_the_cli() -> None:
    proc = subprocess.run([str(INSTALLED_BIN / "python"), "-m", "subreg", "--repo", str(ROOT), "validate"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and proc.stdout.startswith("ok: 21 subprocessors")


def test_output_file_in_a_missing_unwritable_place_is_exit_2(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = run("--repo", repo.path, "check", "--sarif", blocker / "out.sarif")
    assert res.code == 2 and "cannot write" in res.err


def test_ref_option_refuses_dash_before_git(run, repo: Repo) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    for bad in ("-h", "--upload-pack=touch /tmp/pwned", "a..b", "HEAD:registry", "x\ny"):
        res = run("--repo", repo.path, "check", "--base", bad)
        assert res.code == 2, bad
        assert "refusing ref" in res.err or "Invalid value" in res.err
    assert not Path("/tmp/pwned").exists()


def test_no_commits_yet(run, repo: Repo) -> None:
    repo.put("acme")
    res = run("--repo", repo.path, "check")
    assert res.code == 2 and "no commits yet" in res.err
    res = run("--repo", repo.path, "audit")
    assert res.code == 2 and "no commits yet" in res.err


def test_not_a_git_repository(run, tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "policy.yaml").write_text((ROOT / "policies" / "policy.yaml").read_text())
    res = run("--repo", tmp_path, "check")
    assert res.code == 2 and "not inside a git repository" in res.err


def test_main_maps_usage_errors_to_2() -> None:
    assert cli.main(["check", "--format", "xml"]) == 2
    assert cli.main(["--version"]) == 0


def test_a_global_option_after_the_command_says_where_it_goes(installed, own_repo: Repo) -> None:
    res = installed("check", "--today", "2026-11-30", cwd=own_repo.path)
    assert (res.code, res.out) == (2, "")
    assert res.err.endswith("Error: --today is a global option: give it before the command, "
                            "as in `subreg --today ... check ...`\n"), res.err
    res = installed("notice", "--repo=.", "--out", "x", cwd=own_repo.path)
    assert res.code == 2 and "Error: --repo is a global option: give it before the command, as in " \
        "`subreg --repo ... notice ...`\n" in res.err and "Did you mean" not in res.err
    res = installed("check", "--bogus", cwd=own_repo.path)  # any other unknown option: click's own message
    assert res.code == 2 and "No such option '--bogus'" in res.err


def test_the_collector_is_off_while_subreg_starts_and_on_once_the_command_has_its_repo(own_repo: Repo) -> None:
    """The installed command starts with the cyclic garbage collector off (start-up makes
    no garbage), and turns it on, start-up's objects frozen out of its passes, once it
    has loaded the compliance repo."""
    probe = (
        "import gc, sys\n"
        "from subreg import entry, options\n"
        "seen = []\n"
        "real = options.Options.project\n"
        "def project(self):\n"
        "    seen.append(gc.isenabled())\n"
        "    out = real(self)\n"
        "    seen.extend([gc.isenabled(), gc.get_freeze_count() > 1000])\n"
        "    return out\n"
        "options.Options.project = project\n"
        "sys.argv = ['subreg', 'validate']\n"
        "code = entry.main()\n"
        "print(seen, code)\n"
    )
    python = INSTALLED_BIN / "python"
    got = subprocess.run([str(python), "-c", probe], cwd=own_repo.path, capture_output=True, text=True, check=False)
    assert got.stdout.endswith("valid\n[False, True, True] 0\n"), got.stderr


def test_the_installed_command_loads_no_pydantic_plugin_of_the_environment(installed, own_repo: Repo,
                                                                           tmp_path: Path) -> None:
    """A package that registers a pydantic plugin (an entry point in the `pydantic`
    group) is not imported by the installed command; with plugins allowed by the caller,
    the same environment loads it, so the probe would see a loaded plugin."""
    site = tmp_path / "site"
    (site / "probe_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "probe_plugin-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: probe-plugin\nVersion: 1.0\n")
    (site / "probe_plugin-1.0.dist-info" / "entry_points.txt").write_text("[pydantic]\nprobe = probe_plugin:plugin\n")
    marker = tmp_path / "loaded"
    (site / "probe_plugin.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "class Plugin:\n"
        "    def new_schema_validator(self, *args, **kwargs):\n"
        "        return None, None, None\n"
        "plugin = Plugin()\n")
    res = installed("validate", cwd=own_repo.path, env={"PYTHONPATH": str(site)})
    assert (res.code, marker.exists()) == (0, False), res.err
    res = installed("validate", cwd=own_repo.path, env={"PYTHONPATH": str(site), "PYDANTIC_DISABLE_PLUGINS": ""})
    assert res.code == 0 and marker.exists(), res.err


def test_in_process_the_collector_is_left_as_it_is() -> None:
    import gc

    from subreg import options

    frozen = gc.get_freeze_count()
    options.started()
    assert gc.isenabled() and gc.get_freeze_count() == frozen
