"""This repository's own checks (checks/test_commitments.py): AI Sales Agent's commitments
that no built-in check covers. They pass on our registry, each fails on the entry that
breaks it, and `make run` runs them (its `subreg check --all` picks up checks/)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from conftest import ROOT, SUBREG_BIN, Repo, dump

TODAY = "2026-11-28"


def edit(repo: Repo, sp_id: str, **changes: Any) -> None:
    path = repo.path / "registry" / f"{sp_id}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(dump(data), encoding="utf-8")


def line_of(repo: Repo, sp_id: str, field: str) -> int:
    text = (repo.path / "registry" / f"{sp_id}.yaml").read_text(encoding="utf-8")
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(f"{field}:"))


def check_all(installed, repo: Repo) -> tuple[int, dict[str, Any]]:
    res = installed("--repo", repo.path, "--today", TODAY, "check", "--all", "--format", "json")
    assert res.code in (0, 1), res.err
    return res.code, json.loads(res.out)


OWN = ["infrastructure-has-no-personal-data", "optional-integration-is-opt-in",
       "core-eu-data-stays-in-eu-or-is-safeguarded", "certifications-are-certifications"]


def test_own_checks_pass_on_our_registry(installed, own_repo: Repo) -> None:
    code, doc = check_all(installed, own_repo)
    assert code == 0
    assert [f for f in doc["findings"] if f["check"] in OWN] == []
    # 4 own checks per entry ran and passed, beside the built-in ones
    without = own_repo.path / "checks-aside"
    (own_repo.path / "checks").rename(without)
    _, bare = check_all(installed, own_repo)
    assert doc["summary"]["passed"] - bare["summary"]["passed"] == 4 * 21


def test_each_own_check_fails_on_the_entry_that_breaks_it(installed, own_repo: Repo) -> None:
    edit(own_repo, "github", personal_data=True)  # infrastructure with personal data
    edit(own_repo, "hubspot", opt_in=False)  # an integration on for everyone
    # Canada is adequate under the GDPR, but our EU customers were promised SCC or BCR
    edit(own_repo, "datadog", locations=["US", "EU", "CA"], transfer_mechanisms=["DPF"])
    edit(own_repo, "sentry", certifications=[{"name": "SOC 2 Type II", "expires_on": "2027-08-31"},
                                             {"name": "GDPR compliant"}])
    code, doc = check_all(installed, own_repo)
    assert code == 1
    own = sorted((f["check"], f["subprocessor"], f["path"], f["line"], f["outcome"], f["message"])
                 for f in doc["findings"] if f["check"] in OWN)
    assert own == sorted([
        ("certifications-are-certifications", "sentry", "registry/sentry.yaml",
         line_of(own_repo, "sentry", "certifications"), "failed",
         "GDPR compliant is not a security certification: remove it from certifications"),
        ("core-eu-data-stays-in-eu-or-is-safeguarded", "datadog", "registry/datadog.yaml",
         line_of(own_repo, "datadog", "transfer_mechanisms"), "failed",
         "EU-region data of Datadog goes to CA (its locations or its chain's) without SCC or BCR "
         "(or the DPF for the US)"),
        ("infrastructure-has-no-personal-data", "github", "registry/github.yaml",
         line_of(own_repo, "github", "personal_data"), "failed",
         "GitHub is listed as infrastructure, with limited or no access to personal data, but has "
         "personal_data: true: make it a core subprocessor or explain the exception in a waiver"),
        ("optional-integration-is-opt-in", "hubspot", "registry/hubspot.yaml",
         line_of(own_repo, "hubspot", "opt_in"), "failed",
         "HubSpot is an optional integration but has opt_in: false: our list promises that every "
         "integration requires the customer's opt-in"),
    ])
    # the built-in GDPR rule is content with Canada's adequacy (the stricter promise is
    # ours); it only warns that the US transfer rests on the DPF alone
    [builtin] = [f for f in doc["findings"] if f["check"] == "transfer-mechanism" and f["subprocessor"] == "datadog"]
    assert builtin["outcome"] == "warning" and "under DPF alone" in builtin["message"]


def test_eu_promise_counts_the_chain(installed, own_repo: Repo) -> None:
    """A chain member outside the EU/EEA breaks the promise too."""
    data = yaml.safe_load((own_repo.path / "registry" / "openai.yaml").read_text(encoding="utf-8"))
    edit(own_repo, "datadog", transfer_mechanisms=["DPF"], subprocessors=[
        {**data["subprocessors"][0], "locations": ["US", "JP"]}])
    _, doc = check_all(installed, own_repo)
    [f] = [f for f in doc["findings"] if f["check"] == "core-eu-data-stays-in-eu-or-is-safeguarded"]
    assert f["subprocessor"] == "datadog" and "goes to JP" in f["message"]


def test_make_run_runs_our_checks(installed, own_repo: Repo, tmp_path: Path) -> None:
    """The `run` target's subreg commands, as the Makefile writes them, pass on our data
    and fail on a broken commitment with our own check's id."""
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    assert recipe is not None
    commands = [line.strip().split()[1:] for line in recipe.group(1).splitlines()
                if line.strip().startswith("$(BIN)/subreg ")]
    assert ["check", "--all"] in commands
    for args in commands:
        res = installed("--today", TODAY, *args, cwd=own_repo.path)
        assert res.code == 0, (args, res.out, res.err)
    edit(own_repo, "hubspot", opt_in=False)
    res = installed("--today", TODAY, "check", "--all", cwd=own_repo.path)
    assert res.code == 1
    assert "[error] optional-integration-is-opt-in:" in res.out
    assert SUBREG_BIN.exists()


def test_our_checks_explain_themselves(installed, own_repo: Repo) -> None:
    for check_id in OWN:
        res = installed("explain", check_id, cwd=own_repo.path)
        assert res.code == 0, res.err
        assert res.out.startswith(f"{check_id} (error)\n") and "Source: our subprocessor list" in res.out
        assert "How to fix: " in res.out and res.out.endswith("Defined in checks/test_commitments.py.\n")
