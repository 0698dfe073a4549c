"""Links for long lists: one reverse() per page instead of one per row or cell."""

from django.urls import reverse


def path_pattern(viewname: str, *names: str) -> str:
    """The path of a view with integer arguments as a `str.format` pattern.

    `path_pattern("vendors:matrix_cell", "site", "capability")` gives
    "/sites/{site}/capabilities/{capability}/": the URL configuration still decides the path,
    and a page of 2,500 links formats a string for each instead of resolving it (about 70 µs).
    """
    markers = [10**15 + i for i in range(len(names))]
    path = reverse(viewname, args=markers).replace("{", "{{").replace("}", "}}")
    for marker, name in zip(markers, names, strict=True):
        assert path.count(str(marker)) == 1, f"{viewname}: cannot tell argument {name} apart"
        path = path.replace(str(marker), f"{{{name}}}")
    return path
