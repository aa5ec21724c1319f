"""The catalogue and the service guides are served from Redis to anonymous visitors
(common/page_cache.py): rendered once, stale the moment the catalogue changes, never shared
where a page is personal (the header of a logged-in person, a message, a CSRF token)."""

import re

import pytest
from csp.middleware import CSPMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from common.page_cache import cached_for_anonymous_visitors
from services.models import ServiceItem
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    FormFieldFactory,
    MaterialFactory,
    StaffFactory,
    ThemeFactory,
    implementation_of,
    item_with_stages,
)

pytestmark = pytest.mark.django_db

CATALOGUE = reverse("services:catalogue")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def item():
    return item_with_stages(
        [[DepartmentFactory(name="市市场监督管理局", name_en="Market Regulation")]],
        name="食品经营许可",
        name_en="Food business licence",
    )


def guide_of(item) -> str:
    return reverse("services:guide", args=[item.code])


def visitor(language: str = "en", **options) -> Client:
    return Client(headers={"accept-language": language}, **options)


def csrf_token_in(response) -> str:
    return CSRF_FIELD.search(response.content.decode()).group(1)


@pytest.mark.parametrize("page", ["catalogue", "guide"])
def test_second_anonymous_visit_is_served_without_rendering_or_queries(
    page, item, django_assert_num_queries
):
    url = CATALOGUE if page == "catalogue" else guide_of(item)
    first = visitor().get(url)

    with django_assert_num_queries(0):
        second = visitor().get(url)

    assert first.templates and not second.templates  # the second one was not rendered
    assert second.status_code == 200
    assert second["Content-Type"] == first["Content-Type"]
    assert "Food business licence" in second.content.decode()
    without_tokens = [CSRF_FIELD.sub("", r.content.decode()) for r in (first, second)]
    assert without_tokens[0] == without_tokens[1]


def test_unpublishing_in_the_django_admin_shows_at_once(item, client_for):
    administrator = StaffFactory(is_staff=True, is_superuser=True)
    assert item.name_en in visitor().get(CATALOGUE).content.decode()
    assert visitor().get(guide_of(item)).status_code == 200

    response = client_for(administrator).post(
        reverse("admin:services_itemimplementation_changelist"),
        {"action": "unpublish", "_selected_action": [implementation_of(item).pk]},
    )

    assert response.status_code == 302
    assert item.name_en not in visitor().get(CATALOGUE).content.decode()
    assert visitor().get(guide_of(item)).status_code == 404


def change_the_item(item):
    item.name_en = "Renamed licence"
    item.save()


def change_a_material(item):
    MaterialFactory(item=item, name="Renamed licence")


def change_a_form_field(item):
    FormFieldFactory(item=item, label="Renamed licence")


def change_a_stage(item):
    stage = implementation_of(item).stages.get()
    stage.name = "Renamed licence"
    stage.save()


def change_a_department(item):
    department = implementation_of(item).stages.get().departments.get().department
    department.name_en = "Renamed licence"
    department.save()


def change_the_theme(item):
    item.theme.name_en = "Renamed licence"
    item.theme.save()


def delete_a_material(item):
    item.materials.get(code="id_card").delete()


@pytest.mark.parametrize(
    "change",
    [
        change_the_item,
        change_a_material,
        change_a_form_field,
        change_a_stage,
        change_a_department,
        change_the_theme,
        delete_a_material,
    ],
)
def test_any_change_to_what_the_guide_shows_is_served_at_once(change, item):
    before = visitor().get(guide_of(item)).content.decode()
    assert "Renamed licence" not in before and "身份证明" in before

    change(ServiceItem.objects.get(pk=item.pk))

    after = visitor().get(guide_of(item))
    assert after.templates, "the stale page was served"
    page = after.content.decode()
    assert "Renamed licence" in page or "身份证明" not in page


def test_languages_are_cached_apart(item):
    assert visitor("zh-hans").get(guide_of(item)).status_code == 200
    assert visitor("en").get(guide_of(item)).status_code == 200

    chinese = visitor("zh-hans").get(guide_of(item))
    english = visitor("en").get(guide_of(item))

    assert not chinese.templates and not english.templates
    assert '<html lang="zh-Hans">' in chinese.content.decode()
    assert "食品经营许可" in chinese.content.decode()
    assert '<html lang="en">' in english.content.decode()
    assert "Food business licence" in english.content.decode()


def test_two_anonymous_visitors_never_share_a_csrf_token_and_each_token_works(item):
    visitor(enforce_csrf_checks=True).get(guide_of(item))  # cached now
    first, second = visitor(enforce_csrf_checks=True), visitor(enforce_csrf_checks=True)

    tokens = [csrf_token_in(c.get(guide_of(item))) for c in (first, second)]

    assert tokens[0] != tokens[1]
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    # The no-JavaScript language switcher posts with the token the cached page carried.
    for client, token in zip((first, second), tokens, strict=True):
        switched = client.post(
            reverse("set_language"),
            {"language": "zh-hans", "next": guide_of(item), "csrfmiddlewaretoken": token},
        )
        assert switched.status_code == 302
    refused = first.post(
        reverse("set_language"),
        {"language": "en", "next": "/", "csrfmiddlewaretoken": tokens[1]},
    )
    assert refused.status_code == 403


def test_a_logged_in_person_sees_their_own_header_on_a_cached_page(item, client_for):
    citizen = CitizenFactory(real_name="王小明")
    visitor().get(guide_of(item))

    page = client_for(citizen).get(guide_of(item))

    assert page.templates
    content = page.content.decode()
    assert "王小明" in content and "Log out" in content
    assert "Log in to apply" not in content
    assert reverse("services:start", args=[item.code]) in content


def test_a_logged_in_persons_page_is_never_served_to_visitors(item, client_for):
    client_for(CitizenFactory(real_name="王小明")).get(guide_of(item))

    anonymous = visitor().get(guide_of(item))

    assert anonymous.templates  # rendered for the visitor, not taken from the citizen's
    assert "王小明" not in anonymous.content.decode()
    assert "Log in to apply" in anonymous.content.decode()


def with_message(client: Client, text: str) -> Client:
    request = RequestFactory().get("/")
    storage = CookieStorage(request)
    storage.add(constants.SUCCESS, text)
    response = HttpResponse()
    storage.update(response)
    client.cookies["messages"] = response.cookies["messages"].value
    return client


def test_a_visitors_message_is_shown_to_them_and_never_cached(item):
    visitor().get(guide_of(item))  # cached now

    told = with_message(visitor(), "You have logged out.").get(guide_of(item))
    after = visitor().get(guide_of(item))

    assert told.templates and "You have logged out." in told.content.decode()
    assert "You have logged out." not in after.content.decode()
    assert not after.templates


def test_a_free_text_search_and_unknown_filters_are_not_stored(item):
    for query in ({"q": "food"}, {"theme": "no-such-theme"}, {"page": "99"}, {"utm": "x"}):
        visitor().get(CATALOGUE, query)

        assert visitor().get(CATALOGUE, query).templates, query


def test_catalogue_filters_a_link_leads_to_are_cached_each_apart(item):
    other = ThemeFactory(slug="transport", name_en="Transport")
    by_theme = {"q": "", "theme": item.theme.slug, "audience": ""}
    visitor().get(CATALOGUE, by_theme)
    visitor().get(CATALOGUE, {"theme": other.slug})

    cached = visitor().get(CATALOGUE, by_theme)
    empty = visitor().get(CATALOGUE, {"theme": other.slug})

    assert not cached.templates and not empty.templates
    assert item.name_en in cached.content.decode()
    assert item.name_en not in empty.content.decode()


def test_with_redis_unreachable_the_pages_are_rendered(item, settings):
    settings.CACHES = {
        **settings.CACHES,
        "pages": {**settings.CACHES["pages"], "LOCATION": "redis://127.0.0.1:1/0"},
    }

    responses = [visitor().get(guide_of(item)) for _ in range(2)]

    assert [r.status_code for r in responses] == [200, 200]
    assert all(r.templates for r in responses)


def test_a_page_whose_render_used_the_csp_nonce_is_not_stored():
    renders = []

    @cached_for_anonymous_visitors("tests")
    def page_with_inline_script(request):
        renders.append(1)
        return HttpResponse(f'<script nonce="{request.csp_nonce}"></script>')

    def anonymous_request():
        request = RequestFactory().get("/nonce/")
        request.user = AnonymousUser()
        request.session = SessionStore()
        request._messages = FallbackStorage(request)
        CSPMiddleware(lambda r: HttpResponse()).process_request(request)
        return request

    pages = [page_with_inline_script(anonymous_request()).content for _ in range(2)]

    assert len(renders) == 2
    assert pages[0] != pages[1]
