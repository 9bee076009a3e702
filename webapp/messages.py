"""Text that is translated where it is shown, not where it is made.

Services, the scheduler's rules and the runner's host side have no locale: they mark English
messages with ``N_`` and hand over ``Msg`` values (a template with its parameters); the web
layer translates them for the page's language (``views.errors.translated``). A leaf module:
nothing here imports the app.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message for translation without translating it here."""
    return message


class Msg(str):
    """A translatable message: the English text, plus ``template`` and ``params`` to say it
    again in another language (``%(name)s`` placeholders)."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Msg:
        text = super().__new__(cls, template % params if params else template)
        text.template, text.params = template, params
        return text
