"""The secret of an SMS (a login code) sealed for the outbox: AES-256-GCM under a key derived from SECRET_KEY.

A copy of the database (a backup, a replica, a read-only SQL account) must not sign anyone in, so the
outbox never holds a code readable: the row keeps the text with the code masked and the code sealed,
and the sender opens it only to hand the full text to the provider. The key is derived with HKDF from
SECRET_KEY, which lives in the environment, never in the database. The mobile and the kind of message
are bound to the seal as associated data: a sealed code moved to another row, or left on a row whose
mobile was changed, no longer opens.
"""

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"enrollment.sms.sealing:v1"
_NONCE_BYTES = 12


class SealBroken(Exception):
    """The seal does not open: another SECRET_KEY, another mobile or kind, or altered bytes."""


def _cipher() -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(settings.SECRET_KEY.encode())
    return AESGCM(key)


def _bound_to(*, mobile: str, template: str) -> bytes:
    return f"{template}:{mobile}".encode()


def secret_seal(secret: str, *, mobile: str, template: str) -> str:
    """The secret encrypted for one message, as text fit for a CharField."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher().encrypt(nonce, secret.encode(), _bound_to(mobile=mobile, template=template))
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def secret_open(sealed: str, *, mobile: str, template: str) -> str:
    """The secret `secret_seal` sealed for this mobile and kind of message, or SealBroken."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
        opened = _cipher().decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _bound_to(mobile=mobile, template=template))
    except (InvalidTag, ValueError) as error:
        raise SealBroken(type(error).__name__) from None
    return opened.decode()
