from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from common.ratelimits import rate_limited

from . import enterprise_views, views

app_name = "accounts"
urlpatterns = [
    path(
        "login/",
        rate_limited("login")(auth_views.LoginView.as_view(template_name="accounts/login.html")),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, {"kind": "citizen"}, name="register_citizen"),
    path(
        "register/enterprise/", views.register, {"kind": "enterprise"}, name="register_enterprise"
    ),
    path("register/confirm/", views.register_confirm, name="register_confirm"),
    path("password/forgotten/", views.password_reset, name="password_reset"),
    path("password/forgotten/code/", views.password_reset_confirm, name="password_reset_confirm"),
    path("claim/", views.claim_account, name="claim"),
    path("verify/", views.otp_verify, name="otp_verify"),
    path("two-factor/", views.otp_enrol, name="otp_enrol"),
    path("confirm/", views.reauthenticate, name="reauthenticate"),
    path("", views.account, name="account"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.notification_detail, name="notification"),
    path("inbox/read/", views.mark_notifications_read, name="mark_read"),
    path("enterprises/", enterprise_views.my_enterprises, name="my_enterprises"),
    path("enterprises/<int:pk>/", enterprise_views.enterprise, name="enterprise"),
    path("enterprises/<int:pk>/invite/", enterprise_views.invite, name="invite_member"),
    path(
        "enterprises/<int:pk>/members/<int:member_id>/remove/",
        enterprise_views.remove_member,
        name="remove_member",
    ),
    path("invitations/", enterprise_views.accept_invitation, name="accept_invitation"),
    path("log-out-everywhere/", views.log_out_everywhere, name="log_out_everywhere"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            success_url=reverse_lazy("accounts:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
]
