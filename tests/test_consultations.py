"""Consultations on drafts (征求意见): the period, comments and their moderation, the feedback
report and its deadline, escalated by the sweep; through the pages where a person would go.

Time is moved with time-machine. The consultation below is drafted on Monday 23 November 2026
and takes comments from Tuesday 24 November to the end of Wednesday 23 December (30 days,
both counted); its feedback report is due 15 working days later, New Year's Day not counted:
Thursday 14 January 2027 at 17:30.
"""

import re
from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Notification
from disclosure.consultations import (
    Moderation,
    draft_feedback_report,
    moderate_comment,
    submit_comment,
    sweep_consultations,
)
from disclosure.forms import PublicationForm
from disclosure.models import Consultation, ConsultationComment, Publication
from disclosure.permissions import drafting_departments
from disclosure.publishing import approve_publication, withdraw_publication
from disclosure.selectors import public_consultations
from disclosure.tasks import sweep_feedback_reports
from tests.consultation_factories import comment_on, consultation_of
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    EnterpriseFactory,
    head_of,
    reviewer_of,
    shanghai,
    valid_resident_id,
)

pytestmark = pytest.mark.django_db
State = ConsultationComment.State

DRAFTED = shanghai("2026-11-23 10:00")
OPENS = date(2026, 11, 24)
CLOSES = date(2026, 12, 23)
DURING = shanghai("2026-12-01 10:00")
LAST_MINUTE = shanghai("2026-12-23 23:59")
AFTER_CLOSING = shanghai("2026-12-24 00:00:01")
REPORT_DUE = shanghai("2027-01-14 17:30")
JUST_AFTER_REPORT_DUE = shanghai("2027-01-14 17:31")


@pytest.fixture
def department():
    return DepartmentFactory(code="general-office", name="市人民政府办公室")


@pytest.fixture
def clock():
    with time_machine.travel(DRAFTED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def consultation(department, clock):
    return consultation_of(department, opens_on=OPENS, closes_on=CLOSES)


def page_of(consultation, client=None):
    return (client or Client(headers={"accept-language": "en"})).get(
        consultation.get_absolute_url()
    )


def text_of(response) -> str:
    return response.content.decode()


# --- drafting and publishing ---------------------------------------------------------------------


def test_the_period_and_the_report_deadline_are_written_with_the_draft(consultation):
    assert consultation.period_days == 30
    assert consultation.opens_at == shanghai("2026-11-24 00:00")
    assert consultation.closes_at.date() == CLOSES
    assert consultation.report_limit_days == 15
    assert consultation.report_due_at == REPORT_DUE


def test_a_period_shorter_than_30_days_needs_a_published_reason(department, clock):
    with pytest.raises(ValidationError) as refused:
        consultation_of(department, opens_on=OPENS, closes_on=date(2026, 12, 10))
    assert "shortened_reason" in refused.value.message_dict

    urgent = consultation_of(
        department,
        opens_on=OPENS,
        closes_on=date(2026, 12, 10),
        shortened_reason="上级要求于年底前出台，情况紧急。",
    )

    assert "上级要求于年底前出台，情况紧急。" in text_of(page_of(urgent))


def test_the_minimum_period_and_the_report_limit_are_settings(department, clock, settings):
    settings.CONSULTATION_MIN_DAYS = 10
    settings.CONSULTATION_REPORT_WORKING_DAYS = 5

    short = consultation_of(department, opens_on=OPENS, closes_on=date(2026, 12, 3))

    assert short.period_days == 10
    assert short.report_due_at == shanghai("2026-12-10 17:30")


def test_a_consultation_is_published_only_by_a_second_person(department, clock):
    author = reviewer_of(department)
    draft = consultation_of(
        department, opens_on=OPENS, closes_on=CLOSES, author=author, published=False
    )

    assert not public_consultations().filter(pk=draft.pk).exists()
    with pytest.raises(PermissionDenied):
        approve_publication(draft.publication.pk, author)
    published = approve_publication(draft.publication.pk, head_of(department))

    assert public_consultations().filter(pk=draft.pk).exists()
    assert Client().get(published.get_absolute_url()).status_code == 200


def test_a_draft_whose_period_has_passed_is_not_published(department, clock):
    draft = consultation_of(department, opens_on=OPENS, closes_on=CLOSES, published=False)
    clock.move_to(AFTER_CLOSING)

    with pytest.raises(ValidationError) as refused:
        approve_publication(draft.publication.pk, head_of(department))

    assert refused.value.code == "period_over"
    assert Publication.objects.get(pk=draft.publication.pk).state == Publication.State.DRAFT


def test_the_ordinary_publication_form_cannot_make_a_consultation(department):
    form = PublicationForm(departments=drafting_departments(reviewer_of(department)))
    kinds = [value for value, _label in form.fields["kind"].choices]

    assert Publication.Kind.CONSULTATION not in kinds
    assert Publication.Kind.FEEDBACK_REPORT not in kinds


def test_the_publication_permalink_leads_to_the_consultation_page(consultation):
    response = Client().get(
        reverse("disclosure:publication", args=[consultation.publication.number])
    )

    assert response.status_code == 301
    assert response["Location"] == consultation.get_absolute_url()


def test_staff_draft_a_consultation_with_its_questions_on_the_page(department, clock, client_for):
    reviewer = reviewer_of(department)

    response = client_for(reviewer).post(
        reverse("disclosure:new_consultation"),
        {
            "department": department.pk,
            "title": "关于《城市绿化管理办法（征求意见稿）》公开征求意见的公告",
            "body": "第一条　为加强城市绿化管理，制定本办法。",
            "scope": "本市居民",
            "opens_on": "2026-11-24",
            "closes_on": "2026-12-23",
            "questions": "您最关心哪类绿地？\n\n您是否愿意参与认建认养？",
            "report_limit_days": "15",
        },
    )

    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("disclosure:staff_consultation", args=[consultation.pk])
    assert [q.text for q in consultation.questions.all()] == [
        "您最关心哪类绿地？",
        "您是否愿意参与认建认养？",
    ]
    assert consultation.publication.state == Publication.State.DRAFT


def test_a_short_period_without_a_reason_is_refused_on_the_form(department, clock, client_for):
    response = client_for(reviewer_of(department)).post(
        reverse("disclosure:new_consultation"),
        {
            "department": department.pk,
            "title": "草稿",
            "body": "正文",
            "scope": "本市居民",
            "opens_on": "2026-11-24",
            "closes_on": "2026-11-30",
            "report_limit_days": "15",
        },
    )

    assert response.status_code == 200
    assert "The period is 7 days, shorter than 30" in text_of(response)
    assert not Consultation.objects.exists()


# --- comments during, before and after the period ------------------------------------------------


def test_a_comment_during_the_period_waits_for_moderation(consultation, clock, client_for):
    clock.move_to(DURING)
    citizen = CitizenFactory(real_name="王小明")
    question = consultation.questions.get()

    response = client_for(citizen).post(
        reverse("disclosure:consultation_comment", args=[consultation.publication.number]),
        {"body": "建议明确起算时间。", f"answer_{question.pk}": "合适。"},
    )

    comment = ConsultationComment.objects.get()
    assert response.status_code == 302
    assert comment.state == State.PENDING
    assert comment.author_display == "王**"
    assert comment.answers.get().text == "合适。"
    assert "建议明确起算时间。" not in text_of(page_of(consultation))
    own_page = client_for(citizen).get(consultation.get_absolute_url())
    assert "建议明确起算时间。" in text_of(own_page)  # the author sees their own, with its state
    assert "Awaiting moderation" in text_of(own_page)


def test_a_comment_before_the_period_is_refused_saying_when_it_opens(consultation):
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        submit_comment(consultation, CitizenFactory(), body="太早了")

    assert refused.value.code == "not_open_yet"
    assert "24 Nov 2026" in refused.value.messages[0]


def test_a_comment_in_the_last_minute_is_taken(consultation, clock):
    clock.move_to(LAST_MINUTE)

    assert submit_comment(consultation, CitizenFactory(), body="最后一刻").state == State.PENDING


def test_a_comment_after_closing_is_refused_stating_the_closing_time(
    consultation, clock, client_for
):
    clock.move_to(AFTER_CLOSING)

    response = client_for(CitizenFactory()).post(
        reverse("disclosure:consultation_comment", args=[consultation.publication.number]),
        {"body": "迟到的意见"},
    )

    assert response.status_code == 200
    assert (
        "This consultation closed on 23 Dec 2026, 23:59; comments are no longer accepted."
        in text_of(response)
    )
    assert not ConsultationComment.objects.exists()


def test_the_closed_page_says_when_it_closed_and_offers_no_form(consultation, clock, client_for):
    clock.move_to(AFTER_CLOSING)

    page = text_of(client_for(CitizenFactory()).get(consultation.get_absolute_url()))

    assert "closed on 23 Dec 2026, 23:59" in page
    assert 'name="body"' not in page


def test_an_empty_comment_is_refused(consultation, clock, client_for):
    clock.move_to(DURING)

    response = client_for(CitizenFactory()).post(
        reverse("disclosure:consultation_comment", args=[consultation.publication.number]),
        {"body": "   \n  "},
    )

    assert "Write your comment." in text_of(response)
    assert not ConsultationComment.objects.exists()


def test_an_oversized_comment_is_refused_with_the_limit_stated_on_the_page(
    consultation, clock, client_for, settings
):
    settings.CONSULTATION_COMMENT_MAX_CHARS = 100
    clock.move_to(DURING)
    client = client_for(CitizenFactory())

    form_page = text_of(client.get(consultation.get_absolute_url()))
    response = client.post(
        reverse("disclosure:consultation_comment", args=[consultation.publication.number]),
        {"body": "意" * 101},
    )

    assert "At most 100 characters." in form_page
    assert "A comment may be at most 100 characters long (it has 101)." in text_of(response)
    assert "意" * 101 in text_of(response)  # what was written is kept in the form
    assert not ConsultationComment.objects.exists()


def test_an_oversized_answer_is_refused(consultation, clock, settings):
    settings.CONSULTATION_ANSWER_MAX_CHARS = 10
    clock.move_to(DURING)
    question = consultation.questions.get()

    with pytest.raises(ValidationError) as refused, translation.override("en"):
        submit_comment(
            consultation, CitizenFactory(), body="意见", answers={question.pk: "答" * 11}
        )

    assert refused.value.message_dict["answers"] == [
        "The answer to question 1 may be at most 10 characters long (it has 11)."
    ]


def test_civil_servants_do_not_comment_with_a_staff_account(consultation, clock, department):
    clock.move_to(DURING)

    with pytest.raises(PermissionDenied):
        submit_comment(consultation, reviewer_of(department), body="内部意见")


def test_comments_from_one_account_are_limited(consultation, clock, client_for, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment": "2/10m"}
    clock.move_to(DURING)
    client = client_for(CitizenFactory())
    url = reverse("disclosure:consultation_comment", args=[consultation.publication.number])

    answers = [client.post(url, {"body": f"意见{n}"}).status_code for n in range(3)]

    assert answers == [302, 302, 429]
    assert int(client.post(url, {"body": "再来"})["Retry-After"]) > 0
    assert ConsultationComment.objects.count() == 2


# --- moderation ----------------------------------------------------------------------------------


def test_a_published_comment_is_public_with_the_name_and_identifiers_masked(
    consultation, clock, department
):
    clock.move_to(DURING)
    citizen = CitizenFactory(real_name="欧阳娜娜", resident_id=valid_resident_id())
    comment_on(
        consultation,
        citizen,
        body=f"我是欧阳娜娜，电话13812345678，身份证{citizen.resident_id}。建议延长办理时间。",
        moderated=Moderation.PUBLISH,
    )

    page = text_of(page_of(consultation))

    assert "欧阳**" in page and "建议延长办理时间。" in page
    assert "欧阳娜娜" not in page
    assert "13812345678" not in page and "138****5678" in page
    assert citizen.resident_id not in page


def test_an_enterprise_is_published_by_its_name(consultation, clock):
    clock.move_to(DURING)
    enterprise = EnterpriseFactory(enterprise_name="合肥示范科技有限公司", real_name="李经办")

    comment_on(consultation, enterprise, moderated=Moderation.PUBLISH)

    page = text_of(page_of(consultation))
    assert "合肥示范科技有限公司" in page
    assert "李经办" not in page


def test_html_in_a_comment_is_shown_as_text(consultation, clock):
    clock.move_to(DURING)
    comment_on(
        consultation, body='<script>alert("x")</script><b>加粗</b>', moderated=Moderation.PUBLISH
    )

    page = text_of(page_of(consultation))

    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;加粗&lt;/b&gt;" in page
    assert "<script>alert" not in page


def test_a_refused_comment_stays_off_the_page_and_its_author_is_told_why(
    consultation, clock, client_for
):
    clock.move_to(DURING)
    author = CitizenFactory()
    comment = comment_on(
        consultation, author, body="广告内容", moderated=Moderation.REJECT, reason="与草稿无关。"
    )

    assert comment.state == State.REJECTED
    assert "广告内容" not in text_of(page_of(consultation))
    told = Notification.objects.get(recipient=author, kind="comment_moderated")
    assert told.context["reason"] == "与草稿无关。"
    assert "与草稿无关。" in text_of(client_for(author).get(consultation.get_absolute_url()))


def test_refusing_a_comment_needs_a_reason(consultation, clock, department):
    clock.move_to(DURING)
    comment = comment_on(consultation)

    with pytest.raises(ValidationError):
        moderate_comment(comment.pk, reviewer_of(department), Moderation.REJECT, "  ")


def test_a_comment_is_moderated_once(consultation, clock, department):
    clock.move_to(DURING)
    comment = comment_on(consultation, moderated=Moderation.PUBLISH)

    with pytest.raises(ValidationError) as refused:
        moderate_comment(comment.pk, head_of(department), Moderation.REJECT, "改主意了")

    assert refused.value.code == "already_moderated"
    assert ConsultationComment.objects.get(pk=comment.pk).state == State.PUBLISHED


def test_only_the_departments_reviewers_and_heads_moderate(consultation, clock):
    clock.move_to(DURING)
    comment = comment_on(consultation)
    other_department = reviewer_of(DepartmentFactory())

    with pytest.raises(PermissionDenied):
        moderate_comment(comment.pk, other_department, Moderation.PUBLISH)


def test_moderation_on_the_staff_page(consultation, clock, client_for, department):
    clock.move_to(DURING)
    comment = comment_on(consultation, body="请增加听证程序。")
    reviewer = client_for(reviewer_of(department))

    queue = text_of(reviewer.get(reverse("disclosure:staff_consultation", args=[consultation.pk])))
    moderated = reviewer.post(
        reverse("disclosure:moderate_comment", args=[comment.pk]),
        {f"c{comment.pk}-decision": "publish"},
    )

    assert "请增加听证程序。" in queue
    assert moderated.status_code == 302
    assert "请增加听证程序。" in text_of(page_of(consultation))


def test_comments_are_paginated_newest_first(consultation, clock):
    clock.move_to(DURING)
    for n in range(25):
        comment_on(consultation, body=f"第{n:02d}条意见", moderated=Moderation.PUBLISH)

    first, second = (
        text_of(page_of(consultation)),
        Client().get(consultation.get_absolute_url() + "?page=2").content.decode(),
    )

    assert "第24条意见" in first and "第05条意见" in first and "第04条意见" not in first
    assert "第04条意见" in second and "第00条意见" in second


# --- the page cache: anonymous visitors -----------------------------------------------------------


def test_anonymous_visitors_see_a_newly_published_comment_at_once(consultation, clock):
    clock.move_to(DURING)
    before = text_of(page_of(consultation))  # rendered and cached

    comment_on(consultation, body="刚刚审核通过的意见", moderated=Moderation.PUBLISH)

    assert "刚刚审核通过的意见" not in before
    assert "刚刚审核通过的意见" in text_of(page_of(consultation))


def test_anonymous_visitors_see_the_consultation_close_without_anyone_invalidating_it(
    consultation, clock
):
    clock.move_to(LAST_MINUTE)
    assert "Log in to comment" in text_of(page_of(consultation))

    clock.move_to(AFTER_CLOSING)

    assert "comments are no longer accepted" in text_of(page_of(consultation))


def test_a_withdrawn_consultation_is_gone_with_its_reason(consultation, clock, department):
    clock.move_to(DURING)
    page_of(consultation)  # cached for anonymous visitors
    withdraw_publication(consultation.publication.pk, head_of(department), "决策事项已调整。")

    response = page_of(consultation)

    assert response.status_code == 410
    assert "决策事项已调整。" in text_of(response)
    with pytest.raises(ValidationError):
        submit_comment(
            Consultation.objects.get(pk=consultation.pk), CitizenFactory(), body="还能提吗"
        )


# --- the feedback report and its deadline --------------------------------------------------------


def test_the_feedback_report_is_written_after_closing(consultation, clock, department):
    clock.move_to(DURING)

    with pytest.raises(ValidationError) as refused:
        draft_feedback_report(
            consultation.pk,
            reviewer_of(department),
            adopted_count=0,
            adopted="无",
            not_adopted="无",
        )

    assert refused.value.code == "still_open"


def test_the_feedback_report_gives_the_counts_and_is_approved_by_a_second_person(
    consultation, clock, department
):
    clock.move_to(DURING)
    comment_on(consultation, CitizenFactory(real_name="赵六"), moderated=Moderation.PUBLISH)
    comment_on(consultation, moderated=Moderation.PUBLISH)
    comment_on(consultation, moderated=Moderation.REJECT)
    clock.move_to(AFTER_CLOSING)
    author = reviewer_of(department)

    report = draft_feedback_report(
        consultation.pk,
        author,
        adopted_count=1,
        adopted="采纳赵六关于明确起算时间的意见，修改第三条。",
        not_adopted="关于取消收费的意见，因本办法不涉及收费，未予采纳。",
    )
    approve_publication(report.pk, head_of(department))

    consultation.refresh_from_db()
    summary = report.body.split("\n")[0]
    assert report.kind == Publication.Kind.FEEDBACK_REPORT
    assert re.search(r"\D3\D+2\D+1\D", summary), summary  # received, published, adopted
    assert "关于取消收费的意见" in report.body
    assert "赵六" not in report.body and "赵*" in report.body
    assert consultation.report_published_at is not None
    assert consultation.adopted_count == 1
    assert "Read the feedback report" in text_of(page_of(consultation))


def test_the_department_is_told_once_when_comments_close(consultation, clock, department):
    staff = reviewer_of(department)
    clock.move_to(AFTER_CLOSING)

    first, second = sweep_consultations(), sweep_consultations()

    assert first.closed == [consultation.pk] and second.closed == []
    told = Notification.objects.get(recipient=staff, kind="consultation_closed")
    assert told.context["report_due"] == "2027-01-14 17:30"


def test_a_late_feedback_report_is_escalated_to_the_head_once(consultation, clock, department):
    head = head_of(department)
    clock.move_to(REPORT_DUE)
    assert sweep_consultations().escalated == []

    clock.move_to(JUST_AFTER_REPORT_DUE)
    first, second = sweep_consultations(), sweep_consultations()

    assert first.escalated == [consultation.pk] and second.escalated == []
    assert Consultation.objects.get(pk=consultation.pk).report_escalated_at is not None
    assert Notification.objects.filter(recipient=head, kind="feedback_report_overdue").count() == 1


def test_a_report_published_in_time_is_never_escalated(consultation, clock, department):
    clock.move_to(AFTER_CLOSING)
    report = draft_feedback_report(
        consultation.pk,
        reviewer_of(department),
        adopted_count=0,
        adopted="无。",
        not_adopted="无。",
    )
    approve_publication(report.pk, head_of(department))

    clock.move_to(JUST_AFTER_REPORT_DUE)

    assert sweep_consultations().escalated == []


def test_a_withdrawn_consultation_owes_no_report(consultation, clock, department):
    clock.move_to(DURING)
    withdraw_publication(consultation.publication.pk, head_of(department), "决策事项已撤销。")

    clock.move_to(JUST_AFTER_REPORT_DUE)

    assert sweep_consultations().escalated == []


def test_the_sweep_is_a_beat_task(consultation, clock, settings):
    clock.move_to(JUST_AFTER_REPORT_DUE)

    assert sweep_feedback_reports() == {"closed": 1, "escalated": 1}
    assert any(
        entry["task"] == "disclosure.tasks.sweep_feedback_reports"
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    )


def test_the_sweep_reads_only_the_reports_still_owed_through_its_index(consultation):
    from django.db import connection

    from disclosure.consultations import _reports_awaited

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        sql, params = _reports_awaited(JUST_AFTER_REPORT_DUE).query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "consultation_report_awaited" in plan


# --- discovery: search, feeds, sitemap, statistics ------------------------------------------------


def test_consultations_are_found_in_search_feeds_and_the_sitemap(consultation, clock):
    clock.move_to(DURING)
    client = Client(headers={"accept-language": "en"})
    url = consultation.get_absolute_url()

    search = client.get(reverse("disclosure:search"), {"q": "营商环境"})
    feed = client.get(reverse("disclosure:feed_kind", args=["consultation"]))
    sitemap = client.get(reverse("sitemap"))
    listing = client.get(reverse("disclosure:consultations"), {"phase": "open"})

    assert url in text_of(search)
    assert url in text_of(feed)
    assert url in text_of(sitemap)
    assert url in text_of(listing)


def test_public_statistics_count_consultations_and_reports(consultation, clock, department):
    clock.move_to(DURING)
    comment_on(consultation, moderated=Moderation.PUBLISH)
    comment_on(consultation)
    clock.move_to(JUST_AFTER_REPORT_DUE)

    from disclosure.statistics import Period, consultations_by_department

    (row,) = consultations_by_department(Period(2026))
    assert row["code"] == "general-office"
    assert (row["consultations"], row["comments_received"], row["comments_published"]) == (1, 2, 1)
    assert (row["reports_published"], row["reports_late"]) == (0, 1)
    page = Client(headers={"accept-language": "en"}).get(reverse("disclosure:statistics"))
    assert "Consultations by department" in text_of(page)
