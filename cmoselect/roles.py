"""Roles and the permission matrix, enforced alike in HTML views and the API.

A role is a Django group. Each permission below names the roles that hold it; the README's role
table is checked against this matrix by the test suite, so the two cannot drift apart.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from rest_framework.permissions import SAFE_METHODS, BasePermission

M = TypeVar("M", bound=Model)

SOURCING = "Sourcing"
QA = "QA"
MANAGER = "Manager"
ADMIN = "Admin"
ROLES = (SOURCING, QA, MANAGER, ADMIN)


class Perm(StrEnum):
    VIEW = "view"
    EDIT_DIRECTORY = "edit_directory"
    CHANGE_STATUS = "change_status"
    QUALIFY = "qualify"
    EDIT_CONTRACTS = "edit_contracts"
    EDIT_QUALITY_MATRIX = "edit_quality_matrix"
    APPROVE_AMENDMENTS = "approve_amendments"
    ADMINISTER = "administer"
    EDIT_CAPABILITIES = "edit_capabilities"
    EDIT_REGULATORY = "edit_regulatory"
    IMPORT_DATA = "import_data"
    EDIT_CHECKLISTS = "edit_checklists"
    PERFORM_AUDITS = "perform_audits"
    SIGN_AUDITS = "sign_audits"
    EDIT_EVALUATIONS = "edit_evaluations"
    SIGN_DECISIONS = "sign_decisions"
    REVIEW_AUDIT_TRAIL = "review_audit_trail"


# What each permission allows, and who holds it.
MATRIX: dict[Perm, tuple[str, frozenset[str]]] = {
    Perm.VIEW: (
        "Read the CMO directory, sites, contacts and their history",
        frozenset(ROLES),
    ),
    Perm.EDIT_DIRECTORY: (
        "Create and edit CMOs, sites and contacts; merge duplicates",
        frozenset({SOURCING, ADMIN}),
    ),
    Perm.CHANGE_STATUS: (
        "Move a CMO or site between prospect, under evaluation and inactive",
        frozenset({SOURCING, QA, MANAGER, ADMIN}),
    ),
    Perm.QUALIFY: (
        "Approve, conditionally approve, suspend or disqualify a CMO or site",
        frozenset({QA, MANAGER, ADMIN}),
    ),
    Perm.EDIT_CONTRACTS: (
        "Create and edit contracts, their terms, milestones and documents, and move their status",
        frozenset({SOURCING, MANAGER, ADMIN}),
    ),
    Perm.EDIT_QUALITY_MATRIX: (
        "Edit the responsibility matrix of a quality agreement",
        frozenset({QA, MANAGER, ADMIN}),
    ),
    Perm.APPROVE_AMENDMENTS: (
        "Approve or reject an amendment to a signed contract raised by someone else",
        frozenset({MANAGER, ADMIN}),
    ),
    Perm.EDIT_EVALUATIONS: (
        "Create and edit evaluations, candidates, entered scores and scoring models",
        frozenset({SOURCING, ADMIN}),
    ),
    Perm.SIGN_DECISIONS: (
        "Sign off an evaluation's decision with an electronic signature",
        frozenset({MANAGER}),
    ),
    Perm.ADMINISTER: (
        "Django admin: users, roles and reference data",
        frozenset({ADMIN}),
    ),
    Perm.EDIT_CAPABILITIES: (
        "Edit the cells of the capability matrix (what a site can do, at which level)",
        frozenset({SOURCING, QA, ADMIN}),
    ),
    Perm.EDIT_REGULATORY: (
        "Add and correct regulatory events (inspections, 483s, recalls, alerts, certificates) "
        "and the changes CMOs notified",
        frozenset({QA, ADMIN}),
    ),
    Perm.IMPORT_DATA: (
        "Upload and commit imports of the FDA's public exports",
        frozenset({QA, MANAGER, ADMIN}),
    ),
    Perm.EDIT_CHECKLISTS: (
        "Draft, edit, publish, import and export checklist templates",
        frozenset({QA, ADMIN}),
    ),
    Perm.PERFORM_AUDITS: (
        "Plan audits, fill out checklists, attach evidence, raise findings and follow CAPAs",
        frozenset({QA, ADMIN}),
    ),
    Perm.SIGN_AUDITS: (
        "Approve or reject an audit with an electronic signature; reopen it as a new revision",
        frozenset({QA, ADMIN}),
    ),
    Perm.REVIEW_AUDIT_TRAIL: (
        "Review the audit trail of every regulated record, and export it as CSV",
        frozenset({QA, ADMIN}),
    ),
}


def user_roles(user) -> frozenset[str]:
    """The user's roles, read once per request and cached on the user object."""
    if not user or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_cmoselect_roles", None)
    if cached is None:
        if user.is_superuser:
            cached = frozenset(ROLES)
        else:
            cached = frozenset(user.groups.values_list("name", flat=True)) & frozenset(ROLES)
        user._cmoselect_roles = cached
    return cached


def has_perm(user, perm: Perm) -> bool:
    return bool(user_roles(user) & MATRIX[perm][1])


def check_perm(user, perm: Perm) -> None:
    if not has_perm(user, perm):
        raise PermissionDenied(f"Your role does not allow this ({perm}).")


def get_for(user, queryset: QuerySet[M], pk: int, *, write: bool, write_perm: Perm) -> M:
    """The row `pk` of `queryset` if the user may read it (or, with `write`, change it).

    The one recipe behind every app's `get_<entity>_for(user, pk, *, write=False)` helper.
    The role is checked before the row is looked up, so a refused user cannot tell which ids
    exist (403 either way); a permitted user asking for a missing id gets a 404.
    """
    check_perm(user, write_perm if write else Perm.VIEW)
    return get_object_or_404(queryset, pk=pk)


def role_required(perm: Perm, *, write: Perm | None = None) -> Callable:
    """Guard a function view: `perm` to read it, `write` (if given) to POST to it."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            check_perm(request.user, perm)
            if write is not None and request.method not in SAFE_METHODS:
                check_perm(request.user, write)
            return view(request, *args, **kwargs)

        wrapper.required_perm = perm
        wrapper.write_perm = write
        return wrapper

    return decorator


class RolePermission(BasePermission):
    """DRF permission: `read_perm` for safe methods, `write_perm` for the rest.

    A view may refine per action with `action_perms = {"status": Perm.CHANGE_STATUS}`.
    """

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        action_perms = getattr(view, "action_perms", {})
        action = getattr(view, "action", None)
        if action in action_perms:
            return has_perm(request.user, action_perms[action])
        if request.method in SAFE_METHODS:
            return has_perm(request.user, getattr(view, "read_perm", Perm.VIEW))
        return has_perm(request.user, getattr(view, "write_perm", Perm.ADMINISTER))


class AdminRoleBackend:
    """Give the Admin role every Django model permission, so it can use the admin site."""

    def authenticate(self, request, **credentials) -> None:
        return None

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        return ADMIN in user_roles(user_obj)

    def has_module_perms(self, user_obj, app_label) -> bool:
        return ADMIN in user_roles(user_obj)


class _Can:
    def __init__(self, user):
        self._user = user

    def __getattr__(self, name: str) -> bool:
        try:
            return has_perm(self._user, Perm(name))
        except ValueError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> bool:
        return self.__getattr__(name)


def roles_context(request) -> dict:
    user = getattr(request, "user", None)
    from django.conf import settings

    return {
        "can": _Can(user),
        "user_roles": sorted(user_roles(user)),
        "idle_timeout_seconds": settings.SESSION_IDLE_TIMEOUT_MINUTES * 60,
        "idle_warning_seconds": settings.SESSION_IDLE_WARNING_MINUTES * 60,
    }
