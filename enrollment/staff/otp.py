"""The second factor of staff: a TOTP app, with single-use recovery codes for the day the phone is lost.

Who must use it: everyone who can change something — act on requests, payroll, the registry, users —
which is every staff member holding a permission other than viewing or announcements (superusers
included). Auditors (read-only) and public-relations staff (announcements) may enrol but need not;
once enrolled, their second factor is asked for like anyone else's. Only when STAFF_OTP_REQUIRED is on
(production; off in the demo while DEBUG is on).

Recovery codes are digits only (staff type them on a Persian keyboard) and are kept as keyed hashes,
never readable (ASVS 2.6.2): django-otp's static device compares what it is given, so the hash of
the typed code is what it is given.
"""

import logging
import secrets
from base64 import b32encode
from binascii import unhexlify

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from core.text import normalize_digits_only

log = logging.getLogger(__name__)

RECOVERY_CODES = 10
RECOVERY_CODE_DIGITS = 10
TOTP_DIGITS = 6
_DEVICE_NAME = "برنامه رمز یک‌بار مصرف"
_RECOVERY_NAME = "کدهای بازیابی"


def _needs_no_second_factor(permission: str) -> bool:
    app_label, codename = permission.split(".", 1)
    return codename.startswith("view_") or (app_label == "portal" and codename.endswith("_announcement"))


def staff_otp_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def staff_otp_required(user: User) -> bool:
    """True when this user must pass the second factor before the admin opens (in production)."""
    if not settings.STAFF_OTP_REQUIRED:
        return False
    if user.is_superuser:
        return True
    if not all(_needs_no_second_factor(p) for p in user.get_all_permissions()):
        return True
    return staff_otp_enrolled(user)


def staff_otp_pending(request: HttpRequest) -> bool:
    """A staff member signed in with their password who still owes the second factor."""
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    is_verified = getattr(user, "is_verified", None)  # set by OTPMiddleware; not on a user just logged in
    if is_verified is not None and is_verified():
        return False
    return staff_otp_required(user)


def staff_otp_secret_new() -> str:
    """A fresh TOTP key (hex, 20 bytes), kept in the session until its first code confirms it."""
    return random_hex(20)


def staff_otp_manual_secret(key: str) -> str:
    """The key as authenticator apps take it by hand: base32, in groups of four."""
    secret = b32encode(unhexlify(key)).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def staff_otp_qr_svg(*, user: User, key: str) -> str:
    """The otpauth:// address of the key as an SVG QR code, drawn here (no image library, no other host)."""
    url = TOTPDevice(user=user, key=key, digits=TOTP_DIGITS).config_url
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=12, border=4)
    return image.to_string(encoding="unicode")


def _recovery_hash(code: str) -> str:
    # StaticToken.token holds 16 characters: 64 bits of a keyed hash, unguessable without SECRET_KEY.
    return salted_hmac("enrollment.staff.recovery_code", code, algorithm="sha256").hexdigest()[:16]


def _recovery_codes_replace(user: User) -> list[str]:
    codes = [f"{secrets.randbelow(10**RECOVERY_CODE_DIGITS):0{RECOVERY_CODE_DIGITS}d}" for _ in range(RECOVERY_CODES)]
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=_RECOVERY_NAME, confirmed=True)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=_recovery_hash(code)) for code in codes)
    return codes


def staff_otp_enrol(*, user: User, key: str, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirms the key with a code from the app: saves the device and returns it with new recovery codes.

    None when the code does not match. Refused (None) when the user already has a device: a second one
    would let whoever holds only the password add their own phone; a lost one is reset by an admin
    (`manage.py staff_otp_reset`).
    """
    totp = TOTP(unhexlify(key), digits=TOTP_DIGITS)
    typed = normalize_digits_only(code)
    if not (typed.isdigit() and len(typed) == TOTP_DIGITS and totp.verify(int(typed), tolerance=1)):
        return None
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)  # one enrolment at a time per user
        if staff_otp_enrolled(user):
            return None
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(
            user=user, name=_DEVICE_NAME, key=key, digits=TOTP_DIGITS, confirmed=True, last_t=totp.t()
        )
        codes = _recovery_codes_replace(user)
    log.info("staff second factor enrolled: user=%s", user.get_username())
    return device, codes


def staff_otp_verify(*, user: User, code: str) -> Device | None:
    """The device that accepts the code: six digits for the app, ten for a recovery code (used up here).

    Each device throttles its own failures (django-otp doubles the wait after each one).
    """
    typed = normalize_digits_only(code)
    if not typed.isdigit():
        return None
    if len(typed) == TOTP_DIGITS:
        model, token = TOTPDevice, typed
    elif len(typed) == RECOVERY_CODE_DIGITS:
        model, token = StaticDevice, _recovery_hash(typed)
    else:
        return None
    with transaction.atomic():
        for device in model.objects.devices_for_user(user).select_for_update():
            if device.verify_token(token):
                return device
    return None


def staff_recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def staff_recovery_codes_renew(*, user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
    log.info("staff recovery codes renewed: user=%s", user.get_username())
    return codes


def staff_otp_reset(*, user: User, by: str) -> int:
    """Removes every second-factor device of the user (a lost phone); the next sign-in enrols again."""
    with transaction.atomic():
        removed = 0
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
            removed += 1
    log.warning("staff second factor reset: user=%s devices=%d by=%s", user.get_username(), removed, by)
    return removed
