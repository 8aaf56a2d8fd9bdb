"""The auditors' page: the log's filters, its keyset pages, and each entry in words.

Pages follow (at, id) from the newest: «قدیمی‌تر» carries the last entry's position and «جدیدتر» the first's,
so a page deep in tens of millions of rows is one range scan of an index, as cheap as the first; no page
counts the log. Each filter has an index that leads with its column and ends with (at, id).
"""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from audit.models import Action, ActorKind, AuditEntry
from core import jalali
from core.forms import JalaliDateField
from core.text import normalize_digits_only, normalize_text

PAGE_SIZE = 50
STAFF_KIND = "auth.user"
ANY = [("", "همه")]

ACTOR_KIND_NAMES = {ActorKind.PENSIONER: "مستمری‌بگیر", ActorKind.SYSTEM: "سامانه"}


def object_kinds() -> list[tuple[str, str]]:
    """Every kind of object the log records, by its name in Persian."""
    from audit.history import audited_models
    from audit.render import object_kind

    kinds = [(object_kind(model), str(model._meta.verbose_name)) for model in audited_models()]
    return sorted([*kinds, (STAFF_KIND, "حساب کارمند")], key=lambda kind: kind[1])


def kind_label(kind: str) -> str:
    if kind == STAFF_KIND:
        return "حساب کارمند"
    try:
        return str(apps.get_model(kind)._meta.verbose_name)
    except (LookupError, ValueError):
        return kind


@dataclass(frozen=True)
class Offices:
    """The offices a user may filter the log by: (id, name) pairs from the scope selector."""

    provinces: list[tuple[int, str]]
    kanoons: list[tuple[int, str]]
    branches: list[tuple[int, str]]


def _choices(pairs: list[tuple[int, str]]) -> list[tuple[str, str]]:
    return ANY + [(str(pk), name) for pk, name in pairs]


class LogFilter(forms.Form):
    actor = forms.CharField(label="انجام‌دهنده (نام کاربری)", required=False, max_length=150)
    province = forms.TypedChoiceField(label="استان", required=False, coerce=int, empty_value=None)
    kanoon = forms.TypedChoiceField(label="کانون", required=False, coerce=int, empty_value=None)
    branch = forms.TypedChoiceField(label="شعبه", required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(label="نوع موضوع", required=False)
    action = forms.ChoiceField(label="نوع تغییر", required=False, choices=ANY + Action.choices)
    since = JalaliDateField(label="از تاریخ", required=False, help_text="مثلاً ۱۴۰۵/۰۹/۰۱")
    until = JalaliDateField(label="تا تاریخ", required=False)
    code = forms.CharField(label="کد ملی یا کد رهگیری", required=False, max_length=40)

    def __init__(self, data, *, offices: Offices):
        super().__init__(data)
        self.fields["province"].choices = _choices(offices.provinces)
        self.fields["kanoon"].choices = _choices(offices.kanoons)
        self.fields["branch"].choices = _choices(offices.branches)
        self.fields["kind"].choices = ANY + object_kinds()

    def clean_actor(self) -> int | None:
        username = normalize_text(self.cleaned_data["actor"])
        if not username:
            return None
        user_id = get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()
        if user_id is None:
            raise forms.ValidationError("کارمندی با این نام کاربری یافت نشد.")
        return user_id

    def clean_code(self) -> tuple[str, str] | None:
        code = normalize_digits_only(self.cleaned_data["code"])
        if not code:
            return None
        if code.isdigit() and len(code) == 10:
            return ("national_code", code)
        if code.isdigit() and len(code) == 12:
            return ("tracking_code", code)
        raise forms.ValidationError("کد ملی ده‌رقمی یا کد رهگیری دوازده‌رقمی وارد کنید.")

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "«تا تاریخ» نباید پیش از «از تاریخ» باشد.")
        return data

    def apply(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        """The entries the valid filters choose (call after is_valid())."""
        data = self.cleaned_data
        filters = {
            "actor_id": data.get("actor"),
            "province_id": data.get("province"),
            "kanoon_id": data.get("kanoon"),
            "branch_id": data.get("branch"),
            "object_kind": data.get("kind") or None,
            "action": data.get("action") or None,
        }
        entries = entries.filter(**{name: value for name, value in filters.items() if value is not None})
        if data.get("code"):
            column, code = data["code"]
            entries = entries.filter(**{column: code})
        if data.get("since"):
            entries = entries.filter(at__gte=_day_start(data["since"]))
        if data.get("until"):
            entries = entries.filter(at__lt=_day_start(data["until"] + dt.timedelta(days=1)))
        return entries

    def query(self) -> str:
        """The filters as a query string, without the page's position: the export's and the links' own."""
        return _encode({name: self.data.get(name) for name in self.fields if self.data.get(name)})


def _encode(values: dict[str, str]) -> str:
    query = QueryDict(mutable=True)
    for name, value in values.items():
        query[name] = value
    return query.urlencode()


def _day_start(day: dt.date) -> dt.datetime:
    """A Jalali day runs from midnight in Tehran."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def entries_filtered(entries: QuerySet[AuditEntry], query: str, *, offices: Offices) -> QuerySet[AuditEntry]:
    """The entries a query string of the page chooses; none when its filters are not valid (the export's rows)."""
    form = LogFilter(QueryDict(query), offices=offices)
    return form.apply(entries) if form.is_valid() else entries.none()


# -- keyset pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    at: dt.datetime
    id: int

    def token(self) -> str:
        stamp = self.at.astimezone(dt.UTC)
        return f"{int(stamp.timestamp())}.{stamp.microsecond:06d}.{self.id}"

    @classmethod
    def parse(cls, token: str | None) -> "Position | None":
        try:
            seconds, micro, pk = (int(part) for part in (token or "").split("."))
            at = dt.datetime.fromtimestamp(seconds, tz=dt.UTC).replace(microsecond=micro)
        except (ValueError, OverflowError, OSError):
            return None
        return cls(at, pk)

    @classmethod
    def of(cls, entry: AuditEntry) -> "Position":
        return cls(entry.at, entry.pk)


@dataclass(frozen=True)
class Page:
    entries: list[AuditEntry]
    newer: Position | None  # show the page before this one (entries newer than the first here)
    older: Position | None


def page_of(
    entries: QuerySet[AuditEntry],
    *,
    before: Position | None = None,
    after: Position | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """One page, newest first: the first page, the one `before` a position (older) or `after` it (newer).
    `at <= x` ahead of the tie-break lets PostgreSQL start the index scan at the position."""
    if after is not None:
        rows = list(
            entries.filter(Q(at__gt=after.at) | Q(at=after.at, id__gt=after.id), at__gte=after.at).order_by("at", "id")[
                : size + 1
            ]
        )
        more = len(rows) > size
        rows = rows[:size][::-1]
        return Page(rows, Position.of(rows[0]) if more and rows else None, Position.of(rows[-1]) if rows else None)
    if before is not None:
        entries = entries.filter(Q(at__lt=before.at) | Q(at=before.at, id__lt=before.id), at__lte=before.at)
    rows = list(entries.order_by("-at", "-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    newer = Position.of(rows[0]) if before is not None and rows else None
    return Page(rows, newer, Position.of(rows[-1]) if more else None)


# -- an entry in words -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryView:
    when: str
    who: str
    role: str
    office: str
    kind: str
    label: str
    url: str
    action: str
    changes: list[dict]
    reason: str
    version_url: str


def entry_view(entry: AuditEntry) -> EntryView:
    return EntryView(
        when=jalali.format_datetime(entry.at),
        who=who_of(entry),
        role=entry.actor_role,
        office=entry.actor_office,
        kind=kind_label(entry.object_kind),
        label=entry.object_label,
        url=_admin_url(entry.object_kind, "change", entry.object_id),
        action=_action_label(entry.action),
        changes=list(entry.changes),
        reason=entry.reason,
        version_url=_admin_url(entry.object_kind, "simple_history", entry.object_id, entry.history_id)
        if entry.history_id
        else "",
    )


def who_of(entry: AuditEntry) -> str:
    if entry.actor_kind == ActorKind.STAFF:
        return entry.actor_name or "کارمند"
    name = ACTOR_KIND_NAMES.get(entry.actor_kind, "سامانه")
    if entry.actor_kind == ActorKind.SYSTEM and entry.actor_name:
        return f"{name} (به درخواست {entry.actor_name})"
    return name


ACTION_LABELS = dict(Action.choices)


def _action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, "تغییر"))


def _admin_url(kind: str, view: str, *args: object) -> str:
    app_label, _, model_name = kind.partition(".")
    try:
        return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)
    except NoReverseMatch:
        return ""
