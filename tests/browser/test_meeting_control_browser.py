"""Control that holds, in five real browsers on one meeting: one facilitator, four participants.

The participants write, vote and check in in a loop (in their pages, at their own pace) while
the facilitator clicks through every step of the run-sheet and every phase of the retro. Not one
click is refused, each takes effect in the facilitator's own answer, and every screen ends in
the same state. Also: the presenter view and the screenshots for the README.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect

from alex.db import utcnow
from alex.extensions import db
from alex.meetings import service
from alex.meetings.models import Meeting, Retro, RetroItem
from tests.support.accounts import TEST_PASSWORD
from tests.support.browser import DESKTOP, PHONE, assert_no_axe_violations, log_in, new_context

FOLLOW_MS = 2000  # every screen follows the facilitator within two seconds
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# What a participant's page does on its own, every 0.5–0.9 s, with whatever its screen offers:
# check in, write a note, put a dot or take it back. It never waits for the facilitator.
PARTICIPANT_LOOP = """
name => {
  window.__stop = false;
  let n = 0;
  const press = sel => { const b = document.querySelector(sel); if (b) { b.click(); return true; } return false; };
  function step() {
    if (window.__stop) return;
    if (!document.querySelector('.htmx-request')) {
      const checkin = document.getElementById('checkin-form-open');
      const text = document.getElementById('item-text');
      const votes = document.querySelectorAll('.vote-row');
      if (checkin) {
        checkin.querySelector('input[name=mood][value="4"]').checked = true;
        checkin.querySelector('button[type=submit]').click();
      } else if (text) {
        n += 1;
        text.value = name + ' Notiz ' + n;
        press('#new-item-form button[type=submit]');
      } else if (votes.length) {
        const row = votes[Math.floor(Math.random() * votes.length)];
        const buttons = row.querySelectorAll('button[type=submit]');
        (buttons.length > 1 ? buttons[1] : buttons[0]).click();
      }
    }
    setTimeout(step, 500 + Math.random() * 400);
  }
  step();
}
"""

# Each click and the state the facilitator's own answer must carry (status:step:phase).
CLICKS = [
    ("step", "Treffen starten", "running:checkin:"),
    ("step", "Weiter: Was aus den Maßnahmen wurde", "running:actions_review:"),
    ("step", "Weiter: Review-Runde", "running:review_round:"),
    ("step", "Weiter: Retro", "running:retro:write"),
    ("phase", "Aufdecken", "running:retro:reveal"),
    ("phase", "Abstimmen", "running:retro:vote"),
    ("phase", "Diskutieren", "running:retro:discuss"),
    ("phase", "Maßnahmen vereinbaren", "running:retro:actions"),
    ("phase", "Retro beendet", "running:retro:closed"),
    ("step", "Weiter: Planung des nächsten Sprints", "running:planning:closed"),
    ("step", "Weiter: Check-out", "running:checkout:closed"),
    ("finish", "Treffen beenden", "finished:checkout:closed"),
]


def _schedule(app, expedition) -> int:
    with app.app_context():
        meeting = service.schedule_meeting(
            db.session,
            db.session.merge(expedition),
            service.Schedule(
                "zirkeltreffen", utcnow() + timedelta(minutes=5), 90, "Raum 2.14", 1, None
            ),
        )
        db.session.commit()
        return meeting.id


def _press(page, name: str, exact: bool = True) -> None:
    """A person's click: a moment after the last answer (a click within 0.25 s of an answer
    counts as the second half of a double-click and is ignored by meetings.js)."""
    page.wait_for_timeout(300)
    page.get_by_role("button", name=name, exact=exact).first.click()


def _note(page, text: str):
    """The note whose own text is this (not one whose "Group with" list names it)."""
    return page.locator(".item", has=page.locator(".item-text", has_text=text))


def _stage(page) -> str:
    return page.locator("#meeting-live").get_attribute("data-stage")


def _people(world):
    mona = world.user("Mona Moderation", "mona@example.org")
    names = ("Ada Lorenz", "Ben Okafor", "Cem Yildiz", "Dora Schulz")
    people = [world.user(n, f"{n.split()[0].lower()}@example.org") for n in names]
    expedition = world.expedition(mona, title="Digitale Verwaltung", participates=False)
    for person in people:
        world.join(expedition, person)
    return mona, people, expedition


def test_five_screens_one_meeting_no_click_is_refused(app, browser, live_server, world):
    _mona, people, expedition = _people(world)
    meeting_id = _schedule(app, expedition)
    url = f"{live_server.url}/expeditions/{expedition.id}/meetings/{meeting_id}"

    contexts, pages = [], []
    for email, viewport in [("mona@example.org", DESKTOP)] + [(p.email, PHONE) for p in people]:
        ctx = new_context(browser, viewport)
        page = ctx.new_page()
        log_in(page, live_server.url, email, TEST_PASSWORD)
        page.goto(url)
        contexts.append(ctx)
        pages.append(page)
    fac, participants = pages[0], pages[1:]

    refused: list[tuple[str, int, str]] = []
    for who, page in zip(["Mona"] + [p.name for p in people], pages, strict=True):

        def watch(response, who=who):
            if response.request.method == "POST" and response.status >= 400:
                refused.append((who, response.status, response.url))

        page.on("response", watch)
    for person, page in zip(people, participants, strict=True):
        page.evaluate(PARTICIPANT_LOOP, person.name.split()[0])

    for kind, label, expected in CLICKS:
        fac.wait_for_timeout(700)  # the participants keep writing and voting meanwhile
        path = {"step": "/step", "phase": "/retro/phase", "finish": "/finish"}[kind]
        with fac.expect_response(
            lambda r, path=path: r.request.method == "POST" and r.url.endswith(path)
        ) as answer:
            fac.get_by_role("button", name=label, exact=True).first.click()
        response = answer.value
        assert response.status == 200, (label, response.status, response.text()[:300])
        # The answer itself carries the new state: no waiting for a poll.
        shown = re.search(r'data-stage="([^"]*)"', response.text()).group(1)
        assert shown.startswith(expected), (label, shown)
        expect(fac.locator("#meeting-live")).to_have_attribute(
            "data-stage", re.compile("^" + re.escape(expected))
        )
        for page in participants:
            expect(page.locator("#meeting-live")).to_have_attribute(
                "data-stage", re.compile("^" + re.escape(expected)), timeout=FOLLOW_MS
            )

    for page in participants:
        page.evaluate("window.__stop = true")
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        retro = db.session.query(Retro).filter_by(meeting_id=meeting_id).one()
        notes = db.session.query(RetroItem).filter_by(retro_id=retro.id).count()
        assert (meeting.status, meeting.step, retro.phase) == ("finished", "checkout", "closed")
    assert notes >= 4, "the participants wrote while the facilitator steered"
    facilitator_refusals = [r for r in refused if r[0] == "Mona"]
    assert facilitator_refusals == [], facilitator_refusals
    assert [r for r in refused if r[1] == 409 or r[1] >= 500] == [], refused
    # Every screen ends in the same state.
    final = {_stage(page) for page in pages}
    assert final == {"finished:checkout:closed:"}, final
    for ctx in contexts:
        ctx.close()


def test_a_double_click_on_next_moves_one_step(app, browser, live_server, world):
    mona, people, expedition = _people(world)
    meeting_id = _schedule(app, expedition)
    url = f"{live_server.url}/expeditions/{expedition.id}/meetings/{meeting_id}"
    ctx = new_context(browser, DESKTOP)
    fac = ctx.new_page()
    log_in(fac, live_server.url, mona.email, TEST_PASSWORD)
    fac.goto(url)
    fac.get_by_role("button", name="Treffen starten").click()
    expect(fac.locator("#meeting-live")).to_have_attribute(
        "data-stage", re.compile("^running:checkin")
    )
    fac.wait_for_timeout(400)
    fac.get_by_role("button", name="Weiter: Was aus den Maßnahmen wurde").dblclick()
    fac.wait_for_timeout(1500)
    with app.app_context():
        assert db.session.get(Meeting, meeting_id).step == "actions_review"
    expect(fac.locator("#meeting-live")).to_have_attribute(
        "data-stage", re.compile("^running:actions_review")
    )
    ctx.close()


def test_retro_presenter_and_phone_screens(app, browser, live_server, world):
    """The facilitator's retro, the presenter view and a participant's phone; the README's pictures."""
    mona, people, expedition = _people(world)
    ada, ben, cem, _dora = people
    meeting_id = _schedule(app, expedition)
    base = f"/expeditions/{expedition.id}/meetings/{meeting_id}"
    url = live_server.url + base

    desk = new_context(browser, DESKTOP)
    fac = desk.new_page()
    log_in(fac, live_server.url, mona.email, TEST_PASSWORD)
    room = new_context(browser, DESKTOP)
    screen = room.new_page()
    log_in(screen, live_server.url, mona.email, TEST_PASSWORD)
    phone = new_context(browser, PHONE)
    par = phone.new_page()
    log_in(par, live_server.url, ada.email, TEST_PASSWORD)

    # Notes open before the meeting ("Notizen ab Montag"): Ada writes on her phone.
    fac.goto(url)
    _press(fac, "Notizen jetzt öffnen")
    expect(fac.locator("#meeting-live")).to_contain_text("Die Notizen sind offen")
    par.goto(url)
    expect(par.locator("#stage-heading")).to_have_text("Retro-Notizen vor dem Treffen")
    for text, prompt in (
        ("Kurze Wege zur Fachabteilung", "0"),
        ("Weniger Abstimmungsschleifen", "0"),
    ):
        par.select_option("#item-prompt", prompt)
        par.fill("#item-text", text)
        par.get_by_role("button", name="Notiz hinzufügen").click()
        expect(par.locator(".item-mine", has_text=text)).to_be_visible()
    par.get_by_role("button", name="Ich bin fertig").click()
    expect(par.locator(".done-count").first).to_contain_text("1 von 4 fertig")
    assert_no_axe_violations(par)

    # Others write through the app's own forms (their own sessions), then the meeting runs.
    from tests.support.accounts import login

    for person, texts in (
        (ben, [("Mehr Zeit für Fokusarbeit", 0), ("Zu viele Mails", 1)]),
        (cem, [("Mailflut am Montag", 1), ("Das Lerntagebuch hilft", 2)]),
    ):
        client = app.test_client()
        login(client, person.email)
        page = client.get(base)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        for text, prompt in texts:
            assert (
                client.post(
                    base + "/retro/items",
                    data={"csrf_token": token.group(1), "prompt": prompt, "text": text},
                ).status_code
                == 302
            )
        client.post(base + "/retro/done", data={"csrf_token": token.group(1), "done": "1"})

    screen.goto(url + "/presenter")
    expect(screen.locator(".presenter-step")).to_have_text("Gleich geht es los")
    expect(screen.locator(".qr svg")).to_be_visible()
    fac.reload()
    _press(fac, "Treffen starten")
    expect(fac.locator("#meeting-live")).to_have_attribute(
        "data-stage", re.compile("^running:checkin")
    )
    _press(fac, "Retro")
    expect(fac.locator("#meeting-live")).to_have_attribute(
        "data-stage", re.compile("^running:retro")
    )
    expect(fac.locator(".done-count").first).to_contain_text("3 von 4 fertig")
    expect(fac.locator("#meeting-live")).to_contain_text("Schreiben noch: Dora Schulz")
    expect(screen.locator(".presenter-count")).to_contain_text("3 von 4 fertig", timeout=FOLLOW_MS)
    _press(fac, "Aufdecken")
    expect(fac.locator("#meeting-live")).to_contain_text("Mailflut am Montag")

    # Grouping: drag "Mailflut am Montag" onto "Zu viele Mails", then give the group a title.
    # (The drag events as the browser sends them; meetings.js turns the drop into the note's
    # own "Group with" form, which is also there for keyboards and without JavaScript.)
    transfer = fac.evaluate_handle("new DataTransfer()")
    source, target = _note(fac, "Mailflut am Montag"), _note(fac, "Zu viele Mails")
    source.dispatch_event("dragstart", {"dataTransfer": transfer})
    target.locator(".item-text").dispatch_event("dragover", {"dataTransfer": transfer})
    target.locator(".item-text").dispatch_event("drop", {"dataTransfer": transfer})
    source.dispatch_event("dragend", {"dataTransfer": transfer})
    expect(fac.locator(".note-group")).to_have_count(1)
    fac.fill(".group-title-form input[name=title]", "E-Mail-Flut")
    fac.wait_for_timeout(300)
    fac.locator(".group-title-form").get_by_role("button", name="Speichern").click()
    expect(fac.locator(".group-title-form input[name=title]")).to_have_value("E-Mail-Flut")

    _press(fac, "Abstimmen")
    expect(par.locator(".vote-row").first).to_be_visible(timeout=FOLLOW_MS)
    _note(par, "Zu viele Mails").get_by_role("button", name="Punkt geben").click()
    expect(par.locator(".vote-budget")).to_contain_text("1 von 3")
    with app.app_context():
        ids = {
            t: i
            for t, i in db.session.query(RetroItem.text, RetroItem.id).filter(
                RetroItem.text.in_(["Mailflut am Montag", "Mehr Zeit für Fokusarbeit"])
            )
        }
    for person, text in ((ben, "Mailflut am Montag"), (cem, "Mehr Zeit für Fokusarbeit")):
        client = app.test_client()
        login(client, person.email)
        token = re.search(
            r'name="csrf_token" value="([^"]+)"', client.get(base).get_data(as_text=True)
        )
        client.post(f"{base}/retro/items/{ids[text]}/vote", data={"csrf_token": token.group(1)})
    par.wait_for_timeout(300)
    assert_no_axe_violations(par)
    par.evaluate(
        "window.scrollTo(0, document.querySelector('.retro-meta').getBoundingClientRect().top"
        " + window.scrollY - 80)"
    )
    DOCS.mkdir(parents=True, exist_ok=True)
    par.screenshot(path=str(DOCS / "meeting-retro-phone.png"), scale="css")

    _press(fac, "Diskutieren")
    expect(fac.locator(".note-group .group-head")).to_contain_text("2 Punkte")
    fac.wait_for_timeout(300)
    fac.locator(".note-group .item").first.get_by_role("button", name="Jetzt besprechen").click()
    expect(screen.locator(".presenter-entry.item-discussing")).to_contain_text(
        "E-Mail-Flut", timeout=FOLLOW_MS
    )
    _press(fac, "Timer starten")
    expect(screen.locator(".timer")).to_be_visible(timeout=FOLLOW_MS)
    assert screen.locator("form").count() == 0  # no controls on the room's screen
    assert_no_axe_violations(screen)
    assert_no_axe_violations(fac)
    screen.screenshot(path=str(DOCS / "meeting-presenter.png"), scale="css")
    fac.evaluate("window.scrollTo(0, 0)")
    fac.screenshot(path=str(DOCS / "meeting-retro-facilitator.png"), scale="css")
    for ctx in (desk, room, phone):
        ctx.close()
