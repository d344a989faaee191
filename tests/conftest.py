from __future__ import annotations

import pytest
from django.test import Client

from heli.core.scoping import Scope, activate
from tests.world import build_world

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A replica alias for the whole run, a test mirror of the primary (no database of its
    own, no router: unused unless a test of tests/test_replica.py installs the router)."""
    from django.db import connections

    from heli.core.replica import REPLICA

    primary = connections["default"].settings_dict
    connections.settings[REPLICA] = {**primary, "TEST": {**primary["TEST"], "MIRROR": "default"}}


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _verified_logins(monkeypatch):
    """`client.force_login(user)` logs in as after both steps: a user who must give a second
    factor (heli.accounts.twofactor) gets a confirmed device and a session verified by it, as
    django-otp's `login` leaves it. `force_login(user, verified=False)` stops after the
    password, for the tests of the second step."""
    password_only = Client.force_login

    def force_login(self, user, backend=None, *, verified: bool = True):
        from django_otp import DEVICE_ID_SESSION_KEY

        from heli.accounts import twofactor
        from tests.factories import enrolled_device

        password_only(self, user, backend)
        if verified and twofactor.must_verify(user):
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = enrolled_device(user).persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def everything():
    """Open the unrestricted scope, as commands and background jobs do."""
    with activate(Scope.everything()) as scope:
        yield scope


@pytest.fixture
def client_for(client):
    """A test client logged in as the given user."""

    def login(user):
        client.force_login(user)
        return client

    return login
