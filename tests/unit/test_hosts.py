"""Host-header check (portal.web.middleware.AllowedHostsMiddleware)."""

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
