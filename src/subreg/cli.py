"""The click layer: parse options, call one function, print what it returns.

Exit codes are decided here and only here: 0 fine, 1 policy violations, 2 bad input or
invocation, 3 a bug in subreg.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from pathlib import Path

import click

from subreg.errors import EXIT_INPUT, EXIT_INTERNAL, InputError, SubregError
from subreg.escape import one_line
from subreg.options import MAX_YEAR, MIN_YEAR, Options, Outcome


def _today(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date:
    if value is None:
        return dt.datetime.now(dt.UTC).date()
    try:
        # YYYY-MM-DD only: fromisoformat also takes week dates (2026-W01-1) and others
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: write YYYY-MM-DD") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise click.BadParameter(f"{value!r} is out of range: the year must be {MIN_YEAR}-{MAX_YEAR}")
    return day


def _ref(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        from subreg.gitrepo import check_ref

        try:
            check_ref(value)
        except InputError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path),
              help="The compliance repo (default: found upward from the current folder).")
@click.option("--today", callback=_today, metavar="YYYY-MM-DD",
              help="Fix today's date, for reproducible runs (default: today in UTC).")
@click.version_option(package_name="subreg")
@click.pass_context
def cli(ctx: click.Context, repo: Path | None, today: dt.date) -> None:
    """Compliance-as-code for a company's list of GDPR subprocessors."""
    ctx.obj = Options(repo, today)
    ctx.call_on_close(ctx.obj.close)


def _emit(outcome: Outcome) -> None:
    if outcome.out:
        click.echo(outcome.out, nl=not outcome.out.endswith("\n"))
    if outcome.err:
        click.echo(outcome.err, err=True, nl=not outcome.err.endswith("\n"))
    raise SystemExit(outcome.code)


base_option = click.option("--base", callback=_ref, metavar="REF",
                           help="Base ref (default: merge-base with the default branch).")
head_option = click.option("--head", callback=_ref, metavar="REF",
                           help="Head ref (default: the working tree).")
format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]),
                             default="text", show_default=True, help="Output format.")


@cli.command()
@click.pass_obj
def validate(opts: Options) -> None:
    """Parse and schema-check the registry, the policy and the waivers."""
    from subreg.commands.validate import run

    _emit(run(opts))


@cli.command()
def schema() -> None:
    """Print the JSON Schema of a registry entry."""
    from subreg.commands.validate import schema as run

    _emit(run())


@cli.command()
@base_option
@head_option
@format_option
@click.pass_obj
def diff(opts: Options, base: str | None, head: str | None, fmt: str) -> None:
    """Show what changed in the registry between two refs."""
    from subreg.commands.diff import run

    _emit(run(opts, base, head, fmt))


@cli.command()
@base_option
@head_option
@click.option("--all", "everything", is_flag=True,
              help="Run the per-subprocessor checks on every subprocessor, not only those changed.")
@format_option
@click.option("--junit-xml", "junit_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the findings as JUnit XML.")
@click.option("--sarif", "sarif_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the findings as SARIF 2.1.0.")
@click.pass_obj
def check(opts: Options, base: str | None, head: str | None, everything: bool, fmt: str,
          junit_path: Path | None, sarif_path: Path | None) -> None:
    """Run every built-in and custom policy check on base..head (the merge gate)."""
    from subreg.commands.check import run

    _emit(run(opts, base, head, everything, fmt, junit_path, sarif_path))


out_option = click.option("--out", type=click.Path(file_okay=False, path_type=Path),
                          required=True, help="Folder to write into.")


@cli.group(invoke_without_command=True)
@base_option
@head_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the drafts into (required without a subcommand).")
@click.pass_context
def notice(ctx: click.Context, base: str | None, head: str | None, out: Path | None) -> None:
    """Write customer-notice drafts (Markdown, HTML, e-mail, JSON) for base..head.

    `subreg notice send` sends drafts written this way.
    """
    if ctx.invoked_subcommand is not None:
        if base is not None or head is not None or out is not None:
            raise click.UsageError(f"--base, --head and --out are options of `subreg notice`, not of "
                                   f"`subreg notice {ctx.invoked_subcommand}`", ctx)
        return
    if out is None:
        raise click.UsageError("Missing option '--out'.", ctx)
    from subreg.commands.notice import run

    _emit(run(ctx.obj, base, head, out))


@notice.command("send")
@click.option("--from", "source", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The folder `subreg notice --out` wrote.")
@click.option("--recipients", "recipients_file", required=True, metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="CSV of email,language[,terms], kept outside the repository.")
@click.option("--smtp", required=True, metavar="HOST[:PORT]",
              help="The SMTP server (port 587 with --starttls, else 25).")
@click.option("--starttls", is_flag=True, help="Encrypt the connection with STARTTLS (certificate checked).")
@click.option("--ledger", "ledger_dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Folder of the ledger record (default: notices/ledger/ of the compliance repo).")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send and write nothing.")
@click.pass_obj
def notice_send(opts: Options, source: Path, recipients_file: Path, smtp: str, starttls: bool,
                ledger_dir: Path | None, dry_run: bool) -> None:
    """Send notice drafts, one message per recipient in their language, and record it in the ledger.

    The SMTP user and password come from SUBREG_SMTP_USER and SUBREG_SMTP_PASSWORD.
    A stopped sending is resumed by running the same command again.
    """
    from subreg.commands.notice import send

    _emit(send(opts, source, recipients_file, smtp, starttls, ledger_dir, dry_run))


@cli.command()
@out_option
@click.pass_obj
def publish(opts: Options, out: Path) -> None:
    """Write the public subprocessor page, its Markdown and JSON, and the Atom feed."""
    from subreg.commands.publish import run

    _emit(run(opts, out))


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for audit.json and audit.md.")
@click.pass_obj
def audit(opts: Options, out: Path | None) -> None:
    """Nightly: every check on head, the date-driven checks, and a replay of history."""
    from subreg.commands.audit import run

    _emit(run(opts, out))


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.pass_obj
def init(opts: Options, directory: Path) -> None:
    """Create a new compliance repo with example files in DIRECTORY."""
    from subreg.commands.init import run

    _emit(run(opts, directory))


@cli.command()
@click.argument("check_id", required=False, metavar="CHECK-ID")
@click.option("--all", "list_all", is_flag=True, help="List every check id with its rule.")
@click.pass_obj
def explain(opts: Options, check_id: str | None, list_all: bool) -> None:
    """Print a check's rule, severity, legal source and how to fix a finding."""
    from subreg.commands.explain import run

    _emit(run(opts, check_id, list_all))


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@out_option
@click.option("--languages", metavar="LANGS",
              help="Languages to write, e.g. en,fr (default: the policy's; outside a compliance "
                   "repo, the source's).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report to this file.")
@click.pass_obj
def import_list(opts: Options, file: Path, out: Path, languages: str | None, report_path: Path | None) -> None:
    """Write registry files from an existing list: a CSV or XLSX export, or a Markdown page."""
    from subreg.commands.import_ import run

    _emit(run(opts, file, out, languages, report_path))


@cli.command()
@click.argument("source", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--base", callback=_ref, metavar="REF",
              help="Scan only what the change from REF to HEAD adds (default: the whole tree).")
@format_option
@click.option("--sarif", "sarif_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the findings as SARIF 2.1.0.")
@click.option("--catalog", "show_catalog", is_flag=True,
              help="Print the catalogue of known services (ids, names, domains) and exit.")
@click.pass_obj
def scan(opts: Options, source: Path | None, base: str | None, fmt: str, sarif_path: Path | None,
         show_catalog: bool) -> None:
    """Find the third-party services that product code in SOURCE uses, against the registry."""
    from subreg.commands.scan import run

    _emit(run(opts, source, base, fmt, sarif_path, show_catalog))


GLOBAL_OPTIONS = ("--repo", "--today")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `subreg` command."""
    try:
        cli.main(args=argv, prog_name="subreg", standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_INPUT
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return EXIT_INPUT
    except click.NoSuchOption as exc:
        if exc.option_name in GLOBAL_OPTIONS and exc.ctx is not None and exc.ctx.parent is not None:
            command = exc.ctx.command_path.removeprefix("subreg ")
            click.UsageError(f"{exc.option_name} is a global option: give it before the command, "
                             f"as in `subreg {exc.option_name} ... {command} ...`", exc.ctx).show()
        else:
            exc.show()
        return EXIT_INPUT
    except click.ClickException as exc:
        exc.show()
        return EXIT_INPUT
    except InputError as exc:
        click.echo(str(exc), err=True)
        return EXIT_INPUT
    except SubregError as exc:
        click.echo(f"subreg: internal error: {one_line(exc)}", err=True)
        return exc.exit_code
    except Exception as exc:  # a bug: say so, without dumping a traceback on users
        if os.environ.get("SUBREG_DEBUG"):
            import traceback

            traceback.print_exc()
        click.echo(
            f"subreg: internal error ({type(exc).__name__}: {one_line(exc)}); this is a bug in subreg. "
            "Set SUBREG_DEBUG=1 to see the traceback.", err=True,
        )
        return EXIT_INTERNAL
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
