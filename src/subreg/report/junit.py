"""JUnit XML: one test case per finding, so CI test reports show them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from subreg.findings import Finding


def render(findings: list[Finding], summary: dict[str, int]) -> str:
    failures = summary["failed"]
    suite = ET.Element("testsuite", name="subreg", tests=str(len(findings) + summary["passed"]),
                       failures=str(failures), errors="0",
                       skipped=str(summary["waived"] + summary["warnings"]))
    for f in findings:
        case = ET.SubElement(suite, "testcase", classname=f.check,
                             name=f"{f.check}[{f.subprocessor or 'registry'}]",
                             file=f.path, line=str(f.line))
        if f.outcome == "failed":
            ET.SubElement(case, "failure", message=f.message, type=f.check).text = \
                f"{f.path}:{f.line}: {f.message}"
        else:
            ET.SubElement(case, "skipped", message=f"{f.outcome}: {f.message}")
    if summary["passed"]:
        ET.SubElement(suite, "testcase", classname="subreg", name=f"{summary['passed']} checks passed")
    suites = ET.Element("testsuites")
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
