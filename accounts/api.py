"""API tokens: obtained with the password, and for civil servants and administrators also a
TOTP code, through the same checks as the login pages (django-axes lock-out, the login rate
limit, django-otp's replay refusal and throttling); revoked by their holder."""

from django.contrib.auth import authenticate, user_logged_in
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_access import AnonymousThrottle, LoginRateLimit

from .api_authentication import token_lifetime
from .audit import record
from .authentication_forms import validate_one_time_code
from .permissions import departments_of
from .two_factor import confirmed_device, requires_two_factor


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    code = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        help_text="Civil servants and administrators: the code their authenticator app shows.",
    )


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    kind = serializers.CharField(help_text="citizen, enterprise or staff")
    name = serializers.CharField(source="applicant_name")
    departments = serializers.SerializerMethodField()

    def get_departments(self, user) -> list[str]:
        return list(departments_of(user).values_list("code", flat=True))


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expiry = serializers.DateTimeField(
        help_text="Renewed by each use for the idle time of the holder's kind."
    )
    user = MeSerializer()


class ObtainTokenView(APIView):
    """Password (and TOTP code for staff) in, a token out; nothing else logs in here."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonymousThrottle, LoginRateLimit]

    @extend_schema(
        tags=["auth"],
        summary="Obtain a token",
        description="Citizens and enterprises give their user name and password. Civil "
        "servants and administrators also give the current code of their authenticator app "
        "(set it up on the pages first): no staff token is issued without it. Five wrong "
        "passwords for one user name from one address lock it out for 15 minutes (429), as "
        "on the login form, whose rate limit this endpoint shares.",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer},
        examples=[
            OpenApiExample(
                "Citizen",
                value={"username": "zhangsan", "password": "Portal-demo-2026"},
                request_only=True,
            ),
            OpenApiExample(
                "Reviewer",
                value={
                    "username": "reviewer-market",
                    "password": "Portal-demo-2026",
                    "code": "123456",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Token",
                value={
                    "token": "3f1c…",
                    "expiry": "2026-11-23T12:00:00+08:00",
                    "user": {
                        "username": "zhangsan",
                        "kind": "citizen",
                        "name": "张三",
                        "departments": [],
                    },
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # Through every authentication backend, django-axes first: failures count, a locked
        # pair is refused (accounts.views.locked_out answers 429).
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None:
            raise serializers.ValidationError([_("Your user name or password is not right.")])
        if requires_two_factor(user):
            if not data.get("code"):
                raise serializers.ValidationError(
                    {"code": [_("Enter the code from your authenticator app.")]}
                )
            try:
                validate_one_time_code(confirmed_device(user), data["code"])
            except DjangoValidationError as error:
                raise serializers.ValidationError({"code": error.messages}) from None
        instance, token = AuthToken.objects.create(user, expiry=token_lifetime(user))
        # As a login on the pages: last login, the audit log, the lock-out count cleared.
        session = request._request.session
        had_session = not session.is_empty()
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        if not had_session:
            session.flush()  # a program asked for a token: no session cookie comes back
        return Response(
            TokenSerializer({"token": token, "expiry": instance.expiry, "user": user}).data
        )


class RevokeRequestSerializer(serializers.Serializer):
    all = serializers.BooleanField(default=False)


class RevokeTokenView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        summary="Revoke this token",
        description="The token the request is made with stops working at once. With "
        '{"all": true}, every token of the account does (a lost phone).',
        request=RevokeRequestSerializer,
        responses={204: None},
        examples=[OpenApiExample("Everywhere", value={"all": True}, request_only=True)],
    )
    def post(self, request):
        asked = RevokeRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        everywhere = asked.validated_data["all"]
        if everywhere:
            tokens = AuthToken.objects.filter(user=request.user)
        elif isinstance(request.auth, AuthToken):
            tokens = AuthToken.objects.filter(pk=request.auth.pk)
        else:
            raise serializers.ValidationError([_("This request was not made with a token.")])
        count = tokens.count()
        tokens.delete()
        record(
            "auth.token_revoked",
            obj=request.user,
            actor=request.user,
            detail={"tokens": count, "all": everywhere},
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        summary="Who am I",
        description="The account the request is made as, and the departments it works for.",
        responses={200: MeSerializer},
        examples=[
            OpenApiExample(
                "Reviewer",
                value={
                    "username": "reviewer-market",
                    "kind": "staff",
                    "name": "王审批",
                    "departments": ["market"],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        return Response(MeSerializer(request.user).data)
