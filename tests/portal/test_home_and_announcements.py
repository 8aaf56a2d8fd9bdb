"""The home page (the service entry, announcements in their window), the help page, and the PR staff's admin."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from core.jalali import format_date
from enrollment import roles
from policies import services
from portal.models import Announcement

MENU_NAME = "مستمری‌بگیران - بیمه تکمیلی درمان و عمر مستمری‌بگیران و افراد تبعی"


def _text(response) -> str:
    return response.content.decode()


def _announcement(title: str, *, published=True, start=-1, end=None) -> Announcement:
    now = timezone.now()
    return Announcement.objects.create(
        title=title,
        body="متن اطلاعیه ۱۴۰۵",
        is_published=published,
        publish_from=now + dt.timedelta(days=start),
        publish_until=None if end is None else now + dt.timedelta(days=end),
    )


def test_home_offers_the_service_under_the_directives_menu_name(client, world):
    page = _text(client.get("/"))
    assert MENU_NAME in page
    assert f'href="{reverse("portal:wizard")}"' in page
    assert f'href="{reverse("portal:requests")}"' in page and "درخواست‌های من" in page
    assert f'href="{reverse("portal:help")}"' in page


def test_home_shows_only_announcements_inside_their_window_with_jalali_dates(client, world):
    live = _announcement("ثبت‌نام آغاز شد")
    _announcement("هنوز منتشر نشده", published=False)
    _announcement("برای فردا", start=1)
    _announcement("تمام شده", start=-10, end=-1)
    page = _text(client.get("/"))
    assert "ثبت‌نام آغاز شد" in page and format_date(live.publish_from) in page
    assert "هنوز منتشر نشده" not in page and "برای فردا" not in page and "تمام شده" not in page


def test_an_unpublished_announcement_is_missing_for_the_public_and_a_preview_for_pr_staff(client, world):
    draft = _announcement("پیش‌نویس اطلاعیه", published=False)
    assert client.get(draft.get_absolute_url()).status_code == 404
    staff = User.objects.create_user("pr", password="x", is_staff=True)
    staff.groups.add(roles.roles_ensure()[roles.PR_STAFF])
    client.force_login(staff)
    page = _text(client.get(draft.get_absolute_url()))
    assert "پیش‌نویس اطلاعیه" in page and "پیش‌نمایش" in page


def test_the_help_page_is_there(client, world):
    page = _text(client.get(reverse("portal:help")))
    assert "راهنما" in page and "کد تایید" in page


@pytest.fixture
def pr_user(world):
    return User.objects.get(username="pr_staff")


def test_pr_staff_publish_announcements_in_the_admin_with_a_preview_link(client, pr_user):
    client.force_login(pr_user)
    response = client.post(
        reverse("admin:portal_announcement_add"),
        {
            "title": "اطلاعیه تازه",
            "body": "متن",
            "is_published": "on",
            "publish_from": "۱۴۰۵/۰۹/۰۱ ۰۸:۰۰",
            "publish_until": "",
        },
    )
    assert response.status_code == 302, _text(response)
    item = Announcement.objects.get(title="اطلاعیه تازه")
    assert item.created_by == pr_user and format_date(item.publish_from) == "۱۴۰۵/۰۹/۰۱"
    change_page = _text(client.get(reverse("admin:portal_announcement_change", args=[item.pk])))
    assert f'href="{item.get_absolute_url()}"' in change_page and "پیش‌نمایش" in change_page
    listing = _text(client.get(reverse("admin:portal_announcement_changelist")))
    assert f'href="{item.get_absolute_url()}"' in listing
    assert set(pr_user.get_all_permissions()) >= {
        "portal.add_announcement",
        "portal.change_announcement",
        "portal.view_announcement",
        "portal.delete_announcement",
    }


def test_an_announcement_ending_before_it_starts_is_refused(client, pr_user):
    client.force_login(pr_user)
    response = client.post(
        reverse("admin:portal_announcement_add"),
        {"title": "x", "body": "y", "publish_from": "۱۴۰۵/۰۹/۱۰ ۰۸:۰۰", "publish_until": "۱۴۰۵/۰۹/۰۱ ۰۸:۰۰"},
    )
    assert response.status_code == 200 and "«نمایش تا» باید بعد از «نمایش از» باشد." in _text(response)
    assert not Announcement.objects.exists()


@pytest.mark.parametrize(
    ("opens", "closes", "says"),
    [
        (-40, -1, "مهلت ثبت درخواست به پایان رسیده است."),
        (3, 30, "مهلت ثبت درخواست هنوز آغاز نشده است."),
    ],
)
def test_home_says_when_the_window_is_not_open_with_its_dates_before_any_sign_in(client, world, opens, closes, says):
    now = timezone.now()
    opens_at, closes_at = now + dt.timedelta(days=opens), now + dt.timedelta(days=closes)
    changes = {"window_opens_at": opens_at, "window_closes_at": closes_at}
    services.period_update(period=world, by=None, changes=changes, reason="مهلت")
    page = client.get(reverse("portal:home")).content.decode()
    assert says in page
    assert format_date(opens_at) in page and format_date(closes_at) in page
