"""Model fields that store one normal form whatever script the operator typed in."""

from django.db import models

from core.identity import normalize_mobile, normalize_national_code, validate_mobile, validate_national_code
from core.text import normalize_text


class PersianTextField(models.CharField):
    """A name or address: Arabic «ي»/«ك» become Persian, digits Latin, spaces folded."""

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_text(value) if isinstance(value, str) else value


class NationalCodeField(models.CharField):
    default_validators = [validate_national_code]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("verbose_name", "کد ملی")
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_national_code(value) if isinstance(value, str) else value


class MobileField(models.CharField):
    default_validators = [validate_mobile]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 11)
        kwargs.setdefault("verbose_name", "تلفن همراه")
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_mobile(value) if isinstance(value, str) else value
