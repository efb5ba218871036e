"""Hostile values for form fields, query strings, path segments and JSON bodies.

Two shapes of the same ideas:

- `hostile_text()`: strings, for form fields, query parameters and path segments (whatever a
  browser or a script can put there is text);
- `hostile_json()`: JSON *fragments* (raw text), for request bodies. Raw, because the hostile
  JSON values are exactly those Python's `json.dumps` would not write: numbers beyond a float
  (`1e1000000` reads as infinity) or beyond Python's int-to-str digit limit (`9` * 5000),
  `NaN`/`Infinity` literals, and nesting 5,000 deep (built as a string, no recursion).
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

DEPTH = 5_000  # deeper than Python's recursion limit: a recursive parser or walker fails on it
LONG = 10_240  # longer than any field the product stores

HUGE_NUMBERS = ("1e1000000", "9" * 5000, "-1e308", "1e308", "-9" + "9" * 400, "NaN", "Infinity")
UNICODE_DIGITS = ("²", "٣", "１２", "٣.٥", "²⁰²⁶-¹²-³¹", "߃", "৩")  # str.isdigit() is true for all
CONTROL = ("\x00", "a\x00b", "\x01\x02\x1f", "\r\n\t", "\x7f", "\ufeff", "\ud7ff\ue000")
LONG_TEXT = ("x" * LONG, "测" * LONG, "9" * LONG)
DATES = ("2026-02-30", "0000-01-01", "9999-12-31", "10000-01-01", "-1-01-01", "2026-1-1\x00")
# The few that break parsers most often: every field is tried with each (tests/fuzz/test_forms.py).
CRITICAL = ("a\x00b", "9" * 5000, "1e1000000", "²")
OTHER = ("", " ", "-1", "0", "-0", "1.5", "0x10", "1_000", "null", "[]", "{}", "true", "../")


def hostile_text() -> st.SearchStrategy[str]:
    """One hostile string: a fixed catalogue, with generated text mixing C0 controls and
    non-ASCII digits among ordinary characters."""
    generated = st.text(
        alphabet=st.one_of(
            st.characters(codec="utf-8", categories=["Nd", "No", "Cc", "Lo", "Zs"]),
            st.sampled_from("\x00\x0b0123456789.-e"),
        ),
        min_size=1,
        max_size=30,
    )
    catalogue = HUGE_NUMBERS + UNICODE_DIGITS + CONTROL + LONG_TEXT + DATES + OTHER
    return st.one_of(st.sampled_from(catalogue), generated)


def deep(opening: str, closing: str, depth: int = DEPTH, leaf: str = "0") -> str:
    return opening * depth + leaf + closing * depth


DEEP_JSON = (
    deep("[", "]"),
    deep('{"a":', "}"),
    deep("[", "]", leaf=""),
)


def hostile_json() -> st.SearchStrategy[str]:
    """One hostile JSON value as raw text (see the module docstring): huge and non-finite
    numbers as literals, hostile strings, deep nesting, and wrong types (lists and objects
    where a scalar goes, scalars where an object goes)."""
    wrong_types = ("[]", "{}", "[1,2]", '{"a":1}', '[{"a":[]}]', "null", "true", "0", '""', "-1")
    literals = (*HUGE_NUMBERS[:5], "1e-400", "-0.0", "1.0", "123456789012345678901234567890")
    return st.one_of(
        st.sampled_from(literals),
        st.sampled_from(DEEP_JSON),
        st.sampled_from(wrong_types),
        hostile_text().map(json.dumps),
        # an object whose values are hostile: where a mapping (answers, data) is expected
        st.dictionaries(
            st.one_of(st.sampled_from(("Q1", "Q2", "D1", "\x00", "²")), hostile_text()),
            st.sampled_from((*HUGE_NUMBERS[:5], '"\\u0000"', '"²"', "[]", "{}", deep("[", "]"))),
            min_size=1,
            max_size=3,
        ).map(lambda d: "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in d.items()) + "}"),
    )


def json_object(fragments: dict[str, str]) -> str:
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in fragments.items()) + "}"


# Whole bodies that are not an object with properties at all.
HOSTILE_BODIES = (
    *DEEP_JSON,
    "9" * 5000,
    "1e1000000",
    "NaN",
    "[]",
    '"\\u0000"',
    '{"a": "\x00"}',
    "\x00",
    "",
    "{",
    '{"a":1,"a":2}',
)
