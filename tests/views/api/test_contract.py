"""Schemathesis against a live server: no 5xx, and every answer as the OpenAPI document says.

The run happens in a network namespace of its own (``unshare --net``: loopback only), since
generated connector URLs would otherwise make the server try addresses outside 127.0.0.1.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET

from tests.conftest import ROOT


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(tmp_path):
    result = subprocess.run(
        ["unshare", "--net", "--", sys.executable, "-m", "tests.views.api.contract_run", tmp_path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    print(output[-30000:])  # shown by pytest when the test fails
    assert result.returncode == 0, output[-30000:]
    assert "server:" not in output  # the server's own check found nothing either

    # It really tested every operation, with more than a token number of cases.
    operations = re.search(r"Tested: (\d+)", output)
    generated = re.search(r"(\d+) generated, (\d+) passed", output)
    assert operations and int(operations.group(1)) >= 45, output[-3000:]
    assert generated and int(generated.group(1)) >= 1000
    assert generated.group(1) == generated.group(2)
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"✅\s+{phase}", output), phase

    # The JUnit report lists each operation with no failure.
    (report,) = (tmp_path / "report").glob("junit-*.xml")
    cases = ET.parse(report).getroot().iter("testcase")
    names = [case.get("name") for case in cases if case.find("failure") is None]
    assert "POST /api/v1/scripts/{script_id}/publish" in names
    assert "GET /api/v1/logs" in names
