import pytest

from tests.support.console import FAST_PASSWORDS
from web import create_app


@pytest.fixture
def appliance(appliance):
    appliance.passwords = FAST_PASSWORDS
    return appliance


@pytest.fixture
def app(appliance):
    # Cookies marked Secure would not travel over the test client's plain http://localhost.
    return create_app({"appliance": appliance, "TESTING": True, "SESSION_COOKIE_SECURE": False})


@pytest.fixture
def client(app):
    return app.test_client()
