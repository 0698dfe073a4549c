"""403, 404 and 500 pages keep the header (with Log out), say what happened and offer a way on."""

from django.test import RequestFactory

from cmoselect.errors import server_error


def test_a_user_with_no_role_is_told_why_and_can_still_log_out(client, outsider):
    client.force_login(outsider)
    response = client.get("/cmos/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your account has no role yet" in page
    assert ">Log out</button>" in page


def test_a_refused_page_keeps_the_navigation_and_names_the_role(client, sourcing):
    client.force_login(sourcing)
    response = client.get("/audits/new/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "You may not do this" in page and "Sourcing" in page
    assert ">Log out</button>" in page and 'href="/cmos/"' in page


def test_a_missing_record_says_so_with_a_way_back(client, sourcing):
    client.force_login(sourcing)
    response = client.get("/cmos/987654/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Not found" in page and "/cmos/987654/" in page and ">Log out</button>" in page


def test_the_server_error_page_keeps_the_header(sourcing):
    request = RequestFactory().get("/cmos/")
    request.user = sourcing
    response = server_error(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page and "Log out" in page


def test_an_api_server_error_is_json(sourcing):
    request = RequestFactory().get("/api/v1/cmos/")
    request.user = sourcing
    response = server_error(request)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
