"""The bounded parsers of sme_pilot.inputs: numbers, ids, dates and JSON bodies (issue 10)."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework import exceptions

from sme_pilot.inputs import (
    MAX_JSON_DEPTH,
    AsOfError,
    BoundedJSONParser,
    parse_as_of,
    parse_id,
    parse_id_or_none,
    parse_number,
)


def _message(exc: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    return " ".join(exc.value.message_dict[field])


@pytest.mark.parametrize(
    ("text", "whole", "expected"),
    [("12", True, Decimal(12)), (" 0 ", True, Decimal(0)), ("12.50", False, Decimal("12.50"))],
)
def test_plain_numbers_are_read(text, whole, expected):
    assert parse_number(text, field="f", whole=whole) == expected


@pytest.mark.parametrize(
    "text",
    [
        "1e1000000",  # the CPU DoS: a million-digit integer once built from this
        "1e5000",
        "1E2",
        "9" * 5000,
        "1" * 33,  # longer than MAX_NUMBER_LENGTH
        "NaN",
        "inf",
        "-Infinity",
        "１２",  # full-width digits
        "²",  # superscript two: str.isdigit() says yes, int() says no
        "١٢",  # Arabic-Indic digits: int() would accept them
        "0x10",
        "1_000",
        "",
        "1.2.3",
    ],
)
def test_numbers_are_refused_by_their_shape_naming_the_field(text):
    with pytest.raises(ValidationError) as exc:
        parse_number(text, field="equipment_total")
    assert "equipment_total" in _message(exc, "equipment_total")


def test_json_numbers_are_bounded_before_conversion():
    for value in (10**4000, float("inf"), float("nan"), 1e300, True):
        with pytest.raises(ValidationError):
            parse_number(value, field="f")
    assert parse_number(120, field="f") == 120
    assert parse_number(2.5, field="f") == Decimal("2.5")


def test_range_digits_and_places():
    with pytest.raises(ValidationError, match="不能小于"):
        parse_number("-1", field="f", min=0)
    with pytest.raises(ValidationError, match="不能大于"):
        parse_number("11", field="f", max=10)
    with pytest.raises(ValidationError, match="整数"):
        parse_number("1.5", field="f", whole=True)
    with pytest.raises(ValidationError, match="位小数"):
        parse_number("1.234", field="f", decimal_places=2)
    with pytest.raises(ValidationError, match="位数过多"):
        parse_number("1234", field="f", max_digits=3)
    assert parse_number("1.50", field="f", whole=False, decimal_places=1) == Decimal("1.5")


@pytest.mark.parametrize("text", ["²", "１", "-1", "1.0", "", " ", "9" * 20, str(2**63), "1e3"])
def test_ids_are_ascii_digits_within_bigint(text):
    with pytest.raises(ValidationError) as exc:
        parse_id(text, field="assessment_id")
    assert "assessment_id" in exc.value.message_dict
    assert parse_id_or_none(text) is None


def test_ids_are_read():
    assert parse_id(" 42 ", field="id") == 42
    assert parse_id(str(2**63 - 1), field="id") == 2**63 - 1


def test_as_of_is_bounded_by_the_earliest_date_and_today(settings):
    settings.AS_OF_EARLIEST = "2023-01-01"
    today = timezone.localdate()
    assert parse_as_of(None) == today
    assert parse_as_of(" ") == today
    assert parse_as_of("2023-01-01") == dt.date(2023, 1, 1)
    assert parse_as_of(today.isoformat()) == today
    for text in ("9999-12-31", "2030-01-01", (today + dt.timedelta(days=1)).isoformat()):
        with pytest.raises(AsOfError, match="不能晚于今天"):
            parse_as_of(text)
    with pytest.raises(AsOfError, match="不能早于 2023-01-01"):
        parse_as_of("2022-12-31")
    for text in ("2024-1-1", "20240101", "２０２４-０１-０１", "x" * 5000, "2024-02-30"):
        with pytest.raises(AsOfError, match="YYYY-MM-DD"):
            parse_as_of(text)


def _parse(body: str):
    return BoundedJSONParser().parse(io.BytesIO(body.encode()), "application/json", {})


def test_json_depth_is_limited_without_recursion():
    assert _parse(json.dumps({"a": [[1]]})) == {"a": [[1]]}
    nested = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    assert _parse(nested) is not None
    for depth in (MAX_JSON_DEPTH + 1, 5000):
        with pytest.raises(exceptions.ParseError, match="嵌套过深"):
            _parse("[" * depth + "]" * depth)
    deep_object = '{"a":' * 5000 + "1" + "}" * 5000
    with pytest.raises(exceptions.ParseError, match="嵌套过深"):
        _parse(deep_object)


def test_control_characters_in_json_strings_are_named():
    with pytest.raises(exceptions.ValidationError) as exc:
        _parse(json.dumps({"evidence_notes": {"Q2": "a\u0000b"}}))
    assert "evidence_notes.Q2" in exc.value.detail
    with pytest.raises(exceptions.ValidationError):
        _parse(json.dumps({"k\u0000": 1}))
    assert _parse(json.dumps({"k": "\u001b"})) == {"k": "\u001b"}
    # Line breaks and tabs are text.
    assert _parse(json.dumps({"comment": "第一行\n\t第二行\r\n"}))["comment"].startswith("第一行")
