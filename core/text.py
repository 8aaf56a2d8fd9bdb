"""Forgiving text input and Persian output.

People type national codes and mobiles in Persian, Arabic or Latin digits, and names with Arabic
«ي»/«ك». Everything stored is normalized to Latin digits and Persian letters; everything shown
uses Persian digits.
"""

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
LATIN_DIGITS = "0123456789"

_TO_LATIN = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, LATIN_DIGITS * 2)
_TO_PERSIAN = str.maketrans(LATIN_DIGITS + ARABIC_DIGITS, PERSIAN_DIGITS * 2)
_ARABIC_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "\u200f": "", "\u200e": ""})


def to_latin_digits(value: str) -> str:
    """Persian and Arabic digits become Latin digits; nothing else changes."""
    return value.translate(_TO_LATIN)


def to_persian_digits(value: object) -> str:
    """The text of `value` with every Latin or Arabic digit shown as a Persian digit."""
    return str(value).translate(_TO_PERSIAN)


def normalize_text(value: str) -> str:
    """Arabic letters become their Persian forms, digits Latin, runs of spaces one space."""
    return " ".join(to_latin_digits(value).translate(_ARABIC_LETTERS).split())


def normalize_digits_only(value: str) -> str:
    """A code typed any way («۰۰۱-۰۰۰ ۰۰۱۱») as the bare Latin digits and nothing else kept."""
    return to_latin_digits(value).replace(" ", "").replace("-", "").strip()


def format_number(value: int) -> str:
    """An amount with thousands separators, in Persian digits: ۱٬۲۵۰٬۰۰۰."""
    return to_persian_digits(f"{value:,}".replace(",", "٬"))
