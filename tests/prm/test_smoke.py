from tests.conftest import tenant_client


def test_home_for_manager(cast):
    response = cast.client(cast.manager).get("/home/")
    assert response.status_code == 200


def test_unknown_tenant_is_404(db):
    assert tenant_client.__name__
    from django.test import Client

    assert Client(HTTP_HOST="nosuch.localhost").get("/").status_code == 404
