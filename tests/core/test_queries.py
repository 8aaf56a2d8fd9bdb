"""core.queries.KeyedRead: the same instances as the ORM's own read, its SQL compiled once."""

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from core.queries import KeyedRead
from enrollment.models import Dependent, EnrollmentRequest, Pensioner
from tests.factories import DependentFactory, EnrollmentRequestFactory, PensionerFactory

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_rows_are_the_orms_rows_for_each_key_with_dates_booleans_and_datetimes_converted():
    first = EnrollmentRequestFactory()
    second = EnrollmentRequestFactory(period=first.period)  # one active period at a time
    by_pensioner = KeyedRead(lambda pensioner: EnrollmentRequest.objects.filter(pensioner_id=pensioner))
    for request in (first, second):
        (read,) = by_pensioner.rows(pensioner=request.pensioner_id)
        (orm,) = EnrollmentRequest.objects.filter(pensioner_id=request.pensioner_id)
        assert _fields(read) == _fields(orm)
        assert read.pk == request.pk and not read._state.adding and read._state.db == "default"
    assert by_pensioner.rows(pensioner=10**12) == []
    assert by_pensioner.rows(pensioner=2**63) == [] and by_pensioner.rows(pensioner=-(2**63) - 1) == []


def test_select_related_objects_come_with_the_row_without_a_query_more():
    request = EnrollmentRequestFactory()
    moving = KeyedRead(lambda pk: EnrollmentRequest.objects.select_related("pensioner", "period").filter(pk=pk)[:1])
    read = moving.row(pk=request.pk)
    with CaptureQueriesContext(connection) as queries:
        pensioner, period = read.pensioner, read.period
    assert len(queries) == 0
    assert _fields(pensioner) == _fields(Pensioner.objects.get(pk=request.pensioner_id))
    assert period.coverage_start == request.period.coverage_start and period.is_active is True


def test_a_string_key_and_only_some_columns():
    pensioner = PensionerFactory()
    mobile_of = KeyedRead(lambda national_code: Pensioner.objects.filter(national_code=national_code).only("mobile"))
    (read,) = mobile_of.rows(national_code=pensioner.national_code)
    assert read.pk == pensioner.pk and read.mobile == pensioner.mobile
    assert read.get_deferred_fields() >= {"first_name", "birth_date"}


def test_the_query_is_compiled_once_and_each_call_is_one_statement(monkeypatch):
    dependents = [DependentFactory(), DependentFactory()]
    of_pensioner = KeyedRead(lambda pensioner: Dependent.objects.filter(pensioner_id=pensioner).order_by())
    of_pensioner.rows(pensioner=dependents[0].pensioner_id)
    compiled = []
    real_as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or real_as_sql(self, *a, **k))
    for dependent in dependents:
        with CaptureQueriesContext(connection) as queries:
            assert [d.pk for d in of_pensioner.rows(pensioner=dependent.pensioner_id)] == [dependent.pk]
        assert len(queries) == 1
    assert compiled == []


def test_a_locking_read_refuses_to_run_outside_a_transaction(transactional_db):
    request = EnrollmentRequestFactory()
    locking = KeyedRead(lambda pk: EnrollmentRequest.objects.select_for_update().filter(pk=pk))
    with transaction.atomic():
        assert [r.pk for r in locking.rows(pk=request.pk)] == [request.pk]
    with pytest.raises(TransactionManagementError):
        locking.rows(pk=request.pk)


def test_shapes_it_cannot_run_are_refused_when_first_used():
    request = EnrollmentRequestFactory()
    with pytest.raises(ValueError, match="model instances"):
        KeyedRead(lambda pk: EnrollmentRequest.objects.filter(pk=pk).values("status")).rows(pk=request.pk)
    with pytest.raises(ValueError, match="model instances"):
        KeyedRead(lambda pk: EnrollmentRequest.objects.filter(pk=pk).annotate(n=Count("items"))).rows(pk=request.pk)
    with pytest.raises(ValueError, match="one parameter"):  # a key the query does not use
        KeyedRead(lambda pk, period: EnrollmentRequest.objects.filter(pk=pk)).rows(pk=request.pk, period=1)
