import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest

from cmoselect.roles import ADMIN, user_roles


def test_it_creates_the_first_admin_with_a_checked_password(db, monkeypatch, client):
    monkeypatch.setenv("CMOSELECT_PASSWORD", "a-long-enough-passphrase")
    call_command("create_user", "ada", "--role", ADMIN, "--name", "Ada Admin")
    assert client.login(request=HttpRequest(), username="ada", password="a-long-enough-passphrase")
    from django.contrib.auth import get_user_model

    ada = get_user_model().objects.get(username="ada")
    assert ada.get_full_name() == "Ada Admin"
    assert ADMIN in user_roles(ada)


def test_it_refuses_a_weak_password_and_an_existing_user(db, monkeypatch):
    monkeypatch.setenv("CMOSELECT_PASSWORD", "short")
    with pytest.raises(CommandError, match="too short"):
        call_command("create_user", "bob", "--role", ADMIN)
    monkeypatch.setenv("CMOSELECT_PASSWORD", "a-long-enough-passphrase")
    call_command("create_user", "bob", "--role", ADMIN)
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_user", "bob", "--role", ADMIN)
