"""cirx's STIX 2.1 pattern validator must agree with stix2-patterns on every input.

The oracle is ``stix2patterns.validator.validate(p, stix_version='2.1')``; an
exception from it (it raises on a few inputs, e.g. the empty string) counts as
"not valid", which is what cirx answers there.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stix2patterns.validator import validate

from cirx.errors import InvalidPattern
from cirx.model.pattern import pattern_error, validate_pattern

_spec = importlib.util.spec_from_file_location(
    "pattern_corpus", Path(__file__).resolve().parents[2] / "bench" / "pattern_corpus.py")
assert _spec is not None and _spec.loader is not None
_corpus_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_corpus_module)
CORPUS: list[tuple[str, bool]] = _corpus_module.corpus()


def reference(pattern: str) -> bool:
    """The stix2-patterns verdict, an exception counting as invalid."""
    try:
        return bool(validate(pattern, stix_version="2.1"))
    except Exception:
        return False


def test_corpus_is_large_and_mixed() -> None:
    assert len(CORPUS) >= 120
    assert sum(valid for _, valid in CORPUS) >= 60
    assert sum(not valid for _, valid in CORPUS) >= 60
    assert len({p for p, _ in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(("pattern", "valid"), CORPUS, ids=[ascii(p)[:60] for p, _ in CORPUS])
def test_corpus_agrees_with_stix2patterns(pattern: str, valid: bool) -> None:
    assert reference(pattern) is valid, "corpus verdict is stale"
    error = pattern_error(pattern)
    assert (error is None) is valid, error
    if error is not None:
        assert isinstance(error, str) and error


def test_validate_pattern_raises_invalid_pattern() -> None:
    validate_pattern("[ipv4-addr:value = '198.51.100.1']")
    with pytest.raises(InvalidPattern, match="invalid timestamp literal t'2020-13-01T00:00:00Z'"):
        validate_pattern("[file:created = t'2020-13-01T00:00:00Z']")
    with pytest.raises(InvalidPattern, match=r"unexpected token '\]' at position 17"):
        validate_pattern("[file:name = 'a']]")
    with pytest.raises(InvalidPattern, match="unexpected end of pattern"):
        validate_pattern("")
    with pytest.raises(InvalidPattern, match="not a valid MD5 hash"):
        validate_pattern("[file:hashes.MD5 = 'abc']")


# --- grammar-driven property test -------------------------------------------------
#
# Patterns are drawn from the v21 grammar; at every choice a small share of
# near-miss alternatives (wrong case, bad literal, wrong operand...) is mixed
# in, and a third of the patterns then get random character edits, so about
# half the examples are valid and the rest fail in many different ways.

_HEX = "0123456789abcdef"
_MUTATION_CHARS = "[]()':.=!<>,*-+ \\/\"tbhAND0123456789aZ_\n"


def _pick(draw: st.DrawFn, good: list[str], bad: list[str]) -> str:
    """One of ``good``, or (one time in forty) one of ``bad``."""
    if draw(st.integers(0, 39)) == 7:  # not 0: Hypothesis favours boundary values
        return draw(st.sampled_from(bad))
    return draw(st.sampled_from(good))


def _few(draw: st.DrawFn) -> int:
    """0 usually, sometimes 1, rarely 2 (Hypothesis would otherwise build huge patterns)."""
    return (0, 0, 0, 0, 1, 1, 2)[draw(st.integers(0, 6))]


def _ws(draw: st.DrawFn) -> str:
    return _pick(draw, [" ", " ", " ", "  ", "\t", "\n"], ["", "/* c */", "\u00a0", "\u200b", "//"])


def _timestamp(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 5)) != 3:
        y, mo, d = draw(st.integers(0, 9999)), draw(st.integers(1, 12)), draw(st.integers(1, 31))
        h, mi, s = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 60))
        frac, zone = draw(st.sampled_from(["", "", ".5", ".123456"])), "Z"
    else:
        y, mo, d = draw(st.integers(0, 9999)), draw(st.integers(0, 13)), draw(st.integers(0, 32))
        h, mi, s = draw(st.integers(0, 24)), draw(st.integers(0, 60)), draw(st.integers(0, 61))
        frac, zone = draw(st.sampled_from(["", ".", ".5"])), draw(st.sampled_from(["Z", "z", ""]))
    return f"t'{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{frac}{zone}'"


def _hex(draw: st.DrawFn, n: int) -> str:
    return format(draw(st.integers(0, 16**n - 1)), f"0{n}x") if n else ""


def _string(draw: st.DrawFn) -> str:
    text = _pick(draw, ["'abc'", "''", "'198.51.100.0/24'", "'%.example.com'", "'a\\'b'",
                        "'C:\\\\Windows'", "'^[a-z]+$'", "'é'", "HEX32", "HEX40", "HEX64"],
                 ["'it''s'", "'x", "'\\d'", "\"dq\"", "HEX31", "HEX32NL"])
    if text.startswith("HEX"):
        body = _hex(draw, int(text[3:5]))
        return "'" + (body.upper() if draw(st.booleans()) else body) + ("\n'" if "NL" in text else "'")
    return text


def _literal(draw: st.DrawFn, orderable: bool = False) -> str:
    kind = draw(st.integers(0, 9))
    if kind < 4:
        return _string(draw)
    if kind < 6:
        return _pick(draw, ["0", "1", "-1", "+5", "-0", "1.5", ".5", "-.5", "42",
                            "12345678901234567890123456789012"], ["007", "1.", "1e5", "- 1"])
    if kind == 6:
        return _timestamp(draw)
    if kind == 7:
        return "h'" + _hex(draw, int(_pick(draw, ["0", "2", "4", "32"], ["1", "3"]))) + "'"
    if kind == 8:
        body = _pick(draw, ["AAAA", "YQ==", "YWI=", "dGhpcyBpcyBhIHRlc3Q="], ["", "abc", "a===", "ab="])
        return "b'" + body + "'"
    if orderable:
        return _string(draw)
    return _pick(draw, ["true", "false"], ["TRUE", "True", "null"])


_TYPES = ["file", "ipv4-addr", "domain-name", "url", "email-message", "x-foo", "a", "t", "x-", "and"]
_BAD_TYPES = ["AND", "true", "1x", "IN", "'file'", ""]
_KEYS = ["name", "value", "src_ref", "'quoted key'", "'SHA-256'", "t", "b", "x1", "'a\\'b'", "MD5"]
_BAD_KEYS = ["x-y", "OR", "false", "LAST", "1a", ""]
_SELECTORS = ["MD5", "md5", "'MD5'", "'SHA-1'", "SHA256", "'SHA-256'", "SSDEEP", "MD6", "TLSH",
              "'SHA3-512'", "'M-D-5'", "'SHA-512'"]


def _path(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 4)) == 3:
        return _pick(draw, _TYPES, _BAD_TYPES) + ":hashes." + draw(st.sampled_from(_SELECTORS))
    path = _pick(draw, _TYPES, _BAD_TYPES) + _pick(draw, [":"], ["::", " : ", "."])
    path += _pick(draw, _KEYS, _BAD_KEYS)
    for step in [draw(st.integers(0, 2)) for _ in range(_few(draw))]:
        if step == 2:
            path += "[" + _pick(draw, ["0", "1", "*", "+2"], ["-1", "01", "", "x"]) + "]"
        else:
            path += "." + _pick(draw, [*_KEYS, "hashes"], _BAD_KEYS + _SELECTORS)
    return path


def _comparison(draw: st.DrawFn, depth: int) -> str:
    shape = draw(st.integers(0, 11))
    if shape == 10 and depth < 2:
        return "(" + _ws(draw) + _comparison_expression(draw, depth + 1) + _ws(draw) + ")"
    if shape == 11:
        return _pick(draw, ["EXISTS ", "NOT EXISTS "], ["EXISTS", "exists "]) + _path(draw)
    path, ws = _path(draw) + _ws(draw), _ws(draw)
    op = _pick(draw, ["=", "!=", "==", "<>", "<", "<=", ">", ">=", "IN", "LIKE", "MATCHES", "ISSUBSET",
                      "ISSUPERSET", "NOT =", "NOT IN", "NOT LIKE"],
               ["like", "===", "=~", "NOT NOT =", "!"])
    if op.endswith("IN"):
        items = [_literal(draw) for _ in range(_few(draw) + 1)]
        return path + op + ws + "(" + ", ".join(items) + _pick(draw, [")"], [",)", ""])
    if op[-1].isalpha():
        return path + op + ws + (_string(draw) if draw(st.integers(0, 7)) != 5 else _literal(draw))
    return path + op + ws + _literal(draw, orderable=op.lstrip("NOT ")[0] in "<>")


def _comparison_expression(draw: st.DrawFn, depth: int = 0) -> str:
    text = _comparison(draw, depth)
    for _ in range(_few(draw)):
        text += " " + _pick(draw, ["AND", "OR"], ["and", "FOLLOWEDBY", "&&"]) + " "
        text += _comparison(draw, depth)
    return text


def _qualifier(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 39)) == 7:
        return draw(st.sampled_from(["WITHIN -1 SECONDS", "WITHIN 5", "within 5 seconds",
                                     "REPEATS 1.5 TIMES", "START 'x' STOP 'y'", "LAST 5 SECONDS"]))
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return f"WITHIN {draw(st.sampled_from(['5', '0', '1.5', '.5', '+3', '300']))} SECONDS"
    if kind == 1:
        return f"REPEATS {draw(st.sampled_from(['5', '0', '+3']))} TIMES"
    return f"START {_timestamp(draw)} STOP {_timestamp(draw)}"


def _observation(draw: st.DrawFn, depth: int) -> str:
    if depth < 2 and draw(st.integers(0, 5)) == 4:
        text = "(" + _observation_expression(draw, depth + 1) + ")"
    else:
        text = "[" + _ws(draw) + _comparison_expression(draw) + _ws(draw) + "]"
    for _ in range(_few(draw)):
        text += " " + _qualifier(draw)
    return text


def _observation_expression(draw: st.DrawFn, depth: int = 0) -> str:
    text = _observation(draw, depth)
    for _ in range(_few(draw)):
        join = _pick(draw, ["AND", "OR", "FOLLOWEDBY"], ["followedby", "THEN"])
        text += _pick(draw, [" "], [""]) + join + " " + _observation(draw, depth)
    return text


@st.composite
def _patterns(draw: st.DrawFn) -> str:
    prefix = _pick(draw, ["", "", " ", "("], ["/**/", "x", "\u00a0"])
    text = prefix + _observation_expression(draw) + (")" if prefix == "(" else "")
    text += _pick(draw, ["", " ", "\n", " // c"], [" x", "]", "/*"])
    if draw(st.integers(0, 2)) == 1:
        for _ in range(draw(st.integers(1, 2))):
            action, at = draw(st.integers(0, 2)), draw(st.integers(0, len(text)))
            if action == 0:  # delete a character
                text = text[:at] + text[at + 1:]
            elif action == 1:  # insert a character
                text = text[:at] + draw(st.sampled_from(_MUTATION_CHARS)) + text[at:]
            else:  # swap two space-separated tokens
                words = text.split(" ")
                a, b = draw(st.integers(0, len(words) - 1)), draw(st.integers(0, len(words) - 1))
                words[a], words[b] = words[b], words[a]
                text = " ".join(words)
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example])
@given(_patterns())
def test_random_patterns_agree_with_stix2patterns(pattern: str) -> None:
    assert (pattern_error(pattern) is None) is reference(pattern), pattern_error(pattern)
