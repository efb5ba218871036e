"""统一社会信用代码 (GB 32100-2015): normalisation and the check character. Pure Python."""

from __future__ import annotations

from operator import mul

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18
FORBIDDEN = frozenset("IOSVZ")
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
_CHARACTERS = frozenset(ALPHABET)


class USCCError(ValueError):
    """The code is not a valid USCC; the message says why, in Chinese, for the user."""


def normalize(raw: str) -> str:
    """Upper-case and strip surrounding white space (full-width spaces too)."""
    return raw.strip().strip("\u3000").upper()


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (which must already be valid alphabet characters)."""
    if len(first17) != len(WEIGHTS):
        raise ValueError(f"expected {len(WEIGHTS)} characters, got {len(first17)}")
    total = sum(map(mul, map(_INDEX.__getitem__, first17), WEIGHTS))
    c = 31 - total % 31
    return ALPHABET[0 if c == 31 else c]


def validate(raw: str) -> str:
    """Return the normalised code, or raise USCCError naming the problem."""
    code = normalize(raw)
    if not code:
        raise USCCError("统一社会信用代码不能为空")
    if len(code) != LENGTH:
        raise USCCError(f"统一社会信用代码应为 18 位，实际为 {len(code)} 位")
    bad = [] if _CHARACTERS.issuperset(code) else sorted({ch for ch in code if ch not in _INDEX})
    if bad:
        forbidden = [ch for ch in bad if ch in FORBIDDEN]
        if forbidden:
            raise USCCError(
                f"统一社会信用代码不能包含字母 {'、'.join(forbidden)}（不使用 I、O、S、V、Z）"
            )
        raise USCCError(f"统一社会信用代码含有非法字符：{'、'.join(bad)}")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise USCCError(f"统一社会信用代码校验位错误：第 18 位应为 {expected}，实际为 {code[17]}")
    return code


def is_valid(raw: str) -> bool:
    try:
        validate(raw)
    except USCCError:
        return False
    return True


def synthetic(n: int, *, region_code: str = "440300") -> str:
    """A valid, deterministic code for demo and test data: '91' + region + n in base 31 + check."""
    digits = ""
    for _ in range(9):
        n, r = divmod(n, 31)
        digits = ALPHABET[r] + digits
    first17 = "91" + region_code + digits
    return first17 + check_character(first17)
