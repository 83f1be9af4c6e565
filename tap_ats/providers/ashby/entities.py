"""Ashby's interview feedback: ``applicationFeedback.list`` as the unified ``scorecards``.

What Ashby documents (its OpenAPI reference, developers.ashbyhq.com/reference/
applicationfeedbacklist and /applicationfeedbacksubmit, read in December 2026):

- ``POST /applicationFeedback.list``; its body is that of the paged lists (``limit``,
  ``cursor``, ``syncToken``, ``createdAfter``) and an optional ``applicationId``. It requires
  the ``candidatesRead`` permission.
- Each result is a submitted form: ``id``, ``formDefinition`` and ``submittedValues``
  (required), ``submittedByUser`` (a user as ``user.list`` has it) and ``applicationId``
  (required), and ``interviewId``, ``interviewEventId``, ``feedbackFormDefinitionId``,
  ``applicationHistoryId`` and ``submittedAt``. ``formDefinition.sections[].fields[].field``
  has ``id``, ``type``, ``path`` and ``title`` (a ValueSelect field also its
  ``selectableValues``, label and value); ``submittedValues`` maps a field's ``path`` to the
  value submitted for it.
- A ``Score`` field holds an integer from 1 to 4 (submitted as ``{score: n}``; the list's
  example shows one as a string); ``String``, ``LongText`` and ``RichText`` hold text (rich
  text submitted as ``{type: PlainText, value}``). The example's overall recommendation is a
  ValueSelect field, path ``overall_recommendation``, options Strong Hire, Hire, No Hire.

Our reading, where Ashby is silent (the sandbox behaves the same way):

- Without ``applicationId`` the list holds the organisation's feedback, so it is read as the
  other lists are: one pass with the stream's sync token, only what changed since on an
  incremental run (none when nothing did); never per application.
- The overall recommendation is the field whose path (or title) reads "overall
  recommendation" (a system prefix allowed). A ValueSelect answer (its value, else its label)
  maps Strong Hire/Strong Yes -> strong_yes, Hire/Yes -> yes, No Hire/No -> no, Strong No
  Hire/Strong No -> strong_no, No Decision -> no_decision, anything else -> other; a Score
  answer 4 -> strong_yes, 3 -> yes, 2 -> no, 1 -> strong_no (Ashby's four-point scale, best
  last). A form submitted with that field unanswered made no decision: no_decision; a form
  without such a field: null. ``overall_recommendation_raw`` is the answer as text (null when
  unanswered).
- ``ratings`` are the other answered Score fields, ``{name: title, rating: the score}``;
  ``notes`` the answered text fields, joined by blank lines, only with
  ``include_scorecard_notes`` (without it their answers are also left out of ``raw``).
- ``interview_id`` is ``interviewEventId``: the meeting the feedback is about (``interviewId``
  names the kind of interview, the same for every candidate). Ashby's feedback names no
  schedule, so it joins an ``interviews`` row through ``raw.interviewEvents[].id``, not its id.
- ``created_at`` and ``submitted_at`` are ``submittedAt``; Ashby gives no change time
  (``updated_at`` null), and names only the application: ``job_id`` and ``candidate_id`` stay
  null (join ``applications``), as for offers. Deleted feedback stops appearing; its row stays
  loaded, unmarked, as Ashby's deleted records do.
"""

from __future__ import annotations

import re
import typing as t

from tap_ats.conform import ts
from tap_ats.providers.ashby.client import AshbyStream, name_of

#: An overall recommendation's answer (snake-cased value or label) -> the unified word.
VERDICT = {"strong_hire": "strong_yes", "strong_yes": "strong_yes", "hire": "yes", "yes": "yes",
           "no_hire": "no", "no": "no", "strong_no_hire": "strong_no", "strong_no": "strong_no",
           "no_decision": "no_decision"}
#: An overall recommendation given as a Score (1 to 4) -> the unified word.
SCORE_VERDICT = {4: "strong_yes", 3: "yes", 2: "no", 1: "strong_no"}
#: The field types whose answers are free text: the scorecard's notes.
TEXT = {"String", "LongText", "RichText"}
OVERALL = "overall_recommendation"


def snake(value: t.Any) -> str:
    """A value or label as one lower-case word: ``Strong Hire`` -> ``strong_hire``."""
    return re.sub(r"[^0-9a-z]+", "_", str(value).casefold()).strip("_")


def form_fields(raw: dict) -> list[dict]:
    """The fields of the submission's form, every section's, in order."""
    sections = name_of(raw.get("formDefinition")).get("sections") or []
    return [f["field"] for s in sections if isinstance(s, dict)
            for f in s.get("fields") or [] if isinstance(f, dict) and isinstance(f.get("field"),
                                                                                dict)]


def score(value: t.Any) -> int | None:
    """A Score answer as its integer: ``4``, ``"4"`` or ``{"score": 4}``; else None."""
    value = value.get("score") if isinstance(value, dict) else value
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def text(value: t.Any) -> str | None:
    """A text answer: a string, or the ``value`` of a plain-text object; else None."""
    value = value.get("value") if isinstance(value, dict) else value
    return value if isinstance(value, str) and value.strip() else None


def verdict(field: dict, answer: t.Any) -> str:
    """The unified recommendation of the overall field's answer (see the module docstring)."""
    if field.get("type") == "Score":
        return SCORE_VERDICT.get(score(answer) or 0, "other")
    labels = {str(o.get("value")): o.get("label") for o in field.get("selectableValues") or []
              if isinstance(o, dict)}
    return VERDICT.get(snake(answer)) or VERDICT.get(snake(labels.get(str(answer)))) or "other"


class Scorecards(AshbyStream):
    """``applicationFeedback.list``: one row per submitted feedback form, by sync token."""

    name = "scorecards"
    path = "/applicationFeedback.list"

    def map_record(self, raw: dict) -> dict:
        """One submission: its overall recommendation, scores and (if asked for) notes."""
        values = raw.get("submittedValues")
        values = values if isinstance(values, dict) else {}
        fields = form_fields(raw)
        overall = next((f for f in fields if snake(f.get("path")).endswith(OVERALL)
                        or snake(f.get("title")) == OVERALL), None)
        answer = None if overall is None else values.get(overall.get("path"))
        if isinstance(answer, dict):
            answer = answer.get("score", answer.get("value"))
        said = None if overall is None or answer in (None, "") else str(answer)
        ratings = [{"name": f.get("title"), "rating": str(n)} for f in fields
                   if f is not overall and f.get("type") == "Score"
                   and (n := score(values.get(f.get("path")))) is not None]
        texts = [f.get("path") for f in fields if f.get("type") in TEXT]
        keep = self.tap.include_scorecard_notes
        notes = [s for path in texts if (s := text(values.get(path)))] if keep else []
        if not keep and values:  # opinions about a person: not in raw either
            raw["submittedValues"] = {k: v for k, v in values.items() if k not in texts}
        submitted = ts(raw.get("submittedAt"))
        return {
            "id": raw["id"], "remote_id": None, "created_at": submitted, "updated_at": None,
            "deleted_at": None, "application_id": raw.get("applicationId"),
            "candidate_id": None, "job_id": None, "interview_id": raw.get("interviewEventId"),
            "interviewer_id": name_of(raw.get("submittedByUser")).get("id"),
            "submitted_at": submitted,
            "overall_recommendation": None if overall is None
            else "no_decision" if said is None else verdict(overall, answer),
            "overall_recommendation_raw": said,
            "ratings": ratings, "notes": "\n\n".join(notes) or None,
        }
