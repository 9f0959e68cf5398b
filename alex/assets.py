"""Minified twins of our own CSS and JavaScript, built at install time (`flask --app wsgi alex build-assets`).

The sources stay readable, with their comments; every first visit downloads the twins, about a
sixth less when compressed. A twin's name carries its source's content hash
(`static/min/css/app.<hash>.css`), so `static_url` can never hand out a twin of an older source:
a source changed since the last build is served as it is until the next build.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import rcssmin
import rjsmin

MINIFIED_FOLDER = "min"
# Our own files only: vendor/ holds the upstream's minified builds already.
SOURCE_FOLDERS = ("css", "js")
MINIFIERS: dict[str, Callable[[str], str]] = {".css": rcssmin.cssmin, ".js": rjsmin.jsmin}


def content_hash(path: Path) -> str:
    """The short content hash static URLs carry (`?v=`), also part of a twin's name."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def twin_name(filename: str, version: str) -> str | None:
    """Where the minified twin of a static file lives, or None for files that have none."""
    path = Path(filename)
    if path.suffix not in MINIFIERS or path.parts[0] not in SOURCE_FOLDERS:
        return None
    return (
        Path(MINIFIED_FOLDER) / path.with_name(f"{path.stem}.{version}{path.suffix}")
    ).as_posix()


def build_minified(static_folder: str | Path) -> list[Path]:
    """Write the twin of every source that lacks one and remove twins of older sources."""
    static = Path(static_folder)
    wanted: set[Path] = set()
    written: list[Path] = []
    for folder in SOURCE_FOLDERS:
        for source in sorted((static / folder).rglob("*")):
            name = source.is_file() and twin_name(
                source.relative_to(static).as_posix(), content_hash(source)
            )
            if not name:
                continue
            twin = static / name
            wanted.add(twin)
            if not twin.exists():
                minify = MINIFIERS[source.suffix]
                _write_atomically(twin, minify(source.read_text(encoding="utf-8")))
                written.append(twin)
    for old in (static / MINIFIED_FOLDER).rglob("*"):
        # Precompressed twins (build_compressed) go with their source.
        if old.is_file() and old not in wanted and old.suffix not in (".br", ".gz"):
            old.unlink(missing_ok=True)
    return written


def _write_atomically(path: Path, text: str) -> None:
    # Tests in parallel and a running server may read the folder while it is being built.
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=path.suffix)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


# Text files worth a precompressed twin (images and fonts are compressed already).
COMPRESSIBLE = (".css", ".js", ".svg", ".json", ".webmanifest", ".txt", ".map")
COMPRESSED_SUFFIXES = (".br", ".gz")


def build_compressed(static_folder: str | Path) -> list[Path]:
    """Write a Brotli and a gzip twin of every text file under static/ that lacks a current one.

    WhiteNoise (alex.static_files) serves them to browsers that accept them. A twin carries its
    source's modification time: a source changed since is compressed again; twins whose source
    is gone are removed. WhiteNoise's compressor skips a twin that would save less than 5 %.
    """
    from whitenoise.compress import Compressor

    static = Path(static_folder)
    compressor = Compressor(quiet=True)
    written: list[Path] = []
    for path in sorted(static.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix in COMPRESSED_SUFFIXES:
            if not path.with_suffix("").is_file():
                path.unlink(missing_ok=True)
            continue
        if path.suffix not in COMPRESSIBLE:
            continue
        mtime = path.stat().st_mtime
        twins = [path.with_name(path.name + suffix) for suffix in COMPRESSED_SUFFIXES]
        if all(t.is_file() and t.stat().st_mtime == mtime for t in twins):
            continue
        for twin in twins:
            twin.unlink(missing_ok=True)
        written.extend(Path(name) for name in compressor.compress(str(path)))
    return written
