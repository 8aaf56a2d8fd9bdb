"""Cells of the files staff download (CSV, XLSX): what somebody typed is shown as text, never run as a formula.

A spreadsheet runs a cell that starts with = + - or @ as a formula, and some skip a leading tab, carriage
return or NUL before they look: a pensioner registered as «=HYPERLINK(...)» would put a live link, or worse,
into the file a clerk opens (OWASP "CSV injection", ASVS 5.0 1.2.10). Every writer passes its rows through
`safe_row` (CSV) or `xlsx_row` (openpyxl's write-only sheets), which put a single quote, the mark spreadsheets
themselves use for "this is text", before such a cell. Numbers, dates and digit strings (national codes,
pension numbers) are left as they are: an amount of -5 stays the number -5, while the text "-5" gets its quote.

Imports nothing from the apps, so any writer may use it.
"""

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, TYPE_STRING
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_TRIGGERS = frozenset("=+-@\t\r\0")
TEXT_MARK = "'"
# Values a spreadsheet stores as they are; anything else is written as its text.
PLAIN_TYPES = (int, float, Decimal, dt.date, dt.time)

_ERROR_CODES = frozenset(ERROR_CODES)
_ILLEGAL_IN_XLSX: re.Pattern[str] = ILLEGAL_CHARACTERS_RE


def safe_cell(value: object) -> object:
    """`value`, or its text with TEXT_MARK before it when that text would start a formula.

    bool and datetime are covered by PLAIN_TYPES (int and date); None stays an empty cell.
    """
    if isinstance(value, str):
        return TEXT_MARK + value if value[:1] in FORMULA_TRIGGERS else value
    if value is None or isinstance(value, PLAIN_TYPES):
        return value
    return safe_cell(str(value))


def safe_row(values: Iterable[object]) -> list[object]:
    return [safe_cell(value) for value in values]


def xlsx_row(sheet: WriteOnlyWorksheet, values: Iterable[object]) -> list[object]:
    """A row for `sheet.append`, every text cell typed as text.

    openpyxl types a string by its look: «=…» as a formula (safe_cell has already quoted those) and «#N/A»
    and the other error codes as an error; those few go in as cells typed as text. Control characters XML
    cannot carry are dropped first, or openpyxl would refuse the whole file for one name.
    """
    return [_xlsx_cell(sheet, value) for value in values]


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: object) -> object:
    if isinstance(value, str):
        value = _ILLEGAL_IN_XLSX.sub("", value)
    value = safe_cell(value)
    if value not in _ERROR_CODES:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = TYPE_STRING
    return cell
