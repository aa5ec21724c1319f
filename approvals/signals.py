"""What the virtual government announces to disclosure, without importing it."""

from django.dispatch import Signal

# Sent inside the deciding transaction, so the publication commits with the decision.
application_decided = Signal()  # kwargs: application
