"""The gate report as JUnit XML: one test case per rule, for CI test-report viewers.

A failing error-severity rule is a ``failure`` of type ``error``, a failing warning a ``failure``
of type ``warning``, a rule that could not be checked an ``error``, and waived or skipped rules
are ``skipped`` with the reason.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .verdict import GateReport


def to_junit(report: GateReport) -> str:
    """The XML document as text."""
    c = report.counts()
    failures = sum(r.status == "fail" for r in report.results)
    errors = sum(r.status == "error" for r in report.results)
    skipped = c["waived"] + c["skipped"]
    suites = ET.Element(
        "testsuites",
        name="policy gate",
        tests=str(c["rules"]),
        failures=str(failures),
        errors=str(errors),
        skipped=str(skipped),
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"policy gate ({report.stage})",
        tests=str(c["rules"]),
        failures=str(failures),
        errors=str(errors),
        skipped=str(skipped),
        time=f"{report.took_ms / 1000:.3f}",
        timestamp=report.evaluated_at.removesuffix("Z"),
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (("run_id", report.run_id), ("verdict", report.verdict), ("policy_hash", report.policy_hash)):
        ET.SubElement(props, "property", name=name, value=value)
    for r in report.results:
        case = ET.SubElement(
            suite, "testcase", classname=f"policies.{r.id.split('-')[0].lower()}", name=f"{r.id} {r.title}", time="0"
        )
        if r.location:
            case.set("file", r.location.path)
            case.set("line", str(r.location.line))
        if r.status == "fail":
            node = ET.SubElement(case, "failure", message=r.message, type=r.severity)
            node.text = r.help
        elif r.status == "error":
            ET.SubElement(case, "error", message=r.message, type="error")
        elif r.status == "waived":
            w = r.waiver or {}
            ET.SubElement(
                case,
                "skipped",
                message=f"waived by {w.get('approver')} until {w.get('expires')}: {w.get('reason')} ({r.message})",
            )
        elif r.status == "skipped":
            ET.SubElement(case, "skipped", message=r.message)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
