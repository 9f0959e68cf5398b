"""The Lernbericht as Markdown, for wikis and further editing.

Titles and names are escaped; what the person wrote in Markdown (notes, learnings, reflections)
stays their Markdown (alex.exports.text.own_markdown).
"""

from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _

from alex.exports.report import Report, ReportCard, VorhabenText
from alex.exports.text import escape_inline, own_markdown


def _field(label: str, text: str) -> list[str]:
    """A labelled block of user text, skipped when empty."""
    if not text.strip():
        return []
    return [f"**{label}**", "", own_markdown(text), ""]


def _vorhaben(text: VorhabenText) -> list[str]:
    return [
        *_field(_("What I want to learn or change"), text.what),
        *_field(_("Why it matters to me"), text.why),
        *_field(_("How I will notice that I got there"), text.success_signs),
        *_field(_("Support I need"), text.support_needed),
        *_field(_("First steps"), text.first_steps),
    ]


def _card(card: ReportCard) -> list[str]:
    lines = [f"#### {escape_inline(card.title)}", ""]
    if card.done_at:
        lines += [_("Done on %(date)s", date=format_date(card.done_at, "medium")), ""]
    lines += _field(_("Notes"), card.notes)
    if card.is_experiment:
        lines += _field(_("Hypothesis"), card.hypothesis)
        lines += _field(_("Result"), card.result)
    lines += _field(_("What I learned"), card.learning)
    return lines


def report_markdown(report: Report) -> str:
    """Render the whole report; headings follow the HTML version."""
    lines = [
        f"# {_('Lernbericht')}: {escape_inline(report.person_name)}",
        "",
        f"**{_('Expedition')}:** {escape_inline(report.expedition_title)}  ",
        f"**{_('Period')}:** {format_date(report.period_start, 'long')} – "
        f"{format_date(report.period_end, 'long')}  ",
    ]
    if report.zirkel_names:
        names = ", ".join(escape_inline(n) for n in report.zirkel_names)
        lines.append(f"**{_('Lernzirkel')}:** {names}  ")
    lines += [f"**{_('Created on')}:** {format_date(report.generated_on, 'long')}", ""]

    if report.shows("vorhaben") and report.vorhaben_now:
        lines += [f"## {_('My Vorhaben')}", ""]
        if report.vorhaben_history:
            lines += [f"### {_('At the start')}", "", *_vorhaben(report.vorhaben_start)]
            lines += [f"### {_('At the end')}", "", *_vorhaben(report.vorhaben_now)]
            lines += [f"### {_('How it changed')}", ""]
            for version in report.vorhaben_history:
                when = format_date(version.at, "medium") if version.at else ""
                reason = escape_inline(version.reason) or _("no reason given")
                lines.append(f"- {when}: {reason}")
            lines.append("")
        else:
            lines += _vorhaben(report.vorhaben_now)

    if report.shows("sprints"):
        lines += [f"## {_('Sprint by sprint')}", ""]
        for sprint in report.sprints:
            if sprint.is_empty:
                continue
            lines += [
                f"### {_('Sprint %(number)d', number=sprint.number)} "
                f"({format_date(sprint.start, 'medium')} – {format_date(sprint.end, 'medium')})",
                "",
            ]
            lines += _field(_("Focus"), sprint.focus)
            if sprint.done or sprint.learned:
                lines += [f"**{_('Cards done and learned')}**", ""]
                for card in sprint.done + sprint.learned:
                    lines += _card(card)
            if sprint.experiments:
                lines += [f"**{_('Experiments')}**", ""]
                for card in sprint.experiments:
                    lines += _card(card)
            if sprint.confidence:
                lines += [
                    f"**{_('Self-assessment')}:** "
                    + _("confidence %(value)d of 10", value=sprint.confidence),
                    "",
                ]
            if sprint.assessment.strip():
                lines += [own_markdown(sprint.assessment), ""]

    if report.shows("confidence") and report.confidence:
        lines += [
            f"## {_('Confidence trend')}",
            "",
            f"| {_('Sprint')} | {_('Confidence (1–10)')} |",
            "|---|---|",
        ]
        lines += [f"| {number} | {value} |" for number, value in report.confidence]
        lines.append("")

    if report.shows("checkins") and report.checkins:
        lines += [f"## {_('Logbuch highlights')}", ""]
        for entry in report.checkins:
            lines += [f"**{format_date(entry.created_at, 'long')}**", ""]
            lines += [own_markdown(entry.learned), ""]

    if report.shows("retro_actions") and report.retro_actions:
        lines += [f"## {_('Retro actions I owned')}", ""]
        for action in report.retro_actions:
            outcome = escape_inline(action.outcome) or _("open")
            lines.append(f"- {escape_inline(action.text)}: {outcome}")
        lines.append("")

    if report.shows("kudos") and report.kudos:
        lines += [f"## {_('Rückenwind received')}", ""]
        for kudos in report.kudos:
            lines.append(f"- {escape_inline(kudos.text)} ({escape_inline(kudos.author)})")
        lines.append("")

    if report.shows("reflection") and report.reflection:
        reflection = report.reflection
        lines += [f"## {_('Final reflection')}", ""]
        lines += _field(_("My Vorhaben now, compared with the start"), reflection.vorhaben_now)
        lines += _field(_("What I learned"), reflection.learned)
        lines += _field(_("What I will keep doing"), reflection.keep_doing)
        lines += _field(_("What I would tell the next Zirkel"), reflection.advice)
    return "\n".join(lines).rstrip() + "\n"
