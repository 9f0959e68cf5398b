"""The instance library: facilitators share retro formats and Vorlagen (settings only), others
use them, operators may hide them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from alex.extensions import db
from alex.meetings import service as meetings
from alex.meetings.models import RetroTemplate
from alex.openings import library
from alex.openings.models import LibraryItem
from tests.support.accounts import make_cast


@pytest.fixture
def cast(world):
    return make_cast(world)


def _template_id(app, expedition_id, name) -> int:
    with app.app_context():
        return db.session.scalar(
            select(RetroTemplate.id).where(
                RetroTemplate.expedition_id == expedition_id, RetroTemplate.name == name
            )
        )


def test_share_a_format_and_use_it_elsewhere(app, actor, cast, world):
    eid = cast.expedition.id
    with app.app_context():
        meetings.save_template(db.session, eid, "Seestern light", ["Mehr davon", "Weniger davon"])
        db.session.commit()
    mona = actor(cast.facilitator)
    tid = _template_id(app, eid, "Seestern light")
    assert (
        actor(cast.ada)
        .post(f"/expeditions/{eid}/library/formats", {"template_id": tid})
        .status_code
        == 403
    )
    assert mona.post(f"/expeditions/{eid}/library/formats", {"template_id": tid}).status_code == 303
    # Twice: refused in words, still one item.
    twice = mona.post(f"/expeditions/{eid}/library/formats", {"template_id": tid})
    assert twice.status_code == 422 and "schon in der Bibliothek" in twice.get_data(as_text=True)
    # Another facilitator sees it without the publisher's name and copies it into their expedition.
    olga = actor(cast.outsider)
    other = world.expedition(cast.outsider, title="Andere Expedition")
    page = olga.get("/library").get_data(as_text=True)
    assert "Seestern light" in page and "Weniger davon" in page
    assert "Mona" not in page and "Geteilt von einer Moderatorin oder einem Moderator" in page
    with app.app_context():
        item_id = db.session.scalar(select(LibraryItem.id))
    # Not into an expedition she does not facilitate.
    assert olga.post(f"/library/{item_id}/adopt", {"expedition_id": eid}).status_code == 404
    assert olga.post(f"/library/{item_id}/adopt", {"expedition_id": other.id}).status_code == 303
    assert "gespeicherten Formaten" in olga.get("/library").get_data(as_text=True)
    with app.app_context():
        prompts = meetings.saved_prompts(
            db.session, other.id, _template_id(app, other.id, "Seestern light")
        )
        assert prompts == "Mehr davon\nWeniger davon"
    # Unpublish: gone from the library, the copy stays.
    assert mona.post(f"/expeditions/{eid}/library/{item_id}/unpublish").status_code == 303
    assert "Seestern light" not in olga.get("/library").get_data(as_text=True)
    assert _template_id(app, other.id, "Seestern light") is not None


def test_share_a_vorlage_carries_settings_only(app, actor, cast, world):
    eid = cast.expedition.id
    mona = actor(cast.facilitator)
    response = mona.post(
        f"/expeditions/{eid}/library/vorlage",
        {"name": "Halbjahr, vier Wochen", "note": "Für Teams", "show_name": "y"},
    )
    assert response.status_code == 303
    olga = actor(cast.outsider)
    page = olga.get("/library").get_data(as_text=True)
    assert "Halbjahr, vier Wochen" in page and "Geteilt von Mona Moderation" in page
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "Lern-Expedition" not in main  # not the expedition's title
    with app.app_context():
        item_id = db.session.scalar(select(LibraryItem.id))
    new = olga.get(f"/expeditions/new?vorlage={item_id}").get_data(as_text=True)
    assert 'name="sprint_count" type="number" value="6"' in new or 'value="6"' in new
    assert "Mit einer Vorlage aus der Bibliothek starten" in new
    assert olga.get("/expeditions/new?vorlage=999999").status_code == 404
    bad = mona.post(f"/expeditions/{eid}/library/vorlage", {"name": " "})
    assert bad.status_code == 422


def test_operator_hides_an_item(app, actor, cast, world):
    eid = cast.expedition.id
    mona = actor(cast.facilitator)
    mona.post(f"/expeditions/{eid}/library/vorlage", {"name": "Vorlage A"})
    with app.app_context():
        item_id = db.session.scalar(select(LibraryItem.id))
    assert actor(cast.outsider).post(f"/library/{item_id}/hide").status_code == 403
    otto = actor(world.user("Otto Betrieb", is_operator=True))
    assert otto.post(f"/library/{item_id}/hide").status_code == 303
    assert "Vorlage A" not in actor(cast.outsider).get("/library").get_data(as_text=True)
    # The publisher sees it marked as hidden and can still take it out.
    share = mona.get(f"/expeditions/{eid}/library").get_data(as_text=True)
    assert "vom Betrieb ausgeblendet" in share
    assert actor(cast.outsider).get(f"/expeditions/new?vorlage={item_id}").status_code == 404


def test_hide_library_item_is_for_operators(app, world):
    plain, operator = world.user("Pia"), world.user("Otto Betrieb", is_operator=True)
    facilitator = world.user("Mona Moderation")
    expedition = world.expedition(facilitator)
    with app.test_request_context(method="POST"):
        from alex.auth.models import User
        from alex.expeditions.models import Expedition

        item = library.share_vorlage(
            db.session,
            db.session.get(Expedition, expedition.id),
            db.session.get(User, facilitator.id),
            name="X",
            show_name=False,
        )
        with pytest.raises(PermissionError):
            library.hide_library_item(db.session, item.id, db.session.get(User, plain.id))
        assert library.hide_library_item(db.session, item.id, db.session.get(User, operator.id))
        assert not library.hide_library_item(db.session, item.id, db.session.get(User, operator.id))
        assert library.visible_items(db.session) == []
