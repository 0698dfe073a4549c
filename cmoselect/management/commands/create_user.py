"""Create a user with one or more roles: the first admin of a new installation, for one.

    python manage.py create_user ada --role Admin --email ada@example.com --name "Ada Admin"

The password is asked for twice (or read from the CMOSELECT_PASSWORD environment variable, for
scripted deployments) and checked against the password rules.
"""

import getpass
import os

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cmoselect.roles import ROLES


class Command(BaseCommand):
    help = "Create a user with the given roles (Sourcing, QA, Manager, Admin)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", action="append", choices=ROLES, required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--name", default="", help="First and last name")

    def handle(
        self, *args, username: str, role: list[str], email: str, name: str, **options
    ) -> None:
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user {username!r} exists already: change it in the admin.")
        first, _, last = name.partition(" ")
        user = User(username=username, email=email, first_name=first, last_name=last)
        password = os.environ.get("CMOSELECT_PASSWORD") or self._ask()
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        user.set_password(password)
        with transaction.atomic():
            user.save()
            user.groups.set(Group.objects.filter(name__in=role))
        self.stdout.write(f"Created {username} with role(s) {', '.join(role)}.")

    def _ask(self) -> str:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return password
