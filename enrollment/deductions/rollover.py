"""Rollover «انتقال بیمه‌شدگان به دوره جدید» (DESIGN.md, rules of a contract period): persons insured in
the previous period stay insured in the next one without a new request, at the new period's rates.

For every active deduction document of the old period:
- it ends at the old contract's last month (status ended; cancelled if it was to start only after that);
- a document for the same person and kind opens in the new period from its first month, at the new rate
  for the person's relation and age on the new coverage start. It has no source request: its source is
  the rollover, written as the history reason «انتقال به دوره ...» (reconciliation knows such documents);
- unless the person cannot be carried: guardianship ending before the new contract, an age over the new
  contract's limit for the relation, or no rate for the kind, relation and age. Then only the old document
  ends; its history row gives the reason, and the result lists the person so staff can tell them.
  Their supplementary flag is left as it is: they stay insured until the old contract ends.
A person who already has an active document of that kind in the new period (a previous run, or an
enrollment there) gets no second one. So a second run creates nothing, and an interrupted run resumes.

National scale: documents are read in keyset batches (never all at once), each batch in its own
transaction, written with bulk operations that keep the history: a constant number of queries a batch.
On PostgreSQL a batch's rows are locked with SKIP LOCKED, so two runs at once share the work.
"""

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from simple_history.utils import bulk_update_with_history

from core import jalali
from core.db_router import reading_replica
from core.text import to_persian_digits
from enrollment.deductions.documents import document_new, documents_open
from enrollment.deductions.models import DeductionDocument, DeductionStatus
from policies.models import ContractPeriod, InsuranceKind, PremiumRate, Relation
from policies.selectors import rate_for
from policies.services import period_charges_lock

BATCH_SIZE = 500
NOT_CARRIED_LISTED = 1000  # the result names at most this many; every one has its reason in history


@dataclass(frozen=True)
class NotCarried:
    document_id: int
    pensioner_id: int
    dependent_id: int | None
    name: str
    national_code: str
    kind: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name} ({to_persian_digits(self.national_code)})، {InsuranceKind(self.kind).label}: {self.reason}"


@dataclass
class RolloverResult:
    carried: int = 0  # documents opened in the new period
    already_carried: int = 0  # old documents whose person already had one in the new period
    not_carried_count: int = 0
    not_carried: list[NotCarried] = field(default_factory=list)
    last_document_id: int = 0  # where the next batch starts (keyset)
    finished: bool = False

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RolloverResult":
        return cls(**{**data, "not_carried": [NotCarried(**item) for item in data["not_carried"]]})

    def add(self, other: "RolloverResult") -> "RolloverResult":
        """This result followed by `other`, a run that resumed where this one stopped."""
        listed = (self.not_carried + other.not_carried)[:NOT_CARRIED_LISTED]
        return RolloverResult(
            carried=self.carried + other.carried,
            already_carried=self.already_carried + other.already_carried,
            not_carried_count=self.not_carried_count + other.not_carried_count,
            not_carried=listed,
            last_document_id=other.last_document_id,
            finished=other.finished,
        )

    def summary(self, *, old: ContractPeriod, new: ContractPeriod, names: int = 20) -> str:
        lines = [
            f"انتقال بیمه‌شدگان از دوره «{old.title}» به دوره «{new.title}»"
            + ("" if self.finished else " (نیمه‌تمام)")
            + f": {to_persian_digits(self.carried)} سند کسر منتقل شد"
            + (f"، {to_persian_digits(self.already_carried)} سند پیش‌تر منتقل شده بود" if self.already_carried else "")
            + f"، {to_persian_digits(self.not_carried_count)} سند منتقل نشد."
        ]
        lines += [f"- {item}" for item in self.not_carried[:names]]
        if self.not_carried_count > names:
            lines.append(
                f"و {to_persian_digits(self.not_carried_count - names)} مورد دیگر؛ "
                "علت هر یک در تاریخچه سند کسر دوره قبل آن فرد ثبت شده است."
            )
        return "\n".join(lines)


def rollover_window_refusal(*, old: ContractPeriod, at: dt.datetime | None = None) -> str | None:
    """Why a rollover from `old` may not start yet, in Persian: while its submission window is open, new
    enrollments and withdrawals are still accepted into it, so who is insured is not settled. None: it may."""
    if not old.accepts_submissions(at):
        return None
    return (
        f"مهلت ثبت درخواست دوره «{old.title}» تا {jalali.format_datetime(old.window_closes_at)} باز است و "
        "ثبت‌نام و انصراف در آن هنوز پذیرفته می‌شود؛ انتقال بیمه‌شدگان پس از پایان این مهلت ممکن است "
        "(برای پایان زودتر مهلت، «بستن دوره» را بزنید)."
    )


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str
    documents: int


@dataclass(frozen=True)
class RolloverPreview:
    """What a rollover will take and at which rates, for the confirmation page: the old period's active
    documents (each is carried unless the new contract does not cover its person) and the new period's rates."""

    old: ContractPeriod
    new: ContractPeriod
    documents: int
    pensioners: int  # main pensioners with a document to carry
    dependents: int  # dependents with a document to carry
    by_kind: list[KindCount]
    rates: list[PremiumRate]

    @property
    def persons(self) -> int:
        return self.pensioners + self.dependents


def rollover_preview(*, old: ContractPeriod, new: ContractPeriod) -> RolloverPreview:
    """A few aggregate queries over the old period's active documents (the status index), on the replica;
    the rates from the primary, as the rollover will read them."""
    with reading_replica():
        active = DeductionDocument.objects.filter(period=old, status=DeductionStatus.ACTIVE)
        by_kind = dict(active.values_list("kind").annotate(count=Count("pk")).order_by())
        pensioners = active.filter(dependent__isnull=True).values("pensioner_id").distinct().count()
        dependents = active.filter(dependent__isnull=False).values("dependent_id").distinct().count()
    rates = list(new.rates.order_by("kind", "relation", "min_age"))
    return RolloverPreview(
        old=old,
        new=new,
        documents=sum(by_kind.values()),
        pensioners=pensioners,
        dependents=dependents,
        by_kind=[KindCount(kind, label, by_kind.get(kind, 0)) for kind, label in InsuranceKind.choices],
        rates=rates,
    )


def rollover_check(*, old: ContractPeriod, new: ContractPeriod) -> None:
    """Refuses, in Persian, a rollover that cannot be meant."""
    if old.pk == new.pk or new.coverage_start <= old.coverage_end:
        raise ValidationError(f"دوره «{new.title}» باید پس از پایان دوره «{old.title}» شروع شود.")
    if not new.rates.exists():
        raise ValidationError(f"برای دوره «{new.title}» هنوز نرخ حق بیمه ثبت نشده است؛ ابتدا نرخ‌ها را ثبت کنید.")


def period_rollover(
    *,
    old: ContractPeriod,
    new: ContractPeriod,
    by: AbstractBaseUser | None,
    batch_size: int = BATCH_SIZE,
    after_id: int = 0,
    deadline: float | None = None,
    on_batch: Callable[[RolloverResult], None] | None = None,
) -> RolloverResult:
    """Carries the insured of `old` into `new` (see the module's docstring).

    Starts after document `after_id`; with a `deadline` (time.monotonic()) it stops after the batch that
    passes it, with `finished` False and `last_document_id` where to resume. `on_batch` is called with the
    result so far inside each batch's transaction; an exception there rolls the batch back.
    """
    rollover_check(old=old, new=new)
    period_charges_lock([new.pk])  # the rates it carries at may not change under it
    plan = _Plan(old=old, new=new, by=by, rates=list(new.rates.all()))
    result = RolloverResult(last_document_id=after_id)
    while True:
        with transaction.atomic():
            taken = _batch_carry(plan, result, batch_size)
            if taken and on_batch is not None:
                on_batch(result)  # in the batch's transaction: its counts commit with its documents
        if not taken:
            result.finished = True
            return result
        if deadline is not None and time.monotonic() >= deadline:
            return result


@dataclass(frozen=True)
class _Plan:
    old: ContractPeriod
    new: ContractPeriod
    by: AbstractBaseUser | None
    rates: list[PremiumRate]

    @property
    def old_last_month(self) -> dt.date:
        return jalali.month_start(self.old.coverage_end)

    @property
    def new_first_month(self) -> dt.date:
        return jalali.month_start(self.new.coverage_start)

    @property
    def ended_reason(self) -> str:
        return f"پایان دوره «{self.old.title}»؛ انتقال به دوره «{self.new.title}»"

    @property
    def carried_reason(self) -> str:
        return f"انتقال به دوره «{self.new.title}» از دوره «{self.old.title}» بدون درخواست جدید"


def _person_key(pensioner_id: int, dependent_id: int | None, kind: str) -> tuple:
    return ("dependent", dependent_id, kind) if dependent_id else ("main", pensioner_id, kind)


def _batch_carry(plan: _Plan, result: RolloverResult, batch_size: int) -> int:
    """One batch, inside the caller's transaction: returns how many old documents it took (0: nothing left)."""
    documents = list(
        DeductionDocument.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("pensioner", "dependent")
        .filter(period=plan.old, status=DeductionStatus.ACTIVE, pk__gt=result.last_document_id)
        .order_by("pk")[:batch_size]
    )
    if not documents:
        return 0
    present = _already_in_new_period(plan.new, documents)
    opened = []
    for document in documents:
        _end(document, plan)
        if _person_key(document.pensioner_id, document.dependent_id, document.kind) in present:
            result.already_carried += 1
            continue
        rate, refusal = _new_rate(document, plan)
        if refusal:
            document._change_reason = f"پایان دوره «{plan.old.title}»؛ به دوره «{plan.new.title}» منتقل نشد: {refusal}"
            _not_carried(result, document, refusal)
            continue
        opened.append(
            document_new(
                pensioner_id=document.pensioner_id,
                dependent_id=document.dependent_id,
                period=plan.new,
                rate=rate,
                first_month=plan.new_first_month,
            )
        )
    bulk_update_with_history(
        documents,
        DeductionDocument,
        ["status", "last_month"],
        default_user=plan.by,
        default_change_reason=plan.ended_reason,
    )
    documents_open(opened, by=plan.by, reason=plan.carried_reason)
    result.carried += len(opened)
    result.last_document_id = documents[-1].pk
    return len(documents)


def _already_in_new_period(new: ContractPeriod, documents: list[DeductionDocument]) -> set[tuple]:
    """The (person, kind) keys that already have an active document in the new period: one query."""
    mains = {d.pensioner_id for d in documents if d.dependent_id is None}
    dependents = {d.dependent_id for d in documents if d.dependent_id}
    rows = (
        DeductionDocument.objects.filter(period=new, status=DeductionStatus.ACTIVE)
        .filter(Q(dependent__isnull=True, pensioner_id__in=mains) | Q(dependent_id__in=dependents))
        .values_list("pensioner_id", "dependent_id", "kind")
    )
    return {_person_key(*row) for row in rows}


def _end(document: DeductionDocument, plan: _Plan) -> None:
    if document.first_month > plan.old_last_month:
        document.status = DeductionStatus.CANCELLED  # was to start only after the old contract: never deducted
    else:
        document.status = DeductionStatus.ENDED
        document.last_month = min(document.last_month or plan.old_last_month, plan.old_last_month)


def _new_rate(document: DeductionDocument, plan: _Plan) -> tuple[PremiumRate | None, str | None]:
    """The new period's rate for this document's person and kind, or why there is none (Persian)."""
    new = plan.new
    dependent = document.dependent
    if dependent and not dependent.guardianship_current(new.coverage_start):
        return None, (
            f"کفالت او در {jalali.format_date(dependent.guardianship_end)}، پیش از شروع قرارداد جدید، پایان یافته است"
        )
    relation = dependent.relation if dependent else Relation.SELF
    age = (dependent or document.pensioner).age_on(new.coverage_start)
    limit = {Relation.CHILD: new.child_max_age, Relation.PARENT: new.parent_max_age}.get(relation)
    if limit is not None and age > limit:
        return None, (
            f"سن او در شروع قرارداد جدید {to_persian_digits(age)} سال است و سقف سن «{Relation(relation).label}» "
            f"در این قرارداد {to_persian_digits(limit)} سال است"
        )
    rate = rate_for(plan.rates, kind=document.kind, relation=relation, age=age)
    if rate is None:
        return None, (
            f"در قرارداد جدید برای «{Relation(relation).label}» {to_persian_digits(age)} ساله "
            f"نرخ «{InsuranceKind(document.kind).label}» تعیین نشده است"
        )
    return rate, None


def _not_carried(result: RolloverResult, document: DeductionDocument, reason: str) -> None:
    result.not_carried_count += 1
    if len(result.not_carried) >= NOT_CARRIED_LISTED:
        return
    person = document.dependent or document.pensioner
    result.not_carried.append(
        NotCarried(
            document_id=document.pk,
            pensioner_id=document.pensioner_id,
            dependent_id=document.dependent_id,
            name=person.full_name,
            national_code=person.national_code,
            kind=document.kind,
            reason=reason,
        )
    )
