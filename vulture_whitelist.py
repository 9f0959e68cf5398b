"""Names vulture cannot see used (make lint runs `vulture`; its settings are in pyproject.toml).

Each group says who uses them. A name that is really dead is removed from the code, not added
here.
"""

# ruff: noqa: F821, B018
# Called by gunicorn (deploy/gunicorn.conf.py: logger_class).
RedactingLogger

# Called or read by Flask, Flask-Login, WTForms, SQLAlchemy, Jinja and WeasyPrint.
_.login_view
_.login_message
_.login_message_category
_.session_protection
is_active
is_anonymous
_.get_id
_.choices
_.expire_on_commit
metadata
impl
cache_ok
_.process_bind_param
_.process_result_value
_.isolation_level
_.process_formdata
_.pre_validate
_.validate_note
widget
Meta
_.fetch
_.load_bytecode
_.dump_bytecode
_.no_cache
_.no_store
_.public
_.max_age
_.immutable

# Columns and relationships of the models (the schema, also read by Alembic and the exports).
login_sessions
vorhaben_id
created_by_id
required_by_id
timer_ends_at
checked_in_at
discussing_item_id

# Read by templates.
days_to_start
days_to_sprint_end
progress_percent
my_votes
hidden_count
my_votes_used
previous_actions
review_cards
review_focus
my_focus
_.by_prompt
missed  # meetings/catchup.html: "you were not there"
ran_it  # meetings/record.html, catchup.html: "(Moderation)"
reviewed
absent
legend_marker
expedition_map_svg
latest_check_in
recent_learnings
owner_name
quiet_members
open_support
actions_to_review
kudos_sent
facilitation
_.facilitation

# Set by the access loader for the view's loader in the same request (flask.g).
_._prefetched_membership
_._membership_access

# Read by the board templates (boards/_column.html, boards/_moved.html).
_.cards_html
_.changed_columns
_.successor

# Columns the unlock command resets (SQLAlchemy writes them on commit).
_.failed_logins
_.next_login_at
_.failed_codes
_.next_code_at

# Parts of a result or a record that callers may read (tests, the JSON export).
expeditions_deleted
facilitation_handed_to
meeting_date
MEETING_STATUSES

# Used by the test suite (tests/test_i18n.py).
extract_messages

# 403 reasons for the meeting views (the meetings area names what it refuses with these).
MEETING_RUNNER_ONLY
SECOND_FACTOR_NEEDED

# Read back through flask.g by the account-check limiter (alex/auth/protect.py).
_.alex_failed_check

# Read by the account page's device list (templates/auth/account.html).
_.is_current

# SQLAlchemy's hybrid expression for queries that filter on has_learning.
_._has_learning_expression

# Huey periodic tasks of the reach area: the consumer's scheduler calls them (alex/reach/jobs.py).
nudge_people
send_weekly_digests
# When a reminder went out: kept for the operator and the data export (alex/reach/models.py).
_.sent_at
# The outbox and mail engine's interface for the other areas (alex/outbox.py, alex/mail.py):
# enqueue and absolute_url are what they call; columns and outcome counts the tests and the
# account page read.
enqueue
absolute_url
STATES
last_error
sent_at
retry
email_undeliverable_reason

# Read by the push settings partial (templates/push/_push_settings.html).
_.last_sent_at
# Read by templates/expeditions/_standing.html: the next scheduled meeting and the days to it.
_.next_meeting
_.days_to_next_meeting
created_by  # Invite.created_by: the invite page names who invites
created_by  # Invite.created_by: the invite page names who invites

# Read by the push settings partial (templates/push/_push_settings.html).
_.last_sent_at
# Read by the live meeting templates (meetings/_runner_retro.html, _step_retro.html, _presenter.html).
_.done_count
_.still_writing
_.next_phase

# Import into my board (alex/imports): read by templates/imports/preview.html, set for Werkzeug,
# or registered by a decorator (the upload route's 413 handler).
_.archived
_.checklist_items
_.with_due
_.max_content_length
too_large

# The read-only API (alex/api/v1.py): request state read through g.get("…"); Flask-Login reads
# g._login_user; the blueprint's error handler is registered by its decorator.
_.api_bearer
_.api_rate_key
_.api_token_refused
_._login_user
http_problem

# Single sign-on (alex/sso): roles set by name from the role claim (service.RoleValues.grants),
# the markers of what the claim granted, the time of the last SSO login (kept for the operator's
# console), and Authlib's lifetime of a started login.
is_training_office
may_create_expeditions
granted_operator
granted_creator
granted_training_office
last_login_at
_.expires_in

# Read by the webhook settings page (templates/webhooks/settings.html).
_.disabled_reason
_.attempted_at

# The Börse, the library and follow-up runs (alex.openings, alex.follow_up): columns kept as a
# record (who listed, who decided, when), and what only templates read.
_.listed_at
_.listed_by_id
_.decided_at
_.decided_by_id
_.published_at
_.hidden_by_id
_.show_publisher  # templates/openings/_library_meta.html
_.answered_at
_.open_for_requests  # templates/openings/*.html
_.continued_in  # templates/follow_up/_links.html
_.asked_along  # templates/follow_up/_links.html

# The operator's console: read by templates/operator/_history.html (an audit line's names).
_.target_name
_.actor_name

# Certificates of attendance: columns the templates read (certificates/_document.html, verify.html)
# or the constraint uses (valid_slot), and who issued or revoked (kept for the record).
_.valid_slot
_.facilitator_name
_.issued_by_id
_.meetings_held
_.revoked_by_id
_.total_minutes
_.revoked
