"""The vendors app's HTML views, split by page group."""

from vendors.views.certificates import *  # noqa: F403
from vendors.views.directory import *  # noqa: F403
from vendors.views.imports import *  # noqa: F403
from vendors.views.matrix import *  # noqa: F403
from vendors.views.merges import *  # noqa: F403
from vendors.views.needs_search import *  # noqa: F403
from vendors.views.pickers import *  # noqa: F403
from vendors.views.registry import *  # noqa: F403
from vendors.views.regulatory import *  # noqa: F403
