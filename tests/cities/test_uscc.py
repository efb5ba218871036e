"""USCC rules (GB 32100-2015). Pure: no database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cities import uscc

VALID = ["9144030071526726XG", "91350100M000100Y43"]


@pytest.mark.parametrize("code", VALID)
def test_valid_examples_from_the_domain_spec(code):
    assert uscc.validate(code) == code


@pytest.mark.parametrize("code", VALID)
def test_every_wrong_check_character_is_rejected(code):
    wrong = [ch for ch in uscc.ALPHABET if ch != code[17]]
    assert len(wrong) == 30
    for ch in wrong:
        with pytest.raises(uscc.USCCError, match="校验位错误"):
            uscc.validate(code[:17] + ch)


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_forbidden_letters_are_named(letter):
    code = "9144030071526726X" + letter
    with pytest.raises(uscc.USCCError, match=f"不能包含字母 {letter}"):
        uscc.validate(code)
    inner = "91440300" + letter + "1526726XG"
    with pytest.raises(uscc.USCCError, match=letter):
        uscc.validate(inner)


@pytest.mark.parametrize("code", ["9144030071526726X", "9144030071526726XGG", "", "  "])
def test_wrong_length_or_empty(code):
    with pytest.raises(uscc.USCCError):
        uscc.validate(code)


def test_wrong_length_message_counts_characters():
    with pytest.raises(uscc.USCCError, match="实际为 17 位"):
        uscc.validate("9144030071526726X")


def test_lower_case_and_surrounding_spaces_are_normalised():
    assert uscc.validate("  9144030071526726xg \t") == "9144030071526726XG"
    assert uscc.validate("\u300091350100m000100y43") == "91350100M000100Y43"


def test_punctuation_is_rejected():
    with pytest.raises(uscc.USCCError, match="非法字符"):
        uscc.validate("9144030071526726-G")


@given(st.text(alphabet=uscc.ALPHABET, min_size=17, max_size=17))
def test_computed_check_character_always_validates(first17):
    code = first17 + uscc.check_character(first17)
    assert uscc.is_valid(code)
    assert uscc.is_valid(code.lower())
