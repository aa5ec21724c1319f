"""What filing announces to the stages to its right (approvals), without importing them."""

from django.dispatch import Signal

# Sent inside the submitting transaction; receivers schedule their work with on_commit.
application_submitted = Signal()  # kwargs: application
supplement_provided = Signal()  # kwargs: application, actor
application_withdrawn = Signal()  # kwargs: application, actor
