from django.core.management.base import BaseCommand

from vendors.demo import ensure_demo_users, seed_directory


class Command(BaseCommand):
    help = "Load the fictional demo data (idempotent: only what is missing is created)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--with-users",
            action="store_true",
            help="Also create one demo user per role and print their logins.",
        )

    def handle(self, *args, with_users: bool = False, **options):
        created = seed_directory()
        self.stdout.write(
            "Demo directory: {cmos} CMOs, {sites} sites, {contacts} contacts created.".format(
                **created
            )
        )
        if with_users:
            self.stdout.write("\nDemo logins (role: username / password):")
            for role, username, password in ensure_demo_users():
                self.stdout.write(f"  {role:<9} {username:<9} / {password}")
        from scoring.demo import seed_scoring

        self.stdout.write(
            "Demo scoring: {evaluations} evaluations, {reports} reports, {decisions} decisions created.".format(
                **seed_scoring()
            )
        )
