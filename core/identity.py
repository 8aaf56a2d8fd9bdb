"""National codes and mobile numbers: validation with Persian messages, tolerant of how they are typed."""

from django.core.exceptions import ValidationError

from core.text import normalize_digits_only


def normalize_national_code(value: str) -> str:
    return normalize_digits_only(value or "")


def is_valid_national_code(value: str) -> bool:
    """Ten digits, not all the same, whose last digit is the check digit of the first nine."""
    code = normalize_national_code(value)
    if len(code) != 10 or not code.isdigit() or len(set(code)) == 1:
        return False
    return code[9] == national_code_check_digit(code[:9])


def national_code_check_digit(first_nine: str) -> str:
    """The check digit that completes nine digits into a valid national code."""
    total = sum(int(digit) * (10 - position) for position, digit in enumerate(first_nine))
    remainder = total % 11
    return str(remainder if remainder < 2 else 11 - remainder)


def validate_national_code(value: str) -> None:
    code = normalize_national_code(value)
    if len(code) != 10 or not code.isdigit():
        raise ValidationError("کد ملی باید ۱۰ رقم باشد.", code="national_code_length")
    if not is_valid_national_code(code):
        raise ValidationError("کد ملی معتبر نیست؛ لطفاً رقم‌ها را دوباره بررسی کنید.", code="national_code_invalid")


def normalize_mobile(value: str) -> str:
    """09121234567 from ۰۹۱۲ ۱۲۳ ۴۵۶۷, +989121234567 or 00989121234567."""
    digits = normalize_digits_only(value or "").replace("+", "")
    if digits.startswith("0098"):
        digits = "0" + digits[4:]
    elif digits.startswith("98") and len(digits) == 12:
        digits = "0" + digits[2:]
    elif digits.startswith("9") and len(digits) == 10:
        digits = "0" + digits
    return digits


def validate_mobile(value: str) -> None:
    mobile = normalize_mobile(value)
    if len(mobile) != 11 or not mobile.isdigit() or not mobile.startswith("09"):
        raise ValidationError("شماره همراه باید ۱۱ رقم و به شکل ۰۹xxxxxxxxx باشد.", code="mobile_invalid")
