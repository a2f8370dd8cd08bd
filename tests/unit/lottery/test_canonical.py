"""The canonical-JSON clarification of protocol v1.

"Object keys are ASCII, integers lie within +-(2^53 - 1), strings are valid
Unicode (no lone surrogates), and there are no floats ... Within them,
json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) and orjson's
sorted-keys output are byte-identical to RFC 8785; the rfc8785 package is the
reference in tests."  Outside the domain, ``lottery.canonical_json`` must refuse.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

import lottery
from tests.independent import reference as ref
from tests.independent.records import applicant_records

MAX = 2**53 - 1

# Characters that encoders are known to treat differently: control characters,
# DEL, the JavaScript line separators, BOM, non-characters, astral code points.
SPECIAL = (
    '\x00\x01\x07\x08\t\n\x0b\x0c\r\x0e\x1b\x1f "\\/\x7f\x80\x85\xa0'
    "\u2028\u2029\u200b\ufeff\ufffe\uffff\ud7ff\ue000"
    "\U00010000\U0001d538\U0001f600\U00020000\U0010fffe\U0010ffff"
)

strings = st.text() | st.text(alphabet=SPECIAL) | st.text(alphabet=SPECIAL + "a中é", max_size=5)
ascii_keys = st.text(alphabet=st.characters(max_codepoint=0x7F)) | st.text(
    alphabet='\x00\x1f"\\/ aAzZ09_~\x7f', max_size=4
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-MAX, MAX)
    | st.sampled_from([0, -1, 1, MAX, -MAX, 2**31, -(2**31), 2**32, 2**63 // 2**11])
    | strings
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(ascii_keys, inner, max_size=5),
    max_leaves=40,
)


def json_dumps(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def orjson_dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


@settings(max_examples=500)
@given(value=values)
def test_all_encoders_agree_inside_the_domain(value: Any) -> None:
    expected = rfc8785.dumps(value)
    assert json_dumps(value) == expected
    assert orjson_dumps(value) == expected
    assert lottery.canonical_json(value) == expected
    assert ref.jcs(value) == expected
    lottery.check_domain(value)  # does not raise


@pytest.mark.parametrize(
    "value",
    [
        "\u2028\u2029",
        "\x00\x1f\x7f",
        "\U0001f600 \U0010ffff",
        {"b": 1, "a": [True, False, None], "": {"\x7f": "", "\x00": -MAX}},
        {"id": 'Zoé\u2028"\\', "n": MAX},
        [],
        {},
    ],
    ids=repr,
)
def test_known_tricky_values(value: Any) -> None:
    expected = rfc8785.dumps(value)
    assert json_dumps(value) == orjson_dumps(value) == expected
    assert lottery.canonical_json(value) == expected


OUTSIDE = [
    1.0,
    0.5,
    -0.0,
    float("inf"),
    2**53,
    -(2**53),
    2**64,
    {"é": 1},
    {"学校": 1},
    {"ok": {"ключ": 0}},
    "\ud800",
    "a\udfffb",
    ["fine", "\udc00"],
    {"nested": [1, 2, {"x": 1.5}]},
    [[[2**53 + 1]]],
]


@pytest.mark.parametrize("value", OUTSIDE, ids=repr)
def test_values_outside_the_domain_are_refused(value: Any) -> None:
    with pytest.raises(lottery.CanonicalError):
        lottery.canonical_json(value)
    with pytest.raises(lottery.CanonicalError):
        lottery.check_domain(value)
    with pytest.raises(ref.OutsideDomain):
        ref.jcs(value)


bad_leaves = (
    st.floats(allow_nan=False)
    | st.integers(min_value=MAX + 1)
    | st.integers(max_value=-MAX - 1)
    | st.sampled_from(["\ud800", "x\udbff", "\udfff y"])
)
non_ascii_keys = st.text(min_size=1).filter(lambda k: not k.isascii())


@st.composite
def outside_values(draw: st.DrawFn) -> Any:
    """An in-domain value with exactly one thing outside the domain hidden in it."""
    if draw(st.booleans()):
        bad: Any = draw(bad_leaves)
    else:
        bad = {draw(non_ascii_keys): draw(scalars)}
    for _ in range(draw(st.integers(0, 3))):
        siblings = draw(st.lists(values, max_size=3))
        if draw(st.booleans()):
            siblings.insert(draw(st.integers(0, len(siblings))), bad)
            bad = siblings
        else:
            keys = draw(
                st.lists(
                    ascii_keys, min_size=len(siblings) + 1, max_size=len(siblings) + 1, unique=True
                )
            )
            bad = {**dict(zip(keys[1:], siblings, strict=True)), keys[0]: bad}
    return bad


@settings(max_examples=300)
@given(value=outside_values())
def test_generated_values_outside_the_domain_are_refused(value: Any) -> None:
    with pytest.raises(lottery.CanonicalError):
        lottery.canonical_json(value)
    with pytest.raises(ref.OutsideDomain):
        ref.jcs(value)


def test_twenty_thousand_applicant_records() -> None:
    """rfc8785 and orjson give the same bytes for 20,000 mixed-script records."""
    mismatches = []
    scripts_seen: set[str] = set()
    for record in applicant_records(20_000):
        reference = rfc8785.dumps(record)
        if orjson_dumps(record) != reference or json_dumps(record) != reference:
            mismatches.append(record["id"])
        scripts_seen.update(ch for ch in record["id"] if ord(ch) > 0xFFFF or ord(ch) < 0x20)
    assert mismatches == []
    # The generator really produced astral and control characters.
    assert any(ord(ch) > 0xFFFF for ch in scripts_seen)
    assert any(ord(ch) < 0x20 for ch in scripts_seen)
