# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import TransactionCase


class AutoregCase(TransactionCase):
    """A company in India with an intake team and channels of each policy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, mail_notrack=True))
        cls.company = cls.env.company
        cls.company.country_id = cls.env.ref("base.in")
        cls.Inbound = cls.env["autoreg.inbound"]
        cls.Partner = cls.env["res.partner"]
        cls.Ticket = cls.env["helpdesk.ticket"]
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {"name": "Intake Test Team", "company_id": cls.company.id}
        )
        cls.web = cls._make_channel("Test web form", "new")
        cls.chat = cls._make_channel("Test chat", "open_ticket")
        cls.mail = cls._make_channel("Test mailbox", "new")

    @classmethod
    def _make_channel(cls, name, thread_policy):
        return cls.env["helpdesk.ticket.channel"].create(
            {
                "name": name,
                "company_id": cls.company.id,
                "autoreg_thread_policy": thread_policy,
                "autoreg_team_id": cls.team.id,
            }
        )

    @classmethod
    def register_proven(cls, channel, key, **values):
        """A message whose door proved the sender's identifiers: the
        company's mailbox received the address, Telegram sent the number."""
        if values.get("sender_email"):
            values.setdefault("sender_email_proof", "mailbox")
        if values.get("sender_phone"):
            values.setdefault("sender_phone_proof", "telegram")
        return cls.register(channel, key, **values)

    @classmethod
    def register(cls, channel, key, door="website", **values):
        """Hand a message to the corridor as a door does: store, then process."""
        values.setdefault("payload", f'{{"key": "{key}"}}')
        return store_and_process(cls.env, door, channel, key, values)


def store_and_process(env, door, channel, key, values):
    inbound, created = env["autoreg.inbound"]._store(
        door, key, dict(values, channel_id=channel.id)
    )
    if created:
        inbound._process()
    return inbound
