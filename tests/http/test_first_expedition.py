"""What a first real expedition tripped over: the next meeting, the board before the start, who has a board."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from alex.extensions import db
from alex.meetings import service as meetings


def _schedule(app, expedition, day: date, kind: str = "zirkeltreffen", sprint: int | None = 1):
    with app.app_context():
        meetings.schedule_meeting(
            db.session,
            db.session.merge(expedition),
            meetings.Schedule(
                kind=kind,
                starts_at=datetime.combine(day, time(12, 0), tzinfo=UTC),
                duration_minutes=90,
                location="",
                sprint_number=sprint,
                moderator_id=None,
            ),
        )
        db.session.commit()


def test_home_and_expedition_page_count_to_the_scheduled_meeting(app, actor, zirkel):
    """The Zirkeltreffen is scheduled before the sprint's end: every page counts to the meeting."""
    ex, ada = zirkel["expedition"], zirkel["owner"]
    _schedule(app, ex, date.today() + timedelta(days=5))
    ada_client = actor(ada)
    for path in ("/", f"/expeditions/{ex.id}"):
        html = ada_client.get(path).get_data(as_text=True)
        assert "Noch 5 Tage bis zum nächsten Zirkeltreffen" in html, path
        assert "Noch 17 Tage bis zum nächsten Zirkeltreffen" not in html, path


def test_without_a_scheduled_meeting_the_page_counts_to_the_sprint_end(app, actor, zirkel):
    ex, ada = zirkel["expedition"], zirkel["owner"]
    html = actor(ada).get(f"/expeditions/{ex.id}").get_data(as_text=True)
    assert "nächsten Zirkeltreffen" not in html
    assert "Noch 17 Tage bis zum Ende des Sprints" in html


def test_board_before_the_start_says_when_it_begins(app, actor, world):
    mona, ada = world.user("Mona Moderation"), world.user("Ada Lorenz")
    ex = world.expedition(mona, start=date.today() + timedelta(days=4), participates=False)
    world.join(ex, ada)
    html = actor(ada).get(f"/expeditions/{ex.id}/board").get_data(as_text=True)
    assert "Beginnt in 4 Tagen" in html
    assert "Sprint 1 von 6" not in html


def test_facilitator_without_own_vorhaben_has_no_board(app, actor, zirkel):
    ex, mona = zirkel["expedition"], zirkel["facilitator"]
    mona_client = actor(mona)
    answer = mona_client.get(f"/expeditions/{ex.id}/board")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/expeditions/{ex.id}")
    html = mona_client.get(f"/expeditions/{ex.id}").get_data(as_text=True)
    assert "Mein Board" not in html and f"/expeditions/{ex.id}/board" not in html
    assert "Sprint-Fokus" not in html


def test_peer_board_speaks_about_the_owner(app, actor, zirkel):
    ex, ada, ben = zirkel["expedition"], zirkel["owner"], zirkel["peer"]
    html = actor(ben).get(f"/expeditions/{ex.id}/board/{ada.id}").get_data(as_text=True)
    assert "Was du dir für diesen Sprint vornimmst" not in html
    assert "Woran du gerade arbeitest" not in html
    assert "Was für diesen Sprint geplant ist" in html


def test_facilitator_finds_the_zirkel_summary_on_the_expedition_page(app, actor, zirkel):
    ex = zirkel["expedition"]
    html = actor(zirkel["facilitator"]).get(f"/expeditions/{ex.id}").get_data(as_text=True)
    assert f'href="/expeditions/{ex.id}/summary"' in html
    peer_html = actor(zirkel["peer"]).get(f"/expeditions/{ex.id}").get_data(as_text=True)
    assert f'href="/expeditions/{ex.id}/summary"' not in peer_html


def test_participant_with_one_running_expedition_lands_on_its_board(app, client, zirkel):
    from tests.support.accounts import login

    ex = zirkel["expedition"]
    answer = login(client, zirkel["owner"].email)
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/expeditions/{ex.id}/board"


def test_facilitator_without_board_lands_on_the_expedition(app, client, zirkel):
    from tests.support.accounts import login

    ex = zirkel["expedition"]
    answer = login(client, zirkel["facilitator"].email)
    assert answer.headers["Location"] == f"/expeditions/{ex.id}"


def test_a_next_url_and_two_running_expeditions_keep_the_usual_landing(app, client, world, zirkel):
    from tests.support.accounts import csrf_token, login

    ada = zirkel["owner"]
    token = csrf_token(client)
    answer = client.post(
        "/login?next=/account",
        data={"email": ada.email, "password": "correct horse battery staple", "csrf_token": token},
    )
    assert answer.headers["Location"] == "/account"
    client.get("/logout")
    other = world.expedition(world.user("Nora Neu"), title="Zweite Expedition")
    world.join(other, ada)
    assert login(app.test_client(), ada.email).headers["Location"] == "/"


def test_home_offers_a_new_expedition_only_as_a_secondary_action_to_participants(
    app, actor, zirkel
):
    html = actor(zirkel["owner"]).get("/").get_data(as_text=True)
    head = html.split('class="page-head"', 1)[1].split("</div>", 1)[0]
    assert "/expeditions/new" in head and "button-primary" not in head


def test_card_in_learning_puts_the_learning_first_and_tasks_hide_experiment_fields(
    app, actor, zirkel
):
    from tests.support.boards import make_card

    ex, ada = zirkel["expedition"], zirkel["owner"]
    task = make_card(app, ex, ada, "Sprechstunde testen", column="learning")
    html = actor(ada).get(f"/expeditions/{ex.id}/cards/{task}").get_data(as_text=True)
    form = html.split('id="edit-h"', 1)[1]
    assert form.index('name="learning"') < form.index('name="title"')  # the question first
    assert form.count('id="learning"') == 1  # the link's target is the field itself
    # A plain task: Hypothese and Ergebnis wait in a closed "as an experiment" section.
    experiment_part = form.split('name="hypothesis"')[0].rsplit("<details", 1)
    assert len(experiment_part) == 2 and "</details>" not in experiment_part[1]


def test_experiment_card_shows_its_fields_open(app, actor, zirkel):
    from tests.support.boards import make_card

    ex, ada = zirkel["expedition"], zirkel["owner"]
    card = make_card(app, ex, ada, "Kasten im Bescheid", column="doing", kind="experiment")
    html = actor(ada).get(f"/expeditions/{ex.id}/cards/{card}").get_data(as_text=True)
    form = html.split('id="edit-h"', 1)[1]
    assert "<details" not in form.split('name="hypothesis"')[0].split('name="visibility"')[-1]
    assert form.index('name="title"') < form.index('name="learning"')


def test_language_switch_on_the_login_page(client):
    from tests.support.accounts import csrf_token

    page = client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert 'action="/language"' in page and "English" in page
    answer = client.post(
        "/language", data={"language": "en", "next": "/login", "csrf_token": csrf_token(client)}
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    english = client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="en"' in english and "Log in" in english


def test_english_uses_english_names_for_the_method(actor, zirkel, app):
    ex, ada = zirkel["expedition"], zirkel["owner"]
    en = {"Accept-Language": "en"}
    me = actor(ada)
    html = me.get(f"/expeditions/{ex.id}", headers=en).get_data(as_text=True)
    main = html.split("<main", 1)[1]
    for german in ("Zirkeltreffen", "Abschluss", "Boxenstopp", "Vorhaben", "„"):
        assert german not in main, german
    assert "days to the closing" in main


def test_help_page_has_a_glossary(client):
    html = client.get("/help", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Boxenstopp" in html and "pit stop" in html and "tailwind" in html


def test_zirkel_page_leads_with_what_changed_since_my_last_visit(app, actor, zirkel):
    from alex.boards.service import add_check_in

    ex, ada, ben = zirkel["expedition"], zirkel["owner"], zirkel["peer"]
    me = actor(ada)
    first = me.get(f"/expeditions/{ex.id}/zirkel").get_data(as_text=True)
    assert 'id="changes-heading"' in first
    assert "Ben Okafor</a>" not in first.split('id="changes-heading"')[1].split("</section>")[0]
    with app.app_context():
        add_check_in(db.session, ex.id, ben.id, done="Die Vorlage ist fertig")
        db.session.commit()
    html = me.get(f"/expeditions/{ex.id}/zirkel").get_data(as_text=True)
    changes = html.split('id="changes-heading"')[1].split("</section>")[0]
    assert f'href="#member-{ben.id}"' in changes and "Ben Okafor" in changes
    # It comes first, before the tiles and the Expeditionskarte.
    assert html.index('id="changes-heading"') < html.index('id="members-heading"')
    assert html.index('id="members-heading"') < html.index('id="map-heading"')
    # Seen now: the next visit has nothing new.
    again = me.get(f"/expeditions/{ex.id}/zirkel").get_data(as_text=True)
    assert (
        f'href="#member-{ben.id}"'
        not in again.split('id="changes-heading"')[1].split("</section>")[0]
    )


def test_zirkel_tiles_are_one_line_until_opened(app, actor, zirkel):
    ex, ada = zirkel["expedition"], zirkel["owner"]
    html = actor(ada).get(f"/expeditions/{ex.id}/zirkel").get_data(as_text=True)
    tiles = html.split('class="member-tiles"')[1].split("</section>")[0]
    assert tiles.count('<details class="tile-details"') == 2  # Ada and Ben
    assert '<details class="tile-details" open' not in tiles
