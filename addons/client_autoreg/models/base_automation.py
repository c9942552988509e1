# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Automation rules looked up once, not on every write.

base_automation patches ``create``, ``write`` and the recomputation of
stored fields of every model that has a rule, and each of those calls
searches the rules of the model again: about nine identical queries per
request registered by intake (issue #16). The rules of a model change only
through ``base.automation`` itself, which then calls ``_update_registry``:
the ids found are kept in the registry's cache until then.
"""

from odoo import api, models, tools


class BaseAutomation(models.Model):
    _inherit = "base.automation"

    def _get_actions(self, records, triggers):
        # Same contract as base_automation's: the rules of the triggers for
        # the records' model, in the caller's environment, with the context
        # key that keeps an action from running twice on a record.
        if "__action_done" not in self._context:
            self = self.with_context(__action_done={})
        return self.browse(self._autoreg_rule_ids(records._name, tuple(triggers)))

    @api.model
    @tools.ormcache("model_name", "triggers")
    def _autoreg_rule_ids(self, model_name, triggers):
        # sudo: which rules exist is not the caller's to filter (as in
        # base_automation's own lookup).
        rules = self.with_context(active_test=True).sudo().search(
            [("model_name", "=", model_name), ("trigger", "in", list(triggers))]
        )
        return tuple(rules.ids)

    def _update_registry(self):
        # A rule was created, deleted, or its model, trigger or activity
        # changed: forget the rules found (other workers reload the registry).
        self.env.registry.clear_cache()
        return super()._update_registry()
