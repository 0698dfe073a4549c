from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "Scoring"

    def ready(self) -> None:
        from cmoselect.events import inputs_changed

        inputs_changed.connect(_rescore, dispatch_uid="scoring.rescore")


def _rescore(sender, *, cmo_ids, reason, **kwargs):
    from scoring.services import scores_inputs_changed

    scores_inputs_changed(cmo_ids=cmo_ids, reason=reason)
