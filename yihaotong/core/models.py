"""Model helpers shared by the apps."""

from __future__ import annotations

import copy

from django.db import models


class SavesChangedFields(models.Model):
    """Save only the columns that changed since the row was loaded (or last saved).

    The actions load a row under a lock, change a few fields and save it; writing back all fifty columns
    of a work order cost more in SQL compilation than the rest of the action. ``save()`` without
    ``update_fields`` on a loaded row writes the changed fields (plus ``auto_now`` ones); an unchanged row
    writes nothing. Inserts, explicit ``update_fields`` and ``force_insert``/``force_update`` behave as in
    Django. The snapshot is taken in ``from_db``, after ``save`` and after ``refresh_from_db``.
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        adding = self._state.adding
        explicit = kwargs.get("update_fields")
        if (
            not adding
            and not args
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
            and getattr(self, "_saved_state", None) is not None
        ):
            changed = self.changed_fields()
            if not changed:
                return
            auto = [f.name for f in self._meta.concrete_fields if getattr(f, "auto_now", False)]
            kwargs["update_fields"] = sorted(set(changed) | set(auto))
        super().save(*args, **kwargs)
        if explicit is not None and getattr(self, "_saved_state", None) is not None:
            # Only the fields written are in step with the row now; the others keep their snapshot.
            by_name = {f.name: f.attname for f in self._snapshot_fields()}
            for name in explicit:
                attname = by_name.get(name, name)
                value = getattr(self, attname)
                self._saved_state[attname] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value
        else:
            self._take_snapshot()

    @classmethod
    def from_db(cls, db, field_names, values):
        obj = super().from_db(db, field_names, values)
        obj._take_snapshot()
        return obj

    def changed_fields(self) -> list[str]:
        """Return the names of the fields that differ from the snapshot (all of them without one)."""
        state = getattr(self, "_saved_state", None)
        fields = self._snapshot_fields()
        if state is None:
            return [f.name for f in fields]
        missing = object()
        return [f.name for f in fields if state.get(f.attname, missing) != getattr(self, f.attname)]

    def _snapshot_fields(self):
        deferred = self.get_deferred_fields()
        return [f for f in self._meta.concrete_fields if f.attname not in deferred and not f.primary_key]

    def _take_snapshot(self) -> None:
        state = {}
        for f in self._snapshot_fields():
            value = getattr(self, f.attname)
            state[f.attname] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value
        self._saved_state = state

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._take_snapshot()
