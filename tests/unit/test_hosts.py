"""Host-header check (portal.web.middleware.AllowedHostsMiddleware) and strict Host parsing
(portal.lib.hosts; DESIGN rule 9)."""

import pytest

from portal.lib.hosts import Host, InvalidHost, base_url_for, check_base_url, parse_host
from portal.web.middleware import AllowedHostsMiddleware, host_name


def test_host_name_strips_port_and_brackets():
    assert host_name("127.0.0.1:8000") == "127.0.0.1"
    assert host_name("Credit.ZhengZhou.gov.cn") == "credit.zhengzhou.gov.cn"
    assert host_name("[::1]:8000") == "::1"


def test_allows_listed_names_on_any_port_and_wildcard_subdomains_only():
    check = AllowedHostsMiddleware(("127.0.0.1", "localhost", "*.zz.gov.cn"))
    assert check.allows("127.0.0.1:8000") and check.allows("localhost") and check.allows("xy.zz.gov.cn:443")
    assert not check.allows("evil.example") and not check.allows("zz.gov.cn.evil.example")
    assert not check.allows(None) and not check.allows(":8000")
    assert not check.allows("evilzz.gov.cn")


# Userinfo once made "localhost:1@evil.example" read as host "localhost" (DESIGN rule 9).
MALFORMED = [
    "localhost:1@evil.example",
    "localhost@evil.example",
    "user:pw@localhost",
    "localhost:80:81",
    "localhost:",
    "localhost:0",
    "localhost:65536",
    "localhost:+80",
    "localhost: 80",
    "localhost:8o",
    "localhost/evil",
    "localhost\\evil",
    "localhost?x",
    "localhost#x",
    "local host",
    "localhost\r\nX-Evil: 1",
    "",
    ":8000",
    "-localhost",
    "localhost-.example",
    "a" * 64 + ".example",
    "under_score.example",
    "127.1",
    "0x7f.0.0.1",
    "evil.0x7f",
    "1.2.3.4.5",
    "127.0.0.256",
    "::1",
    "[::1",
    "[::1]x",
    "[::1]:",
    "[fe80::1%25eth0]",
    "[not-ipv6]:80",
    "%6cocalhost",
]


@pytest.mark.parametrize("header", MALFORMED)
def test_malformed_hosts_are_refused(header):
    with pytest.raises(InvalidHost):
        parse_host(header)
    assert host_name(header) == ""
    assert not AllowedHostsMiddleware(("localhost", "127.0.0.1", "evil.example")).allows(header)
    assert not AllowedHostsMiddleware(("*",)).allows(header)  # even "any host" needs a well-formed one


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("localhost", Host("localhost")),
        ("LOCALHOST:8000", Host("localhost", 8000)),
        ("credit.zz.gov.cn.", Host("credit.zz.gov.cn")),
        ("127.0.0.1:65535", Host("127.0.0.1", 65535)),
        ("[::1]", Host("::1")),
        ("[0:0:0:0:0:0:0:1]:8443", Host("::1", 8443)),
        ("信用.中国", Host("xn--vuqs22g.xn--fiqs8s")),
        ("xn--vuqs22g.xn--fiqs8s:443", Host("xn--vuqs22g.xn--fiqs8s", 443)),
    ],
)
def test_well_formed_hosts(header, expected):
    assert parse_host(header) == expected


def test_international_names_are_allowed_by_their_idna_form():
    check = AllowedHostsMiddleware(("xn--vuqs22g.xn--fiqs8s",))
    assert check.allows("信用.中国:8000") and check.allows("XN--VUQS22G.xn--fiqs8s")


def test_base_url_comes_from_the_setting_else_from_the_checked_host():
    assert base_url_for("https://credit.example.gov.cn", "http", "localhost:1@evil.example") == (
        "https://credit.example.gov.cn"
    )
    assert base_url_for(None, "http", "LocalHost:8000") == "http://localhost:8000"
    assert base_url_for(None, "https", "credit.zz.gov.cn:443") == "https://credit.zz.gov.cn"
    assert base_url_for(None, "http", "[::1]:8000") == "http://[::1]:8000"
    assert base_url_for(None, "javascript", "localhost") == "http://localhost"
    with pytest.raises(InvalidHost):
        base_url_for(None, "http", "localhost:1@evil.example")


def test_the_configured_base_url_is_checked():
    assert check_base_url("https://credit.example.gov.cn/") == "https://credit.example.gov.cn"
    assert check_base_url("https://credit.example.gov.cn:443/portal/") == "https://credit.example.gov.cn/portal"
    for bad in (
        "credit.example.gov.cn",
        "ftp://credit.example.gov.cn",
        "https://a@credit.example.gov.cn",
        "https://credit.example.gov.cn:1@evil.example",
        "https://credit.example.gov.cn/?next=x",
        "https://credit.example.gov.cn/#x",
        "https://",
    ):
        with pytest.raises(ValueError):
            check_base_url(bad)


def test_production_refuses_to_start_without_a_base_url(monkeypatch):
    from portal import settings

    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    settings.get_settings.cache_clear()
    try:
        with pytest.raises(settings.SettingsError, match="PORTAL_BASE_URL"):
            settings.get_settings()
        monkeypatch.setenv("PORTAL_BASE_URL", "https://u:p@credit.example.gov.cn")
        with pytest.raises(settings.SettingsError, match="PORTAL_BASE_URL"):
            settings.get_settings()
        monkeypatch.setenv("PORTAL_BASE_URL", "https://credit.example.gov.cn/")
        assert settings.get_settings().base_url == "https://credit.example.gov.cn"
    finally:
        monkeypatch.undo()
        settings.get_settings.cache_clear()
