"""The pensioner's draft request, wizard steps 1-4 (directive points 3-6), up to its submission.

Every function takes the pensioner who is signed in and refuses anything that is not theirs, not
listed for them (guardianship ended, another pensioner's dependent, unknown id), or outside the
active period's window.

A draft's history starts as it is created and goes on with its submission: the terms accepted and the
choices saved in between keep no version of their own (nobody on the staff can open a draft, and the
submitted version carries the terms, their time and the counts; the items are the choices). The
submission's entry in the audit log is therefore told against the draft as it was created.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import jalali
from core.queries import KeyedRead
from enrollment import workflow
from enrollment.models import Dependent, EnrollmentRequest, Operation, Pensioner, RequestItem, RequestStatus
from enrollment.models.registry import age_on, kanoon_of_county
from enrollment.rules import PersonChoice, rules_violations
from enrollment.workflow import MoveRefused
from policies.models import ContractPeriod, PremiumRate, Relation, TermsVersion
from policies.selectors import period_accepting_submissions, rates_for_person, rates_of, terms_of
from policies.services import terms_version_lock

SELF = "self"
WINDOW_CLOSED = "در حال حاضر مهلت ثبت درخواست بیمه تکمیلی باز نیست. زمان ثبت‌نام دوره بعد در همین درگاه اعلام می‌شود."


@dataclass(frozen=True)
class Person:
    """Someone listed in step 3: the main pensioner (key "self") or a current dependent."""

    key: str
    name: str
    relation: str
    relation_label: str
    birth_date: dt.date
    guardianship_end: dt.date | None
    covered_elsewhere: bool
    insured: bool
    dependent: Dependent | None


def eligibility_problem(pensioner: Pensioner, *, at: dt.datetime | None = None) -> str | None:
    """Why this pensioner cannot use the service now, in plain Persian with what to do; None if they can."""
    if pensioner.is_colleague:
        return (
            "این خدمت ویژه مستمری‌بگیران غیرهمکار است. همکاران بازنشسته سازمان تأمین اجتماعی از طریق "
            "بیمه تکمیلی کارکنان سازمان تحت پوشش هستند؛ برای راهنمایی با اداره رفاه کارکنان تماس بگیرید."
        )
    if not pensioner.file_active:
        return (
            "پرونده مستمری شما در حال حاضر فعال نیست. لطفاً برای بررسی پرونده به شعبه پرداخت‌کننده "
            f"مستمری خود ({pensioner.paying_branch.name}) مراجعه کنید."
        )
    if period_accepting_submissions(at) is None:
        return WINDOW_CLOSED
    return None


# The order people are listed in: the pensioner, the spouse, then children, then parents, each by birth date.
RELATION_ORDER = {Relation.SELF: 0, Relation.SPOUSE: 1, Relation.CHILD: 2, Relation.PARENT: 3}


_DEPENDENTS = KeyedRead(lambda pensioner: Dependent.objects.filter(pensioner_id=pensioner).order_by())


def _dependents(pensioner: Pensioner) -> list[Dependent]:
    """The pensioner's dependents in step 3's order, read once per pensioner object (a step asks twice)."""
    if not hasattr(pensioner, "_wizard_dependents"):
        dependents = _DEPENDENTS.rows(pensioner=pensioner.pk)
        for dependent in dependents:
            dependent.pensioner = pensioner  # as the related manager would: the object at hand, not a query
        pensioner._wizard_dependents = sorted(
            dependents, key=lambda d: (RELATION_ORDER[d.relation], d.birth_date, d.pk)
        )
    return pensioner._wizard_dependents


def people_listed(pensioner: Pensioner, *, today: dt.date | None = None) -> list[Person]:
    """The main pensioner and the dependents whose guardianship has not ended, in a stable order."""
    today = today or jalali.today()
    people = [
        Person(
            key=SELF,
            name=pensioner.full_name,
            relation=Relation.SELF,
            relation_label=Relation.SELF.label,
            birth_date=pensioner.birth_date,
            guardianship_end=None,
            covered_elsewhere=False,
            insured=pensioner.has_supplementary,
            dependent=None,
        )
    ]
    for dependent in _dependents(pensioner):
        if dependent.guardianship_current(today):
            people.append(
                Person(
                    key=str(dependent.pk),
                    name=dependent.full_name,
                    relation=dependent.relation,
                    relation_label=dependent.get_relation_display(),
                    birth_date=dependent.birth_date,
                    guardianship_end=dependent.guardianship_end,
                    covered_elsewhere=dependent.covered_elsewhere,
                    insured=dependent.has_supplementary,
                    dependent=dependent,
                )
            )
    return people


def has_ended_dependents(pensioner: Pensioner, *, today: dt.date | None = None) -> bool:
    today = today or jalali.today()
    return any(d.guardianship_end is not None and d.guardianship_end < today for d in _dependents(pensioner))


def operation_allowed(person: Person, operation: str) -> bool:
    """«ثبت‌نام» only for someone without insurance, «انصراف» only for someone with it."""
    return operation == Operation.NONE or operation == (Operation.WITHDRAW if person.insured else Operation.ENROLL)


def status_after(person: Person, operation: str) -> bool:
    return {Operation.ENROLL: True, Operation.WITHDRAW: False}.get(operation, person.insured)


def choices_problems(
    *, period: ContractPeriod, pensioner: Pensioner, operations: dict[str, str], today: dt.date | None = None
) -> list[str]:
    """Everything wrong with a set of chosen operations (keys are Person.key), as Persian sentences."""
    today = today or jalali.today()
    people = {person.key: person for person in people_listed(pensioner, today=today)}
    unknown = set(operations) - set(people)
    if unknown:
        return ["فردی که انتخاب شده در فهرست افراد شما نیست. لطفاً فهرست را دوباره باز کنید و از همان انتخاب کنید."]
    problems = [
        f"{people[key].name}: عملیات «{Operation(op).label if op in Operation.values else op}» برای این فرد ممکن نیست."
        for key, op in operations.items()
        if not operation_allowed(people[key], op)
    ]
    if problems:
        return problems
    chosen = [
        PersonChoice(
            key=person.key,
            name=person.name,
            relation=person.relation,
            age=age_on(person.birth_date, today),
            covered_elsewhere=person.covered_elsewhere,
            current=person.insured,
            new=status_after(person, operations.get(person.key, Operation.NONE)),
        )
        for person in people.values()
    ]
    if not any(choice.new != choice.current for choice in chosen):
        return ["برای ادامه دست‌کم برای یک نفر «ثبت‌نام» یا «انصراف» را انتخاب کنید."]
    return rules_violations(period=period, people=chosen)


# At most a draft and one in review: one query for both, no sort; read on every step.
_OPEN_REQUESTS = KeyedRead(
    lambda pensioner, period: EnrollmentRequest.objects.filter(
        pensioner_id=pensioner, period_id=period, status__in=(RequestStatus.DRAFT, *workflow.IN_REVIEW)
    ).order_by()
)


def draft_open(*, pensioner: Pensioner) -> EnrollmentRequest:
    """The pensioner's draft in the active period, created on first use; refused while another
    request of theirs is still being reviewed."""
    problem = eligibility_problem(pensioner)
    if problem:
        raise MoveRefused(problem)
    period = period_accepting_submissions()
    requests = _OPEN_REQUESTS.rows(pensioner=pensioner.pk, period=period.pk)
    in_review = next((r for r in requests if r.status != RequestStatus.DRAFT), None)
    if in_review:
        raise MoveRefused(
            f"درخواست شما با کد رهگیری {in_review.tracking_code} در حال بررسی است. "
            "تا پایان بررسی آن نمی‌توانید درخواست دیگری ثبت کنید."
        )
    draft = next((r for r in requests if r.status == RequestStatus.DRAFT), None)
    if draft:
        draft.period, draft.pensioner = period, pensioner  # the objects at hand, not a query each
        return draft
    kanoon = kanoon_of_county(pensioner.county_id)
    if kanoon is None:
        raise MoveRefused("کانون بازنشستگان شهرستان شما هنوز در سامانه تعریف نشده است؛ لطفاً بعداً مراجعه کنید.")
    try:
        with transaction.atomic():
            return EnrollmentRequest.objects.create(
                pensioner=pensioner, period=period, kanoon=kanoon, branch_id=pensioner.paying_branch_id
            )
    except IntegrityError:  # a second tab created it a moment ago: use that one
        return EnrollmentRequest.objects.get(pensioner=pensioner, period=period, status=RequestStatus.DRAFT)


def draft_terms_accept(*, draft: EnrollmentRequest, terms: TermsVersion) -> None:
    """Step 1: records which terms text was accepted, and when (no history version: see above)."""
    draft.terms_version = terms
    draft.terms_accepted_at = timezone.now()
    draft.save_without_historical_record(update_fields=["terms_version", "terms_accepted_at", "updated_at"])
    terms_version_lock(terms)  # free once stamped: the cached terms carry their stamp


def draft_choices_set(*, draft: EnrollmentRequest, operations: dict[str, str]) -> list[str]:
    """Step 3: replaces the draft's items with these choices, or returns the problems and saves nothing."""
    today = jalali.today()
    problems = choices_problems(period=draft.period, pensioner=draft.pensioner, operations=operations, today=today)
    if problems:
        return problems
    people = people_listed(draft.pensioner, today=today)
    chosen = [operations.get(person.key, Operation.NONE) for person in people]
    with transaction.atomic():
        draft.enroll_count = chosen.count(Operation.ENROLL)
        draft.withdraw_count = chosen.count(Operation.WITHDRAW)
        draft.save_without_historical_record(update_fields=["enroll_count", "withdraw_count", "updated_at"])
        draft.items.all().delete()
        RequestItem.objects.bulk_create(
            RequestItem(
                request=draft,
                dependent=person.dependent,
                relation=person.relation,
                status_before=person.insured,
                operation=operations.get(person.key, Operation.NONE),
                status_after=status_after(person, operations.get(person.key, Operation.NONE)),
            )
            for person in people
        )
    return []


_ITEMS = KeyedRead(lambda request: RequestItem.objects.filter(request_id=request).order_by())


def draft_operations(draft: EnrollmentRequest) -> dict[str, str]:
    """The saved choices of a draft, keyed like Person.key, so «بازگشت» shows them again."""
    return {str(item.dependent_id or SELF): item.operation for item in _ITEMS.rows(request=draft.pk)}


@dataclass(frozen=True)
class ReviewLine:
    """One person in step 4: before and after, and what the change does to the monthly deduction."""

    name: str
    relation_label: str
    status_before: bool
    operation: str
    operation_label: str
    status_after: bool
    monthly_change: int  # rials a month: positive costs more, negative saves

    @property
    def monthly_saving(self) -> int:
        return -self.monthly_change


def premium_monthly(rates: list[PremiumRate], *, relation: str, age: int) -> int:
    """The insured's share a month for one person: health plus life, where the period has a rate."""
    return sum(rate.insured_share for rate in rates_for_person(rates, relation=relation, age=age))


_ITEMS_WITH_DEPENDENTS = KeyedRead(
    lambda request: RequestItem.objects.filter(request_id=request).select_related("dependent")
)


def draft_review(draft: EnrollmentRequest, *, today: dt.date | None = None) -> list[ReviewLine]:
    """Step 4: every person of the draft with the premium each change costs or saves, at the period's rates."""
    today = today or jalali.today()
    rates = rates_of(draft.period)
    sign = {Operation.ENROLL: 1, Operation.WITHDRAW: -1}
    lines = []
    for item in _ITEMS_WITH_DEPENDENTS.rows(request=draft.pk):
        person = item.dependent or draft.pensioner
        premium = premium_monthly(rates, relation=item.relation, age=person.age_on(today))
        lines.append(
            ReviewLine(
                name=person.full_name,
                relation_label=item.get_relation_display(),
                status_before=item.status_before,
                operation=item.operation,
                operation_label=item.get_operation_display(),
                status_after=item.status_after,
                monthly_change=sign.get(item.operation, 0) * premium,
            )
        )
    return lines


def draft_submit(*, draft_id: int, pensioner: Pensioner) -> EnrollmentRequest:
    """Step 4's «ثبت نهایی»: every check again under the row lock, then the move to the Kanoon."""

    def check(request: EnrollmentRequest) -> None:
        problem = eligibility_problem(pensioner)
        if problem:
            raise MoveRefused(problem)
        if request.period_id != period_accepting_submissions().pk:
            raise MoveRefused("این پیش‌نویس مربوط به دوره دیگری است؛ لطفاً درخواست را از ابتدا ثبت کنید.")
        if not request.period.accepts_submissions():  # the locked row's own window, not the cached one
            raise MoveRefused(WINDOW_CLOSED)
        current_terms = terms_of(request.period)
        if request.terms_version_id is None or request.terms_version_id != getattr(current_terms, "pk", None):
            raise MoveRefused("ابتدا شرایط قرارداد را در مرحله ۱ بخوانید و تایید کنید.")
        operations = draft_operations(request)
        if not operations:
            raise MoveRefused("ابتدا در مرحله ۳ عملیات هر نفر را انتخاب کنید.")
        problems = choices_problems(period=request.period, pensioner=pensioner, operations=operations)
        if problems:
            raise MoveRefused(" ".join(problems))

    return workflow.request_submit(request_id=draft_id, pensioner=pensioner, check=check)
