"""`subreg import`: registry files from a list that already exists.

A list arrives as a CSV or XLSX export of a spreadsheet, or as a Markdown page with
tables like the seed's. Each reader turns its file into `Table`s of one-line text
`Cell`s that know where they stand (`source`); `columns` says what each header means
and in which language; `values` reads locations (country names in each language,
through Babel), tiers, yes/no answers and certifications; `entries` reads the rows and
pairs a page's tables of one tier across languages; `drafts` turns each group of rows
into an entry the registry schema accepts, and `ids` names it; `yamlout` writes each
entry as our registry files are written; `report` runs the real checks on the result,
so that the report says what `subreg check` would.

Everything read is untrusted: sizes are capped before parsing, an XLSX is opened
read-only for cached values (never a formula or a macro), and every problem is an
`InputError` located at the file, row and column.
"""
