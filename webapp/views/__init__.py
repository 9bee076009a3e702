"""Blueprints: thin request parsing and response shaping over the services."""

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp.host import sandbox_endpoints
    from webapp.runner.service import set_endpoint_loader
    from webapp.views import (
        admin_pages,
        api_docs_pages,
        bodies,
        connector_pages,
        crontab_pages,
        dff_api,
        env_pages,
        errors,
        explorer_pages,
        first_run,
        formatting,
        func_api_pages,
        health,
        i18n_pages,
        package_pages,
        pages,
        script_docs_pages,
        security_headers,
        session_pages,
        settings,
        task_pages,
        transfer_pages,
    )
    from webapp.views.api import api, openapi

    errors.init_app(app)
    bodies.init_app(app)
    security_headers.init_app(app)
    formatting.init_app(app)
    first_run.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(session_pages.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(env_pages.bp)
    app.register_blueprint(connector_pages.bp)
    app.register_blueprint(package_pages.bp)
    app.register_blueprint(explorer_pages.bp)
    app.register_blueprint(task_pages.bp)
    app.register_blueprint(crontab_pages.bp)
    app.register_blueprint(func_api_pages.bp)
    app.register_blueprint(transfer_pages.bp)
    app.register_blueprint(admin_pages.bp)
    app.register_blueprint(api_docs_pages.bp)
    app.register_blueprint(script_docs_pages.bp)
    app.register_blueprint(i18n_pages.bp)
    app.register_blueprint(api)
    dff_api.init_app(app)
    openapi.init_app(app)
    set_endpoint_loader(app, sandbox_endpoints)
