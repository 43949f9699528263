#!/usr/bin/env python3
"""Counts individual test cases from a Bazel Build Event Protocol JSON file.

Reads the BEP file of exactly one `bazel test` run and the GoogleTest XML of
each test target it ran. Prints `N passed, N failed` (prefixed with a label).
A target that crashed, failed a sanitizer, timed out, or failed to build
counts as failed even where its XML looks green: at least one failure is
charged to it. Exit status 0 only when nothing failed.
"""

import json
import sys
import urllib.parse
import xml.etree.ElementTree as ET


def xml_counts(path):
    """(passed, failed) test cases in a GoogleTest XML file, or None."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    passed = failed = 0
    for case in root.iter("testcase"):
        if case.get("status") == "notrun" or case.get("result") == "skipped":
            continue
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        else:
            passed += 1
    return passed, failed


def summarize(bep_path):
    results = {}  # label -> list of (status, xml path)
    broken = {}  # label -> reason (build failure, abort)
    with open(bep_path, encoding="utf-8") as bep:
        for line in bep:
            line = line.strip()
            if not line:
                continue
            event = json.loads(line)
            ident = event.get("id", {})
            if "testResult" in ident:
                label = ident["testResult"]["label"]
                result = event.get("testResult", {})
                xml = None
                for output in result.get("testActionOutput", []):
                    if output.get("name") == "test.xml":
                        uri = output.get("uri", "")
                        xml = urllib.parse.unquote(
                            urllib.parse.urlparse(uri).path)
                results.setdefault(label, []).append(
                    (result.get("status", "NO_STATUS"), xml))
            elif "targetCompleted" in ident:
                label = ident["targetCompleted"]["label"]
                completed = event.get("completed")
                if "aborted" in event:
                    broken[label] = "aborted: " + event["aborted"].get(
                        "reason", "?")
                elif completed is not None and not completed.get(
                        "success", False):
                    broken[label] = "failed to build"
    passed = failed = 0
    for label, runs in sorted(results.items()):
        for status, xml in runs:
            counts = xml_counts(xml) if xml else None
            p, f = counts if counts else (0, 0)
            if status != "PASSED" and f == 0:
                f = 1
                print(f"FAIL {label}: {status} (charged as one failure)")
            passed += p
            failed += f
    for label, reason in sorted(broken.items()):
        if label not in results and label.startswith("//"):
            failed += 1
            print(f"FAIL {label}: {reason}")
    return passed, failed


def main():
    if len(sys.argv) != 3:
        print("usage: bep_summary.py LABEL BEP_JSON", file=sys.stderr)
        return 2
    passed, failed = summarize(sys.argv[2])
    print(f"{sys.argv[1]}: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
