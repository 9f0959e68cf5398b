"""The one number field every form uses: bounded like the URL converter, never a database error."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms.validators import NumberRange, Optional

from alex.forms import BaseForm, BoundedIntegerField, VersionField, bounded_int
from alex.web import MAX_ID


class NumbersForm(BaseForm):
    class Meta:
        csrf = False

    version = VersionField()
    place = BoundedIntegerField(
        validators=[Optional(), NumberRange(1, 100, "Bitte einen Platz von %(min)s bis %(max)s.")]
    )


def _form(app, **values) -> NumbersForm:
    with app.test_request_context():
        form = NumbersForm(MultiDict(values))
        form.validate()
        return form


@pytest.mark.parametrize(
    "value", ["100000000000000000000", str(MAX_ID + 1), "-1", "1e3", "0x10", "١٢", "1_000", "x"]
)
def test_a_version_outside_the_column_or_not_a_number_is_refused(app, value):
    form = _form(app, version=value)
    assert form.version.data is None
    assert form.version.errors == ["Bitte lade die Seite neu."]


@pytest.mark.parametrize("value", ["0", "7", str(MAX_ID), " 12 "])
def test_versions_in_bounds_are_taken(app, value):
    form = _form(app, version=value)
    assert form.version.data == int(value) and not form.version.errors


@pytest.mark.parametrize("value", ["0", "101", "100000000000000000000", "-5"])
def test_the_domain_range_words_the_message_even_beyond_the_column(app, value):
    form = _form(app, place=value)
    assert form.place.data is None or value in ("0", "101", "-5")
    assert form.place.errors == ["Bitte einen Platz von 1 bis 100."]


def test_bounded_int_for_values_of_another_shape():
    assert bounded_int("12") == 12
    assert bounded_int("0") is None and bounded_int("0", minimum=0) == 0
    assert bounded_int(str(MAX_ID + 1)) is None
    assert bounded_int("١٢") is None and bounded_int("") is None and bounded_int(None) is None
