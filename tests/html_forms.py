"""Read the forms a page renders, so a test posts what a person's browser would post.

One parser reads every form of a page into a `Form`; find the one you want with `form_with`
(a field's name), `form_with_button` (a submit button's text), `rendered_form` (where it posts)
or `form_data` (its id, as a MultiValueDict for `as_post`).
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import NamedTuple

from django.utils.datastructures import MultiValueDict

# Inputs whose value the browser sends as typed; checkboxes and radios only when checked.
_NOT_SENT = {"submit", "button", "reset", "image", "file"}


class Button(NamedTuple):
    text: str
    name: str
    value: str
    label: str  # the accessible name: its aria-label, else its text


@dataclass
class Form:
    action: str  # the `action` attribute, or `hx-post` for a form htmx submits
    method: str
    id: str
    # What submitting the form as rendered sends, in page order, repeated names kept.
    pairs: list[tuple[str, str]] = field(default_factory=list)
    # Attributes of each named input, select and textarea (type, max, required...).
    attrs: dict[str, dict[str, str]] = field(default_factory=dict)
    # The values each select, checkbox group or radio group offers.
    options: dict[str, list[str]] = field(default_factory=dict)
    # Each select's options by their text: {name: {text: value}}.
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    buttons: list[Button] = field(default_factory=list)
    # Names that carry several values: checkbox groups and multiple selects.
    multiple: set[str] = field(default_factory=set)

    @property
    def fields(self) -> dict[str, str | list[str]]:
        """Name → value as rendered; a checkbox group or multiple select → its chosen values."""
        fields: dict[str, str | list[str]] = {name: [] for name in self.multiple}
        for name, value in self.pairs:
            if name in self.multiple:
                fields[name].append(value)
            else:
                fields[name] = value
        return fields

    def data(self, button: str | None = None, **changes: str | list[str]) -> dict:
        """The fields as the browser sends them, with `changes` entered and `button` pressed.

        A change must name a field of the form, and a choice must be one the form offers.
        """
        unknown = set(changes) - set(self.fields) - set(self.attrs)
        assert not unknown, f"The form has no field {sorted(unknown)}; it has {sorted(self.fields)}"
        for name, value in changes.items():
            if name in self.options:
                chosen = set(map(str, value if isinstance(value, list) else [value]))
                assert chosen <= set(self.options[name]), f"{chosen} not offered for {name}"
        data = {**self.fields, **changes}
        if button is not None:
            pressed = next(b for b in self.buttons if button in (b.text, b.label))
            if pressed.name:
                data[pressed.name] = pressed.value
        return data


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._textarea_text = ""
        self._button: list[str] | None = None
        # The open select: its name, options (value, selected) and the open option's text.
        self._select: str | None = None
        self._select_options: list[tuple[str, bool]] = []
        self._option: dict[str, str] | None = None
        self._option_text = ""
        self.owned_elsewhere: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = a.get("action") or a.get("hx-post") or ""
            method = "post" if "hx-post" in a else a.get("method", "get").lower()
            self._form = Form(action=action, method=method, id=a.get("id", ""))
            self.forms.append(self._form)
            return
        if tag == "input" and a.get("form"):
            # An input anywhere in the page joins the form its `form` attribute names.
            self.owned_elsewhere.append((a["form"], a))
            return
        form = self._form
        if form is None:
            return
        name = a.get("name", "")
        if tag == "input":
            add_input(form, a)
        elif tag == "textarea" and name:
            form.attrs[name] = a
            self._textarea, self._textarea_text = name, ""
        elif tag == "select" and name:
            form.attrs[name] = a
            form.options[name] = []
            form.labels[name] = {}
            if "multiple" in a:
                form.multiple.add(name)
            self._select, self._select_options = name, []
        elif tag == "option" and self._select:
            self._option, self._option_text = a, ""
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._button = ["", name, a.get("value", ""), a.get("aria-label", "")]

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea_text += data
        if self._option is not None:
            self._option_text += data
        if self._button is not None:
            self._button[0] += data

    def handle_endtag(self, tag: str) -> None:
        form = self._form
        if form is None:
            return
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            # Browsers drop the newline right after <textarea>.
            form.pairs.append((self._textarea, self._textarea_text.removeprefix("\n")))
            self._textarea = None
        elif tag == "option" and self._option is not None and self._select:
            value = self._option.get("value", self._option_text.strip())
            form.options[self._select].append(value)
            form.labels[self._select][" ".join(self._option_text.split())] = value
            self._select_options.append((value, "selected" in self._option))
            self._option = None
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._select_options if selected]
            if not chosen and self._select_options and self._select not in form.multiple:
                chosen = [self._select_options[0][0]]  # a single select sends its first option
            if self._select not in form.multiple:
                chosen = chosen[-1:]
            form.pairs.extend((self._select, value) for value in chosen)
            self._select = None
        elif tag == "button" and self._button is not None:
            text, name, value, label = self._button
            text = " ".join(text.split())
            form.buttons.append(Button(text, name, value, label or text))
            self._button = None


def add_input(form: Form, a: dict[str, str]) -> None:
    """What an <input> with these attributes adds to its form."""
    name = a.get("name", "")
    kind = a.get("type", "text").lower()
    if kind == "submit":
        text = a.get("value", "")
        form.buttons.append(Button(text, name, text, a.get("aria-label") or text))
    if not name:
        return
    form.attrs[name] = a
    if kind in ("checkbox", "radio"):
        form.options.setdefault(name, []).append(a.get("value", "on"))
        if kind == "checkbox":
            form.multiple.add(name)
        if "checked" in a:
            form.pairs.append((name, a.get("value", "on")))
    elif kind not in _NOT_SENT:
        form.pairs.append((name, a.get("value", "")))


def forms_of(html: str | bytes) -> list[Form]:
    parser = _FormParser()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    by_id = {form.id: form for form in parser.forms if form.id}
    for form_id, attrs in parser.owned_elsewhere:
        if form_id in by_id:
            add_input(by_id[form_id], attrs)
    return parser.forms


def form_with(html: str | bytes, field_name: str) -> Form:
    """The one form of the page that has a field of this name."""
    found = [f for f in forms_of(html) if field_name in f.attrs]
    assert len(found) == 1, f"{len(found)} forms have a field {field_name}"
    return found[0]


def form_with_button(html: str | bytes, button: str) -> Form:
    """The one form of the page with a submit button of this text (or accessible name)."""
    found = [f for f in forms_of(html) if any(button in (b.text, b.label) for b in f.buttons)]
    assert len(found) == 1, f"{len(found)} forms have a button {button!r}"
    return found[0]


def rendered_form(html: str | bytes, action: str, *, hidden: dict | None = None) -> Form:
    """The form posting to `action` (and holding these hidden values).

    A form without an action posts to the page's own URL: pass that URL as `action`.
    """
    forms = [f for f in forms_of(html) if "csrfmiddlewaretoken" in f.attrs]
    if hidden:
        forms = [f for f in forms if all(f.fields.get(k) == v for k, v in hidden.items())]
    for wanted in (action, ""):
        for form in forms:
            if form.action == wanted:
                return form
    raise AssertionError(f"No form posting to {action} {hidden or ''} on the page")


def form_data(html: str | bytes, form_id: str | None = None) -> MultiValueDict:
    """What submitting the page's form (the first, or the one with this id) would send."""
    forms = [f for f in forms_of(html) if form_id is None or f.id == form_id]
    assert forms, f"no form {form_id or ''} in the page"
    data = MultiValueDict()
    for name, value in forms[0].pairs:
        data.appendlist(name, value)
    return data


def as_post(data: MultiValueDict) -> dict[str, list[str]]:
    """The form data in the shape Django's test client posts (every value a list)."""
    return {key: data.getlist(key) for key in data}


def field_block(html: str, name: str) -> str:
    """The markup of one field's block (`#field-<name>`): its label, widget, errors and help."""
    start = html.index(f'id="field-{name}"')
    return html[start : html.index("</div>", start)]
