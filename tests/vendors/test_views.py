from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CmoFactory, ContactFactory, SiteFactory
from vendors.models import Cmo, QualificationStatus, SiteType

S = QualificationStatus


@pytest.fixture
def directory(db):
    basel = CmoFactory(
        legal_name="Basel Biologics AG",
        headquarters_country="CH",
        aliases="BB Bio\nBasel Bio",
        qualification_status=S.APPROVED,
    )
    SiteFactory(cmo=basel, name="Visp", fei_number="3012345678", types=["biologics", "sterile"])
    cork = CmoFactory(
        legal_name="Cork Sterile Ltd", headquarters_country="IE", qualification_status=S.PROSPECT
    )
    SiteFactory(cmo=cork, name="Ringaskiddy", country="IE", types=["sterile"])
    hyd = CmoFactory(
        legal_name="Hyderabad Fine Chemicals",
        headquarters_country="IN",
        qualification_status=S.UNDER_EVALUATION,
    )
    SiteFactory(cmo=hyd, name="Genome Valley", country="IN", types=["api"])
    return {"basel": basel, "cork": cork, "hyd": hyd}


def names(response) -> list[str]:
    return [cmo.legal_name for cmo in response.context["page"].object_list]


class TestCmoList:
    url = reverse("vendors:cmo_list")

    def test_it_lists_every_cmo_sorted_by_name(self, client_for, qa, directory):
        response = client_for(qa).get(self.url)
        assert response.status_code == 200
        assert names(response) == [
            "Basel Biologics AG",
            "Cork Sterile Ltd",
            "Hyderabad Fine Chemicals",
        ]

    @pytest.mark.parametrize(
        "query, expected",
        [
            ({"q": "cork"}, ["Cork Sterile Ltd"]),
            ({"q": "Basel Bio"}, ["Basel Biologics AG"]),
            ({"q": "0003012345678"}, ["Basel Biologics AG"]),
            ({"status": "prospect"}, ["Cork Sterile Ltd"]),
            ({"status": ["prospect", "approved"]}, ["Basel Biologics AG", "Cork Sterile Ltd"]),
            ({"country": "IN"}, ["Hyderabad Fine Chemicals"]),
            ({"site_type": "sterile"}, ["Basel Biologics AG", "Cork Sterile Ltd"]),
            (
                {"site_type": "sterile", "ordering": "-name"},
                ["Cork Sterile Ltd", "Basel Biologics AG"],
            ),
            (
                {"ordering": "country"},
                ["Basel Biologics AG", "Cork Sterile Ltd", "Hyderabad Fine Chemicals"],
            ),
            (
                {"ordering": "-status"},
                ["Hyderabad Fine Chemicals", "Cork Sterile Ltd", "Basel Biologics AG"],
            ),
        ],
    )
    def test_it_searches_filters_and_sorts(self, client_for, qa, directory, query, expected):
        assert names(client_for(qa).get(self.url, query)) == expected

    def test_an_htmx_request_gets_only_the_results_fragment(self, client_for, qa, directory):
        response = client_for(qa).get(self.url, {"q": "cork"}, HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert body.lstrip().startswith('<div id="results">')
        assert "Cork Sterile Ltd" in body and "<html" not in body

    def test_an_unknown_filter_value_shows_an_error_not_a_crash(self, client_for, qa, directory):
        response = client_for(qa).get(self.url, {"status": "bogus"})
        assert response.status_code == 200
        assert names(response) == []
        assert "Select a valid choice" in response.content.decode()

    def test_it_paginates_and_keeps_filters_in_links(self, client_for, qa, db):
        CmoFactory.create_batch(30, headquarters_country="FR")
        response = client_for(qa).get(self.url, {"country": "FR", "page": 2})
        assert len(response.context["page"].object_list) == 5
        assert "?country=FR&page=1" in response.content.decode()

    def test_it_shows_50_rows_when_asked_and_ignores_odd_sizes(self, client_for, qa, db):
        CmoFactory.create_batch(60)
        client = client_for(qa)
        assert len(client.get(self.url, {"per_page": 50}).context["page"].object_list) == 50
        assert len(client.get(self.url, {"per_page": 7}).context["page"].object_list) == 25
        assert len(client.get(self.url, {"per_page": "x"}).context["page"].object_list) == 25

    def test_the_empty_state_offers_a_way_out(self, client_for, sourcing, db):
        body = client_for(sourcing).get(self.url, {"q": "nothing"}).content.decode()
        assert "No CMOs match these filters" in body
        assert reverse("vendors:cmo_create") in body

    @pytest.mark.parametrize("n", [5, 200])
    def test_it_costs_the_same_queries_for_5_or_200_cmos(self, client_for, qa, db, n):
        types = list(SiteType.objects.all())
        for cmo in CmoFactory.create_batch(n):
            SiteFactory(cmo=cmo).site_types.set(types[:2])
        client = client_for(qa)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(self.url, {"site_type": "api", "ordering": "-sites"})
        assert response.status_code == 200
        # session, user, roles, site-type filter check, countries present, count, page,
        # site-type widget choices, the header's unread notifications
        assert len(queries) == 9, [q["sql"] for q in queries]


class TableText(HTMLParser):
    """The header texts and, per body row, the text pieces of each cell of a rendered table."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.rows: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        if tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "thead":
            self._in_head = False
        elif tag in ("th", "td") and self._cell is not None:
            if self._in_head:
                self.headers.append(" ".join(self._cell))
            else:
                self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None and data.strip():
            self._cell.append(" ".join(data.split()))


def score_column(response) -> list[tuple[str, str]]:
    """(legal name, what the Score column says) for each row of the CMO list as rendered."""
    table = TableText()
    table.feed(response.content.decode())
    score = [header.split(" ")[0] for header in table.headers].index("Score")  # "Score ▼" too
    return [(row[0][0], " ".join(row[score])) for row in table.rows]


class TestCmoListScore:
    url = reverse("vendors:cmo_list")

    def test_an_excluded_cmo_shows_excluded_and_why_instead_of_its_total(
        self, client_for, qa, scored_directory
    ):
        assert score_column(client_for(qa).get(self.url)) == [
            ("Basel Biologics AG", "67"),
            ("Cork Sterile Ltd", "40"),
            # Its total (69) is the highest: showing it would recommend the CMO.
            ("Lyon Injectables SA", "Excluded Regulatory: open warning letter"),
            ("Zug Aseptics AG", "—"),
        ]

    @pytest.mark.parametrize(
        "ordering, expected",
        [
            ("-score", ["Basel Biologics AG", "Cork Sterile Ltd", "Zug Aseptics AG"]),
            ("score", ["Cork Sterile Ltd", "Basel Biologics AG", "Zug Aseptics AG"]),
        ],
    )
    def test_sorting_by_score_either_way_puts_excluded_cmos_last(
        self, client_for, qa, scored_directory, ordering, expected
    ):
        rows = score_column(client_for(qa).get(self.url, {"ordering": ordering}))
        assert [name for name, _ in rows] == [*expected, "Lyon Injectables SA"]


class TestCmoDetail:
    def test_it_shows_sites_contacts_and_status_history(self, client_for, qa, directory):
        cmo = directory["basel"]
        ContactFactory(cmo=cmo, name="Greta Keller")
        body = client_for(qa).get(cmo.get_absolute_url()).content.decode()
        assert "Visp" in body and "Greta Keller" in body and "Approved" in body

    def test_an_unknown_id_is_a_404(self, client_for, qa, db):
        assert client_for(qa).get(reverse("vendors:cmo_detail", args=[999999])).status_code == 404

    def test_qa_sees_no_edit_controls(self, client_for, qa, directory):
        body = client_for(qa).get(directory["cork"].get_absolute_url()).content.decode()
        assert reverse("vendors:cmo_edit", args=[directory["cork"].pk]) not in body

    def test_sourcing_sees_edit_controls(self, client_for, sourcing, directory):
        body = client_for(sourcing).get(directory["cork"].get_absolute_url()).content.decode()
        assert reverse("vendors:cmo_edit", args=[directory["cork"].pk]) in body


class TestCmoEdit:
    def test_sourcing_creates_a_cmo(self, client_for, sourcing, db):
        response = client_for(sourcing).post(
            reverse("vendors:cmo_create"),
            {"legal_name": "Lyon Pharma SAS", "headquarters_country": "FR", "duns_number": ""},
        )
        cmo = Cmo.objects.get(legal_name="Lyon Pharma SAS")
        assert response.status_code == 302 and response.url == cmo.get_absolute_url()
        assert cmo.history.get().history_user == sourcing

    def test_an_invalid_form_re_renders_with_errors_beside_the_fields(
        self, client_for, sourcing, db
    ):
        CmoFactory(legal_name="Taken GmbH")
        response = client_for(sourcing).post(
            reverse("vendors:cmo_create"),
            {"legal_name": "Taken GmbH", "headquarters_country": "XX", "duns_number": "12"},
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert set(errors) == {"legal_name", "headquarters_country", "duns_number"}
        assert "exactly 9 digits" in response.content.decode()
        assert Cmo.objects.count() == 1

    def test_an_edit_needs_a_reason_and_records_it(self, client_for, sourcing, directory):
        cmo = directory["cork"]
        url = reverse("vendors:cmo_edit", args=[cmo.pk])
        data = {
            "legal_name": cmo.legal_name,
            "headquarters_country": "IE",
            "website": "https://cork.example.com",
        }
        response = client_for(sourcing).post(url, data)
        assert "change_reason" in response.context["form"].errors
        response = client_for(sourcing).post(url, {**data, "change_reason": "New website"})
        assert response.status_code == 302
        entry = Cmo.objects.get(pk=cmo.pk).history.latest()
        assert entry.history_change_reason == "New website"
        assert entry.history_user == sourcing

    def test_qa_cannot_post_to_the_edit_url(self, client_for, qa, directory):
        cmo = directory["cork"]
        response = client_for(qa).post(
            reverse("vendors:cmo_edit", args=[cmo.pk]),
            {"legal_name": "Hijacked", "headquarters_country": "IE", "change_reason": "x"},
        )
        assert response.status_code == 403
        assert Cmo.objects.get(pk=cmo.pk).legal_name == "Cork Sterile Ltd"

    def test_a_site_is_added_with_types_and_a_normalised_fei(self, client_for, sourcing, directory):
        cmo = directory["cork"]
        response = client_for(sourcing).post(
            reverse("vendors:site_create", args=[cmo.pk]),
            {
                "name": "Little Island",
                "country": "IE",
                "fei_number": "0003099999",
                "site_types": [SiteType.objects.get(code="packaging").pk],
            },
        )
        assert response.status_code == 302
        site = cmo.sites.get(name="Little Island")
        assert site.fei_number == "3099999"
        assert [t.code for t in site.site_types.all()] == ["packaging"]

    def test_a_duplicate_fei_is_an_error_beside_the_field(self, client_for, sourcing, directory):
        response = client_for(sourcing).post(
            reverse("vendors:site_create", args=[directory["cork"].pk]),
            {"name": "Clash", "country": "IE", "fei_number": "3012345678"},
        )
        assert response.status_code == 200
        assert "fei_number" in response.context["form"].errors


class TestStatusChange:
    def test_qa_approves_with_a_reason(self, client_for, qa, directory):
        cmo = directory["hyd"]
        response = client_for(qa).post(
            reverse("vendors:cmo_status", args=[cmo.pk]),
            {"status": "approved", "reason": "Qualification audit passed"},
        )
        assert response.status_code == 302
        cmo.refresh_from_db()
        assert cmo.qualification_status == S.APPROVED

    def test_a_missing_reason_is_reported_and_changes_nothing(self, client_for, qa, directory):
        cmo = directory["hyd"]
        response = client_for(qa).post(
            reverse("vendors:cmo_status", args=[cmo.pk]), {"status": "approved"}, follow=True
        )
        assert "Reason: This field is required." in response.content.decode()
        cmo.refresh_from_db()
        assert cmo.qualification_status == S.UNDER_EVALUATION
