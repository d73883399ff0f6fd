"""The console's figures: what staff and managers read about the assistant's
use, computed from the app database. More will come with the managers' page.
"""

from __future__ import annotations

from sqlalchemy import func, select

from actions.models import Rating
from database import session_scope


def ratings_summary() -> list[tuple[str, str | None, str, int, float]]:
    """(guide, procedure, channel, count, average) of the walkthrough ratings."""
    with session_scope() as session:
        rows = session.execute(
            select(Rating.guide, Rating.procedure_id, Rating.channel, func.count(), func.avg(Rating.score))
            .group_by(Rating.guide, Rating.procedure_id, Rating.channel)
            .order_by(Rating.guide, Rating.procedure_id, Rating.channel)
        ).all()
    return [(g, p, c, n, round(float(a), 2)) for g, p, c, n, a in rows]
