"""Read a rendered form as a dict of what the browser would post, and fill it in like a person."""

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action", ""), "fields": {}, "options": {}}
            self.forms.append(self._form)
        if self._form is None:
            return
        fields, options = self._form["fields"], self._form["options"]
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("radio", "checkbox"):
                options.setdefault(name, []).append(attrs.get("value", "on"))
                fields.setdefault(name, [])
                if "checked" in attrs:
                    fields[name].append(attrs.get("value", "on"))
            elif kind not in ("submit", "button", "file"):
                fields[name] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            fields[name] = ""
        elif tag == "select" and name:
            self._select = name
            fields[name] = ""
        elif tag == "option" and self._select:
            options.setdefault(self._select, []).append(attrs.get("value", ""))
            if "selected" in attrs:
                fields[self._select] = attrs.get("value", "")

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def rendered_form(html: str, *, action: str, hidden: dict | None = None) -> dict:
    """The form posting to `action` (and with these hidden values): its fields and choices.

    Returns {"fields": {name: value or [checked values]}, "options": {name: [choices]}}.
    """
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        if form["action"] != action:
            continue
        if hidden and any(form["fields"].get(k) != v for k, v in hidden.items()):
            continue
        return form
    raise AssertionError(f"No form posting to {action} {hidden or ''} on the page")


def fill(form: dict, **values) -> dict:
    """The data the browser would post: the form's own values, with the fields a person set."""
    for name in values:
        assert name in form["fields"], f"The form has no field {name!r}"
        choices = form["options"].get(name)
        chosen = values[name] if isinstance(values[name], list) else [values[name]]
        if choices is not None:
            assert set(map(str, chosen)) <= set(choices), f"{chosen} not offered for {name}"
    data = {k: v for k, v in form["fields"].items() if v != []}
    data.update(values)
    data.pop("csrfmiddlewaretoken", None)
    return data
