"""Widgets for long lists: a <select> written without templates, and a searchable picker for
tables too large for a <select> (CMOs and sites).

A searchable picker:

The page carries only the chosen row. Typing in the search box asks the server (htmx) for at most
`MATCH_LIMIT` matches, shown as radio buttons with the field's name, so choosing one is plain
HTML. Without JavaScript, submitting the form with text in the search box shows the matches for
that text beside the field, and the person chooses from them and submits again.

The field's queryset must offer `find(text)` (the search) and its rows `picker_label` and
`picker_detail` (the line that tells rows with the same name apart).
"""

import re
from dataclasses import dataclass
from html import escape

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.safestring import mark_safe

MATCH_LIMIT = 20
FIELD_NAME = re.compile(r"^[A-Za-z_][\w-]{0,80}$")


class QuickSelect(forms.Select):
    """A <select> whose options are written in Python.

    Django's Select builds a dict for every option and renders it through a template: for the
    250 countries or the hundred capabilities of a filter that is several milliseconds of every
    page that shows it. Same markup, choices (with option groups) and selection; escaped with
    the standard library's `html.escape`, which Django's `escape` wraps in a lazy-string check.
    """

    def render(self, name, value, attrs=None, renderer=None) -> str:
        attrs = {"name": name, **self.build_attrs(self.attrs, attrs)}
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        # As Django's attrs.html writes them: in order, True bare, False left out.
        written = "".join(
            f" {escape(key)}" if value is True else f' {escape(key)}="{escape(str(value))}"'
            for key, value in attrs.items()
            if value is not False and value is not None
        )
        chosen = set(self.format_value(value))

        def options(choices) -> str:
            html = []
            for choice, label in choices:
                if isinstance(label, (list, tuple)):
                    html.append(
                        f'<optgroup label="{escape(str(choice))}">{options(label)}</optgroup>'
                    )
                    continue
                choice = "" if choice is None else str(choice)
                selected = " selected" if choice in chosen else ""
                html.append(
                    f'<option value="{escape(choice)}"{selected}>{escape(str(label))}</option>'
                )
            return "".join(html)

        return mark_safe(f"<select{written}>{options(self.choices)}</select>")


@dataclass(frozen=True)
class PickerOption:
    value: str
    label: str
    detail: str
    checked: bool = False


def _pk(value) -> int | None:
    value = getattr(value, "pk", value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def picker_options(queryset: QuerySet, *, query: str, chosen) -> tuple[list[PickerOption], bool]:
    """The chosen row (if any) and up to MATCH_LIMIT matches for the query; and whether more match."""
    options = []
    chosen_pk = _pk(chosen)
    if chosen_pk is not None:
        row = queryset.filter(pk=chosen_pk).first()
        if row is not None:
            options.append(PickerOption(str(row.pk), row.picker_label, row.picker_detail, True))
    more = False
    if query:
        rows = list(queryset.find(query).exclude(pk=chosen_pk)[: MATCH_LIMIT + 1])
        more = len(rows) > MATCH_LIMIT
        options += [
            PickerOption(str(r.pk), r.picker_label, r.picker_detail) for r in rows[:MATCH_LIMIT]
        ]
    return options, more


class SearchPicker(forms.Widget):
    """One row of a large table, found by searching on the server; see the module docstring."""

    template_name = "widgets/search_picker.html"

    def __init__(self, *, search_url: str, placeholder: str, empty_label: str = "", attrs=None):
        super().__init__(attrs)
        self.search_url = search_url
        self.placeholder = placeholder
        self.empty_label = empty_label
        self.query = ""
        self.choices = ()  # the ModelChoiceField's iterator; only its queryset is used

    def value_from_datadict(self, data: QueryDict, files: MultiValueDict, name: str) -> str | None:
        self.query = (data.get(f"{name}_search") or "").strip()[:100]
        return data.get(name)

    def value_omitted_from_data(self, data: QueryDict, files: MultiValueDict, name: str) -> bool:
        return name not in data

    def get_context(self, name: str, value: object, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        options, more = picker_options(self.choices.queryset, query=self.query, chosen=value)
        context["widget"].update(
            {
                "search_url": reverse(self.search_url),
                "placeholder": self.placeholder,
                "query": self.query,
                "options": options,
                "more": more,
                "empty_label": "" if self.is_required else self.empty_label,
                "disabled": bool(context["widget"]["attrs"].get("disabled")),
            }
        )
        return context

    def render(self, name, value, attrs=None, renderer=None) -> str:
        # The project's templates, not the form renderer's (which sees only Django's own).
        context = self.get_context(name, value, attrs)
        return mark_safe(render_to_string(self.template_name, context))

    def id_for_label(self, id_: str) -> str:
        # The label names the search box: that is where a person starts.
        return id_


def render_picker_results(request: HttpRequest, queryset: QuerySet, *, field: str) -> HttpResponse:
    """The search endpoint's answer: the options fragment for `?field=<name>&<name>_search=…`."""
    name = request.GET.get("field", field)
    if not FIELD_NAME.match(name):
        return HttpResponse("Name the field: ?field=<name>.", status=400)
    query = (request.GET.get(f"{name}_search") or request.GET.get("q") or "").strip()[:100]
    options, more = picker_options(queryset, query=query, chosen=request.GET.get(name))
    context = {
        "name": name,
        "options": options,
        "more": more,
        "query": query,
        "empty_label": request.GET.get("empty_label", "")[:40],
        "required": request.GET.get("required") == "1",
    }
    return render(request, "widgets/picker_options.html", context)
