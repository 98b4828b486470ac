"""Provider configuration: arguments, environment fallbacks, defaults and diagnostics."""

from __future__ import annotations

import pytest

from provider.plugin import ProviderError, Unknown
from provider.rackspace.config import DEFAULT_AUTH_URL, resolve

BASE = {
    "username": None,
    "api_key": None,
    "password": None,
    "tenant_id": None,
    "region": None,
    "auth_url": None,
    "insecure": None,
    "cacert_file": None,
    "max_retries": None,
    "request_timeout": None,
}


def cfg(**kw):
    return {**BASE, **kw}


def check(config, env):
    """Every problem `resolve` finds (it returns settings and problems in one pass)."""
    return resolve(config, env).problems


def settings(config, env):
    s, problems = resolve(config, env)
    assert problems == [] and s is not None
    return s


def test_arguments_and_defaults():
    s = settings(cfg(username="u", api_key="k", region="dfw"), env={})
    assert (s.username, s.api_key, s.password, s.region) == ("u", "k", None, "dfw")
    assert s.auth_url == DEFAULT_AUTH_URL
    assert (s.max_retries, s.request_timeout, s.insecure) == (5, 60.0, False)
    assert s.secret_argument == "api_key"


def test_env_fallbacks_in_order():
    env = {
        "RACKSPACE_USERNAME": "ru",
        "OS_USERNAME": "ou",
        "OS_PASSWORD": "op",
        "OS_REGION_NAME": "ord",
        "RACKSPACE_TENANT_ID": "42",
        "RACKSPACE_AUTH_URL": "http://127.0.0.1:1/v2.0",
    }
    s = settings(cfg(), env=env)
    assert (s.username, s.password, s.region, s.tenant_id) == ("ru", "op", "ord", "42")
    assert s.auth_url == "http://127.0.0.1:1/v2.0"
    assert s.sources["username"] == "RACKSPACE_USERNAME"
    s = settings(cfg(), env={**env, "RACKSPACE_PASSWORD": "rp", "RACKSPACE_REGION": "IAD"})
    assert (s.password, s.region) == ("rp", "IAD")
    s = settings(cfg(), env={k: v for k, v in env.items() if k != "RACKSPACE_USERNAME"})
    assert s.username == "ou"


def test_argument_wins_over_env_and_over_other_credential_env():
    env = {"RACKSPACE_USERNAME": "env-user", "OS_PASSWORD": "env-pass", "RACKSPACE_REGION": "ORD"}
    s = settings(cfg(username="u", api_key="k", region="DFW"), env=env)
    assert (s.username, s.api_key, s.password, s.region) == ("u", "k", None, "DFW")


def _paths(problems: list[ProviderError]) -> dict:
    return {p.path: p for p in problems}


def test_missing_everything_names_arguments_and_env_vars():
    problems = _paths(check(cfg(), env={}))
    assert set(problems) == {("username",), ("api_key",), ("region",)}
    assert "RACKSPACE_USERNAME" in problems[("username",)].detail
    assert "OS_USERNAME" in problems[("username",)].detail
    assert "RACKSPACE_API_KEY" in problems[("api_key",)].detail
    assert "RACKSPACE_PASSWORD" in problems[("api_key",)].detail
    assert "RACKSPACE_REGION" in problems[("region",)].detail
    s, problems = resolve(cfg(), env={})
    assert s is None and problems[0].path == ("username",)


def test_both_credentials_is_an_error():
    problems = check(cfg(username="u", region="DFW", api_key="k", password="p"), env={})
    assert [p.path for p in problems] == [("password",)]
    problems = check(
        cfg(),
        env={
            "RACKSPACE_USERNAME": "u",
            "RACKSPACE_REGION": "DFW",
            "RACKSPACE_API_KEY": "k",
            "RACKSPACE_PASSWORD": "p",
        },
    )
    assert [p.path for p in problems] == [("api_key",)]
    assert "RACKSPACE_PASSWORD" in problems[0].detail


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_retries", -1),
        ("max_retries", 1.5),
        ("request_timeout", 0),
        ("auth_url", "ftp://x"),
        ("cacert_file", "/nonexistent/ca.pem"),
        ("region", Unknown),
    ],
)
def test_bad_values_point_at_the_argument(name, value):
    problems = check(cfg(**{"username": "u", "api_key": "k", "region": "DFW", name: value}), env={})
    assert [p.path for p in problems] == [(name,)]


def test_settings_repr_hides_secrets():
    s = settings(cfg(username="u", api_key="very-secret-key", region="DFW"), env={})
    assert "very-secret-key" not in repr(s)
    s = settings(cfg(username="u", password="hunter2-password", region="DFW"), env={})
    assert "hunter2-password" not in repr(s)
