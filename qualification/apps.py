from django.apps import AppConfig


class QualificationConfig(AppConfig):
    name = "qualification"
    verbose_name = "Qualification"

    def ready(self) -> None:
        from cmoselect.events import inputs_changed

        inputs_changed.connect(_reassess, dispatch_uid="qualification.reassess")


def _reassess(sender, *, cmo_ids, reason, **kwargs):
    """An audit decided, a regulatory event, a finding or a status changed: reassess the CMO's
    sites (in a worker, through the outbox, so a failure here never breaks the sender)."""
    from cmoselect.outbox import enqueue
    from qualification.tasks import reassess_cmos

    enqueue(reassess_cmos, sorted(cmo_ids))
