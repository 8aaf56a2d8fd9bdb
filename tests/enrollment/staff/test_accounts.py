"""The staff services: one role and its offices, given only by whoever has them, recorded in words, at once."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from audit.models import Action, AuditEntry
from enrollment import roles, selectors
from enrollment.models import Branch, Kanoon, Province, StaffProfile
from enrollment.staff import accounts
from enrollment.staff.selectors import offices_of, role_of, staff_visible_to

pytestmark = pytest.mark.django_db


def _kanoon(code: str) -> Kanoon:
    return Kanoon.objects.select_related("county").get(county__code=code)


def _mark() -> int:
    """The last audit row so far: the demo has written its own staff rows before a test begins."""
    last = AuditEntry.objects.order_by("-id").first()
    return last.id if last else 0


def _clerk(actor, username="clerk_karaj", role=roles.KANOON_STAFF, offices=None) -> User:
    return accounts.staff_account_create(
        actor=actor,
        username=username,
        identity=accounts.Identity(first_name="رضا", last_name="امینی"),
        role=role,
        offices=offices if offices is not None else [_kanoon("KRJ")],
        reason="استخدام تازه",
    )


def test_a_new_clerk_gets_one_role_its_offices_and_no_usable_password(manager):
    clerk = _clerk(manager, "clerk_tehran", offices=[_kanoon("TEH")])

    assert role_of(clerk) == roles.KANOON_STAFF
    assert [k.county.code for k in offices_of(clerk).kanoons] == ["TEH"]
    assert clerk.is_staff and clerk.is_active and not clerk.has_usable_password()
    assert clerk.has_perm(roles.REVIEW_KANOON, _kanoon("TEH"))
    assert selectors.scope_of(clerk).kanoon_ids == (_kanoon("TEH").pk,)


def test_every_change_is_in_the_audit_log_in_words_with_its_province(manager):
    clerk = _clerk(manager, offices=[_kanoon("KRJ")])
    alborz = Province.objects.get(code="30")

    rows = {row.action: row for row in AuditEntry.objects.filter(object_id=str(clerk.pk))}
    assert set(rows) == {Action.STAFF_ACCOUNT, Action.STAFF_ROLE, Action.STAFF_OFFICES}
    role_row, offices_row = rows[Action.STAFF_ROLE], rows[Action.STAFF_OFFICES]
    assert role_row.changes == [{"field": "نقش", "old": "بدون نقش", "new": "کارکنان کانون"}]
    assert offices_row.changes == [
        {"field": "واحدها", "old": "—", "new": "کانون بازنشستگان و مستمری‌بگیران تأمین اجتماعی شهرستان کرج"}
    ]
    assert (offices_row.province_id, offices_row.kanoon_id) == (alborz.pk, _kanoon("KRJ").pk)
    assert role_row.actor_id == manager.pk and role_row.actor_role == roles.MANAGER
    assert role_row.actor_name == manager.get_full_name()
    assert role_row.reason == "استخدام تازه"
    assert role_row.object_label == "رضا امینی (clerk_karaj)"


def test_setting_the_same_role_and_offices_again_writes_nothing(manager):
    clerk = _clerk(manager)
    rows, grants = AuditEntry.objects.count(), clerk.kanoonuserobjectpermission_set.count()

    changed = accounts.staff_role_set(actor=manager, user=clerk, role=roles.KANOON_STAFF, offices=[_kanoon("KRJ")])

    assert changed is False
    assert (AuditEntry.objects.count(), clerk.kanoonuserobjectpermission_set.count()) == (rows, grants)


def test_moving_a_clerk_between_provinces_writes_one_row_per_province(manager):
    clerk = _clerk(manager, offices=[_kanoon("TEH")])
    AuditEntry.objects.all().delete()

    accounts.staff_role_set(
        actor=manager, user=clerk, role=roles.BRANCH_STAFF, offices=[Branch.objects.get(code="3001")], reason="انتقال"
    )

    offices_rows = AuditEntry.objects.filter(action=Action.STAFF_OFFICES).order_by("province_id")
    by_province = {row.province_id: row.changes[0] for row in offices_rows}
    tehran, alborz = Province.objects.get(code="23").pk, Province.objects.get(code="30").pk
    assert by_province[tehran]["new"] == "—" and "تهران" in by_province[tehran]["old"]
    assert by_province[alborz] == {"field": "واحدها", "old": "—", "new": "شعبه ۱ کرج (۳۰۰۱)"}
    assert not clerk.has_perm(roles.REVIEW_KANOON, _kanoon("TEH"))
    assert role_of(clerk) == roles.BRANCH_STAFF
    assert clerk.groups.filter(name=roles.KANOON_STAFF).count() == 0


def test_a_role_change_takes_effect_at_once(manager, kanoon_tehran):
    before = selectors.scope_of(kanoon_tehran)
    assert before.kanoon_ids == (_kanoon("TEH").pk,)

    accounts.staff_role_set(actor=manager, user=kanoon_tehran, role=roles.KANOON_STAFF, offices=[_kanoon("SHM")])

    assert cache.get(f"staff-scope:{kanoon_tehran.pk}") is None
    assert selectors.scope_of(User.objects.get(pk=kanoon_tehran.pk)).kanoon_ids == (_kanoon("SHM").pk,)


def test_deactivating_drops_the_scope_and_is_recorded(manager, kanoon_tehran):
    selectors.scope_of(kanoon_tehran)
    mark = _mark()

    assert accounts.staff_active_set(actor=manager, user=kanoon_tehran, active=False, reason="پایان همکاری")

    kanoon_tehran.refresh_from_db()
    assert not kanoon_tehran.is_active
    assert cache.get(f"staff-scope:{kanoon_tehran.pk}") is None
    row = AuditEntry.objects.get(id__gt=mark, object_id=str(kanoon_tehran.pk))
    assert row.changes == [{"field": "وضعیت حساب", "old": "فعال", "new": "غیرفعال"}]
    assert row.reason == "پایان همکاری"
    assert row.kanoon_id == _kanoon("TEH").pk


# -- a province manager --------------------------------------------------------------------------------


def test_a_province_manager_gives_kanoons_and_branches_of_their_province(manager_alborz):
    clerk = _clerk(manager_alborz, offices=[_kanoon("KRJ"), _kanoon("FRD")])

    assert {k.county.code for k in offices_of(clerk).kanoons} == {"KRJ", "FRD"}
    assert staff_visible_to(manager_alborz).filter(pk=clerk.pk).exists()


@pytest.mark.parametrize(
    ("role", "office"),
    [
        (roles.KANOON_STAFF, lambda: _kanoon("TEH")),
        (roles.BRANCH_STAFF, lambda: Branch.objects.get(code="1012")),
        (roles.PROVINCE_MANAGER, lambda: Province.objects.get(code="23")),
    ],
)
def test_a_province_manager_cannot_give_an_office_of_another_province(manager_alborz, role, office):
    with pytest.raises(accounts.StaffRefused, match="در استان شما نیست"):
        _clerk(manager_alborz, role=role, offices=[office()])
    assert not User.objects.filter(username="clerk_karaj").exists()


@pytest.mark.parametrize("role", [roles.MANAGER, roles.AUDITOR, roles.PR_STAFF])
def test_a_province_manager_cannot_give_a_national_role(manager_alborz, role):
    with pytest.raises(accounts.StaffRefused, match=f"نمی‌توانید نقش «{role}» بدهید"):
        _clerk(manager_alborz, role=role, offices=[])
    assert not User.objects.filter(username="clerk_karaj").exists()


def test_a_province_manager_cannot_raise_their_own_clerk_to_national(manager_alborz, kanoon_karaj):
    mark = _mark()
    with pytest.raises(accounts.StaffRefused):
        accounts.staff_role_set(actor=manager_alborz, user=kanoon_karaj, role=roles.MANAGER, offices=[])
    assert role_of(kanoon_karaj) == roles.KANOON_STAFF
    assert not AuditEntry.objects.filter(id__gt=mark).exists()


def test_a_province_manager_sees_only_staff_whose_offices_are_all_in_their_province(
    manager_alborz, manager, kanoon_tehran, kanoon_karaj, branch_karaj
):
    both = _clerk(manager, "both_provinces", offices=[_kanoon("KRJ"), _kanoon("TEH")])
    User.objects.create_superuser("root", "root@example.ir", "x-root-1405")

    visible = set(staff_visible_to(manager_alborz).values_list("username", flat=True))

    assert visible == {"kanoon_karaj", "branch_karaj", "manager_alborz"}
    for hidden in (kanoon_tehran, manager, both):
        with pytest.raises(accounts.StaffNotFound):
            accounts.staff_active_set(actor=manager_alborz, user=hidden, active=False)
        with pytest.raises(accounts.StaffNotFound):
            accounts.staff_password_reset(actor=manager_alborz, user=hidden)
        with pytest.raises(accounts.StaffNotFound):
            accounts.staff_second_factor_reset(actor=manager_alborz, user=hidden)
    assert User.objects.filter(username__in=["kanoon_tehran", "manager", "both_provinces"], is_active=True).count() == 3


def test_a_national_manager_never_sees_a_superuser(manager):
    root = User.objects.create_superuser("root", "root@example.ir", "x-root-1405")
    assert not staff_visible_to(manager).filter(pk=root.pk).exists()
    with pytest.raises(accounts.StaffNotFound):
        accounts.staff_password_reset(actor=manager, user=root)


@pytest.mark.parametrize("username", ["kanoon_tehran", "branch_karaj", "auditor", "pr_staff"])
def test_staff_without_the_staff_page_change_nobody(world, username, manager):
    actor = User.objects.get(username=username)
    with pytest.raises(accounts.StaffRefused, match="اجازه مدیریت"):
        _clerk(actor)
    with pytest.raises(accounts.StaffRefused, match="اجازه مدیریت"):
        accounts.staff_active_set(actor=actor, user=manager, active=False)


def test_nobody_changes_their_own_role_or_deactivates_themselves(manager):
    with pytest.raises(accounts.StaffRefused, match="مدیر دیگری"):
        accounts.staff_active_set(actor=manager, user=manager, active=False)
    with pytest.raises(accounts.StaffRefused, match="مدیر دیگری"):
        accounts.staff_role_set(actor=manager, user=manager, role=roles.AUDITOR, offices=[])


@pytest.mark.parametrize(
    ("role", "offices", "message"),
    [
        (roles.KANOON_STAFF, [], "دست‌کم یک کانون"),
        (roles.BRANCH_STAFF, ["KRJ"], "جور نیست"),
        (roles.AUDITOR, ["KRJ"], "واحدی نمی‌گیرد"),
        ("مدیر کل", [], "شناخته نیست"),
    ],
)
def test_offices_must_fit_the_role(manager, role, offices, message):
    with pytest.raises(accounts.StaffRefused, match=message):
        _clerk(manager, role=role, offices=[_kanoon(code) for code in offices])


# -- passwords and the second factor ---------------------------------------------------------------------


def test_a_one_time_password_is_made_checked_by_sign_in_and_marked_temporary(manager, kanoon_karaj):
    mark = _mark()
    password = accounts.staff_password_reset(actor=manager, user=kanoon_karaj, reason="فراموشی رمز")

    kanoon_karaj.refresh_from_db()
    assert len(password) == accounts.TEMPORARY_PASSWORD_LENGTH
    assert kanoon_karaj.check_password(password) and not kanoon_karaj.check_password("demo-pass-1405")
    assert StaffProfile.objects.get(user=kanoon_karaj).password_temporary
    row = AuditEntry.objects.get(id__gt=mark, object_id=str(kanoon_karaj.pk))
    assert row.changes == [{"field": "رمز عبور", "old": "—", "new": "بازنشانی شد (رمز یک‌بار مصرف)"}]
    assert password not in str(row.changes) + row.reason


def test_a_password_the_administrator_types_passes_djangos_validators(manager, kanoon_karaj):
    from django.core.exceptions import ValidationError

    mark = _mark()
    with pytest.raises(ValidationError):
        accounts.staff_password_reset(actor=manager, user=kanoon_karaj, password="12345678")
    assert kanoon_karaj.check_password("demo-pass-1405")
    assert not AuditEntry.objects.filter(id__gt=mark).exists()


def test_a_second_factor_reset_removes_the_devices_and_is_recorded(manager, kanoon_karaj):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=kanoon_karaj, name="app", confirmed=True)
    mark = _mark()

    assert accounts.staff_second_factor_reset(actor=manager, user=kanoon_karaj, reason="گم شدن تلفن") == 1

    assert not TOTPDevice.objects.filter(user=kanoon_karaj).exists()
    row = AuditEntry.objects.get(id__gt=mark, object_id=str(kanoon_karaj.pk))
    assert row.changes == [{"field": "رمز دوم", "old": "۱ دستگاه", "new": "بازنشانی شد"}]


# -- the demo ---------------------------------------------------------------------------------------------


def test_the_demo_builds_its_staff_through_the_services_and_a_rerun_changes_nothing(world):
    from fixtures.demo import demo_world_ensure

    alborz = User.objects.get(username="manager_alborz")
    assert role_of(alborz) == roles.PROVINCE_MANAGER
    assert [p.code for p in offices_of(alborz).provinces] == ["30"]
    assert AuditEntry.objects.filter(object_id=str(alborz.pk), action=Action.STAFF_ROLE).count() == 1
    rows = AuditEntry.objects.count()

    demo_world_ensure()

    assert AuditEntry.objects.count() == rows
    for username in ("kanoon_tehran", "branch_karaj", "manager", "auditor", "pr_staff"):
        assert User.objects.get(username=username).check_password("demo-pass-1405")
