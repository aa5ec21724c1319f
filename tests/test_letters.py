"""Letters to the government (政民互动), handled by the same engine as applications: routing to
the triage, the departments' tasks and deadlines, the sweeper (escalation, never deemed), the
writer's rating, the second answer, and publication only with the writer's consent.

Time is moved with time-machine. A letter written on Monday 7 December 2026 at 10:00 is due
for triage at the end of office hours the next working day (Tuesday 8 December, 17:30); a
department assigned on Monday answers within 15 working days (Monday 28 December, 17:30).
"""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Notification
from approvals.decisions import Outcome, decide
from approvals.letters import request_second_answer, triage_letter
from approvals.models import Certificate, ReviewTask
from approvals.timeouts import sweep_overdue_tasks
from disclosure.models import DecisionRecord, PublishedLetter
from services.letters import rate_letter, write_letter
from services.models import Application, Letter, TimeoutPolicy
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    EnterpriseFactory,
    clerk_of,
    head_of,
    reviewer_of,
    service_centre,
    shanghai,
    valid_resident_id,
    wait_until,
)
from tests.letter_factories import answered, letter_item, letter_of, triage_task, triaged

State = ReviewTask.State
Status = Application.Status

WRITTEN = shanghai("2026-12-07 10:00")
TRIAGE_DUE = shanghai("2026-12-08 17:30")
ANSWER_DUE = shanghai("2026-12-28 17:30")


@pytest.fixture
def transport():
    return DepartmentFactory(code="transport", name="市交通运输局", name_en="Transport Bureau")


@pytest.fixture
def housing():
    return DepartmentFactory(code="housing", name="市住房和城乡建设局", name_en="Housing Bureau")


@pytest.fixture
def clock():
    with time_machine.travel(WRITTEN, tick=False) as traveller:
        yield traveller


# --- through the real worker ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_letter_is_routed_to_triage_by_the_worker_and_answered_by_the_assigned_departments(
    celery_worker, transport, housing
):
    letter_item()
    writer = CitizenFactory(real_name="王小明", resident_id=valid_resident_id())
    letter = write_letter(
        writer,
        kind=Letter.Kind.SUGGESTION,
        topic="关于增设公交站点的建议",
        body="我是王小明，电话13912345678，建议在长江西路增设公交站点。",
        consent_to_publish=True,
    )

    # The worker routes it, as any application, to the service centre's triage.
    assert wait_until(lambda: ReviewTask.objects.filter(application_id=letter.pk).exists())
    triage = triage_task(letter)
    assert triage.department == service_centre()
    assert triage.stage_name == "分办"
    assert triage.timeout_policy == TimeoutPolicy.ANSWER_REQUIRED
    assert triage.time_limit_days == 1

    tasks = triaged(letter, transport, housing)

    assert [t.department for t in tasks] == [housing, transport]
    assert {t.timeout_policy for t in tasks} == {TimeoutPolicy.ANSWER_REQUIRED}
    assert {t.time_limit_days for t in tasks} == {15}
    answered(tasks[0], reviewer_of(housing), "住建局：该路段规划已在研究。")
    answered(tasks[1], reviewer_of(transport), "交通局：拟于明年增设站点，联系电话0551-63357890。")

    application = Application.objects.get(pk=letter.pk)
    assert application.status == Status.APPROVED
    # A letter answered is not a permit: no e-certificate, nothing in the decision register.
    assert not Certificate.objects.filter(application=application).exists()
    assert not DecisionRecord.objects.filter(application=application).exists()
    published = PublishedLetter.objects.get(application=application)
    assert published.writer_display == "王**"
    assert "王小明" not in published.body and "13912345678" not in published.body
    assert "139****5678" in published.body
    assert [a["department"] for a in published.answers] == ["市住房和城乡建设局", "市交通运输局"]
    assert "63357890" not in str(published.answers)


# --- the engine's rules, with time moved ---------------------------------------------------------


@pytest.mark.django_db
def test_silent_triage_is_escalated_to_the_head_at_its_deadline_and_never_deemed(clock):
    letter = letter_of()
    task = triage_task(letter)
    assert task.due_at == TRIAGE_DUE

    clock.move_to(shanghai("2026-12-08 17:29"))
    assert sweep_overdue_tasks().handled == 0
    clock.move_to(shanghai("2026-12-08 17:31"))
    result = sweep_overdue_tasks()

    assert result.escalated == [task.pk] and result.deemed_approved == []
    task.refresh_from_db()
    assert task.state == State.PENDING and task.escalated_at is not None
    # Weeks later, still nobody answered: still pending, never deemed, escalated once.
    clock.move_to(shanghai("2027-02-01 10:00"))
    assert sweep_overdue_tasks().handled == 0
    task.refresh_from_db()
    assert task.state == State.PENDING
    assert Application.objects.get(pk=letter.pk).status == Status.SUBMITTED


@pytest.mark.django_db
def test_a_silent_department_is_escalated_at_its_deadline_and_never_deemed(clock, transport):
    letter = letter_of()
    (task,) = triaged(letter, transport)
    assert task.due_at == ANSWER_DUE

    clock.move_to(shanghai("2026-12-28 17:31"))
    result = sweep_overdue_tasks()

    assert result.escalated == [task.pk] and result.deemed_approved == []
    clock.move_to(shanghai("2027-03-01 10:00"))
    sweep_overdue_tasks()
    task.refresh_from_db()
    assert task.state == State.PENDING
    assert Application.objects.get(pk=letter.pk).status == Status.IN_REVIEW
    # The escalation reaches the head's inbox, through the sweeper's own notifications.
    from approvals.notifications import tell_escalations

    head = head_of(transport)
    tell_escalations([task.pk])
    assert Notification.objects.filter(recipient=head, kind="task_overdue").exists()


@pytest.mark.django_db
def test_the_writer_rates_and_asks_once_for_a_second_answer_from_the_same_departments(
    clock, transport
):
    writer = CitizenFactory()
    letter = letter_of(writer)
    (task,) = triaged(letter, transport)
    answered(task, reviewer_of(transport), "已转相关科室研究。")

    with pytest.raises(ValidationError):  # a second answer is for an unsatisfied writer
        request_second_answer(letter.pk, writer)
    rate_letter(letter.pk, writer, satisfaction=Letter.Satisfaction.UNSATISFIED)
    with pytest.raises(PermissionDenied):
        request_second_answer(letter.pk, CitizenFactory())
    (second,) = request_second_answer(letter.pk, writer, reason="没有回答何时增设。")

    assert second.department == transport and second.stage_order == 2
    assert second.timeout_policy == TimeoutPolicy.ANSWER_REQUIRED
    application = Application.objects.get(pk=letter.pk)
    assert application.status == Status.IN_REVIEW and application.current_stage == 2
    assert application.events.filter(kind="second_answer_requested").exists()

    answered(second, reviewer_of(transport), "拟于2027年3月增设站点。")
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    with pytest.raises(ValidationError):
        request_second_answer(letter.pk, writer)
    rated = rate_letter(letter.pk, writer, satisfaction=Letter.Satisfaction.SATISFIED)
    assert rated.satisfaction == "unsatisfied" and rated.second_satisfaction == "satisfied"
    answers = PublishedLetter.objects.get(application_id=letter.pk).answers
    assert [a["round"] for a in answers] == [1, 2]


@pytest.mark.django_db
def test_a_letter_is_published_only_with_the_writers_consent(clock, transport):
    without = letter_of(consent=False)
    (task,) = triaged(without, transport)
    answered(task, reviewer_of(transport))

    assert Application.objects.get(pk=without.pk).status == Status.APPROVED
    assert not PublishedLetter.objects.filter(application_id=without.pk).exists()
    tracking_number = Application.objects.get(pk=without.pk).tracking_number
    assert Client().get(reverse("disclosure:letter", args=[tracking_number])).status_code == 404


@pytest.mark.django_db
def test_a_department_answers_a_letter_and_cannot_reject_it(clock, transport):
    letter = letter_of()
    (task,) = triaged(letter, transport)
    reviewer = reviewer_of(transport)

    with pytest.raises(ValidationError):
        decide(task.pk, reviewer, Outcome.REJECT, "不予答复")
    with pytest.raises(ValidationError):
        answered(task, reviewer, "   ")
    task.refresh_from_db()
    assert task.state == State.PENDING


@pytest.mark.django_db
def test_triage_to_a_department_that_does_not_exist_changes_nothing(clock, transport):
    letter = letter_of()
    task = triage_task(letter)

    with pytest.raises(ValidationError) as refused:
        triage_letter(task.pk, clerk_of(task.department), department_ids=[transport.pk, 999999])
    assert "departments" in refused.value.message_dict
    with pytest.raises(ValidationError):
        triage_letter(task.pk, clerk_of(task.department), department_ids=[])
    assert not ReviewTask.objects.filter(application_id=letter.pk, stage_order=1).exists()


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"topic": ""}, "topic", "Give your letter a topic."),
        ({"body": "   "}, "body", "Write your letter."),
        ({"body": "长" * 5001}, "body", "at most 5000 characters long (it has 5001)"),
        ({"topic": "题" * 101}, "topic", "at most 100 characters long (it has 101)"),
        ({"department_code": "no-such-bureau"}, "department", "There is no department"),
        ({"kind": "threat"}, "kind", "Choose enquiry, suggestion, complaint or praise."),
    ],
)
def test_a_bad_letter_is_refused_with_its_reason_and_nothing_is_stored(fields, field, message):
    letter_item()
    values = {"kind": "enquiry", "topic": "咨询", "body": "请问如何办理？", **fields}

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        write_letter(CitizenFactory(), **values)

    assert message in " ".join(refused.value.message_dict[field])
    assert not Application.objects.exists() and not Letter.objects.exists()


@pytest.mark.django_db
def test_civil_servants_do_not_write_letters_with_a_staff_account(transport):
    letter_item()
    with pytest.raises(PermissionDenied):
        write_letter(reviewer_of(transport), kind="enquiry", topic="咨询", body="请问？")


@pytest.mark.django_db
def test_an_enterprise_writes_too_and_is_published_by_its_name(clock, transport):
    enterprise = EnterpriseFactory(enterprise_name="合肥示例食品有限公司")
    letter = letter_of(enterprise, kind=Letter.Kind.PRAISE, department_code="transport")
    assert letter.addressed_to == transport
    (task,) = triaged(letter, transport)
    answered(task, reviewer_of(transport), "感谢您的肯定。")

    assert PublishedLetter.objects.get(application_id=letter.pk).writer_display == (
        "合肥示例食品有限公司"
    )


@pytest.mark.django_db
def test_statistics_count_answer_times_escalations_and_satisfaction_by_department(
    clock, transport, housing
):
    from disclosure.statistics import Period, letters_by_department, statistics_by_department

    writer = CitizenFactory()
    letter = letter_of(writer)
    late, on_time = triaged(letter, transport, housing)[::-1]
    clock.move_to(shanghai("2026-12-09 10:00"))  # two working days after assignment
    answered(on_time, reviewer_of(housing))
    clock.move_to(shanghai("2026-12-29 10:00"))  # past the transport bureau's deadline
    sweep_overdue_tasks()
    answered(late, reviewer_of(transport))
    rate_letter(letter.pk, writer, satisfaction=Letter.Satisfaction.BASICALLY_SATISFIED)

    rows = {row["code"]: row for row in letters_by_department(Period(2026))}

    assert rows["housing"]["answered"] == 1 and rows["housing"]["average_days"] == 2.0
    assert rows["housing"]["on_time_rate"] == 1.0 and rows["housing"]["escalated"] == 0
    assert rows["transport"]["on_time_rate"] == 0.0 and rows["transport"]["escalated"] == 1
    assert rows["transport"]["basically_satisfied"] == 1
    assert rows["transport"]["satisfaction_rate"] == 1.0
    # Letters are answered, not decided: the permit tables leave them out.
    assert statistics_by_department(Period(2026)) == []


@pytest.mark.django_db
def test_a_letters_task_stops_its_clock_and_is_extended_as_any_task(clock, transport):
    from approvals import clocks
    from approvals.models import ClockStop

    letter = letter_of()
    (task,) = triaged(letter, transport)
    reviewer = reviewer_of(transport)

    clocks.stop_clock(task.pk, reviewer, ClockStop.Reason.INSPECTION, "现场查看站点位置")
    clock.move_to(shanghai("2026-12-29 10:00"))  # past the deadline, the clock stopped
    assert sweep_overdue_tasks().handled == 0
    clocks.resume_clock(task.pk, reviewer)
    task.refresh_from_db()
    assert task.due_at > ANSWER_DUE  # moved by the working days it stood still

    extension = clocks.request_extension(task.pk, reviewer, 5, "需会同公交集团研究")
    clocks.decide_extension(extension.pk, head_of(transport), approve=True)
    extended = ReviewTask.objects.get(pk=task.pk)
    assert extended.due_at > task.due_at


@pytest.mark.django_db
def test_a_letters_files_are_checked_like_every_material():
    from tests.factories import pdf_upload

    letter_item()
    fake = pdf_upload("伪装.pdf", b"MZ\x90\x00 this is an executable")

    with pytest.raises(ValidationError):
        write_letter(
            CitizenFactory(), kind="enquiry", topic="咨询", body="请问？", attachments=[fake]
        )
    assert not Letter.objects.exists()

    letter = write_letter(
        CitizenFactory(), kind="enquiry", topic="咨询", body="请问？", attachments=[pdf_upload()]
    )
    (attachment,) = letter.application.attachments.all()
    assert attachment.content_type == "application/pdf"


@pytest.mark.django_db
def test_a_letters_task_is_in_the_departments_queue(clock, transport, client_for):
    letter = letter_of()
    triaged(letter, transport)

    queue = client_for(reviewer_of(transport)).get(reverse("approvals:queue"))

    assert letter.application.tracking_number in queue.content.decode()


@pytest.mark.django_db
def test_the_writer_is_told_of_each_answer_as_an_answer_not_as_a_permit(clock, transport):
    from accounts.notifications import render_notification

    writer = CitizenFactory()
    letter = letter_of(writer)
    (task,) = triaged(letter, transport)
    answered(task, reviewer_of(transport))
    rate_letter(letter.pk, writer, satisfaction=Letter.Satisfaction.UNSATISFIED)
    (second,) = request_second_answer(letter.pk, writer)
    answered(second, reviewer_of(transport), "再次答复。")

    told = Notification.objects.filter(recipient=writer, kind="letter_answered")
    assert told.count() == 2
    assert not Notification.objects.filter(recipient=writer, kind="application_decided").exists()
    rendered = render_notification(told.first(), language="en")
    assert "has been answered" in rendered.subject
    assert "second answer" in rendered.body and "reconsideration" not in rendered.body
