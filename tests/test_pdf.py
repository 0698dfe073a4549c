import gc

import pytest

from cmoselect.pdf import few_collections, html_to_pdf


def test_html_to_pdf_renders_and_leaves_the_collector_as_it_was():
    thresholds = gc.get_threshold()
    pdf = html_to_pdf("<p>Quality agreement</p>", base_url=".")
    assert pdf.startswith(b"%PDF-")
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0


def test_few_collections_restores_the_collector_when_the_render_fails():
    thresholds = gc.get_threshold()
    with pytest.raises(RuntimeError), few_collections(threshold=123_456):
        assert gc.get_threshold()[0] == 123_456
        assert gc.get_freeze_count() > 0
        raise RuntimeError("render failed")
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0
