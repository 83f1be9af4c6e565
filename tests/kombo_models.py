"""Kombo's own models (the ``kombo`` SDK, generated from Kombo's OpenAPI) as a judge of shapes.

The SDK validates every answer it is given, but pydantic ignores keys a model does not declare
and Kombo's open enums accept any string: :func:`stray` walks a raw answer against the same
models for those. :func:`declares` says whether a dotted path (``a[].b``) exists in a model,
for the README's table of where each column comes from. Test-only: the tap never imports
``kombo``.
"""

from __future__ import annotations

import typing as t

import pydantic
from kombo import models
from kombo.types import Nullable, OptionalNullable, UnrecognizedStr
from kombo.types.basemodel import Unset

#: Every list endpoint the tap reads: the SDK's method, its request and its answer model.
ENDPOINTS: dict[str, tuple[str, type[pydantic.BaseModel], type[pydantic.BaseModel]]] = {
    "applications": ("get_applications", models.GetAtsApplicationsRequest,
                     models.GetAtsApplicationsPositiveResponse),
    "candidates": ("get_candidates", models.GetAtsCandidatesRequest,
                   models.GetAtsCandidatesPositiveResponse),
    "jobs": ("get_jobs", models.GetAtsJobsRequest, models.GetAtsJobsPositiveResponse),
    "interviews": ("get_interviews", models.GetAtsInterviewsRequest,
                   models.GetAtsInterviewsPositiveResponse),
    "users": ("get_users", models.GetAtsUsersRequest, models.GetAtsUsersPositiveResponse),
    "offers": ("get_offers", models.GetAtsOffersRequest, models.GetAtsOffersPositiveResponse),
    "rejection-reasons": ("get_rejection_reasons", models.GetAtsRejectionReasonsRequest,
                          models.GetAtsRejectionReasonsPositiveResponse),
    "scorecards": ("get_ats_scorecards", models.GetAtsScorecardsRequest,
                   models.GetAtsScorecardsPositiveResponse),
}
_SKIPPED = (type(None), Unset, UnrecognizedStr)


def is_model(annotation: t.Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel)


def fields(model: type[pydantic.BaseModel]) -> dict[str, t.Any]:
    """The model's keys on the wire (aliases where it has them) and their annotations."""
    return {f.alias or name: f.annotation for name, f in model.model_fields.items()}


def record_model(endpoint: str) -> type[pydantic.BaseModel]:
    """The model of one record of ``endpoint`` (inside ``data.results``)."""
    data = fields(ENDPOINTS[endpoint][2])["data"]
    return t.get_args(fields(data)["results"])[0]


def _inner(annotation: t.Any) -> t.Any:
    """``annotation`` without Kombo's Nullable/OptionalNullable, Annotated or a plain alias."""
    while True:
        origin = t.get_origin(annotation)
        if origin in (Nullable, OptionalNullable, t.Annotated):
            annotation = t.get_args(annotation)[0]
        elif origin is None and hasattr(annotation, "__value__"):  # a TypeAliasType
            annotation = annotation.__value__
        else:
            return annotation


def stray(value: t.Any, annotation: t.Any, path: str = "") -> t.Iterator[str]:
    """Each place in ``value`` that the model does not declare: a key, or an enum value."""
    annotation = _inner(annotation)
    origin, args = t.get_origin(annotation), t.get_args(annotation)
    if value is None or annotation is t.Any:
        return
    if origin is t.Literal:
        if value not in args:
            yield f"{path}: {value!r} is not one of {list(args)}"
    elif origin is t.Union:
        members = [_inner(a) for a in args if a not in _SKIPPED]
        enums = [v for a in members if t.get_origin(a) is t.Literal for v in t.get_args(a)]
        if enums and isinstance(value, str):
            yield from stray(value, t.Literal[tuple(enums)], path)
        for member in members:
            try:
                pydantic.TypeAdapter(member).validate_python(value)
            except pydantic.ValidationError:
                continue
            yield from stray(value, member, path)
            return
    elif origin is list and isinstance(value, list):
        for item in value:
            yield from stray(item, args[0], f"{path}[]")
    elif is_model(annotation) and isinstance(value, dict):
        declared = fields(annotation)
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key not in declared:
                yield f"{where}: a key Kombo's {annotation.__name__} lacks"
            else:
                yield from stray(item, declared[key], where)


def declares(annotation: t.Any, path: str) -> bool:
    """Whether the dotted ``path`` (``users[].id``, ``application.job.id``) is in the model.

    Through a union of models (a scorecard's responses), a path is there if one member has it.
    """
    name, _, rest = path.partition(".")
    annotation = _inner(annotation)
    if t.get_origin(annotation) is t.Union:
        return any(declares(a, path) for a in t.get_args(annotation) if a not in _SKIPPED)
    field = name.removesuffix("[]")
    if not is_model(annotation) or field not in fields(annotation):
        return False
    found = _inner(fields(annotation)[field])
    if name.endswith("[]"):
        if t.get_origin(found) is not list:
            return False
        found = t.get_args(found)[0]
    return declares(found, rest) if rest else True
