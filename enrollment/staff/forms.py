from django import forms

from core.text import normalize_digits_only


class CodeForm(forms.Form):
    """One code from the authenticator app or a recovery code, in Persian, Arabic or Latin digits."""

    code = forms.CharField(
        label="کد",
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "dir": "ltr",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        code = normalize_digits_only(self.cleaned_data["code"])
        if not code.isdigit():
            raise forms.ValidationError("کد فقط از رقم تشکیل می‌شود.")
        return code
