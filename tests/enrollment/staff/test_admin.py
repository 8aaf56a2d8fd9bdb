"""The staff page as each administrator sees it: scoped everywhere, Persian, and every change through the services."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.test import Client

from audit.models import Action, AuditEntry
from enrollment import roles
from enrollment.models import Kanoon, StaffProfile
from enrollment.staff.selectors import offices_of, role_of
from tests.enrollment.staff.conftest import STAFF_LIST
from tests.enrollment.test_admin_every_url import fingerprint

pytestmark = pytest.mark.django_db

ADD = f"{STAFF_LIST}add/"
MISSING_ID = "987654321"


def _listed(client: Client, query: str = "") -> set[str]:
    response = client.get(f"{STAFF_LIST}{query}")
    assert response.status_code == 200
    return {user.username for user in response.context["cl"].result_list}


def _urls(object_id: str) -> list[str]:
    base = f"{STAFF_LIST}{object_id}/"
    return [f"{base}change/", f"{base}history/", f"{base}password/", f"{base}second-factor/", f"{base}delete/"]


def _shape(response, object_id: str) -> tuple[int, str]:
    return response.status_code, response.get("Location", "").replace(object_id, "ID")


def _add_payload(**overrides) -> dict:
    return {
        "username": "kanoon_new",
        "first_name": "نیلوفر",
        "last_name": "اکبری",
        "national_code": "",
        "mobile": "",
        "email": "",
        "role": roles.KANOON_STAFF,
        "kanoons": [str(Kanoon.objects.get(county__code="KRJ").pk)],
        "reason": "استخدام",
        **overrides,
    }


def test_the_national_manager_lists_every_account_but_superusers(client, manager):
    User.objects.create_superuser("root", "root@example.ir", "x-root-1405")
    client.force_login(manager)
    listed = _listed(client)
    assert {"kanoon_tehran", "branch_karaj", "auditor", "pr_staff", "manager_alborz"} <= listed
    assert "root" not in listed


def test_the_list_shows_role_and_offices_in_persian_with_a_fixed_number_of_queries(
    client, manager, django_assert_max_num_queries
):
    client.force_login(manager)
    with django_assert_max_num_queries(20):
        html = client.get(STAFF_LIST).content.decode()
    assert "کارکنان کانون" in html and "شعبه ۱ کرج (۳۰۰۱)" in html and "استان البرز" in html
    assert 'dir="rtl"' in html


def test_a_province_manager_lists_only_the_staff_of_their_province(client, manager_alborz):
    client.force_login(manager_alborz)
    assert _listed(client) == {"kanoon_karaj", "branch_karaj", "manager_alborz"}
    assert _listed(client, "?q=kanoon_tehran") == set()
    assert _listed(client, f"?role={roles.MANAGER}") == set()


@pytest.mark.parametrize("username", ["kanoon_tehran", "branch_tehran", "manager", "auditor", "pr_staff"])
def test_out_of_province_accounts_look_like_missing_ones_on_every_staff_url(client, manager_alborz, username):
    target = str(User.objects.get(username=username).pk)
    client.force_login(manager_alborz)
    before = fingerprint()
    for seen_url, missing_url in zip(_urls(target), _urls(MISSING_ID), strict=True):
        assert _shape(client.get(seen_url), target) == _shape(client.get(missing_url), MISSING_ID), seen_url
        payload = {
            **_add_payload(username=username, is_active=""),
            "how": "generate",
            "post": "yes",
            "_save": "1",
        }
        assert _shape(client.post(seen_url, payload), target) == _shape(client.post(missing_url, payload), MISSING_ID)
    for action in ("password_reset_selected", "deactivate_selected", "second_factor_reset_selected"):
        response = client.post(STAFF_LIST, {"action": action, "_selected_action": [target], "index": "0"})
        assert response.status_code == 302
        assert "one-time-password" not in response.content.decode()
    assert fingerprint() == before


@pytest.mark.parametrize("username", ["kanoon_tehran", "branch_karaj", "auditor", "pr_staff"])
def test_staff_without_the_staff_page_are_refused_it(client, world, username):
    client.force_login(User.objects.get(username=username))
    assert client.get(STAFF_LIST).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.get(f"{STAFF_LIST}{User.objects.get(username='manager').pk}/password/").status_code == 403


def test_a_province_manager_is_offered_only_their_roles_and_offices(client, manager_alborz):
    client.force_login(manager_alborz)
    form = client.get(ADD).context["adminform"].form
    assert [value for value, _ in form.fields["role"].choices] == [
        "",
        roles.KANOON_STAFF,
        roles.BRANCH_STAFF,
        roles.PROVINCE_MANAGER,
    ]
    assert {k.county.code for k in form.fields["kanoons"].queryset} == {"KRJ", "FRD"}
    assert {b.code for b in form.fields["branches"].queryset} == {"3001"}
    assert {p.code for p in form.fields["province"].queryset} == {"30"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"role": roles.MANAGER, "kanoons": []}, "از گزینه‌های موجود نیست"),
        ({"kanoons": ["TEH"]}, "از گزینه‌های موجود نیست"),
        ({"role": roles.BRANCH_STAFF}, "جور نیست"),
    ],
)
def test_a_province_manager_cannot_create_a_national_manager_or_give_tehran(client, manager_alborz, overrides, message):
    if overrides.get("kanoons") == ["TEH"]:
        overrides = {"kanoons": [str(Kanoon.objects.get(county__code="TEH").pk)]}
    client.force_login(manager_alborz)
    before = fingerprint()
    response = client.post(ADD, _add_payload(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert fingerprint() == before


def test_a_manager_creates_a_clerk_who_then_has_no_password_until_a_reset(client, manager):
    client.force_login(manager)
    response = client.post(ADD, _add_payload(national_code="۰۰۱۰۰۰۰۰۴۶", mobile="٠٩١٢٣٤٥٦٧٨٩"))
    clerk = User.objects.get(username="kanoon_new")
    assert response.status_code == 302 and response["Location"] == f"{STAFF_LIST}{clerk.pk}/change/"
    assert role_of(clerk) == roles.KANOON_STAFF
    assert [k.county.code for k in offices_of(clerk).kanoons] == ["KRJ"]
    profile = StaffProfile.objects.get(user=clerk)
    assert (profile.national_code, profile.mobile) == ("0010000046", "09123456789")
    assert not clerk.has_usable_password()
    actions = set(AuditEntry.objects.filter(object_id=str(clerk.pk)).values_list("action", flat=True))
    assert actions == {Action.STAFF_ACCOUNT, Action.STAFF_ROLE, Action.STAFF_OFFICES}

    page = client.get(f"{STAFF_LIST}{clerk.pk}/change/").content.decode()
    assert "بازنشانی رمز عبور" in page and "بازنشانی رمز دوم" in page


def test_the_change_page_moves_a_clerk_and_deactivates_with_a_reason(client, manager, kanoon_karaj):
    client.force_login(manager)
    fardis = Kanoon.objects.get(county__code="FRD")
    response = client.post(
        f"{STAFF_LIST}{kanoon_karaj.pk}/change/",
        _add_payload(
            username="ignored", first_name="حمید", last_name="رضایی", kanoons=[str(fardis.pk)], reason="جابه‌جایی"
        ),
    )
    assert response.status_code == 302, response.content.decode()
    kanoon_karaj.refresh_from_db()
    assert kanoon_karaj.username == "kanoon_karaj" and not kanoon_karaj.is_active
    assert [k.county.code for k in offices_of(kanoon_karaj).kanoons] == ["FRD"]
    reasons = set(AuditEntry.objects.filter(actor=manager).values_list("reason", flat=True))
    assert reasons == {"جابه‌جایی"}


def test_a_deactivated_clerk_is_signed_out_on_their_next_request(client, manager, kanoon_karaj):
    clerk = Client()
    clerk.force_login(kanoon_karaj)
    assert clerk.get("/admin/").status_code == 200

    client.force_login(manager)
    client.post(STAFF_LIST, {"action": "deactivate_selected", "_selected_action": [kanoon_karaj.pk], "index": "0"})

    assert clerk.get("/admin/").status_code == 302
    assert SESSION_KEY not in clerk.session


def test_a_one_time_password_is_shown_once_and_must_be_changed_at_first_sign_in(client, manager, kanoon_karaj):
    client.force_login(manager)
    page = client.get(f"{STAFF_LIST}{kanoon_karaj.pk}/password/")
    assert page.status_code == 200 and "رمز یک‌بار مصرف" in page.content.decode()

    shown = client.post(f"{STAFF_LIST}{kanoon_karaj.pk}/password/", {"how": "generate", "reason": "فراموشی"})
    assert shown["Cache-Control"].startswith("no-store") or "no-store" in shown["Cache-Control"]
    password = re.search(r'class="one-time-password">([^<]+)<', shown.content.decode()).group(1)
    assert password not in client.get(f"{STAFF_LIST}{kanoon_karaj.pk}/change/").content.decode()

    clerk = Client()
    response = clerk.post("/admin/login/", {"username": "kanoon_karaj", "password": password})
    assert response.status_code == 302
    assert clerk.get("/admin/enrollment/enrollmentrequest/")["Location"] == "/admin/password_change/"
    changed = clerk.post(
        "/admin/password_change/",
        {"old_password": password, "new_password1": "Karaj-clerk-1405!", "new_password2": "Karaj-clerk-1405!"},
    )
    assert changed.status_code == 302
    assert clerk.get("/admin/enrollment/enrollmentrequest/?status__exact=kanoon_review").status_code == 200
    assert not StaffProfile.objects.get(user=kanoon_karaj).password_temporary


def test_a_typed_password_is_checked_by_djangos_validators_in_persian(client, manager, kanoon_karaj):
    client.force_login(manager)
    response = client.post(
        f"{STAFF_LIST}{kanoon_karaj.pk}/password/", {"how": "typed", "password1": "123", "password2": "123"}
    )
    assert response.status_code == 200
    kanoon_karaj.refresh_from_db()
    assert kanoon_karaj.check_password("demo-pass-1405")
    assert "این رمز کوتاه است؛ دست‌کم ۸ نویسه بنویسید." in response.content.decode()
    assert "This password" not in response.content.decode()


def test_the_second_factor_button_resets_it(client, manager, kanoon_karaj):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=kanoon_karaj, name="app", confirmed=True)
    client.force_login(manager)
    assert "رمز دوم" in client.get(f"{STAFF_LIST}{kanoon_karaj.pk}/second-factor/").content.decode()
    response = client.post(f"{STAFF_LIST}{kanoon_karaj.pk}/second-factor/", {"reason": "گم شدن تلفن"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=kanoon_karaj).exists()
    assert AuditEntry.objects.filter(actor=manager, reason="گم شدن تلفن").exists()


def test_no_account_is_deleted_from_the_staff_page(client, manager, kanoon_karaj):
    client.force_login(manager)
    assert client.post(f"{STAFF_LIST}{kanoon_karaj.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=kanoon_karaj.pk).exists()
