"""The files staff download (CSV, XLSX): what somebody typed is shown as text, never run as a formula; and
the XLSX writer every export uses.

A spreadsheet runs a cell that starts with = + - or @ as a formula, and some skip a leading tab, carriage
return or NUL before they look: a pensioner registered as «=HYPERLINK(...)» would put a live link, or worse,
into the file a clerk opens (OWASP "CSV injection", ASVS 5.0 1.2.10). Every writer passes its rows through
`safe_row` (CSV) or `XlsxBook` (XLSX), which put a single quote, the mark spreadsheets themselves use for
"this is text", before such a cell. Numbers, dates and digit strings (national codes, pension numbers) are
left as they are: an amount of -5 stays the number -5, while the text "-5" gets its quote.

`XlsxBook` writes a workbook straight into a ZIP stream, row by row, with every text as an inline string:
nothing but the current row is held in memory, and a million rows take seconds rather than the minutes
openpyxl's write-only mode spends building a cell object and a shared-strings entry per value. It writes
only what the exports need: right-to-left sheets, a bold header row that stays in view, text, numbers,
booleans and dates. openpyxl, Excel and LibreOffice read the files.

Imports nothing from the apps, so any writer may use it.
"""

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import BinaryIO
from xml.sax.saxutils import quoteattr

FORMULA_TRIGGERS = frozenset("=+-@\t\r\0")
TEXT_MARK = "'"
# Values a spreadsheet stores as they are; anything else is written as its text.
PLAIN_TYPES = (int, float, Decimal, dt.date, dt.time)


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
    """safe_cell of every value; a text that starts no formula, the common cell, without a call."""
    return [
        value if value.__class__ is str and value[:1] not in FORMULA_TRIGGERS else safe_cell(value) for value in values
    ]


# -- XLSX ----------------------------------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# What XML text needs escaped, and the control characters XML cannot carry at all: dropped, or a reader
# would refuse the whole file for one name. Tab, line feed and carriage return stay.
_XML_TEXT = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"} | {
    code: None for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))
}
_XML_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# Cell styles (cellXfs in styles.xml): 1 bold (the header row), 2 a date, 3 a date and time.
_BOLD, _DATE, _DATETIME = 1, 2, 3
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
_FLUSH_ROWS = 1000  # rows gathered into one write to the ZIP stream


def _text_cell(text: str, style: str) -> str:
    if _XML_SPECIAL.search(text):  # rare: str.translate on every cell would cost more than the rest of the row
        text = text.translate(_XML_TEXT)
    text = safe_cell(text)
    if not text:
        return f"<c{style}/>"
    space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
    return f'<c t="inlineStr"{style}><is><t{space}>{text}{_TEXT_CLOSE}'


_TEXT_OPEN = '<c t="inlineStr"><is><t>'
_TEXT_CLOSE = "</t></is></c>"
_TEXT_BETWEEN = _TEXT_CLOSE + _TEXT_OPEN
# A text starting with one of these needs more than its plain cell: a quote (safe_cell), or xml:space.
_TEXT_CAREFUL_FIRST = FORMULA_TRIGGERS | frozenset(" \n")


def _plain_text(values: Sequence[object]) -> bool:
    """Every value a text that goes into its cell as it is: the common row, written by one join (a third of
    the time of a cell at a time)."""
    for value in values:
        if value.__class__ is not str or not value or value[0] in _TEXT_CAREFUL_FIRST or value[-1].isspace():
            return False
    return not _XML_SPECIAL.search("".join(values))


def _cell(value: object, style: str = "") -> str:
    """One cell of a row. Text is always typed as text (inlineStr): «#N/A» stays words, never an error value,
    and nothing is ever a formula."""
    if isinstance(value, str):
        return _text_cell(value, style)
    if value is None:
        return f"<c{style}/>"
    if isinstance(value, bool):
        return f'<c t="b"{style}><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        return f"<c{style}><v>{value}</v></c>"
    if isinstance(value, dt.datetime):
        serial = (value.replace(tzinfo=None) - _EXCEL_EPOCH) / dt.timedelta(days=1)
        return f'<c s="{_DATETIME}"><v>{serial}</v></c>'
    if isinstance(value, dt.date):
        return f'<c s="{_DATE}"><v>{(value - _EXCEL_EPOCH.date()).days}</v></c>'
    return _text_cell(str(value), style)


class XlsxBook:
    """A workbook written as it goes: `sheet()` starts a sheet (and ends the one before), `append()` adds a
    row to it, `close()` writes the workbook's parts. `out` stays open."""

    def __init__(self, out: BinaryIO, *, compresslevel: int = 1):
        # Level 1: the XML compresses nearly as well as at the default level, several times faster.
        self._zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self._titles: list[str] = []
        self._stream = None
        self._pending: list[str] = []

    def sheet(self, title: str, *, header: Sequence[object] | None = None) -> None:
        """A new right-to-left sheet; `header` is its first row, in bold, kept in view while the rest scrolls."""
        self._sheet_end()
        self._titles.append(title)
        self._stream = self._zip.open(f"xl/worksheets/sheet{len(self._titles)}.xml", "w", force_zip64=True)
        pane = (
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
            if header is not None
            else ""
        )
        view = f'<sheetView rightToLeft="1" workbookViewId="0">{pane}</sheetView>'
        self._stream.write(f'{_XML}<worksheet xmlns="{_MAIN}"><sheetViews>{view}</sheetViews><sheetData>'.encode())
        if header is not None:
            bold = f' s="{_BOLD}"'
            self._pending.append(f"<row>{''.join(_cell(value, bold) for value in header)}</row>")

    def append(self, values: Sequence[object]) -> None:
        if _plain_text(values):
            self._pending.append(f"<row>{_TEXT_OPEN}{_TEXT_BETWEEN.join(values)}{_TEXT_CLOSE}</row>")
        else:
            self._pending.append(f"<row>{''.join(map(_cell, values))}</row>")
        if len(self._pending) >= _FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        self._stream.write("".join(self._pending).encode())
        self._pending.clear()

    def _sheet_end(self) -> None:
        if self._stream is None:
            return
        self._flush()
        self._stream.write(b"</sheetData></worksheet>")
        self._stream.close()
        self._stream = None

    def close(self) -> None:
        self._sheet_end()
        count = len(self._titles)
        sheets = "".join(
            f'<sheet name={quoteattr(title)} sheetId="{n}" r:id="rId{n}"/>' for n, title in enumerate(self._titles, 1)
        )
        self._zip.writestr(
            "xl/workbook.xml",
            f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><bookViews><workbookView/></bookViews>'
            f"<sheets>{sheets}</sheets></workbook>",
        )
        links = "".join(
            f'<Relationship Id="rId{n}" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, count + 1)
        )
        self._zip.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{_XML}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">{links}'
            f'<Relationship Id="rId{count + 1}" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/></Relationships>',
        )
        self._zip.writestr("xl/styles.xml", _STYLES)
        self._zip.writestr(
            "_rels/.rels",
            f'{_XML}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
            f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{_CONTENT}.worksheet+xml"/>'
            for n in range(1, count + 1)
        )
        self._zip.writestr(
            "[Content_Types].xml",
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CONTENT}.sheet.main+xml"/>'
            f'{overrides}<Override PartName="/xl/styles.xml" ContentType="{_CONTENT}.styles+xml"/></Types>',
        )
        self._zip.close()
