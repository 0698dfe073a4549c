"""Render a Django template to PDF with WeasyPrint."""

from django.template.loader import render_to_string


def render_pdf(template_name: str, context: dict, *, base_url: str) -> bytes:
    """Render the template to HTML, then to PDF; relative URLs resolve against base_url."""
    from weasyprint import HTML  # imported late: it loads Pango, which takes a moment

    html = render_to_string(template_name, context)
    return HTML(string=html, base_url=base_url).write_pdf()
