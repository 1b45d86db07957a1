"""The target parser and the judgement of results (workflow/targets.py): examples from the seeds and properties."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.targets import (EXCEEDED, MET, NOT_MET, TargetParseError, format_number, judge, parse_number,
                              parse_target, parse_values, progress)


@pytest.mark.parametrize("text, comparator, values", [
    ("100", "=", (100,)),
    ("≥80", ">=", (80,)),
    ("≥ 10", ">=", (10,)),
    ("> 46,78", ">", (46.78,)),
    ("05", "=", (5,)),
    ("13,18 - 14,29", "range", (13.18, 14.29)),
    ("1-1,5 / 2-3", "multi", (1, 2)),
    ("35,44/26,45/ 33,65/4,46", "multi", (35.44, 26.45, 33.65, 4.46)),
    ("34.435", "=", (34435,)),
    ("25.080", "=", (25080,)),
    ("134,2", "=", (134.2,)),
    ("7,7; 23,4", "multi", (7.7, 23.4)),
    ("≥ 5,01", ">=", (5.01,)),
    ("dưới 2%", "<", (2,)),
    ("-", None, ()),
    ("", None, ()),
])
def test_targets_of_the_seeds(text, comparator, values):
    target = parse_target(text, "%")
    assert target.comparator == comparator
    assert target.values == pytest.approx(values)


def test_the_unit_is_the_indicators_unless_written():
    assert parse_target("≥80", "%").unit == "%"
    assert parse_target("05", "Sản phẩm").unit == "Sản phẩm"
    assert parse_target("5 sản phẩm").unit == "sản phẩm"


def test_multi_target_parts():
    target = parse_target("1-1,5 / 2-3")
    assert [p.comparator for p in target.parts] == ["range", "range"]
    assert target.parts[1].values == (2, 3)


@pytest.mark.parametrize("text", ["abc", "≥", "> x", "1,2,3", "10 - 5", "12 34 56 7", "Giải ngân 100%"])
def test_what_is_not_a_target_is_refused_in_vietnamese(text):
    with pytest.raises(TargetParseError) as info:
        parse_target(text)
    assert info.value.args[0]


@pytest.mark.parametrize("target, value, met, words", [
    ("100", 100, True, MET),
    ("100", 99.9, False, NOT_MET),
    ("≥80", 80, True, MET),
    ("≥80", 92.5, True, EXCEEDED),
    ("≥80", 79, False, NOT_MET),
    ("> 46,78", 46.78, False, NOT_MET),
    ("> 46,78", 47, True, EXCEEDED),
    ("05", 5, True, MET),
    ("05", 6, True, EXCEEDED),
    ("05", 4, False, NOT_MET),
    ("13,18 - 14,29", 13.5, True, MET),
    ("13,18 - 14,29", 15, True, EXCEEDED),
    ("13,18 - 14,29", 9.2, False, NOT_MET),
    ("dưới 2", 1.5, True, EXCEEDED),
    ("dưới 2", 2, False, NOT_MET),
    ("≤ 2", 2, True, MET),
    ("-", 5, None, None),
    ("35,44/26,45/ 33,65/4,46", 35, None, None),
])
def test_judgement(target, value, met, words):
    verdict = judge(parse_target(target), value)
    assert (verdict.met, verdict.attainment) == (met, words)


def test_multi_targets_judge_one_value_per_part():
    target = parse_target("1-1,5 / 2-3")
    assert judge(target, [1.2, 2.5]).attainment == MET
    assert judge(target, [1.2, 3.5]).attainment == EXCEEDED
    assert judge(target, [0.5, 2.5]).met is False
    assert judge(target, [1.2]).met is None


def test_values_written_as_text_are_judged_too():
    assert judge(parse_target("≥80"), "85,5").attainment == EXCEEDED
    assert judge(parse_target("≥80"), "chưa có dữ liệu").met is None


def test_progress_against_the_annual_plan():
    assert progress("36.000", parse_target("70.000")) == pytest.approx(51.43)  # việc làm: 51,4%
    assert progress("65,55", parse_target("70")) == pytest.approx(93.64)        # trường chuẩn: 93,6%
    assert progress("51,2", parse_target("134,2")) == pytest.approx(38.15)      # vốn đầu tư: 38,2%
    assert progress("18.600", parse_target("34.435")) == pytest.approx(54.01)
    assert progress("x", parse_target("70")) is None
    assert progress(5, parse_target("35,44/26,45")) is None


@pytest.mark.parametrize("text, value", [("85,5", 85.5), ("34.435", 34435), ("4.250,105", 4250.105),
                                         ("05", 5), ("7.5", 7.5), ("-2,66", -2.66), ("80%", 80),
                                         ("1.234.567", 1234567), ("34 435", 34435)])
def test_vietnamese_numbers(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", "1.2.3,4,5", "nan", "inf", "1e5", True, None, [1]])
def test_non_numbers(text):
    with pytest.raises(TargetParseError):
        parse_number(text)


def test_several_values():
    assert parse_values("288/181/188") == (288, 181, 188)
    assert parse_values("7,55; 23") == (7.55, 23)


# --- properties ------------------------------------------------------------------------

numbers = st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False).map(float)


@settings(max_examples=300, deadline=None)
@given(numbers)
def test_vietnamese_formatting_round_trips(x):
    assert parse_number(format_number(x)) == pytest.approx(x, rel=1e-12, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(numbers, st.sampled_from(["≥", "≥ ", ">=", "> ", ">", "", "≤ ", "< "]))
def test_a_comparator_and_a_number_parse_back(x, prefix):
    target = parse_target(prefix + format_number(x))
    expected = {"≥": ">=", "≥ ": ">=", ">=": ">=", "> ": ">", ">": ">", "": "=", "≤ ": "<=", "< ": "<"}[prefix]
    assert target.comparator == expected
    assert target.values[0] == pytest.approx(x, rel=1e-12, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(numbers, numbers)
def test_ranges_parse_with_their_bounds_in_order(a, b):
    low, high = min(a, b), max(a, b)
    target = parse_target(f"{format_number(low)} - {format_number(high)}")
    assert target.comparator == "range"
    assert target.values == pytest.approx((low, high), rel=1e-12, abs=1e-9)
    assert judge(target, (low + high) / 2).met is True


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["100", "≥80", "≥ 10", "> 46,78", "05", "13,18 - 14,29", "dưới 2", "≤ 5"]),
       numbers, numbers)
def test_judging_is_monotonic_in_the_good_direction(text, a, b):
    target = parse_target(text)
    worse, better = (min(a, b), max(a, b)) if target.higher_is_better else (max(a, b), min(a, b))
    if judge(target, worse).met:
        assert judge(target, better).met


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["100", "≥80", "> 46,78", "05", "13,18 - 14,29", "1-1,5 / 2-3", "-", "< 3"]),
       st.one_of(numbers, st.lists(numbers, min_size=1, max_size=3)))
def test_met_and_the_words_agree(text, value):
    verdict = judge(parse_target(text), value)
    assert {True: (MET, EXCEEDED), False: (NOT_MET,), None: (None,)}[verdict.met].count(verdict.attainment) == 1


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_parses_or_is_refused_cleanly(text):
    try:
        target = parse_target(text)
    except TargetParseError as exc:
        assert exc.args[0]
        return
    assert target.comparator in (None, "=", ">=", ">", "<=", "<", "range", "multi")
    assert all(math.isfinite(v) for v in target.values)
