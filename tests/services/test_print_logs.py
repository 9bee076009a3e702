"""DataFlux Func's print-log limits (3,000 characters a line; over 50,000 in all, the first
20,000 and last 30,000 kept) and its line prefix, on stored records of real runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from webapp.services import print_logs


def test_a_long_line_is_cut_with_a_note():
    assert print_logs.cut_line("x" * 3000) == "x" * 3000
    cut = print_logs.cut_line("y" * 5000)
    assert cut.startswith("y" * 3000 + " !!! Line too long: 5000 characters")
    assert "y" * 3001 not in cut


def test_a_long_log_keeps_its_head_and_tail():
    entries = [{"time": f"t{i}", "message": f"{i:05d}" + "." * 995} for i in range(60)]
    kept, trimmed = print_logs.kept(entries)
    assert trimmed is True
    messages = [e["message"] for e in kept]
    assert messages[0].startswith("00000") and messages[-1].startswith("00059")
    marker = next(m for m in messages if m.startswith("!!! Content too long"))
    assert "60000 characters in 60 lines; 10 lines in the middle are not kept" in marker
    assert sum(len(m) for m in messages if m is not marker) <= 50000
    assert print_logs.kept(entries[:10]) == (entries[:10], False)


def test_prefixes_count_from_the_start():
    start = datetime(2026, 12, 2, 8, 0, 0, tzinfo=UTC)
    entries = [
        {"time": (start + timedelta(milliseconds=12)).isoformat(), "message": "a"},
        {"time": (start + timedelta(milliseconds=1012)).isoformat(), "message": "b"},
    ]
    assert print_logs.formatted(entries, start) == [
        "[12-02 08:00:00] [+12ms] [12ms] a",
        "[12-02 08:00:01] [+1000ms] [1012ms] b",
    ]


def test_a_stored_run_has_dffs_limits_and_print_logs(make_script, client, api_token):
    code = (
        "@DFF.API('Noisy')\n"
        "def noisy():\n"
        "    print('L' * 4000)\n"
        "    for i in range(120):\n"
        "        print(f'{i:04d}' + '.' * 496)\n"
        "    return 1\n"
    )
    make_script("logs__noisy", code, publish=1)
    record = client.post(
        "/api/v1/funcs/logs__noisy.noisy/call",
        json={},
        headers={"Authorization": f"Bearer {api_token}"},
    ).get_json()
    messages = [line["message"] for line in record["logs"]]
    assert messages[0].startswith("L" * 3000 + " !!! Line too long: 4000 characters")
    assert any(m.startswith("!!! Content too long") for m in messages)
    assert messages[-1].startswith("0119")
    assert record["log_truncated"] is True
    assert record["print_logs"][0].endswith(messages[0])
    assert record["print_logs"][0].startswith("[") and "ms] [" in record["print_logs"][0]
