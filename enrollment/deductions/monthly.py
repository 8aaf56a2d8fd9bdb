"""The monthly deduction list of a branch «فهرست ماهانه کسور»: the payroll's input (directive point 12).

For a branch and a Jalali month: every deduction document in force that month, that is, started in
or before it, not ended before it (an ended document still counts up to and including its last
month) and not cancelled. A document belongs to the pensioner's current paying branch: the branch
that pays the pension the premium is deducted from.

Rows are read as plain tuples in chunks (`values_list(...).iterator()`, a server-side cursor on
PostgreSQL) with every name joined into the same query, each month converted to Jalali once, and
written as they come (core.spreadsheet.XlsxBook for the XLSX), so a branch with 200,000 documents keeps
memory flat and takes seconds. A list over REPORTS_MONTHLY_INLINE_MAX documents is never written inside
a request: the page queues a job (jobs.py) that writes the same file. The CSV is data only (the payroll reads
it); the XLSX carries the totals per kind on a second sheet, and the admin page shows them. Both go
through core.spreadsheet: a name that would start a formula is written as text, while document
numbers and amounts stay numbers.

The list is read on the read replica when there is one (`.using(reading_alias())`, core/db_router.py; not
its flag, which a streamed generator would leak into the response's consumer): seconds behind the primary.
"""

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import IO

from django.db.models import Count, F, Q, QuerySet, Sum

from core import jalali
from core.db_router import reading_alias
from core.spreadsheet import XlsxBook, safe_row
from enrollment.deductions.models import DeductionDocument, DeductionStatus
from policies.models import InsuranceKind, Relation

CHUNK_SIZE = 2_000

HEADERS = [
    "شماره سند",
    "کد ملی مستمری‌بگیر",
    "شماره مستمری",
    "نام و نام خانوادگی مستمری‌بگیر",
    "فرد تحت پوشش",
    "کد ملی فرد تحت پوشش",
    "نسبت",
    "نوع بیمه",
    "مبلغ ماهانه (ریال)",
    "ماه شروع کسر",
    "ماه پایان کسر",
]

_COLUMNS = (
    "pk",
    "pensioner__national_code",
    "pensioner__pension_number",
    "pensioner__first_name",
    "pensioner__last_name",
    "dependent__first_name",
    "dependent__last_name",
    "dependent__national_code",
    "dependent__relation",
    "kind",
    "monthly_amount",
    "first_month",
    "last_month",
)
_KIND_LABELS = dict(InsuranceKind.choices)
_RELATION_LABELS = dict(Relation.choices)


@lru_cache(maxsize=1024)
def month_label(month: dt.date) -> str:
    """1405/10, Latin digits: for file names and the cells of an export. A list's 200,000 rows start and
    end in a few dozen months: each is converted once."""
    return jalali.to_jalali(month).strftime("%Y/%m")


def documents_in_month(*, branch_id: int, month: dt.date) -> QuerySet[DeductionDocument]:
    """The documents a branch deducts in `month` (the first day of a Jalali month)."""
    return DeductionDocument.objects.filter(
        Q(last_month__isnull=True) | Q(last_month__gte=month),
        pensioner__paying_branch_id=branch_id,
        first_month__lte=month,
    ).exclude(status=DeductionStatus.CANCELLED)


@dataclass(frozen=True)
class KindTotal:
    kind: str
    label: str
    documents: int
    amount: int


@dataclass(frozen=True)
class MonthTotals:
    kinds: list[KindTotal]

    @property
    def documents(self) -> int:
        return sum(total.documents for total in self.kinds)

    @property
    def amount(self) -> int:
        return sum(total.amount for total in self.kinds)


def month_totals(*, branch_id: int, month: dt.date) -> MonthTotals:
    """Documents and rials per kind of insurance, in one grouped query; every kind listed, even at zero."""
    found = {
        row["kind"]: row
        for row in documents_in_month(branch_id=branch_id, month=month)
        .using(reading_alias())
        .values("kind")
        .annotate(documents=Count("pk"), amount=Sum("monthly_amount"))
        .order_by()
    }
    return MonthTotals(
        kinds=[
            KindTotal(
                kind=kind,
                label=label,
                documents=found.get(kind, {}).get("documents", 0),
                amount=found.get(kind, {}).get("amount") or 0,
            )
            for kind, label in InsuranceKind.choices
        ]
    )


def month_rows(*, branch_id: int, month: dt.date) -> Iterator[list]:
    """One row per document, in HEADERS' order: the pensioner's own documents first, then each dependent's."""
    rows = (
        documents_in_month(branch_id=branch_id, month=month)
        .using(reading_alias())
        .order_by("pensioner_id", F("dependent_id").asc(nulls_first=True), "kind", "pk")
        .values_list(*_COLUMNS)
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for (
        pk,
        national_code,
        pension_number,
        first_name,
        last_name,
        dependent_first_name,
        dependent_last_name,
        dependent_code,
        relation,
        kind,
        amount,
        first_month,
        last_month,
    ) in rows:
        pensioner_name = f"{first_name} {last_name}"
        yield [
            pk,
            national_code,
            pension_number,
            pensioner_name,
            f"{dependent_first_name} {dependent_last_name}" if dependent_code else pensioner_name,
            dependent_code or national_code,
            _RELATION_LABELS[relation or Relation.SELF],
            _KIND_LABELS.get(kind, kind),
            amount,
            month_label(first_month),
            month_label(last_month) if last_month else "",
        ]


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    """The CSV text line by line, starting with a UTF-8 byte order mark so Excel reads the Persian right."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(safe_row(HEADERS))
    for row in rows:
        yield writer.writerow(safe_row(row))


def xlsx_write(*, rows: Iterable[list], totals: MonthTotals, branch_name: str, month: dt.date) -> IO[bytes]:
    """The list and its totals as an XLSX workbook in a temporary file, rewound for reading.

    Each sheet is streamed into the file as its rows are appended.
    """
    output = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    workbook = XlsxBook(output)
    workbook.sheet("فهرست کسور", header=HEADERS)
    for row in rows:
        workbook.append(row)
    workbook.sheet("جمع به تفکیک نوع")
    lines = [
        ["شعبه", branch_name],
        ["ماه", month_label(month)],
        [],
        ["نوع بیمه", "تعداد سند", "جمع مبلغ (ریال)"],
        *([total.label, total.documents, total.amount] for total in totals.kinds),
        ["جمع کل", totals.documents, totals.amount],
    ]
    for line in lines:
        workbook.append(line)
    workbook.close()
    output.seek(0)
    return output
