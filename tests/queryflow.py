"""The query paths as a client drives them (post/redirect/get, DESIGN rule 7), shared by the tests."""

from __future__ import annotations

from contextlib import asynccontextmanager

from litestar.testing import AsyncTestClient

from tests import factories as f


@asynccontextmanager
async def logged_in(app, user: dict):
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        response = await f.login(client, user["username"])
        assert response.status_code == 303
        yield client


def csrf(client) -> str:
    return client.cookies.get("csrftoken")


async def verified_account(role: str, subject_id: int) -> dict:
    """A citizen or enterprise account whose identity proof staff accepted (R-18)."""
    return await f.proven(role, subject_id=subject_id)


async def proven_requester(role: str = "third_party") -> dict:
    """An enterprise or credit service agency whose own identity (licence) was accepted."""
    return await f.proven(role)


async def self_query(client, **headers):
    """One click on 查询本人信用信息: the POST, and the result page it redirects to."""
    posted = await client.post("/me/records", data={"_csrf_token": csrf(client)}, headers=headers)
    return posted


async def post_query(client, path: str, **kw):
    """A query form's POST; follows the redirect to the receipt page when allowed."""
    data = {"_csrf_token": csrf(client), **kw.pop("data", {})}
    return await client.post(path, data=data, **kw)
