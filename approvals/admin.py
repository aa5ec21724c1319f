from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.reauth import require_recent_authentication
from services.admin import ReadOnlyInline

from .certificates import REVOKE_PERMISSION, AlreadyRevoked, revoke, verify_certificate
from .forms import RevocationForm, add_validation_error
from .models import (
    CalendarDay,
    Certificate,
    ClockStop,
    CommonOpinion,
    Extension,
    ReviewTask,
    Substitution,
)
from .queues import headed_departments
from .substitutes import today as official_today


class ClockStopInline(ReadOnlyInline):
    model = ClockStop
    fields = ["reason", "note", "started_at", "ended_at", "stopped_working_days", "started_by"]


class ExtensionInline(ReadOnlyInline):
    model = Extension
    fields = ["working_days", "reason", "state", "requested_by", "decided_by", "decision_note"]


@admin.register(ReviewTask)
class ReviewTaskAdmin(admin.ModelAdmin):
    """Read-only: tasks change only through decisions, clock stops, extensions and the sweeper."""

    list_display = ["application", "stage_order", "department", "state", "due_at", "decided_at"]
    list_filter = ["state", "department", "timeout_policy"]
    search_fields = ["application__tracking_number"]
    list_select_related = ["application", "department"]
    inlines = [ClockStopInline, ExtensionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Holidays and make-up working days; deadlines computed after an edit use it."""

    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["name"]


class InEffectFilter(admin.SimpleListFilter):
    """Substitutions in effect today, still to come, or over (ended early or past their range)."""

    title = gettext_lazy("in effect")
    parameter_name = "in_effect"

    def lookups(self, request, model_admin):
        return [
            ("now", gettext_lazy("In effect today")),
            ("later", gettext_lazy("Still to come")),
            ("over", gettext_lazy("Over")),
        ]

    def queryset(self, request, queryset):
        today = official_today()
        running = queryset.filter(ended_at__isnull=True)
        if self.value() == "now":
            return running.filter(starts_on__lte=today, ends_on__gte=today)
        if self.value() == "later":
            return running.filter(starts_on__gt=today)
        if self.value() == "over":
            return queryset.exclude(pk__in=running.filter(ends_on__gte=today).values("pk"))
        return queryset


@admin.register(Substitution)
class SubstitutionAdmin(admin.ModelAdmin):
    """Read-only: a head names and ends substitutions on the staff pages, where the rules and the
    audit entry are (approvals/substitutes.py); the admin lists them for oversight."""

    list_display = [
        "department",
        "reviewer",
        "substitute",
        "starts_on",
        "ends_on",
        "named_by",
        "ended_at",
    ]
    list_filter = [InEffectFilter, "department", "starts_on", "ends_on"]
    date_hierarchy = "starts_on"
    search_fields = ["reviewer__username", "reviewer__real_name", "substitute__username"]
    list_select_related = ["department", "reviewer", "substitute", "named_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def same_page(request) -> str:
    return request.get_full_path()


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    """Read-only: certificates are issued by approvals and signed; the only change is revocation."""

    list_display = [
        "number",
        "holder_name",
        "item_name",
        "valid_from",
        "valid_until",
        "issued_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "item_code"]
    search_fields = ["number", "application__tracking_number", "holder_name"]
    list_select_related = ["application"]
    date_hierarchy = "issued_at"
    readonly_fields = ["verification_status"]
    fields = [
        "verification_status",
        "number",
        "application",
        "holder_kind",
        "holder_name",
        "holder_identifier",
        "item_code",
        "item_name",
        "item_name_en",
        "scope",
        "valid_from",
        "valid_until",
        "issuing_departments",
        "issued_at",
        "key_id",
        "signature",
        "revoked_at",
        "revoked_reason",
        "revoked_by",
    ]
    change_form_template = "admin/approvals/certificate/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("verification"))
    def verification_status(self, certificate: Certificate) -> str:
        return verify_certificate(certificate).label

    def can_revoke(self, request, certificate: Certificate | None = None) -> bool:
        return self.has_view_permission(request, certificate) and request.user.has_perm(
            REVOKE_PERMISSION
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_revoke": self.can_revoke(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        # Revoking is a sensitive action: the administrator confirms it is them first (ASVS
        # V3.7.1), then comes back to this form, whose reason has to be typed again.
        revoke_view = self.admin_site.admin_view(
            require_recent_authentication(self.revoke_view, return_to=same_page)
        )
        return [
            path("<path:object_id>/revoke/", revoke_view, name="approvals_certificate_revoke"),
            *super().get_urls(),
        ]

    def revoke_view(self, request, object_id):
        """Ask for the (public) reason, then revoke; the administrator is recorded as revoker."""
        certificate = self.get_object(request, unquote(object_id))
        if certificate is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.can_revoke(request, certificate):
            raise PermissionDenied
        change_url = reverse("admin:approvals_certificate_change", args=[certificate.pk])
        if certificate.is_revoked:
            self.message_user(request, _("This e-certificate has already been revoked."))
            return redirect(change_url)
        form = RevocationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                revoke(certificate, request.user, form.cleaned_data["reason"])
            except AlreadyRevoked as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)
                return redirect(change_url)
            except ValidationError as error:
                add_validation_error(form, error)
            else:
                self.message_user(
                    request,
                    _("E-certificate %(number)s is revoked.") % {"number": certificate.number},
                    messages.SUCCESS,
                )
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Revoke e-certificate %(number)s") % {"number": certificate.number},
            "opts": self.opts,
            "original": certificate,
            "certificate": certificate,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/approvals/certificate/revoke.html", context)


@admin.register(CommonOpinion)
class CommonOpinionAdmin(admin.ModelAdmin):
    """A department's stock opinions, kept by its heads (and by administrators).

    A head who has staff status reaches this page and sees, adds and edits only the opinions
    of the departments they head, without any model permission to grant; everyone else needs
    the usual admin permissions on common opinions."""

    list_display = ["title", "department", "outcome", "item_scope", "order"]
    list_filter = ["outcome", "department"]
    search_fields = ["title", "text"]
    list_select_related = ["department"]
    fields = ["department", "outcome", "title", "text", "items", "order"]
    filter_horizontal = ["items"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).prefetch_related("items")
        if self._is_heads_page(request):
            return queryset.filter(department__in=self._headed(request))
        return queryset

    @admin.display(description=gettext_lazy("service items"))
    def item_scope(self, opinion: CommonOpinion) -> str:
        names = [str(item) for item in opinion.items.all()]
        return ", ".join(names) if names else _("Every item")

    def _headed(self, request):
        return headed_departments(request.user)

    def _is_heads_page(self, request) -> bool:
        return (
            request.user.is_active
            and request.user.is_staff
            and not request.user.has_perm("approvals.change_commonopinion")
            and self._headed(request).exists()
        )

    def has_module_permission(self, request):
        return super().has_module_permission(request) or self._is_heads_page(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or self._heads_own(request, obj)

    def has_add_permission(self, request):
        return super().has_add_permission(request) or self._is_heads_page(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) or self._heads_own(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) or self._heads_own(request, obj)

    def _heads_own(self, request, obj) -> bool:
        if not self._is_heads_page(request):
            return False
        return obj is None or self._headed(request).filter(pk=obj.department_id).exists()

    def get_list_filter(self, request):
        # A head sees only their departments' opinions; a filter by every department is noise.
        return ["outcome"] if self._is_heads_page(request) else self.list_filter

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department" and self._is_heads_page(request):
            kwargs["queryset"] = self._headed(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
