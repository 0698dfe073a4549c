import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from cmoselect.events import scoring_inputs_changed
from cmoselect.history import (
    STATUS_REASON_REQUIRED,
    delete_with_history,
    require_reason,
    save_with_history,
)
from cmoselect.outbox import enqueue
from cmoselect.roles import MANAGER, Perm, has_perm
from vendors.compliance import establishments_refresh_signal
from vendors.models import (
    QUALIFYING_STATUSES,
    TRANSITIONS,
    Agency,
    Capability,
    CapabilityLevel,
    Citation,
    Cmo,
    Establishment,
    EventKind,
    ImportRun,
    Notification,
    QualificationStatus,
    RegulatoryEvent,
    Site,
    SiteCapability,
    StatusChange,
)
from vendors.models.regulatory import Source
from vendors.registry import registry_after_import, registry_entry_for_site

log = logging.getLogger(__name__)

VERIFIED_BY_HAND = (
    "“Verified by audit” is recorded only by approving an audit that covered this capability; "
    "choose claimed or demonstrated."
)
CAPABILITY_ADD_REASON = "Say why this capability is added."


def _check_transition(*, subject: Cmo | Site, status: str, user, reason: str) -> str:
    if status not in QualificationStatus.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    current = subject.qualification_status
    if status == current:
        raise ValidationError({"status": "The status is already that."})
    if status not in TRANSITIONS[current]:
        raise ValidationError(
            {
                "status": f"{QualificationStatus(current).label} cannot move to "
                f"{QualificationStatus(status).label}."
            }
        )
    needed = Perm.QUALIFY if status in QUALIFYING_STATUSES else Perm.CHANGE_STATUS
    if not has_perm(user, needed):
        raise ValidationError(
            {"status": "Only QA, a manager or an admin can make this qualification decision."}
        )
    require_reason(reason, field_name="reason", message=STATUS_REASON_REQUIRED)
    return current


def cmo_change_status(
    *,
    cmo: Cmo,
    status: str,
    user,
    reason: str,
    notify: bool = True,
    audit_signature=None,
    decision=None,
) -> StatusChange:
    """Move a CMO along the qualification lifecycle and record who, when and why.

    A move made under an e-signature (an audit decision, an evaluation's sign-off) links to it.
    """
    return _move(
        cmo,
        status=status,
        user=user,
        reason=reason,
        notify=notify,
        audit_signature=audit_signature,
        decision=decision,
    )


def site_change_status(
    *,
    site: Site,
    status: str,
    user,
    reason: str,
    notify: bool = True,
    audit_signature=None,
    decision=None,
) -> StatusChange:
    """Move a site along its own qualification lifecycle and record who, when and why.

    A move made under an e-signature (an audit decision, an evaluation's sign-off) links to it.
    """
    return _move(
        site,
        status=status,
        user=user,
        reason=reason,
        notify=notify,
        audit_signature=audit_signature,
        decision=decision,
    )


def _move(
    subject: Cmo | Site, *, status: str, user, reason: str, notify: bool, audit_signature, decision
) -> StatusChange:
    """Lock the CMO or site, check the move, make it with history and record it."""
    with transaction.atomic():
        subject = type(subject).objects.select_for_update().get(pk=subject.pk)
        current = _check_transition(subject=subject, status=status, user=user, reason=reason)
        subject.qualification_status = status
        save_with_history(subject, user=user, reason=reason)
        site = subject if isinstance(subject, Site) else None
        change = StatusChange.objects.create(
            cmo_id=site.cmo_id if site else subject.pk,
            site=site,
            from_status=current,
            to_status=status,
            reason=reason.strip(),
            changed_by=user,
            audit_signature=audit_signature,
            decision=decision,
        )
        if notify:  # off for moves recorded after the fact (the demo backstory): no news
            _enqueue_notification(change)
    return change


def _enqueue_notification(change: StatusChange) -> None:
    from vendors.tasks import notify_status_change

    enqueue(notify_status_change, change.pk)


def status_change_notify(*, change: StatusChange) -> list[Notification]:
    """Tell every manager about a qualification status change, in the app and by e-mail."""
    managers = get_user_model().objects.filter(groups__name=MANAGER, is_active=True).distinct()
    subject = (
        f"{change.subject}: {QualificationStatus(change.from_status).label} → "
        f"{QualificationStatus(change.to_status).label}"
    )
    body = f"Changed by {change.changed_by} on {change.changed_at:%Y-%m-%d %H:%M} UTC.\n\n{change.reason}"
    url = (change.site or change.cmo).get_absolute_url()
    key = f"status-change:{change.pk}"
    return [
        notification_send(recipient=manager, key=key, subject=subject, body=body, url=url)[0]
        for manager in managers
    ]


def notification_send(
    *, recipient, key: str, subject: str, body: str, url: str
) -> tuple[Notification, bool]:
    """Post a notice to one person once per `key`, and e-mail it with a link to the record.

    One transaction per notice: if the e-mail cannot be sent, the notice is not recorded
    either, and the next attempt tries again. Returns the notice and whether it is new.
    """
    with transaction.atomic():
        notice, created = Notification.objects.get_or_create(
            recipient=recipient, key=key, defaults={"subject": subject, "body": body, "url": url}
        )
        if created and recipient.email:
            text = f"{body}\n\nOpen in CMOselect: {settings.SITE_URL}{url}" if url else body
            send_mail(subject, text, None, [recipient.email], fail_silently=False)
    return notice, created


def _notice_email(notice: Notification) -> EmailMessage:
    body = notice.body
    if notice.url:
        body = f"{body}\n\nOpen in CMOselect: {settings.SITE_URL}{notice.url}"
    return EmailMessage(notice.subject, body, None, [notice.recipient.email])


def notifications_send(notices: list[Notification], *, batch_size: int = 500) -> list[Notification]:
    """Post many new notices (unsaved, recipient set) and e-mail them, as notification_send does.

    For the daily jobs, which send thousands: a transaction and an SMTP connection per notice
    took half a minute for ten thousand. The caller leaves out the (recipient, key) pairs
    already sent. Each batch is one transaction: if its e-mails cannot be sent, its notices are
    not recorded and the next run tries them again. If another process recorded one of them
    meanwhile, that batch is sent one notice at a time, skipping those already recorded.
    Returns the notices recorded now.
    """
    sent = []
    with get_connection(fail_silently=False) as mail:
        for start in range(0, len(notices), batch_size):
            batch = notices[start : start + batch_size]
            try:
                with transaction.atomic():
                    created = Notification.objects.bulk_create(batch)
                    mail.send_messages([_notice_email(n) for n in created if n.recipient.email])
            except IntegrityError:
                created = []
                for n in batch:
                    notice, new = notification_send(
                        recipient=n.recipient, key=n.key, subject=n.subject, body=n.body, url=n.url
                    )
                    if new:
                        created.append(notice)
            sent += created
    return sent


# ---------------------------------------------------------------- capabilities


def site_capability_set(
    *, site: Site, capability: Capability, level: int | None, user, reason: str = "", **details
) -> SiteCapability | None:
    """Set (or with level None, remove) one cell of the capability matrix, keeping its history."""
    cell = SiteCapability.objects.filter(site=site, capability=capability).first()
    with transaction.atomic():
        if level is None:
            if cell is None:
                return None
            delete_with_history(cell, user=user, reason=reason)
            cell = None
        else:
            if level not in CapabilityLevel.values:
                raise ValidationError({"level": f"Unknown level {level!r}."})
            already_verified = cell is not None and cell.level == CapabilityLevel.VERIFIED
            if level == CapabilityLevel.VERIFIED and not already_verified:
                raise ValidationError({"level": VERIFIED_BY_HAND})
            if cell is None:
                # Adding a level is as much a claim about the site as changing one: say why.
                reason = require_reason(reason, message=CAPABILITY_ADD_REASON)
                cell = SiteCapability(site=site, capability=capability)
            if level != CapabilityLevel.VERIFIED:
                cell.verified_by_audit = None  # a lower level by hand: the audit no longer backs it
            cell.level = level
            for name, value in details.items():
                setattr(cell, name, value)
            save_with_history(cell, user=user, reason=reason, clean=True)
        scoring_inputs_changed(cmo_ids=[site.cmo_id], reason="capabilities")
    return cell


def capabilities_verify_by_audit(*, audit, user, signature=None) -> list[SiteCapability]:
    """Raise the capabilities an approved audit covered at its site to "verified by audit"."""
    when = (signature.signed_at if signature is not None else timezone.now()).date()
    reason = f"Verified by approved audit {audit.reference}"
    cells = []
    with transaction.atomic():
        existing = {
            cell.capability_id: cell
            for cell in SiteCapability.objects.select_for_update().filter(site_id=audit.site_id)
        }
        for capability in audit.capabilities.all():
            cell = existing.get(capability.pk) or SiteCapability(
                site_id=audit.site_id, capability=capability
            )
            cell.level = CapabilityLevel.VERIFIED
            cell.source = SiteCapability.Source.AUDIT
            cell.verified_by_audit = audit
            cell.last_verified = when
            cells.append(save_with_history(cell, user=user, reason=reason, clean=True))
        if cells:
            scoring_inputs_changed(cmo_ids=[audit.site.cmo_id], reason="capabilities")
    return cells


# ---------------------------------------------------------------- regulatory history


def regulatory_event_save(*, event: RegulatoryEvent, user, reason: str = "") -> RegulatoryEvent:
    """Record or correct a regulatory event by hand, with its history entry."""
    if event.pk and event.kind != EventKind.INSPECTION and event.citations.exists():
        raise ValidationError(
            {"kind": "This inspection has Form 483 citations; remove them to change its kind."}
        )
    with transaction.atomic():
        if (
            event.pk is None
            and event.agency == Agency.FDA
            and event.site_id
            and not event.establishment_id
        ):
            # The FEI's registry entry holds the FDA history an import later adds to.
            event.establishment = registry_entry_for_site(event.site, user=user)
        save_with_history(event, user=user, reason=reason, clean=True)
        if event.establishment_id:
            establishments_refresh_signal(Establishment.objects.filter(pk=event.establishment_id))
        if event.site_id:
            scoring_inputs_changed(cmo_ids=[event.site.cmo_id], reason="regulatory_event")
    return event


DUPLICATE_CITATION = (
    "This inspection already has this citation (same Act/CFR number and descriptions)."
)


def citation_save(*, citation: Citation, user, reason: str = "") -> Citation:
    """Add a Form 483 citation to an inspection by hand, or correct one, with its history entry.

    A manual citation's natural key follows its text, so a later import of the same citation
    finds it; an imported one keeps the key of the row it came from, so importing that file
    again leaves the corrected citation alone instead of adding the original back.
    """
    inspection = citation.inspection
    if inspection.kind != EventKind.INSPECTION:
        raise ValidationError({"inspection": "Only an inspection has Form 483 citations."})
    for name in ("act_cfr_number", "short_description", "long_description", "program_area"):
        setattr(citation, name, getattr(citation, name).strip())
    if citation.pk is None or citation.source == Source.MANUAL:
        citation.key = citation.content_key
    others = Citation.objects.filter(inspection=inspection).exclude(pk=citation.pk)
    same = Q(key__in={citation.key, citation.content_key}) | Q(
        act_cfr_number=citation.act_cfr_number,
        short_description=citation.short_description,
        long_description=citation.long_description,
    )
    if others.filter(same).exists():
        raise ValidationError({"short_description": DUPLICATE_CITATION})
    # Citations feed no score or compliance signal (those count inspections by their
    # classification), so unlike regulatory_event_save this announces no scoring change.
    try:
        save_with_history(citation, user=user, reason=reason, clean=True)
    except IntegrityError as error:  # the same citation saved at the same moment elsewhere
        raise ValidationError({"short_description": DUPLICATE_CITATION}) from error
    return citation


def citation_remove(*, citation: Citation, user, reason: str) -> None:
    """Remove a citation from its inspection; its history keeps the removal with who and why."""
    delete_with_history(citation, user=user, reason=reason)


# ---------------------------------------------------------------- FDA imports


def import_run_create(
    *,
    file: File,
    name: str,
    user=None,
    via: str = ImportRun.Via.BROWSER,
    create_missing: bool = False,
    dry_run: bool = False,
    start: bool = True,
) -> ImportRun:
    """Store an FDA export after checking its type and size, and queue its preview."""
    from vendors.fda.tables import FileProblem, sniff_kind

    if file.size > settings.MAX_UPLOAD_SIZE:
        limit = settings.MAX_UPLOAD_SIZE // (1024 * 1024)
        raise ValidationError({"file": f"The file is larger than {limit} MiB."})
    run = ImportRun(
        original_name=Path(name).name[:255],
        size=file.size,
        via=via,
        create_missing=create_missing,
        dry_run=dry_run,
        uploaded_by=user,
    )
    run.file.save(Path(name).name, file, save=False)
    try:
        sniff_kind(Path(run.file.path), name)
    except FileProblem as problem:
        run.file.delete(save=False)
        raise ValidationError({"file": str(problem)}) from problem
    run.save()
    if start:
        from vendors.tasks import preview_import

        enqueue(preview_import, run.pk)
    return run


def import_run_execute(*, run: ImportRun, commit: bool, progress=None) -> ImportRun:
    """Read every row of an import's file: count what it would do, or (commit) do it.

    The run's state is checked first, so a message delivered twice does nothing the second
    time; a commit with a checkpoint resumes there. Any failure ends the run as failed with a
    message for the user (what a commit had imported stays, and "Try again" resumes it).
    """
    from vendors.fda.engine import import_file
    from vendors.fda.formats import HeaderProblem
    from vendors.fda.tables import FileProblem

    S = ImportRun.Status
    expected = (S.QUEUED, S.COMMITTING) if commit else (S.QUEUED, S.PREVIEWING)
    with transaction.atomic():
        run = (
            ImportRun.objects.select_for_update(of=("self",))
            .select_related("uploaded_by")
            .get(pk=run.pk)
        )
        if run.status not in expected:
            log.info("Import %s is %s: nothing to do for a %s", run.pk, run.status,
                     "commit" if commit else "preview")  # fmt: skip
            return run
        run.status = S.COMMITTING if commit else S.PREVIEWING
        run.started_at = run.started_at or timezone.now()
        run.processed_rows = 0
        run.heartbeat_at = timezone.now()
        run.save(update_fields=["status", "started_at", "processed_rows", "heartbeat_at"])

    def report(done: int, total: int | None) -> None:
        ImportRun.objects.filter(pk=run.pk).update(
            processed_rows=done, total_rows=total, heartbeat_at=timezone.now()
        )
        if progress:
            progress(done, total)

    try:
        fmt, tally = import_file(run=run, path=Path(run.file.path), commit=commit, progress=report)
    except (HeaderProblem, FileProblem) as problem:
        run.status, run.message, run.finished_at = S.FAILED, str(problem), timezone.now()
        run.save(update_fields=["status", "message", "finished_at"])
        return run
    except Exception as error:  # noqa: BLE001 - shown on the run, never left "importing"
        log.exception("Import %s failed", run.pk)
        return _import_run_fail(run, f"{type(error).__name__}: {error}")
    run.refresh_from_db(fields=["processed_rows", "total_rows"])
    run.format = fmt.code
    run.record_tally(tally, preview=not commit)
    if commit:
        run.status, run.finished_at, run.checkpoint = S.DONE, timezone.now(), {}
        if tally.sites_created:
            run.message = f"{tally.sites_created} missing site(s) created as prospects."
        registry_after_import(run=run, fmt=fmt.code)
        scoring_inputs_changed(cmo_ids=tally.cmo_ids, reason="fda_import")
    else:
        run.status = S.PREVIEWED
        if run.dry_run:
            run.finished_at = timezone.now()
    run.save()
    return run


def _import_run_fail(run: ImportRun, message: str) -> ImportRun:
    run.refresh_from_db(fields=["checkpoint", "processed_rows", "total_rows"])
    kept = run.rows_kept
    run.status, run.finished_at = ImportRun.Status.FAILED, timezone.now()
    run.message = message + (
        f" Rows up to {kept} were imported and are kept; Try again to import the rest."
        if kept
        else " Nothing was imported; Try again to start over."
    )
    run.save(update_fields=["status", "message", "finished_at"])
    return run


STUCK_IMPORT = "The worker stopped while reading this file (it was restarted or killed)."


def import_runs_sweep() -> int:
    """Fail imports whose worker has shown no sign of life for STUCK_WORK_MINUTES, saying why."""
    stale = timezone.now() - timedelta(minutes=settings.STUCK_WORK_MINUTES)
    S = ImportRun.Status
    stuck = ImportRun.objects.filter(
        Q(status__in=[S.PREVIEWING, S.COMMITTING], heartbeat_at__lt=stale)
        | Q(status=S.QUEUED, created_at__lt=stale)
        | Q(status=S.COMMITTING, heartbeat_at=None, created_at__lt=stale)
    )
    count = 0
    for run in stuck:
        _import_run_fail(run, STUCK_IMPORT)
        count += 1
    return count


def import_run_retry(*, run: ImportRun, user) -> ImportRun:
    """Take up a failed import again: a commit resumes at its checkpoint, a preview restarts."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if not run.can_retry:
            raise ValidationError(
                {"status": "Only an import that stopped part-way can be retried."}
            )
        committing = bool(run.checkpoint) or (bool(run.preview) and not run.dry_run)
        from vendors.tasks import commit_import, preview_import

        run.status = ImportRun.Status.COMMITTING if committing else ImportRun.Status.QUEUED
        run.message, run.finished_at, run.heartbeat_at = "", None, timezone.now()
        run.save(update_fields=["status", "message", "finished_at", "heartbeat_at"])
        enqueue(commit_import if committing else preview_import, run.pk)
    return run


def import_run_commit(*, run: ImportRun, user) -> ImportRun:
    """Apply a previewed import (in the background for the browser)."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if not run.can_commit:
            raise ValidationError(
                {"status": f"This import cannot be committed now ({run.get_status_display()})."}
            )
        if not run.total_rows or run.preview_writes_nothing:
            raise ValidationError(
                {"status": "Nothing in this file would be imported; see its preview and errors."}
            )
        run.status = ImportRun.Status.COMMITTING
        run.processed_rows = 0
        run.save(update_fields=["status", "processed_rows"])
        from vendors.tasks import commit_import

        enqueue(commit_import, run.pk)
    return run
