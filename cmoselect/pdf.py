"""PDF rendering shared by the apps: a Django template rendered to HTML, then by WeasyPrint."""

from django.template.loader import render_to_string


def render_html(template_name: str, context: dict) -> str:
    return render_to_string(template_name, context)


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    from weasyprint import HTML  # imported late: it loads Pango, which costs start-up time

    return HTML(string=html, base_url=base_url).write_pdf()


def render_pdf(template_name: str, context: dict, *, base_url: str) -> bytes:
    """Render a template to PDF bytes; `base_url` resolves relative URLs (images, CSS)."""
    return html_to_pdf(render_html(template_name, context), base_url=base_url)
