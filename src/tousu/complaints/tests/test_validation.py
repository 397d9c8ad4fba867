from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tousu.complaints.validation import IntakeError, validate_intake

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def valid(**fields):
    return validate_intake({"text": "投诉内容", **fields}, now=NOW)


def errors(**fields) -> dict[str, str]:
    with pytest.raises(IntakeError) as caught:
        validate_intake(fields, now=NOW)
    return {e.field: e.reason for e in caught.value.errors}


def test_only_text_is_required():
    data = valid()
    assert data.channel == "web"
    assert data.customer_name == ""  # anonymous
    assert data.received_at is None


@pytest.mark.parametrize("text", [None, "", "   "])
def test_empty_text_is_refused(text):
    assert "text" in errors(text=text)


def test_missing_text_is_named():
    assert "text" in errors(channel="phone")


def test_overlong_text_is_refused():
    assert "text" in errors(text="字" * 20_001)


@pytest.mark.parametrize("raw,stored", [
    ("13812345678", "13812345678"), ("138 1234 5678", "13812345678"), ("+86 138-1234-5678", "13812345678"),
    ("0086 13812345678", "13812345678"), ("010-12345678", "01012345678"), ("0571 8765 1234", "057187651234"),
    ("400-820-8820", "4008208820"), (13812345678, "13812345678"),
])
def test_phone_numbers_are_normalised(raw, stored):
    assert valid(phone=raw).phone == stored


@pytest.mark.parametrize("raw", ["123", "12812345678", "138****5678", "phone", "1381234567"])
def test_bad_phone_numbers_are_refused(raw):
    assert "phone" in errors(text="x", phone=raw)


def test_email_is_checked_and_lowered():
    assert valid(email="Zhang@Example.COM").email == "zhang@example.com"
    assert "email" in errors(text="x", email="not-an-email")


@pytest.mark.parametrize("raw,channel", [("phone", "phone"), ("电话", "phone"), ("微博", "social"),
                                         ("12315", "regulator"), ("WeChat", "wechat"), ("", "web")])
def test_channels_accept_code_names_and_chinese(raw, channel):
    assert valid(channel=raw).channel == channel


def test_unknown_channel_lists_the_allowed_ones():
    reason = errors(text="x", channel="carrier pigeon")["channel"]
    assert "regulator" in reason


@pytest.mark.parametrize("raw,demand", [("refund", "refund"), ("退款", "refund"), ("赔偿", "compensation"), ("", "")])
def test_demands_accept_code_names_and_chinese(raw, demand):
    assert valid(demand=raw).demand == demand


def test_unknown_demand_is_refused():
    assert "demand" in errors(text="x", demand="world peace")


def test_customer_level_accepts_chinese():
    assert valid(customer_level="大客户").customer_level == "key_account"
    assert "customer_level" in errors(text="x", customer_level="gold")


@pytest.mark.parametrize("raw,amount", [
    ("1200", Decimal("1200.00")), ("¥1,200.50", Decimal("1200.50")), ("1200元", Decimal("1200.00")),
    ("1.2万", Decimal("12000.00")), (99.5, Decimal("99.50")), (300, Decimal("300.00")),
])
def test_amounts_are_read_as_people_write_them(raw, amount):
    assert valid(amount=raw).amount == amount


@pytest.mark.parametrize("raw", ["abc", "-5", "1e30", "NaN"])
def test_bad_amounts_are_refused(raw):
    assert "amount" in errors(text="x", amount=raw)


@pytest.mark.parametrize("raw,value", [("1000", 1000), ("1,000", 1000), ("1000件", 1000), (12.0, 12), (7, 7)])
def test_quantities_are_whole_numbers(raw, value):
    assert valid(quantity_delivered=raw).quantity_delivered == value


@pytest.mark.parametrize("raw", ["many", "1.5", 2.5, "-3"])
def test_bad_quantities_are_refused(raw):
    assert "quantity_defective" in errors(text="x", quantity_defective=raw)


def test_more_defective_than_delivered_is_refused_on_the_defective_field():
    assert "quantity_defective" in errors(text="x", quantity_delivered=10, quantity_defective=11)
    assert valid(quantity_delivered=10, quantity_defective=10).quantity_defective == 10


@pytest.mark.parametrize("raw,expected", [
    ("2026-11-20 09:30", datetime(2026, 11, 20, 9, 30)), ("2026/11/20 09:30", datetime(2026, 11, 20, 9, 30)),
    ("2026年11月20日 09:30", datetime(2026, 11, 20, 9, 30)), ("2026-11-19", datetime(2026, 11, 19)),
    ("2026-11-20T01:30:00+00:00", datetime(2026, 11, 20, 9, 30)),
])
def test_received_at_reads_common_spellings_in_shanghai_time(raw, expected):
    got = valid(received_at=raw).received_at
    assert got.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None) == expected


def test_received_at_in_the_future_is_refused_beyond_clock_drift():
    assert valid(received_at=NOW + timedelta(minutes=5)).received_at
    assert "received_at" in errors(text="x", received_at=NOW + timedelta(hours=1))


def test_unparseable_received_at_is_refused():
    assert "received_at" in errors(text="x", received_at="last tuesday")


def test_unknown_fields_are_named():
    assert "colour" in errors(text="x", colour="red")


def test_overlong_fields_are_named():
    assert "product" in errors(text="x", product="P" * 201)


def test_every_bad_field_is_reported_at_once():
    reported = errors(text="", phone="1", email="x", channel="nope")
    assert set(reported) == {"text", "phone", "email", "channel"}
