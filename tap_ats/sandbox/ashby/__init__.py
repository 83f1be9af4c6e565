"""Ashby's public API (developers.ashbyhq.com) as the sandbox serves it, over the shared world.

- ``POST /ashby/<endpoint>`` (``/ashby`` stands for ``https://api.ashbyhq.com``), JSON body,
  ``Content-Type: application/json``; basic auth with the API key as user and an empty password.
- Paged lists (``application.list``, ``candidate.list``, ``job.list``,
  ``interviewSchedule.list``, ``offer.list``, ``user.list``, ``customField.list``,
  ``applicationFeedback.list``, which also takes ``applicationId``): ``limit``
  (1 to 100, default 100), ``cursor`` from the last page's ``nextCursor`` while
  ``moreDataAvailable`` is true, and ``syncToken``: the last page of a pass carries one, and a
  pass sent with it lists the records changed since the pass that issued it began. A token
  unused for ``TOKEN_TTL`` answers ``sync_token_expired``; the ``error_code`` fault can answer it
  at once. The pages of a pass must repeat its ``syncToken``.
- Un-paged lists: ``department.list``, ``location.list``, ``source.list``,
  ``archiveReason.list`` (answer ``{success, results}``), ``interviewStage.list
  {interviewPlanId}`` (each job has its own plan, its stages in order).
- ``application.listHistory {applicationId}``: paged by ``limit`` and ``cursor`` only (no
  ``syncToken``, as Ashby documents it): one event per stay of the application in a stage,
  from the world's visits (``id`` stable, ``stageNumber`` 0 first, ``leftStageAt`` null on the
  current stay); a deleted or unknown application answers ``application_not_found``.
- Errors: request errors (bad input, an expired token) are HTTP 200 with ``success: false``,
  ``errors`` and ``errorInfo {code, message}``; a wrong key is 401; injected faults use the same
  body (a 403 is ``missing_endpoint_permission``, the scoped-key refusal).
- ``applicationFeedback.list``: one submission per world scorecard, listed by its change time:
  the form (``formDefinition``: an "Overall Recommendation" ValueSelect, path
  ``overall_recommendation``, options Strong Hire, Hire, No Hire, Strong No Hire, unanswered for
  no decision; a Score field per rated attribute, 1 to 4, unanswered for a mixed rating; a
  RichText ``notes`` field) and ``submittedValues`` by field path; ``submittedByUser`` as
  ``user.list`` has it, ``interviewEventId`` the schedule's one event.
- Deletes leave no trace: a deleted application is gone from every list with its interview
  schedules, its offer (one per application, its state its latest version's), its feedback and
  its history.
"""

from tap_ats.sandbox.ashby.api import AshbyAPI

__all__ = ["AshbyAPI"]
