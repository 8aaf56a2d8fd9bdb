"""The admin home tells each staff user how much waits in their queues and since when."""

from enrollment import workflow
from enrollment.queues import queues_of


def test_kanoon_user_sees_their_queue_with_the_oldest_request(client, kanoon_tehran, submitted_a):
    [queue] = queues_of(kanoon_tehran)
    assert (queue.status, queue.waiting, queue.oldest) == ("kanoon_review", 1, submitted_a.waiting_since)
    client.force_login(kanoon_tehran)
    page = client.get("/admin/").content.decode()
    assert "صف‌های رسیدگی من" in page and "کانون بازنشستگان و مستمری‌بگیران تأمین اجتماعی شهرستان تهران" in page


def test_queues_move_with_the_request(kanoon_tehran, branch_tehran, kanoon_karaj, submitted_a):
    workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    assert [q.waiting for q in queues_of(kanoon_tehran)] == [0]
    assert [q.waiting for q in queues_of(branch_tehran)] == [1]
    assert [q.waiting for q in queues_of(kanoon_karaj)] == [0]


def test_auditor_has_no_queue(auditor, submitted_a):
    assert queues_of(auditor) == []
