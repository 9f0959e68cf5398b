"""The cast every cross-route test uses: one expedition with a facilitator, an owner of things,
another member, an outsider who runs an expedition of their own, and the instance's operator
("Betrieb"), who is a member of no expedition."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from argon2 import PasswordHasher
from flask import Flask, url_for
from sqlalchemy import func, literal, select, union_all

from alex.db import Base, utcnow
from alex.extensions import db
from tests.support.accounts import World, csrf_token, login, make_cast

VISITORS = ("anonymous", "outsider", "member", "owner", "facilitator", "operator")


@dataclass
class Scene:
    """Users by role and the id for every URL argument name."""

    users: dict[str, object]
    ids: dict[str, object]
    # Where two areas use the same argument name for different things (item_id: a retro note in
    # meetings, a checklist line in boards), the area's own id wins.
    area_ids: dict[str, dict[str, object]] = field(default_factory=dict)

    def url(self, app: Flask, rule) -> str:
        """The rule's URL with the scene's ids filled in."""
        unknown = set(rule.arguments) - set(self.ids)
        assert not unknown, f"add {unknown} to the scene's ids so {rule.endpoint} can be visited"
        with app.test_request_context():
            ids = {**self.ids, **self.area_ids.get(rule.endpoint.split(".")[0], {})}
            return url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})


def fast_hashes(monkeypatch) -> None:
    """Cheap argon2 parameters: these tests log in hundreds of times; hashing is tested elsewhere."""
    from alex.auth import service

    monkeypatch.setattr(
        service, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


def build_scene(app: Flask, world: World) -> Scene:
    """Create the cast, an invite, a card of the owner and an upcoming meeting."""
    from alex.boards.models import Card
    from alex.expeditions import service as expeditions
    from alex.expeditions.models import Expedition, Membership
    from alex.meetings.models import Meeting, Retro, RetroAction, RetroGroup, RetroItem

    cast = make_cast(world)
    expedition, facilitator, owner, member, outsider = (
        cast.expedition,
        cast.facilitator,
        cast.ada,
        cast.ben,
        cast.outsider,
    )
    member_membership = cast.ben_membership
    world.expedition(outsider, title="Andere Expedition")
    operator = world.user("Otto Betrieb", is_operator=True)
    with app.app_context():
        invite = expeditions.create_invite(
            db.session,
            db.session.get(Expedition, expedition.id),
            db.session.merge(facilitator),
            days_valid=7,
            single_use=False,
            as_facilitator=False,
        )
        card = Card(expedition_id=expedition.id, owner_id=owner.id, title="Probe", column="sprint")
        meeting = Meeting(expedition_id=expedition.id, starts_at=utcnow() + timedelta(days=3))
        db.session.add_all([card, meeting])
        db.session.flush()
        from alex.boards.models import CheckIn, ChecklistItem

        checklist_item = ChecklistItem(card_id=card.id, text="Schritt", position=0)
        check_in = CheckIn(
            expedition_id=expedition.id, user_id=owner.id, done="Probe", needs_support=True
        )
        db.session.add_all([checklist_item, check_in])
        # The meeting's retro is in its write phase: the owner's note is hidden from the others.
        retro = Retro(meeting_id=meeting.id)
        db.session.add(retro)
        db.session.flush()
        item = RetroItem(retro_id=retro.id, author_id=owner.id, text="Notiz")
        action = RetroAction(meeting_id=meeting.id, owner_id=owner.id, title="Ausprobieren")
        group = RetroGroup(retro_id=retro.id, title="Gruppe")
        db.session.add_all([item, action, group])
        from alex.notifications import Notification
        from alex.progress.models import CalendarToken

        feed = CalendarToken(
            expedition_id=expedition.id, user_id=owner.id, token="scene-feed-token"
        )
        notification = Notification(user_id=owner.id, expedition_id=expedition.id, kind="kudos")
        from alex.push.models import PushSubscription

        device = PushSubscription(
            user_id=owner.id, endpoint="https://push.example.org/scene", p256dh="k", auth="a"
        )
        db.session.add_all([feed, notification, device])
        from alex.api.service import create_token

        api_token = create_token(db.session, owner.id, "Skript", 30, limit=10).token
        from alex.webhooks.models import Webhook

        webhook = Webhook(
            expedition_id=expedition.id,
            url="https://93.184.216.34/scene",
            events=["action.done"],
            secret="whsec_c2NlbmU=",
        )
        db.session.add(webhook)
        # The Börse and the library (alex.openings): the expedition is listed, the outsider has
        # asked to join, and one of its saved retro formats is shared in the library.
        from alex.meetings.models import RetroTemplate
        from alex.openings.models import JoinRequest, LibraryItem, Opening

        retro_format = RetroTemplate(expedition_id=expedition.id, name="Seestern", prompts="Mehr")
        db.session.add_all(
            [
                Opening(
                    expedition_id=expedition.id,
                    seats=3,
                    seats_taken=0,
                    deadline=utcnow().date() + timedelta(days=14),
                    description="Offen",
                ),
                JoinRequest(expedition_id=expedition.id, user_id=outsider.id, message="Gern"),
                retro_format,
            ]
        )
        db.session.flush()
        shared = LibraryItem(
            kind="retro_format",
            name="Seestern",
            prompts="Mehr",
            source_template_id=retro_format.id,
            publisher_id=facilitator.id,
        )
        db.session.add(shared)
        db.session.commit()
        owner_membership = db.session.scalar(
            select(Membership).where(Membership.user_id == owner.id)
        )
        area_ids = {
            "boards": {"item_id": checklist_item.id},
            "progress": {"token": feed.token},
            "reach": {"token": _unsubscribe_token(app, owner.id)},
        }
        ids = {
            "expedition_id": expedition.id,
            "member_id": member_membership.id,
            "membership_id": owner_membership.id,
            "invite_id": invite.id,
            "token": invite.token,
            "user_id": owner.id,
            "card_id": card.id,
            "check_in_id": check_in.id,
            "meeting_id": meeting.id,
            "item_id": item.id,
            "action_id": action.id,
            "group_id": group.id,
            "notification_id": notification.id,
            "subscription_id": device.id,
            "token_id": api_token.id,
            "webhook_id": webhook.id,
            "filename": "css/app.css",
            "request_id": db.session.scalar(select(JoinRequest.id)),
            "entry_id": shared.id,
            **_certificate_ids(owner.id, expedition.id, facilitator.id),
        }
    users = {
        "outsider": outsider,
        "member": member,
        "owner": owner,
        "facilitator": facilitator,
        "operator": operator,
    }
    return Scene(users, ids, area_ids)


def _unsubscribe_token(app: Flask, user_id: int) -> str:
    """A real one-click unsubscribe token (the reach area), or nothing when it is not installed."""
    try:
        from alex.reach.unsubscribe import unsubscribe_token
    except ImportError:
        return "no-reach-area"
    with app.app_context():
        return unsubscribe_token(user_id, "digest")


def _certificate_ids(owner_id: int, expedition_id: int, facilitator_id: int) -> dict:
    """A valid certificate of the owner (the certificates area), or nothing when not installed."""
    try:
        from alex.certificates.models import Certificate
        from alex.certificates.service import new_code
    except ImportError:
        return {}
    from datetime import date

    certificate = Certificate(
        code=new_code(),
        expedition_id=expedition_id,
        user_id=owner_id,
        holder_name="Ada",
        expedition_title="Expedition",
        facilitator_name="Mona",
        issued_by_id=facilitator_id,
        start_date=date.today(),
        end_date=date.today(),
        meetings_held=1,
        meetings_attended=1,
        minutes_per_meeting=90,
    )
    db.session.add(certificate)
    db.session.commit()
    return {"certificate_id": certificate.id, "verification_code": certificate.code}


def client_for(app: Flask, scene: Scene, visitor: str):
    """A test client, logged in unless the visitor is anonymous."""
    client = app.test_client()
    if visitor != "anonymous":
        assert login(client, scene.users[visitor].email).status_code == 302
    return client


def token_for(client, visitor: str) -> str:
    """The CSRF token of the client's session."""
    return csrf_token(client, "/login" if visitor == "anonymous" else "/account")


def rules(app: Flask):
    """(endpoint, method, rule) for every route, HEAD and OPTIONS aside."""
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, rule


def row_counts(app: Flask) -> dict[str, int]:
    """Rows per table: a cheap fingerprint of what a request stored (one round trip)."""
    tables = Base.metadata.sorted_tables
    query = union_all(
        *(
            select(literal(t.name).label("name"), func.count().label("n")).select_from(t)
            for t in tables
        )
    )
    with app.app_context():
        return {name: n for name, n in db.session.execute(query)}
