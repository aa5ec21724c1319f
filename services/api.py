"""The catalogue and filing in the REST API: the same reads and domain functions as the pages
(services/views.py): `published_items`, `item_with_guide`, `applications_of`, and
`filing.start_draft / save_draft / submit / provide_supplement / withdraw`."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from common.api_access import FilingRateLimit
from common.json_input import PortalJSONParser
from common.ratelimits import WRITING_METHODS

from . import filing
from .api_examples import (
    ANSWERS_REQUEST,
    APPLICATION_EXAMPLE,
    DRAFT_EXAMPLE,
    GUIDE_DETAIL_EXAMPLE,
    GUIDE_EXAMPLE,
    INCOMPLETE_RESPONSE,
    START_REQUEST,
    WITHDRAW_REQUEST,
    WITHDRAWN_EXAMPLE,
)
from .catalogue import implementation_with_guide, published_items
from .definitions import ItemDefinition
from .filters import ServiceItemFilter
from .forms import ApplicationForm, MaterialField
from .materials import ACCEPTED_TYPES, attachment_response
from .models import Application, ServiceItem
from .parties import check_still_entitled, may_withdraw
from .permissions import CHANGE_APPLICATION, VIEW_APPLICATION, applications_of, filed_by
from .regions import chosen_region, region_by_code
from .serializers import (
    AnswersSerializer,
    ApplicationDetailSerializer,
    ApplicationSerializer,
    ServiceGuideSerializer,
    ServiceItemSerializer,
    StartApplicationSerializer,
    UploadSerializer,
    WithdrawSerializer,
)


@extend_schema(tags=["catalogue"])
class ServiceItemViewSet(viewsets.ReadOnlyModelViewSet):
    """The published permit catalogue: anyone may read it, logged in or not."""

    permission_classes = [AllowAny]
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filterset_class = ServiceItemFilter
    queryset = ServiceItem.objects.none()  # the filter's selector gives the items

    def get_queryset(self):
        return published_items(chosen_region(self.request))

    def get_serializer_class(self):
        return ServiceGuideSerializer if self.action == "retrieve" else ServiceItemSerializer

    def get_object(self):
        implementation = implementation_with_guide(self.kwargs["code"], chosen_region(self.request))
        if implementation is None:
            raise Http404(_("No such service."))
        return implementation

    @extend_schema(
        summary="Search the catalogue",
        description="Published service items, filtered by theme, audience, reviewing "
        "department and text, in catalogue order.",
        examples=[OpenApiExample("One item", value=GUIDE_EXAMPLE, response_only=True)],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="A service guide",
        description="Everything the guide page shows: legal basis, conditions, required "
        "materials, the form's fields, the review stages with each department's time limit.",
        examples=[
            OpenApiExample(
                "Guide",
                value=GUIDE_DETAIL_EXAMPLE,
                response_only=True,
            )
        ],
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


# --- filing --------------------------------------------------------------------------------------

# What a stored material can be (services/materials.py ACCEPTED_TYPES), as it was uploaded.
MATERIAL_FILE = {(200, content_type): OpenApiTypes.BINARY for content_type in ACCEPTED_TYPES}


def answers_from_json(definition: ItemDefinition, answers: dict) -> dict:
    """Check JSON answers with the page's own form (kinds, lengths, patterns, choices) and
    return them as filing stores them; only the answers given are returned."""
    errors = {}
    data = {}
    for name, value in answers.items():
        if definition.field(name) is None:
            errors[f"answers.{name}"] = [_("This service's form has no such field.")]
        elif isinstance(value, dict | list):
            errors[f"answers.{name}"] = [_("Give a single value.")]
        elif value is None:
            data[name] = ""
        elif isinstance(value, bool):
            data[name] = "yes" if value else "no"
        else:
            data[name] = str(value)
    if errors:
        raise serializers.ValidationError(errors)
    form = ApplicationForm(definition, data)
    if not form.is_valid():
        raise serializers.ValidationError(
            {f"answers.{name}": messages for name, messages in form.errors.items()}
        )
    cleaned = form.answers()
    return {name: cleaned[name] for name in answers}


class ApplicationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The applicant's own applications: only ever theirs; anyone else's is 404."""

    serializer_class = ApplicationSerializer
    lookup_value_regex = r"[0-9]+"
    detail_serializer_class = ApplicationDetailSerializer
    queryset = Application.objects.none()
    parser_classes = [PortalJSONParser, MultiPartParser, FormParser]
    filterset_class = None

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method in WRITING_METHODS:
            throttles.append(FilingRateLimit())
        return throttles

    def get_queryset(self):
        return filed_by(self.request.user).select_related("item")

    def own_application(self, permission: str = VIEW_APPLICATION) -> Application:
        """Like the pages' `own_application`: the caller's own, or 404. To change a draft filed
        for another, the caller must still be entitled (403 with the reason; audited)."""
        queryset = (
            Application.objects.select_related("item", "item_version")
            .prefetch_related("events__department", "attachments")
            .order_by()
        )
        application = get_object_or_404(
            applications_of(self.request.user, permission, queryset), pk=self.kwargs["pk"]
        )
        if permission == CHANGE_APPLICATION:
            check_still_entitled(application, self.request.user)
        return application

    def detail_response(self, application: Application, code=status.HTTP_200_OK) -> Response:
        fresh = get_object_or_404(
            Application.objects.select_related("item", "item_version").prefetch_related(
                "events__department", "attachments"
            ),
            pk=application.pk,
        )
        serializer = self.detail_serializer_class(fresh, context=self.get_serializer_context())
        return Response(serializer.data, status=code)

    @extend_schema(
        tags=["applications"],
        summary="My applications",
        description="The caller's applications, newest first (an empty list for staff).",
        examples=[OpenApiExample("One", value=APPLICATION_EXAMPLE, response_only=True)],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        tags=["applications"],
        summary="One of my applications",
        description="Status, answers, current materials, what still stops submission, and the "
        "timeline.",
        examples=[OpenApiExample("Draft", value=DRAFT_EXAMPLE, response_only=True)],
    )
    def retrieve(self, request, *args, **kwargs):
        return self.detail_response(self.own_application())

    @extend_schema(
        tags=["applications"],
        summary="Start a draft",
        description="Starts a draft of a published service item, if it is open to the "
        "caller's kind (citizen or enterprise); 403 otherwise.",
        request=StartApplicationSerializer,
        responses={201: ApplicationDetailSerializer},
        examples=[
            OpenApiExample("Start", value=START_REQUEST, request_only=True),
            OpenApiExample("Draft", value=DRAFT_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def create(self, request, *args, **kwargs):
        serializer = StartApplicationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = get_object_or_404(
            ServiceItem.objects.published(),
            code=serializer.validated_data["item"],
        )
        application = filing.start_draft_for(
            request.user,
            item,
            serializer.validated_data.get("on_behalf_of", ""),
            region=region_by_code(serializer.validated_data.get("region", "")),
        )
        return self.detail_response(application, status.HTTP_201_CREATED)

    @extend_schema(
        tags=["applications"],
        summary="Save answers",
        description="Saves answers of a draft (or of an application waiting for supplements), "
        "checked as the form checks them; gaps are allowed until submission.",
        request=AnswersSerializer,
        responses={200: ApplicationDetailSerializer},
        examples=[
            OpenApiExample(
                "Answers",
                value=ANSWERS_REQUEST,
                request_only=True,
            ),
            OpenApiExample("Draft", value=DRAFT_EXAMPLE, response_only=True),
        ],
    )
    def partial_update(self, request, *args, **kwargs):
        application = self.own_application(CHANGE_APPLICATION)
        serializer = AnswersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answers = answers_from_json(application.definition, serializer.validated_data["answers"])
        filing.save_draft(application, answers, {}, request.user)
        return self.detail_response(application)

    @extend_schema(
        tags=["applications"],
        summary="Attach a material",
        description="Uploads a file (multipart/form-data) for one of the item's materials; it "
        "replaces the material's current file. PDF, JPEG or PNG only, read from the bytes.",
        request={"multipart/form-data": UploadSerializer},
        responses={201: ApplicationDetailSerializer},
        examples=[OpenApiExample("Draft", value=DRAFT_EXAMPLE, response_only=True)],
    )
    @action(detail=True, methods=["post"], url_path="attachments")
    def attach(self, request, pk=None):
        application = self.own_application(CHANGE_APPLICATION)
        serializer = UploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        code = serializer.validated_data["material"]
        if application.definition.material(code) is None:
            raise serializers.ValidationError(
                {"material": [_("This service asks for no such material.")]}
            )
        try:
            # The page's own field: size, emptiness, type sniffed from the bytes, virus scan.
            upload = MaterialField(required=True).clean(serializer.validated_data["file"])
        except DjangoValidationError as error:
            raise serializers.ValidationError({"file": error.messages}) from None
        filing.save_draft(application, {}, {code: upload}, request.user)
        return self.detail_response(application, status.HTTP_201_CREATED)

    @extend_schema(
        tags=["applications"],
        summary="Download a material",
        description="One of the application's files, as it was uploaded.",
        responses=MATERIAL_FILE,
    )
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>\d+)")
    def attachment(self, request, pk=None, attachment_id=None):
        application = self.own_application()
        attachment = get_object_or_404(application.attachments, pk=attachment_id)
        return attachment_response(attachment)

    @extend_schema(
        tags=["applications"],
        summary="Remove a material",
        description="Takes a file off a draft or a supplement (the file is kept on record, no "
        "longer current).",
        request=None,
        responses={200: ApplicationDetailSerializer},
        examples=[OpenApiExample("Draft", value=DRAFT_EXAMPLE, response_only=True)],
    )
    @attachment.mapping.delete
    def remove_attachment(self, request, pk=None, attachment_id=None):
        application = self.own_application(CHANGE_APPLICATION)
        filing.remove_attachment(application, int(attachment_id), request.user)
        return self.detail_response(application)

    @extend_schema(
        tags=["applications"],
        summary="Submit",
        description="Submits a complete draft: returns the tracking number at once; routing to "
        "the departments follows. 400 lists everything missing.",
        request=None,
        responses={200: ApplicationDetailSerializer},
        examples=[
            OpenApiExample("Submitted", value=APPLICATION_EXAMPLE, response_only=True),
            OpenApiExample(
                "Incomplete",
                value=INCOMPLETE_RESPONSE,
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        application = self.own_application(CHANGE_APPLICATION)
        application = filing.submit(application, request.user)
        return self.detail_response(application)

    @extend_schema(
        tags=["applications"],
        summary="Send the supplement",
        description="After a department asked for supplements and the answers and files were "
        "corrected: the same review tasks continue, their clocks run again.",
        request=None,
        responses={200: ApplicationDetailSerializer},
        examples=[OpenApiExample("Back in review", value=APPLICATION_EXAMPLE, response_only=True)],
    )
    @action(detail=True, methods=["post"])
    def supplement(self, request, pk=None):
        application = self.own_application(CHANGE_APPLICATION)
        with transaction.atomic():
            application = filing.provide_supplement(application, request.user)
        return self.detail_response(application)

    @extend_schema(
        tags=["applications"],
        summary="Withdraw",
        description="Ends the application; 409 once it is decided or withdrawn.",
        request=WithdrawSerializer,
        responses={200: ApplicationDetailSerializer},
        examples=[
            OpenApiExample("Reason", value=WITHDRAW_REQUEST, request_only=True),
            OpenApiExample(
                "Withdrawn",
                value=WITHDRAWN_EXAMPLE,
                response_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        application = self.own_application(CHANGE_APPLICATION)
        if not may_withdraw(request.user, application):
            raise PermissionDenied(_("Only the applicant may withdraw this application."))
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        filing.withdraw(application, request.user, reason=serializer.validated_data["reason"])
        return self.detail_response(application)
