from django.contrib.staticfiles import finders


def test_favicon_ico_leads_anyone_to_the_apps_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.svg")
    icon = finders.find("favicon.svg")
    assert icon is not None
    with open(icon) as svg:
        assert svg.read().startswith("<svg")


def test_pages_name_the_icon(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page
