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
            self.site_types.set(SiteType.objects.filter(code__in=extracted))


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    cmo = factory.SubFactory(CmoFactory)
    name = factory.Faker("name")
    role = "Head of Quality"
    email = factory.Faker("email")


# Scoring


def default_scoring_model():
    from scoring.models import ScoringModel

    return ScoringModel.objects.get(is_default=True)


class EvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scoring.Evaluation"

    name = factory.Sequence(lambda n: f"Fill-finish for ABX-{100 + n}")
    product = "ABX-101 monoclonal antibody"
    phase = "phase_2"
    annual_volume = 100_000
    volume_unit = "vials/year"
    scoring_model = factory.LazyFunction(default_scoring_model)
    created_by = factory.SubFactory(UserFactory)


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scoring.Candidate"

    evaluation = factory.SubFactory(EvaluationFactory)
    cmo = factory.SubFactory(CmoFactory)
    added_by = factory.SelfAttribute("evaluation.created_by")
