"""Ratings (好差评): once per finished case, only by its applicant, shown on the status page."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.urls import reverse

from services import ratings
from services.models import Rating
from tests.factories import ApplicationFactory, CitizenFactory


@pytest.fixture
def decided(db):
    return ApplicationFactory(approved=True)


def test_applicant_rates_a_decided_case_on_its_status_page(decided, client_for):
    client = client_for(decided.applicant)
    page = client.get(reverse("application_status", args=[decided.pk])).content.decode()
    assert "Rate this service" in page and 'name="score"' in page

    client.post(reverse("services:rate", args=[decided.pk]), {"score": "4", "comment": "办得快"})

    rating = Rating.objects.get(application=decided)
    assert (rating.score, rating.comment) == (4, "办得快")
    page = client.get(reverse("application_status", args=[decided.pk])).content.decode()
    assert "4 out of 5" in page and "办得快" in page and 'name="score"' not in page


def test_a_case_is_rated_once(decided):
    ratings.rate(decided, decided.applicant, 5)

    with pytest.raises(ValidationError):
        ratings.rate(decided, decided.applicant, 1, "改主意了")
    assert Rating.objects.get(application=decided).score == 5


def test_the_database_refuses_a_second_rating_and_a_score_out_of_range(decided):
    Rating.objects.create(application=decided, score=3)
    with pytest.raises(IntegrityError):
        Rating.objects.create(application=decided, score=4)


@pytest.mark.parametrize("score", [0, 6, -1])
def test_score_outside_one_to_five_is_refused_by_the_check_constraint(decided, score):
    with pytest.raises(IntegrityError):
        Rating.objects.create(application=decided, score=score)


@pytest.mark.parametrize("score", ["0", "6", "five", None])
def test_bad_score_gets_a_clear_message_and_stores_nothing(decided, client_for, score):
    client = client_for(decided.applicant)
    response = client.post(
        reverse("services:rate", args=[decided.pk]), {"score": score or ""}, follow=True
    )

    assert "Choose from 1 (poor) to 5 (very good)." in response.content.decode()
    assert not Rating.objects.exists()


def test_a_case_still_running_cannot_be_rated(db):
    application = ApplicationFactory(in_review=True)

    with pytest.raises(ValidationError):
        ratings.rate(application, application.applicant, 5)


def test_withdrawn_case_can_be_rated(db):
    application = ApplicationFactory(withdrawn=True)

    assert ratings.rate(application, application.applicant, 2, "等得太久").score == 2


def test_only_the_applicant_rates(decided, client_for):
    other = CitizenFactory()
    with pytest.raises(PermissionDenied):
        ratings.rate(decided, other, 1)

    response = client_for(other).post(reverse("services:rate", args=[decided.pk]), {"score": "1"})
    assert response.status_code == 404
    assert not Rating.objects.exists()
