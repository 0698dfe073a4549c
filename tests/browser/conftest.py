import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def login(page, live_server):
    """Log in through the login form, as a person would."""

    def as_user(user):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return as_user
