"""Readable, translated names for the third-party apps the Django admin lists.

Their own configurations are kept (axes' start-up checks and signals included); only the
heading an administrator reads changes: "Login lock-outs" rather than "AXES".
"""

from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPAppConfig


class LoginLockoutsConfig(AxesAppConfig):
    verbose_name = _("Login lock-outs")


class APITokensConfig(AppConfig):
    # knox ships no configuration of its own; its token's key is its digest, not an id.
    name = "knox"
    verbose_name = _("API tokens")


class AuthenticatorAppsConfig(TOTPAppConfig):
    verbose_name = _("Authenticator apps (TOTP)")
