"""``GET /health``: whether this API server can serve requests."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from powertrack.api.deps import State
from powertrack.api.schemas.common import Health
from powertrack.store.errors import StoreUnavailableError
from powertrack.web.responses import OrjsonResponse

router = APIRouter(tags=["health"])

UNAVAILABLE = "The rule database does not answer"


@router.get(
    "/health",
    response_model=Health,
    summary="Check that the API can reach its database",
    responses={503: {"model": Health, "description": "The database does not answer."}},
)
async def health(state: State) -> Response:
    """200 while the rule database answers, 503 otherwise (for load balancers)."""
    try:
        await state.store.ping()
    except StoreUnavailableError:
        body = Health(status="unavailable", detail=UNAVAILABLE)
        return OrjsonResponse(body.model_dump(), status_code=503)
    return OrjsonResponse(Health(status="ok").model_dump(exclude_none=True))
