import pytest

from webapp.services.code_outline import outline

CODE = '''
import time

# a comment between things
@some.decorator
@DFF.API(
    'Multi-line',
    category='x',
)
def collect(
    host,            # comment inside the signature
    port=9529,
    *,
    tags=None,
    **extra,
):
    """Collect things."""
    return 1

async def later(a, b=(1, 2)):
    pass

def _private():
    pass

class NotAFunction:
    def method(self):
        pass
'''


def test_outline_reads_top_level_functions_only():
    funcs = outline(CODE)
    assert [f.name for f in funcs] == ["collect", "later", "_private"]
    collect = funcs[0]
    assert collect.is_api and collect.title == "Multi-line"
    assert collect.doc == "Collect things."
    assert collect.accepts_var_kwargs
    assert [(a["name"], a["default"]) for a in collect.args] == [
        ("host", None),
        ("port", 9529),
        ("tags", None),
    ]
    assert funcs[1].args[1]["default"] == (1, 2)
    assert not funcs[1].is_api


def test_title_keyword_and_non_literal_defaults():
    funcs = outline("@DFF.API(title='T')\ndef f(x=time.time()):\n    pass\n")
    assert funcs[0].title == "T"
    assert funcs[0].args[0]["default"] == "time.time()"


def test_syntax_errors_propagate():
    with pytest.raises(SyntaxError):
        outline("def f(:\n")
