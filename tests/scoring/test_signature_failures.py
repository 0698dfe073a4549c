"""Evaluation decisions share the audit signatures' failed-attempt log and lockout."""

import pytest
from django.core.exceptions import ValidationError

from cmoselect.models import SignatureFailure
from scoring.models import Decision
from scoring.services import decision_sign, evaluation_compute
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign(evaluation, user, password):
    return decision_sign(
        evaluation=evaluation,
        candidate=evaluation.candidates.get(rank=1),
        user=user,
        password=password,
        meaning="selected",
        rationale="Best fit and capacity",
        address="198.51.100.4",
    )


def test_a_wrong_password_on_a_decision_is_recorded_and_five_lock_the_signer(
    evaluation, manager, django_capture_on_commit_callbacks
):
    evaluation_compute(evaluation=evaluation)
    evaluation.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            with pytest.raises(ValidationError):
                sign(evaluation, manager, "wrong")
    failure = SignatureFailure.objects.filter(user=manager).first()
    assert failure.action == "evaluation decisions" and failure.address == "198.51.100.4"
    assert failure.record == str(evaluation)
    assert SignatureFailure.objects.filter(user=manager).count() == 5
    with pytest.raises(ValidationError, match="Signing is locked"):
        sign(evaluation, manager, PASSWORD)
    assert not Decision.objects.exists()
