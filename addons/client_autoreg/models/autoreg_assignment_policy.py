# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Who gets a new request: the team's assignment policy.

The open-ticket owner comes first; otherwise the team's policy decides
(``helpdesk.ticket.team.autoreg_assignment_policy``): its dispatcher,
round-robin among available members, or the least busy one. Each choice
comes with a sentence saying why, kept on the request.
"""

from odoo import api, fields, models
from odoo.tools import LazyTranslate

_lt = LazyTranslate(__name__)


class AutoregAssignmentPolicy(models.AbstractModel):
    _name = "autoreg.assignment.policy"
    _description = "Request Assignment Policy"

    @api.model
    def _pick_assignee(self, team, ticket):
        """:return: ``(user, reason, to_dispatch)``; user may be empty."""
        owner_ticket = ticket._autoreg_other_open_ticket_with_owner()
        if owner_ticket and owner_ticket.user_id in self._available_members(team):
            return owner_ticket.user_id, _lt(
                "Open request %(number)s of this customer is owned by %(user)s.",
                number=owner_ticket.number, user=owner_ticket.user_id.name,
            ), False
        if team.autoreg_assignment_policy == "dispatcher":
            return self._to_dispatcher(team, _lt("Distributed by hand."))
        pick = getattr(self, f"_pick_{team.autoreg_assignment_policy}")
        user, reason = pick(team)
        if user:
            return user, reason, False
        return self._to_dispatcher(team, reason)

    @api.model
    def _available_members(self, team):
        """Members who can take a request now, in a stable order."""
        members = team.user_ids.filtered(
            lambda user: user.active and not user.autoreg_unavailable
        )
        if team.autoreg_respect_working_time:
            members = members._autoreg_at_work(fields.Datetime.now())
        return members.sorted("id")

    @api.model
    def _to_dispatcher(self, team, reason):
        dispatcher = team._autoreg_dispatcher()
        return dispatcher, _lt(
            "%(reason)s To dispatch by %(user)s.", reason=reason, user=dispatcher.name or "?"
        ), True

    @api.model
    def _pick_round_robin(self, team):
        members = self._available_members(team)
        if not members:
            return self.env["res.users"], _lt("No member of the team is available.")
        # Turns are numbered by a PostgreSQL sequence: concurrent intakes of
        # the team draw different numbers without waiting for each other, so
        # two requests arriving together go to different members. A turn
        # drawn by a transaction that is rolled back is skipped, and the
        # rotation restarts from the new list when members come and go: the
        # order is even over time, not strictly alternating.
        turn = self._next_turn(team)
        user = members[(turn - 1) % len(members)]
        return user, _lt("Round-robin turn of %(user)s.", user=user.name)

    @api.model
    def _next_turn(self, team):
        sequence = team.sudo().autoreg_rr_sequence_id  # sudo: a technical counter
        if not sequence:
            sequence = self.env["ir.sequence"].sudo().create(
                {
                    "name": f"Round-robin turns of team {team.id}",
                    "implementation": "standard",  # gaps allowed, no row lock
                    "company_id": False,
                }
            )
            team.sudo().autoreg_rr_sequence_id = sequence
        return int(sequence._next())

    @api.model
    def _pick_least_busy(self, team):
        members = self._available_members(team)
        open_counts = self.env["autoreg.assignee.load"]._counts(team, members)
        candidates = [
            (open_counts.get(user.id, 0), user.id, user)
            for user in members
            if not team.autoreg_max_open or open_counts.get(user.id, 0) < team.autoreg_max_open
        ]
        if not candidates:
            return self.env["res.users"], _lt("Every available member has reached the cap.")
        count, _user_id, user = min(candidates, key=lambda row: row[:2])
        return user, _lt("Least busy: %(user)s has %(count)s open requests.",
                         user=user.name, count=count)
