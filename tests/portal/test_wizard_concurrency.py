"""Two «ثبت نهایی» clicks at the same moment (PostgreSQL: real row locks): one request, one SMS, one page."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from enrollment.models import EnrollmentRequest, Operation, RequestStatus
from enrollment.sms.models import OutboxMessage
from policies.models import TermsVersion
from tests.portal.conftest import sign_in


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_file_once(on_postgres, client, pensioner_a):
    sign_in(client, pensioner_a)
    client.get(reverse("portal:wizard"))
    client.post(reverse("portal:step_terms"), {"terms_version": TermsVersion.objects.get().pk})
    client.post(reverse("portal:step_data"))
    current = [d for d in pensioner_a.dependents.all() if d.first_name != "مریم"]
    client.post(
        reverse("portal:step_people"), {"op-self": Operation.ENROLL, **{f"op-{d.pk}": "enroll" for d in current}}
    )
    draft = EnrollmentRequest.objects.get(pensioner=pensioner_a)
    start = threading.Barrier(2)
    locations: list[str] = []

    def click() -> None:
        tab = Client()
        tab.cookies = client.cookies
        try:
            start.wait()
            locations.append(tab.post(reverse("portal:step_review"), {"draft": draft.pk})["Location"])
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    draft.refresh_from_db()
    assert draft.status == RequestStatus.KANOON_REVIEW
    assert locations == [reverse("portal:done", args=[draft.tracking_code])] * 2
    assert OutboxMessage.objects.filter(template="request_submitted").count() == 1
    assert draft.history.filter(status=RequestStatus.KANOON_REVIEW).count() == 1
