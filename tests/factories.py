"""factory_boy factories for the registry and the periods. National codes are valid and unique."""

import datetime as dt
import itertools

import factory
from django.utils import timezone

from core.identity import national_code_check_digit
from enrollment.models import Branch, County, Dependent, EnrollmentRequest, Kanoon, Pensioner, Province
from policies.models import ContractPeriod, InsuranceKind, PremiumRate, Relation, TermsVersion

_codes = itertools.count(500_000_001)


def valid_national_code() -> str:
    nine = f"{next(_codes):09d}"
    return nine + national_code_check_digit(nine)


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Province

    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"استان {n}")


class CountyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = County

    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"شهرستان {n}")
    province = factory.SubFactory(ProvinceFactory)


class KanoonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Kanoon

    county = factory.SubFactory(CountyFactory)
    name = factory.LazyAttribute(lambda o: f"کانون بازنشستگان {o.county.name}")


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    code = factory.Sequence(lambda n: f"B{n:05d}")
    name = factory.Sequence(lambda n: f"شعبه {n}")
    address = "خیابان آزادی، پلاک ۱"
    phone = "02100000000"
    province = factory.SubFactory(ProvinceFactory)


class PensionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pensioner

    national_code = factory.LazyFunction(valid_national_code)
    pension_number = factory.Sequence(lambda n: f"7{n:08d}")
    first_name = "علی"
    last_name = factory.Sequence(lambda n: f"رضایی{n}")
    father_name = "حسن"
    birth_date = dt.date(1955, 3, 21)
    gender = "male"
    mobile = factory.Sequence(lambda n: f"0935{n:07d}")
    county = factory.SubFactory(CountyFactory)
    paying_branch = factory.SubFactory(BranchFactory, province=factory.SelfAttribute("..county.province"))


class DependentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dependent

    pensioner = factory.SubFactory(PensionerFactory)
    national_code = factory.LazyFunction(valid_national_code)
    first_name = "زهرا"
    last_name = factory.SelfAttribute("pensioner.last_name")
    relation = Relation.SPOUSE
    gender = "female"
    birth_date = dt.date(1958, 6, 1)


class ContractPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContractPeriod

    title = factory.Sequence(lambda n: f"قرارداد بیمه تکمیلی {1405 + n}")
    insurer = "بیمه نمونه"
    coverage_start = dt.date(2026, 11, 22)
    coverage_end = dt.date(2027, 11, 21)
    window_opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    window_closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=20))
    is_active = True


class TermsVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TermsVersion

    period = factory.SubFactory(ContractPeriodFactory)
    version = 1
    text = "شرایط قرارداد"


class PremiumRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PremiumRate

    period = factory.SubFactory(ContractPeriodFactory)
    kind = InsuranceKind.HEALTH
    relation = Relation.SELF
    full_premium = 10_000_000
    sso_subsidy = 4_000_000
    insured_share = 6_000_000


class EnrollmentRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnrollmentRequest

    pensioner = factory.SubFactory(PensionerFactory)
    period = factory.SubFactory(ContractPeriodFactory)
    kanoon = factory.LazyAttribute(lambda o: Kanoon.objects.get_or_create(county=o.pensioner.county)[0])
    branch = factory.LazyAttribute(lambda o: o.pensioner.paying_branch)
