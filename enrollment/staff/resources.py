"""Onboarding staff from a file (CSV or XLSX) with django-import-export, through staff/accounts.py.

One row per account: username, names, national code and mobile (optional), the role's Persian name, its
offices as codes (county codes for Kanoons, branch codes, a province code; several separated by «،» or ","),
and «فعال» (بله/خیر, empty is بله). Digits may be Persian, Arabic or Latin, letters Arabic «ي»/«ك».

The file is all or nothing: the dry run shows every row's Persian errors, the confirmation imports in one
transaction, and any error leaves everything as it was. A row equal to the account as it stands is
skipped, so importing the same file again writes nothing, not even an audit row. Passwords are never in
the file: new accounts have none until an administrator gives each a one-time password on the staff page
(the action «ساخت رمز یک‌بار مصرف»), which shows it once.
"""

import io
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponse
from import_export import resources
from import_export.fields import Field
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import RowResult
from tablib import Dataset

from core.importing import AllOrNothingImport, blank_rows_drop
from core.text import normalize_text, to_persian_digits
from core.widgets import cell_text
from enrollment import roles
from enrollment.models import Branch, Kanoon, Province, StaffProfile
from enrollment.staff import accounts
from enrollment.staff.selectors import Office, office_identity, offices_of, powers_of, role_of, staff_visible_to

IMPORT_REASON = "ورود کارکنان از فایل"
OFFICE_SEPARATORS = ("،", ",", "؛", ";")

COLUMNS = {
    "username": "نام کاربری",
    "first_name": "نام",
    "last_name": "نام خانوادگی",
    "national_code": "کد ملی",
    "mobile": "همراه",
    "role": "نقش",
    "offices": "واحدها",
    "active": "فعال",
}


@dataclass(frozen=True)
class StaffRow:
    username: str
    identity: accounts.Identity
    role: str
    offices: tuple[Office, ...]
    active: bool


class StaffResource(AllOrNothingImport, resources.Resource):
    username = Field(column_name=COLUMNS["username"])
    first_name = Field(column_name=COLUMNS["first_name"])
    last_name = Field(column_name=COLUMNS["last_name"])
    national_code = Field(column_name=COLUMNS["national_code"])
    mobile = Field(column_name=COLUMNS["mobile"])
    role = Field(column_name=COLUMNS["role"])
    offices = Field(column_name=COLUMNS["offices"])
    active = Field(column_name=COLUMNS["active"])

    class Meta:
        name = "کارکنان"
        instance_loader_class = BaseInstanceLoader

    @classmethod
    def get_display_name(cls) -> str:
        """The admin's import form names each resource (a method of ModelResource only)."""
        return cls._meta.name

    def __init__(self, *, actor: AbstractBaseUser | None = None, **kwargs):
        """`actor`: the administrator importing; their powers bound every row (None: the server itself)."""
        super().__init__(**kwargs)
        self.actor = actor

    def before_import(self, dataset: Dataset, **kwargs) -> None:
        if dataset.headers:
            dataset.headers = [normalize_text(h.lstrip("\ufeff")) if isinstance(h, str) else h for h in dataset.headers]
        blank_rows_drop(dataset)
        missing = [column for column in COLUMNS.values() if column not in (dataset.headers or [])]
        if missing:
            del dataset[:]
            raise ValueError("این ستون‌ها در فایل نیست: " + "، ".join(f"«{column}»" for column in missing))
        if powers_of(self.actor) is None:
            del dataset[:]
            raise ValueError("شما اجازه مدیریت حساب‌های کارکنان را ندارید.")
        # The few offices of the country, by code, read once: no query per row.
        self._kanoons = {k.county.code: k for k in Kanoon.objects.select_related("county")}
        self._branches = {b.code: b for b in Branch.objects.all()}
        self._provinces = {p.code: p for p in Province.objects.all()}
        usernames = [normalize_text(cell_text(value)) for value in dataset[COLUMNS["username"]]]
        self._existing = {u.username: u for u in User.objects.filter(username__in=usernames)}
        self._first_row_of: dict[str, int] = {}

    # -- one row ------------------------------------------------------------------------------------------

    def import_row(self, row, instance_loader, **kwargs) -> RowResult:
        result = self.get_row_result_class()()
        number = kwargs["row_number"]
        try:
            parsed = self._parse(row, number)
            user = self._existing.get(parsed.username)
            if user is not None and not staff_visible_to(self.actor).filter(pk=user.pk).exists():
                # An account the importer may not see: the name is taken, and that is all they learn.
                raise ValidationError({COLUMNS["username"]: "نام کاربری گرفته شده است؛ نام دیگری بنویسید."})
            result.import_type = self._apply(parsed, user)
            user = user or User.objects.get(username=parsed.username)
            result.add_instance_info(user)
            result.instance = user
            result.diff = [cell_text(row.get(column)) for column in COLUMNS.values()]
        except ValidationError as error:
            result.import_type = RowResult.IMPORT_TYPE_INVALID
            result.validation_error = error
        except accounts.StaffRefused as refused:
            result.import_type = RowResult.IMPORT_TYPE_INVALID
            result.validation_error = ValidationError({NON_FIELD_ERRORS: [str(refused)]})
        return result

    def _parse(self, row, number: int) -> StaffRow:
        errors: dict[str, list[str]] = {}

        def cell(name: str) -> str:
            return normalize_text(cell_text(row.get(COLUMNS[name])))

        username = cell("username")
        if not username:
            errors.setdefault(COLUMNS["username"], []).append("نام کاربری خالی است.")
        else:
            try:
                User.username_validator(username)
            except ValidationError:
                errors.setdefault(COLUMNS["username"], []).append(
                    "نام کاربری فقط از حروف، رقم و @ . + - _ تشکیل می‌شود."
                )
            first = self._first_row_of.setdefault(username, number)
            if first != number:
                errors.setdefault(COLUMNS["username"], []).append(
                    f"نام کاربری تکراری در فایل: «{username}» (همان ردیف {to_persian_digits(first)})"
                )
        for name in ("first_name", "last_name"):
            if not cell(name):
                errors.setdefault(COLUMNS[name], []).append("خالی است.")
        identity = accounts.Identity(
            first_name=cell("first_name"),
            last_name=cell("last_name"),
            email=self._existing[username].email if username in self._existing else "",
            national_code=cell("national_code"),
            mobile=cell("mobile"),
        )
        try:
            identity = identity.normalized()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault(COLUMNS[name], []).extend(messages)
        role = cell("role")
        offices = self._offices(role, cell("offices"), errors)
        active = self._active(cell("active"), errors)
        if role and COLUMNS["role"] not in errors and COLUMNS["offices"] not in errors:
            try:
                accounts.staff_role_check(actor=self.actor, role=role, offices=offices)
            except accounts.StaffRefused as refused:
                errors.setdefault(COLUMNS["role"], []).append(str(refused))
        if errors:
            raise ValidationError(errors)
        return StaffRow(username=username, identity=identity, role=role, offices=offices, active=active)

    def _offices(self, role: str, text: str, errors: dict) -> tuple[Office, ...]:
        if not role:
            errors.setdefault(COLUMNS["role"], []).append("نقش خالی است.")
            return ()
        if role not in roles.ROLES:
            errors.setdefault(COLUMNS["role"], []).append(
                f"نقش «{role}» شناخته نیست؛ یکی از این‌ها را بنویسید: {'، '.join(roles.ROLES)}."
            )
            return ()
        for separator in OFFICE_SEPARATORS[1:]:
            text = text.replace(separator, OFFICE_SEPARATORS[0])
        codes = [code.strip() for code in text.split(OFFICE_SEPARATORS[0]) if code.strip()]
        kind = roles.OFFICE_KIND_OF_ROLE[role]
        if kind is None:
            return ()
        table, what = {
            roles.OfficeKind.KANOON: (self._kanoons, "کانونی برای شهرستانی با کد"),
            roles.OfficeKind.BRANCH: (self._branches, "شعبه‌ای با کد"),
            roles.OfficeKind.PROVINCE: (self._provinces, "استانی با کد"),
        }[kind]
        unknown = [code for code in codes if code not in table]
        for code in unknown:
            errors.setdefault(COLUMNS["offices"], []).append(f"{what} «{to_persian_digits(code)}» پیدا نشد.")
        return tuple(dict.fromkeys(table[code] for code in codes if code in table))

    def _active(self, text: str, errors: dict) -> bool:
        if text in ("", "بله"):
            return True
        if text == "خیر":
            return False
        errors.setdefault(COLUMNS["active"], []).append(f"«{text}» پذیرفته نیست؛ «بله» یا «خیر» بنویسید.")
        return True

    def _apply(self, row: StaffRow, user: User | None) -> str:
        """Creates or updates the account through the services; nothing at all when it is already so."""
        if user is None:
            created = accounts.staff_account_create(
                actor=self.actor,
                username=row.username,
                identity=row.identity,
                role=row.role,
                offices=row.offices,
                reason=IMPORT_REASON,
            )
            if not row.active:
                accounts.staff_active_set(actor=self.actor, user=created, active=False, reason=IMPORT_REASON)
            return RowResult.IMPORT_TYPE_NEW
        if self._unchanged(row, user):
            return RowResult.IMPORT_TYPE_SKIP
        accounts.staff_identity_set(actor=self.actor, user=user, identity=row.identity, reason=IMPORT_REASON)
        accounts.staff_role_set(actor=self.actor, user=user, role=row.role, offices=row.offices, reason=IMPORT_REASON)
        accounts.staff_active_set(actor=self.actor, user=user, active=row.active, reason=IMPORT_REASON)
        return RowResult.IMPORT_TYPE_UPDATE

    def _unchanged(self, row: StaffRow, user: User) -> bool:
        profile = StaffProfile.objects.filter(user=user).first()
        held = offices_of(user)
        return (
            (user.first_name, user.last_name, user.is_active)
            == (row.identity.first_name, row.identity.last_name, row.active)
            and (profile.national_code if profile else "", profile.mobile if profile else "")
            == (row.identity.national_code, row.identity.mobile)
            and role_of(user) == row.role
            and {g.name for g in user.groups.all()} & set(roles.ROLES) == {row.role}
            and held.identities() == {office_identity(office) for office in row.offices}
        )

    def after_import(self, dataset, result, **kwargs) -> None:
        """Nothing: no sequence to reset (ids never come from the file)."""


def template_response(file_format: str) -> HttpResponse:
    """An empty file with the header row, to fill in and import."""
    dataset = Dataset(headers=list(COLUMNS.values()))
    if file_format == "xlsx":
        buffer = io.BytesIO(dataset.export("xlsx"))
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        body = buffer.getvalue()
    else:
        body = ("\ufeff" + dataset.export("csv")).encode("utf-8")  # the BOM: Excel then reads it as UTF-8
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="staff-template.{file_format}"'
    return response
