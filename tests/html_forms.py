"""Read the forms a page renders, so a test posts what a person's browser would post."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.utils.datastructures import MultiValueDict


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    # Attributes of each named input, select and textarea (type, max, required...).
    attrs: dict[str, dict[str, str]] = field(default_factory=dict)
    # Submit buttons: (text, name, value).
    buttons: list[tuple[str, str, str]] = field(default_factory=list)

    def data(self, button: str | None = None, **changes: str) -> dict[str, str]:
        """The fields as the browser sends them, with `changes` typed in and `button` pressed."""
        unknown = set(changes) - set(self.fields)
        assert not unknown, f"The form has no field {sorted(unknown)}; it has {sorted(self.fields)}"
        data = {**self.fields, **changes}
        if button is not None:
            text, name, value = next(b for b in self.buttons if b[0] == button)
            if name:
                data[name] = value
        return data


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self._button: list | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input":
            kind = a.get("type", "text")
            if kind == "submit":
                form.buttons.append((a.get("value", ""), name or "", a.get("value", "")))
            elif name and (kind not in ("checkbox", "radio") or "checked" in a):
                form.fields[name] = a.get("value", "")
            if name:
                form.attrs[name] = a
        elif tag == "textarea" and name:
            self._textarea = name
            form.fields[name] = ""
            form.attrs[name] = a
        elif tag == "select" and name:
            self._select = name
            form.attrs[name] = a
        elif tag == "option" and self._select:
            if "selected" in a or self._select not in form.fields:
                form.fields[self._select] = a.get("value", "")
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._button = ["", name or "", a.get("value", "")]

    def handle_data(self, data):
        if self._textarea and self._form:
            self._form.fields[self._textarea] += data
        if self._button is not None:
            self._button[0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            if self._textarea and self._form:
                # Browsers drop the newline right after <textarea>.
                self._form.fields[self._textarea] = self._form.fields[self._textarea].removeprefix(
                    "\n"
                )
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "button" and self._button is not None and self._form is not None:
            self._button[0] = " ".join(self._button[0].split())
            self._form.buttons.append(tuple(self._button))
            self._button = None


def forms_of(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_with(html: str, field_name: str) -> Form:
    """The one form of the page that has a field of this name."""
    found = [f for f in forms_of(html) if field_name in f.fields or field_name in f.attrs]
    assert len(found) == 1, f"{len(found)} forms have a field {field_name}"
    return found[0]


def form_with_button(html: str, button: str) -> Form:
    """The one form of the page with a submit button of this text."""
    found = [f for f in forms_of(html) if any(b[0] == button for b in f.buttons)]
    assert len(found) == 1, f"{len(found)} forms have a button {button!r}"
    return found[0]


# Whole-form reading with repeated fields (multi-selects, checkbox groups) kept, for posting
# back exactly what a browser would.
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


# A form by its action, with the choices each select or checkbox group offers.
class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = attrs.get("action") or attrs.get("hx-post") or ""
            self._form = {"action": action, "fields": {}, "options": {}}
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._form["fields"].setdefault(name, []).append(attrs.get("value", "on"))
                self._form["options"].setdefault(name, []).append(attrs.get("value", "on"))
            elif kind not in ("submit", "button", "file"):
                self._form["fields"][name] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self._form["fields"][name] = ""
        elif tag == "select" and name:
            self._select = name
            self._form["options"][name] = []
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            self._form["options"][self._select].append(value)
            if "selected" in attrs or self._select not in self._form["fields"]:
                self._form["fields"][self._select] = value

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            # As browsers do, a newline just after <textarea> is not part of the value.
            value = self._form["fields"][self._textarea]
            self._form["fields"][self._textarea] = value.removeprefix("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data


def rendered_form(html: str | bytes, action: str) -> tuple[dict, dict]:
    """The fields (name → value) and the choices each select or checkbox offers, of the form
    posting to `action` (a form without an action posts to the page's own URL, `action`)."""
    parser = _Forms()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    for wanted in (action, ""):
        for form in parser.forms:
            if form["action"] == wanted and "csrfmiddlewaretoken" in form["fields"]:
                return dict(form["fields"]), form["options"]
    raise AssertionError(f"no form posting to {action} on the page")
