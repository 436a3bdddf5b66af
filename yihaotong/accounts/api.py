from __future__ import annotations

from ninja import Router, Schema

router = Router()


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    roles: list[str]
    unit: str | None
    is_service: bool


@router.get("/me", response=MeOut, summary="Who am I")
def me(request):
    u = request.auth
    return {
        "id": u.pk,
        "username": u.username,
        "display_name": u.display_name,
        "roles": sorted(u.roles),
        "unit": u.unit.code if u.unit_id else None,
        "is_service": u.is_service,
    }
