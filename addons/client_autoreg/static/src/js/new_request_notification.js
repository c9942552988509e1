/** @odoo-module **/
// License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
// The pop-up an assignee gets for a new request: it stays until closed and
// opens the request in one click.

import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";

export const newRequestNotificationService = {
    dependencies: ["bus_service", "notification", "action"],
    start(env, {bus_service, notification, action}) {
        bus_service.subscribe(
            "client_autoreg/new_request",
            ({ticket_id, title, message}) => {
                const close = notification.add(message, {
                    title,
                    type: "info",
                    sticky: true,
                    buttons: [
                        {
                            name: _t("Open the request"),
                            primary: true,
                            onClick: () => {
                                close();
                                action.doAction({
                                    type: "ir.actions.act_window",
                                    res_model: "helpdesk.ticket",
                                    res_id: ticket_id,
                                    views: [[false, "form"]],
                                });
                            },
                        },
                    ],
                });
            }
        );
        bus_service.start();
    },
};

registry.category("services").add("client_autoreg_new_request", newRequestNotificationService);
