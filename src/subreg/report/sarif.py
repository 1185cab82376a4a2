"""SARIF 2.1.0: one rule per check id, with its description; results with file and line."""

from __future__ import annotations

import json
from typing import Any

from subreg.findings import Finding

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def rules() -> dict[str, str]:
    """Check id -> one-line description, from the docstrings of the built-in checks."""
    import importlib
    import pkgutil

    from subreg import checks

    out = {
        "waiver-expired": "A waiver past its expires_on no longer waives, and is reported.",
        "waiver-unused": "A waiver that matches no finding should be removed.",
    }
    from subreg import rules as documented

    for name, fn in vars(documented).items():
        if callable(fn) and getattr(fn, "__module__", "") == documented.__name__ and fn.__doc__:
            out[name.replace("_", "-")] = fn.__doc__.strip().splitlines()[0]
    for mod in pkgutil.iter_modules(checks.__path__):
        module = importlib.import_module(f"subreg.checks.{mod.name}")
        for name, fn in vars(module).items():
            if name.startswith("test_") and callable(fn):
                out[name[5:].replace("_", "-")] = (fn.__doc__ or name).strip().splitlines()[0]
    return out


def render(findings: list[Finding], version: str) -> str:
    described = rules()
    ids = sorted(set(described) | {f.check for f in findings})
    index = {rid: i for i, rid in enumerate(ids)}
    results: list[dict[str, Any]] = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.check,
            "ruleIndex": index[f.check],
            "level": "error" if f.severity == "error" else "warning",
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": f.path},
                "region": {"startLine": max(f.line, 1)},
            }}],
        }
        if f.outcome == "waived":
            result["suppressions"] = [{"kind": "external", "justification": "waived in policies/waivers.yaml"}]
        results.append(result)
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "subreg", "version": version,
                "informationUri": "https://github.com/subreg/subreg",
                "rules": [{"id": rid, "name": rid,
                           "shortDescription": {"text": described.get(rid, "custom check " + rid)}}
                          for rid in ids],
            }},
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
