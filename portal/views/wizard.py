"""The four steps (directive points 3-6) and the confirmation. The services in enrollment.drafts decide;
these views only show, read the form and redirect.

Every step first asks whether the pensioner may use the service at all and how far they have got;
a step further on than that is refused (GET or POST) and sends them to the step they are on.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_safe

from core import jalali
from core.text import to_persian_digits
from enrollment import drafts, workflow
from enrollment.deductions.payroll import deduction_first_month
from enrollment.models import EnrollmentRequest, Operation, RequestStatus
from enrollment.models.registry import branch_cached, kanoon_of_county
from enrollment.workflow import MoveRefused
from policies.models import TermsVersion
from policies.selectors import terms_of
from portal.pensioner_session import DATA_CONFIRMED, pensioner_required
from portal.selectors import request_of
from portal.views.base import render_page

STEPS = [
    (1, "شرایط قرارداد", "portal:step_terms"),
    (2, "اطلاعات شما", "portal:step_data"),
    (3, "افراد و عملیات", "portal:step_people"),
    (4, "بررسی و ثبت نهایی", "portal:step_review"),
]
STEP_URL = {number: url for number, _, url in STEPS}


@dataclass(frozen=True)
class Wizard:
    draft: EnrollmentRequest
    terms: TermsVersion | None
    reached: int  # the furthest step the pensioner may open now


def _stop(request: HttpRequest, message: str, *, title: str = "امکان ثبت درخواست نیست") -> HttpResponse:
    """The end of the road, in plain Persian, with what to do next; nothing further is reachable."""
    return render_page(request, "portal/wizard/stop.html", {"title": title, "message": message}, status=403)


def _reached(request: HttpRequest, draft: EnrollmentRequest, terms: TermsVersion | None) -> int:
    if terms is None or draft.terms_version_id != terms.pk:
        return 1
    if draft.enroll_count or draft.withdraw_count:
        return 4  # choices saved (always at least one change): steps 2 and 3 were done, also before a sign-out
    if request.session.get(DATA_CONFIRMED) == draft.pk:
        return 3
    return 2


def _wizard(request: HttpRequest) -> Wizard | HttpResponse:
    problem = drafts.eligibility_problem(request.pensioner)
    if problem:
        return _stop(request, problem)
    try:
        draft = drafts.draft_open(pensioner=request.pensioner)
    except MoveRefused as refusal:
        return _stop(request, refusal.message, title="درخواست دیگری در جریان است")
    terms = terms_of(draft.period)
    return Wizard(draft=draft, terms=terms, reached=_reached(request, draft, terms))


def _step(request: HttpRequest, number: int) -> Wizard | HttpResponse:
    """The wizard if step `number` may be opened; otherwise the response that refuses it."""
    wizard = _wizard(request)
    if isinstance(wizard, HttpResponse) or number <= wizard.reached:
        return wizard
    messages.error(request, f"ابتدا مرحله {to_persian_digits(wizard.reached)} را کامل کنید.")
    return redirect(STEP_URL[wizard.reached])


def _page(request: HttpRequest, template: str, wizard: Wizard, number: int, **context) -> HttpResponse:
    steps = [{"number": n, "title": title, "url": url, "done": n < number} for n, title, url in STEPS]
    return render_page(
        request,
        template,
        {"wizard": wizard, "period": wizard.draft.period, "steps": steps, "step": number, "nav": "wizard", **context},
    )


@require_safe
@pensioner_required
def start(request: HttpRequest) -> HttpResponse:
    """The service entry: resumes at the step the pensioner has reached."""
    wizard = _wizard(request)
    if isinstance(wizard, HttpResponse):
        return wizard
    return redirect(STEP_URL[wizard.reached])


@require_http_methods(["GET", "POST"])
@pensioner_required
def step_terms(request: HttpRequest) -> HttpResponse:
    wizard = _step(request, 1)
    if isinstance(wizard, HttpResponse):
        return wizard
    if wizard.terms is None:
        return _stop(request, "شرایط قرارداد این دوره هنوز منتشر نشده است. لطفاً چند روز دیگر دوباره سر بزنید.")
    if request.method == "POST":
        if request.POST.get("terms_version") != str(wizard.terms.pk):
            messages.error(request, "متن شرایط به‌روز شده است. لطفاً متن تازه را بخوانید و دوباره تایید کنید.")
            return redirect("portal:step_terms")
        drafts.draft_terms_accept(draft=wizard.draft, terms=wizard.terms)
        return redirect("portal:step_data")
    return _page(request, "portal/wizard/step1_terms.html", wizard, 1)


@require_http_methods(["GET", "POST"])
@pensioner_required
def step_data(request: HttpRequest) -> HttpResponse:
    wizard = _step(request, 2)
    if isinstance(wizard, HttpResponse):
        return wizard
    if request.method == "POST":
        request.session[DATA_CONFIRMED] = wizard.draft.pk
        return redirect("portal:step_people")
    branch = branch_cached(request.pensioner.paying_branch_id)
    return _page(request, "portal/wizard/step2_data.html", wizard, 2, pensioner=request.pensioner, branch=branch)


@require_safe
@pensioner_required
def data_mismatch(request: HttpRequest) -> HttpResponse:
    """«اطلاعات من مغایرت دارد»: the branch to visit; the wizard ends here."""
    wizard = _step(request, 2)
    if isinstance(wizard, HttpResponse):
        return wizard
    return _page(
        request,
        "portal/wizard/step2_mismatch.html",
        wizard,
        2,
        branch=branch_cached(request.pensioner.paying_branch_id),
    )


def _rows(people: list[drafts.Person], chosen: dict[str, str]) -> list[dict]:
    rows = []
    for person in people:
        change = Operation.WITHDRAW if person.insured else Operation.ENROLL
        selected = chosen.get(person.key, Operation.NONE)
        if selected not in (change, Operation.NONE):
            selected = Operation.NONE
        rows.append(
            {
                "person": person,
                "change": change,
                "change_label": Operation(change).label,
                "selected": selected,
                "after": drafts.status_after(person, selected),
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
@pensioner_required
def step_people(request: HttpRequest) -> HttpResponse:
    wizard = _step(request, 3)
    if isinstance(wizard, HttpResponse):
        return wizard
    problems: list[str] = []
    if request.method == "POST":
        operations = {name[3:]: value for name, value in request.POST.items() if name.startswith("op-")}
        problems = drafts.draft_choices_set(draft=wizard.draft, operations=operations)
        if not problems:
            return redirect("portal:step_review")
        chosen = operations
    else:
        chosen = drafts.draft_operations(wizard.draft)
    people = drafts.people_listed(request.pensioner)
    ended = drafts.has_ended_dependents(request.pensioner)
    return _page(
        request,
        "portal/wizard/step3_people.html",
        wizard,
        3,
        rows=_rows(people, chosen),
        problems=problems,
        has_ended_dependents=ended,
        branch=branch_cached(request.pensioner.paying_branch_id) if ended else None,  # named only for them
    )


def _review_context(request: EnrollmentRequest) -> dict:
    lines = drafts.draft_review(request)
    total = sum(line.monthly_change for line in lines)
    today = jalali.today()
    return {
        "lines": lines,
        "total": total,
        "total_saving": -total,
        "enrolls": any(line.operation == Operation.ENROLL for line in lines),
        "withdraws": any(line.operation == Operation.WITHDRAW for line in lines),
        "first_month": deduction_first_month(period=request.period, accepted_on=today),
        # A withdrawal accepted this month ends its documents with this month (payroll): none from the next.
        "stop_month": jalali.add_months(today, 1),
    }


@require_http_methods(["GET", "POST"])
@pensioner_required
def step_review(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _submit(request)
    wizard = _step(request, 4)
    if isinstance(wizard, HttpResponse):
        return wizard
    kanoon = kanoon_of_county(request.pensioner.county_id)
    if kanoon is None or kanoon.pk != wizard.draft.kanoon_id:  # the county's Kanoon changed since the draft began
        kanoon = wizard.draft.kanoon
    return _page(request, "portal/wizard/step4_review.html", wizard, 4, kanoon=kanoon, **_review_context(wizard.draft))


def _submit(request: HttpRequest) -> HttpResponse:
    """«ثبت نهایی». The workflow checks everything under the row lock; only a refusal reads the draft again,
    to say why: a second POST of the same draft (double click, reload) lands on the same confirmation,
    and a draft whose steps are not done goes back to the step it reached."""
    pensioner = request.pensioner
    problem = drafts.eligibility_problem(pensioner)
    if problem:
        return _stop(request, problem)
    draft_id = request.POST.get("draft", "")
    try:
        if not draft_id.isdigit():
            raise MoveRefused(workflow.NOT_FOUND)
        submitted = drafts.draft_submit(draft_id=int(draft_id), pensioner=pensioner)
    except MoveRefused as refusal:
        return _refused(request, draft_id, refusal)
    return redirect("portal:done", tracking_code=submitted.tracking_code)


def _refused(request: HttpRequest, draft_id: str, refusal: MoveRefused) -> HttpResponse:
    mine = EnrollmentRequest.objects.select_related("period").filter(pensioner=request.pensioner)
    draft = mine.filter(pk=draft_id).first() if draft_id.isdigit() else None
    if draft is not None and draft.submitted_at is not None:  # submitted already: the other click won
        return redirect("portal:done", tracking_code=draft.tracking_code)
    if draft is None or draft.status != RequestStatus.DRAFT:
        messages.error(request, "این درخواست یافت نشد. لطفاً از ابتدای ثبت درخواست شروع کنید.")
        return redirect("portal:wizard")
    reached = _reached(request, draft, terms_of(draft.period))
    if reached < 4:
        messages.error(request, f"ابتدا مرحله {to_persian_digits(reached)} را کامل کنید.")
        return redirect(STEP_URL[reached])
    messages.error(request, refusal.message)
    return redirect("portal:wizard")


@require_safe
@pensioner_required
def done(request: HttpRequest, tracking_code: str) -> HttpResponse:
    """The confirmation and printable receipt: tracking code, what happens next."""
    submitted = request_of(request.pensioner, tracking_code)
    if submitted is None or submitted.submitted_at is None:
        raise Http404
    submitted.pensioner = request.pensioner
    return render_page(
        request,
        "portal/wizard/done.html",
        {"submitted": submitted, "pensioner": request.pensioner, "nav": "wizard", **_review_context(submitted)},
    )
