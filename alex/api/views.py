"""The token pages on the account: make a token (shown once), list and revoke them."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from alex.api import service
from alex.api.forms import TokenForm
from alex.auth.audit import security_event
from alex.auth.protect import no_store
from alex.db import utcnow
from alex.extensions import db
from alex.forms import ConfirmForm
from alex.web import render

bp = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")


def _limit() -> int:
    return current_app.config["ALEX_API_TOKENS_PER_PERSON"]


def _page(form: TokenForm, new: service.NewToken | None = None, status: int = 200):
    return render(
        "api/tokens.html",
        form=form,
        new=new,
        tokens=service.tokens_of(db.session, current_user.id),
        revoke_form=ConfirmForm(formdata=None),
        limit=_limit(),
        now=utcnow(),
        status=status,
    )


@bp.get("")
@login_required
@no_store
def tokens():
    """My API tokens and the form for a new one."""
    return _page(TokenForm(formdata=None))


@bp.post("")
@login_required
@no_store
def create():
    """Make a token and show its secret on this answer only (it is stored hashed)."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        new = service.create_token(
            db.session,
            current_user.id,
            form.name.data,
            int(form.days.data),
            limit=_limit(),
            with_second_factor=bool(current_user.passed_second_factor),
        )
    except service.TokenError as error:
        form.name.errors = [str(error)]
        return _page(form, status=422)
    db.session.commit()
    security_event("api_token_created", current_user.id, token_id=new.token.id)
    return _page(TokenForm(formdata=None), new=new)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    """Revoke one of my tokens: the next request with it gets 401."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not service.revoke_token(db.session, current_user.id, token_id):
        abort(404)  # not a token of this account (or revoked meanwhile)
    db.session.commit()
    security_event("api_token_revoked", current_user.id, token_id=token_id)
    flash(_("The token is revoked. Programs using it get no more answers."), "success")
    return redirect(url_for("api_tokens.tokens"))
