"""Read a rendered page's form the way a browser submits it, so tests post what users can post."""

from html.parser import HTMLParser

from django.utils.datastructures import MultiValueDict

TEXT_TYPES = {"text", "search", "hidden", "number", "date", "email", "url", "tel", "password", ""}


class _FormReader(HTMLParser):
    def __init__(self, form_id: str | None):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.depth = 0
        self.found = False
        self.data: list[tuple[str, str]] = []
        self.errors_near: dict[str, list[str]] = {}
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._option_value: str | None = None
        self._option_selected = False
        self._option_text = ""
        self._in_option = False
        self._textarea: str | None = None
        self._textarea_text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.found:
            if self.form_id is None or attrs.get("id") == self.form_id:
                self.inside = self.found = True
            return
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data.append((name, attrs.get("value", "on")))
            elif kind in TEXT_TYPES:
                self.data.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            self._option_value = attrs.get("value")
            self._option_selected = "selected" in attrs
            self._option_text = ""
            self._in_option = True
        elif tag == "textarea" and name:
            self._textarea, self._textarea_text = name, ""

    def handle_data(self, data):
        if self._in_option:
            self._option_text += data
        if self._textarea is not None:
            self._textarea_text += data

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "form":
            self.inside = False
        elif tag == "option" and self._select:
            value = self._option_value if self._option_value is not None else self._option_text
            if self._select_first is None:
                self._select_first = value
            if self._option_selected:
                self.data.append((self._select, value))
                self._select_chosen = True
            self._in_option = False
        elif tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self.data.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # Browsers drop the single newline that may follow <textarea>.
            self.data.append((self._textarea, self._textarea_text.removeprefix("\n")))
            self._textarea = None


def form_data(html: str, form_id: str | None = None) -> MultiValueDict:
    """What submitting the page's form (the first, or the one with this id) would send."""
    reader = _FormReader(form_id)
    reader.feed(html)
    assert reader.found, f"no form {form_id or ''} in the page"
    data = MultiValueDict()
    for name, value in reader.data:
        data.appendlist(name, value)
    return data


def as_post(data: MultiValueDict) -> dict[str, list[str]]:
    """The form data in the shape Django's test client posts (every value a list)."""
    return {key: data.getlist(key) for key in data}


def field_block(html: str, name: str) -> str:
    """The markup of one field's block (`#field-<name>`): its label, widget, errors and help."""
    start = html.index(f'id="field-{name}"')
    return html[start : html.index("</div>", start)]
