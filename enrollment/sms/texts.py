"""Every SMS text of the product, in one place. Short, plain Persian; {placeholders} from the caller.

A Persian SMS is one part up to 70 characters and costs one more per 67 after that: keep each text,
with its tracking code (12 digits) filled in, within 70 where the placeholders allow.
"""

TEXTS: dict[str, str] = {
    "login_code": "کد ورود شما به سامانه بیمه تکمیلی: {code}\nاین کد را به کسی ندهید.",
    "request_submitted": "درخواست بیمه تکمیلی شما ثبت شد. کد رهگیری: {tracking_code}",
    "request_cancelled": "درخواست بیمه تکمیلی {tracking_code} به خواست شما لغو شد.",
    "kanoon_approved": "درخواست {tracking_code} در کانون تایید شد و به شعبه ارسال شد.",
    "kanoon_rejected": "درخواست {tracking_code} در کانون بازنشستگان تایید نشد. علت: {reason}",
    "branch_transferred": "درخواست {tracking_code} برای رسیدگی به {branch} ارسال شد.",
    "branch_accepted": "درخواست {tracking_code} در شعبه پذیرفته شد: مختومه - تایید نهایی",
    "branch_rejected": "درخواست {tracking_code} در شعبه پذیرفته نشد. علت: {reason}",
}

# What each kind of message is called in the admin.
LABELS: dict[str, str] = {
    "login_code": "کد ورود",
    "request_submitted": "ثبت درخواست",
    "request_cancelled": "لغو درخواست",
    "kanoon_approved": "تایید کانون",
    "kanoon_rejected": "عدم تایید کانون",
    "branch_transferred": "تغییر شعبه",
    "branch_accepted": "پذیرش شعبه",
    "branch_rejected": "عدم تایید شعبه",
}


# The placeholder of a text that must never be stored readable: the outbox keeps it masked and sealed
# (enrollment.sms.sealing) and the sender fills it in for the provider only.
SECRETS: dict[str, str] = {"login_code": "code"}
MASK = "******"


def sms_text(template: str, **context: object) -> str:
    return TEXTS[template].format(**context)


def sms_text_reveal(masked_text: str, secret: str) -> str:
    """The text as the phone receives it: the mask replaced by the secret."""
    return masked_text.replace(MASK, secret, 1)
