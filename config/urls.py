from django.contrib import admin
from django.urls import include, path

from enrollment import metrics
from portal.views import health, my_requests, public, signin, wizard

admin.site.site_header = "بیمه تکمیلی مستمری‌بگیران"
admin.site.site_title = "کارتابل بیمه تکمیلی"
admin.site.index_title = "کارتابل"

public_pages = [
    path("", public.home, name="home"),
    path("help/", public.help_page, name="help"),
    path("announcements/<int:pk>/", public.announcement, name="announcement"),
    path("login/", signin.login, name="login"),
    path("login/code/", signin.login_code, name="login_code"),
    path("login/code/resend/", signin.login_code_resend, name="login_code_resend"),
    path("logout/", signin.logout, name="logout"),
    path("enrollment/", wizard.start, name="wizard"),
    path("enrollment/terms/", wizard.step_terms, name="step_terms"),
    path("enrollment/my-data/", wizard.step_data, name="step_data"),
    path("enrollment/my-data/mismatch/", wizard.data_mismatch, name="data_mismatch"),
    path("enrollment/people/", wizard.step_people, name="step_people"),
    path("enrollment/review/", wizard.step_review, name="step_review"),
    path("enrollment/done/<str:tracking_code>/", wizard.done, name="done"),
    path("requests/", my_requests.request_list, name="requests"),
    path("requests/<str:tracking_code>/cancel/", my_requests.request_cancel, name="request_cancel"),
]

handler500 = "portal.views.errors.server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/reports/", include("enrollment.reports.dashboard_views")),
    path("admin/", admin.site.urls),
    path("", include((public_pages, "portal"))),
]
