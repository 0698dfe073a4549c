"""The demo data of every app, loaded in dependency order.

It lives in the project package because it spans the apps: vendors must not depend on the apps
built on it (audits, contracts, scoring).
"""

from argparse import ArgumentParser

from django.core.management.base import BaseCommand

from audits.demo import seed_audits
from contracts.demo import seed_contracts
from qualification.demo import seed_qualification
from scoring.demo import seed_scoring
from vendors.demo import (
    ensure_demo_users,
    seed_capabilities_and_events,
    seed_directory,
    seed_duplicates,
    seed_registry,
)
from vendors.demo_certificates import seed_certificates_and_citations


class Command(BaseCommand):
    help = "Load the fictional demo data (idempotent: only what is missing is created)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--with-users",
            action="store_true",
            help="Also create one demo user per role and print their logins.",
        )

    def handle(self, *args, with_users: bool = False, **options) -> None:
        logins = ensure_demo_users() if with_users else []
        self.stdout.write(
            "Demo directory: {cmos} CMOs, {sites} sites, {contacts} contacts created.".format(
                **seed_directory()
            )
        )
        self.stdout.write(f"Likely duplicates to merge: {seed_duplicates()} created.")
        self.stdout.write(
            "Capabilities and regulatory record: {capabilities} matrix cells, "
            "{events} events created.".format(**seed_capabilities_and_events())
        )
        self.stdout.write(
            "FDA registry: {establishments} establishments imported from a DECRS extract.".format(
                **seed_registry()
            )
        )
        self.stdout.write(
            "Certificate register and 483 citations: {certificates} certificates, "
            "{citations} citations created.".format(**seed_certificates_and_citations())
        )
        self.stdout.write(
            "Demo audits: {audits} audits, {findings} findings, {reports} reports.".format(
                **seed_audits()
            )
        )
        self.stdout.write(
            "Demo contracts: {contracts} contracts, {milestones} milestones, "
            "{amendments} amendments created.".format(**seed_contracts())
        )
        self.stdout.write(
            "Demo approved supplier list: {sites} sites ({audits} earlier audits).".format(
                **seed_qualification()
            )
        )
        self.stdout.write(
            "Demo scoring: {evaluations} evaluations, {reports} reports, "
            "{decisions} decisions created.".format(**seed_scoring())
        )
        if with_users:
            self.stdout.write("\nDemo logins (role: username / password):")
            for role, username, password in logins:
                self.stdout.write(f"  {role:<9} {username:<9} / {password}")
