from cmoselect.events import inputs_changed, scoring_inputs_changed


def test_listeners_hear_of_changes_only_after_commit(db, django_capture_on_commit_callbacks):
    heard = []

    def listener(sender, cmo_ids, reason, **kwargs):
        heard.append((cmo_ids, reason))

    inputs_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            scoring_inputs_changed(cmo_ids=[3, 1, 3], reason="audit approved")
            assert heard == []
        scoring_inputs_changed(cmo_ids=[], reason="nothing")
    finally:
        inputs_changed.disconnect(listener)
    assert heard == [(frozenset({1, 3}), "audit approved")]
