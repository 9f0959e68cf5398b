"""Compiled templates shared by every app built in one process (the test suite builds hundreds).

Jinja compiles each template once per Environment, and every create_app makes a new one. A
production worker builds one app, so this only pays where one process builds many: the tests.
"""

from __future__ import annotations

from types import CodeType

from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket


def _settings(environment: Environment) -> tuple:
    """What the generated code depends on besides the template's name and source."""
    autoescape = environment.autoescape
    return (
        tuple(sorted(environment.extensions)),
        getattr(environment, "newstyle_gettext", False),
        # Flask's autoescape is a bound method of each app: compare the function, not the app.
        getattr(autoescape, "__func__", autoescape),
        environment.finalize,
        environment.is_async,
        environment.optimized,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.keep_trailing_newline,
        environment.newline_sequence,
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
    )


class ProcessBytecodeCache(BytecodeCache):
    """Code objects in memory, keyed by template name and environment settings.

    The source checksum is compared on every load, so an edited template is compiled again.
    """

    def __init__(self) -> None:
        self._code: dict[tuple, tuple[str, CodeType]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        found = self._code.get((bucket.key, _settings(bucket.environment)))
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self._code[(bucket.key, _settings(bucket.environment))] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        self._code.clear()


PROCESS_BYTECODE_CACHE = ProcessBytecodeCache()
