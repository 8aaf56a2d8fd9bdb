"""Every SMS text of the product, in one place. Short, plain Persian; {placeholders} from the caller."""

TEXTS: dict[str, str] = {
    "login_code": "کد ورود شما به سامانه بیمه تکمیلی: {code}\nاین کد را به کسی ندهید.",
    "request_submitted": "درخواست بیمه تکمیلی شما ثبت شد. کد رهگیری: {tracking_code}",
    "request_cancelled": "درخواست بیمه تکمیلی شما با کد رهگیری {tracking_code} به درخواست خودتان لغو شد.",
    "kanoon_approved": "درخواست {tracking_code} در کانون بازنشستگان تایید شد و برای رسیدگی به شعبه ارسال شد.",
    "kanoon_rejected": "درخواست {tracking_code} در کانون بازنشستگان تایید نشد. علت: {reason}",
    "branch_transferred": "درخواست {tracking_code} برای رسیدگی به {branch} ارسال شد.",
    "branch_accepted": "درخواست {tracking_code} در شعبه پذیرفته شد و در حکم مستمری اعمال می‌شود. مختومه - تایید نهایی",
    "branch_rejected": "درخواست {tracking_code} در شعبه پذیرفته نشد. علت: {reason}",
}


def sms_text(template: str, **context: object) -> str:
    return TEXTS[template].format(**context)
