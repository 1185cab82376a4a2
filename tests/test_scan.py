"""`subreg scan` end to end: findings against the registry, the stub, PR scope, waivers,
reports, exit codes; on real git repositories, through the installed command too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import Repo, dump
from test_scan_evidence import git, tree

TODAY = "2026-12-01"
STRIPE = {"name": "Stripe, Inc.", "legal_name": "Stripe, Inc.", "website": "https://stripe.com"}
SENTRY = {"name": "Sentry", "legal_name": "Functional Software, Inc.", "website": "https://sentry.io"}

PRODUCT = {
    "requirements.txt": "Django==5.0\nSentry_SDK[django]==1.40\nstripe==7.0\n",
    "requirements-dev.txt": "pytest\nstripe-mock\n",
    "shop/views.py": 'MIXPANEL = "https://api.mixpanel.com/track"\n',
    "shop/tests/test_views.py": 'OPENAI = "https://api.openai.com"\n',
}


def compliance(repo: Repo, **entries: dict[str, Any]) -> Repo:
    for sp_id, fields in entries.items():
        repo.put(sp_id, **fields)
    repo.commit("2026-11-01", "registry")
    return repo


def as_json(out: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(out)
    return doc


def test_undeclared_service_fails_with_the_stub(cli: Any, repo: Repo, tmp_path: Path) -> None:
    compliance(repo, stripe=STRIPE, sentry=SENTRY)
    product = tree(tmp_path / "shop", PRODUCT)
    res = cli("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    assert res.code == 1, res.err
    doc = as_json(res.out)
    assert doc["services"] == ["mixpanel", "sentry", "stripe"]
    assert doc["summary"] == {"failed": 1, "warnings": 0, "waived": 0, "passed": 2}
    [f] = doc["findings"]
    assert f["check"] == "undeclared-subprocessor" and f["severity"] == "error" and f["outcome"] == "failed"
    assert (f["subprocessor"], f["service"], f["line"]) == ("mixpanel", "mixpanel", 1)
    assert f["path"] == f"{product.as_posix()}/shop/views.py"
    assert f["evidence"] == [{"path": f"{product.as_posix()}/shop/views.py", "line": 1, "kind": "host",
                              "text": "api.mixpanel.com"}]
    assert f["message"].startswith("Mixpanel (mixpanel) is used by the code, but no current registry entry declares")
    assert f["stub"]["path"] == "registry/mixpanel.yaml"
    stub = f["stub"]["text"]
    assert "name: \"Mixpanel\"\nlegal_name: \"Mixpanel, Inc.\"\nwebsite: \"https://mixpanel.com\"\n" in stub
    assert "  announced_on: 2026-12-01\n  effective_on: 2026-12-31\n" in stub
    # the stub is a valid entry: dropped into the registry, validate accepts it
    (repo.path / "registry" / "mixpanel.yaml").write_text(stub)
    assert cli("--repo", repo.path, "validate").code == 0


def test_text_output_prints_the_stub(run: Any, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compliance(repo, stripe=STRIPE, sentry=SENTRY)
    product = tree(tmp_path / "shop", PRODUCT)
    monkeypatch.chdir(product)
    res = run("--repo", repo.path, "--today", TODAY, "scan", ".")
    assert res.code == 1
    lines = res.out.splitlines()
    assert lines[0] == "subreg scan . (whole tree): 2 file(s) read, 3 service(s) in use: mixpanel, sentry, stripe"
    assert lines[1] == "mixpanel:"
    assert lines[2].startswith("  shop/views.py:1: [error] undeclared-subprocessor: Mixpanel (mixpanel) is used")
    assert "host 'api.mixpanel.com' at shop/views.py:1" in lines[2]
    assert lines[3] == "1 failed, 0 warnings, 0 waived, 2 passed"
    assert lines[4:7] == ["", "Proposed registry/mixpanel.yaml:", "  # Proposed by `subreg scan`. Complete every TODO, "
                          "then open a pull request: customers are"]


def test_everything_declared_passes_and_retired_entries_do_not_count(cli: Any, repo: Repo, tmp_path: Path) -> None:
    mixpanel = {"name": "Mixpanel", "legal_name": "Mixpanel, Inc.", "tier": "integration"}
    compliance(repo, stripe=STRIPE, sentry={**SENTRY, "tier": "infrastructure"}, mixpanel=mixpanel)
    product = tree(tmp_path / "shop", PRODUCT)
    res = cli("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    assert res.code == 0, res.out
    assert as_json(res.out)["summary"] == {"failed": 0, "warnings": 0, "waived": 0, "passed": 3}
    repo.put("stripe", **STRIPE, retired_on="2026-12-01")
    res = cli("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    assert [(f["check"], f["subprocessor"]) for f in as_json(res.out)["findings"]] == [
        ("undeclared-subprocessor", "stripe")]
    res = cli("--repo", repo.path, "--today", "2026-11-30", "scan", product, "--format", "json")
    assert res.code == 0


def test_activation_before_notice(cli: Any, repo: Repo, tmp_path: Path) -> None:
    mixpanel = {"name": "Mixpanel", "website": "https://mixpanel.com",
                "notice": {"announced_on": "2026-11-20", "effective_on": "2026-12-20"}}
    compliance(repo, stripe=STRIPE, sentry=SENTRY, mixpanel=mixpanel)
    product = tree(tmp_path / "shop", PRODUCT)
    for day, expected in (("2026-12-19", 1), ("2026-12-20", 0), ("2026-12-21", 0)):
        res = cli("--repo", repo.path, "--today", day, "scan", product, "--format", "json")
        assert res.code == expected, (day, res.out)
        found = [(f["check"], f["subprocessor"], f["service"]) for f in as_json(res.out)["findings"]]
        assert found == ([("activation-before-notice", "mixpanel", "mixpanel")] if expected else []), day
    res = cli("--repo", repo.path, "--today", "2026-12-19", "scan", product, "--format", "json")
    msg = as_json(res.out)["findings"][0]["message"]
    assert "registry entry mixpanel takes effect only on 2026-12-20" in msg


def test_unused_core_entry_is_a_warning_of_the_whole_tree_only(cli: Any, repo: Repo, tmp_path: Path) -> None:
    datadog = {"name": "Datadog", "legal_name": "Datadog, Inc.", "website": "https://www.datadoghq.com"}
    compliance(repo, stripe=STRIPE, sentry=SENTRY, datadog=datadog,
               mixpanel={"name": "Mixpanel", "website": "https://mixpanel.com"},
               acme={"name": "Acme Hosting GmbH"})  # no catalogue service: the scan cannot tell
    product = tree(tmp_path / "shop", PRODUCT)
    res = cli("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    assert res.code == 0
    [f] = as_json(res.out)["findings"]
    assert (f["check"], f["severity"], f["outcome"], f["subprocessor"], f["path"], f["line"], f["service"],
            f["evidence"]) == ("unused-subprocessor", "warning", "warning", "datadog", "registry/datadog.yaml", 1,
                               None, [])
    git(product, "checkout", "-q", "-b", "pr")
    git(product, "commit", "-q", "--allow-empty", "-m", "nothing")
    res = cli("--repo", repo.path, "--today", TODAY, "scan", product, "--base", "main", "--format", "json")
    assert res.code == 0 and as_json(res.out)["findings"] == []


def _pr(tmp_path: Path) -> Path:
    product = tree(tmp_path / "shop", {**PRODUCT, "shop/old.py": 'U = "https://api.openai.com/v1"\n',
                                       "package.json": json.dumps({"dependencies": {"stripe": "1.0.0"}}, indent=2)})
    git(product, "checkout", "-q", "-b", "feature")
    tree(product, {
        "requirements.txt": "Django==5.1\nSentry_SDK[django]==1.45\nstripe==7.1\nposthog==3.0\n",
        "package.json": json.dumps({"dependencies": {"stripe": "2.0.0", "@stripe/stripe-js": "3.0.0"}}, indent=2),
        "shop/views.py": 'MIXPANEL = "https://api.mixpanel.com/track"\nSLACK = "https://hooks.slack.com/x"\n',
        "shop/old.py": '# touched\nU = "https://api.openai.com/v1"\n',
        "shop/new_test.py": "",
    })
    return product


def test_pull_request_scope_counts_only_what_the_change_adds(cli: Any, repo: Repo, tmp_path: Path) -> None:
    compliance(repo, stripe=STRIPE, sentry=SENTRY)
    product = _pr(tmp_path)
    res = cli("--repo", repo.path, "--today", TODAY, "scan", product, "--base", "main", "--format", "json")
    assert res.code == 1, res.err
    doc = as_json(res.out)
    p = product.as_posix()
    assert doc["services"] == ["posthog", "slack", "stripe"]
    assert [(f["check"], f["subprocessor"], f["path"], f["line"]) for f in doc["findings"]] == [
        ("undeclared-subprocessor", "posthog", f"{p}/requirements.txt", 4),
        ("undeclared-subprocessor", "slack", f"{p}/shop/views.py", 2),
    ]
    assert doc["summary"]["passed"] == 1  # stripe: the new @stripe/stripe-js, declared
    # the version bumps, the unchanged mixpanel line and the moved openai line are not additions
    assert "mixpanel" not in res.out and "openai" not in res.out and "sentry" not in doc["services"]


def test_pull_request_scope_without_git_or_history_is_exit_2(run: Any, repo: Repo, tmp_path: Path) -> None:
    compliance(repo)
    plain = tree(tmp_path / "plain", {"a.py": ""}, commit=False)
    res = run("--repo", repo.path, "scan", plain, "--base", "main")
    assert res.code == 2 and "is not inside a git repository: --base needs" in res.err
    product = tree(tmp_path / "shop", PRODUCT)
    res = run("--repo", repo.path, "scan", product, "--base", "nope")
    assert res.code == 2 and "unknown ref 'nope'" in res.err
    res = run("--repo", repo.path, "scan", product, "--base", "--all")
    assert res.code == 2 and "may not start with '-'" in res.err
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "main")
    res = run("--repo", repo.path, "scan", empty, "--base", "main")
    assert res.code == 2 and "no commits yet" in res.err


def test_waivers_by_check_and_catalogue_id(cli: Any, repo: Repo, tmp_path: Path) -> None:
    waivers = [
        {"check": "undeclared-subprocessor", "subprocessor": "mixpanel", "reason": "Trial until the notice is out.",
         "approved_by": "dpo@example.com", "expires_on": "2026-12-31"},
        {"check": "undeclared-subprocessor", "subprocessor": "hotjar", "reason": "Removed last sprint.",
         "approved_by": "dpo@example.com", "expires_on": "2026-12-31"},
        {"check": "undeclared-subprocessor", "subprocessor": "segment", "reason": "Old.",
         "approved_by": "dpo@example.com", "expires_on": "2026-11-30"},
        {"check": "notice-period", "subprocessor": "stripe", "reason": "Not a scan check.",
         "approved_by": "dpo@example.com", "expires_on": "2026-12-31"},
    ]
    repo.write("policies/waivers.yaml", dump(waivers))
    compliance(repo, stripe=STRIPE, sentry=SENTRY)
    product = tree(tmp_path / "shop", PRODUCT)
    res = cli("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    assert res.code == 1
    doc = as_json(res.out)
    assert [(f["check"], f["outcome"], f["subprocessor"], f["line"]) for f in doc["findings"]] == [
        ("waiver-expired", "failed", None, 11),
        ("waiver-unused", "warning", None, 6),
        ("undeclared-subprocessor", "waived", "mixpanel", 1),
    ]
    assert doc["findings"][2]["stub"]["path"] == "registry/mixpanel.yaml"
    res = cli("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "text")
    assert "Proposed registry/mixpanel.yaml" not in res.out  # waived: no stub to act on


def test_pull_request_reports_unused_waivers_only_in_scope(run: Any, repo: Repo, tmp_path: Path) -> None:
    waivers = [{"check": "undeclared-subprocessor", "subprocessor": sid, "reason": "r", "approved_by": "dpo@example.com",
                "expires_on": "2026-12-31"} for sid in ("posthog", "hotjar")]
    repo.write("policies/waivers.yaml", dump(waivers))
    compliance(repo, stripe=STRIPE, sentry=SENTRY)
    product = _pr(tmp_path)
    res = run("--repo", repo.path, "--today", TODAY, "scan", product, "--base", "main", "--format", "json")
    assert [(f["check"], f["outcome"], f["subprocessor"]) for f in as_json(res.out)["findings"]] == [
        ("undeclared-subprocessor", "failed", "slack"), ("undeclared-subprocessor", "waived", "posthog")]


def test_registry_detect_and_own_domains(cli: Any, repo: Repo, tmp_path: Path) -> None:
    repo.policy(scan={"own_domains": ["acme-shop.vercel.app"]})
    compliance(repo, stripe=STRIPE, sentry=SENTRY,
               mixpanel={"name": "Product analytics vendor", "detect": {"catalog": "mixpanel"}},
               billingco={"name": "BillingCo", "detect": {"packages": {"pypi": ["billingco-client"]},
                                                          "domains": ["api.billingco.example"]}})
    product = tree(tmp_path / "shop", {**PRODUCT, "requirements.txt": "billingco_client==1\nsentry-sdk\nstripe\n",
                                       "shop/site.py": 'SITE = "https://acme-shop.vercel.app"\n'
                                                       'API = "https://eu.api.billingco.example/v2"\n'})
    res = cli("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    assert res.code == 0, res.out
    assert as_json(res.out)["services"] == ["billingco", "mixpanel", "sentry", "stripe"]  # no vercel: own domain
    repo.put("billingco", name="BillingCo", retired_on="2026-01-01",
             detect={"packages": {"pypi": ["billingco-client"]}})
    res = cli("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    [f] = as_json(res.out)["findings"]
    assert (f["check"], f["subprocessor"], f["evidence"][0]["kind"]) == ("undeclared-subprocessor", "billingco",
                                                                         "dependency")
    assert "website" not in f["stub"]["text"] and "detect" not in f["stub"]["text"]
    assert '  en: "TODO: what BillingCo does for us"\n' in f["stub"]["text"]


def test_registry_and_policy_input_errors(run: Any, repo: Repo, tmp_path: Path) -> None:
    compliance(repo, x={"name": "X", "detect": {"catalog": "no-such-service"}})
    product = tree(tmp_path / "shop", PRODUCT)
    res = run("--repo", repo.path, "scan", product)
    assert res.code == 2
    assert res.err.startswith("registry/x.yaml:") and "unknown catalogue id 'no-such-service'" in res.err
    repo.put("x", name="X", detect={"domains": ["https://api.x.example"]})
    res = run("--repo", repo.path, "scan", product)
    assert res.code == 2 and "is not a domain name" in res.err
    repo.put("x", name="X")
    repo.policy(scan={"own_domains": ["Not A Domain"]})
    res = run("--repo", repo.path, "scan", product)
    assert res.code == 2 and "policies/policy.yaml:" in res.err and "is not a domain name" in res.err
    repo.policy()
    assert run("--repo", repo.path, "scan").code == 2
    res = run("--repo", repo.path, "scan", tmp_path / "missing")
    assert res.code == 2 and "no such folder" in res.err


def test_sarif_annotations_and_job_summary(installed: Any, repo: Repo, tmp_path: Path) -> None:
    compliance(repo, stripe=STRIPE, sentry=SENTRY)
    product = tree(tmp_path / "shop", PRODUCT)
    summary = tmp_path / "summary.md"
    res = installed("--repo", repo.path, "--today", TODAY, "scan", ".", "--sarif", tmp_path / "scan.sarif",
                    cwd=product, env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert res.code == 1, res.err
    assert res.out.startswith("::error file=shop/views.py,line=1,title=undeclared-subprocessor::Mixpanel (mixpanel)")
    sarif = json.loads((tmp_path / "scan.sarif").read_text())
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "undeclared-subprocessor" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "shop/views.py"
    rules = {r["id"]: r["shortDescription"]["text"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["undeclared-subprocessor"].startswith("Product code uses a third-party service")
    text = summary.read_text()
    assert text.startswith("## subreg scan\n\n**failed**: 1 failed, 0 warnings, 0 waived, 2 passed\n")
    assert "| failed | undeclared-subprocessor | mixpanel | shop/views.py:1 |" in text
    res = installed("--repo", repo.path, "--today", TODAY, "scan", ".", "--format", "json", cwd=product,
                    env={"GITHUB_ACTIONS": "true"})
    assert res.out.startswith("{")  # JSON alone on stdout


def test_malformed_manifest_warns_on_stderr_and_in_json(cli: Any, repo: Repo, tmp_path: Path) -> None:
    compliance(repo, stripe=STRIPE, sentry=SENTRY)
    product = tree(tmp_path / "shop", {**PRODUCT, "web/package.json": '{"dependencies": {\n  "stripe": 1,,\n}}'})
    res = cli("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    assert res.code == 1
    p = product.as_posix()
    assert res.err == f"{p}/web/package.json:2: warning: invalid JSON: Expecting property name enclosed in double quotes\n"
    assert as_json(res.out)["warnings"] == [{"path": f"{p}/web/package.json", "line": 2,
                                             "message": "invalid JSON: Expecting property name enclosed in double quotes"}]


def test_catalog_listing(cli: Any) -> None:
    res = cli("scan", "--catalog")
    assert res.code == 0
    lines = res.out.splitlines()
    from subreg.scan import catalog

    records = len(list(catalog.FOLDER.glob("*.yaml")))
    assert records >= 248 and lines[-1] == f"{records} services"
    stripe = next(line for line in lines if line.startswith("stripe "))
    assert stripe.split() [:2] == ["stripe", "Stripe"] and "api.stripe.com" in stripe
    pse = next(line for line in lines if line.startswith("google-search "))
    assert pse.endswith("[cse.google.com, customsearch.googleapis.com, www.googleapis.com/customsearch]")
    res = cli("scan", "--catalog", "--format", "json")
    doc = json.loads(res.out)
    sentry = next(s for s in doc if s["id"] == "sentry")
    assert sentry["legal_names"] == ["Functional Software, Inc."] and "@sentry/*" in sentry["packages"]["npm"]


def test_same_repository_for_product_and_registry(run: Any, repo: Repo) -> None:
    repo.put("stripe", **STRIPE)
    repo.write("app/pay.py", 'U = "https://api.stripe.com/v1"\n')
    repo.write("checks/test_x.py", 'U = "https://api.mixpanel.com"\n')
    repo.commit("2026-11-01")
    res = run("--repo", repo.path, "--today", TODAY, "scan", repo.path, "--format", "json")
    assert res.code == 0, res.out
    assert as_json(res.out)["services"] == ["stripe"]


def test_scan_reads_registry_of_the_compliance_repo_yaml_detect_roundtrip(repo: Repo) -> None:
    from subreg.model import Subprocessor

    data = yaml.safe_load(dump({"name": "X", "tier": "core", "personal_data": True, "locations": ["DE"],
                                "purpose": {"en": "a"}, "data_processed": {"en": "b"},
                                "detect": {"packages": {"npm": ["@x/sdk"]}, "domains": ["api.x.example"]}}))
    sp = Subprocessor.model_validate(data)
    assert sp.detect is not None and sp.detect.packages == {"npm": ["@x/sdk"]}
