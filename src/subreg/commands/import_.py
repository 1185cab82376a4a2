"""`subreg import FILE --out DIR`: registry files from an existing list.

FILE is a CSV or XLSX export of a spreadsheet (`.csv`, `.xlsx`) or a Markdown page with
tables like the seed's (`.md`). One `<id>.yaml` per row is written into DIR, all at
once or none: a bad row, an id that already has a file in DIR, or an entry that would
not pass the registry schema stops the import before anything is written.

Languages: `--languages`, else the policy's of the compliance repo (found as for every
command, or `--repo`), else, outside a compliance repo, the languages the source's
texts are in (a text column whose language nothing says counts as English).
"""

from __future__ import annotations

from pathlib import Path

from subreg import registry
from subreg.errors import EXIT_OK, InputError, SubregError
from subreg.importer import columns, csvfile, drafts, entries, markdown, report, xlsxfile, yamlout
from subreg.importer.source import Source
from subreg.model import Subprocessor
from subreg.options import Options, Outcome
from subreg.outputs import write_atomic, write_tree
from subreg.project import Project

_READERS = {".csv": csvfile.read, ".tsv": csvfile.read, ".xlsx": xlsxfile.read, ".md": markdown.read,
            ".markdown": markdown.read}
_REFUSED = {
    ".xls": "a legacy Excel workbook: save it as .xlsx, or export it as CSV UTF-8",
    ".xlsm": "a macro-enabled workbook: subreg does not open those; save it as .xlsx, or export it as CSV",
    ".xlsb": "a binary Excel workbook: save it as .xlsx, or export it as CSV UTF-8",
    ".ods": "an OpenDocument spreadsheet: save it as .xlsx, or export it as CSV UTF-8",
}


def read(path: Path) -> Source:
    display = str(path)
    suffix = path.suffix.lower()
    if suffix in _REFUSED:
        raise InputError.at(display, f"is {_REFUSED[suffix]}")
    reader = _READERS.get(suffix)
    if reader is None:
        raise InputError.at(display, "unknown kind of file: subreg import reads a CSV (.csv), an XLSX "
                            "workbook (.xlsx) or a Markdown page (.md)")
    return reader(path, display)


def _project(opts: Options) -> Project | None:
    if opts.repo is not None:
        return opts.project()
    try:
        return opts.project()
    except InputError:
        return None  # not inside a compliance repo


def _languages(option: str | None, project: Project | None,
               tables: list[entries.ReadTable]) -> tuple[list[str], str]:
    if option is not None:
        langs = [part.strip() for part in option.split(",") if part.strip()]
        bad = [lang for lang in langs if not columns.is_language(lang)]
        if bad or not langs:
            raise InputError(f"--languages: {', '.join(map(repr, bad)) or 'nothing'} is not a list of "
                             "language codes such as en,fr")
        if len(set(langs)) != len(langs):
            raise InputError("--languages: each language may appear once")
        return langs, f"{', '.join(langs)} (--languages)"
    if project is not None:
        langs = list(project.policy.languages)
        return langs, f"{', '.join(langs)} (the policy's)"
    langs = entries.source_languages(tables) or ["en"]
    return langs, f"{', '.join(langs)} (the source's; no compliance repo)"


def run(opts: Options, file: Path, out: Path, languages: str | None, report_path: Path | None) -> Outcome:
    source = read(file)
    project = _project(opts)
    tables = entries.read_tables(source)
    langs, said = _languages(languages, project, tables)
    found = drafts.build(source, tables, langs)

    existing = [d.id for d in found if (out / f"{d.id}.yaml").exists() or (out / f"{d.id}.yaml").is_symlink()]
    if existing:
        raise InputError(f"{out}: {', '.join(f'{i}.yaml' for i in existing)} already "
                         f"exist{'s' if len(existing) == 1 else ''}; subreg import writes only new files "
                         "(import into another folder, or move them away)")
    files: dict[str, str | bytes] = {}
    parsed = {}
    for d in found:
        text = yamlout.render(d, source.name)
        path = str(out / f"{d.id}.yaml")
        try:
            sp, doc = registry.parse_entry(text.encode(), path)
        except InputError as exc:
            raise SubregError(f"subreg import made an invalid file for {d.name!r} ({exc})") from None
        if _public(sp) != _public(drafts.validate(source, d)):
            raise SubregError(f"subreg import wrote {path} so that it reads back differently")
        files[f"{d.id}.yaml"] = text
        parsed[d.id] = (sp, doc)
    verdicts = report.judge(project, langs, opts.today, parsed)
    write_tree(out, files)
    text = report.render(source, tables, found, verdicts, out, said)
    if report_path is not None:
        write_atomic(report_path, text)
    return Outcome(EXIT_OK, text)


def _public(sp: Subprocessor) -> dict[str, object]:
    return sp.model_dump(mode="json", exclude={"id", "path"})
