"""{% reports_home %}: the reports part of the admin home (enrollment/templates/admin/cartable_home.html)."""

from django import template

from enrollment import selectors
from enrollment.models import RequestStatus
from enrollment.reports.dashboard import dashboard_charts, dashboard_for, reconciliation_summary, scope_title

register = template.Library()


@register.inclusion_tag("admin/reports/dashboard/home.html", takes_context=True)
def reports_home(context) -> dict:
    """Managers get the dashboard: national ones (and auditors) the country's, a province manager their
    provinces'; branch staff a link to their monthly list."""
    user = context["request"].user
    if not selectors.sees_reports(user):
        return {"monthly_link": bool(selectors.scope_of(user).branch_ids)}
    dashboard = dashboard_for(user)
    if dashboard is None:
        return {}
    charts = dashboard_charts(dashboard)
    return {
        "dashboard": dashboard,
        "scope_title": scope_title(user),
        "charts": charts,
        "kanoon_waiting": dashboard.count_of(RequestStatus.KANOON_REVIEW),
        "branch_waiting": dashboard.count_of(RequestStatus.BRANCH_REVIEW),
        "accepted": dashboard.count_of(RequestStatus.ACCEPTED),
        "reconciliation": reconciliation_summary(dashboard.period_id, user),
        "offices": [
            {
                "key": "counties",
                "chart": charts["counties"],
                "rows": dashboard.counties,
                "waiting_heading": "در انتظار کانون",
            },
            {
                "key": "branches",
                "chart": charts["branches"],
                "rows": dashboard.branches,
                "waiting_heading": "در انتظار شعبه",
            },
        ],
        "backlogs": [
            {
                "key": "kanoons",
                "title": "قدیمی‌ترین صف‌های کانون‌ها",
                "heading": "کانون شهرستان",
                "status": RequestStatus.KANOON_REVIEW,
                "param": "county",
                "rows": dashboard.kanoon_backlog,
            },
            {
                "key": "branches",
                "title": "قدیمی‌ترین صف‌های شعب",
                "heading": "شعبه",
                "status": RequestStatus.BRANCH_REVIEW,
                "param": "branch",
                "rows": dashboard.branch_backlog,
            },
        ],
    }
