import pytest
from django.test import Client
def test_probe(cast):
    r = Client(HTTP_HOST="acme.localhost").get("/accounts/login/")
    print(r.status_code, r.headers.get("Content-Security-Policy"))
    print(r.content.decode())
    r = cast.client(cast.manager).get("/home/")
    print(r.content.decode())
