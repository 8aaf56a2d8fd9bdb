import pytest
from django.core.exceptions import ValidationError

from core.identity import (
    is_valid_national_code,
    national_code_check_digit,
    normalize_mobile,
    validate_mobile,
    validate_national_code,
)


@pytest.mark.parametrize("code", ["0010000011", "0010000021", "0010000038", "0499370899", "0084575948"])
def test_valid_national_codes_pass(code):
    assert is_valid_national_code(code)
    validate_national_code(code)


def test_wrong_check_digit_is_refused_with_persian_message():
    assert not is_valid_national_code("0010000012")
    with pytest.raises(ValidationError) as error:
        validate_national_code("0010000012")
    assert error.value.messages == ["کد ملی معتبر نیست؛ لطفاً رقم‌ها را دوباره بررسی کنید."]


@pytest.mark.parametrize("code", ["0000000000", "1111111111", "2222222222", "9999999999"])
def test_repeated_digits_are_refused_even_though_their_check_digit_matches(code):
    assert not is_valid_national_code(code)


@pytest.mark.parametrize("code", ["", "001000001", "00100000111", "00100000a1"])
def test_wrong_length_or_letters_are_refused_as_length(code):
    with pytest.raises(ValidationError) as error:
        validate_national_code(code)
    assert error.value.code == "national_code_length"


def test_persian_and_arabic_digits_are_accepted():
    assert is_valid_national_code("۰۰۱۰۰۰۰۰۱۱")
    assert is_valid_national_code("٠٠١٠٠٠٠٠١١")
    assert is_valid_national_code("۰۰۱-۰۰۰۰۰ ۱۱")


def test_check_digit_completes_nine_digits():
    assert national_code_check_digit("001000001") == "1"
    assert national_code_check_digit("001000003") == "8"


@pytest.mark.parametrize(
    "typed", ["09120000001", "۰۹۱۲۰۰۰۰۰۰۱", "+989120000001", "00989120000001", "9120000001", "۰۹۱۲ ۰۰۰ ۰۰۰۱"]
)
def test_mobile_forms_normalize_to_09(typed):
    assert normalize_mobile(typed) == "09120000001"
    validate_mobile(typed)


@pytest.mark.parametrize("typed", ["0912000000", "08120000001", "0912abc0001"])
def test_bad_mobiles_are_refused(typed):
    with pytest.raises(ValidationError):
        validate_mobile(typed)
