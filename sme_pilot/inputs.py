"""Input limits in one place: bounded numbers, ids and dates, and a JSON parser with a depth limit.

Every number, id or date typed by a person or sent by a client is read here, before any
conversion: a string too long, an exponent, a non-ASCII digit, NaN or infinity is refused with a
message naming the field, so no input can make the server build a huge number (CPU) or fail (500).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework import exceptions, parsers

# Longest number text read at all; anything longer is refused before it is looked at.
MAX_NUMBER_LENGTH = 32
# Largest id read from a query string or path (PostgreSQL bigint).
MAX_ID = 2**63 - 1
# Return comments, on the page and in the API.
RETURN_COMMENT_MAX_LENGTH = 2000
# Deepest nesting of a JSON request body.
MAX_JSON_DEPTH = 32

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
_ID = re.compile(r"[0-9]{1,19}\Z")
# C0 control characters but tab, line feed and carriage return (text areas need those).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
ALL_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f]")


def parse_number(
    value: Any,
    *,
    field: str,
    max_digits: int = 15,
    min: Decimal | int | None = None,
    max: Decimal | int | None = None,
    whole: bool = False,
    decimal_places: int | None = None,
) -> Decimal:
    """A bounded Decimal from form text or a JSON number; ValidationError({field: …}) otherwise.

    Text is checked by its shape (ASCII digits, one optional point, no exponent, at most
    MAX_NUMBER_LENGTH characters) before any conversion; never a float in between.
    """
    if isinstance(value, bool):
        raise _number_error(field, whole)
    if isinstance(value, int):
        # A huge JSON integer: bounded by size before it is turned into text.
        if value.bit_length() > 4 * max_digits:
            raise _number_error(field, whole)
        text = str(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _number_error(field, whole)
        text = repr(value)
        if "e" in text or "E" in text:
            raise _number_error(field, whole)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise _number_error(field, whole)
    if len(text) > MAX_NUMBER_LENGTH or not _NUMBER.match(text):
        raise _number_error(field, whole)
    integer, _, fraction = text.lstrip("+-").partition(".")
    fraction = fraction.rstrip("0")
    if len(integer.lstrip("0")) + len(fraction) > max_digits:
        raise ValidationError({field: f"{field}：数字位数过多（最多 {max_digits} 位）"})
    if whole and fraction:
        raise ValidationError({field: f"{field}：请填写整数"})
    if decimal_places is not None and len(fraction) > decimal_places:
        raise ValidationError({field: f"{field}：最多 {decimal_places} 位小数"})
    number = Decimal(text)
    if min is not None and number < min:
        raise ValidationError({field: f"{field}：不能小于 {min}"})
    if max is not None and number > max:
        raise ValidationError({field: f"{field}：不能大于 {max}"})
    return number


def _number_error(field: str, whole: bool) -> ValidationError:
    kind = "整数" if whole else "数字"
    rule = f"阿拉伯数字，不超过 {MAX_NUMBER_LENGTH} 个字符，不用科学计数法"
    return ValidationError({field: f"{field}：请填写{kind}（{rule}）"})


def parse_id(value: Any, *, field: str) -> int:
    """An id from a query string, form or path: ASCII digits only, at most a bigint."""
    text = value.strip() if isinstance(value, str) else ""
    if not _ID.match(text) or int(text) > MAX_ID:
        raise ValidationError({field: f"{field} 应为正整数编号"})
    return int(text)


def parse_id_or_none(value: Any) -> int | None:
    """parse_id for lookups where an unreadable id simply finds nothing (404, empty filter)."""
    try:
        return parse_id(value, field="id")
    except ValidationError:
        return None


class AsOfError(ValueError):
    """A malformed, too early or future `as_of`; the message says which, in Chinese."""


def as_of_earliest() -> dt.date:
    return dt.date.fromisoformat(str(getattr(settings, "AS_OF_EARLIEST", "2023-01-01")))


def parse_as_of(text: str | None) -> dt.date:
    """`YYYY-MM-DD` from AS_OF_EARLIEST to today (Asia/Shanghai); empty means today.

    The one reader of a report or dashboard date: pages, API, report requests and commands.
    """
    today = timezone.localdate()
    if text is None or not text.strip():
        return today
    stripped = text.strip()
    shown = stripped[:20]
    if len(stripped) != 10 or not stripped.isascii():
        raise AsOfError(f"as_of 应为 YYYY-MM-DD 格式的日期，收到“{shown}”")
    try:
        day = dt.date.fromisoformat(stripped)
    except ValueError:
        raise AsOfError(f"as_of 应为 YYYY-MM-DD 格式的日期，收到“{shown}”") from None
    earliest = as_of_earliest()
    if day < earliest:
        raise AsOfError(f"as_of 不能早于 {earliest.isoformat()}")
    if day > today:
        raise AsOfError(f"as_of 不能晚于今天（{today.isoformat()}）")
    return day


# --- JSON request bodies ---------------------------------------------------------------------


def check_json(value: Any) -> None:
    """Refuses nesting deeper than MAX_JSON_DEPTH and NUL in strings (PostgreSQL cannot store it;
    other control characters are text to a JSON client), naming
    where (`data.equipment_total`). Iterative: a deep document cannot exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise exceptions.ParseError(f"JSON 嵌套过深（最多 {MAX_JSON_DEPTH} 层）")
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                name = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and "\x00" in key:
                    raise _control_error(path or "body")
                stack.append((child, name, depth + 1))
        elif isinstance(item, str) and "\x00" in item:
            raise _control_error(path or "body")


def _control_error(path: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({path: [f"{path} 含有不允许的控制字符 NUL"]})


class BoundedJSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing too deep documents and NUL in strings with a 400."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(f"JSON 嵌套过深（最多 {MAX_JSON_DEPTH} 层）") from None
        check_json(data)
        return data


__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_NUMBER_LENGTH",
    "RETURN_COMMENT_MAX_LENGTH",
    "AsOfError",
    "BoundedJSONParser",
    "check_json",
    "parse_as_of",
    "parse_id",
    "parse_id_or_none",
    "parse_number",
]
