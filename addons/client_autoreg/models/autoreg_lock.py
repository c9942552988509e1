# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
import logging

from odoo import api, fields, models

_logger = logging.getLogger(__name__)


class AutoregLock(models.Model):
    """Named locks that serialize intake transactions working on one identity.

    Odoo runs every transaction in REPEATABLE READ: a transaction that waits
    for another one to commit a new contact still cannot see that contact
    afterwards, and would create it a second time.  Upserting the row of a
    key makes PostgreSQL detect that case itself: the waiting transaction
    gets a serialization failure, which Odoo's request, RPC and cron layers
    already answer by retrying the whole transaction with a fresh snapshot.
    """

    _name = "autoreg.lock"
    _description = "Intake Lock"
    _log_access = False

    key = fields.Char(required=True, readonly=True)
    touched = fields.Datetime(required=True, readonly=True)

    _sql_constraints = [
        ("key_unique", "UNIQUE(key)", "An intake lock key is unique."),
    ]

    @api.model
    def _acquire(self, *names):
        """Hold the locks ``names`` until the end of the current transaction."""
        for key in sorted({self._key_of(name) for name in names if name}):
            self.env.cr.execute(
                """
                INSERT INTO autoreg_lock (key, touched)
                VALUES (%s, NOW() AT TIME ZONE 'UTC')
                ON CONFLICT (key) DO UPDATE SET touched = EXCLUDED.touched
                """,
                (key,),
            )

    @staticmethod
    def _key_of(name):
        # Keys carry addresses and phone numbers: keep only a digest.
        return hashlib.sha256(name.encode()).hexdigest()[:32]

    @api.model
    def _gc_locks(self, days=1):
        self.env.cr.execute(
            "DELETE FROM autoreg_lock WHERE touched < "
            "(NOW() AT TIME ZONE 'UTC') - make_interval(days => %s)",
            (days,),
        )
        _logger.info("Removed %s stale intake locks", self.env.cr.rowcount)
