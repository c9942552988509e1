# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What installing the module does to data that existed before it."""


def post_init_hook(env):
    # Teams created before the module assign and notify like new ones.
    env["helpdesk.ticket.team"]._autoreg_set_default_registered_action()
    # Least busy reads per-member counters: count the existing requests.
    env["autoreg.assignee.load"]._recount()
