"""The registry file proposed for an undeclared service: what the catalogue knows, and
TODO marks for what only the company can say. It validates as it is, and carries the
earliest notice the policy allows, so that the fix is one reviewed file that then
meets the notice gate."""

from __future__ import annotations

import datetime as dt
import json

from subreg.model import Policy
from subreg.scan.catalog import Service


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML string


def render(service: Service, today: dt.date, policy: Policy | None, catalogued: bool = True) -> tuple[str, str]:
    """(path, text); `catalogued`: the service is one of the shipped catalogue's."""
    languages = policy.languages if policy else ["en"]
    kind = f" ({service.category})" if catalogued else ""
    period = policy.notice_period_days if policy else 30
    lines = [
        "# Proposed by `subreg scan`. Complete every TODO, then open a pull request: customers are",
        "# told on notice.announced_on, and the code may use the service from notice.effective_on.",
        f"name: {_q(service.name)}",
        f"legal_name: {_q(service.legal_name)}",
    ]
    if service.website:
        lines.append(f"website: {_q(service.website)}")
    if service.subprocessors_url:
        lines.append(f"subprocessors_url: {_q(service.subprocessors_url)}")
    lines += [
        "tier: core",
        "personal_data: true  # TODO: confirm",
        "locations: [Global]  # TODO: where it processes our customers' data (ISO codes, EU)",
        "purpose:",
        *(f"  {lang}: {_q(f'TODO: what {service.name} does for us{kind}')}" for lang in languages),
        "data_processed:",
        *(f"  {lang}: {_q('TODO: which personal data it receives')}" for lang in languages),
        *([f"detect: {{catalog: {service.id}}}"] if catalogued else []),
        "notice:",
        f"  announced_on: {today.isoformat()}",
        f"  effective_on: {(today + dt.timedelta(days=period)).isoformat()}",
    ]
    return f"registry/{service.id}.yaml", "\n".join(lines) + "\n"
