"""The two sign-in forms. Both accept Persian, Arabic and Latin digits."""

from django import forms
from django.core.exceptions import ValidationError

from core.identity import normalize_national_code, validate_national_code
from core.text import normalize_digits_only


class NationalCodeForm(forms.Form):
    national_code = forms.CharField(
        label="کد ملی",
        max_length=20,
        error_messages={"required": "کد ملی خود را وارد کنید."},
    )

    def clean_national_code(self) -> str:
        code = normalize_national_code(self.cleaned_data["national_code"])
        validate_national_code(code)
        return code


class LoginCodeForm(forms.Form):
    code = forms.CharField(
        label="کد تایید",
        max_length=20,
        error_messages={"required": "کد تایید پیامک‌شده را وارد کنید."},
    )

    def clean_code(self) -> str:
        code = normalize_digits_only(self.cleaned_data["code"])
        if len(code) != 6 or not code.isdigit():
            raise ValidationError("کد تایید ۶ رقم است؛ آن را همان‌طور که پیامک شده وارد کنید.")
        return code
