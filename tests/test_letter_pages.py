"""Letters (政民互动) through the doors a person uses: the writing page, the writer's page, the
staff's task page, the public pages and the API; bad input refused in the reader's language."""

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import ReviewTask
from disclosure.models import PublishedLetter
from services.models import Application, Letter
from tests.factories import CitizenFactory, DepartmentFactory, clerk_of, reviewer_of
from tests.letter_factories import answered, letter_item, letter_of, triage_task, triaged

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script><b>加粗</b>'


@pytest.fixture
def transport():
    return DepartmentFactory(code="transport", name="市交通运输局", name_en="Transport Bureau")


@pytest.fixture
def item(transport):
    return letter_item()


def form_data(**fields) -> dict:
    return {"kind": "suggestion", "topic": "公交站点", "body": "建议增设站点。", **fields}


def test_the_writing_page_states_the_limits_in_both_languages(item, client_for):
    writer = client_for(CitizenFactory())

    english = writer.get(reverse("services:write_letter")).content.decode()
    chinese = writer.get(
        reverse("services:write_letter"), headers={"accept-language": "zh-hans"}
    ).content.decode()

    assert "a topic of at most 100 characters, a letter of at most 5000 characters" in english
    assert "主题不超过100个字符，来信不超过5000个字符" in chinese


def test_a_letter_written_on_the_page_shows_html_as_text_to_the_writer_and_the_staff(
    item, client_for, transport
):
    citizen = CitizenFactory()
    writer = client_for(citizen)

    sent = writer.post(
        reverse("services:write_letter"), form_data(body=SCRIPT, department="transport")
    )

    letter = Letter.objects.get()
    assert sent.status_code == 302 and sent["Location"] == reverse("letter", args=[letter.pk])
    assert letter.body == SCRIPT and letter.addressed_to == transport
    page = writer.get(sent["Location"]).content.decode()
    assert "&lt;script&gt;alert" in page and "<script>alert" not in page
    # The route message is sent after commit; here the test routes it as the worker would.
    from approvals.routing import route_application

    route_application(letter.pk)
    task = triage_task(letter)
    staff_page = client_for(clerk_of(task.department)).get(
        reverse("approvals:task", args=[task.pk])
    )
    assert "&lt;script&gt;alert" in staff_page.content.decode()


def test_a_letter_to_a_department_that_does_not_exist_is_refused_in_chinese(item, client_for):
    writer = client_for(CitizenFactory())

    refused = writer.post(
        reverse("services:write_letter"),
        form_data(department="no-such-bureau"),
        headers={"accept-language": "zh-hans"},
    )

    assert refused.status_code == 200
    assert "没有“no-such-bureau”这个部门" in refused.content.decode()
    assert not Letter.objects.exists() and not Application.objects.exists()


def test_an_empty_or_oversized_letter_is_refused_and_what_was_typed_stays(item, client_for):
    writer = client_for(CitizenFactory())

    empty = writer.post(reverse("services:write_letter"), form_data(body=""))
    long = writer.post(reverse("services:write_letter"), form_data(body="长" * 5001))

    assert "Write your letter." in empty.content.decode()
    assert "at most 5000 characters long (it has 5001)" in long.content.decode()
    assert "公交站点" in empty.content.decode()
    assert not Letter.objects.exists()


def test_staff_triage_and_answer_on_the_task_page_and_the_writer_rates(item, client_for, transport):
    citizen = CitizenFactory()
    letter = letter_of(citizen)
    task = triage_task(letter)
    clerk = client_for(clerk_of(task.department))

    nothing = clerk.post(reverse("approvals:task", args=[task.pk]), {"departments": []})
    assert "Assign the letter to at least one department." in nothing.content.decode()
    sent = clerk.post(reverse("approvals:task", args=[task.pk]), {"departments": [transport.pk]})
    assert sent.status_code == 302
    answer_task = ReviewTask.objects.get(application_id=letter.pk, stage_order=1)
    reviewer = client_for(reviewer_of(transport))
    reviewer.post(reverse("approvals:task", args=[answer_task.pk]), {"answer": "拟明年增设。"})

    writer = client_for(citizen)
    page = writer.get(reverse("letter", args=[letter.pk])).content.decode()
    assert "拟明年增设。" in page and "Rate the answer" in page
    writer.post(reverse("letter_rating", args=[letter.pk]), {"satisfaction": "unsatisfied"})
    page = writer.get(reverse("letter", args=[letter.pk])).content.decode()
    assert "Ask for a second answer" in page
    writer.post(reverse("letter_second_answer", args=[letter.pk]), {"reason": "没有说明位置。"})
    assert ReviewTask.objects.filter(application_id=letter.pk, stage_order=2).count() == 1


def test_the_public_sees_a_consented_letter_masked_and_the_statistics(item, transport):
    letter = letter_of(CitizenFactory(real_name="王小明"), body="我是王小明，电话13912345678。")
    (task,) = triaged(letter, transport)
    answered(task, reviewer_of(transport), "已收到。")
    public = Client(headers={"accept-language": "en"})

    listing = public.get(reverse("disclosure:letters")).content.decode()
    page = public.get(PublishedLetter.objects.get().get_absolute_url()).content.decode()
    statistics = public.get(reverse("disclosure:statistics")).content.decode()

    assert "公交站点" in listing
    assert "王**" in page and "王小明" not in page and "139****5678" in page
    assert "Letters by department" in statistics and "Transport Bureau" in statistics
