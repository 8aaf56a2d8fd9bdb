"""Form fields that accept what people type: Jalali dates and any digit script."""

import datetime as dt

from django import forms

from core import jalali


class JalaliDateInput(forms.TextInput):
    """A text box that shows a stored Gregorian date as ۱۴۰۵/۰۱/۱۵."""

    input_type = "text"

    def __init__(self, attrs=None):
        base = {"placeholder": "۱۴۰۵/۰۱/۱۵", "dir": "ltr", "inputmode": "numeric", "class": "jalali-date"}
        super().__init__({**base, **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, dt.date):
            return jalali.format_date(value)
        return value


class JalaliDateTimeInput(JalaliDateInput):
    def __init__(self, attrs=None):
        super().__init__({"placeholder": "۱۴۰۵/۰۱/۱۵ ۰۸:۰۰", "class": "jalali-datetime", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, dt.datetime):
            return jalali.format_datetime(value)
        return value


class JalaliDateField(forms.DateField):
    widget = JalaliDateInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return jalali.parse_date(str(value))
        except jalali.JalaliParseError as error:
            raise forms.ValidationError(str(error), code="invalid") from None


class JalaliDateTimeField(forms.DateTimeField):
    widget = JalaliDateTimeInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value
        try:
            return jalali.parse_datetime(str(value))
        except jalali.JalaliParseError as error:
            raise forms.ValidationError(str(error), code="invalid") from None

    def prepare_value(self, value):
        return value
