"""Read the forms a page renders, so a test posts what a person's browser would post."""

from dataclasses import dataclass, field
from html.parser import HTMLParser


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
