"""core.spreadsheet.XlsxBook: a workbook streamed row by row that openpyxl reads back as it was written, and
whose memory does not grow with its rows."""

import datetime as dt
import io
import tempfile
import tracemalloc
from decimal import Decimal

from openpyxl import load_workbook

from core.spreadsheet import XlsxBook

ROW = ["0010000011", "علی رضایی", "در حال بررسی کانون بازنشستگان و مستمری‌بگیران", "1405/09/04 14:30", "دارد"]


def test_the_workbook_reads_back_with_its_sheets_header_and_types():
    out = io.BytesIO()
    book = XlsxBook(out)
    book.sheet("فهرست <۱>", header=["کد ملی", "نام"])
    book.append(["0010000011", "=HYPERLINK(1)", 12, -5, Decimal("2.5"), True, None, "", " دو ", "#N/A", "a & b <c>"])
    book.append(["\x0b=1+1", dt.date(2026, 12, 22)])
    book.sheet("جمع")
    book.append(["جمع کل", 5])
    book.close()

    listing, totals = load_workbook(io.BytesIO(out.getvalue())).worksheets
    assert (listing.title, totals.title) == ("فهرست <۱>", "جمع")
    assert listing.sheet_view.rightToLeft and totals.sheet_view.rightToLeft
    assert listing.freeze_panes == "A2" and totals.freeze_panes is None
    header, first, second = (list(row) for row in listing.iter_rows(max_col=11))
    assert [cell.value for cell in header[:2]] == ["کد ملی", "نام"] and all(cell.font.b for cell in header[:2])
    assert not first[0].font.b
    assert [cell.value for cell in first] == [
        "0010000011",
        "'=HYPERLINK(1)",  # a formula is quoted text
        12,
        -5,
        2.5,
        True,
        None,
        None,
        " دو ",
        "#N/A",  # an error code's words stay words
        "a & b <c>",
    ]
    assert [cell.data_type for cell in first[:6]] == ["s", "s", "n", "n", "n", "b"]
    assert first[9].data_type == "s"
    assert second[0].value == "'=1+1"  # the control character XML cannot carry dropped, the formula quoted
    assert second[1].value == dt.datetime(2026, 12, 22) and second[1].is_date
    assert [[cell.value for cell in row] for row in totals.iter_rows()] == [["جمع کل", 5]]


def _peak_while_writing(rows: int) -> int:
    with tempfile.TemporaryFile() as out:
        tracemalloc.start()
        book = XlsxBook(out)
        book.sheet("فهرست", header=["a", "b", "c", "d", "e"])
        for n in range(rows):
            book.append([*ROW[:4], f"{n:010d}"])
        book.close()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_memory_stays_flat_however_many_rows():
    few, many = _peak_while_writing(5_000), _peak_while_writing(50_000)
    assert many < few * 1.5, (few, many)
    assert many < 8 * 2**20
