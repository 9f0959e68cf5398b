"""The process-wide template cache: reused across environments, never stale, never mixed up."""

from __future__ import annotations

from jinja2 import DictLoader, Environment

from alex.template_cache import ProcessBytecodeCache


def _environment(cache: ProcessBytecodeCache, source: str, **options):
    """An environment with one template, and the list of names it compiled."""
    environment = Environment(
        loader=DictLoader({"t.html": source}), bytecode_cache=cache, **options
    )
    compiled: list[str] = []
    original = environment.compile

    def counting_compile(source, name=None, *args, **kwargs):
        compiled.append(name)
        return original(source, name, *args, **kwargs)

    environment.compile = counting_compile
    return environment, compiled


def test_a_second_environment_reuses_the_compiled_template():
    cache = ProcessBytecodeCache()
    first, first_compiled = _environment(cache, "Hallo {{ name }}")
    second, second_compiled = _environment(cache, "Hallo {{ name }}")
    assert first.get_template("t.html").render(name="Ada") == "Hallo Ada"
    assert second.get_template("t.html").render(name="Ben") == "Hallo Ben"
    assert first_compiled == ["t.html"]
    assert second_compiled == []


def test_an_edited_template_is_compiled_again():
    cache = ProcessBytecodeCache()
    first, _ = _environment(cache, "Hallo {{ name }}")
    first.get_template("t.html").render(name="Ada")
    edited, compiled = _environment(cache, "Servus {{ name }}")
    assert edited.get_template("t.html").render(name="Ada") == "Servus Ada"
    assert compiled == ["t.html"]


def test_other_environment_settings_get_their_own_code():
    cache = ProcessBytecodeCache()
    source = "{% if true %}\nja\n{% endif %}\n"
    plain, _ = _environment(cache, source)
    trimmed, compiled = _environment(cache, source, trim_blocks=True)
    assert plain.get_template("t.html").render() == "\nja\n"
    assert trimmed.get_template("t.html").render() == "ja\n"
    assert compiled == ["t.html"]
