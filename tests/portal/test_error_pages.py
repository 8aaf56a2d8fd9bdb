"""The 400, 403, 404, 500 and 503 pages: Persian, right to left, the site's look, and no database."""

import pytest
from django.test import Client

pytestmark = pytest.mark.urls("tests.portal.error_urls")

PAGES = {
    400: ("۴۰۰", "درخواست نامعتبر است"),
    403: ("۴۰۳", "دسترسی به این صفحه ممکن نیست"),
    404: ("۴۰۴", "صفحه پیدا نشد"),
    500: ("۵۰۰", "خطایی در سامانه رخ داد"),
    503: ("۵۰۳", "سامانه موقتاً در دسترس نیست"),
}


def _assert_persian_error_page(response, status: int) -> None:
    assert response.status_code == status
    page = response.content.decode()
    digits, title = PAGES[status]
    assert '<html lang="fa" dir="rtl">' in page
    assert "portal/css/site.css" in page  # the stylesheet carries Vazirmatn
    assert f"خطای {digits}" in page and f"<h1>{title}</h1>" in page
    assert str(status) not in page  # the code in Persian digits only
    assert "خروج" not in page  # no session was read, so nobody is shown as signed in


@pytest.mark.django_db
def test_404_is_persian_and_reads_no_database(django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(0):
        response = client.get("/no-such-page/")
    _assert_persian_error_page(response, 404)


@pytest.mark.django_db
def test_an_admin_404_shows_the_same_page(admin_client):
    _assert_persian_error_page(admin_client.get("/admin/no-such-page/"), 404)


@pytest.mark.django_db
def test_403_is_persian_and_reads_no_database(django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(0):
        response = client.get("/fails/forbidden/")
    _assert_persian_error_page(response, 403)
    assert "not yours" not in response.content.decode()


@pytest.mark.django_db
def test_400_is_persian_and_reads_no_database(django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(0):
        response = client.get("/", headers={"host": "not-our-host.example"})  # DisallowedHost
    _assert_persian_error_page(response, 400)


@pytest.mark.django_db
def test_500_is_persian_and_reads_no_database(django_assert_num_queries):
    client = Client(raise_request_exception=False)
    with django_assert_num_queries(0):
        response = client.get("/fails/bug/")
    _assert_persian_error_page(response, 500)
    assert "a bug" not in response.content.decode()
