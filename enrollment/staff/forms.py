from django import forms
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from core.text import normalize_digits_only, normalize_text, to_persian_digits
from enrollment.models import Branch, Kanoon, Province, StaffProfile
from enrollment.staff.accounts import Identity, StaffRefused, staff_role_check
from enrollment.staff.selectors import (
    branches_grantable,
    kanoons_grantable,
    offices_of,
    powers_of,
    provinces_grantable,
    role_of,
)


class CodeForm(forms.Form):
    """One code from the authenticator app or a recovery code, in Persian, Arabic or Latin digits."""

    code = forms.CharField(
        label="کد",
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "dir": "ltr",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        code = normalize_digits_only(self.cleaned_data["code"])
        if not code.isdigit():
            raise forms.ValidationError("کد فقط از رقم تشکیل می‌شود.")
        return code


# -- the staff page (enrollment/staff/admin.py) -------------------------------------------------------------


class StaffAccountForm(forms.ModelForm):
    """One staff account: who the person is, their one role and the offices it works on.

    No field of the model is written by the form itself (Meta.fields is empty): the admin hands the cleaned
    values to the services of staff/accounts.py, which check again and record every change. `actor` (the
    administrator) is set on the class by the admin's get_form.
    """

    actor: User | None = None

    first_name = forms.CharField(label="نام", max_length=150)
    last_name = forms.CharField(label="نام خانوادگی", max_length=150)
    national_code = forms.CharField(
        label="کد ملی",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric"}),
    )
    mobile = forms.CharField(
        label="تلفن همراه",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "tel"}),
        help_text="به شکل ۰۹xxxxxxxxx؛ رقم فارسی، عربی یا لاتین.",
    )
    email = forms.EmailField(label="رایانامه", required=False, widget=forms.EmailInput(attrs={"dir": "ltr"}))
    role = forms.ChoiceField(label="نقش", required=False, help_text="هر حساب یک نقش دارد.")
    kanoons = forms.ModelMultipleChoiceField(
        label="کانون‌ها",
        queryset=Kanoon.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="فقط برای نقش «کارکنان کانون».",
    )
    branches = forms.ModelMultipleChoiceField(
        label="شعبه‌ها",
        queryset=Branch.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="فقط برای نقش «کارکنان شعبه».",
    )
    province = forms.ModelChoiceField(
        label="استان",
        queryset=Province.objects.none(),
        required=False,
        empty_label="—",
        help_text="فقط برای نقش «مدیران استان».",
    )
    reason = forms.CharField(
        label="علت تغییر",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="در گزارش تغییرات کنار هر تغییر نوشته می‌شود.",
    )

    class Meta:
        model = User
        fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        powers = powers_of(self.actor)
        self.fields["role"].choices = [("", "—"), *((role, role) for role in (powers.roles if powers else ()))]
        self.fields["kanoons"].queryset = kanoons_grantable(self.actor)
        self.fields["branches"].queryset = branches_grantable(self.actor)
        self.fields["province"].queryset = provinces_grantable(self.actor)
        user = self.instance
        if user.pk:
            profile = StaffProfile.objects.filter(user=user).first()
            held = offices_of(user)
            self.initial.update(
                first_name=user.first_name,
                last_name=user.last_name,
                email=user.email,
                national_code=to_persian_digits(profile.national_code) if profile else "",
                mobile=to_persian_digits(profile.mobile) if profile else "",
                role=role_of(user) or "",
                kanoons=[k.pk for k in held.kanoons],
                branches=[b.pk for b in held.branches],
                province=held.provinces[0].pk if held.provinces else None,
                is_active=user.is_active,
            )

    def identity(self) -> Identity:
        data = self.cleaned_data
        return Identity(
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data.get("email") or "",
            national_code=data.get("national_code") or "",
            mobile=data.get("mobile") or "",
        )

    def offices(self) -> list:
        data = self.cleaned_data
        province = data.get("province")
        return [*data.get("kanoons", ()), *data.get("branches", ()), *([province] if province else [])]

    def clean(self) -> dict:
        data = super().clean()
        if {"first_name", "last_name"} - set(data):
            return data
        try:
            self.identity().normalized()
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field, messages)
        if not data.get("role"):
            if self.offices() or not self.instance.pk:
                self.add_error("role", "نقش را برگزینید؛ هر حساب یک نقش دارد و واحدها از آنِ نقش است.")
        else:
            try:
                staff_role_check(actor=self.actor, role=data["role"], offices=self.offices())
            except StaffRefused as refused:
                self.add_error("role", str(refused))
        return data


class StaffAddForm(StaffAccountForm):
    username = forms.CharField(
        label="نام کاربری",
        max_length=150,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
        help_text="حروف لاتین، رقم و @ . + - _ ؛ برای ورود به کارتابل.",
    )

    def clean_username(self) -> str:
        username = normalize_text(self.cleaned_data["username"])
        try:
            User.username_validator(username)
        except ValidationError as error:
            raise ValidationError("نام کاربری فقط از حروف، رقم و @ . + - _ تشکیل می‌شود.") from error
        if User.objects.filter(username=username).exists():
            raise ValidationError(f"نام کاربری «{username}» پیش‌تر گرفته شده است.")
        return username


class StaffChangeForm(StaffAccountForm):
    is_active = forms.BooleanField(
        label="فعال",
        required=False,
        help_text="حساب غیرفعال نمی‌تواند وارد شود و از همه نشست‌هایش بیرون می‌رود.",
    )


class PasswordResetForm(forms.Form):
    """A one-time password made by the system (shown once), or one the administrator types."""

    GENERATE = "generate"
    TYPED = "typed"

    how = forms.ChoiceField(
        label="رمز تازه",
        choices=[(GENERATE, "ساخت رمز یک‌بار مصرف (یک بار نمایش داده می‌شود)"), (TYPED, "رمزی که خودم می‌نویسم")],
        initial=GENERATE,
        widget=forms.RadioSelect,
    )
    password1 = forms.CharField(
        label="رمز",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": "form-control", "dir": "ltr"}),
    )
    password2 = forms.CharField(
        label="تکرار رمز",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": "form-control", "dir": "ltr"}),
    )
    reason = forms.CharField(
        label="علت", required=False, max_length=500, widget=forms.TextInput(attrs={"class": "form-control"})
    )

    def __init__(self, user: User, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("how") != self.TYPED:
            return data
        first, second = data.get("password1") or "", data.get("password2") or ""
        if not first:
            self.add_error("password1", "رمز را بنویسید.")
        elif first != second:
            self.add_error("password2", "دو رمز یکسان نیست.")
        else:
            try:
                validate_password(first, self.user)
            except ValidationError as error:
                self.add_error("password1", [_persian_password_error(e) for e in error.error_list])
        return data

    def password(self) -> str | None:
        return self.cleaned_data["password1"] if self.cleaned_data["how"] == self.TYPED else None


def _persian_password_error(error: ValidationError) -> ValidationError:
    """Django's Persian catalogue leaves the length rule in English."""
    if error.code == "password_too_short":
        length = to_persian_digits((error.params or {}).get("min_length", ""))
        return ValidationError(f"این رمز کوتاه است؛ دست‌کم {length} نویسه بنویسید.", code=error.code)
    return error


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="علت", required=False, max_length=500, widget=forms.TextInput(attrs={"class": "form-control"})
    )
