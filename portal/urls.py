from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "بیمه تکمیلی مستمری‌بگیران"
admin.site.site_title = "کارتابل بیمه تکمیلی"
admin.site.index_title = "کارتابل"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
