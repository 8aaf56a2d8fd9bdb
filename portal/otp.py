"""Signing in with a one-time code sent by SMS to the mobile on file (issue 3, item 1).

A code is 6 digits from `secrets`, stored only as an HMAC keyed with SECRET_KEY, valid for
LOGIN_CODE_TTL_SECONDS, void after LOGIN_CODE_MAX_ATTEMPTS wrong tries or one use. A national code
gets at most LOGIN_CODES_PER_NATIONAL_CODE codes per window (counted in the database) and an address
at most LOGIN_CODES_PER_IP requests (counted in the cache, shared across processes in production).

A national code that is not in the registry gets the same answer, the same limits and a code row of
its own (never sent, never matching); its "masked mobile" is a stable decoy, so the pages never tell
whether a national code exists. Its request also does the same database work, query for query (see
login_code_request), so the time of the answer does not tell either.

The limits hold under concurrency: everything that counts or spends a national code's allowance runs
under one lock per national code (_serialize). And a national code takes at most
LOGIN_CODE_FAILURES_PER_DAY wrong codes in 24 hours, whatever the number of codes they were spread
over (NIST SP 800-63B §5.2.2); past that no code is issued and none is accepted until the oldest of
those failures is a day old.
"""

import datetime as dt
import math
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from core import jalali
from core.queries import KeyedRead
from core.ratelimit import LimitsUnavailable, limit_hit
from core.text import normalize_digits_only, to_persian_digits
from enrollment.models import Pensioner
from enrollment.sms.services import sms_decoy_after_commit, sms_queue
from portal.models import LoginCode

UNAVAILABLE = "ورود به سامانه لحظاتی در دسترس نیست. لطفاً چند دقیقه دیگر دوباره تلاش کنید."
CODE_SENT = "اگر کد ملی در سامانه ثبت باشد، کد تایید به شماره همراه ثبت‌شده پیامک شد."
_DECOY_PREFIXES = ("0912", "0913", "0915", "0919", "0935", "0936", "0937", "0938", "0939", "0901", "0990")
DAY = dt.timedelta(hours=24)
# The first key of this module's PostgreSQL advisory locks: keeps them apart from any other user's.
_LOCK_SPACE = 0x6F7470  # "otp"


class LoginRefused(Exception):
    """A code request or a code that is refused; `message` is Persian and fit to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CodeSent:
    issued: bool  # False: the previous code is still fresh, so no new SMS was sent
    expires_at: dt.datetime
    resend_at: dt.datetime
    masked_mobile: str  # what the code page shows: the number on file, or for an unknown code its decoy


# The pensioner a national code names: the mobile alone where the code is sent, the row at sign-in.
_MOBILE_OF = KeyedRead(
    lambda national_code: Pensioner.objects.filter(national_code=national_code).only("mobile").order_by()[:1]
)
_PENSIONER_OF = KeyedRead(lambda national_code: Pensioner.objects.filter(national_code=national_code).order_by()[:1])


def _fa(value: int) -> str:
    return to_persian_digits(value)


def _code_hash(national_code: str, code: str) -> str:
    return salted_hmac("portal.otp.login_code", f"{national_code}:{code}", algorithm="sha256").hexdigest()


def login_code_latest(national_code: str) -> LoginCode | None:
    return LoginCode.objects.filter(national_code=national_code).order_by("-created_at", "-id").first()


def resend_at(login_code: LoginCode) -> dt.datetime:
    return login_code.created_at + dt.timedelta(seconds=settings.LOGIN_CODE_RESEND_SECONDS)


def _serialize(national_code: str) -> None:
    """Holds every other request or check for this national code until the caller's transaction ends.

    Counting the codes of the window and inserting the next one must be one step, or concurrent
    requests all count the same few codes and all insert a new one. On PostgreSQL
    this is a transaction-level advisory lock on a hash of the national code: one round trip, no row,
    released by the commit or rollback, and the same cost for a national code that is in the registry
    and one that is not (a row per national code to lock would have to be created first, and only for
    some). Two national codes whose hashes collide merely wait for each other. On SQLite (the demo)
    the settings open every transaction IMMEDIATE, which takes the database's write lock at BEGIN:
    transactions are already one at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCK_SPACE, national_code])


def _locked_out(national_code: str, now: dt.datetime) -> LoginRefused:
    """The refusal once the day's failures reached the cap, saying when the oldest ones stop counting."""
    cap = settings.LOGIN_CODE_FAILURES_PER_DAY
    codes = list(
        LoginCode.objects.filter(national_code=national_code, created_at__gt=now - DAY, attempts__gt=0)
        .order_by("created_at")
        .values_list("created_at", "attempts")
    )
    failures, reopens_at = sum(attempts for _, attempts in codes), now
    for created_at, attempts in codes:
        failures -= attempts
        if failures < cap:
            reopens_at = created_at + DAY
            break
    minutes = max(1, math.ceil((reopens_at - now).total_seconds() / 60))
    wait = f"{_fa(minutes)} دقیقه" if minutes < 60 else f"{_fa(math.ceil(minutes / 60))} ساعت"
    return LoginRefused(
        f"برای این کد ملی در ۲۴ ساعت گذشته {_fa(cap)} بار کد تایید نادرست وارد شده است. "
        f"برای حفاظت از حساب، ورود با آن تا {wait} دیگر بسته است؛ "
        f"لطفاً از {jalali.format_datetime(reopens_at)} دوباره تلاش کنید."
    )


def login_code_request(*, national_code: str, ip: str) -> CodeSent:
    """Issues a code for a (checked) national code and queues its SMS in the same transaction.

    A registered and an unknown national code take the same path and the same queries: the lock, the
    registry lookup, the day's codes (the latest, the day's failures and the window's count), the code's
    insert, and then either the SMS's insert into the outbox or, for nobody, an update of the same
    weight; after the commit both hand one send task to the queue (for nobody, one that sends nothing).
    """
    window = settings.LOGIN_CODE_LIMIT_WINDOW_SECONDS
    try:
        within = limit_hit(scope="login-code-ip", key=ip, limit=settings.LOGIN_CODES_PER_IP, window_seconds=window)
    except LimitsUnavailable:
        raise LoginRefused(UNAVAILABLE) from None
    if not within:
        raise LoginRefused(
            "از این اتصال اینترنت درخواست‌های زیادی برای کد تایید رسیده است. "
            f"لطفاً {_fa(math.ceil(window / 60))} دقیقه دیگر دوباره تلاش کنید."
        )
    with transaction.atomic():
        _serialize(national_code)
        now = timezone.now()  # after the wait for the lock: the codes it counts may be that recent
        pensioner = _MOBILE_OF.row(national_code=national_code)
        since = now - dt.timedelta(seconds=window)
        # The codes of the day (and of the window, were it longer), newest first, read with one plain query
        # and counted here: the window's allowance caps them (3 a quarter of an hour: at most 288 a day).
        codes = list(
            LoginCode.objects.filter(national_code=national_code, created_at__gt=min(now - DAY, since)).order_by(
                "-created_at", "-id"
            )
        )
        latest = codes[0] if codes else None  # an older code expired long ago: it changes nothing here
        if sum(c.attempts for c in codes if c.created_at > now - DAY) >= settings.LOGIN_CODE_FAILURES_PER_DAY:
            raise _locked_out(national_code, now)
        if latest and _usable(latest, now) and now < resend_at(latest):
            return CodeSent(
                issued=False,
                expires_at=latest.expires_at,
                resend_at=resend_at(latest),
                masked_mobile=_masked_mobile(national_code, pensioner),
            )
        in_window = [c.created_at for c in codes if c.created_at > since]
        if len(in_window) >= settings.LOGIN_CODES_PER_NATIONAL_CODE:
            minutes = max(1, math.ceil((min(in_window) + dt.timedelta(seconds=window) - now).total_seconds() / 60))
            raise LoginRefused(
                f"برای این کد ملی در {_fa(window // 60)} دقیقه گذشته "
                f"{_fa(settings.LOGIN_CODES_PER_NATIONAL_CODE)} بار کد تایید فرستاده شده است. "
                f"لطفاً {_fa(minutes)} دقیقه دیگر دوباره تلاش کنید."
            )
        code = f"{secrets.randbelow(10**6):06d}"
        login_code = LoginCode.objects.create(
            national_code=national_code,
            code_hash=_code_hash(national_code, code),
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.LOGIN_CODE_TTL_SECONDS),
        )
        if pensioner is not None:
            sms_queue(mobile=pensioner.mobile, template="login_code", code=code)
        else:
            # No SMS to nobody; in its place a write of the same weight and the same hand-over to a
            # worker after commit, so the answer takes as long (bench/signin_timing.py measures it).
            LoginCode.objects.filter(pk=login_code.pk).update(expires_at=login_code.expires_at)
            sms_decoy_after_commit()
    return CodeSent(
        issued=True,
        expires_at=login_code.expires_at,
        resend_at=resend_at(login_code),
        masked_mobile=_masked_mobile(national_code, pensioner),
    )


def _usable(login_code: LoginCode, now: dt.datetime) -> bool:
    return (
        login_code.used_at is None
        and now < login_code.expires_at
        and login_code.attempts < settings.LOGIN_CODE_MAX_ATTEMPTS
    )


def login_code_verify(*, national_code: str, code: str) -> Pensioner:
    """The pensioner the code signs in, or LoginRefused; a wrong try is counted even though it is refused.

    Past the day's cap of wrong codes even the right code is refused.
    """
    code = normalize_digits_only(code or "")
    max_attempts = settings.LOGIN_CODE_MAX_ATTEMPTS
    too_many = f"این کد تایید پس از {_fa(max_attempts)} بار ورود نادرست باطل شد. لطفاً کد تازه بخواهید."
    with transaction.atomic():
        _serialize(national_code)
        now = timezone.now()
        # The day's codes, newest first and locked: the latest is the one to check, and their wrong tries
        # count against the day's cap. One plain query; the window's allowance caps the rows, as above.
        codes = list(
            LoginCode.objects.select_for_update()
            .filter(national_code=national_code, created_at__gt=now - DAY)
            .order_by("-created_at", "-id")
        )
        login_code = codes[0] if codes else None  # a code older than a day expired long ago
        failures = sum(c.attempts for c in codes)
        if failures >= settings.LOGIN_CODE_FAILURES_PER_DAY:
            raise _locked_out(national_code, now)
        if login_code is None:
            raise LoginRefused("ابتدا کد ملی خود را وارد کنید تا کد تایید برایتان پیامک شود.")
        if login_code.used_at is not None:
            raise LoginRefused("این کد تایید قبلاً استفاده شده است. لطفاً کد تازه بخواهید.")
        if now >= login_code.expires_at:
            raise LoginRefused(
                f"مهلت {_fa(settings.LOGIN_CODE_TTL_SECONDS // 60)} دقیقه‌ای این کد تایید تمام شده است. "
                "لطفاً «ارسال دوباره کد» را بزنید."
            )
        if login_code.attempts >= max_attempts:
            raise LoginRefused(too_many)
        if constant_time_compare(login_code.code_hash, _code_hash(national_code, code)):
            pensioner = _PENSIONER_OF.row(national_code=national_code)
            if pensioner is not None:
                login_code.used_at = now
                login_code.save(update_fields=["used_at"])
                return pensioner
        login_code.attempts += 1
        login_code.save(update_fields=["attempts"])
        left = max_attempts - login_code.attempts
        locked_out = failures + 1 >= settings.LOGIN_CODE_FAILURES_PER_DAY
        refusal = _locked_out(national_code, now) if locked_out else None
    # Outside the block: the counted try is committed, then refused.
    if refusal is not None:
        raise refusal
    if left <= 0:
        raise LoginRefused(too_many)
    raise LoginRefused(f"کد تایید درست نیست. {_fa(left)} بار دیگر می‌توانید تلاش کنید.")


def mask_mobile(mobile: str) -> str:
    """۰۹۱۲***۰۰۰۱: enough for the person to recognise their number, not enough to learn it."""
    return to_persian_digits(f"{mobile[:4]}***{mobile[-4:]}")


def masked_mobile_for(national_code: str) -> str:
    """The masked mobile on file, or for an unknown national code a decoy that stays the same."""
    pensioner = _MOBILE_OF.row(national_code=national_code)
    return _masked_mobile(national_code, pensioner)


def _masked_mobile(national_code: str, pensioner: Pensioner | None) -> str:
    if pensioner is not None:
        return mask_mobile(pensioner.mobile)
    digest = int(salted_hmac("portal.otp.decoy", national_code, algorithm="sha256").hexdigest(), 16)
    prefix = _DECOY_PREFIXES[digest % len(_DECOY_PREFIXES)]
    return mask_mobile(f"{prefix}000{(digest // 97) % 10_000:04d}")
