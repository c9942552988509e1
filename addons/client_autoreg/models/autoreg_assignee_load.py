# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""How many open requests each member of a team has, kept up to date.

The least busy policy reads one row per member instead of counting the
team's open requests, so assigning costs the same with ten or a hundred
thousand open requests. Tickets adjust the counters when they are created,
moved, closed, archived or deleted (``helpdesk.ticket``); a recount from the
tickets themselves runs when a stage changes its "closed" flag and nightly,
to repair anything changed behind the ORM's back.
"""

import logging
from collections import Counter

from odoo import api, fields, models

_logger = logging.getLogger(__name__)


class AutoregAssigneeLoad(models.Model):
    _name = "autoreg.assignee.load"
    _description = "Open Requests per Team Member"
    _log_access = False

    team_id = fields.Many2one(
        comodel_name="helpdesk.ticket.team", required=True, readonly=True, ondelete="cascade"
    )
    user_id = fields.Many2one(
        comodel_name="res.users", required=True, readonly=True, ondelete="cascade"
    )
    open_count = fields.Integer(string="Open requests", readonly=True)

    _sql_constraints = [
        ("team_user_unique", "UNIQUE(team_id, user_id)", "One counter per team member."),
    ]

    @api.model
    def _add(self, deltas):
        """Apply ``{(team_id, user_id): delta}`` to the counters.

        Concurrent intakes that change one member's counter conflict on its
        row: under REPEATABLE READ the later one is retried and sees the
        count the earlier one left, so least busy never hands two requests
        to one member on a stale count.
        """
        for (team_id, user_id), delta in sorted(deltas.items()):
            if not delta:
                continue
            self.env.cr.execute(
                """
                INSERT INTO autoreg_assignee_load (team_id, user_id, open_count)
                VALUES (%s, %s, %s)
                ON CONFLICT (team_id, user_id)
                DO UPDATE SET open_count = autoreg_assignee_load.open_count + EXCLUDED.open_count
                """,
                (team_id, user_id, delta),
            )
        self.invalidate_model(["open_count"])

    @api.model
    def _counts(self, team, users):
        """:return: ``{user_id: open requests}`` of ``users`` in ``team``."""
        if not users:
            return {}
        self.env.cr.execute(
            "SELECT user_id, open_count FROM autoreg_assignee_load "
            "WHERE team_id = %s AND user_id IN %s",
            (team.id, tuple(users.ids)),
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _recount(self):
        """Rebuild every counter from the tickets."""
        self.env["helpdesk.ticket"].flush_model()
        self.env["helpdesk.ticket.stage"].flush_model(["closed"])
        self.env.cr.execute("DELETE FROM autoreg_assignee_load")
        self.env.cr.execute(
            """
            INSERT INTO autoreg_assignee_load (team_id, user_id, open_count)
            SELECT ticket.team_id, ticket.user_id, COUNT(*)
              FROM helpdesk_ticket ticket
              JOIN helpdesk_ticket_stage stage ON stage.id = ticket.stage_id
             WHERE ticket.active
               AND ticket.team_id IS NOT NULL
               AND ticket.user_id IS NOT NULL
               AND stage.closed IS NOT TRUE
          GROUP BY ticket.team_id, ticket.user_id
            """
        )
        _logger.info("Recounted open requests of %s team members", self.env.cr.rowcount)
        self.invalidate_model(["open_count"])
        return True

    @api.model
    def _deltas(self, before, after):
        """Counter changes between two lists of ticket keys (see
        ``helpdesk.ticket._autoreg_load_keys``)."""
        deltas = Counter(key for key in after if key)
        deltas.subtract(key for key in before if key)
        return deltas

