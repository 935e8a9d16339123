"""What changed between the stored roster and an imported one, for the audit of leavers."""

from __future__ import annotations

from collections.abc import Sequence

from state.models import Person
from state.store import RosterChange


def diff_roster(old: Sequence[Person], new: Sequence[Person], *, removing: bool) -> RosterChange:
    """Compare by `channel:user_id`. With `removing`, people missing from `new` have left."""
    before = {str(person.ref): person for person in old}
    after = {str(person.ref): person for person in new}
    added = sorted(key for key in after if key not in before)
    updated = sorted(key for key, person in after.items() if key in before and before[key] != person)
    removed = sorted(key for key in before if key not in after) if removing else []
    return RosterChange(tuple(added), tuple(updated), tuple(removed))
