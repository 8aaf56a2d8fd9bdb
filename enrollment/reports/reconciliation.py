"""Reconciliation of a contract period (directive point 12): do the payroll's records say what the
accepted requests decided? An empty result means healthy.

Five checks, each a few set-based queries (Exists subqueries joined on indexed foreign keys, never a
loop over rows), so they run on national data:

- flag_not_flipped: an accepted request enrolled or withdrew a person, yet the person's
  supplementary flag on the payment method says otherwise.
- deduction_missing: an accepted request enrolled a person, the period's rates cover that person for
  a kind of insurance (relation, and age on the day of acceptance), and no document of that kind is
  in force for the person in the period: none active, none ended at the contract's last month.
- deduction_duplicated: two documents (not cancelled) of the same person and kind cover the same
  month, so the premium is deducted twice. Reported once, on the later document of the pair (on the
  period's own one when the other belongs to another period).
- deduction_not_ended: an accepted request withdrew a person and a document of theirs is still active.
- deduction_orphan: an active document of the period with no accepted request behind it, i.e. its
  source request is not accepted or did not enroll this person. A document carried over from the
  previous period (DESIGN.md: the insured stay insured without a new request) is legitimate when it
  has no source request, starts in the contract's first month and the person is insured on the
  payment method. A withdrawn person's documents are left to deduction_not_ended, so one fault is
  reported once.

"A later accepted request changed it": the checks on a person's request item look only at the
person's latest accepted request that enrolled or withdrew them, anywhere: a request filed later
(a greater id; a pensioner has at most one open request at a time) overrides an earlier one.

The age on the day of acceptance is the age on the local date of the request's `updated_at`: an
accepted request is final and is not saved again.

Scope: national managers and auditors reconcile the whole country; a province manager the persons of the
pensioners they see (enrollment.selectors.pensioners_in_scope, on each check's way to the pensioner), so
neither their counts nor their findings carry a national figure.

Main pensioners and dependents are checked by separate queries (`main=True/False`), so every
subquery matches its person with one indexed equality and the database can hash-join it.
"""

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, ExtractDay, ExtractMonth, ExtractYear, TruncDate

from core import jalali
from core.db_router import reading_replica
from core.text import to_persian_digits
from enrollment import selectors
from enrollment.deductions.models import DeductionDocument, DeductionStatus
from enrollment.models import EnrollmentRequest, Operation, RequestItem, RequestStatus
from policies.models import ContractPeriod, InsuranceKind, PremiumRate

FINDINGS_PER_CHECK = 500  # the page lists at most this many of each check; counts are exact
FAR_FUTURE = dt.date(9999, 1, 1)  # the end of an open-ended document, for overlap comparisons


class FindingKind(models.TextChoices):
    FLAG_NOT_FLIPPED = "flag_not_flipped", "وضعیت بیمه تکمیلی در نحوه پرداخت اعمال نشده"
    DEDUCTION_MISSING = "deduction_missing", "سند کسر ایجاد نشده"
    DEDUCTION_DUPLICATED = "deduction_duplicated", "سند کسر تکراری"
    DEDUCTION_NOT_ENDED = "deduction_not_ended", "سند کسر پس از انصراف خاتمه نیافته"
    DEDUCTION_ORPHAN = "deduction_orphan", "سند کسر بدون درخواست پذیرفته‌شده"


@dataclass(frozen=True)
class Finding:
    kind: str
    request_id: int | None
    tracking_code: str
    document_id: int | None
    person: str
    national_code: str
    explanation: str

    @property
    def kind_label(self) -> str:
        return FindingKind(self.kind).label


ITEM_PENSIONER = "request__pensioner"
DOCUMENT_PENSIONER = "pensioner"


@dataclass(frozen=True)
class _Check:
    kind: str
    rows: QuerySet  # .values() of the columns `explain` reads
    explain: Callable[[dict], Finding]
    pensioner: str  # the path from a row to its pensioner, where the scope applies


def reconciliation_counts(period: ContractPeriod, *, user: AbstractBaseUser | None = None) -> dict[str, int]:
    """How many findings of each kind (in `user`'s scope; None: nationally): one COUNT per check, every kind
    listed."""
    counts = dict.fromkeys(FindingKind.values, 0)
    for check in _scoped_checks(period, user):
        with reading_replica():
            counts[check.kind] += check.rows.count()
    return counts


def reconcile(
    period: ContractPeriod, *, user: AbstractBaseUser | None = None, limit: int | None = FINDINGS_PER_CHECK
) -> list[Finding]:
    """The findings (in `user`'s scope; None: nationally), at most `limit` from each check (None: all)."""
    findings = []
    for check in _scoped_checks(period, user):
        rows = check.rows if limit is None else check.rows[:limit]
        with reading_replica():
            findings.extend(check.explain(row) for row in rows)
    return findings


def _scoped_checks(period: ContractPeriod, user: AbstractBaseUser | None) -> Iterator[_Check]:
    """The checks, each narrowed to the pensioners `user` sees. The scope is read (on the primary, cached)
    before any check runs on the replica."""
    within = {
        path: Q() if user is None else selectors.pensioners_in_scope(user, path)
        for path in (ITEM_PENSIONER, DOCUMENT_PENSIONER)
    }
    for check in _checks(period):
        yield _Check(check.kind, check.rows.filter(within[check.pensioner]), check.explain, check.pensioner)


def _checks(period: ContractPeriod) -> Iterator[_Check]:
    for main in (True, False):
        yield _flags_not_flipped(period, main)
        for kind in InsuranceKind.values:  # a kind without rates in the period expects no documents
            yield _deductions_missing(period, main, kind)
        yield _deductions_duplicated(period, main)
        yield _deductions_not_ended(period, main)
        yield _deductions_orphan(period, main)


# --- Who is who: a person is a main pensioner (dependent empty) or a dependent ---------------------


def _item_of_person(main: bool, *, pensioner: str, dependent: str) -> dict:
    """Filters on RequestItem matching the outer row's person, named by the outer row's fields."""
    if main:
        return {"dependent__isnull": True, "request__pensioner_id": OuterRef(pensioner)}
    return {"dependent_id": OuterRef(dependent)}


def _document_of_person(main: bool, *, pensioner: str, dependent: str) -> dict:
    """Filters on DeductionDocument matching the outer row's person."""
    if main:
        return {"dependent__isnull": True, "pensioner_id": OuterRef(pensioner)}
    return {"dependent_id": OuterRef(dependent)}


ITEM_REFS = {"pensioner": "request__pensioner_id", "dependent": "dependent_id"}
DOCUMENT_REFS = {"pensioner": "pensioner_id", "dependent": "dependent_id"}


def _person_columns(main: bool, prefix: str) -> dict:
    """The person's name and national code under common names, from `prefix` (the pensioner's path)."""
    path = prefix if main else "dependent"
    return {
        "person_first": F(f"{path}__first_name"),
        "person_last": F(f"{path}__last_name"),
        "person_code": F(f"{path}__national_code"),
    }


def _latest_items(period: ContractPeriod, main: bool, *operations: str) -> QuerySet[RequestItem]:
    """Accepted items of the period with one of `operations`, that no later accepted request overrode for
    the person."""
    return RequestItem.objects.filter(
        request__period=period,
        request__status=RequestStatus.ACCEPTED,
        operation__in=operations,
        dependent__isnull=main,
    ).exclude(_later_accepted(main))


def _later_accepted(main: bool) -> Exists:
    """For an outer RequestItem: a later accepted request enrolled or withdrew the same person.

    A dependent's items are found by the dependent's index and each one's request by its primary key;
    joined instead, SQLite (without statistics) walked every accepted request for each row.
    """
    if main:
        later = RequestItem.objects.filter(
            dependent__isnull=True,
            request__pensioner_id=OuterRef("request__pensioner_id"),
            request__status=RequestStatus.ACCEPTED,
        )
    else:
        accepted = EnrollmentRequest.objects.filter(pk=OuterRef("request_id"), status=RequestStatus.ACCEPTED)
        later = RequestItem.objects.filter(dependent_id=OuterRef("dependent_id")).filter(Exists(accepted))
    return Exists(later.filter(request_id__gt=OuterRef("request_id")).exclude(operation=Operation.NONE))


def _withdrawn(period: ContractPeriod, main: bool) -> Exists:
    """For an outer DeductionDocument: the person's latest accepted request of the period withdrew them."""
    return Exists(_latest_items(period, main, Operation.WITHDRAW).filter(**_item_of_person(main, **DOCUMENT_REFS)))


def _last_month(period: ContractPeriod) -> dt.date:
    return jalali.month_start(period.coverage_end)


def _first_month(period: ContractPeriod) -> dt.date:
    return jalali.month_start(period.coverage_start)


# --- The checks -------------------------------------------------------------------------------------

_ITEM_COLUMNS = ("request_id", "request__tracking_code", "person_first", "person_last", "person_code")
_DOCUMENT_COLUMNS = ("pk", "kind", "person_first", "person_last", "person_code")
_KIND_LABELS = dict(InsuranceKind.choices)


def _flags_not_flipped(period: ContractPeriod, main: bool) -> _Check:
    flag = "request__pensioner__has_supplementary" if main else "dependent__has_supplementary"
    disagree = Q(**{flag: True}, status_after=False) | Q(**{flag: False}, status_after=True)
    queryset = (
        _latest_items(period, main, Operation.ENROLL, Operation.WITHDRAW)
        .filter(disagree)
        .annotate(**_person_columns(main, "request__pensioner"))
        .values(*_ITEM_COLUMNS, "status_after")
        .order_by("request_id")
    )

    def explain(row: dict) -> Finding:
        done = "ثبت‌نام" if row["status_after"] else "انصراف"
        shown = "ندارد" if row["status_after"] else "دارد"
        return _item_finding(
            FindingKind.FLAG_NOT_FLIPPED,
            row,
            f"{done} {{person}} با درخواست {{code}} پذیرفته شده است، اما بیمه تکمیلی او در نحوه پرداخت "
            f"هنوز «{shown}» است.",
        )

    return _Check(FindingKind.FLAG_NOT_FLIPPED, queryset, explain, ITEM_PENSIONER)


def _deductions_missing(period: ContractPeriod, main: bool, kind: str) -> _Check:
    birth = "request__pensioner__birth_date" if main else "dependent__birth_date"
    rate_covers = PremiumRate.objects.filter(
        Q(max_age__isnull=True) | Q(max_age__gte=OuterRef("age")),
        period=period,
        kind=kind,
        relation=OuterRef("relation"),
        min_age__lte=OuterRef("age"),
    )
    # Two subqueries rather than one with an OR: the first is the partial unique index of active documents.
    documents = DeductionDocument.objects.filter(**_document_of_person(main, **ITEM_REFS), period=period, kind=kind)
    active = documents.filter(status=DeductionStatus.ACTIVE)
    ran_to_the_end = documents.filter(status=DeductionStatus.ENDED, last_month__gte=_last_month(period))
    queryset = (
        _with_age_on_acceptance(_latest_items(period, main, Operation.ENROLL), birth)
        .filter(Exists(rate_covers))
        .exclude(Exists(active))
        .exclude(Exists(ran_to_the_end))
        .annotate(**_person_columns(main, "request__pensioner"))
        .values(*_ITEM_COLUMNS)
        .order_by("request_id")
    )
    label = _KIND_LABELS.get(kind, kind)

    def explain(row: dict) -> Finding:
        return _item_finding(
            FindingKind.DEDUCTION_MISSING,
            row,
            f"ثبت‌نام {{person}} با درخواست {{code}} پذیرفته شده است، اما سند کسر «{label}» او در این دوره وجود ندارد.",
        )

    return _Check(FindingKind.DEDUCTION_MISSING, queryset, explain, ITEM_PENSIONER)


def _with_age_on_acceptance(items: QuerySet[RequestItem], birth: str) -> QuerySet[RequestItem]:
    """`age`: whole years from the person's birth date to the (local) day the request was accepted."""
    items = items.annotate(accepted_on=TruncDate("request__updated_at"))
    items = items.annotate(
        on_y=ExtractYear("accepted_on"),
        on_m=ExtractMonth("accepted_on"),
        on_d=ExtractDay("accepted_on"),
        born_y=ExtractYear(birth),
        born_m=ExtractMonth(birth),
        born_d=ExtractDay(birth),
    )
    before_birthday = Q(on_m__lt=F("born_m")) | Q(on_m=F("born_m"), on_d__lt=F("born_d"))
    return items.annotate(
        age=F("on_y")
        - F("born_y")
        - Case(When(before_birthday, then=Value(1)), default=Value(0), output_field=models.IntegerField())
    )


def _deductions_duplicated(period: ContractPeriod, main: bool) -> _Check:
    overlapping = (
        DeductionDocument.objects.exclude(status=DeductionStatus.CANCELLED)
        .filter(**_document_of_person(main, **DOCUMENT_REFS), kind=OuterRef("kind"))
        .exclude(pk=OuterRef("pk"))
        .annotate(ends=Coalesce("last_month", Value(FAR_FUTURE, output_field=models.DateField())))
        .filter(
            ~Q(period=period) | Q(pk__lt=OuterRef("pk")),
            first_month__lte=Coalesce(OuterRef("last_month"), Value(FAR_FUTURE, output_field=models.DateField())),
            ends__gte=OuterRef("first_month"),
        )
        .order_by("pk")
    )
    queryset = (
        DeductionDocument.objects.filter(period=period, dependent__isnull=main)
        .exclude(status=DeductionStatus.CANCELLED)
        .filter(Exists(overlapping))
        .annotate(other=Subquery(overlapping.values("pk")[:1]), **_person_columns(main, "pensioner"))
        .values(*_DOCUMENT_COLUMNS, "other", "source_request_id", "source_request__tracking_code")
        .order_by("pk")
    )

    def explain(row: dict) -> Finding:
        return _document_finding(
            FindingKind.DEDUCTION_DUPLICATED,
            row,
            row["source_request_id"],
            row["source_request__tracking_code"],
            f"سند {{document}} ({{kind}}) {{person}} با سند {to_persian_digits(row['other'])} در ماه‌های یکسان "
            "هم‌پوشانی دارد؛ حق بیمه دو بار کسر می‌شود.",
        )

    return _Check(FindingKind.DEDUCTION_DUPLICATED, queryset, explain, DOCUMENT_PENSIONER)


def _deductions_not_ended(period: ContractPeriod, main: bool) -> _Check:
    withdrawal = _latest_items(period, main, Operation.WITHDRAW).filter(**_item_of_person(main, **DOCUMENT_REFS))
    queryset = (
        DeductionDocument.objects.filter(status=DeductionStatus.ACTIVE, dependent__isnull=main)
        .filter(Exists(withdrawal))
        .annotate(
            withdrawal_id=Subquery(withdrawal.values("request_id")[:1]),
            withdrawal_code=Subquery(withdrawal.values("request__tracking_code")[:1]),
            **_person_columns(main, "pensioner"),
        )
        .values(*_DOCUMENT_COLUMNS, "withdrawal_id", "withdrawal_code")
        .order_by("pk")
    )

    def explain(row: dict) -> Finding:
        return _document_finding(
            FindingKind.DEDUCTION_NOT_ENDED,
            row,
            row["withdrawal_id"],
            row["withdrawal_code"],
            "انصراف {person} با درخواست {code} پذیرفته شده است، اما سند {document} ({kind}) او هنوز فعال است.",
        )

    return _Check(FindingKind.DEDUCTION_NOT_ENDED, queryset, explain, DOCUMENT_PENSIONER)


def _deductions_orphan(period: ContractPeriod, main: bool) -> _Check:
    enrolled_by_source = RequestItem.objects.filter(
        **_item_of_person(main, **DOCUMENT_REFS),
        request_id=OuterRef("source_request_id"),
        request__status=RequestStatus.ACCEPTED,
        operation=Operation.ENROLL,
    )
    flag = "pensioner__has_supplementary" if main else "dependent__has_supplementary"
    carried_over = Q(source_request__isnull=True, first_month=_first_month(period), **{flag: True})
    queryset = (
        DeductionDocument.objects.filter(period=period, status=DeductionStatus.ACTIVE, dependent__isnull=main)
        .exclude(Exists(enrolled_by_source))
        .exclude(carried_over)
        .exclude(_withdrawn(period, main))
        .annotate(**_person_columns(main, "pensioner"))
        .values(*_DOCUMENT_COLUMNS, "source_request_id", "source_request__tracking_code", "source_request__status")
        .order_by("pk")
    )

    def explain(row: dict) -> Finding:
        if row["source_request_id"] is None:
            why = "درخواستی پشت آن نیست و سند منتقل‌شده از دوره قبل هم نیست"
        elif row["source_request__status"] != RequestStatus.ACCEPTED:
            why = f"درخواست مبنای آن ({{code}}) «{RequestStatus(row['source_request__status']).label}» است"
        else:
            why = "درخواست مبنای آن ({code}) ثبت‌نام این فرد را نخواسته است"
        return _document_finding(
            FindingKind.DEDUCTION_ORPHAN,
            row,
            row["source_request_id"],
            row["source_request__tracking_code"],
            f"سند {{document}} ({{kind}}) {{person}} فعال است، اما {why}.",
        )

    return _Check(FindingKind.DEDUCTION_ORPHAN, queryset, explain, DOCUMENT_PENSIONER)


# --- Findings in Persian ----------------------------------------------------------------------------


def _person(row: dict) -> str:
    return f"{row['person_first']} {row['person_last']}"


def _item_finding(kind: str, row: dict, text: str) -> Finding:
    code = row["request__tracking_code"]
    return Finding(
        kind=kind,
        request_id=row["request_id"],
        tracking_code=code,
        document_id=None,
        person=_person(row),
        national_code=row["person_code"],
        explanation=text.format(person=_person(row), code=to_persian_digits(code)),
    )


def _document_finding(kind: str, row: dict, request_id: int | None, code: str | None, text: str) -> Finding:
    return Finding(
        kind=kind,
        request_id=request_id,
        tracking_code=code or "",
        document_id=row["pk"],
        person=_person(row),
        national_code=row["person_code"],
        explanation=text.format(
            person=_person(row),
            code=to_persian_digits(code or ""),
            document=to_persian_digits(row["pk"]),
            kind=_KIND_LABELS.get(row["kind"], row["kind"]),
        ),
    )
