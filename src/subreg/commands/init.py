"""`subreg init DIR`: a new compliance repository, ready to commit.

It holds a policy, one example subprocessor that passes every built-in check on the
day it is created, one custom check, the GitHub workflows (which run subreg through
its composite action), a pre-commit configuration and a README. Nothing is written
over an existing file: DIR must be missing or empty, and the files appear all at once
or not at all.
"""

from __future__ import annotations

import datetime as dt
import shlex
from pathlib import Path

import jinja2

from subreg.errors import EXIT_INPUT, EXIT_OK
from subreg.options import Options, Outcome
from subreg.outputs import write_tree

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

COMPANY = "Example Company"
NOTICE_PERIOD_DAYS = 30

# The actions the generated workflows use, pinned by commit SHA. The same pins as this
# repository's own workflows (tests/test_init.py keeps them in step).
PINS = {
    "checkout": "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
    "upload_artifact": "actions/upload-artifact@043fb46d1a93c77aae656e7c1c64a875d1fc6a0a # v7.0.1",
    "download_artifact": "actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c # v8.0.1",
    "upload_pages_artifact": "actions/upload-pages-artifact@7b1f4a764d45c48632c6b24a0339c27f5614fb0b # v4.0.0",
    "deploy_pages": "actions/deploy-pages@d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e # v4.0.5",
}

# The scripts of the jobs that call GitHub's API (the same as this repository's own
# workflows: tests/test_init.py keeps them in step).
SCRIPTS = {"comment": "init-script-comment.sh.j2", "tracking_issue": "init-script-tracking-issue.sh.j2",
           "close_issue": "init-script-close-issue.sh.j2", "send_notices": "init-script-send-notices.sh.j2",
           "record_ledger": "init-script-record-ledger.sh.j2"}

# Output path -> template (in subreg/templates/).
FILES = {
    "policies/policy.yaml": "init-policy.yaml.j2",
    "policies/waivers.yaml": "init-waivers.yaml.j2",
    "registry/example-hosting.yaml": "init-registry-example.yaml.j2",
    "checks/test_example.py": "init-check.py.j2",
    ".github/workflows/subreg-gate.yml": "init-workflow-gate.yml.j2",
    ".github/workflows/subreg-nightly.yml": "init-workflow-nightly.yml.j2",
    ".github/dependabot.yml": "init-dependabot.yml.j2",
    ".github/CODEOWNERS": "init-CODEOWNERS.j2",
    ".pre-commit-config.yaml": "init-pre-commit-config.yaml.j2",
    "README.md": "init-README.md.j2",
    ".gitignore": "init-gitignore.j2",
}


def _environment() -> jinja2.Environment:
    # Square-bracket delimiters: the workflows are full of GitHub's own ${{ ... }}. No
    # autoescape: the output is YAML, Markdown and Python, and every value is our own.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        variable_start_string="[[", variable_end_string="]]",
        block_start_string="[%", block_end_string="%]",
        comment_start_string="[#", comment_end_string="#]",
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        autoescape=False,  # noqa: S701
    )


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def files(today: dt.date, version: str) -> dict[str, str | bytes]:
    """The new repository's files, by path."""
    env = _environment()
    values = {
        "company": COMPANY,
        "notice_period_days": NOTICE_PERIOD_DAYS,
        "today": today.isoformat(),
        "certification_expiry": _years_later(today, 2).isoformat(),
        "waiver_expiry": (today + dt.timedelta(days=30)).isoformat(),
        "version": version,
        "action": f"subreg/subreg@v{version}",
        "pins": PINS,
        "scripts": {key: env.get_template(name).render() for key, name in SCRIPTS.items()},
    }
    return {path: env.get_template(name).render(values) for path, name in FILES.items()}


def run(opts: Options, directory: Path) -> Outcome:
    """Create a new compliance repository in `directory` (missing or empty)."""
    from subreg import __version__

    if directory.is_symlink() or (directory.exists() and not directory.is_dir()):
        return Outcome(EXIT_INPUT, err=f"subreg init: {directory} exists and is not a folder (or is a symlink)\n")
    if directory.is_dir() and any(directory.iterdir()):
        return Outcome(EXIT_INPUT, err=(
            f"subreg init: {directory} is not empty; subreg init writes only into a new or "
            "empty folder, so that no file of yours is overwritten\n"
        ))
    created = files(opts.today, __version__)
    write_tree(directory, dict(created))
    listing = "\n".join(f"  {path}" for path in sorted(created))
    return Outcome(EXIT_OK, (
        f"created a compliance repository in {directory}:\n{listing}\n\n"
        "next:\n"
        f"  cd {shlex.quote(str(directory))}\n"
        "  git init -b main && git add . && git commit -m 'Subprocessor registry baseline'\n"
        "  subreg validate && subreg check --all\n"
        "then replace registry/example-hosting.yaml with your subprocessors, and see README.md "
        "for the GitHub settings (branch protection, the action's pin)\n"
    ))
