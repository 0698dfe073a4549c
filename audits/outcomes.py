"""Audit scores and the recommended outcome: the one place where these rules live.

Score: each scored question (yes/no or 0–4 rating, weight > 0) that is answered and applicable
contributes its weight to the possible points; "yes" earns the full weight, "no" nothing, a
rating r earns weight × r / 4. "Not applicable" and unanswered questions count for nothing.
The score is earned / possible × 100, per section and overall (None when nothing is scored).

A critical question fails when it is answered "no" or rated 0 or 1; a failed critical question
is flagged whatever the score.

The recommended outcome is the first rule in OUTCOME_RULES that matches (see `recommend`).
Other apps (scoring) read finished audits through `latest_approved_audits`.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from audits.models import AnswerType, Audit, Capa, Finding, Severity


class Outcome:
    APPROVE = "approve"
    CONDITIONAL = "conditional"
    NOT_APPROVABLE = "not_approvable"
    INCOMPLETE = "incomplete"

    LABELS = {
        APPROVE: "Approve",
        CONDITIONAL: "Conditional approval at most",
        NOT_APPROVABLE: "Not approvable",
        INCOMPLETE: "Not enough answers to recommend",
    }


APPROVE_FROM = 80.0  # an overall score at or above this can be approved outright
CONDITIONAL_FROM = 60.0  # below this the site cannot be approved at all
CRITICAL_FAIL_RATING = 1  # a critical question rated at or below this fails

# The rules, in order; the first that matches gives the recommendation. Shown in the app.
OUTCOME_RULES: tuple[tuple[str, str], ...] = (
    (Outcome.NOT_APPROVABLE, "Any open critical finding."),
    (Outcome.NOT_APPROVABLE, "Any failed critical question (answered no, or rated 0 or 1)."),
    (Outcome.INCOMPLETE, "No scored question answered yet."),
    (Outcome.NOT_APPROVABLE, f"Overall score below {CONDITIONAL_FROM:.0f} %."),
    (Outcome.CONDITIONAL, "Any open major finding."),
    (Outcome.CONDITIONAL, f"Overall score below {APPROVE_FROM:.0f} %."),
    (Outcome.APPROVE, "Otherwise."),
)


@dataclass
class SectionScore:
    section_id: int
    position: int
    title: str
    earned: float = 0.0
    possible: float = 0.0
    answered: int = 0
    total: int = 0

    @property
    def percent(self) -> float | None:
        return round(100 * self.earned / self.possible, 1) if self.possible else None


@dataclass
class AuditScore:
    sections: list[SectionScore] = field(default_factory=list)
    failed_critical: list = field(default_factory=list)  # the failing Answer objects

    @property
    def earned(self) -> float:
        return sum(s.earned for s in self.sections)

    @property
    def possible(self) -> float:
        return sum(s.possible for s in self.sections)

    @property
    def percent(self) -> float | None:
        return round(100 * self.earned / self.possible, 1) if self.possible else None

    @property
    def answered(self) -> int:
        return sum(s.answered for s in self.sections)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.sections)


def answer_points(answer) -> tuple[float, float] | None:
    """(earned, possible) for one answer, or None when it does not count."""
    question = answer.question
    if not question.is_scored or not answer.is_answered or answer.is_not_applicable:
        return None
    if question.answer_type == AnswerType.YES_NO:
        return (float(question.weight) if answer.value == "yes" else 0.0, float(question.weight))
    return (question.weight * int(answer.value) / 4, float(question.weight))


def fails_critical(answer) -> bool:
    question = answer.question
    if not question.critical or not answer.is_answered or answer.is_not_applicable:
        return False
    if question.answer_type == AnswerType.YES_NO:
        return answer.value == "no"
    if question.answer_type == AnswerType.RATING:
        return int(answer.value) <= CRITICAL_FAIL_RATING
    return False


def score_answers(answers: Iterable) -> AuditScore:
    """Score answers (with question__section loaded), section by section in checklist order."""
    result = AuditScore()
    by_section: dict[int, SectionScore] = {}
    for answer in answers:
        section = answer.question.section
        entry = by_section.get(section.pk)
        if entry is None:
            entry = by_section[section.pk] = SectionScore(
                section.pk, section.position, section.title
            )
        entry.total += 1
        if answer.is_answered:
            entry.answered += 1
        points = answer_points(answer)
        if points is not None:
            entry.earned += points[0]
            entry.possible += points[1]
        if fails_critical(answer):
            result.failed_critical.append(answer)
    result.sections = sorted(by_section.values(), key=lambda s: s.position)
    return result


def audit_score(audit: Audit) -> AuditScore:
    answers = audit.answers.select_related("question__section")
    return score_answers(answers)


def recommend(
    *, score: float | None, failed_critical: int, open_critical: int, open_major: int
) -> tuple[str, str]:
    """The recommended outcome and the rule that gave it (see OUTCOME_RULES)."""
    checks = (
        open_critical > 0,
        failed_critical > 0,
        score is None,
        score is not None and score < CONDITIONAL_FROM,
        open_major > 0,
        score is not None and score < APPROVE_FROM,
        True,
    )
    for matched, (outcome, rule) in zip(checks, OUTCOME_RULES, strict=True):
        if matched:
            return outcome, rule
    raise AssertionError("unreachable: the last rule always matches")


def open_finding_counts(audit_ids: Iterable[int], *, today: date | None = None) -> dict[int, dict]:
    """Open critical and major findings and overdue CAPAs per audit, in one query."""
    today = today or timezone.localdate()
    is_open = ~Q(capa__status=Capa.Status.CLOSED)
    rows = (
        Finding.objects.filter(audit_id__in=list(audit_ids))
        .order_by()
        .values("audit_id")
        .annotate(
            open_critical=Count("pk", filter=is_open & Q(severity=Severity.CRITICAL)),
            open_major=Count("pk", filter=is_open & Q(severity=Severity.MAJOR)),
            overdue_capas=Count("pk", filter=is_open & Q(capa__due_date__lt=today)),
        )
    )
    return {row.pop("audit_id"): row for row in rows}


@dataclass(frozen=True)
class Recommendation:
    outcome: str
    rule: str
    score: AuditScore
    open_critical: int
    open_major: int

    @property
    def label(self) -> str:
        return Outcome.LABELS[self.outcome]


def audit_recommendation(audit: Audit) -> Recommendation:
    """Score the audit now and recommend an outcome (four queries)."""
    score = audit_score(audit)
    counts = open_finding_counts([audit.pk]).get(audit.pk, {})
    outcome, rule = recommend(
        score=score.percent,
        failed_critical=len(score.failed_critical),
        open_critical=counts.get("open_critical", 0),
        open_major=counts.get("open_major", 0),
    )
    return Recommendation(
        outcome, rule, score, counts.get("open_critical", 0), counts.get("open_major", 0)
    )


@dataclass(frozen=True)
class AuditOutcome:
    audit_id: int
    url: str
    site_id: int
    approved_at: datetime
    score: float | None
    recommended_outcome: str
    open_critical: int
    open_major: int
    overdue_capas: int


def latest_approved_audits(cmo_ids: Iterable[int]) -> dict[int, AuditOutcome]:
    """The latest approved (or conditionally approved) audit of each CMO's sites, by CMO id.

    Two queries. A conditional approval carries its "conditional" recommended outcome.
    """
    ids = list(cmo_ids)
    if not ids:
        return {}
    rows = (
        Audit.objects.filter(
            status__in=(Audit.Status.APPROVED, Audit.Status.CONDITIONALLY_APPROVED),
            site__cmo_id__in=ids,
        )
        .order_by("site__cmo_id", "-decided_at", "-pk")
        .values_list("pk", "site_id", "site__cmo_id", "decided_at", "score", "recommended_outcome")
    )
    latest: dict[int, tuple] = {}
    for row in rows:
        latest.setdefault(row[2], row)
    counts = open_finding_counts(row[0] for row in latest.values())
    result = {}
    for cmo_id, (audit_id, site_id, _, decided_at, score, outcome) in latest.items():
        extra = counts.get(audit_id, {})
        result[cmo_id] = AuditOutcome(
            audit_id=audit_id,
            url=reverse("audits:audit_detail", args=[audit_id]),
            site_id=site_id,
            approved_at=decided_at,
            score=score,
            recommended_outcome=outcome,
            open_critical=extra.get("open_critical", 0),
            open_major=extra.get("open_major", 0),
            overdue_capas=extra.get("overdue_capas", 0),
        )
    return result
