# Copyright 2026 client_autoreg contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Customer Auto-Registration",
    "summary": "Register customers and their requests automatically from email, "
    "Telegram and the website",
    "version": "18.0.1.0.0",
    "category": "After-Sales",
    "license": "AGPL-3",
    "author": "client_autoreg contributors",
    "website": "https://github.com/client-autoreg/client_autoreg",
    "depends": [
        "mail",
        "website",
        "google_recaptcha",
        "mass_mailing",
        "phone_validation",
        "helpdesk_mgmt",
    ],
    "external_dependencies": {
        "python": ["phonenumbers", "python-telegram-bot"],
    },
    "data": [
        "security/client_autoreg_security.xml",
        "security/ir.model.access.csv",
        "data/helpdesk_ticket_channel_data.xml",
        "data/ir_cron_data.xml",
        "data/ir_actions_server_data.xml",
        "views/autoreg_inbound_views.xml",
        "views/autoreg_sender_rule_views.xml",
        "views/helpdesk_ticket_channel_views.xml",
        "views/helpdesk_ticket_team_views.xml",
        "views/helpdesk_ticket_views.xml",
        "views/res_config_settings_views.xml",
        "views/res_users_views.xml",
        "views/client_autoreg_menus.xml",
    ],
    "demo": ["demo/client_autoreg_demo.xml"],
    "development_status": "Alpha",
    "installable": True,
    "application": True,
}
