"""Every admin URL, as every staff role, with GET and POST: nothing out of scope is shown, nothing changes.

The URLs come from the project's own URL tree under /admin/ (every ModelAdmin's get_urls(), the site's
own views, and the report pages beside it), so a ModelAdmin or view added later is covered without
editing this file. Ids are filled from a province none of the scoped roles works in (Isfahan); the same
URL with an id that exists nowhere must answer exactly the same.
"""

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from core import jalali
from core.admin_tools import PortalModelAdmin
from core.text import to_persian_digits
from enrollment import roles, selectors, workflow
from enrollment.deductions.models import DeductionDocument
from enrollment.models import (
    Branch,
    BulkMoveJob,
    BulkMoveLine,
    County,
    Dependent,
    EnrollmentRequest,
    Kanoon,
    Pensioner,
    Province,
)
from enrollment.reports.models import ExportFormat, ExportJob, ExportKind, ExportStatus
from enrollment.sms.models import OutboxMessage
from policies.models import ContractPeriod, PremiumRate, Relation
from portal.models import Announcement
from tests.enrollment.conftest import file_request

ROLES = ["kanoon_tehran", "branch_tehran", "manager_alborz", "pr_staff", "no_office", "auditor", "manager"]
MISSING_ID = "987654321"
ATTACK_MOBILE = "09139990000"
ATTACK_CODE = "0010009972"  # a valid national code that is nobody's
ATTACK_TEXT = "نفوذگر"
# Tables a request may touch without changing anything the product keeps: sessions and sign-in records.
NOT_FINGERPRINTED = {"sessions.session", "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog"}


# -- the other province ----------------------------------------------------------------------------------


@dataclass
class Isfahan:
    """Records of a province that kanoon_tehran, branch_tehran, manager_alborz and pr_staff do not work in."""

    targets: dict[type[models.Model], models.Model]
    sentinels: list[str] = field(default_factory=list)


def _isfahan_build(world) -> Isfahan:
    province = Province.objects.create(code="10", name="اصفهان")
    county = County.objects.create(code="ISF", name="اصفهان", province=province)
    kanoon = Kanoon.objects.create(county=county, name="کانون بازنشستگان شهرستان اصفهان")
    branch = Branch.objects.create(
        code="6001", name="شعبه آزمون‌ناپیدا اصفهان", address="اصفهان، چهارباغ", phone="03132200001", province=province
    )
    pensioner = Pensioner.objects.create(
        national_code="0010009999",
        pension_number="900009999",
        first_name="کیوان",
        last_name="زرین‌کلک",
        father_name="بهرام",
        birth_date=dt.date(1955, 3, 1),
        gender="male",
        mobile="09135550101",
        paying_branch=branch,
        county=county,
    )
    spouse = Dependent.objects.create(
        pensioner=pensioner,
        national_code="0010009980",
        first_name="پروین",
        last_name="زرین‌کلک",
        relation=Relation.SPOUSE,
        gender="female",
        birth_date=dt.date(1959, 5, 5),
    )
    clerk = User.objects.create_user("kanoon_isfahan", password="x-isfahan-1", is_staff=True)
    clerk.groups.add(Group.objects.get(name=roles.KANOON_STAFF), Group.objects.get(name=roles.BRANCH_STAFF))
    roles.kanoon_assign(user=clerk, kanoon=kanoon)
    roles.branch_assign(user=clerk, branch=branch)
    accepted = file_request(pensioner)
    workflow.request_kanoon_approve(request_id=accepted.pk, by=clerk)
    workflow.request_branch_accept(request_id=accepted.pk, by=clerk)
    pensioner.refresh_from_db()
    job = ExportJob.objects.create(
        user=clerk, kind=ExportKind.PENSIONERS, file_format=ExportFormat.CSV, status=ExportStatus.DONE
    )
    job.file.save("isfahan.csv", ContentFile(b"0010009999"), save=True)
    bulk = BulkMoveJob.objects.create(
        user=clerk, move="kanoon_approve", selected_ids=[accepted.pk], total=1, processed=1, refused=1, status="done"
    )
    BulkMoveLine.objects.create(
        job=bulk, request_id=accepted.pk, tracking_code=accepted.tracking_code, outcome="refused", reason="-"
    )
    targets = {
        Province: province,
        County: county,
        Kanoon: kanoon,
        Branch: branch,
        Pensioner: pensioner,
        Dependent: spouse,
        EnrollmentRequest: accepted,
        DeductionDocument: DeductionDocument.objects.filter(pensioner=pensioner).first(),
        ExportJob: job,
        BulkMoveJob: bulk,
        OutboxMessage: OutboxMessage.objects.filter(mobile=pensioner.mobile).first(),
        ContractPeriod: world,
        PremiumRate: PremiumRate.objects.first(),
        Announcement: Announcement.objects.create(title="اطلاعیه آزمون", body="متن", is_published=False),
        User: clerk,
        Group: Group.objects.first(),
    }
    codes = [pensioner.national_code, spouse.national_code, pensioner.mobile, accepted.tracking_code]
    sentinels = [*codes, *(to_persian_digits(code) for code in codes), pensioner.last_name, branch.name]
    return Isfahan(targets=targets, sentinels=sentinels)


@pytest.fixture
def isfahan(world) -> Isfahan:
    return _isfahan_build(world)


@pytest.fixture
def staff(world) -> dict[str, User]:
    users = {name: User.objects.get(username=name) for name in ROLES if name != "no_office"}
    users["no_office"] = User.objects.create_user("no_office", password="x-nobody-1", is_staff=True)
    return users


# -- the URLs, from the URL tree itself ------------------------------------------------------------------


@dataclass(frozen=True)
class AdminUrl:
    route: str  # e.g. "admin/enrollment/pensioner/<path:object_id>/history/<str:version_id>/"
    name: str
    model: type[models.Model] | None


def _walk(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        route = prefix + _route_text(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        else:
            yield route, entry


def _route_text(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return str(pattern)
    assert isinstance(pattern, RegexPattern)
    text = str(pattern).lstrip("^").rstrip("$").replace("\\", "")
    # simple-history's per-version page: two unnamed groups, the object and the version.
    for name in ("object_id", "version_id"):
        text = text.replace("([^/]+)", f"<{name}>", 1)
    return text


def admin_urls() -> list[AdminUrl]:
    by_prefix = {f"admin/{m._meta.app_label}/{m._meta.model_name}/": m for m in admin.site._registry}
    found = []
    for route, entry in _walk(get_resolver().url_patterns):
        if not route.startswith("admin/"):
            continue
        model = next((m for prefix, m in by_prefix.items() if route.startswith(prefix)), None)
        found.append(AdminUrl(route=route, name=entry.name or "", model=model))
    return found


def test_the_url_list_covers_every_registered_model_admin_and_its_own_urls():
    urls = admin_urls()
    routes = {url.route for url in urls}
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        for pattern in model_admin.get_urls():
            assert prefix + _route_text(pattern.pattern) in routes, (model, pattern)
    assert any(route.startswith("admin/reports/") for route in routes)


# -- filling a route ---------------------------------------------------------------------------------------

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _fill(route: str, values: dict[str, str]) -> str:
    return "/" + _PARAM.sub(lambda m: values[m.group(1) or m.group(2)], route)


def _history_id(obj: models.Model) -> str:
    history = getattr(obj, "history", None)
    first = history.order_by("history_id").first() if history is not None else None
    return str(first.history_id) if first else MISSING_ID


def _variants(url: AdminUrl, isfahan: Isfahan) -> Iterator[tuple[str, str | None]]:
    """(the URL with Isfahan's ids, the same URL with ids that exist nowhere, or None when it has no id)."""
    names = [m.group(1) or m.group(2) for m in _PARAM.finditer(url.route)]
    target = isfahan.targets.get(url.model)
    base = {
        "object_id": str(target.pk) if target else MISSING_ID,
        "version_id": _history_id(target) if target else MISSING_ID,
        "job_id": str(isfahan.targets[ExportJob].pk),
        "content_type_id": str(ContentType.objects.get_for_model(Pensioner).pk),
        "url": "no-such-page/",
    }
    base["id"] = base["object_id"]  # the user admin's password page
    missing = {**base, "object_id": MISSING_ID, "version_id": MISSING_ID, "job_id": MISSING_ID, "id": MISSING_ID}
    if "content_type_id" in names:
        base["object_id"] = str(isfahan.targets[Pensioner].pk)
    choices = {
        "move": [*workflow.MOVES, "claim"],
        "app_label": sorted({m._meta.app_label for m in admin.site._registry}),
    }
    expand = [name for name in names if name in choices]
    combos = [{}]
    for name in expand:
        combos = [{**combo, name: value} for combo in combos for value in choices[name]]
    has_id = any(name in ("object_id", "version_id", "job_id", "id") for name in names)
    for combo in combos:
        yield _fill(url.route, {**base, **combo}), (_fill(url.route, {**missing, **combo}) if has_id else None)


# -- what an attacker sends -------------------------------------------------------------------------------


def _form_value(value) -> str:
    if isinstance(value, dt.datetime):
        return jalali.format_datetime(value, persian=False)
    if isinstance(value, dt.date):
        return jalali.format_date(value, persian=False)
    if isinstance(value, bool):
        return "on" if value else ""
    return "" if value is None else str(value)


def _payload(target: models.Model | None, sentinels: list[str]) -> dict:
    """The target's own fields as its form would send them, rewritten as an attacker wants (their own
    mobile, code and names: the page echoing a POST back is then no leak), every inline's management
    form, and the fields of every confirmation and move page."""
    data: dict = {
        "post": "yes",
        "_change_history": "1",
        "_save": "1",
        "reason_code": "other",
        "note": "attack",
        "reject_note": "attack",
        "export_format": "csv",
        "is_published": "on",
    }
    if target is not None:
        for model_field in target._meta.concrete_fields:
            if model_field.primary_key:
                continue
            value = _form_value(getattr(target, model_field.attname))
            if any(sentinel in value for sentinel in sentinels):
                value = {"national_code": ATTACK_CODE, "mobile": ATTACK_MOBILE}.get(model_field.name, ATTACK_TEXT)
            data[model_field.name] = value
        for relation in target._meta.related_objects:
            prefix = relation.get_accessor_name()
            data.update(
                {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
            )
    return data


def _actions(model: type[models.Model] | None) -> list[str]:
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        return []
    return sorted({"delete_selected", *(a if isinstance(a, str) else a.__name__ for a in model_admin.actions or [])})


# -- what must hold ------------------------------------------------------------------------------------


def fingerprint() -> dict[str, list]:
    """Every row of every table the product keeps (but sessions, sign-in records and last_login)."""
    rows = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in NOT_FINGERPRINTED or model._meta.proxy:
            continue
        columns = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
        rows[label] = list(model._base_manager.order_by("pk").values_list(*columns))
    return rows


def _body(response) -> str:
    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    return content.decode("utf-8", errors="replace")


def _shape(response, *ids: str) -> tuple:
    """A response with the ids taken out: what tells "out of scope" from "does not exist" if anything."""
    location = response.get("Location", "")
    for value in ids:
        location = location.replace(value, "ID")
    return response.status_code, location


@dataclass
class Findings:
    leaks: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    tells: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cases: int = 0


# Rows of these belong to an office: outside the user's offices they must look like they do not exist.
# Staff accounts too: a province manager manages only the accounts whose offices all lie in their province.
SCOPED = (
    Pensioner,
    Dependent,
    EnrollmentRequest,
    DeductionDocument,
    Kanoon,
    Branch,
    ExportJob,
    BulkMoveJob,
    OutboxMessage,
    User,
)


def _must_look_missing(user: User, url: AdminUrl) -> bool:
    """Isfahan's office rows for everyone who does not see all; any row of our own admins for a user who may
    not view that model at all (the stock auth and django-q pages are superuser tools)."""
    if selectors.user_sees_all(user) or url.model is None:
        return False
    if url.model in SCOPED:
        return True
    model_admin = admin.site._registry[url.model]
    return isinstance(model_admin, PortalModelAdmin) and not user.has_perm(
        f"{url.model._meta.app_label}.view_{url.model._meta.model_name}"
    )


def _writable(user: User, model: type[models.Model] | None) -> bool:
    """Whether the role may legitimately change this model's rows through its admin pages (they do not
    count as a hole): national managers on what they manage, PR on announcements."""
    if model is None or user.is_superuser:
        return False
    opts = model._meta
    may = any(user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}") for action in ("add", "change", "delete"))
    return may and (selectors.user_sees_all(user) or model not in SCOPED)


def _is_version_page(url: AdminUrl) -> bool:
    return "version_id" in url.route


def _check(client, user: User, url: AdminUrl, isfahan: Isfahan, findings: Findings) -> None:
    sees_all = selectors.user_sees_all(user)
    may_write = _writable(user, url.model) and not _is_version_page(url)
    target = isfahan.targets.get(url.model)
    for path, missing_path in _variants(url, isfahan):
        pensioner = isfahan.targets[Pensioner]
        requests = [("GET", path, {})]
        if "<" not in url.route and url.route.endswith("/") and url.model is not None:
            requests.append(("GET", f"{path}?q={pensioner.national_code}", {"echo": pensioner.national_code}))
        if url.route == "admin/autocomplete/":
            requests += [
                (
                    "GET",
                    f"{path}?app_label={m._meta.app_label}&model_name={m._meta.model_name}&field_name={f}&term={t}",
                    {"echo": t},
                )
                for m, model_admin in admin.site._registry.items()
                for f in model_admin.autocomplete_fields
                for t in (pensioner.national_code, pensioner.last_name)
            ]
        if not url.route.endswith("logout/"):
            payload = _payload(target, isfahan.sentinels)
            requests.append(("POST", path, payload))
            for action in _actions(url.model) if url.name.endswith("_changelist") else []:
                selected = [str(target.pk)] if target else [MISSING_ID]
                requests.append(
                    ("POST", path, {**payload, "action": action, "_selected_action": selected, "index": "0"})
                )
        before = None if may_write else fingerprint()
        for method, address, data in requests:
            client.force_login(user)
            response = client.get(address) if method == "GET" else client.post(address, data)
            findings.cases += 1
            where = f"{user.username} {method} {address} {data.get('action', '')}"
            if response.status_code >= 500:
                findings.errors.append(f"{where}: {response.status_code}")
            if not sees_all:
                body = _body(response) + response.get("Location", "")
                leaked = [s for s in isfahan.sentinels if s in body and s != data.get("echo")]
                if leaked:
                    findings.leaks.append(f"{where}: {leaked}")
        if before is not None and fingerprint() != before:
            findings.writes.append(f"{user.username} {path}")
            return  # what changed would mislead the cases that follow
        if missing_path and _must_look_missing(user, url):
            client.force_login(user)
            ids = [v for v in re.findall(r"\d+", path) if v not in re.findall(r"\d+", url.route)]
            seen, absent = client.get(path), client.get(missing_path)
            if _shape(seen, *ids) != _shape(absent, MISSING_ID):
                findings.tells.append(
                    f"{user.username} GET {path}: {_shape(seen, *ids)} vs {_shape(absent, MISSING_ID)}"
                )


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_url_as_every_role_shows_nothing_out_of_scope_and_changes_nothing(client, isfahan, staff, role):
    user = staff[role]
    findings = Findings()
    for url in admin_urls():
        _check(client, user, url, isfahan, findings)
    print(f"{role}: {findings.cases} URL x method cases")
    assert findings.errors == []
    assert findings.leaks == []
    assert findings.writes == []
    assert findings.tells == []
    assert findings.cases > 100


# -- the province manager and the neighbouring province ---------------------------------------------------


def _tehran_build(world) -> Isfahan:
    """Pensioner A's whole story in Tehran (request accepted, deduction documents, SMS, an export of the Tehran
    clerk's), as the records that manager_alborz, who manages Alborz, must never see."""
    pensioner = Pensioner.objects.get(national_code="0010000011")
    kanoon_clerk, branch_clerk = User.objects.get(username="kanoon_tehran"), User.objects.get(username="branch_tehran")
    accepted = file_request(pensioner)
    workflow.request_kanoon_approve(request_id=accepted.pk, by=kanoon_clerk)
    workflow.request_branch_accept(request_id=accepted.pk, by=branch_clerk)
    job = ExportJob.objects.create(
        user=kanoon_clerk, kind=ExportKind.PENSIONERS, file_format=ExportFormat.CSV, status=ExportStatus.DONE
    )
    job.file.save("tehran.csv", ContentFile(b"0010000011"), save=True)
    kanoon = Kanoon.objects.get(county__code="TEH")
    dependents = list(pensioner.dependents.all())
    targets = {
        Province: kanoon.county.province,
        County: kanoon.county,
        Kanoon: kanoon,
        Branch: pensioner.paying_branch,
        Pensioner: pensioner,
        Dependent: dependents[0],
        EnrollmentRequest: accepted,
        DeductionDocument: DeductionDocument.objects.filter(pensioner=pensioner).first(),
        ExportJob: job,
        OutboxMessage: OutboxMessage.objects.filter(request=accepted).first(),
        ContractPeriod: world,
        PremiumRate: PremiumRate.objects.first(),
        Announcement: Announcement.objects.create(title="اطلاعیه آزمون", body="متن", is_published=False),
        User: kanoon_clerk,
        Group: Group.objects.first(),
    }
    codes = [pensioner.national_code, pensioner.mobile, accepted.tracking_code, *(d.national_code for d in dependents)]
    names = [
        pensioner.last_name,
        kanoon.name,
        *Branch.objects.filter(province=kanoon.county.province).values_list("name", flat=True),
        *County.objects.filter(province=kanoon.county.province).values_list("name", flat=True).exclude(code="TEH"),
    ]
    return Isfahan(targets=targets, sentinels=[*codes, *(to_persian_digits(code) for code in codes), *names])


def test_every_admin_url_as_the_alborz_manager_shows_nothing_of_tehran_and_changes_nothing(client, world, staff):
    tehran = _tehran_build(world)
    user = staff["manager_alborz"]
    assert selectors.is_province_manager(user)
    findings = Findings()
    for url in admin_urls():
        _check(client, user, url, tehran, findings)
    assert findings.errors == []
    assert findings.leaks == []
    assert findings.writes == []
    assert findings.tells == []
    assert findings.cases > 100
