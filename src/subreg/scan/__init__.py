"""`subreg scan`: third-party services that product code uses, against the registry.

- `catalog.py`: the curated catalogue (`services/<id>.yaml`, one record per service),
  its schema, and the matcher that maps a package, host, Terraform provider or
  environment variable to a service;
- `names.py`: package names normalised the way each ecosystem compares them;
- `manifests.py`: runtime dependencies from the manifests of each ecosystem, read as
  data by real parsers (packaging, tomllib, json, xml.etree without DTDs);
- `text.py`: URL hosts in source code (comments and docstrings skipped), variables of
  `.env*` templates and deployment manifests, Terraform providers;
- `paths.py`: which files are evidence at all (tests, docs, vendored and generated
  code, lock files are not);
- `collect.py`: the walk over a tree (git's file list and `git grep` when SOURCE is a
  git repository, else the file system) or over a change base..HEAD;
- `compare.py`: the link between registry entries and services, and the findings;
- `stub.py`: the proposed `registry/<id>.yaml` for an undeclared service.

Product code is untrusted input: it is read as text and parsed as data, never run,
imported or built; symlinks are never followed; files are size-capped.
"""
