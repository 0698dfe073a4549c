"""Read a form as the page renders it, so tests submit what a person's browser would."""

from html.parser import HTMLParser


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
