"""«نمایش درخواست» (directive point 11): every person with relation, guardianship end, status before,
operation and «وضعیت جدید بیمه تکمیلی», in step 3's order, beside the request's branch the pension's
current paying branch, and «تغییر شعبه بیمه‌پردازی» offered on the page when, and only when, they differ;
all of it visible at 1280 px without sideways scrolling."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from core.jalali import format_date
from core.text import to_persian_digits
from enrollment import workflow
from enrollment.models import Branch, EnrollmentRequest, Pensioner, RequestStatus
from policies.models import Relation
from tests.browser import ARTIFACTS_DIR
from tests.enrollment.conftest import file_request
from tests.enrollment.test_admin_persian_text import visible_text
from tests.factories import DependentFactory, PensionerFactory

COLUMNS = [
    "نام و نام خانوادگی",
    "نسبت",
    "تاریخ خاتمه کفالت",
    "وضعیت فعلی بیمه تکمیلی",
    "عملیات",
    "وضعیت جدید بیمه تکمیلی",
]


def _family(pensioner_a: Pensioner) -> Pensioner:
    """A Tehran pensioner whose dependents were registered out of order: a parent first, the younger
    child before the elder, the spouse last."""
    pensioner = PensionerFactory(
        county=pensioner_a.county, paying_branch=pensioner_a.paying_branch, first_name="کاوه", last_name="فرهمند"
    )
    for first_name, relation, birth in [
        ("پدر", Relation.PARENT, dt.date(1930, 1, 1)),
        ("کوچک", Relation.CHILD, dt.date(2012, 6, 1)),
        ("بزرگ", Relation.CHILD, dt.date(2004, 2, 1)),
        ("مادر", Relation.PARENT, dt.date(1935, 1, 1)),
        ("همسر", Relation.SPOUSE, dt.date(1962, 1, 1)),
    ]:
        DependentFactory(
            pensioner=pensioner,
            first_name=first_name,
            last_name="فرهمند",
            relation=relation,
            birth_date=birth,
            guardianship_end=dt.date.today() + dt.timedelta(days=700) if relation == Relation.CHILD else None,
        )
    return pensioner


def _page(client, user, request: EnrollmentRequest) -> str:
    client.force_login(user)
    response = client.get(reverse("admin:enrollment_enrollmentrequest_change", args=[request.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _in_branch_review(pensioner: Pensioner, kanoon_tehran) -> EnrollmentRequest:
    request = file_request(pensioner)
    return workflow.request_kanoon_approve(request_id=request.pk, by=kanoon_tehran)


def test_persons_are_listed_pensioner_spouse_then_children_and_parents_by_birth_date(
    client, pensioner_a, kanoon_tehran
):
    request = file_request(_family(pensioner_a))
    text = " ".join(visible_text(_page(client, kanoon_tehran, request)))
    order = [text.index(f"{name} فرهمند") for name in ["کاوه", "همسر", "بزرگ", "کوچک", "پدر", "مادر"]]
    assert order == sorted(order)
    for column in COLUMNS:
        assert column in text


def test_each_person_shows_guardianship_end_before_operation_and_after(client, pensioner_a, kanoon_tehran):
    request = file_request(pensioner_a)
    html = _page(client, kanoon_tehran, request)
    persons = html[html.index('class="inline-group request-persons"') :]
    rows = re.findall(r"<tr>(.*?)</tr>", persons[persons.index("<tbody>") :], re.S)
    cells = [" ".join(visible_text(row)) for row in rows]
    child = next(row for row in cells if "علی احمدی" in row)
    end = pensioner_a.dependents.get(first_name="علی").guardianship_end
    assert "فرزند" in child and end is not None
    assert format_date(end) in child
    assert child.split()[-3:] == ["ندارد", "ثبت‌نام", "دارد"]  # before, operation, after
    assert len(rows) == 3  # the pensioner, the spouse, the child whose guardianship has not ended


def test_the_paying_branch_is_shown_beside_the_requests_and_the_transfer_names_it(
    client, pensioner_a, kanoon_tehran, branch_tehran
):
    request = _in_branch_review(pensioner_a, kanoon_tehran)
    html = _page(client, branch_tehran, request)
    assert "شعبه رسیدگی‌کننده درخواست" in html and "شعبه پرداخت‌کننده فعلی مستمری" in html
    assert "تغییر شعبه بیمه‌پردازی به" not in html
    assert "«تغییر شعبه بیمه‌پردازی» لازم نیست" in html  # and why, in the workflow's words
    assert workflow.MOVES["branch_transfer"].guard(request) in html

    karaj = Branch.objects.get(code="3001")
    Pensioner.objects.filter(pk=pensioner_a.pk).update(paying_branch=karaj)
    html = _page(client, branch_tehran, request)
    assert f"تغییر شعبه بیمه‌پردازی به «{to_persian_digits(karaj.name)}»" in html
    assert "لازم نیست" not in html
    button = re.search(r'formaction="([^"]*/move/branch_transfer/)"', html)
    assert button
    client.post(button.group(1))
    request.refresh_from_db()
    assert (request.branch_id, request.status) == (karaj.pk, RequestStatus.BRANCH_REVIEW)


def test_no_transfer_note_outside_the_branch_review(client, pensioner_a, kanoon_tehran):
    html = _page(client, kanoon_tehran, file_request(pensioner_a))
    assert "تغییر شعبه بیمه‌پردازی" not in html


# -- in the browser: 1280 px, nothing off to the side ---------------------------------------------------


@pytest.fixture
def moved_request_page(live_server, pensioner_a) -> str:
    """The address of a request in the branch's review whose pensioner is now paid by Karaj's branch."""
    from django.contrib.auth.models import User

    request = _in_branch_review(_family(pensioner_a), User.objects.get(username="kanoon_tehran"))
    Pensioner.objects.filter(pk=request.pensioner_id).update(paying_branch=Branch.objects.get(code="3001"))
    return reverse("admin:enrollment_enrollmentrequest_change", args=[request.pk])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_request_page_fits_1280_px_without_sideways_scrolling(live_server, moved_request_page, chromium_browser):
    address = moved_request_page
    page = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, locale="fa-IR").new_page()
    page.goto(f"{live_server.url}/admin/login/?next={address}")
    page.fill("input[name=username]", "branch_tehran")
    page.fill("input[name=password]", "demo-pass-1405")
    page.click("[type=submit]")
    page.wait_for_url(f"**{address}")
    expect(page.get_by_role("button", name=re.compile("تغییر شعبه بیمه‌پردازی به «شعبه"))).to_be_visible()

    (ARTIFACTS_DIR / "cartable").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS_DIR / "cartable" / "request-page-1280.png", full_page=True)
    widths = page.evaluate(
        """() => ({
            document: document.documentElement.scrollWidth,
            viewport: document.documentElement.clientWidth,
            scrolled: [...document.querySelectorAll('*')]
                .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
                .filter(e => e.scrollWidth > e.clientWidth + 1)
                .map(e => e.className || e.tagName),
        })"""
    )
    assert widths["document"] <= widths["viewport"], widths
    assert widths["scrolled"] == [], widths
    for column in COLUMNS:
        header = page.locator("table th", has_text=column).first
        expect(header).to_be_visible()
        box = header.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= widths["viewport"], (column, box)
    expect(page.get_by_text("مادر فرهمند").first).to_be_visible()
