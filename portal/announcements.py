"""The announcement of a contract period's window: written from the period, reviewed and published by
public-relations staff on the pensioner's home page."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import jalali
from policies.models import ContractPeriod
from policies.selectors import period_previous
from portal.models import Announcement


@transaction.atomic
def period_announce(*, period: ContractPeriod, by: AbstractBaseUser | None) -> Announcement:
    """An unpublished announcement of the period's window for public-relations staff to review and publish."""
    period = ContractPeriod.objects.get(pk=period.pk)  # the window as stored, not as the caller last saw it
    now = timezone.now()
    if period.window_closes_at <= now:
        raise ValidationError(f"مهلت ثبت درخواست دوره «{period.title}» به پایان رسیده است؛ اطلاعیه‌ای ساخته نشد.")
    return Announcement.objects.create(
        title=f"ثبت‌نام و انصراف بیمه تکمیلی: {period.title}"[:200],
        body=announcement_text(period),
        publish_from=now,
        publish_until=period.window_closes_at,
        is_published=False,
        created_by=by,
    )


def announcement_text(period: ContractPeriod) -> str:
    paragraphs = [
        f"ثبت‌نام و انصراف غیرحضوری بیمه تکمیلی درمان و بیمه عمر مستمری‌بگیران و افراد تبعی آنان برای «{period.title}» "
        f"از {jalali.format_datetime(period.window_opens_at)} تا {jalali.format_datetime(period.window_closes_at)} "
        "در همین درگاه انجام می‌شود.",
        f"این قرارداد از {jalali.format_long_date(period.coverage_start)} "
        f"تا {jalali.format_long_date(period.coverage_end)} با {period.insurer} برقرار است "
        "و حق بیمه به صورت ماهانه از مستمری کسر می‌شود.",
    ]
    if period_previous(period=period):
        paragraphs.append(
            "کسانی که در دوره قبل عضو بوده‌اند لازم نیست درخواست جدید ثبت کنند؛ عضویت آنان ادامه می‌یابد و حق بیمه "
            "با نرخ دوره جدید کسر می‌شود. برای انصراف یا ثبت‌نام افراد دیگر خانواده در مهلت بالا اقدام کنید."
        )
    paragraphs.append(
        "برای ورود، کد ملی خود را وارد کنید تا کد یک‌بارمصرف به شماره همراه ثبت‌شده در پرونده مستمری پیامک شود؛ "
        "سپس «مستمری‌بگیران - بیمه تکمیلی درمان و عمر مستمری‌بگیران و افراد تبعی» را انتخاب کنید."
    )
    return "\n\n".join(paragraphs)
