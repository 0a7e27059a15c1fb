"""Parsing at the edges: amounts, quantities, units, national code checksums, masks."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopapp.core.codes import (
    credit_code_check_char,
    id_number_check_digit,
    mask_id_number,
    mask_name,
    mask_phone,
    valid_credit_code,
    valid_id_number,
)
from coopapp.core.money import (
    ParseError,
    fen_to_decimal_string,
    format_wan,
    format_yuan,
    parse_decimal,
    parse_yuan,
    plain_yuan,
    yuan_decimal,
)
from coopapp.core.units import to_base, unit_code


@pytest.mark.parametrize(
    "text, fen",
    [
        ("1,234.50", 123450),
        ("1234.5", 123450),
        ("1.2万", 1_200_000),
        ("1.2万元", 1_200_000),
        ("１２３４．５０", 123450),
        ("１，２３４", 123400),
        ("￥12元", 1200),
        ("¥ 12", 1200),
        ("-5", -500),
        ("−5", -500),
        ("(5.00)", -500),
        ("（5.00）", -500),
        ("0.01", 1),
        ("150万", 150_000_000),
    ],
)
def test_parse_yuan_accepts_what_accountants_type(text, fen):
    assert parse_yuan(text) == fen


def test_parse_yuan_wan_header_scales_bare_numbers():
    assert parse_yuan("3.5", scale_wan=True) == 3_500_000


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "1.234", "12元5", "万", "--5", "1e5", "NaN", "Infinity"])
def test_parse_yuan_refuses_garbage(text):
    with pytest.raises(ParseError):
        parse_yuan(text)


@given(st.integers(min_value=-(10**14), max_value=10**14))
def test_decimal_string_round_trips(fen):
    assert parse_yuan(fen_to_decimal_string(fen)) == fen
    assert parse_yuan(format_yuan(fen)) == fen


def test_formats():
    assert fen_to_decimal_string(150_000_000) == "1500000.00"
    assert fen_to_decimal_string(-5) == "-0.05"
    assert format_yuan(123456789) == "1,234,567.89"
    assert format_wan(150_000_000) == "150.00万"
    assert format_wan(99_900) == "999.00"
    assert plain_yuan(10_000_000) == "100000" and plain_yuan(12_345) == "123.45" and plain_yuan(None) == ""
    assert yuan_decimal(-5) == Decimal("-0.05") and str(yuan_decimal(1_500)) == "15.00" and yuan_decimal(None) is None


def test_parse_decimal():
    assert parse_decimal("1,200.5") == Decimal("1200.5")
    assert parse_decimal("８００") == Decimal(800)
    with pytest.raises(ParseError):
        parse_decimal("800斤")


@pytest.mark.parametrize(
    "qty, unit, base_qty, base",
    [
        (800, "斤", 400, "kg"),
        (800, "jin", 400, "kg"),
        (5, "kg", 5, "kg"),
        (1000, "度", 1000, "kWh"),
        (7, "kWh", 7, "kWh"),
        (30, "箱", 30, "hive"),
        (12, "人次", 12, "visit"),
    ],
)
def test_units_convert_to_base(qty, unit, base_qty, base):
    assert to_base(Decimal(qty), unit) == (Decimal(base_qty), base)


def test_unknown_unit_refused():
    with pytest.raises(ParseError):
        unit_code("桶")


def test_id_number_checksum():
    assert valid_id_number("11010519491231002X")  # the GB 11643 standard's example
    assert not valid_id_number("110105194912310021")
    assert not valid_id_number("11010519491231002")
    first17 = "44132319900101123"
    assert valid_id_number(first17 + id_number_check_digit(first17))


def test_credit_code_checksum():
    assert valid_credit_code("91350100M000100Y43")  # a published example code
    assert not valid_credit_code("91350100M000100Y44")
    assert not valid_credit_code("91350100M000100Y4")
    assert not valid_credit_code("91350100M000100I43")  # I is not in the alphabet
    first17 = "93441323MA0000001"
    assert valid_credit_code(first17 + credit_code_check_char(first17))


def test_masks():
    assert mask_id_number("441323199001011234") == "4413**********1234"
    assert mask_name("张小三") == "张*三"
    assert mask_name("李四") == "李*"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_phone("13812345678") == "138****5678"
