"""Electronic signatures: who may sign, re-authentication, meaning, manifest and content hash.

Audit decisions and evaluation decisions are both signed through here, so the checks a signer
passes, the wording of a refusal and the hash binding a signature to its content are the same
everywhere. Rules about failed attempts (counting, locking) belong in `signature_check`.
"""

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cmoselect.roles import Perm, has_perm

WRONG_PASSWORD = "The password is not correct; nothing was signed."
NO_MEANING = "Choose the meaning of your signature."


def content_hash(content: object) -> str:
    """The SHA-256 of `content` as canonical JSON: the one recipe for signed and reported content.

    Keys are sorted and separators compact, so equal content always gives the same hash; values
    JSON cannot hold (dates, decimals) are written with str().
    """
    payload = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class Manifest(NamedTuple):
    """What a signature records beside the signed content: who, when, meaning, what exactly."""

    printed_name: str
    signed_at: datetime
    meaning: str
    content_hash: str


def signature_check(
    *, user, perm: Perm, password: str, meaning: str, meanings: Iterable[str], action: str
) -> dict[str, str]:
    """Check that `user` may sign and proved who they are; return the field errors found.

    A role without `perm` gets PermissionDenied at once. A wrong password or a missing meaning
    is returned as field errors, so the caller reports them with its own in one ValidationError.
    """
    if not has_perm(user, perm):
        raise PermissionDenied(f"Your role cannot sign {action}.")
    errors = {}
    if meaning not in meanings:
        errors["meaning"] = NO_MEANING
    if not password or not user.check_password(password):
        errors["password"] = WRONG_PASSWORD
    return errors


def signature_manifest(*, user, meaning: str, content: object) -> Manifest:
    """The manifest of a signature applied now by `user` to `content`."""
    return Manifest(
        printed_name=user.get_full_name() or user.get_username(),
        signed_at=timezone.now(),
        meaning=meaning,
        content_hash=content_hash(content),
    )
