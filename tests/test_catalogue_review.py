"""Draft → review → publish of a region's implementation, its rules and its admin (issue 16,
items 3–5): applicants see and file under the published version, edits wait for a second
administrator, and publishing is refused with a message that names the field."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from services import catalogue_publishing
from services.catalogue_rules import publishing_problems
from services.filing import submit
from services.models import FormField, ItemImplementation, ReviewState, StageDepartment
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    FormFieldFactory,
    StaffFactory,
    complete_draft,
    implementation_of,
    item_with_stages,
    second_city,
)

pytestmark = pytest.mark.django_db

DESCRIBED = {"description": "二代居民身份证正反面。"}


@pytest.fixture(autouse=True)
def in_english():
    """The domain functions answer in the active language; these tests read the English."""
    with translation.override("en"):
        yield


def admin_user(name: str):
    return StaffFactory(username=name, real_name=name, is_staff=True, is_superuser=True)


@pytest.fixture
def editor():
    return admin_user("editor")


@pytest.fixture
def reviewer():
    return admin_user("reviewer")


def publishable_item(**item_fields):
    """An item whose implementation breaks no publishing rule."""
    return item_with_stages(
        [[DepartmentFactory()]],
        materials=[{"code": "id_card", "name": "身份证明", **DESCRIBED}],
        **item_fields,
    )


def published(implementation: ItemImplementation, editor, reviewer) -> ItemImplementation:
    catalogue_publishing.mark_edited(implementation.pk, editor)
    catalogue_publishing.submit_for_review(implementation.pk, editor)
    catalogue_publishing.approve(implementation.pk, reviewer)
    return catalogue_publishing.publish(implementation.pk, reviewer)


def submitted_application(item):
    draft = complete_draft(item)
    return submit(draft, draft.applicant)


def stage_department(implementation) -> StageDepartment:
    return StageDepartment.objects.get(stage__implementation=implementation)


# --- two people ---------------------------------------------------------------------------------


def test_the_administrator_who_submitted_a_draft_cannot_approve_it(editor):
    implementation = implementation_of(publishable_item())
    catalogue_publishing.mark_edited(implementation.pk, editor)
    catalogue_publishing.submit_for_review(implementation.pk, editor)

    with pytest.raises(PermissionDenied, match="second administrator"):
        catalogue_publishing.approve(implementation.pk, editor)

    assert ItemImplementation.objects.get(pk=implementation.pk).review_state == "in_review"


def test_the_administrator_who_last_edited_cannot_approve_what_another_submitted(editor, reviewer):
    implementation = implementation_of(publishable_item())
    catalogue_publishing.mark_edited(implementation.pk, editor)
    catalogue_publishing.submit_for_review(implementation.pk, reviewer)

    with pytest.raises(PermissionDenied):
        catalogue_publishing.approve(implementation.pk, editor)


def test_a_second_administrator_approves_and_publishing_freezes_the_published_version(
    editor, reviewer
):
    implementation = implementation_of(publishable_item())

    implementation = published(implementation, editor, reviewer)

    assert implementation.review_state == ReviewState.PUBLISHED
    assert implementation.is_published
    assert implementation.approved_by == reviewer
    assert implementation.published_version.definition["item"]["code"] == implementation.item.code


def test_only_an_approved_draft_is_published(editor):
    implementation = implementation_of(publishable_item())
    catalogue_publishing.mark_edited(implementation.pk, editor)

    with pytest.raises(ValidationError) as refusal:
        catalogue_publishing.publish(implementation.pk, editor)

    assert refusal.value.code == "wrong_state"


# --- what applicants see and file under ---------------------------------------------------------


def test_editing_a_published_implementation_makes_a_draft_while_applications_freeze_the_published(
    editor, reviewer
):
    item = publishable_item()
    implementation = published(implementation_of(item), editor, reviewer)
    version = implementation.published_version
    row = stage_department(implementation)
    row.time_limit_days = 3
    row.save()
    catalogue_publishing.mark_edited(implementation.pk, editor)

    application = submitted_application(item)

    assert ItemImplementation.objects.get(pk=implementation.pk).review_state == "draft"
    assert application.item_version == version
    assert application.definition.review_stages[0].steps[0].time_limit_days == 5


def test_publishing_the_edit_makes_new_applications_freeze_the_new_version(editor, reviewer):
    item = publishable_item()
    implementation = published(implementation_of(item), editor, reviewer)
    first = implementation.published_version
    row = stage_department(implementation)
    row.time_limit_days = 3
    row.save()

    implementation = published(implementation, editor, reviewer)
    application = submitted_application(item)

    assert implementation.published_version != first
    assert application.item_version == implementation.published_version
    assert application.definition.review_stages[0].steps[0].time_limit_days == 3


def test_the_guide_shows_the_published_version_not_the_draft(client, editor, reviewer):
    item = publishable_item(fee="10.00")
    implementation = published(implementation_of(item), editor, reviewer)
    ItemImplementation.objects.filter(pk=implementation.pk).update(fee="99.00")
    item.legal_basis = "未发布的新依据"
    item.save()

    page = client.get(item.get_absolute_url()).content.decode()

    assert "¥10.00" in page
    assert "99.00" not in page
    assert "未发布的新依据" not in page


# --- the admin: editing, preview, history -------------------------------------------------------


def change_page_data(client, implementation) -> dict:
    """The implementation's change form as the admin renders it, ready to post back."""
    response = client.get(
        reverse("admin:services_itemimplementation_change", args=[implementation.pk])
    )
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        data[name] = "" if value is None else getattr(value, "pk", value)
    for formset in response.context["inline_admin_formsets"]:
        data.update(management_and_rows(formset.formset))
    return data


def management_and_rows(formset) -> dict:
    data = {
        f"{formset.prefix}-TOTAL_FORMS": str(len(formset.forms)),
        f"{formset.prefix}-INITIAL_FORMS": str(formset.initial_form_count()),
        f"{formset.prefix}-MIN_NUM_FORMS": "0",
        f"{formset.prefix}-MAX_NUM_FORMS": "1000",
    }
    for form in formset.forms:
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if value is None:
                value = ""
            data[form.add_prefix(name)] = getattr(value, "pk", value)
        for nested in getattr(form, "nested_formsets", []):
            data.update(management_and_rows(nested))
    return data


def test_saving_a_changed_fee_in_the_admin_makes_a_draft_and_history_says_who(
    client_for, editor, reviewer
):
    implementation = published(implementation_of(publishable_item()), editor, reviewer)
    client = client_for(editor)
    data = change_page_data(client, implementation)
    data["fee"] = "25.00"

    response = client.post(
        reverse("admin:services_itemimplementation_change", args=[implementation.pk]), data
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    implementation.refresh_from_db()
    assert implementation.review_state == "draft"
    assert implementation.last_edited_by == editor
    assert implementation.is_published
    latest = implementation.history.order_by("-history_date").first()
    assert latest.history_user == editor
    assert str(latest.fee) == "25.00"
    page = client.get(
        reverse("admin:services_itemimplementation_change", args=[implementation.pk])
    ).content.decode()
    assert "fee (yuan)" in page and "editor" in page


def test_recent_changes_name_the_fields_each_save_changed_against_that_rows_previous_save():
    from services.catalogue_history import changes_of
    from services.models import Material

    implementation = implementation_of(publishable_item())
    local = Material.objects.create(implementation=implementation, code="lease", name="租赁合同")
    implementation.fee_basis = "物价局文件"
    implementation.save()
    local.description = "复印件。"
    local.save()
    implementation.promised_limit_days = 3
    implementation.save()
    implementation.save()  # nothing changed: not listed

    changes = [(change.what, change.kind, change.fields) for change in changes_of(implementation)]

    assert changes[:4] == [
        ("implementation", "changed", ("promised time limit (working days)",)),
        ("material lease", "changed", ("description",)),
        ("implementation", "changed", ("basis of the fee",)),
        ("material lease", "added", ()),
    ]


def test_the_preview_shows_the_draft_to_administrators_only(client_for, editor, reviewer):
    item = publishable_item()
    implementation = published(implementation_of(item), editor, reviewer)
    FormFieldFactory(item=item, name="opening_hours", label="营业时间（草稿）")
    guide = reverse("admin:services_implementation_preview", args=[implementation.pk])
    form = reverse("admin:services_implementation_preview_form", args=[implementation.pk])

    as_admin = client_for(editor)
    as_citizen = client_for(CitizenFactory())

    assert "营业时间（草稿）" in as_admin.get(guide).content.decode()
    assert 'name="opening_hours"' in as_admin.get(form).content.decode()
    assert as_citizen.get(guide).status_code == 302  # to the admin's login
    assert "营业时间（草稿）" not in as_admin.get(item.get_absolute_url()).content.decode()


def test_the_change_page_buttons_refuse_the_author_approval(client_for, editor, reviewer):
    implementation = implementation_of(publishable_item())
    catalogue_publishing.mark_edited(implementation.pk, editor)
    catalogue_publishing.submit_for_review(implementation.pk, editor)
    url = reverse("admin:services_implementation_workflow", args=[implementation.pk, "approve"])

    refused = client_for(editor).post(url, follow=True)
    client_for(reviewer).post(url)

    assert "second administrator" in refused.content.decode()
    assert ItemImplementation.objects.get(pk=implementation.pk).review_state == "approved"


# --- rules before publishing --------------------------------------------------------------------


def problems_of(item) -> dict[str, list[str]]:
    return publishing_problems(implementation_of(item))


def test_publishing_requires_a_stage():
    item = item_with_stages([], materials=[{"code": "id_card", "name": "身份证明", **DESCRIBED}])

    assert "Review stages: add at least one stage" in problems_of(item)["stages"][0]


def test_each_stage_needs_a_department_of_the_region():
    elsewhere = DepartmentFactory(region=second_city(), name="芜湖市市场监管局")
    item = item_with_stages(
        [[elsewhere]], materials=[{"code": "id_card", "name": "身份证明", **DESCRIBED}]
    )

    assert "no department of 合肥市" in " ".join(problems_of(item)["stages"])


def test_a_promised_limit_longer_than_the_statutory_one_is_refused_naming_the_field(editor):
    item = publishable_item(statutory_limit_days=20)
    implementation = implementation_of(item)
    ItemImplementation.objects.filter(pk=implementation.pk).update(promised_limit_days=30)
    catalogue_publishing.mark_edited(implementation.pk, editor)

    with pytest.raises(ValidationError) as refusal:
        catalogue_publishing.submit_for_review(implementation.pk, editor)

    assert "Promised time limit" in refusal.value.message_dict["promised_limit_days"][0]
    assert ItemImplementation.objects.get(pk=implementation.pk).review_state == "draft"


def test_a_department_limit_longer_than_the_item_limit_is_refused():
    item = item_with_stages(
        [[DepartmentFactory()]],
        materials=[{"code": "id_card", "name": "身份证明", **DESCRIBED}],
        time_limit_days=25,
        reminder_days=2,
    )

    assert "longer than the item's limit of 20" in " ".join(problems_of(item)["stages"])


def test_a_reminder_must_come_before_the_deadline():
    item = item_with_stages(
        [[DepartmentFactory()]],
        materials=[{"code": "id_card", "name": "身份证明", **DESCRIBED}],
        time_limit_days=2,
        reminder_days=2,
    )

    assert "the reminder" in " ".join(problems_of(item)["stages"])


def test_every_required_material_is_described():
    item = item_with_stages(
        [[DepartmentFactory()]], materials=[{"code": "licence", "name": "执照"}]
    )

    assert "Required material “执照” (licence)" in problems_of(item)["materials"][0]


def test_field_keys_are_unique_across_standard_and_local_fields():
    item = publishable_item()
    FormField.objects.create(
        item=item,
        implementation=implementation_of(item),
        name="business_name",
        label="本地经营者名称",
        kind="text",
    )

    assert "“business_name” is used 2 times" in problems_of(item)["fields"][0]


def test_a_choice_field_lists_its_choices():
    item = publishable_item()
    FormFieldFactory(item=item, name="scale", label="规模", kind="choice", choices="")

    assert "“规模” (scale) is a choice" in problems_of(item)["fields"][0]


def test_a_publishable_implementation_has_no_problems():
    assert problems_of(publishable_item()) == {}


# --- bulk actions --------------------------------------------------------------------------------


def test_one_departments_limit_changes_across_items_through_an_intermediate_page(
    client_for, editor, reviewer
):
    market = DepartmentFactory(name="市场监管局")
    items = [
        item_with_stages(
            [[market]], materials=[{"code": "id_card", "name": "身份证明", **DESCRIBED}]
        )
        for _ in range(2)
    ]
    implementations = [published(implementation_of(item), editor, reviewer) for item in items]
    changelist = reverse("admin:services_itemimplementation_changelist")
    selected = [implementation.pk for implementation in implementations]
    client = client_for(editor)

    form_page = client.post(
        changelist, {"action": "change_department_limit", "_selected_action": selected}
    )
    done = client.post(
        changelist,
        {
            "action": "change_department_limit",
            "_selected_action": selected,
            "apply": "1",
            "department": market.pk,
            "time_limit_days": "3",
        },
        follow=True,
    )

    assert "New time limit" in form_page.content.decode()
    assert "now has 3 working days in 2 implementations" in done.content.decode()
    for implementation in implementations:
        implementation.refresh_from_db()
        assert stage_department(implementation).time_limit_days == 3
        assert implementation.review_state == "draft"
        assert (
            implementation.published_version.definition["stages"][0]["departments"][0][
                "time_limit_days"
            ]
            == 5
        )


def test_a_limit_longer_than_the_statutory_one_changes_nothing(client_for, editor):
    market = DepartmentFactory()
    implementation = implementation_of(publishable_item(statutory_limit_days=10))
    StageDepartment.objects.filter(stage__implementation=implementation).update(department=market)

    page = client_for(editor).post(
        reverse("admin:services_itemimplementation_changelist"),
        {
            "action": "change_department_limit",
            "_selected_action": [implementation.pk],
            "apply": "1",
            "department": market.pk,
            "time_limit_days": "15",
        },
    )

    assert "longer than the statutory limit" in page.content.decode()
    assert stage_department(implementation).time_limit_days == 5


def test_a_batch_of_approved_drafts_is_published_and_the_others_are_named(
    client_for, editor, reviewer
):
    approved = [implementation_of(publishable_item()) for _ in range(2)]
    for implementation in approved:
        catalogue_publishing.mark_edited(implementation.pk, editor)
        catalogue_publishing.submit_for_review(implementation.pk, editor)
        catalogue_publishing.approve(implementation.pk, reviewer)
    draft = implementation_of(publishable_item())
    catalogue_publishing.mark_edited(draft.pk, editor)

    page = client_for(reviewer).post(
        reverse("admin:services_itemimplementation_changelist"),
        {"action": "publish", "_selected_action": [i.pk for i in [*approved, draft]]},
        follow=True,
    )

    text = page.content.decode()
    assert "Published (2)" in text
    assert str(draft) in text and "not possible now" in text
    states = ItemImplementation.objects.filter(pk__in=[i.pk for i in approved])
    assert {state.review_state for state in states} == {"published"}
    assert all(state.published_version_id for state in states)


def test_the_lists_filter_by_state_and_search_by_english_name(client_for, editor):
    item = publishable_item(name_en="Street stall licence")
    implementation_of(item)
    client = client_for(editor)

    by_state = client.get(
        reverse("admin:services_itemimplementation_changelist"), {"review_state__exact": "draft"}
    )
    by_name = client.get(reverse("admin:services_serviceitem_changelist"), {"q": "Street stall"})

    assert by_state.status_code == 200 and item.code in by_state.content.decode()
    assert item.code in by_name.content.decode()


def test_every_implementation_of_the_demo_passes_the_rules_before_publishing():
    from portal.demo import load_demo
    from services.catalogue_rules import check_publishable

    load_demo()

    implementations = ItemImplementation.objects.select_related("item", "region")
    assert {i.region.code for i in implementations} >= {"340100", "340200"}
    for implementation in implementations:
        check_publishable(implementation)  # raises ValidationError naming the field
