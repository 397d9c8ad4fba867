"""Personal data inside free text is found and masked (R-SEC-1); look-alikes are left alone."""

import pytest

from tousu.core.masking import (
    find_personal_data,
    id_number_is_valid,
    looks_like_personal_search,
    luhn_is_valid,
    mask_text,
    mask_value,
)

ID = "11010519491231002X"  # the standard's example number, with a valid check character
CARD = "6222021234567890128"  # 19 digits, Luhn-valid


def test_a_mobile_number_in_a_sentence_is_masked_like_138_stars_5678():
    assert mask_text("请拨打13812345678联系我") == "请拨打138****5678联系我"


@pytest.mark.parametrize("written", ["138-1234-5678", "138 1234 5678", "+86 13812345678", "+8613812345678"])
def test_a_mobile_number_written_with_separators_or_country_code_is_masked(written):
    assert mask_text(f"电话{written}。") == "电话138****5678。"


def test_a_landline_keeps_its_area_code():
    assert mask_text("座机010-12345678") == "座机010-****5678"
    assert mask_text("座机0571-8765432") == "座机0571-***5432"


def test_an_id_number_is_masked_only_when_its_check_character_is_right():
    assert id_number_is_valid(ID) and not id_number_is_valid(ID[:-1] + "1")
    assert mask_text(f"身份证{ID}") == "身份证110***********002X"
    wrong = ID[:-1] + "1"
    assert all(f.kind != "id_number" for f in find_personal_data(f"身份证{wrong}"))


def test_a_bank_card_is_masked_only_when_its_luhn_digit_is_right():
    assert luhn_is_valid(CARD) and not luhn_is_valid(CARD[:-1] + "9")
    assert mask_text(f"卡号{CARD}") == "卡号6222***********0128"
    assert mask_text("卡号6222 0212 3456 7890 128") == "卡号6222***********0128"
    assert mask_text(f"订单{CARD[:-1]}9") == f"订单{CARD[:-1]}9"


def test_an_email_is_masked_keeping_its_first_letter_and_domain():
    assert mask_text("发到zhang.san@example.com.cn谢谢") == "发到z***@example.com.cn谢谢"
    assert mask_text("13812345678@qq.com") == "1***@qq.com"


def test_digits_inside_a_longer_run_or_a_code_are_not_cut_out():
    for text in ["订单号2026013812345678999", "型号AB13812345678", "12315热线", "金额5000元", "400-820-8820"]:
        assert mask_text(text) == text, text


def test_masking_twice_changes_nothing_more():
    text = f"电话13812345678，邮箱li@example.com，身份证{ID}，卡{CARD}，座机021-55556666"
    once = mask_text(text)
    assert mask_text(once) == once
    assert find_personal_data(once) == []


def test_history_values_under_personal_fields_are_masked_whole():
    data = {"fields": {"phone": ["13912345678", "13987654321"], "email": ["a@b.cn", ""], "lot": ["L1", "L2"]},
            "note": "新电话13700001111", "count": 3}
    assert mask_value(data) == {"fields": {"phone": ["139****5678", "139****4321"], "email": ["a***@b.cn", ""],
                                           "lot": ["L1", "L2"]}, "note": "新电话137****1111", "count": 3}


def test_a_short_phone_value_in_a_personal_field_becomes_stars():
    assert mask_value({"phone": "12345"}) == {"phone": "*****"}


@pytest.mark.parametrize(("query", "personal"), [
    ("13812345678", True), ("138 1234 5678", True), ("1234567", True), ("li@example.com", True),
    ("@example", True), (ID, True), ("热水壶", False), ("TS2611-7K4Q9", False), ("12315", False),
])
def test_a_search_naming_personal_data_is_recognised(query, personal):
    assert looks_like_personal_search(query) is personal
