"""`subreg import` on bad input: exit 2, `file:line:col: message` naming the row (and
column), nothing written, never a traceback."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from subreg.importer import csvfile, source


@pytest.fixture(autouse=True)
def _outside_any_repo(tmp_path, monkeypatch) -> None:
    """In-process runs start in a folder outside any compliance repo (not subreg's own)."""
    monkeypatch.chdir(tmp_path)

KNOWN_TAIL = ("known columns: id, name, legal_name, tier, personal_data, opt_in, locations, purpose, "
              "data_processed, certifications, transfer_mechanisms, address, contact, website, subprocessors_url, "
              "dpa_signed_on, or titles such as Subprocessor, Provider, Location, Purpose, Data Processed, Security "
              "Certifications, Opt-in Required (in French: Sous-traitant, Fournisseur, Localisation, Objectif, "
              "Données traitées, ...); a text column may name its language, as in 'Purpose (fr)'\n")

MD_NO_PARTNER = """\
## English Version

### Current Subprocessors

| Subprocessor | Location | Purpose |
|---|---|---|
| **Acme** | US | Analytics |

## Version française

### Sous-traitants actuels

| Sous-traitant | Localisation | Objectif |
|---|---|---|
| **Acme SAS** | US | Analyses |
"""

# One case per class of bad input, each through the installed wheel and in-process.
CASES = {
    "unknown column": ("v.csv", b"name,location,notes\nAcme,DE,x\n",
                       "v.csv:1:3: unknown column 'notes'; " + KNOWN_TAIL),
    "unknown country": ("v.csv", b"name,location\nAcme,DE\nBolt,\"France, Atlantis\"\n",
                        "v.csv:3:2: unknown location 'Atlantis': write a country name (in en), an ISO 3166-1 "
                        "alpha-2 code, EU or Global\n"),
    "empty file": ("v.csv", b"", "v.csv: empty file: there is no table to import\n"),
    "blank file": ("v.md", b"\n  \n", "v.md: empty file: there is no table to import\n"),
    "not a table": ("v.csv", b"Dear team,\nhere is the list you asked for.\n",
                    "v.csv:1: not a subprocessor table: its first row names no known column; " + KNOWN_TAIL),
    "a binary file": ("v.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
                      "v.csv:3: binary file (NUL byte): not a CSV table\n"),
    "not a workbook": ("v.xlsx", b"name,location\nAcme,DE\n",
                       "v.xlsx: not an XLSX workbook (not a zip container): save the spreadsheet as .xlsx, "
                       "or export it as CSV\n"),
    "wrong encoding": ("v.csv", "name;location;purpose\nAcme;France;Caf\xe9s\n".encode("latin-1"),
                       "v.csv:2:16: not UTF-8 text (byte 0xe9): save the file as UTF-8 (in a spreadsheet: "
                       "'CSV UTF-8')\n"),
    "no table in markdown": ("v.md", b"# Our vendors\n\nWe use a few.\n\n- Acme\n- Bolt\n",
                             "v.md: no recognisable table: found no table with a subprocessor name column "
                             "(e.g. | Subprocessor | Location | Purpose |)\n"),
    "duplicate rows": ("v.csv", b"name,location\nAcme Inc.,DE\nBolt,FR\nACME inc,DE\n",
                       "v.csv:4:1: duplicate row: 'ACME inc' is already on line 2 ('Acme Inc.')\n"),
    "unpaired translation": ("v.md", MD_NO_PARTNER.encode(),
                             "v.md:15:3: 'Acme SAS' (fr table) has no row of the same name in the en table of its "
                             "tier (table at line 5 (Current Subprocessors)): give it the same name in both, so "
                             "that its translations can be paired\n"),
}


@pytest.mark.parametrize("runner", ["installed", "run"])
@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_end_to_end(request, tmp_path, case, runner) -> None:
    name, content, message = CASES[case]
    (tmp_path / name).write_bytes(content)
    invoke = request.getfixturevalue(runner)
    r = invoke("import", name, "--out", "out", **({"cwd": tmp_path} if runner == "installed" else {}))
    assert (r.code, r.out, r.err) == (2, "", message)
    assert not (tmp_path / "out").exists()


def _run_csv(run, tmp_path: Path, text: str, *args: str) -> tuple[int, str]:
    path = tmp_path / "v.csv"
    path.write_text(text, encoding="utf-8")
    r = run("import", path, "--out", tmp_path / "out", *args)
    assert "Traceback" not in r.err
    if r.code != 0:
        assert not (tmp_path / "out").exists()
    return r.code, r.err.replace(f"{path}", "v.csv")


@pytest.mark.parametrize(("text", "message"), [
    ("name,location\nAcme,DE,extra\n", "v.csv:2:3: this row has 3 cells but the header (line 1) names 2 columns"),
    ('name,location\nAcme,"DE\n', "v.csv:2: not a valid CSV table: unexpected end of data"),
    ("name,location\nAc\x07me,DE\n", "v.csv:2:1: control or invisible character U+0007 in a cell: registry "
                                      "texts are one line of visible text"),
    ("name,location\nAcme\u202e,DE\n", "v.csv:2:1: control or invisible character U+202E in a cell"),
    ("name,location\n,DE\n", "v.csv:2:2: a row with no name"),
    ("location,purpose\nDE,x\n", "v.csv:1:1: no name column: the header (line 1) must name the subprocessor"),
    ("name,location,Location\nAcme,DE,FR\n", "v.csv:1:3: column 'Location' repeats column 'location' (column 2)"),
    ("name,,location\nAcme,x,DE\n", "v.csv:2:2: a value in a column with no header: name the column"),
    ("name,locaton\nAcme,DE\n", "v.csv:1:2: unknown column 'locaton' (did you mean 'location'?)"),
    ("name,location\n", "v.csv:1: the table of v.csv: a header and no rows: there is nothing to import"),
    ("name,tier\nAcme,premium\n", "v.csv:2:2: unknown tier 'premium': write core, infrastructure or integration"),
    ("name,tier,opt-in\nAcme,core,yes\n", "v.csv:2:3: opt-in is only for integrations: a core subprocessor "
                                          "cannot be opted out of a notice"),
    ("name,tier,opt-in\nAcme,integration,maybe\n", "v.csv:2:3: 'maybe' is not a yes/no answer"),
    ("name,personal data\nAcme,perhaps\n", "v.csv:2:2: 'perhaps' is not a yes/no answer"),
    ("name,website\nAcme,http://acme.example\n", "v.csv:2:2: website: 'http://acme.example' is not an https:// "
                                                 "link"),
    ("name,contact\nAcme,someone\n", "v.csv:2:2: contact: 'someone' is neither an e-mail address nor an "
                                     "https:// link"),
    ("name,dpa_signed_on\nAcme,01/03/2024\n", "v.csv:2:2: dpa_signed_on: '01/03/2024' is not a date: write it "
                                              "as YYYY-MM-DD"),
    ("id,name\nAcme!,Acme\n", "v.csv:2:1: 'Acme!' is not an id (lowercase letters, digits and dashes)"),
    ("id,name\nacme,Acme\nacme,Bolt\n", "v.csv:3:1: id 'acme' is already the id of 'Acme'"),
    ("name,location\nAcme,Europe\n", "v.csv:2:2: unknown location 'Europe': write a country name (in en), an "
                                     "ISO 3166-1 alpha-2 code, EU or Global (the EEA or Europe is not a location "
                                     "here: write EU for the European Union, or the countries)"),
    ("name,location\nAcme,Germnay\n", "(did you mean DE, Germany?)"),
    ("name,location\nAcme,Allemagne\n", "('Allemagne' is DE in fr: write DE, or import with fr among the "
                                        "languages)"),
    ("name,location\nAcme,US and Narnia\n", "v.csv:2:2: unknown location 'Narnia'"),
    ("name,location\nAcme,\" , ; \"\n", "v.csv:2:2: no location in this cell"),
    ("name,purpose\nAcme," + "x" * 2001 + "\n", "v.csv:2:2: a cell of 2,001 characters; the limit is 2,000"),
])
def test_bad_rows_name_their_row_and_column(run, tmp_path, text, message) -> None:
    code, err = _run_csv(run, tmp_path, text)
    assert code == 2
    assert message in err, err
    if message.startswith("v.csv"):
        assert err.startswith(message), err


def test_size_and_shape_limits(run, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(csvfile, "MAX_ROWS", 2)
    code, err = _run_csv(run, tmp_path, "name\na\nb\nc\n")
    assert (code, err) == (2, "v.csv:4: more than 2 rows\n")
    code, err = _run_csv(run, tmp_path, ",".join(f"c{i}" for i in range(65)) + "\n")
    assert (code, err) == (2, "v.csv:1: 65 columns; the limit is 64\n")
    monkeypatch.setattr(csvfile, "MAX_TEXT_BYTES", 10)
    code, err = _run_csv(run, tmp_path, "name\nAcme Analytics\n")
    assert (code, err) == (2, "v.csv: file is 20 bytes; the limit is 10\n")


def test_what_is_not_a_file_to_read(run, tmp_path) -> None:
    r = run("import", tmp_path / "missing.csv", "--out", tmp_path / "out")
    assert (r.code, r.err) == (2, f"{tmp_path / 'missing.csv'}: file not found\n")
    (tmp_path / "list.txt").write_text("name\nAcme\n", encoding="utf-8")
    r = run("import", tmp_path / "list.txt", "--out", tmp_path / "out")
    assert r.code == 2
    assert r.err.endswith("list.txt: unknown kind of file: subreg import reads a CSV (.csv), an XLSX workbook "
                          "(.xlsx) or a Markdown page (.md)\n")
    for suffix, kind in ((".xlsm", "a macro-enabled workbook"), (".xls", "a legacy Excel workbook"),
                         (".ods", "an OpenDocument spreadsheet")):
        (tmp_path / f"v{suffix}").write_bytes(b"PK")
        r = run("import", tmp_path / f"v{suffix}", "--out", tmp_path / "out")
        assert r.code == 2 and f"v{suffix}: is {kind}" in r.err
    import os

    os.mkfifo(tmp_path / "pipe.csv")
    r = run("import", tmp_path / "pipe.csv", "--out", tmp_path / "out")
    assert (r.code, r.err) == (2, f"{tmp_path / 'pipe.csv'}: is not a regular file\n")
    assert not (tmp_path / "out").exists()


# -- XLSX: untrusted containers -------------------------------------------------------------

def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _xlsx_run(run, tmp_path: Path, raw: bytes) -> tuple[int, str]:
    (tmp_path / "v.xlsx").write_bytes(raw)
    r = run("import", tmp_path / "v.xlsx", "--out", tmp_path / "out")
    assert "Traceback" not in r.err
    assert not (tmp_path / "out").exists()
    return r.code, r.err.replace(str(tmp_path / "v.xlsx"), "v.xlsx")


def test_a_zip_bomb_is_refused_before_it_is_inflated(run, tmp_path) -> None:
    code, err = _xlsx_run(run, tmp_path, _zip({"xl/workbook.xml": b"<x/>", "xl/worksheets/sheet1.xml":
                                               b"\0" * (8 * 1024 * 1024)}))
    assert code == 2
    assert err.startswith("v.xlsx: refused: part 'xl/worksheets/sheet1.xml' inflates 8,388,608 bytes from ")
    assert err.endswith(" (a zip bomb?)\n")


def test_a_workbook_that_inflates_too_far_is_refused(run, tmp_path, monkeypatch) -> None:
    from subreg.importer import xlsxfile

    monkeypatch.setattr(xlsxfile, "MAX_INFLATED", 1000)
    code, err = _xlsx_run(run, tmp_path, _zip({"xl/workbook.xml": bytes(range(256)) * 8}))
    assert (code, err) == (2, "v.xlsx: refused: the workbook inflates to 2,048 bytes; the limit is 1,000\n")
    monkeypatch.setattr(xlsxfile, "MAX_MEMBERS", 2)
    code, err = _xlsx_run(run, tmp_path, _zip({f"m{i}": b"" for i in range(3)}))
    assert (code, err) == (2, "v.xlsx: the workbook has 3 parts; the limit is 2\n")


def test_zips_that_are_not_workbooks(run, tmp_path) -> None:
    code, err = _xlsx_run(run, tmp_path, _zip({"word/document.xml": b"<w/>"}))
    assert (code, err) == (2, "v.xlsx: not an XLSX workbook (no xl/workbook.xml): save the spreadsheet as .xlsx\n")
    code, err = _xlsx_run(run, tmp_path, _zip({"xl/workbook.xml": b"<not-closed"}))
    assert code == 2
    assert err.startswith("v.xlsx: not a readable XLSX workbook (")


def _book(tmp_path: Path, rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / "made.xlsx"
    book.save(path)
    return path.read_bytes()


def test_workbook_shapes(run, tmp_path) -> None:
    code, err = _xlsx_run(run, tmp_path, _book(tmp_path, []))
    assert (code, err) == (2, "v.xlsx: the first worksheet ('Sheet') is empty: there is no table to import\n")
    code, err = _xlsx_run(run, tmp_path, _book(tmp_path, [["name", "location"], ["Acme", "DE", "stray"]]))
    assert (code, err) == (2, "v.xlsx:2:3: cell C2 is right of the last column the header names\n")
    code, err = _xlsx_run(run, tmp_path, _book(tmp_path, [[f"c{i}" for i in range(66)]]))
    assert (code, err) == (2, "v.xlsx:1:65: more than 64 columns (cell BM1)\n")
    code, err = _xlsx_run(run, tmp_path, _book(tmp_path, [["name", "purpose"], ["Acme", "x" * 2001]]))
    assert (code, err) == (2, "v.xlsx:2:2: a cell of 2,001 characters; the limit is 2,000\n")


def test_a_far_cell_is_not_a_million_rows(run, tmp_path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["name"])
    book.active["A1048576"] = "far"
    book.save(tmp_path / "made.xlsx")
    code, err = _xlsx_run(run, tmp_path, (tmp_path / "made.xlsx").read_bytes())
    assert (code, err) == (2, "v.xlsx:50001: the first worksheet runs past row 50,000; a list of subprocessors "
                              "is shorter\n")


def test_source_limits_are_checked_before_reading(tmp_path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 11)
    with pytest.raises(Exception, match="file is 11 bytes; the limit is 10"):
        source.read_bytes(path, "big.csv", 10)


def test_a_file_that_would_not_read_back_is_a_bug_not_a_write(run, tmp_path, monkeypatch) -> None:
    from subreg.importer import yamlout

    (tmp_path / "v.csv").write_text("name,location,purpose\nAcme,DE,Analytics\n", encoding="utf-8")
    monkeypatch.setattr(yamlout, "render", lambda draft, name: "name: [\n")
    r = run("import", "v.csv", "--out", "out")
    assert r.code == 3
    assert r.err.startswith("subreg: internal error: subreg import made an invalid file for 'Acme' (out/acme.yaml:")
    monkeypatch.setattr(yamlout, "render", lambda draft, name: "name: Acme\ntier: core\npersonal_data: true\n"
                        "locations: [DE]\npurpose: {}\ndata_processed: {}\n")
    r = run("import", "v.csv", "--out", "out")
    assert (r.code, r.err) == (3, "subreg: internal error: subreg import wrote out/acme.yaml so that it reads "
                               "back differently\n")
    assert not (tmp_path / "out").exists()
