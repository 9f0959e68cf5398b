"""ALEx: a tracker for Agile Lern-Expeditionen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from alex.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, error pages, headers, CLI."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(load_config(app.instance_path, config))
    if app.testing:
        from alex.template_cache import PROCESS_BYTECODE_CACHE

        # Each test builds its own app, and compiling every template again took about half of
        # a typical test's request time. Set before anything creates app.jinja_env.
        app.jinja_options = {**app.jinja_options, "bytecode_cache": PROCESS_BYTECODE_CACHE}
    from alex import static_files

    # /static/ answered before Flask: precompressed twins, a year's caching for ?v= URLs.
    app.wsgi_app = static_files.wrap(  # type: ignore[method-assign]
        app.wsgi_app, app.static_folder or "", autorefresh=app.debug
    )
    if app.config["ALEX_PROXY_FIX"]:
        hops = app.config["ALEX_PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    from alex import caching, cli, errors, i18n, mail, outbox, security, tasks, web
    from alex.extensions import compress, csrf, db, htmx, limiter

    # First, so its after_request hook runs last, on the finished page.
    compress.init_app(app)
    db.init_app(app)
    from alex.db import close_request_sessions, configure_engine

    # We use no async engines. Flask-SQLAlchemy-Lite still registers an async teardown, which
    # costs an asgiref hop on every request and fails in threads that run an event loop; and
    # its session teardown raises when the database went away mid-request (ours does not).
    app.teardown_appcontext_funcs[:] = [
        close_request_sessions if f.__name__ == "_close_sessions" else f
        for f in app.teardown_appcontext_funcs
        if f.__name__ != "_close_async_sessions"
    ]
    with app.app_context():
        configure_engine(db.engine)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    web.init_app(app)
    caching.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    tasks.init_app(app)
    outbox.init_app(app)
    mail.init_app(app)

    # Plug-ins register explicitly, lower layers first: accounts open the registry that
    # expeditions (invites, names, access guards) and the optional two-factor area fill.
    from alex import notifications
    from alex.auth import init_app as init_auth
    from alex.expeditions.hooks import init_app as init_expeditions
    from alex.twofactor import init_app as init_twofactor

    init_auth(app)
    notifications.init_app(app)
    init_expeditions(app)
    init_twofactor(app)
    from alex.boards import init_app as init_boards

    init_boards(app)
    from alex.meetings import init_app as init_meetings

    init_meetings(app)
    from alex.reach import init_app as init_reach

    init_reach(app)
    from alex.push import init_app as init_push

    init_push(app)
    from alex.imports import init_app as init_imports

    init_imports(app)
    from alex.api import init_app as init_api

    init_api(app)
    from alex.sso import init_app as init_sso

    init_sso(app)
    from alex.webhooks import init_app as init_webhooks

    init_webhooks(app)
    # Instance offers: the Börse and library (openings), follow-up runs (follow_up).
    from alex.follow_up import init_app as init_follow_up
    from alex.openings import init_app as init_openings

    init_openings(app)
    init_follow_up(app)
    from alex.operator import init_app as init_operator

    init_operator(app)
    # Optional areas of the training department: certificates and figures.
    from alex.certificates import init_app as init_certificates

    init_certificates(app)
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    """Each area is a blueprint in its own package (one line each keeps merges painless)."""
    from alex.api.v1 import bp as api_bp
    from alex.api.views import bp as api_tokens_bp
    from alex.auth.views import bp as auth_bp
    from alex.boards.views import bp as boards_bp
    from alex.expeditions.views import bp as expeditions_bp
    from alex.exports.views import bp as exports_bp
    from alex.follow_up.views import bp as follow_up_bp
    from alex.health import bp as health_bp
    from alex.imports.views import bp as imports_bp
    from alex.meetings.views import bp as meetings_bp
    from alex.openings.views import bp as openings_bp
    from alex.operator.views import bp as operator_bp
    from alex.progress.views import bp as progress_bp
    from alex.push.views import bp as push_bp
    from alex.pwa import views as pwa_views
    from alex.pwa.pages import bp as pages_bp
    from alex.reach.views import bp as reach_bp
    from alex.sso.views import bp as sso_bp
    from alex.twofactor.views import bp as twofactor_bp
    from alex.webhooks.views import bp as webhooks_bp
    from alex.wellknown import bp as wellknown_bp

    blueprints = [
        health_bp,
        wellknown_bp,
        auth_bp,
        twofactor_bp,
        expeditions_bp,
        boards_bp,
        meetings_bp,
        progress_bp,
        exports_bp,
        pwa_views.bp,
        pages_bp,
        reach_bp,
        push_bp,
        imports_bp,
        api_tokens_bp,
        api_bp,
        sso_bp,
        webhooks_bp,
        openings_bp,
        follow_up_bp,
        operator_bp,
    ]
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    pwa_views.init_app(app)
    # Optional areas of the training department (one block, for an easy merge).
    from alex.certificates.views import bp as certificates_bp
    from alex.figures.views import bp as figures_bp

    app.register_blueprint(certificates_bp)
    app.register_blueprint(figures_bp)
