"""流动党员工作报告: the figures of floating-member work per town, as a page and a workbook."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import requires
from heli.control.views.common import attachment
from heli.core.exporters import SheetInfo
from heli.core.nostore import no_store
from heli.core.replica import reads_replica
from heli.mobility import floating
from heli.reports.floating import KEYS, report_figures
from heli.reports.floating_export import FiguresExporter


@requires(Right.VIEW)
@reads_replica
def floating_report(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    result = report_figures(today)
    return render(
        request,
        "control/floating_report.html",
        {
            "today": today,
            "figures": result,
            "chart": {
                "names": [row["town"].name for row in result.towns],
                "series": [
                    {
                        "name": str(FiguresExporter.LABELS[key]),
                        "data": [r[key] for r in result.towns],
                    }
                    for key in ("outflow", "inflow")
                ],
            },
            "columns": [(key, FiguresExporter.LABELS[key]) for key in KEYS],
            "labelled": FiguresExporter(result, today=today).figures(),
        },
    )


@requires(Right.VIEW)
@no_store
@reads_replica
def floating_report_xlsx(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    exporter = FiguresExporter(report_figures(today), today=today)
    org = request.user.org
    content = exporter.to_xlsx(
        SheetInfo(
            _("Floating-member work report"),
            (
                _("Organization: %(org)s") % {"org": org.name if org else "—"},
                _("As of %(date)s; every figure is counted from the records.")
                % {"date": today.isoformat()},
            ),
        )
    )
    floating.record_report_download(Actor.from_request(request), len(exporter.result.towns))
    name = f"{org.name if org else ''}_{_('Floating-member work report')}_{today.isoformat()}"
    return attachment(content, f"{name.strip('_')}.xlsx")
