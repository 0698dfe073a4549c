import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from vendors.models import Cmo, Contact, Site, SiteType


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            for role in extracted:
                self.groups.add(Group.objects.get_or_create(name=role)[0])
        if create:
            self.save()


class CmoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cmo

    legal_name = factory.Sequence(lambda n: f"Acme Contract Manufacturing {n:05d} Ltd")
    headquarters_country = "DE"
    website = "https://www.example.com"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        skip_postgeneration_save = True

    cmo = factory.SubFactory(CmoFactory)
    name = factory.Sequence(lambda n: f"Plant {n}")
    city = "Basel"
    country = "CH"
    fei_number = factory.Sequence(lambda n: str(3_000_000_000 + n))

    @factory.post_generation
    def types(self, create, extracted, **kwargs):
        if create and extracted:
            # get_or_create: a transactional test before this one may have flushed the
            # reference data that migrations load.
            self.site_types.set(
                SiteType.objects.get_or_create(code=code, defaults={"name": code.title()})[0]
                for code in extracted
            )


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    cmo = factory.SubFactory(CmoFactory)
    name = factory.Faker("name")
    role = "Head of Quality"
    email = factory.Faker("email")


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contracts.Contract"

    cmo = factory.SubFactory(CmoFactory)
    contract_type = "msa"
    title = factory.Sequence(lambda n: f"Master services agreement {n}")
    currency = "EUR"


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contracts.Milestone"

    contract = factory.SubFactory(ContractFactory)
    name = factory.Sequence(lambda n: f"Milestone {n}")
    planned_date = factory.Faker("date_between", start_date="+10d", end_date="+200d")
