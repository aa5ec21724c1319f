import json

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminTextInputWidget
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from .audit import record
from .fields import EncryptedTextField
from .identity import is_valid_resident_id
from .models import AuditEntry, Department, Membership, Notification, Region, User

# Shown masked in the admin to everyone; in clear only on the audited "reveal" page, to those
# with the permission accounts.reveal_personal_identifiers (superusers have every permission).
MASKED_IN_ADMIN = {"resident_id": "masked_resident_id", "mobile": "masked_mobile"}
REVEAL_PERMISSION = "accounts.reveal_personal_identifiers"


class MaskedIdentifiersChangeForm(UserChangeForm):
    """The ID number and mobile are never put in the page: their inputs start empty, say what is
    stored masked, and keep it when left empty. A new value typed in replaces it, checked as
    before (checksum, one account per ID number)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, masked in MASKED_IN_ADMIN.items():
            field = self.fields.get(name)
            if field is None:
                continue
            self.initial[name] = ""
            field.required = False
            stored = getattr(self.instance, masked) if self.instance.pk else ""
            field.help_text = (
                _("Stored: %(masked)s. Leave empty to keep it; type a new one to replace it.")
                % {"masked": stored}
                if stored
                else _("None stored.")
            )

    def _keep_when_empty(self, name: str) -> str:
        value = (self.cleaned_data.get(name) or "").strip()
        return value or (getattr(self.instance, name) or "")

    def clean_resident_id(self):
        return self._keep_when_empty("resident_id")

    def clean_mobile(self):
        return self._keep_when_empty("mobile")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "level", "parent"]
    list_filter = ["level"]
    list_select_related = ["parent"]
    search_fields = ["code", "name", "name_en"]
    autocomplete_fields = ["parent"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "region", "is_service_centre"]
    list_filter = ["region", "is_service_centre"]
    list_select_related = ["region"]
    search_fields = ["code", "name", "name_en"]
    autocomplete_fields = ["region"]
    inlines = [MembershipInline]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "kind", "real_name", "enterprise_name", "is_active", "is_staff"]
    list_filter = ["kind", "is_active", "is_staff"]
    search_fields = ["username", "real_name", "enterprise_name", "credit_code"]
    form = MaskedIdentifiersChangeForm
    readonly_fields = ["credit_code_override_by", "email_verified_at"]
    formfield_overrides = {EncryptedTextField: {"widget": AdminTextInputWidget}}
    change_form_template = "admin/accounts/user/change_form.html"
    fieldsets = DjangoUserAdmin.fieldsets + (
        (
            _("Identity"),
            {
                "fields": [
                    "kind",
                    "region",
                    "email_verified_at",
                    "real_name",
                    "resident_id",
                    "mobile",
                    "address",
                    "enterprise_name",
                    "credit_code",
                    "credit_code_override_reason",
                    "credit_code_override_by",
                ]
            },
        ),
    )

    def get_search_results(self, request, queryset, search_term):
        # The ID number column is encrypted: a whole, valid number is found by its blind index.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if is_valid_resident_id(search_term):
            queryset |= self.model.objects.with_resident_id(search_term)
        return queryset, may_have_duplicates

    def get_urls(self):
        reveal = self.admin_site.admin_view(never_cache(self.reveal_view))
        return [
            path("<path:object_id>/reveal/", reveal, name="accounts_user_reveal"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_reveal": request.user.has_perm(REVEAL_PERMISSION),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def reveal_view(self, request, object_id):
        """The ID number and mobile in clear, after a POST, each time written to the audit log
        with who looked and from where (GB/T 22239-2019 8.1.4.3; PIPL Art. 51)."""
        if not request.user.has_perm(REVEAL_PERMISSION):
            raise PermissionDenied
        person = self.get_object(request, unquote(object_id))
        if person is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        revealed = request.method == "POST"
        if revealed:
            record(
                "personal_data.revealed",
                obj=person,
                detail={"fields": "resident_id,mobile"},
                request=request,
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Identifiers of %(name)s") % {"name": person.applicant_name or person},
            "opts": self.opts,
            "original": person,
            "person": person,
            "revealed": revealed,
            "change_url": reverse("admin:accounts_user_change", args=[person.pk]),
        }
        return TemplateResponse(request, "admin/accounts/user/reveal.html", context)

    def save_model(self, request, obj, form, change):
        # Who accepted a credit code that fails its check is part of the record.
        if obj.credit_code_override_reason and "credit_code_override_reason" in form.changed_data:
            obj.credit_code_override_by = request.user
        super().save_model(request, obj, form, change)


class AuditActionFilter(admin.SimpleListFilter):
    """By kind of action, from a fixed list: a DISTINCT over millions of entries is not free."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        from .audit import ACTIONS

        return [(action, action) for action in ACTIONS]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(action=self.value())
        return queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, for administrators to read. Nobody adds, changes or deletes entries here,
    superusers included; the database refuses it too (migration 0006 of accounts)."""

    list_display = ["at", "actor_label", "action", "object_reference", "ip"]
    list_filter = [AuditActionFilter, "chain", "at"]
    # Exact matches, which the indexes answer; the log grows by thousands of entries a day.
    search_fields = ["=actor_label", "=object_id", "=action"]
    ordering = ["-id"]
    list_per_page = 50
    show_full_result_count = False
    fields = [
        "id",
        "at",
        "actor_label",
        "actor_id",
        "action",
        "object_type",
        "object_id",
        "ip",
        "pretty_detail",
        "chain",
        "algorithm",
        "previous_hash",
        "hash",
    ]
    readonly_fields = fields

    @admin.display(description=_("object"))
    def object_reference(self, entry: AuditEntry) -> str:
        return f"{entry.object_type}:{entry.object_id}" if entry.object_type else ""

    @admin.display(description=_("detail"))
    def pretty_detail(self, entry: AuditEntry) -> str:
        text = json.dumps(entry.detail, ensure_ascii=False, indent=2, sort_keys=True)
        return format_html("<pre>{}</pre>", text)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: what the portal told whom and whether the e-mail left (for support)."""

    list_display = ["created_at", "recipient", "kind", "key", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["key", "recipient__username"]
    list_select_related = ["recipient"]
    readonly_fields = [
        "recipient",
        "kind",
        "key",
        "context",
        "url",
        "created_at",
        "read_at",
        "emailed_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
