"""django-import-export widgets for the central pension system's extract: cells as the operators typed them.

Every widget returns the normal form the model stores (Latin digits, Persian letters), so an unchanged row
compares equal to the database and a re-import skips it. A bad cell raises ValueError with a Persian
message; the resource shows it under the column's Persian header.
"""

import datetime as dt
from collections.abc import Callable, Mapping

from django.db import models
from import_export.widgets import Widget

from core import jalali
from core.text import normalize_text, to_persian_digits


def cell_text(value: object) -> str:
    """A cell as text: XLSX hands numbers over as int or float (1012.0), CSV everything as text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class NormalizedTextWidget(Widget):
    """Text normalized by `normalize` (names by default: Persian letters, Latin digits, single spaces)."""

    def __init__(self, normalize: Callable[[str], str] = normalize_text):
        super().__init__()
        self.normalize = normalize

    def clean(self, value, row=None, **kwargs) -> str:
        return self.normalize(cell_text(value))


class NationalCodeWidget(NormalizedTextWidget):
    """A national code; a numeric XLSX cell has lost its leading zeros, which are put back.

    The code is only normalized here, never refused: the model's validator does that with its Persian
    message, and the existing pensioners are looked up by the normalized code before any row is read.
    """

    def clean(self, value, row=None, **kwargs) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{int(value):010d}"
        return super().clean(value, row, **kwargs)


class JalaliDateWidget(Widget):
    """A Jalali date such as 1336/01/23 (any digits) in, a Gregorian date out; shown back as Jalali."""

    def clean(self, value, row=None, **kwargs) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = cell_text(value).strip()
        if not text:
            return None
        return jalali.parse_date(text)

    def render(self, value, obj=None, **kwargs) -> str:
        return jalali.format_date(value, persian=False)


class ChoiceWidget(Widget):
    """One of a few Persian words («مرد»/«زن», «بله»/«خیر») mapped to the stored value."""

    def __init__(self, choices: Mapping[str, object]):
        super().__init__()
        self.choices = dict(choices)

    def clean(self, value, row=None, **kwargs):
        text = normalize_text(cell_text(value))
        if text in self.choices:
            return self.choices[text]
        allowed = " یا ".join(f"«{word}»" for word in self.choices)
        if not text:
            raise ValueError(f"خالی است؛ {allowed} بنویسید.")
        raise ValueError(f"«{text}» پذیرفته نیست؛ {allowed} بنویسید.")

    def render(self, value, obj=None, **kwargs) -> str:
        return next((word for word, choice in self.choices.items() if choice == value), "")


class YesNoWidget(ChoiceWidget):
    def __init__(self):
        super().__init__({"بله": True, "خیر": False})


class CodeLookupWidget(Widget):
    """A branch or county named by its code, resolved to its id from one code→id map per import.

    `load()` reads the whole (small) table once; a file of a million rows then costs no query per row.
    """

    def __init__(self, model: type[models.Model], not_found: str):
        super().__init__()
        self.model = model
        self.not_found = not_found
        self._ids: dict[str, int] | None = None
        self._codes: dict[int, str] = {}

    def load(self) -> None:
        self._ids = dict(self.model._default_manager.values_list("code", "pk"))
        self._codes = {pk: code for code, pk in self._ids.items()}

    @property
    def ids(self) -> dict[str, int]:
        if self._ids is None:
            self.load()
        return self._ids

    def clean(self, value, row=None, **kwargs) -> int:
        code = normalize_text(cell_text(value))
        if not code:
            raise ValueError("کد خالی است.")
        if code not in self.ids:
            raise ValueError(self.not_found.format(code=to_persian_digits(code)))
        return self.ids[code]

    def render(self, value, obj=None, **kwargs) -> str:
        if self._ids is None:
            self.load()
        return self._codes.get(value, "")
