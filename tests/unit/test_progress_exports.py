"""Rückenwind reaches the Lernbericht and the personal data export (the exports area's hooks)."""

from __future__ import annotations

from alex.boards.models import Card
from alex.exports import data_rights, report
from alex.progress import service
from tests.support.zirkel import build_zirkel


def test_kudos_in_report_and_data_export(session):
    data = build_zirkel(session, members=2)
    ada, ben = data.members
    card = session.get(Card, data.shared_card_ids[ada.id][0])
    service.send_kudos(session, ben.id, card, "brave_experiment", "Mutig!")
    session.commit()
    (line,) = report.kudos_received(session, data.expedition.id, ada.id)
    assert line.author == ben.name and line.text == "Mutiges Experiment – Mutig!"
    assert report.kudos_received(session, data.expedition.id, ben.id) == []
    assert [k["direction"] for k in data_rights.kudos_given_and_received(session, ben.id)] == [
        "given"
    ]
    (got,) = data_rights.kudos_given_and_received(session, ada.id)
    assert got["direction"] == "received" and got["note"] == "Mutig!" and got["card_id"] == card.id
