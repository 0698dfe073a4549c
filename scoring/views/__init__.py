"""The scoring app's HTML views, split by page group."""

from scoring.views.candidates import *  # noqa: F403
from scoring.views.evaluations import *  # noqa: F403
from scoring.views.models import *  # noqa: F403
from scoring.views.reports import *  # noqa: F403
