"""create_app(): wiring only — plugins, routers, middleware, templates (DESIGN.md)."""

from __future__ import annotations

import asyncio
import gc
import logging

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from audit.recorder import AuditUnavailable, get_recorder
from portal.accounts.reset_routes import password_reset_router
from portal.accounts.routes import accounts_router
from portal.admin.routes import admin_router
from portal.agencies.query_routes import agency_query_router
from portal.agencies.routes import agency_router
from portal.agencies.staff_routes import staff_agencies_router
from portal.api.docs import api_docs
from portal.api.routes import api_router
from portal.auditing.routes import audit_router
from portal.authorizations.routes import authorizations_router
from portal.calendar.routes import calendar_router
from portal.catalogue.routes import catalogue_router
from portal.content.routes import content_router, staff_announcements_router
from portal.datadir import secure_data_dir
from portal.db import start_pool
from portal.housekeeping.routes import housekeeping_router
from portal.ingest.api import agency_api_router
from portal.ingest.desk_routes import desk_router
from portal.ingest.entry_routes import entry_router
from portal.ingest.upload_routes import agency_uploads_router
from portal.lib.params import InputError
from portal.lists.routes import agency_lists_router, staff_lists_router
from portal.notices.routes import notices_router
from portal.objections.agency_routes import agency_objections_router
from portal.objections.figures_routes import objection_figures_router
from portal.objections.routes import objection_documents_router, objection_error, objections_router
from portal.objections.staff_routes import staff_objections_router
from portal.objections.stages import ObjectionError
from portal.objections.verify_routes import objection_verify_router
from portal.products.checks.api import checks_api_router
from portal.products.checks.desk_routes import agency_checks_router
from portal.products.checks.measures_routes import measures_router
from portal.products.commitments.agency_routes import agency_commitments_router
from portal.products.commitments.routes import my_commitments_router, public_commitments_router
from portal.products.commitments.staff_routes import staff_commitments_router
from portal.products.credit_reports.routes import credit_reports_router, my_credit_reports_router
from portal.products.credit_reports.staff_routes import credit_agency_directory_router, staff_credit_agencies_router
from portal.products.usage.routes import usage_router
from portal.products.verifications.routes import verifications_router
from portal.products.verifications.staff_routes import staff_verifications_router
from portal.proofs.routes import staff_reviews_router
from portal.public.routes import public_router
from portal.queries.refusals import QueryRefused
from portal.queries.routes import queries_router
from portal.queries.self_routes import self_router
from portal.queries.service import NotFound, ReceiptExpired
from portal.reports.routes import reports_router
from portal.reports.staff_routes import staff_reports_router
from portal.settings import ROOT, get_settings
from portal.sharing.routes import sharing_router
from portal.timeliness.routes import agency_urges_router, timeliness_router
from portal.uploads.routes import uploads_router
from portal.web import templating
from portal.web.errors import (
    audit_unavailable,
    http_error,
    query_not_found,
    query_refused,
    receipt_expired,
    server_error,
    too_deep,
)
from portal.web.htmx import PortalRequest
from portal.web.middleware import AllowedHostsMiddleware, HeadAsGet, PortalMiddleware
from portal.web.params import IntBounds, input_error
from portal.workbench.routes import workbench_router


def _template_config() -> TemplateConfig:
    return TemplateConfig(
        directory=ROOT / "templates",
        engine=JinjaTemplateEngine,
        engine_callback=lambda engine: templating.configure(engine.engine),
    )


async def _close_db() -> None:
    from piccolo_conf import DB

    if hasattr(DB, "close_pool"):
        await DB.close_pool()
    elif getattr(DB, "pool", None):
        await DB.close_connection_pool()


async def _open_db() -> None:
    from piccolo_conf import DB

    size = get_settings().pg_pool_size
    if DB.engine_type == "postgres" and size > 0:
        await start_pool(DB, min_size=min(2, size), max_size=size)


async def _start_audit_writer() -> None:
    # The host's shared writer (started by `serve`, else by the first process that needs it) is
    # reached now rather than on the first query; if it cannot be, queries fail closed (503) and it
    # is retried on each, while public pages keep working.
    try:
        await asyncio.to_thread(get_recorder().start)
    except AuditUnavailable as exc:
        logging.getLogger("portal").warning("audit writer not started: %s", exc)


async def _settle_heap(app: Litestar) -> None:
    """Once per process: the objects made while loading the app live as long as it, so they are
    left out of every collection (``gc.freeze``); and young collections run 10x less often — a
    request leaves no cycles (test_speed_plumbing), while an import chunk makes ~100,000
    short-lived objects that reference counting frees, and each collection pass walked them."""
    if gc.get_freeze_count():
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


async def _start_scheduler(app: Litestar) -> None:
    settings = get_settings()
    if not settings.scheduler:
        return
    from portal.housekeeping.jobs import DEFAULT_JOBS
    from portal.housekeeping.scheduler import Scheduler

    app.state.scheduler = Scheduler([j for j in DEFAULT_JOBS if j.name not in settings.scheduler_skip])
    app.state.scheduler.start()


async def _stop_scheduler(app: Litestar) -> None:
    scheduler = getattr(app.state, "scheduler", None)
    if scheduler is not None:
        await scheduler.stop()


def create_app() -> Litestar:
    settings = get_settings()
    secure_data_dir(settings)  # each worker: new files 0600, the data dir 0700
    static = create_static_files_router(
        path="/static",
        directories=[ROOT / "static"],
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=3600, public=True),
    )
    app = Litestar(
        route_handlers=[
            public_router,
            accounts_router,
            password_reset_router,
            api_router,
            api_docs,
            content_router,
            staff_announcements_router,
            agency_api_router,
            checks_api_router,
            agency_checks_router,
            measures_router,
            usage_router,
            calendar_router,
            admin_router,
            agency_router,
            entry_router,
            desk_router,
            staff_agencies_router,
            timeliness_router,
            agency_urges_router,
            reports_router,
            uploads_router,
            self_router,
            queries_router,
            authorizations_router,
            agency_query_router,
            agency_uploads_router,
            staff_reviews_router,
            sharing_router,
            catalogue_router,
            audit_router,
            housekeeping_router,
            staff_reports_router,
            notices_router,
            objections_router,
            workbench_router,
            staff_objections_router,
            agency_objections_router,
            objection_documents_router,
            objection_verify_router,
            objection_figures_router,
            agency_lists_router,
            staff_lists_router,
            staff_credit_agencies_router,
            credit_agency_directory_router,
            credit_reports_router,
            my_credit_reports_router,
            verifications_router,
            staff_verifications_router,
            my_commitments_router,
            public_commitments_router,
            staff_commitments_router,
            agency_commitments_router,
            static,
        ],
        request_class=PortalRequest,  # before HTMXPlugin, which sets HTMXRequest only when none is set
        plugins=[HTMXPlugin()],
        template_config=_template_config(),
        middleware=[
            DefineMiddleware(PortalMiddleware, hosts=AllowedHostsMiddleware(settings.allowed_hosts)),
        ],
        # Inside the route's own error handling, so a 400 for an out-of-range integer passes through
        # PortalMiddleware's send wrapper and carries the security headers like every other answer.
        before_request=IntBounds().before_request,
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name=settings.csrf_cookie,
            cookie_secure=settings.production,
            cookie_samesite="strict",
            header_name="x-csrftoken",
        ),
        openapi_config=OpenAPIConfig(
            title="信用门户公开数据接口",
            version="1.0.0",
            path="/schema",
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
        ),
        exception_handlers={
            HTTPException: http_error,
            InputError: input_error,
            AuditUnavailable: audit_unavailable,
            QueryRefused: query_refused,
            NotFound: query_not_found,
            ReceiptExpired: receipt_expired,
            ObjectionError: objection_error,
            RecursionError: too_deep,
            Exception: server_error,
        },
        on_startup=[_settle_heap, _open_db, _start_audit_writer, _start_scheduler],
        on_shutdown=[_stop_scheduler, _close_db],
        debug=settings.debug,
    )
    app.asgi_handler = HeadAsGet(app.asgi_handler)  # before routing, which would answer HEAD with 405
    return app
