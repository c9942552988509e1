# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Trust across channels: the role matrix.

Each role signs in and goes through the module the way the web client does:

* for every window action of the module (and the helpdesk ticket, team and
  settings actions the module extends): ``get_views`` for the action's views,
  then ``web_search_read`` with each list (or kanban) view's fields and
  ``web_read`` with the form view's field specification on a real record
  (``onchange`` and ``web_save`` for the settings form);
* every button of type ``object`` of those views (form, list rows and list
  header, kanban cards, and the lists embedded in a form) is pressed as that
  user, the way ``/web/dataset/call_button`` calls it, inside a savepoint that
  is rolled back.

Expectations, per role and model (``MAY_READ``, which follows
``security/ir.model.access.csv`` and helpdesk_mgmt's rights):

* a role that may read a model opens all its views without any error (a
  portal user, who has no backend, may be refused them with an AccessError);
* a role that may not read it gets an ``AccessError``, from every channel
  (views, reads and buttons alike), never data and never another exception;
* a button the view shows to the role (its ``groups`` and those of the nodes
  around it, as ``get_views`` applies them; ``invisible`` is ignored) either
  works or raises a clear ``AccessError`` or ``UserError``, never anything else
  (``TypeError``, ``KeyError``, ``MissingError``, a library's error...);
* a button the view hides from the role by ``groups`` refuses it with an
  ``AccessError``: hiding a button is no permission check, the server must make
  one.
* a menu a role sees leads to a model the role may read.
"""

import ast
import csv
import logging
import traceback
from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.api import call_kw
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import file_open
from odoo.tools.safe_eval import safe_eval

_logger = logging.getLogger(__name__)

# The roles, with the groups they are given (implied groups follow).
ROLES = {
    "portal": "base.group_portal",
    "helpdesk_user": "helpdesk_mgmt.group_helpdesk_user",
    "helpdesk_manager": "helpdesk_mgmt.group_helpdesk_manager",
    "intake_user": "client_autoreg.group_autoreg_user,helpdesk_mgmt.group_helpdesk_user",
    "intake_manager": "client_autoreg.group_autoreg_manager,helpdesk_mgmt.group_helpdesk_user",
    "admin": "base.group_system",
}
INTAKE = frozenset({"intake_user", "intake_manager"})
EVERYONE = frozenset(ROLES)
# Roles of the backend. A portal user has no web client: the backend views of
# a model it may read (its own requests) may refuse it, with an AccessError.
BACKEND = EVERYONE - {"portal"}

# Who may read which model (and so open its views); everyone else must get an
# AccessError. autoreg.*: security/ir.model.access.csv (checked against it by
# test_read_table_follows_access_csv). helpdesk.ticket and its teams:
# helpdesk_mgmt gives read to employees and portal users (record rules then
# choose which records). Settings: base.group_system only.
MAY_READ = {
    "autoreg.inbound": INTAKE,
    "autoreg.sender.rule": INTAKE,
    "autoreg.telegram.bot": INTAKE,
    "autoreg.telegram.chat": INTAKE,
    "autoreg.telegram.message": INTAKE,
    "autoreg.web.service": INTAKE,
    "autoreg.booking": INTAKE,
    "autoreg.consent": INTAKE,
    "autoreg.duplicate": frozenset({"intake_manager"}),
    "autoreg.intake.figure": INTAKE,
    "autoreg.retention.log": frozenset({"intake_manager"}),
    "autoreg.erasure": frozenset({"intake_manager"}),
    "autoreg.erasure.log": frozenset({"intake_manager"}),
    "autoreg.consent.notice": INTAKE,
    "helpdesk.ticket": EVERYONE,
    "helpdesk.ticket.team": EVERYONE,
    "res.config.settings": frozenset({"admin"}),
}

# Actions opened besides the module's own window actions: the models the
# module extends, reached from helpdesk_mgmt's menus.
EXTRA_ACTIONS = [
    "helpdesk_mgmt.helpdesk_ticket_action",
    "helpdesk_mgmt.helpdesk_ticket_team_action",
    "helpdesk_mgmt.action_helpdesk_mgmt_config_settings",
]
# View types whose records the web client reads with a field specification.
DATA_VIEW_TYPES = ("list", "kanban", "form")
# The settings form holds every application's settings: only the buttons of
# the helpdesk application (where the module's block is) are pressed.
BUTTON_SCOPE = {"res.config.settings": "//app[@name='helpdesk_mgmt']"}
# Buttons of the control panel, not in the arch: the settings' Save.
PANEL_BUTTONS = {("res.config.settings", "form"): ["execute"]}

# The record (an attribute of the test class) each button is pressed on: a
# record in the state the button is meant for, else the model's record.
RECORD_OF_MODEL = {
    "autoreg.inbound": "inbound_done",
    "autoreg.sender.rule": "sender_rule",
    "autoreg.telegram.bot": "bot",
    "autoreg.telegram.chat": "chat",
    "autoreg.telegram.message": "telegram_message",
    "autoreg.web.service": "web_service",
    "autoreg.booking": "booking",
    "autoreg.consent": "consent",
    "autoreg.duplicate": "duplicate",
    "autoreg.intake.figure": "figure",
    "autoreg.erasure": "erasure",
    "autoreg.consent.notice": "notice",
    "helpdesk.ticket": "ticket",
    "helpdesk.ticket.team": "team",
}
RECORD_OF_BUTTON = {
    ("autoreg.inbound", "action_retry"): "inbound_error",
    ("autoreg.inbound", "action_approve_sender"): "inbound_review",
    ("autoreg.inbound", "action_approve_domain"): "inbound_review",
    ("autoreg.inbound", "action_reject_spam"): "inbound_review",
}

# Outcomes of a call
OK, ACCESS, USER, UNEXPECTED = "ok", "AccessError", "UserError", "unexpected"


def _describe(error):
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    frame = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    where = f" (raised at {frame[0].filename}:{frame[0].lineno})" if frame else ""
    return text[:600] + where


def _elements(node):
    return [child for child in node if isinstance(child.tag, str)]


def _field_nodes(node):
    """The <field> nodes of a view, not those of the views they embed."""
    for child in _elements(node):
        if child.tag == "field":
            yield child
        else:
            yield from _field_nodes(child)


@tagged("post_install", "-at_install")
class TestRoleMatrix(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, mail_notrack=True))
        env = cls.env
        cls.company = env.company
        cls.company.country_id = env.ref("base.in")
        # Webhooks need HTTPS: with it, "Set webhook" goes as far as the Bot API.
        env["ir.config_parameter"].set_param("web.base.url", "https://intake.example.test")
        cls.users = {
            role: new_test_user(env, login=f"roles-{role}", name=f"Role {role}", groups=groups)
            for role, groups in ROLES.items()
        }
        staff = env["res.users"].union(
            *(user for role, user in cls.users.items() if role != "portal")
        )
        cls.team = env["helpdesk.ticket.team"].create(
            {
                "name": "Role matrix team",
                "company_id": cls.company.id,
                "user_ids": [(6, 0, staff.ids)],
                "show_in_portal": True,
            }
        )
        cls.channel = env["helpdesk.ticket.channel"].create(
            {
                "name": "Role matrix web",
                "company_id": cls.company.id,
                "autoreg_team_id": cls.team.id,
            }
        )
        cls.inbound_done = cls._inbound(
            "roles-done", sender_name="Asha Rao", sender_email="asha.roles@example.in",
            subject="Printer jammed", body="<p>The printer is jammed.</p>",
        )
        cls.inbound_review = cls._inbound(
            "roles-review", sender_name="Ravi", sender_email="ravi.roles@example.in",
            sender_unverified=True, subject="Unverified", body="<p>Who am I?</p>",
        )
        cls.inbound_error = cls._inbound("roles-error", sender_name="?", subject="Nobody")
        cls.ticket = cls.inbound_done.ticket_id
        # Every role may see this request: the portal user and the plain
        # employees through the followers, the helpdesk users through the team.
        cls.ticket.message_subscribe(partner_ids=[u.partner_id.id for u in cls.users.values()])
        cls.bot = env["autoreg.telegram.bot"].create(
            {
                "name": "Role matrix bot",
                "token": "123456789:AAF-fake-token-of-the-role-matrix",
                "api_url": "http://127.0.0.1:9",  # nothing listens there
                "mode": "polling",
                "team_id": cls.team.id,
            }
        )
        cls.chat = env["autoreg.telegram.chat"].create(
            {
                "bot_id": cls.bot.id,
                "chat_id": "5550042",
                "telegram_user_id": "5550042",
                "name": "Asha Rao",
                "phone": "+919812345678",
                "partner_id": cls.inbound_done.partner_id.id,
                "state": "linked",
            }
        )
        cls.telegram_message = env["autoreg.telegram.message"].create(
            {
                "chat_id": cls.chat.id,
                "text": "We are on it.",
                "ticket_id": cls.ticket.id,
                "state": "failed",
                "error_message": "NetworkError: unreachable",
                "attempt_count": 8,
            }
        )
        twins = env["res.partner"].create(
            [
                {"name": "Kavya Menon", "email": "kavya.roles@example.in"},
                {"name": "Kavya M.", "email": "kavya.roles@example.in"},
            ]
        )
        cls.duplicate = env["autoreg.duplicate"].create(
            {
                "partner_id": twins[0].id,
                "duplicate_id": twins[1].id,
                "duplicate_name": twins[1].name,
                "reason": "email_normalized",
                "key_value": "kavya.roles@example.in",
                "name_similarity": 80,
            }
        )
        cls.consent = env["autoreg.consent"].create(
            {
                "partner_id": cls.inbound_done.partner_id.id,
                "email": "asha.roles@example.in",
                "mailing_list_id": env["mailing.list"].create({"name": "Role matrix news"}).id,
                "channel_id": cls.channel.id,
                "inbound_id": cls.inbound_done.id,
                "consent_text": "Send me news.",
            }
        )
        cls.sender_rule = env["autoreg.sender.rule"].create(
            {"kind": "domain", "value": "roles.example.in", "action": "block"}
        )
        cls.web_service = env["autoreg.web.service"].create(
            {"name": "Role matrix repair", "kind": "appointment", "duration": 1.5}
        )
        soon = fields.Datetime.now().replace(microsecond=0) + timedelta(days=2)
        cls.booking = env["autoreg.booking"].create({
            "service_id": cls.web_service.id, "user_id": env.ref("base.user_admin").id,
            "partner_id": cls.inbound_done.partner_id.id, "start": soon,
            "stop": soon + timedelta(hours=1), "blocked_until": soon + timedelta(hours=1),
        })
        cls.erasure = env["autoreg.erasure"]._open_for(cls.duplicate.duplicate_id)
        cls.notice = env["autoreg.consent.notice"].create({"text": "News once a month."})
        env.flush_all()
        cls.figure = env["autoreg.intake.figure"].search(
            [("door", "=", "website"), ("company_id", "=", cls.company.id)],
            order="day desc", limit=1,
        )

    @classmethod
    def _inbound(cls, key, **values):
        inbound, _created = cls.env["autoreg.inbound"]._store(
            "website", key, dict(values, channel_id=cls.channel.id, payload="{}")
        )
        inbound._process()
        return inbound

    # ------------------------------------------------------------------
    # The table itself
    # ------------------------------------------------------------------

    def test_fixtures_are_as_intended(self):
        self.assertEqual(self.inbound_done.state, "done", self.inbound_done.error_message)
        self.assertTrue(self.ticket)
        self.assertEqual(self.inbound_review.state, "review", self.inbound_review.error_message)
        self.assertEqual(self.inbound_error.state, "error")
        self.assertTrue(self.figure, "no intake figure of the website door")

    def test_read_table_follows_access_csv(self):
        """MAY_READ, for the module's models, is what the access file grants."""
        granted = {}
        with file_open("client_autoreg/security/ir.model.access.csv") as access_file:
            for row in csv.DictReader(access_file):
                if row["perm_read"] != "1":
                    continue
                model = self.env.ref(self._qualified(row["model_id:id"])).model
                group_xmlid = row["group_id:id"]
                group = group_xmlid and self.env.ref(self._qualified(group_xmlid))
                granted.setdefault(model, set()).update(
                    role for role, user in self.users.items()
                    if not group or group in user.groups_id
                )
        for model, roles in MAY_READ.items():
            if model.startswith("autoreg."):
                with self.subTest(model=model):
                    self.assertEqual(set(roles), granted.get(model, set()))

    def test_table_covers_every_model_with_a_view(self):
        models = set(
            self.env["ir.ui.view"]
            .search([("model", "=like", "autoreg.%"), ("type", "in", DATA_VIEW_TYPES)])
            .mapped("model")
        )
        self.assertFalse(models - set(MAY_READ), "models with views missing from MAY_READ")
        opened = {action.res_model for _xmlid, action in self._actions()}
        self.assertFalse(set(MAY_READ) - opened, "models of MAY_READ no action opens")

    @staticmethod
    def _qualified(xmlid):
        return xmlid if "." in xmlid else f"client_autoreg.{xmlid}"

    # ------------------------------------------------------------------
    # One test per role
    # ------------------------------------------------------------------

    def test_portal_user(self):
        self._check_role("portal")

    def test_helpdesk_user(self):
        self._check_role("helpdesk_user")

    def test_helpdesk_manager(self):
        self._check_role("helpdesk_manager")

    def test_intake_user(self):
        self._check_role("intake_user")

    def test_intake_manager(self):
        self._check_role("intake_manager")

    def test_administrator(self):
        self._check_role("admin")

    def _check_role(self, role):
        user = self.users[role]
        actions = self._actions()
        self._check_menus(role, user, dict(actions))
        pressed = set()
        for xmlid, action in actions:
            model = action.res_model
            allowed = role in MAY_READ[model]
            context = self._action_context(user, action)
            views = [
                [view_id, view_type] for view_id, view_type in action.views
            ] + [[action.search_view_id.id or False, "search"]]
            with self.subTest(model=model, view=f"{xmlid}: get_views"):
                outcome, loaded = self._attempt(
                    self._get_views, user, model, action, views, context
                )
                self._expect_read(role, model, outcome, loaded)
            if allowed and outcome != OK:
                continue  # reported: nothing else to open
            for view_id, view_type in action.views:
                if view_type not in DATA_VIEW_TYPES:
                    continue
                full = self._full_arch(model, view_id, view_type, context)
                # The web client stops at get_views; RPC does not: a role
                # that may not read the model is refused the reads as well.
                shown = etree.fromstring(loaded["views"][view_type]["arch"]) if allowed else None
                data_arch = full if shown is None else shown
                self._check_data(role, user, xmlid, action, view_type, data_arch, context)
                key = (model, view_id, view_type)
                if key in pressed:
                    continue
                pressed.add(key)
                self._check_buttons(role, user, model, view_type, full, shown, context, xmlid)

    def _env_of(self, user, context):
        """The environment of a request of ``user`` (no context of the test's)."""
        return self.env(user=user, su=False, context=context)

    def _get_views(self, user, model, action, views, context):
        return self._env_of(user, context)[model].get_views(
            views, {"action_id": action.id, "load_filters": True, "toolbar": True}
        )

    # ------------------------------------------------------------------
    # Menus
    # ------------------------------------------------------------------

    def _check_menus(self, role, user, actions_by_xmlid):
        action_ids = {action.id: xmlid for xmlid, action in actions_by_xmlid.items()}
        try:
            visible = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
        except AccessError:
            visible = set()  # no backend menu at all (portal)
        menus = self.env["ir.ui.menu"].with_context(**{"ir.ui.menu.full_list": True}).search(
            [("action", "!=", False)]
        )
        for menu in menus:
            action = menu.action
            if action._name != "ir.actions.act_window" or action.id not in action_ids:
                continue
            path_ids = [int(menu_id) for menu_id in menu.parent_path.split("/") if menu_id]
            if not all(menu_id in visible for menu_id in path_ids):
                continue
            with self.subTest(model=action.res_model, view=f"menu {menu.complete_name}"):
                self.assertIn(
                    role, MAY_READ[action.res_model],
                    f"the menu {menu.complete_name!r} is shown to {role}, who may not read "
                    f"{action.res_model}",
                )

    # ------------------------------------------------------------------
    # Views and reads
    # ------------------------------------------------------------------

    def _actions(self):
        module_actions = self.env["ir.model.data"].search(
            [("module", "=", "client_autoreg"), ("model", "=", "ir.actions.act_window")],
            order="id",
        )
        xmlids = [f"client_autoreg.{data.name}" for data in module_actions] + EXTRA_ACTIONS
        return [(xmlid, self.env.ref(xmlid)) for xmlid in xmlids]

    def _action_context(self, user, action):
        context = {
            "lang": "en_US",
            "tz": "UTC",
            "uid": user.id,
            "allowed_company_ids": [self.company.id],
        }
        try:
            action_context = safe_eval(action.context or "{}", {"uid": user.id, "active_id": False})
        except Exception:  # noqa: BLE001 - a context needing the client's values
            action_context = {}
        return dict(context, **action_context)

    def _action_domain(self, user, action):
        return safe_eval(action.domain or "[]", {"uid": user.id})

    def _full_arch(self, model, view_id, view_type, context):
        """The view as the server builds it for all groups (``get_views``
        then removes what a user's groups may not see)."""
        arch = self.env(context=context)[model]._get_view_cache(view_id, view_type)["arch"]
        return etree.fromstring(arch)

    def _spec(self, model, node, view_type):
        """The field specification the web client sends for a view."""
        Model = self.env[model]
        spec = {}
        for field_node in _field_nodes(node):
            field = Model._fields.get(field_node.get("name"))
            if field is None:
                continue
            spec[field.name] = self._field_spec(field, field_node)
        if view_type == "form":
            spec["display_name"] = {}
        return spec

    def _field_spec(self, field, node):
        if field.type in ("many2one", "reference"):
            return {"fields": {"display_name": {}}}
        if field.type not in ("one2many", "many2many"):
            return {}
        subview = next((sub for sub in _elements(node) if sub.tag in ("list", "kanban")), None)
        if subview is not None:
            return {
                "fields": self._spec(field.comodel_name, subview, subview.tag),
                "limit": 40,
            }
        if node.get("widget") == "many2many_binary":
            return {"fields": {"name": {}, "mimetype": {}}}
        return {"fields": {"display_name": {}}}

    def _check_data(self, role, user, xmlid, action, view_type, arch, context):
        model = action.res_model
        Model = self._env_of(user, context)[model]
        spec = self._spec(model, arch, view_type)
        label = f"{xmlid}: {view_type}"
        if view_type in ("list", "kanban"):
            with self.subTest(model=model, view=f"{label} web_search_read"):
                outcome, result = self._attempt(
                    lambda: Model.web_search_read(
                        self._action_domain(user, action), spec, limit=80
                    )
                )
                self._expect_read(role, model, outcome, result)
        elif model == "res.config.settings":
            with self.subTest(model=model, view=f"{label} onchange"):
                outcome, result = self._attempt(lambda: Model.onchange({}, [], spec))
                self._expect_read(role, model, outcome, result)
            with self.subTest(model=model, view=f"{label} web_save"):
                outcome, result = self._attempt(lambda: Model.web_save({}, spec))
                self._expect_read(role, model, outcome, result)
        else:
            record = getattr(self, RECORD_OF_MODEL[model])
            with self.subTest(model=model, view=f"{label} web_read"):
                outcome, result = self._attempt(lambda: Model.browse(record.ids).web_read(spec))
                self._expect_read(role, model, outcome, result)
                if outcome == OK:
                    self.assertEqual([values["id"] for values in result], record.ids)

    def _expect_read(self, role, model, outcome, result):
        _logger.debug("role matrix: %s reads %s: %s", role, model, outcome)
        if role in MAY_READ[model]:
            if outcome != OK and not (outcome == ACCESS and role not in BACKEND):
                self.fail(f"{role} may read {model} but got {result}")
        elif outcome != ACCESS:
            self.fail(
                f"{role} may not read {model}: expected an AccessError, got "
                + ("data" if outcome == OK else result)
            )

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    def _buttons(self, model, node, groups=(), list_header=False):
        """The object buttons of a view, with the model they act on, the
        ``groups`` of them and of the nodes around them, and whether they
        are list header buttons (called on the selection, here none)."""
        for child in _elements(node):
            child_groups = groups + self._groups_of(child)
            if child.tag in ("button", "a") and child.get("type") == "object":
                yield {
                    "model": model,
                    "name": child.get("name"),
                    "context": child.get("context") or "",
                    "groups": child_groups,
                    "header": list_header,
                }
                continue
            if child.tag == "field":
                field = self.env[model]._fields.get(child.get("name"))
                if field is not None and field.type in ("one2many", "many2many"):
                    yield from self._buttons(field.comodel_name, child, child_groups)
                continue
            yield from self._buttons(
                model, child, child_groups,
                list_header=child.tag == "header" and node.tag == "list",
            )

    def _groups_of(self, node):
        """The groups a node of a postprocessed view is restricted to."""
        if node.get("groups"):
            return (node.get("groups"),)
        if node.get("__groups_key__"):
            definitions = self.env["res.groups"]._get_group_definitions()
            return (str(definitions.from_key(node.get("__groups_key__"))),)
        return ()

    @staticmethod
    def _button_key(button):
        return (button["model"], button["name"], button["context"])

    def _scoped(self, model, arch):
        scope = BUTTON_SCOPE.get(model)
        return arch.xpath(scope) if scope else [arch]

    def _check_buttons(self, role, user, model, view_type, full, shown, context, xmlid):
        panel = [
            {"model": model, "name": name, "context": "", "groups": (), "header": False}
            for name in PANEL_BUTTONS.get((model, view_type), [])
        ]
        shown_keys = set()
        if shown is not None:
            shown_keys.update(self._button_key(button) for button in panel)
            for node in self._scoped(model, shown):
                shown_keys.update(map(self._button_key, self._buttons(model, node)))
        buttons = [
            button for node in self._scoped(model, full) for button in self._buttons(model, node)
        ] + panel
        seen = set()
        for button in buttons:
            key = self._button_key(button)
            if key in seen:
                continue
            seen.add(key)
            label = button["name"] + (f" {button['context']}" if button["context"] else "")
            if button["model"] != model:
                label = f"{button['model']}.{label} (embedded)"
            with self.subTest(model=model, view=f"{xmlid}: {view_type}", button=label):
                self._check_button(role, user, button, key in shown_keys, context)

    def _check_button(self, role, user, button, shown, context):
        model, name = button["model"], button["name"]
        allowed = shown and role in MAY_READ.get(model, EVERYONE)
        outcome, result = self._attempt(lambda: self._press(user, button, context))
        where = f"{model}.{name}"
        _logger.debug(
            "role matrix: %s presses %s (%s): %s %s",
            role, where, "shown" if shown else "hidden", outcome, "" if outcome == OK else result,
        )
        groups = " > ".join(button["groups"]) or "none"
        if allowed:
            if outcome == UNEXPECTED:
                self.fail(
                    f"{where}, shown to {role}, must work or raise AccessError/UserError; "
                    f"it raised {result}"
                )
            return
        why = "hidden from" if role in MAY_READ.get(model, EVERYONE) else "on a model unreadable by"
        if outcome != ACCESS:
            self.fail(
                f"{where} (view groups: {groups}) is {why} {role}: it must raise "
                "AccessError, but "
                + (f"the server ran it (returned {result!r})" if outcome == OK
                   else f"raised {result}")
            )

    def _press(self, user, button, context):
        model, name = button["model"], button["name"]
        Model = self._env_of(user, context)[model]
        if model == "res.config.settings":
            ids = Model.create({}).ids  # the form is saved first
        elif button["header"]:
            ids = []
        else:
            ids = getattr(self, RECORD_OF_BUTTON.get((model, name), RECORD_OF_MODEL[model])).ids
        result = call_kw(
            Model, name, [ids], {"context": dict(context, **self._literal(button["context"]))}
        )
        self.env.flush_all()  # what the request's commit would write
        return result

    @staticmethod
    def _literal(context):
        """A button's context, when it needs no record value to evaluate."""
        try:
            return ast.literal_eval(context) if context else {}
        except (ValueError, SyntaxError):
            return {}  # evaluated by the client with the record's values

    def _attempt(self, function, *args):
        """Call ``function(*args)``, then roll back whatever it did.

        :return: ``(outcome, result)``; for an error, its description
        """
        savepoint = self.env.cr.savepoint()
        try:
            return OK, function(*args)
        except MissingError as error:  # a UserError, but no clear refusal
            return UNEXPECTED, _describe(error)
        except AccessError as error:
            return ACCESS, _describe(error)
        except UserError as error:
            return USER, _describe(error)
        except Exception as error:  # noqa: BLE001 - reported as the finding
            return UNEXPECTED, _describe(error)
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all()
