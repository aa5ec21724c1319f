"""Schemathesis fuzzes every operation of the live schema as each kind of caller: no answer
may be a server error, and every answer must be one the schema documents (status, content
type, body). A bounded number of examples keeps the run to about a minute on a busy machine.

Generated path parameters rarely name a real object, so every generated request is sent a
second time with the path pointing at a real case, task, extension, publication, decision,
certificate, consultation, comment or letter: the fuzzed query and body then reach the domain functions behind the 404.

`make test` runs a short share of it (FUZZ_EXAMPLES unset: the schema's examples and a few
fixed generated cases per operation); `make fuzz` runs many more (FUZZ_EXAMPLES), new ones on
every run, with schemathesis' coverage phase sending each parameter its boundary and invalid
values (docs/api.md).
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from approvals import clocks
from approvals.decisions import Outcome, decide
from disclosure.models import Publication
from tests.api.conftest import token_for
from tests.consultation_factories import comment_on, consultation_of
from tests.factories import (
    CitizenFactory,
    DepartmentFactory,
    EnterpriseFactory,
    StaffFactory,
    draft_application,
    head_of,
    item_with_stages,
    reviewer_of,
    routed_application,
)
from tests.letter_factories import answered, letter_of, triaged

LONG_RUN = "FUZZ_EXAMPLES" in os.environ
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 5))
CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {
            "stateful": {"enabled": False},
            # Each parameter's edges and invalid values, and the methods an operation lacks:
            # four fifths of the time of the short run, so `make fuzz`'s alone (the malformed
            # values that matter most are swept in make test by tests/test_malformed_input.py).
            "coverage": {"enabled": LONG_RUN},
            "fuzzing": {"enabled": True},
        },
        "generation": {
            "max-examples": MAX_EXAMPLES,
            # Positive and negative data: valid requests, and requests the schema forbids.
            "mode": "all",
            # In `make test` the same examples on every run: CI fails only on a real change.
            # `make fuzz` explores new ground each time (a failure prints its seed).
            "deterministic": not LONG_RUN,
        },
    }
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ROLES = ("anonymous", "citizen", "enterprise", "reviewer", "head", "admin")


class World:
    def __init__(self):
        department = DepartmentFactory(code="fuzz-dept")
        self.item = item_with_stages([[department]], audience="both", code="fuzz-item")
        self.people = {
            "citizen": CitizenFactory(),
            "enterprise": EnterpriseFactory(),
            "reviewer": reviewer_of(department),
            "head": head_of(department),
            "admin": StaffFactory(is_staff=True, is_superuser=True),
        }
        citizen = self.people["citizen"]
        self.applications = {
            "citizen": routed_application(self.item, citizen),
            "enterprise": draft_application(self.item, self.people["enterprise"]),
        }
        self.task = self.applications["citizen"].review_tasks.get(department=department)
        self.extension = clocks.request_extension(
            self.task.pk, self.people["reviewer"], 2, "需要专家论证"
        )
        decided = routed_application(self.item, citizen)
        decide(
            decided.review_tasks.get(department=department).pk,
            self.people["reviewer"],
            Outcome.APPROVE,
            "同意",
        )
        self.decided = decided
        self.publication = Publication.objects.create(
            title="通知", body="正文", department=department, author=self.people["head"]
        )
        self.consultation = consultation_of(
            department, author=self.people["reviewer"], approver=self.people["head"]
        )
        self.comment = comment_on(self.consultation, citizen)
        # A letter answered (and published) and one awaiting its answer.
        self.letter = letter_of(citizen)
        (answered_task,) = triaged(self.letter, department)
        answered(answered_task, self.people["reviewer"])
        (self.letter_task,) = triaged(letter_of(citizen), department)

    def real_path_parameters(self, role: str, path: str) -> dict:
        application = self.applications.get(role, self.applications["citizen"])
        if path.startswith("/api/v1/services/"):
            return {"code": self.item.code}
        if path.startswith("/api/v1/applications/"):
            attachment = application.attachments.first()
            return {"id": application.pk, "attachment_id": attachment.pk if attachment else 1}
        if path.startswith("/api/v1/tasks/"):
            return {
                "id": self.task.pk,
                "attachment_id": self.task.application.attachments.first().pk,
            }
        if path.startswith("/api/v1/extensions/"):
            return {"id": self.extension.pk}
        if path.startswith("/api/v1/publications/"):
            return {"id": self.publication.pk}
        if path.startswith("/api/v1/decisions/"):
            return {"tracking_number": self.decided.tracking_number}
        if path.startswith("/api/v1/consultations/"):
            return {"id": self.consultation.pk}
        if path.startswith("/api/v1/consultation-comments/"):
            return {"id": self.comment.pk}
        if path.startswith("/api/v1/letters/"):
            return {"id": self.letter.pk}
        if path.startswith("/api/v1/letter-tasks/"):
            return {"id": self.letter_task.pk}
        if path.startswith("/api/v1/published-letters/"):
            return {"tracking_number": self.letter.application.tracking_number}
        if path.startswith("/api/v1/certificates/"):
            return {"number": self.decided.certificate.number}
        return {}


@pytest.fixture
def world(db, settings):
    # The fuzzer is one very busy caller: no limit may stop it before it has tried everything.
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, "100000/m")
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
    }
    return World()


@pytest.fixture
def api_schema(world):
    """The schema as the running portal serves it, requests going to the portal's WSGI app in
    this process, so the test's transaction is what they see. Like Django's test client, the
    app must not close the connection at the end of each request (it holds that transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def tokens(world):
    return {role: token_for(person) for role, person in world.people.items()}


@schema.parametrize()
def test_every_answer_is_documented_and_none_is_a_server_error(case, world, tokens):
    """Each generated request is sent as each kind of caller, with its generated path and
    with a real one."""
    generated = dict(case.path_parameters or {})

    for role in ROLES:
        headers = {"Accept-Language": "en"}
        if role != "anonymous":
            headers["Authorization"] = f"Token {tokens[role]}"
        case.path_parameters = dict(generated)
        case.call_and_validate(headers=headers, checks=CHECKS)
        real = world.real_path_parameters(role, case.path)
        if generated and real:
            case.path_parameters = {
                name: real.get(name, value) for name, value in generated.items()
            }
            case.call_and_validate(headers=headers, checks=CHECKS)
