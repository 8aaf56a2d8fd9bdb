"""Contract periods in the admin, for managers: edit a period's rules, terms and rates while nothing has
accepted them, and run its year: the next period, activation, closing, the announcement, the rollover.

Once a period is frozen (see policies.models) its rules and coverage are read-only, its rates can be
neither added, changed nor deleted, and each terms version a request accepted is read-only; a new terms
version can always be added.
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from core import jalali
from core.admin_tools import PortalModelAdmin, PortalTabularInline, ScopedHistoryAdmin, jalali_column
from core.forms import JalaliDateTimeField
from core.text import to_persian_digits
from enrollment import selectors
from enrollment.deductions.rollover import rollover_check, rollover_preview, rollover_window_refusal
from enrollment.deductions.tasks import period_rollover_queue
from policies import services
from policies.models import (
    CHARGE_FIELDS,
    RATE_FIELDS,
    RULE_FIELDS,
    ContractPeriod,
    PremiumRate,
    TermsVersion,
)
from policies.selectors import period_previous
from portal import announcements


def _locks(period: ContractPeriod | None) -> tuple[str | None, str | None]:
    """Why the period's rules, and why its coverage and rates, are frozen (None: they are not). Asked once
    per admin page: the page and its inlines share the same object."""
    if period is None or period.pk is None:
        return None, None
    if not hasattr(period, "_admin_locks"):
        period._admin_locks = period.locked_reasons()
    return period._admin_locks


def _charges_locked(period: ContractPeriod | None) -> str | None:
    return _locks(period)[1]


def _admin_edit_reason(form) -> str:
    """The history reason of an edit in the admin: which fields changed, by their labels."""
    labels = "، ".join(str(form.fields[name].label) for name in form.changed_data if name in form.fields)
    return f"ویرایش در کارتابل: {labels}"


class AcceptedTermsForm(forms.ModelForm):
    """A terms version some request accepted is shown, never edited (its fields are disabled)."""

    accepted_ids: frozenset[int] = frozenset()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk in self.accepted_ids:
            for formfield in self.fields.values():
                formfield.disabled = True


class TermsVersionInline(PortalTabularInline):
    model = TermsVersion
    fields = ["version", "published_at", "text"]

    def get_formset(self, request, obj=None, **kwargs):
        accepted = frozenset()
        if obj is not None and obj.pk:
            accepted = frozenset(obj.terms.filter(accepted_at__isnull=False).values_list("pk", flat=True))
        kwargs["form"] = type("AcceptedTermsForm", (AcceptedTermsForm,), {"accepted_ids": accepted})
        return super().get_formset(request, obj, **kwargs)


class PremiumRateInline(PortalTabularInline):
    model = PremiumRate
    fields = list(RATE_FIELDS)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not _charges_locked(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _charges_locked(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _charges_locked(obj)


class NextPeriodForm(forms.Form):
    title = forms.CharField(label="عنوان دوره جدید", max_length=200)
    window_opens_at = JalaliDateTimeField(label="شروع مهلت ثبت درخواست")
    window_closes_at = JalaliDateTimeField(label="پایان مهلت ثبت درخواست")

    def clean(self):
        data = super().clean()
        opens, closes = data.get("window_opens_at"), data.get("window_closes_at")
        if opens and closes and closes <= opens:
            self.add_error("window_closes_at", "پایان مهلت ثبت درخواست باید بعد از شروع آن باشد.")
        return data


@admin.register(ContractPeriod)
class ContractPeriodAdmin(ScopedHistoryAdmin, PortalModelAdmin):
    list_display = ["title", "insurer", "is_active", "coverage_start_jalali", "window_opens", "window_closes"]
    list_filter = ["is_active"]
    search_fields = ["title", "insurer"]
    inlines = [TermsVersionInline, PremiumRateInline]
    actions = ["next_period_create", "activate", "close", "announce", "rollover"]
    readonly_fields = ["is_active", "rollover_state"]  # «فعال کردن» switches the active period in one transaction
    fieldsets = [
        (None, {"fields": ["title", "insurer", "directive_reference", "is_active"]}),
        ("پوشش و مهلت", {"fields": ["coverage_start", "coverage_end", "window_opens_at", "window_closes_at"]}),
        (
            "قواعد ثبت‌نام این دوره",
            {"fields": list(RULE_FIELDS)},
        ),
        ("مهلت رسیدگی", {"fields": ["kanoon_target_days", "branch_target_days"]}),
    ]

    coverage_start_jalali = jalali_column("coverage_start", "شروع پوشش")
    window_opens = jalali_column("window_opens_at", "شروع مهلت", with_time=True)
    window_closes = jalali_column("window_closes_at", "پایان مهلت", with_time=True)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        rules_locked, charges_locked = _locks(obj)
        frozen = (RULE_FIELDS if rules_locked else ()) + (CHARGE_FIELDS if charges_locked else ())
        return readonly + [name for name in frozen if name not in readonly]

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.append(("انتقال بیمه‌شدگان دوره قبل", {"fields": ["rollover_state"]}))
        locked = _charges_locked(obj)
        if not locked:
            return fieldsets
        return [(None, {"description": locked, "fields": []}), *fieldsets]

    @admin.display(description="آخرین انتقال به این دوره")
    def rollover_state(self, obj: ContractPeriod) -> str:
        """The last rollover job into this period, linked to the list where a failed one is started again."""
        job = obj.rollover_jobs.order_by("-created_at", "-id").first()
        if job is None:
            return "-"
        text = f"{job.get_status_display()} ({jalali.format_datetime(job.created_at)})"
        if job.error:
            text += f": {job.error}"
        url = reverse("admin:loans_rolloverjob_changelist") + f"?new_period__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, text)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _charges_locked(obj)

    def history_view(self, request, object_id, extra_context=None):
        """A period's history carries each rollover's report (national counts, names from every province):
        for those who see every scope, never a province manager."""
        if not selectors.user_sees_all(request.user):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not selectors.user_sees_all(request.user):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        """An edit goes through the guarded service (row lock, frozen fields refused, history reason)."""
        if not change or not form.changed_data:
            return super().save_model(request, obj, form, change)
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.period_update(period=obj, by=request.user, changes=changes, reason=_admin_edit_reason(form))

    # -- actions: one service call per period, one line of report per period ----------------------

    def _each(self, request, queryset, service, done) -> None:
        for period in queryset:
            try:
                outcome = service(period)
            except ValidationError as error:
                self.message_user(request, f"«{period.title}»: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, done(period, outcome), messages.SUCCESS)

    def _one(self, request, queryset, action_label: str) -> ContractPeriod | None:
        if queryset.count() != 1:
            self.message_user(request, f"برای «{action_label}» دقیقاً یک دوره را انتخاب کنید.", messages.ERROR)
            return None
        return queryset.get()

    @admin.action(description="ایجاد دوره بعد از روی این دوره", permissions=["add"])
    def next_period_create(self, request, queryset):
        """First POST shows the form for the new period's title and window; the second creates it."""
        current = self._one(request, queryset, "ایجاد دوره بعد")
        if current is None:
            return None
        form = NextPeriodForm(request.POST if "apply" in request.POST else None, initial=_next_initial(current))
        if form.is_valid():
            try:
                period = services.period_next_create(current=current, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                self.message_user(
                    request,
                    f"دوره «{period.title}» از روی «{current.title}» ساخته شد (غیرفعال). نرخ‌ها، قواعد و متن شرایط "
                    "آن را پیش از فعال کردن بازبینی کنید.",
                    messages.SUCCESS,
                )
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"ایجاد دوره بعد از روی «{current.title}»",
            "opts": self.model._meta,
            "current": current,
            "coverage_start": jalali.format_date(current.coverage_end + dt.timedelta(days=1)),
            "coverage_end": jalali.format_date(services.contract_end(current.coverage_end + dt.timedelta(days=1))),
            "form": form,
            "action_name": "next_period_create",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/policies/contractperiod/next_period_form.html", context)

    @admin.action(description="فعال کردن (دوره جاری)", permissions=["change"])
    def activate(self, request, queryset):
        period = self._one(request, queryset, "فعال کردن")
        if period is None:
            return
        self._each(
            request,
            [period],
            lambda p: services.period_activate(period=p, by=request.user),
            lambda p, _: f"«{p.title}» دوره جاری شد؛ دوره جاری پیشین از حالت جاری خارج شد.",
        )

    @admin.action(description="بستن دوره (پایان مهلت ثبت درخواست از همین حالا)", permissions=["change"])
    def close(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda p: services.period_close(period=p, by=request.user),
            lambda p, closed: (
                f"مهلت ثبت درخواست «{p.title}» در {jalali.format_datetime(closed.window_closes_at)} بسته شد."
            ),
        )

    @admin.action(description="اعلام دوره (پیش‌نویس اطلاعیه)", permissions=["change"])
    def announce(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda p: announcements.period_announce(period=p, by=request.user),
            lambda p, note: f"پیش‌نویس اطلاعیه «{note.title}» ساخته شد؛ روابط عمومی پس از بازبینی آن را منتشر می‌کند.",
        )

    @admin.action(description="انتقال بیمه‌شدگان دوره قبل به این دوره", permissions=["change"])
    def rollover(self, request, queryset):
        """The first POST opens the confirmation page (what will be carried, at which rates); its «تایید و شروع
        انتقال» queues the job. Refused, with the reason, while the period before still takes requests."""
        new = self._one(request, queryset, "انتقال بیمه‌شدگان")
        if new is None:
            return None
        old = period_previous(period=new)
        try:
            if old is None:
                raise ValidationError("دوره‌ای پیش از این دوره نیست که بیمه‌شدگانش منتقل شوند.")
            rollover_check(old=old, new=new)
            if refusal := rollover_window_refusal(old=old):
                raise ValidationError(refusal)
        except ValidationError as error:
            self.message_user(request, f"«{new.title}»: {' '.join(error.messages)}", messages.ERROR)
            return None
        if "confirm" not in request.POST:
            return self._rollover_confirmation(request, old, new)
        period_rollover_queue(old=old, new=new, by=request.user)
        self.message_user(
            request,
            f"انتقال بیمه‌شدگان «{old.title}» به «{new.title}» در صف اجرا قرار گرفت. پیشرفت آن در "
            "«انتقال‌ها به دوره جدید» دیده می‌شود و نتیجه در «تاریخچه» "
            f"دوره «{new.title}» ثبت می‌شود. نرخ‌های این دوره پس از انتقال قابل تغییر نیستند.",
            messages.SUCCESS,
        )
        return None

    def _rollover_confirmation(self, request, old: ContractPeriod, new: ContractPeriod) -> TemplateResponse:
        preview = rollover_preview(old=old, new=new)
        context = {
            **self.admin_site.each_context(request),
            "title": f"تایید انتقال بیمه‌شدگان «{old.title}» به «{new.title}»",
            "opts": self.model._meta,
            "preview": preview,
            "first_month": jalali.format_month(jalali.month_start(new.coverage_start)),
            "action_name": "rollover",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/policies/contractperiod/rollover_confirm.html", context)


def _next_initial(current: ContractPeriod) -> dict:
    start = jalali.to_jalali(current.coverage_end + dt.timedelta(days=1))
    years = f"{to_persian_digits(start.year)}-{to_persian_digits(start.year + 1)}"
    prefix = current.title.rsplit(" ", 1)[0] if current.title.rstrip()[-1:].isdigit() else current.title
    return {"title": f"{prefix} {years}"}


@admin.register(PremiumRate)
class PremiumRateAdmin(ScopedHistoryAdmin, PortalModelAdmin):
    list_display = ["period", "kind", "relation", "min_age", "max_age", "full_premium", "sso_subsidy", "insured_share"]
    list_select_related = ["period"]
    list_filter = ["period", "kind", "relation"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and _charges_locked(obj.period):
            return ["period", *RATE_FIELDS]
        return super().get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and _charges_locked(obj.period))

    def save_model(self, request, obj, form, change):
        """An edit goes through the guarded service (frozen rates refused, history reason)."""
        if not change or not form.changed_data:
            return super().save_model(request, obj, form, change)
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.premium_rate_update(rate=obj, by=request.user, changes=changes, reason=_admin_edit_reason(form))
