"""A fast, pure-Python validator for the STIX 2.1 patterning language.

It accepts and rejects exactly what the reference validator
``stix2patterns.validator.validate(pattern, stix_version='2.1')`` does, two
orders of magnitude faster, so it can run on the bulk-ingest hot path
(``bench/pattern_speed.py`` measures both and their agreement).

Two paths:

* ``_FAST`` is one compiled regular expression that fully matches the common
  simple form (bracketed ``type:path op literal`` comparisons joined by AND/OR,
  observations joined by AND/OR/FOLLOWEDBY, no qualifiers).  A match proves
  the pattern valid; hash comparisons are only taken there when the value has
  the right length for a known hash name, and any other path naming
  ``hashes`` is left to the slow path.
* Everything else goes through a tokenizer that mirrors the ANTLR lexer
  (longest match, keywords before identifiers) and a recursive-descent parser
  for the v21 grammar, followed by the checks stix2-patterns makes after
  parsing: hash values by hash name, qualifier types not repeated on one
  observation, the pattern starting with ``[`` after any ``(`` and
  whitespace.  Inputs on which the reference raises an exception instead of
  answering (empty pattern, negative list index, a list index as hash name)
  are rejected.

One known, deliberate difference: the reference walks its parse tree
recursively and dies with RecursionError on huge patterns (about 980 chained
comparisons or observations, 240 nested parentheses, at Python's default
recursion limit and depending on the caller's stack); cirx accepts long chains
and rejects only nesting deeper than its own recursion allows.
"""

from __future__ import annotations

import re

from cirx.errors import InvalidPattern

__all__ = ["pattern_error", "validate_pattern"]

_WS = r"[ \t\r\n\x0b\x0c\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_TS = (r"t'[0-9]{4}-(?:0[1-9]|1[012])-(?:0[1-9]|[12][0-9]|3[01])"
       r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?Z'")
_B64 = "[A-Za-z0-9+/]"
_STR = r"'(?:[^'\\]|\\['\\])*'"

_TOKEN = re.compile(
    rf"(?:{_WS}+|/\*.*?\*/|//[^\r\n]*)*("  # skipped: whitespace and comments
    rf"{_TS}|h'(?:[0-9A-Fa-f]{{2}})*'"
    rf"|b'(?:{_B64}{{4}})*(?:{_B64}{{4}}|{_B64}{{3}}=|{_B64}{{2}}==)'"
    rf"|[A-Za-z_][A-Za-z0-9_-]*|{_STR}"
    r"|[+-]?[0-9]*\.[0-9]+|[+-]?(?:[1-9][0-9]*|0[0-9]*)"  # 0[0-9]+: leading zeros, an error
    r"|<=|>=|<>|!=|==|[=<>:.,()\[\]*]"
    # An unterminated string or comment is an error: taking the rest of the
    # input as one token keeps the lexer linear where ANTLR's rescans.
    r"|['/].*|.|\Z)",
    re.S,
)
_STRING = re.compile(_STR)

_KEYWORDS = {k: k for k in (
    "AND", "OR", "NOT", "FOLLOWEDBY", "LIKE", "MATCHES", "ISSUPERSET", "ISSUBSET", "EXISTS",
    "LAST", "IN", "START", "STOP", "SECONDS", "WITHIN", "REPEATS", "TIMES")}
_KEYWORDS.update(true="bool", false="bool")
_LITERAL_KINDS = frozenset({"int+", "int-", "float+", "float-", "str", "bin", "hex", "ts"})
_ORDER_OPS = frozenset({"<", "<=", ">", ">="})
_STRING_OPS = frozenset({"LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"})
_QUALIFIERS = frozenset({"START", "WITHIN", "REPEATS"})

# The hash checks of stix2patterns/v21/object_validator.py, regexes verbatim
# (MD6's alternation is unanchored on the right, and '$' allows a trailing
# newline; both are mirrored by using the same expressions with re.match).
_HASHES = {name: (re.compile(rx), label) for name, rx, label in (
    ("MD5", r"^[a-fA-F0-9]{32}$", "MD5"),
    ("MD6", r"^[a-fA-F0-9]{32}|[a-fA-F0-9]{40}|[a-fA-F0-9]{56}|\
    [a-fA-F0-9]{64}|[a-fA-F0-9]{96}|[a-fA-F0-9]{128}$", "MD6"),
    ("RIPEMD160", r"^[a-fA-F0-9]{40}$", "RIPEMD-160"),
    ("SHA1", r"^[a-fA-F0-9]{40}$", "SHA-1"),
    ("SHA224", r"^[a-fA-F0-9]{56}$", "SHA-224"),
    ("SHA256", r"^[a-fA-F0-9]{64}$", "SHA-256"),
    ("SHA384", r"^[a-fA-F0-9]{96}$", "SHA-384"),
    ("SHA512", r"^[a-fA-F0-9]{128}$", "SHA-512"),
    ("SHA3224", r"^[a-fA-F0-9]{56}$", "SHA3-224"),
    ("SHA3256", r"^[a-fA-F0-9]{64}$", "SHA3-256"),
    ("SHA3384", r"^[a-fA-F0-9]{96}$", "SHA3-384"),
    ("SHA3512", r"^[a-fA-F0-9]{128}$", "SHA3-512"),
    ("SSDEEP", r"^[a-zA-Z0-9/+:.]{1,128}$", "SSDEEP"),
    ("WHIRLPOOL", r"^[a-fA-F0-9]{128}$", "WHIRLPOOL"),
)}


def _fast_regex() -> re.Pattern[str]:
    """Build the fast-path expression (see the module docstring)."""
    kw = "(?!(?:" + "|".join(_KEYWORDS) + r")(?![A-Za-z0-9_-]))"
    name = kw + r"(?!hashes(?![A-Za-z0-9_-]))[A-Za-z_][A-Za-z0-9_]*(?![A-Za-z0-9_-])"
    key = rf"(?:{name}|(?!'hashes'){_STR})"
    path = (kw + r"[A-Za-z_][A-Za-z0-9_-]*:" + key
            + rf"(?:\.{key}|\[(?:\*|\+?(?:0|[1-9][0-9]*))\])*")
    num = r"[+-]?(?:[0-9]*\.[0-9]+|0|[1-9][0-9]*)"
    ordered = rf"(?:{num}|{_STR}|{_TS})"
    lengths = {"MD5": 32, "SHA-1": 40, "SHA-224": 56, "SHA-256": 64, "SHA-384": 96,
               "SHA-512": 128, "SHA3-256": 64, "SHA3-512": 128}
    sels = []
    for label, n in lengths.items():
        bare = label.replace("-", "")
        forms = {bare, bare.lower(), f"'{bare}'", f"'{label}'", f"'{label.lower()}'"}
        sels.append("(?:" + "|".join(sorted(forms)) + rf")[ ]*!?=[ ]*'[0-9a-fA-F]{{{n}}}'")
    hashes = "|".join(sels)
    cmp = (rf"(?:{path}[ ]*(?:!?=[ ]*(?:{ordered}|true|false)|(?:<|>)=?[ ]*{ordered}"
           rf"|[ ](?:LIKE|MATCHES)[ ]*{_STR})"
           rf"|{kw}[A-Za-z_][A-Za-z0-9_-]*:hashes\.(?:{hashes}))")
    obs = rf"\[[ ]*{cmp}(?:[ ]+(?:AND|OR)[ ]+{cmp})*[ ]*\]"
    return re.compile(rf"[ ]*{obs}(?:[ ]*(?:AND|OR|FOLLOWEDBY)[ ]*{obs})*[ ]*")


_FAST = _fast_regex()


class _Reject(Exception):
    """Raised inside the parser with the index of the offending token."""


_EQ_LITERALS = frozenset({"bool", *_LITERAL_KINDS})
_COMPARE_OPS = frozenset({"=", "!=", "IN", *_ORDER_OPS, *_STRING_OPS})


class _Parser:
    """Recursive-descent parser over the token kinds ``k`` and texts ``t``."""

    __slots__ = ("errors", "i", "k", "t")

    def __init__(self, kinds: list[str], texts: list[str]) -> None:
        self.k = kinds
        self.t = texts
        self.i = 0
        self.errors: list[str] = []

    def take(self, kind: str) -> int:
        i = self.i
        if self.k[i] != kind:
            raise _Reject(i)
        self.i = i + 1
        return i

    def take_any(self, allowed: frozenset[str]) -> int:
        i = self.i
        if self.k[i] not in allowed:
            raise _Reject(i)
        self.i = i + 1
        return i

    def observations(self) -> None:
        """observationExpressions: FOLLOWEDBY / OR / AND over observations."""
        k = self.k
        self.observation()
        while k[self.i] in _OBS_JOIN:
            self.i += 1
            self.observation()

    def observation(self) -> None:
        k = self.k
        i = self.i
        if k[i] == "[":
            self.i = i + 1
            self.comparisons()
            self.take("]")
            seen: set[str] | None = set()
        elif k[i] == "(":
            self.i = i + 1
            self.observations()
            self.take(")")
            seen = None  # the reference only checks qualifiers on [...]
        else:
            raise _Reject(i)
        while (kind := k[self.i]) in _QUALIFIERS:
            self.i += 1
            if kind == "START":
                self.take("ts")
                self.take("STOP")
                self.take("ts")
            elif kind == "WITHIN":
                self.take_any(_WITHIN_NUMBERS)
                self.take("SECONDS")
            else:
                self.take("int+")
                self.take("TIMES")
            if seen is not None:
                if kind in seen:
                    self.errors.append(f"duplicate {kind} qualifier on one observation")
                seen.add(kind)

    def comparisons(self) -> None:
        """comparisonExpression: OR / AND over property tests."""
        k = self.k
        self.prop_test()
        while k[self.i] in _CMP_JOIN:
            self.i += 1
            self.prop_test()

    def prop_test(self) -> None:
        k = self.k
        kind = k[self.i]
        if kind == "(":
            self.i += 1
            self.comparisons()
            self.take(")")
            return
        if kind == "NOT" or kind == "EXISTS":
            self.i += 1
            if kind == "NOT":
                self.take("EXISTS")
            self.path()
            return
        path = self.path()
        if k[self.i] == "NOT":
            self.i += 1
        op = k[self.take_any(_COMPARE_OPS)]
        start = self.i
        if op == "=" or op == "!=":
            self.take_any(_EQ_LITERALS)
        elif op in _ORDER_OPS:
            self.take_any(_LITERAL_KINDS)
        elif op == "IN":
            self.take("(")
            if k[self.i] != ")":
                self.take_any(_EQ_LITERALS)
                while k[self.i] == ",":
                    self.i += 1
                    self.take_any(_EQ_LITERALS)
            self.take(")")
        else:
            self.take("str")
        if "hashes" in path:
            self.check_hash(path[-1], "".join(self.t[start:self.i]))

    def path(self) -> list[str | int | None]:
        """objectPath, as the reference inspector records it (None for [*])."""
        k, t = self.k, self.t
        self.take_any(_OBJECT_TYPE)
        self.take(":")
        comps: list[str | int | None] = [_unquote(t[self.take_any(_KEY)])]
        while True:
            kind = k[self.i]
            if kind == ".":
                self.i += 1
                comps.append(_unquote(t[self.take_any(_KEY)]))
            elif kind == "[":
                self.i += 1
                i = self.take_any(_INDEX)
                if k[i] == "int-":
                    self.errors.append(f"negative list index {t[i]} (the reference "
                                       "validator crashes on it)")
                comps.append(None if k[i] == "*" else int(t[i]))
                self.take("]")
            else:
                return comps

    def check_hash(self, selector: str | int | None, value: str) -> None:
        """Mirror stix2patterns/v21/object_validator.verify_object."""
        if selector is None:
            return
        if isinstance(selector, int):
            self.errors.append("a list index used as hash name (the reference "
                               "validator crashes on it)")
            return
        known = _HASHES.get(selector.upper().replace("-", "").replace("'", ""))
        if known and not known[0].match(value.replace("'", "")):
            self.errors.append(f"{value!r} is not a valid {known[1]} hash")


_OBS_JOIN = frozenset({"AND", "OR", "FOLLOWEDBY"})
_CMP_JOIN = frozenset({"AND", "OR"})
_WITHIN_NUMBERS = frozenset({"int+", "float+"})
_OBJECT_TYPE = frozenset({"id", "idh"})
_KEY = frozenset({"id", "str"})
_INDEX = frozenset({"int+", "int-", "*"})
_LITERAL_PREFIX = {"t": "ts", "h": "hex", "b": "bin"}
_ID_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NUMBER_START = frozenset("0123456789+-.")
_FIXED: dict[str, str] = {"": "EOF", "==": "=", "<>": "!=", "<=": "<=", ">=": ">=",
                          "!=": "!=", **{c: c for c in "=<>:.,()[]*+-^/"}, **_KEYWORDS}


def _unquote(text: str) -> str:
    """Mirror stix2patterns.inspector._string_literal_to_string (ids pass through)."""
    if text[0] != "'":
        return text
    return text[1:-1].replace("\\'", "'").replace("\\\\", "\\")


def _kinds(texts: list[str]) -> list[str]:
    """Token kinds, as the ANTLR lexer would type the tokens ``texts``."""
    kinds = []
    for text in texts:
        kind = _FIXED.get(text)
        if kind is None:
            c = text[0]
            if c in _ID_START:
                kind = _LITERAL_PREFIX[c] if "'" in text else "idh" if "-" in text else "id"
            elif c == "'":
                kind = "str" if len(text) > 1 else "bad"
            elif c in _NUMBER_START:
                if "." in text:
                    kind = "float-" if c == "-" else "float+"
                else:
                    lead = 1 if c == "+" or c == "-" else 0
                    if text[lead] == "0" and len(text) > lead + 1:
                        kind = "bad"  # ANTLR splits 007 into three tokens: an error either way
                    else:
                        kind = "int-" if c == "-" else "int+"
            else:
                kind = "bad"
        kinds.append(kind)
    return kinds


def _describe(pattern: str, texts: list[str], kinds: list[str], i: int) -> str:
    """Human-readable reason for a syntax error at token ``i``."""
    positions = [m.start(1) for m in _TOKEN.finditer(pattern)]
    for j in range(min(i + 1, len(positions))):
        if texts[j][:1] == "'" and not _STRING.fullmatch(texts[j]):
            return f"unterminated string or bad escape at position {positions[j]}"
    if kinds[i] == "EOF":
        return "unexpected end of pattern"
    pos, text = positions[i], texts[i]
    if kinds[i] == "id" and text in _LITERAL_PREFIX and kinds[i + 1] == "str" \
            and pattern.startswith(texts[i + 1], pos + 1):
        what = {"t": "timestamp", "h": "hex", "b": "binary"}[text]
        return f"invalid {what} literal {text}{texts[i + 1]}"
    return f"unexpected token {text[:40]!r} at position {pos}"


def pattern_error(pattern: str) -> str | None:
    """Say why ``pattern`` is not valid STIX 2.1 patterning, or None if it is.

    The answer agrees with ``stix2patterns.validator.validate(pattern,
    stix_version='2.1')``: None exactly when that returns True.
    """
    if _FAST.fullmatch(pattern):
        return None
    texts = _TOKEN.findall(pattern)
    texts.append("")
    kinds = _kinds(texts)
    parser = _Parser(kinds, texts)
    try:
        parser.observations()
        parser.take("EOF")
    except _Reject as exc:
        return _describe(pattern, texts, kinds, exc.args[0])
    except RecursionError:  # hundreds of nested parentheses; the reference crashes too
        return "pattern nests parentheses too deeply"
    if parser.errors:
        return parser.errors[0]
    for c in pattern:
        if c != "(" and not c.isspace():
            if c != "[":
                return "pattern must start with '[' (after any '(' and whitespace)"
            break
    return None


def validate_pattern(pattern: str) -> None:
    """Raise :class:`InvalidPattern` with the reason if ``pattern`` is not valid STIX 2.1."""
    reason = pattern_error(pattern)
    if reason is not None:
        raise InvalidPattern(reason)
