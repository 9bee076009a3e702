"""Locale selection for Flask-Babel: an explicit cookie first, then the browser's preference."""

from flask import Flask, request
from flask_babel import get_locale

from webapp.extensions import babel

LANGUAGE_COOKIE = "funcpad_lang"
SUPPORTED_LOCALES = {"en": "English", "zh": "简体中文"}


def select_locale() -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return request.accept_languages.best_match(list(SUPPORTED_LOCALES)) or "en"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _languages():
        return {"supported_locales": SUPPORTED_LOCALES, "current_locale": str(get_locale())}
