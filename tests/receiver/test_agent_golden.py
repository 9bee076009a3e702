"""Golden answers of a real DataKit agent (1.84.1, built from its public source, fed the same
bodies): body in, status and echoed points out. A script tested against the embedded receiver
must see what it would see against the agent."""

from __future__ import annotations

import pytest

from webapp.receiver.views import HOSTNAME

NS = 1_700_000_000_000_000_000


def post(client, category, body, **query):
    query.setdefault("echo", "json")
    return client.post(f"/v1/write/{category}", query_string=query, data=body)


def echoed(client, category, body, **query):
    response = post(client, category, body, **query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


# --- 1. status on logging is a field, kept as sent -------------------------------------------


@pytest.mark.parametrize(
    ("body", "tags", "fields"),
    [
        (f'app message="hi" {NS}', {}, {"message": "hi", "status": "info"}),
        (f'app,status=WARN message="x" {NS}', {"status": "WARN"}, {"message": "x"}),
        (f'app message="x",status="E" {NS}', {}, {"message": "x", "status": "E"}),
    ],
)
def test_logging_status_is_a_field_unless_sent_as_a_tag(client, body, tags, fields):
    (point,) = echoed(client, "logging", body)
    assert point["tags"] == tags and point["fields"] == fields  # echo: before the host tag


def test_the_logs_view_reads_the_level_from_field_tag_or_neither(app, auth_client):
    client = auth_client
    body = "\n".join(
        [
            f'levels message="plain" {NS}',
            f'levels,status=WARN message="tagged" {NS + 1}',
            f'levels message="fielded",status="E" {NS + 2}',
        ]
    )
    assert client.post("/v1/write/logging", data=body).status_code == 200
    assert app.extensions["funcpad.point_writer"].flush(timeout=10)
    rows = auth_client.get("/api/v1/logs?source=levels").json["logs"]
    levels = {row["message"]: row["status"] for row in rows}
    assert levels == {"plain": "info", "tagged": "warning", "fielded": "error"}


# --- 2. objects without a name ---------------------------------------------------------------


def test_an_object_without_name_gets_a_name_field_and_loses_its_class_tag(client):
    (point,) = echoed(client, "object", f"hosts,class=HOST cpu=1 {NS}")
    assert point["tags"] == {} and point["fields"] == {"cpu": 1.0, "name": "default"}
    (named,) = echoed(client, "object", f"hosts,class=HOST,name=web-1 cpu=1 {NS}")
    assert named["tags"] == {"class": "HOST", "name": "web-1"} and "name" not in named["fields"]


# --- 3. boolean flags: on when present and non-empty ------------------------------------------


def test_dry_0_is_still_dry_and_strict_0_still_strict(client, app):
    assert post(client, "metric", f"dryzero f=1 {NS}", dry="0").status_code == 200
    assert app.extensions["funcpad.point_writer"].flush(timeout=10)
    assert app.extensions["funcpad.points"].latest_metrics("dryzero") == []
    refused = post(client, "metric", f'strictzero f=1,s="x" {NS}', strict="0")
    assert refused.status_code == 400 and refused.json["error_code"] == "datakit.pointGotWarning"
    assert post(client, "metric", f'notstrict f=1,s="x" {NS}', strict="").status_code == 200


# --- 4. precision ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("precision", "stamp", "time"),
    [
        ("us", NS, NS),  # not a unit the agent knows: nanoseconds
        ("bogus", NS, NS),
        ("u", 1_700_000_000_000_000, NS),
        ("ms", 1_700_000_000_000, NS),
        ("s", 1_700_000_000, NS),
        ("m", 28_333_333, 28_333_333 * 60 * 10**9),
        ("h", 472_222, 472_222 * 3600 * 10**9),
    ],
)
def test_only_the_agents_units_are_units(client, precision, stamp, time):
    (point,) = echoed(client, "metric", f"prec f=1 {stamp}", precision=precision)
    assert point["time"] == time


def test_a_seconds_value_that_overflows_is_refused(client):
    response = post(client, "metric", "prec f=1 99999999999999999", precision="s")
    assert response.status_code == 400 and "64-bit" in response.json["message"]


# --- 5. strict mode ----------------------------------------------------------------------------


def test_strict_refuses_a_fix_up_but_not_a_trim(client):
    refused = post(client, "metric", f'm f=1,s="text" {NS}', strict="1")
    assert refused.status_code == 400 and refused.json["error_code"] == "datakit.pointGotWarning"
    for strict in ("1", None):
        query = {"strict": strict} if strict else {}
        (point,) = echoed(client, "metric", f"m,t={'x' * 2000} f=1 {NS}", **query)
        assert point["tags"]["t"] == "x" * 1024


# --- 6. CRLF -----------------------------------------------------------------------------------


def test_a_crlf_body_is_refused_with_the_line(client):
    response = post(client, "metric", f"crlf f=1 {NS}\r\ncrlf f=2 {NS}\r\n")
    assert response.status_code == 400
    assert response.json["error_code"] == "datakit.invalidLinePoint"
    assert f"unable to parse 'crlf f=1 {NS}\r'" in response.json["message"]
    no_stamp = post(client, "metric", "crlf f=1\r\n")
    assert no_stamp.status_code == 400


# --- 8. negative timestamps, nested JSON values ------------------------------------------------


def test_a_negative_timestamp_becomes_the_receive_time(client):
    (point,) = echoed(client, "metric", "neg f=1 -5")
    assert point["time"] > NS
    (plain,) = echoed(client, "metric", "neg f=1 -1700000000000000000")
    assert plain["time"] > NS


def test_a_nested_json_field_value_is_dropped_and_the_point_kept(client):
    response = client.post(
        "/v1/write/metric?echo=json",
        json=[{"measurement": "nested", "fields": {"f": 1.5, "deep": {"a": 1}, "l": [1, 2]},
               "time": NS}],
    )  # fmt: skip
    assert response.status_code == 200, response.json
    (point,) = response.json
    assert point["fields"] == {"f": 1.5}


# --- 9. echo -----------------------------------------------------------------------------------


def test_echo_is_the_parsed_points_before_the_host_tag(client):
    (point,) = echoed(client, "metric", f"echoes,a=b f=1 {NS}")
    assert point["tags"] == {"a": "b"}  # the stored point has host; the echo does not


def test_echo_lp_writes_floats_in_their_shortest_form(client):
    response = post(client, "metric", f"lp,a=b f=1,g=2.5,i=3i {NS}", echo="lp")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == f"lp,a=b f=1,g=2.5,i=3i {NS}"


def test_echo_pbjson_is_a_clear_400(client):
    response = post(client, "metric", f"pb f=1 {NS}", echo="pbjson")
    assert response.status_code == 400 and "pbjson" in response.json["message"]


# --- 10. error text ----------------------------------------------------------------------------


def test_parse_errors_are_worded_as_the_agent_words_them(client):
    body = f"good f=1 {NS}\nbad line here\nalso,bad f=nan {NS}"
    response = post(client, "metric", body)
    assert response.status_code == 400
    message = response.json["message"]
    assert message.startswith("invalid lineprotocol: unable to parse 'bad line here'(pos: ")
    assert "with 1 point parse ok, 2 points failed. Origin data: " in message
    assert "good f=1" in message.split("Origin data: ")[1]


@pytest.mark.parametrize(
    ("body", "code"), [("", "datakit.emptyBody"), ("# c\n", "datakit.noPoints")]
)
def test_empty_and_pointless_bodies_have_a_code_and_no_message(client, body, code):
    response = post(client, "metric", body)
    assert response.status_code == 400 and response.json == {"error_code": code}


def test_the_stored_point_still_gets_the_global_host_tag(client, app):
    assert client.post("/v1/write/metric", data=f"hosted f=1 {NS}").status_code == 200
    assert app.extensions["funcpad.point_writer"].flush(timeout=10)
    (row,) = app.extensions["funcpad.points"].latest_metrics("hosted")
    assert row["tags"] == {"host": HOSTNAME}


# --- 7. escapes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "measurement", "tags"),
    [
        # An escaped backslash then an escaped space: the agent reads one value, "a\ b".
        (f"m,t=a\\\\ b f=1 {NS}", "m", {"t": "a\\ b"}),
        (f"m,t=a\\ b f=1 {NS}", "m", {"t": "a b"}),
        (f"m,t=a\\,b,u=c\\=d f=1 {NS}", "m", {"t": "a,b", "u": "c=d"}),
        (f"m\\,x\\ y,t=1 f=1 {NS}", "m,x y", {"t": "1"}),
        (f"m,t=a\\b f=1 {NS}", "m", {"t": "a\\b"}),  # a backslash before anything else stays
        (f"m,k\\ ey=v f=1 {NS}", "m", {"k ey": "v"}),
    ],
)
def test_escapes_read_as_the_agent_reads_them(client, body, measurement, tags):
    (point,) = echoed(client, "metric", body)
    assert point["measurement"] == measurement and point["tags"] == tags
