"""Everything that changes a staff account: creating it, its one role and its offices, its active flag, its
password and its second factor. The staff page, the file import and the demo all come here.

Each change is checked here (not only in a form): the actor must see the account (staff/selectors.py,
`staff_visible_to`) and may give only what they have (`powers_of`). Each is written to the audit log in the
same transaction, in words, and takes effect at once: the user's cached scope is dropped (also by
enrollment/signals.py), a changed password ends their other sessions, and a deactivated account is signed
out on its next request (enrollment/staff/sessions.py). An actor of None is the server itself (the demo,
manage.py): it may do everything.
"""

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import Action
from audit.record import Change, Offices, entry_record
from core.identity import normalize_mobile, normalize_national_code, validate_mobile, validate_national_code
from core.text import normalize_text, to_persian_digits
from enrollment import roles, selectors
from enrollment.models import Branch, Kanoon, Province, StaffProfile
from enrollment.staff import otp
from enrollment.staff.selectors import (
    Office,
    Powers,
    StaffOffices,
    office_identity,
    office_label,
    office_province_id,
    offices_of,
    powers_of,
    role_label,
    role_of,
    staff_visible_to,
)

OBJECT_KIND = "auth.user"
# One-time passwords: 12 characters from an alphabet without look-alikes (0/O, 1/l/I), easy to read aloud.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_PASSWORD_LENGTH = 12

Actor = AbstractBaseUser | None


class StaffRefused(Exception):
    """A change the actor may not make; the message is Persian and shown as it is."""


class StaffNotFound(StaffRefused):
    """The account is outside the actor's scope: it looks like it does not exist."""

    def __init__(self) -> None:
        super().__init__("چنین حسابی پیدا نشد.")


@dataclass(frozen=True)
class Identity:
    """Who the person is. Names, codes and numbers are normalized here whatever the script they came in."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    national_code: str = ""
    mobile: str = ""

    def normalized(self) -> "Identity":
        identity = Identity(
            first_name=normalize_text(self.first_name),
            last_name=normalize_text(self.last_name),
            email=self.email.strip().lower(),
            national_code=normalize_national_code(self.national_code),
            mobile=normalize_mobile(self.mobile) if self.mobile.strip() else "",
        )
        errors = {}
        for name, validate in (("national_code", validate_national_code), ("mobile", validate_mobile)):
            value = getattr(identity, name)
            if value:
                try:
                    validate(value)
                except ValidationError as error:
                    errors[name] = error.messages
        if errors:
            raise ValidationError(errors)
        return identity


_IDENTITY_LABELS = {
    "first_name": "نام",
    "last_name": "نام خانوادگی",
    "email": "رایانامه",
    "national_code": "کد ملی",
    "mobile": "تلفن همراه",
}


# -- checks -----------------------------------------------------------------------------------------------


def _powers_or_refuse(actor: Actor) -> Powers:
    powers = powers_of(actor)
    if powers is None:
        raise StaffRefused("شما اجازه مدیریت حساب‌های کارکنان را ندارید.")
    return powers


def _visible_or_not_found(actor: Actor, user: User) -> None:
    if actor is None:
        return
    if not staff_visible_to(actor).filter(pk=user.pk).exists():
        raise StaffNotFound


def _not_self(actor: Actor, user: User) -> None:
    if actor is not None and actor.pk == user.pk:
        raise StaffRefused("نقش، واحدها، فعال بودن، رمز و رمز دوم حساب خودتان را مدیر دیگری باید تغییر دهد.")


def staff_role_check(*, actor: Actor, role: str, offices: Sequence[Office]) -> None:
    """Refuses, in Persian, a role or an office the actor may not give, or offices that do not fit the role.

    The forms call it to show the message beside the field; staff_role_set calls it again before writing.
    """
    powers = _powers_or_refuse(actor)
    if role not in roles.ROLES:
        raise StaffRefused(f"نقش «{role}» شناخته نیست؛ یکی از این‌ها را بنویسید: {'، '.join(roles.ROLES)}.")
    if role not in powers.roles:
        allowed = "، ".join(f"«{r}»" for r in powers.roles)
        raise StaffRefused(f"شما نمی‌توانید نقش «{role}» بدهید؛ نقش‌هایی که می‌توانید بدهید: {allowed}.")
    kind = roles.OFFICE_KIND_OF_ROLE[role]
    expected = {roles.OfficeKind.KANOON: Kanoon, roles.OfficeKind.BRANCH: Branch, roles.OfficeKind.PROVINCE: Province}
    if kind is None:
        if offices:
            raise StaffRefused(f"نقش «{role}» در همه کشور کار می‌کند و واحدی نمی‌گیرد؛ واحدها را خالی بگذارید.")
        return
    wrong = [office for office in offices if not isinstance(office, expected[kind])]
    if wrong:
        raise StaffRefused(
            f"«{office_label(wrong[0])}» با نقش «{role}» جور نیست: {_kind_words(kind)} را برای این نقش بدهید."
        )
    if not offices:
        raise StaffRefused(f"برای نقش «{role}» دست‌کم {_one_kind_word(kind)} را بدهید.")
    if kind == roles.OfficeKind.PROVINCE and len(offices) > 1:
        raise StaffRefused("مدیر استان فقط یک استان می‌گیرد.")
    if powers.province_ids is not None:
        outside = [office for office in offices if office_province_id(office) not in powers.province_ids]
        if outside:
            raise StaffRefused(
                f"«{office_label(outside[0])}» در استان شما نیست؛ فقط واحدهای استان خودتان را می‌توانید بدهید."
            )


def _kind_words(kind: str) -> str:
    return {"kanoon": "کانون‌ها", "branch": "شعبه‌ها", "province": "یک استان"}[kind]


def _one_kind_word(kind: str) -> str:
    return {"kanoon": "یک کانون", "branch": "یک شعبه", "province": "یک استان"}[kind]


# -- the audit log ----------------------------------------------------------------------------------------


def _label(user: User) -> str:
    full = user.get_full_name().strip()
    return f"{full} ({user.username})" if full else user.username


def _actor_snapshot(actor: Actor) -> dict[str, str]:
    if actor is None:
        return {"actor_name": "سامانه"}
    if actor.is_superuser:
        return {"actor_role": "مدیر سامانه"}
    held = offices_of(actor)
    return {
        "actor_role": role_label(role_of(actor)),
        "actor_office": "، ".join(office_label(office) for office in held.all)[:300],
    }


def _by_province(offices: Iterable[Office]) -> dict[int, list[Office]]:
    grouped: dict[int, list[Office]] = {}
    for office in offices:
        grouped.setdefault(office_province_id(office), []).append(office)
    return grouped


def _offices_of_rows(offices: Sequence[Office]) -> list[Offices]:
    """Where a row about these offices belongs: one per province (so each province manager sees their part),
    with the Kanoon or branch when there is exactly one; no office at all is a national row."""
    rows = []
    for province_id, inside in sorted(_by_province(offices).items()):
        kanoons = {o.pk for o in inside if isinstance(o, Kanoon)}
        branches = {o.pk for o in inside if isinstance(o, Branch)}
        rows.append(
            Offices(
                province_id=province_id,
                kanoon_id=next(iter(kanoons)) if len(kanoons) == 1 else None,
                branch_id=next(iter(branches)) if len(branches) == 1 else None,
            )
        )
    return rows or [Offices()]


def _record(
    *, actor: Actor, user: User, action: str, changes: list[Change], reason: str, offices: Sequence[Office]
) -> None:
    snapshot = _actor_snapshot(actor)
    national_code = StaffProfile.objects.filter(user=user).values_list("national_code", flat=True).first() or ""
    for where in _offices_of_rows(offices):
        entry_record(
            actor=actor,
            object_kind=OBJECT_KIND,
            object_id=user.pk,
            object_label=_label(user),
            action=action,
            changes=changes,
            reason=reason,
            offices=where,
            national_code=national_code,
            **snapshot,
        )


def _names(offices: Iterable[Office]) -> str:
    return "، ".join(office_label(office) for office in offices) or "—"


def _forget_scope(user: User) -> None:
    """Now (the signals did too) and again after commit: a request between the two must not cache the old scope."""
    selectors.scope_forget(user.pk)
    transaction.on_commit(lambda: selectors.scope_forget(user.pk))


# -- services ---------------------------------------------------------------------------------------------


def staff_account_create(
    *, actor: Actor, username: str, identity: Identity, role: str, offices: Sequence[Office], reason: str = ""
) -> User:
    """A new staff account with one role and its offices. It has no usable password: an administrator gives a
    one-time password (staff_password_reset) when the person is ready to sign in."""
    _powers_or_refuse(actor)
    staff_role_check(actor=actor, role=role, offices=offices)
    username = normalize_text(username)
    try:
        User.username_validator(username)
    except ValidationError as error:
        raise StaffRefused(f"نام کاربری «{username}» پذیرفته نیست: فقط حروف، رقم و @ . + - _ بنویسید.") from error
    identity = identity.normalized()
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise StaffRefused(f"نام کاربری «{username}» پیش‌تر گرفته شده است.")
        _national_code_free(identity.national_code, None)
        user = User(
            username=username,
            first_name=identity.first_name,
            last_name=identity.last_name,
            email=identity.email,
            is_staff=True,
            is_active=True,
        )
        user.set_unusable_password()
        user.save()
        StaffProfile.objects.create(user=user, national_code=identity.national_code, mobile=identity.mobile)
        _record(
            actor=actor,
            user=user,
            action=Action.STAFF_ACCOUNT,
            changes=[Change("حساب", "—", "ساخته شد"), *_identity_changes(Identity(), identity)],
            reason=reason,
            offices=offices,
        )
        _role_apply(actor=actor, user=user, role=role, offices=offices, reason=reason)
    return user


def _national_code_free(code: str, user: User | None) -> None:
    if not code:
        return
    taken = StaffProfile.objects.filter(national_code=code)
    if user is not None:
        taken = taken.exclude(user=user)
    if taken.exists():
        raise StaffRefused(f"کد ملی {to_persian_digits(code)} از آنِ حساب دیگری است.")


def _identity_of(user: User) -> Identity:
    profile = StaffProfile.objects.filter(user=user).first()
    return Identity(
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        national_code=profile.national_code if profile else "",
        mobile=profile.mobile if profile else "",
    )


def _identity_changes(old: Identity, new: Identity) -> list[Change]:
    return [
        Change(label, to_persian_digits(getattr(old, name)) or "—", to_persian_digits(getattr(new, name)) or "—")
        for name, label in _IDENTITY_LABELS.items()
        if getattr(old, name) != getattr(new, name)
    ]


def staff_identity_set(*, actor: Actor, user: User, identity: Identity, reason: str = "") -> bool:
    """Name, e-mail, national code and mobile. True when something changed."""
    _powers_or_refuse(actor)
    _visible_or_not_found(actor, user)
    identity = identity.normalized()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        old = _identity_of(user)
        changes = _identity_changes(old, identity)
        if not changes:
            return False
        _national_code_free(identity.national_code, user)
        user.first_name, user.last_name, user.email = identity.first_name, identity.last_name, identity.email
        user.save(update_fields=["first_name", "last_name", "email"])
        StaffProfile.objects.update_or_create(
            user=user, defaults={"national_code": identity.national_code, "mobile": identity.mobile}
        )
        _record(
            actor=actor,
            user=user,
            action=Action.STAFF_ACCOUNT,
            changes=changes,
            reason=reason,
            offices=offices_of(user).all,
        )
    return True


def _office_give(user: User, office: Office, *, give: bool) -> None:
    if isinstance(office, Kanoon):
        (roles.kanoon_assign if give else roles.kanoon_unassign)(user=user, kanoon=office)
    elif isinstance(office, Branch):
        (roles.branch_assign if give else roles.branch_unassign)(user=user, branch=office)
    else:
        (roles.province_assign if give else roles.province_unassign)(user=user, province=office)


def staff_role_set(*, actor: Actor, user: User, role: str, offices: Sequence[Office], reason: str = "") -> bool:
    """Gives the user exactly this role (their one role group) and exactly these offices (the object
    permissions of enrollment/roles.py). Nothing changes, and nothing is recorded, when both are already so.
    True when something changed."""
    staff_role_check(actor=actor, role=role, offices=offices)
    _visible_or_not_found(actor, user)
    return _role_apply(actor=actor, user=user, role=role, offices=offices, reason=reason)


def _role_apply(*, actor: Actor, user: User, role: str, offices: Sequence[Office], reason: str) -> bool:
    groups = {group.name: group for group in Group.objects.filter(name__in=roles.ROLES)}
    if len(groups) < len(roles.ROLES):
        groups = roles.roles_ensure()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)  # one change of role at a time per account
        old_role = role_of(user)
        held_roles = {g.name for g in user.groups.filter(name__in=roles.ROLES)}
        held = offices_of(user)
        wanted = StaffOffices(
            kanoons=tuple(o for o in offices if isinstance(o, Kanoon)),
            branches=tuple(o for o in offices if isinstance(o, Branch)),
            provinces=tuple(o for o in offices if isinstance(o, Province)),
        )
        role_changed = held_roles != {role}
        offices_changed = held.identities() != wanted.identities()
        if role_changed or offices_changed:
            _not_self(actor, user)
        if role_changed:
            user.groups.remove(*(groups[name] for name in held_roles - {role}))
            user.groups.add(groups[role])
            _record(
                actor=actor,
                user=user,
                action=Action.STAFF_ROLE,
                changes=[Change("نقش", role_label(old_role), role)],
                reason=reason,
                offices=(*held.all, *wanted.all),
            )
        if offices_changed:
            for office in held.all:
                if office_identity(office) not in wanted.identities():
                    _office_give(user, office, give=False)
            for office in wanted.all:
                if office_identity(office) not in held.identities():
                    _office_give(user, office, give=True)
            _record_offices(actor=actor, user=user, old=held.all, new=wanted.all, reason=reason)
        if role_changed or offices_changed:
            _forget_scope(user)
    return role_changed or offices_changed


def _record_offices(*, actor: Actor, user: User, old: Sequence[Office], new: Sequence[Office], reason: str) -> None:
    """One row per province concerned, naming the offices of that province before and after."""
    old_by, new_by = _by_province(old), _by_province(new)
    for province_id in sorted(set(old_by) | set(new_by)):
        before, after = old_by.get(province_id, []), new_by.get(province_id, [])
        if {office_identity(o) for o in before} == {office_identity(o) for o in after}:
            continue
        _record(
            actor=actor,
            user=user,
            action=Action.STAFF_OFFICES,
            changes=[Change("واحدها", _names(before), _names(after))],
            reason=reason,
            offices=[*before, *after],
        )


def staff_active_set(*, actor: Actor, user: User, active: bool, reason: str = "") -> bool:
    """Deactivates (or activates again) an account. A deactivated account cannot sign in and is signed out
    of every session on its next request. True when the flag changed."""
    _powers_or_refuse(actor)
    _visible_or_not_found(actor, user)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.is_active == active:
            return False
        _not_self(actor, user)
        user.is_active = active
        user.save(update_fields=["is_active"])
        _record(
            actor=actor,
            user=user,
            action=Action.STAFF_ACCOUNT,
            changes=[Change("وضعیت حساب", _active_word(not active), _active_word(active))],
            reason=reason,
            offices=offices_of(user).all,
        )
        _forget_scope(user)
    return True


def _active_word(active: bool) -> str:
    return "فعال" if active else "غیرفعال"


def temporary_password_new() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(TEMPORARY_PASSWORD_LENGTH))


def staff_password_reset(*, actor: Actor, user: User, password: str | None = None, reason: str = "") -> str:
    """A new password for the user: the one given (checked by Django's validators) or a one-time password made
    here. Either way it is temporary: its first sign-in leads to the password change page. Returned to be
    shown once; never stored but as its hash. Every other session of the user ends (Django's session hash)."""
    _powers_or_refuse(actor)
    _visible_or_not_found(actor, user)
    _not_self(actor, user)
    chosen = password if password else temporary_password_new()
    if password:
        validate_password(password, user)
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        user.set_password(chosen)
        user.save(update_fields=["password"])
        StaffProfile.objects.update_or_create(user=user, defaults={"password_temporary": True})
        how = "رمز تعیین‌شده مدیر" if password else "رمز یک‌بار مصرف"
        _record(
            actor=actor,
            user=user,
            action=Action.STAFF_ACCOUNT,
            changes=[Change("رمز عبور", "—", f"بازنشانی شد ({how})")],
            reason=reason,
            offices=offices_of(user).all,
        )
    return chosen


def staff_password_changed(*, user: User) -> None:
    """The user chose their own password: it is no longer temporary."""
    StaffProfile.objects.filter(user=user, password_temporary=True).update(password_temporary=False)


def staff_password_temporary(user: User) -> bool:
    return StaffProfile.objects.filter(user=user, password_temporary=True).exists()


def staff_second_factor_reset(*, actor: Actor, user: User, reason: str = "", by: str = "") -> int:
    """Removes the user's authenticator app and recovery codes (a lost phone); their next sign-in enrols a new
    one. Returns how many devices were removed; recorded even when there were none."""
    _powers_or_refuse(actor)
    _visible_or_not_found(actor, user)
    _not_self(actor, user)
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        removed = otp.staff_otp_reset(user=user, by=by or (actor.get_username() if actor else "سامانه"))
        _record(
            actor=actor,
            user=user,
            action=Action.STAFF_ACCOUNT,
            changes=[Change("رمز دوم", f"{to_persian_digits(removed)} دستگاه", "بازنشانی شد")],
            reason=reason,
            offices=offices_of(user).all,
        )
    return removed
