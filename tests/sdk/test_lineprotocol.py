"""Line protocol as DataKit reads it: exact encodings, refusals, timestamps, parsing, round trips."""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from webapp.sdk.lineprotocol import (
    INT64_MAX,
    INT64_MIN,
    LineError,
    encode,
    encode_lines,
    encode_point,
    parse,
    parse_line,
    to_ns,
)

T = 1_700_000_000  # 2023-11-14T22:13:20Z
T_NS = T * 10**9
NOW = 1_234_567_890_123_456_789


# --- encoding: exact strings ------------------------------------------------------------------


def test_escaping_table_for_every_part_of_a_line():
    line = encode_point(
        "cpu load,x=y",
        {"host name": "a,b=c d", "b=k,": "v"},
        {"f k=,": 1.5},
        T,
    )
    assert line == r"cpu\ load\,x=y,b\=k\,=v,host\ name=a\,b\=c\ d f\ k\=\,=1.5 1700000000000000000"


def test_measurement_keeps_equals_signs_and_quotes_literal():
    assert encode_point('a=b"c', None, {"f": 1}, T) == 'a=b"c f=1i 1700000000000000000'


def test_string_field_values_are_quoted_with_quotes_and_backslashes_escaped():
    line = encode_point("m", None, {"s": 'say "hi" \\ bye \\', "e": "", "q": '"'}, T)
    assert line == r'm s="say \"hi\" \\ bye \\",e="",q="\"" 1700000000000000000'


def test_string_field_values_keep_newlines_and_carriage_returns_raw():
    line = encode_point("m", None, {"s": "a\nb\r\nc\rd"}, T)
    assert line == 'm s="a\nb\r\nc\rd" 1700000000000000000'


def test_string_field_values_keep_commas_equals_spaces_unescaped():
    assert encode_point("m", None, {"s": "a, b=c"}, T) == 'm s="a, b=c" 1700000000000000000'


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (42, "42i"),
        (0, "0i"),
        (-7, "-7i"),
        (INT64_MAX, "9223372036854775807i"),
        (INT64_MIN, "-9223372036854775808i"),
        (True, "true"),
        (False, "false"),
        (1.0, "1.0"),
        (0.1, "0.1"),
        (-2.5, "-2.5"),
        (-0.0, "-0.0"),
        (1e16, "1e+16"),
        (1.5e-7, "1.5e-07"),
        (1 / 3, "0.3333333333333333"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (Decimal("2.25"), "2.25"),
        ("x", '"x"'),
    ],
)
def test_field_value_encodings(value, encoded):
    assert encode_point("m", None, {"f": value}, T) == f"m f={encoded} 1700000000000000000"


def test_none_fields_are_left_out_and_field_order_is_kept():
    line = encode_point("m", None, {"z": 1, "gone": None, "a": "x", "b": False}, T)
    assert line == 'm z=1i,a="x",b=false 1700000000000000000'


def test_tags_are_sorted_by_key_whatever_their_order():
    line = encode_point("m", {"zone": "z", "Host": "H", "app": "a", "host": "h"}, {"f": 1}, T)
    assert line == "m,Host=H,app=a,host=h,zone=z f=1i 1700000000000000000"


@pytest.mark.parametrize("tags", [None, {}])
def test_no_tags_means_no_tag_set(tags):
    assert encode_point("m", tags, {"f": 1}, T) == "m f=1i 1700000000000000000"


def test_literal_backslashes_inside_keys_and_values_stay_single():
    line = encode_point(r"a\b", {r"k\x": r"C:\Users\me"}, {r"f\g": r"p\q"}, T)
    assert line == r'a\b,k\x=C:\Users\me f\g="p\\q" 1700000000000000000'


def test_unicode_passes_through_untouched():
    line = encode_point("温度", {"城市": "北京 东城"}, {"值": "😀"}, T)
    assert line == '温度,城市=北京\\ 东城 值="😀" 1700000000000000000'


def test_encode_joins_points_with_newlines_and_reads_time_or_timestamp():
    body = encode(
        [
            {"measurement": "a", "fields": {"f": 1}, "time": T},
            {"measurement": "b", "tags": {"t": "v"}, "fields": {"g": 2.0}, "timestamp": T * 1000},
            {"measurement": "c", "fields": {"h": True}},
        ],
        now_ns=NOW,
    )
    assert body == (
        "a f=1i 1700000000000000000\nb,t=v g=2.0 1700000000000000000\nc h=true 1234567890123456789"
    )


# --- encoding: refusals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "fields", "culprit"),
    [
        (None, {"nanfield": math.nan}, "nanfield"),
        (None, {"inffield": math.inf}, "inffield"),
        (None, {"neginf": -math.inf}, "neginf"),
        (None, {"decnan": Decimal("NaN")}, "decnan"),
        (None, {"nested": {"a": 1}}, "nested"),
        (None, {"listed": [1, 2]}, "listed"),
        (None, {"tupled": (1,)}, "tupled"),
        (None, {"raw": b"bytes"}, "raw"),
        (None, {"big": 2**63}, "big"),
        (None, {"small": -(2**63) - 1}, "small"),
        ({"numtag": 1}, {"f": 1}, "numtag"),
        ({"nonetag": None}, {"f": 1}, "nonetag"),
        ({"booltag": True}, {"f": 1}, "booltag"),
        ({"emptytag": ""}, {"f": 1}, "emptytag"),
        ({"nltag": "a\nb"}, {"f": 1}, "nltag"),
        ({"crtag": "a\rb"}, {"f": 1}, "crtag"),
        ({"nl\nkey": "v"}, {"f": 1}, "nl\nkey"),
        (None, {"nl\nfield": 1}, "nl\nfield"),
        ({"endtag": "value\\"}, {"f": 1}, "endtag"),
        ({"commatag": "a\\,b"}, {"f": 1}, "commatag"),
        ({"eqtag": "a\\=b"}, {"f": 1}, "eqtag"),
        ({"spacetag": "a\\ b"}, {"f": 1}, "spacetag"),
        ({"key\\": "v"}, {"f": 1}, "key\\"),
        ({"k\\=ey": "v"}, {"f": 1}, "k\\=ey"),
        (None, {"field\\": 1}, "field\\"),
        (None, {"fi\\ eld": 1}, "fi\\ eld"),
        (None, {"fi\\,eld": 1}, "fi\\,eld"),
        ({1: "v", "b": "w"}, {"f": 1}, 1),
        ({"": "v"}, {"f": 1}, ""),
        (None, {"": 1}, ""),
        (None, {2: 1}, 2),
    ],
)
def test_refusals_name_the_key_at_fault(tags, fields, culprit):
    with pytest.raises(ValueError) as info:
        encode_point("m", tags, fields, T)
    assert repr(culprit) in str(info.value)


@pytest.mark.parametrize(
    "measurement",
    ["", None, 42, "a\nb", "a\rb", "m\\", "m\\,x", "m\\ x", "#m", "\tm", "\x00m"],
)
def test_unusable_measurements_are_refused(measurement):
    with pytest.raises(ValueError, match="measurement"):
        encode_point(measurement, None, {"f": 1}, T)


@pytest.mark.parametrize("fields", [None, {}, {"a": None}, {"a": None, "b": None}])
def test_a_point_without_fields_is_refused(fields):
    with pytest.raises(ValueError, match="'cpu' has no fields"):
        encode_point("cpu", {"t": "v"}, fields, T)


def test_a_measurement_with_a_hash_inside_is_fine():
    assert encode_point("a#b", None, {"f": 1}, T) == "a#b f=1i 1700000000000000000"


@pytest.mark.parametrize(
    ("measurement", "encoded"),
    [(" cpu", "\\ cpu"), (" ", "\\ "), ("\u3000cpu", "\u3000cpu"), ("\x0bcpu", "\x0bcpu")],
)
def test_leading_spaces_are_escaped_and_other_whitespace_survives_parsing(measurement, encoded):
    line = encode_point(measurement, None, {"f": 1}, T)
    assert line == f"{encoded} f=1i 1700000000000000000"
    points, errors = parse(line)
    assert errors == []
    assert points[0]["measurement"] == measurement


@pytest.mark.parametrize("timestamp", [2**63, -(2**63) - 1, 9.5e9, 10**30, 10**400, 10.0**300])
def test_timestamps_outside_int64_nanoseconds_are_refused(timestamp):
    with pytest.raises(ValueError, match="timestamp"):
        encode_point("m", None, {"f": 1}, timestamp)


# --- timestamps -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        (T, T_NS),
        (T * 1000 + 123, T_NS + 123_000_000),
        (T * 10**6 + 123_456, T_NS + 123_456_000),
        (T_NS + 123_456_789, T_NS + 123_456_789),
        (0, 0),
        (-1, -(10**9)),
        (1, 10**9),
        (9_999_999_999, 9_999_999_999 * 10**9),
        (10_000_000_000, 10_000_000_000 * 10**6),
        (T + 0.5, T_NS + 500_000_000),
        (1700000000.123456, 1700000000123456000),
        (1700000000.1, 1700000000100000000),
        (1700000000123.456, 1700000000123456000),
        (1.7e18, 1_700_000_000_000_000_000),
        (Decimal("1700000000.123456789"), 1700000000123456789),
        (Decimal(T), T_NS),
        (INT64_MAX, INT64_MAX),
    ],
)
def test_to_ns_converts_every_unit_to_nanoseconds(timestamp, expected):
    assert to_ns(timestamp) == expected


@settings(max_examples=300, deadline=None)
@given(micros=st.integers(min_value=10**15, max_value=4 * 10**15))
def test_time_time_like_floats_keep_their_microseconds(micros):
    assert to_ns(micros / 1e6) == micros * 1000


def test_a_real_time_time_keeps_its_sub_second_part():
    now = time.time()
    assert to_ns(now) == int(Decimal(repr(now)) * 10**9)
    assert abs(to_ns(now) - now * 1e9) < 1_000
    assert to_ns(now) % 10**9 != 0 or now.is_integer()


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=dt.UTC),
        dt.datetime(2023, 11, 15, 6, 13, 20, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        dt.datetime(2023, 11, 14, 17, 13, 20, 123456, tzinfo=dt.timezone(-dt.timedelta(hours=5))),
    ],
)
def test_aware_datetimes(moment):
    assert to_ns(moment) == 1700000000123456000


def test_datetimes_before_the_epoch():
    assert to_ns(dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=dt.UTC)) == -500_000_000


@pytest.fixture
def utc_plus_8():
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC-8"  # POSIX spelling of UTC+08:00, needs no tz database
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


def test_naive_datetimes_are_local_time(utc_plus_8):
    assert to_ns(dt.datetime(2023, 11, 15, 6, 13, 20, 123456)) == 1700000000123456000


def test_none_is_now():
    assert to_ns(None, now_ns=NOW) == NOW
    before = time.time_ns()
    value = to_ns(None)
    assert before <= value <= time.time_ns()
    assert encode_point("m", None, {"f": 1}, None, now_ns=NOW) == f"m f=1i {NOW}"


@pytest.mark.parametrize("timestamp", [True, False, "1700000000", [T], math.nan, math.inf])
def test_bad_timestamps_are_refused(timestamp):
    with pytest.raises(ValueError, match="timestamp"):
        to_ns(timestamp)
    with pytest.raises(ValueError, match="timestamp"):
        encode_point("m", None, {"f": 1}, timestamp)


@pytest.mark.parametrize("timestamp", [Decimal("NaN"), Decimal("Infinity")])
def test_non_finite_decimal_timestamps_are_refused(timestamp):
    with pytest.raises(ValueError, match="timestamp"):
        to_ns(timestamp)


# --- parsing ----------------------------------------------------------------------------------


def test_parse_reads_escapes_tags_fields_and_time():
    points, errors = parse(
        r'cpu\ load\,x=y,b\=k\,=v,host\ name=a\,b\=c\ d f\ k\=\,=1.5,s="q\"\\",i=-3i 1700000000000000000'
    )
    assert errors == []
    assert points == [
        {
            "measurement": "cpu load,x=y",
            "tags": {"b=k,": "v", "host name": "a,b=c d"},
            "fields": {"f k=,": 1.5, "s": 'q"\\', "i": -3},
            "time": T_NS,
        }
    ]


def test_blank_lines_and_comments_are_skipped():
    body = "\n# a comment\n   \n\t\n  # indented comment\ncpu f=1i 1700000000\n\n#cpu f=2i 1\n"
    points, errors = parse(body)
    assert errors == []
    assert [(p["measurement"], p["fields"], p["time"]) for p in points] == [("cpu", {"f": 1}, T_NS)]


def test_crlf_line_endings_and_leading_blanks_are_accepted():
    points, errors = parse("cpu f=1i 1700000000\r\n  \tmem g=2i 1700000000\r\n")
    assert errors == []
    assert [p["measurement"] for p in points] == ["cpu", "mem"]


@pytest.mark.parametrize(
    ("precision", "unit"),
    [("n", 1), ("u", 10**3), ("ms", 10**6), ("s", 10**9), ("m", 60 * 10**9), ("h", 3600 * 10**9)],
)
def test_precision_parameter(precision, unit):
    assert parse_line("cpu f=1 1234", precision=precision)["time"] == 1234 * unit
    points, errors = parse("cpu f=1 1234\ncpu f=1 -5", precision=precision)
    assert errors == []
    assert [p["time"] for p in points] == [1234 * unit, -5 * unit]


def test_precision_parameter_applies_to_every_line():
    points, errors = parse("a f=1 1700000000\nb f=1 1700000000123", precision="ms")
    assert errors == []
    assert [p["time"] for p in points] == [T * 10**6, 1700000000123 * 10**6]


def test_unknown_precision_is_an_error():
    points, errors = parse("cpu f=1 1234", precision="y")
    assert points == []
    assert len(errors) == 1 and "precision" in errors[0].reason


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1700000000", T_NS),
        ("1700000000123", T_NS + 123_000_000),
        ("1700000000123456", T_NS + 123_456_000),
        ("1700000000123456789", T_NS + 123_456_789),
        ("9000000000", 9 * 10**18),
        ("10000000000", 10**16),
        ("-1700000000", -T_NS),
        ("0", 0),
    ],
)
def test_timestamp_unit_is_guessed_from_magnitude_without_precision(raw, expected):
    points, errors = parse(f"cpu f=1 {raw}")
    assert errors == []
    assert points[0]["time"] == expected


def test_missing_timestamp_is_receive_time():
    points, errors = parse("cpu f=1\ncpu g=2 ", now_ns=NOW)
    assert errors == []
    assert [p["time"] for p in points] == [NOW, NOW]


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("t", True),
        ("T", True),
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("f", False),
        ("F", False),
        ("false", False),
        ("False", False),
        ("FALSE", False),
    ],
)
def test_bool_words(word, value):
    points, errors = parse(f"cpu b={word} 1")
    assert errors == []
    assert points[0]["fields"] == {"b": value}
    assert points[0]["fields"]["b"] is value


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("3", 3.0),
        ("3.5", 3.5),
        ("-0.25", -0.25),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e+16", 1e16),
        ("1.5E-07", 1.5e-7),
        ("42i", 42),
        ("-42i", -42),
        ("9223372036854775807i", INT64_MAX),
        ("-9223372036854775808i", INT64_MIN),
        ("42u", 42),
        ("18446744073709551615u", 2**64 - 1),
        ('"x y=z,"', "x y=z,"),
        ('""', ""),
    ],
)
def test_field_value_types(raw, value):
    points, errors = parse(f"cpu v={raw} 1")
    assert errors == []
    parsed = points[0]["fields"]["v"]
    assert (type(parsed), parsed) == (type(value), value)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("cpu,host=a,host=b f=1 1", "duplicate tag 'host'"),
        ("cpu", "missing fields"),
        ("cpu,host=a", "missing fields"),
        ("cpu ", "no fields"),
        ("cpu,host=a  1", "no fields"),
        ("cpu,host= f=1 1", "'host' has no value"),
        ("cpu,host f=1 1", "has no '='"),
        ("cpu,=a f=1 1", "empty tag key"),
        (",host=a f=1 1", "empty measurement"),
        ("cpu f 1", "has no '='"),
        ("cpu =1 1", "empty field key"),
        ("cpu f= 1", "no value"),
        ("cpu f=1, 1", "trailing comma"),
        ('cpu f="a"x 1', "unexpected"),
        ("cpu f=NaN 1", "'f'"),
        ("cpu f=nan 1", "'f'"),
        ("cpu f=inf 1", "'f'"),
        ("cpu f=-Inf 1", "'f'"),
        ("cpu f=+infinity 1", "'f'"),
        ("cpu f=1e999 1", "'f'"),
        ('cpu f="abc 1', "unterminated string"),
        ('cpu f="abc\\" 1', "unterminated string"),
        ("cpu f=9223372036854775808i 1", "out of range"),
        ("cpu f=-9223372036854775809i 1", "out of range"),
        ("cpu f=18446744073709551616u 1", "out of range"),
        ("cpu f=-1u 1", "'f'"),
        ("cpu f=1_000i 1", "'f'"),
        ("cpu f=1_000 1", "'f'"),
        ("cpu f=+5i 1", "'f'"),
        ("cpu f=+5 1", "'f'"),
        ("cpu f=\u0661\u0662 1", "'f'"),
        ("cpu f=1.2.3 1", "'f'"),
        ("cpu f=tru 1", "'f'"),
        ("cpu f=1 12x", "timestamp"),
        ("cpu f=1 1_000", "timestamp"),
        ("cpu f=1 +1000", "timestamp"),
        ("cpu f=1 \u0661\u0662", "timestamp"),
        ("cpu f=1 1 2", "timestamp"),
        ("cpu f=1 99999999999999999999", "timestamp"),
    ],
)
def test_bad_lines_are_rejected_with_a_reason(line, reason):
    points, errors = parse(line)
    assert points == []
    assert len(errors) == 1
    assert errors[0].line_no == 1
    assert reason in errors[0].reason
    with pytest.raises(ValueError):
        parse_line(line)


def test_out_of_range_time_after_precision_is_rejected():
    points, errors = parse("cpu f=1 9223372036854775807", precision="s")
    assert points == [] and "timestamp" in errors[0].reason


def test_errors_carry_line_numbers_while_good_lines_still_parse():
    body = "# header\ncpu f=1i 1\n\ncpu f=NaN 2\nmem g=2i 3\nbad\r\ncpu h=3i 4"
    points, errors = parse(body, precision="n")
    assert [(p["measurement"], p["time"]) for p in points] == [("cpu", 1), ("mem", 3), ("cpu", 4)]
    assert [(e.line_no, e.line) for e in errors] == [(4, "cpu f=NaN 2"), (6, "bad")]
    assert all(isinstance(e, LineError) and isinstance(e, ValueError) for e in errors)
    assert str(errors[0]).startswith("line 4: ")
    assert str(errors[1]) == "line 6: missing fields"


def test_a_string_field_with_newlines_is_one_point_spanning_physical_lines():
    body = 'log,host=a message="first\nsecond, x=y\n\\"third\\"\n",n=1i 1\ncpu f=1i 2\nbad\n'
    points, errors = parse(body, precision="n")
    assert [p["fields"] for p in points] == [
        {"message": 'first\nsecond, x=y\n"third"\n', "n": 1},
        {"f": 1},
    ]
    assert [e.line_no for e in errors] == [6]


def test_an_escaped_equals_sign_before_a_quote_in_a_field_key_does_not_open_a_string():
    body = 'cpu a\\="b=1i 1\ncpu c=2i 2\ncpu d="x\ny" 3'
    points, errors = parse(body, precision="n")
    assert errors == []
    assert [p["fields"] for p in points] == [{'a="b': 1}, {"c": 2}, {"d": "x\ny"}]


def test_quotes_in_tags_do_not_open_strings():
    points, errors = parse('cpu,k="a f=1i 1\ncpu,q=x" g=2i 2', precision="n")
    assert errors == []
    assert [p["tags"] for p in points] == [{"k": '"a'}, {"q": 'x"'}]


def test_line_numbers_count_every_physical_line_even_after_an_escaped_newline():
    points, errors = parse("cpu f=1i 1\\\n2\nnope\ncpu g=1i 4", precision="n")
    assert [p["fields"] for p in points] == [{"g": 1}]
    assert [e.line_no for e in errors] == [1, 3]


def test_unterminated_string_on_the_last_line_does_not_hide_earlier_points():
    points, errors = parse('cpu f=1i 1\ncpu s="open 2', precision="n")
    assert [p["fields"] for p in points] == [{"f": 1}]
    assert [(e.line_no, e.reason) for e in errors] == [(2, "field 's': unterminated string")]


# --- round trips ------------------------------------------------------------------------------

SPECIALS = ',= "\\\n\r#\t\x00'
TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.one_of(st.sampled_from(SPECIALS), st.characters()), max_size=12),
)
SAFE_CHARS = st.one_of(st.sampled_from(',= "#\t\x00'), st.characters(exclude_characters="\\\r\n"))
SAFE_TEXT = st.text(alphabet=SAFE_CHARS, min_size=1, max_size=12)
SAFE_MEASUREMENT = SAFE_TEXT.filter(lambda s: s[0] not in "#\t\x00")
INT64 = st.integers(min_value=INT64_MIN, max_value=INT64_MAX)
FIELD_VALUES = st.one_of(
    INT64, st.floats(allow_nan=False, allow_infinity=False), st.booleans(), TEXT
)
# Nanoseconds the magnitude guess also reads as nanoseconds (|t| >= 1e16).
NS_TIMESTAMPS = st.one_of(
    st.integers(min_value=10**16, max_value=INT64_MAX),
    st.integers(min_value=INT64_MIN, max_value=-(10**16)),
)


def _unrepresentable(text: str, *, measurement: bool = False) -> bool:
    """The documented refusals: empty, a newline, a backslash DataKit would read as an escape."""
    return (
        text == ""
        or "\n" in text
        or "\r" in text
        or text.endswith("\\")
        or any("\\" + c in text for c in ",= ")
        or (measurement and text[0] in "#\t\x00")
    )


def _exact(point: dict) -> dict:
    """The point with each field value made type- and bit-exact for comparison."""
    fields = {k: (type(v).__name__, repr(v)) for k, v in point["fields"].items()}
    return {**point, "fields": fields}


def _expected(measurement, tags, fields, timestamp) -> dict:
    return {"measurement": measurement, "tags": tags, "fields": fields, "time": timestamp}


@settings(max_examples=300, deadline=None)
@given(
    measurement=TEXT,
    tags=st.dictionaries(TEXT, TEXT, max_size=4),
    fields=st.dictionaries(TEXT, FIELD_VALUES, min_size=1, max_size=4),
    timestamp=NS_TIMESTAMPS,
)
# The agent's escape rule (a char is escaped when a backslash precedes it): values with inner
# backslashes round-trip; one before a special or at the end is refused by the encoder.
@example("m\\x", {"t": "a\\b"}, {"f": 1.0}, 1_700_000_000_000_000_000)
@example("m", {"t": "a\\\\b", "k\\": "v"}, {"f": 1}, 1_700_000_000_000_000_000)
@example("m", {"t": "a\\ b"}, {"f": 1}, 1_700_000_000_000_000_000)
@example("m", {"t": "a, b=c"}, {"k\\x y": 1}, 1_700_000_000_000_000_000)
def test_round_trip_or_documented_refusal(measurement, tags, fields, timestamp):
    refusable = (
        _unrepresentable(measurement, measurement=True)
        or any(_unrepresentable(k) or _unrepresentable(v) for k, v in tags.items())
        or any(_unrepresentable(k) for k in fields)
    )
    try:
        line = encode_point(measurement, tags, fields, timestamp)
    except ValueError:
        assert refusable
        return
    assert not refusable
    expected = [_exact(_expected(measurement, tags, fields, timestamp))]
    for precision in ("n", None):
        points, errors = parse(line, precision=precision)
        assert errors == []
        assert [_exact(p) for p in points] == expected


@settings(max_examples=300, deadline=None)
@given(
    measurement=SAFE_MEASUREMENT,
    tags=st.dictionaries(SAFE_TEXT, SAFE_TEXT, max_size=4),
    fields=st.dictionaries(SAFE_TEXT, FIELD_VALUES, min_size=1, max_size=4),
    timestamp=NS_TIMESTAMPS,
)
def test_clean_input_always_encodes_and_round_trips(measurement, tags, fields, timestamp):
    line = encode_point(measurement, tags, fields, timestamp)
    expected = _exact(_expected(measurement, tags, fields, timestamp))
    assert _exact(parse_line(line, precision="n")) == expected
    points, errors = parse(line, precision="n")
    assert errors == []
    assert [_exact(p) for p in points] == [expected]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            SAFE_MEASUREMENT,
            st.dictionaries(SAFE_TEXT, SAFE_TEXT, max_size=3),
            st.dictionaries(SAFE_TEXT, FIELD_VALUES, min_size=1, max_size=3),
            NS_TIMESTAMPS,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_body_of_many_points_round_trips_line_by_line(rows):
    body = encode([{"measurement": m, "tags": t, "fields": f, "time": ts} for m, t, f, ts in rows])
    points, errors = parse(body, precision="n")
    assert errors == []
    assert [_exact(p) for p in points] == [_exact(_expected(*row)) for row in rows]


ANY_TIMESTAMP = st.one_of(
    st.none(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(),
    st.floats(min_value=1e9, max_value=1e10),
    st.floats(min_value=9.2e9, max_value=9.3e9),  # where seconds overflow int64 nanoseconds
    st.datetimes(timezones=st.just(dt.UTC)),
)


def _encode_or_error(fn):
    try:
        return fn()
    except ValueError as exc:
        return ("refused", str(exc))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "measurement": st.one_of(TEXT, st.integers()),
                "tags": st.one_of(st.none(), st.dictionaries(TEXT, st.one_of(TEXT, st.integers()))),
                "fields": st.dictionaries(
                    TEXT, st.one_of(FIELD_VALUES, st.none(), st.floats(), st.integers())
                ),
                "timestamp": ANY_TIMESTAMP,
            }
        ),
        min_size=1,
        max_size=4,
    )
)
def test_the_batch_encoder_writes_what_encode_point_writes_or_refuses_the_same(points):
    """``encode_lines`` has an inline fast loop over warm caches; it must agree with
    ``encode_point`` line for line, and refuse exactly what it refuses."""
    now = 1_700_000_000_123_456_789
    one_by_one = _encode_or_error(
        lambda: [
            encode_point(p["measurement"], p["tags"], p["fields"], p["timestamp"], now_ns=now)
            for p in points
        ]
    )
    for _ in range(2):  # the second pass runs on caches the first pass filled
        assert _encode_or_error(lambda: encode_lines(points, now_ns=now)) == one_by_one


# Lines shaped like points, with a chance of a wrong piece anywhere, so that many parse and
# many fail in every way the fast loop must hand over to the general parser.
NOISE = st.sampled_from([*"m,= -+.#\t\r", "i", "e5", "nan", "١", "_1", "1e400", ""])
MEASUREMENTS = st.one_of(st.sampled_from(["cpu", "m", "a=b", "#c", "\tm", ""]), NOISE)
TAG_PIECES = st.lists(
    st.one_of(st.sampled_from([",host=a", ",host=b", ",r=1", ",x=", ",=y", ",a=b=c"]), NOISE),
    max_size=3,
)
FIELD_VALUES_RAW = st.sampled_from(
    [
        "1",
        "1i",
        "-2.5e3",
        "true",
        "T",
        "f",
        "1u",
        "-1i",
        "9223372036854775808i",
        ".5",
        "5.",
        "1e400",
        "+1",
        "nan",
        "١",
        "1_0",
        "0x1",
        "-",
        "i",
        "--1i",
        "--1",
        "1E+5",
    ]
)
FIELD_PIECES = st.lists(
    st.tuples(
        st.sampled_from(["f", "g", "k", "f", ""]),
        st.sampled_from(["=", "", "=="]),
        FIELD_VALUES_RAW,
    ),
    min_size=1,
    max_size=3,
).map(lambda pairs: ",".join(k + eq + v for k, eq, v in pairs))
STAMPS = st.sampled_from(
    [
        "",
        " 1700000000",
        " 1700000000123",
        " 1700000000123456789",
        " -5",
        " 12a",
        " 99999999999999999999",
        " 9999999999999999",
        "  1",
        " ١",
    ]
)
LINE = st.tuples(MEASUREMENTS, TAG_PIECES.map("".join), FIELD_PIECES, STAMPS, NOISE).map(
    lambda t: f"{t[0]}{t[1]} {t[2]}{t[3]}" + (t[4] if t[4] in ("\r", "") else "")
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(LINE, min_size=1, max_size=5),
    st.sampled_from([None, "n", "ms", "s", "x"]),
)
def test_the_fast_body_loop_agrees_with_the_line_parser(lines, precision):
    """``parse`` reads plain lines inline; what it accepts and refuses must be exactly what
    ``parse_line`` (the general parser) accepts and refuses, line by line."""
    now = 1_700_000_000_000_000_000
    points, errors = parse("\n".join(lines), precision=precision, now_ns=now)
    expected_points, expected_errors = [], []
    for line_no, raw in enumerate(lines, start=1):
        stripped = raw.rstrip("\r").lstrip(" \t\0")
        if not stripped or stripped.startswith("#"):
            continue
        try:
            expected_points.append(parse_line(stripped, precision=precision, now_ns=now))
        except ValueError as exc:
            expected_errors.append((line_no, str(exc)))
    assert [_exact(p) for p in points] == [_exact(p) for p in expected_points]
    assert [(e.line_no, e.reason) for e in errors] == expected_errors


def test_the_fast_body_loop_is_fed_lines_that_parse():
    """The property above is only worth something if its lines often parse."""
    body = "cpu,host=a f=1i,g=-2.5e3 1700000000\ncpu,host=b f=1,k=T 1700000000123456789"
    points, errors = parse(body)
    assert errors == []
    assert [p["time"] for p in points] == [1_700_000_000 * 10**9, 1_700_000_000_123_456_789]
    assert points[0]["fields"] == {"f": 1, "g": -2500.0}
    assert points[1]["fields"] == {"f": 1.0, "k": True}
