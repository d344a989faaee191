"""Reminder letters (督促报到函) for staff: the members due a letter, issuing in a batch, the
list of letters with their state, one letter with its timeline and actions, and the .docx
downloads (one letter, or a batch named by the letters' ids, each fetched through the scope)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import paginate, query_without_page, requires
from heli.control.views.common import attachment, post_action
from heli.core.scoping import current_scope, get_scoped_or_404
from heli.letters import docx, services
from heli.letters.models import CloseReason, LetterStatus, ReminderLetter
from heli.mobility.models import FloatingRecord

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_BATCH = 500


def _ids(raw: str | list[str]) -> list[int]:
    values = raw.split(",") if isinstance(raw, str) else raw
    return sorted({int(v) for v in values if str(v).strip().isdigit()})


def _status_counts() -> dict[str, int]:
    counts = dict(ReminderLetter.objects.order_by().values_list("status").annotate(n=Count("id")))
    return {value: counts.get(value, 0) for value in LetterStatus.values}


@requires(Right.VIEW)
def letter_list(request: HttpRequest) -> HttpResponse:
    picked = request.GET.getlist("pick")
    if picked:  # "download the selected letters": the batch is named by their ids
        ids = _ids(picked)[:MAX_BATCH]
        if ids:
            ids_text = ",".join(map(str, ids))
            return redirect("control:letter_batch_docx", ids=ids_text)
    params = {key: request.GET.get(key, "").strip() for key in ("status", "overdue", "year", "q")}
    letters = ReminderLetter.objects.select_related("member", "issuing_org", "record")
    if params["status"] in LetterStatus.values:
        letters = letters.filter(status=params["status"])
    if params["overdue"]:
        letters = letters.filter(services.overdue_q())
    if params["year"].isdigit():
        letters = letters.filter(year=int(params["year"]))
    if params["q"]:
        letters = letters.filter(
            Q(member__name__icontains=params["q"]) | Q(number__icontains=params["q"])
        )
    batch = _ids(request.GET.get("ids", ""))
    if batch:
        letters = letters.filter(pk__in=batch)
    years = ReminderLetter.objects.order_by("-year").values_list("year", flat=True).distinct()
    return render(
        request,
        "control/letter_list.html",
        {
            "page": paginate(request, letters),
            "params": params,
            "statuses": LetterStatus.choices,
            "counts": _status_counts(),
            "overdue_count": ReminderLetter.objects.filter(services.overdue_q()).count(),
            "due_count": services.due_records().count(),
            "years": list(years),
            "batch": ",".join(map(str, batch)),
            "query": query_without_page(request),
            "today": timezone.localdate(),
        },
    )


@requires(Right.VIEW)
def letter_due(request: HttpRequest) -> HttpResponse:
    """The members due a letter: away for LETTER_DUE_AFTER_DAYS days or more, not confirmed by
    the inflow side, without an open letter."""
    q = request.GET.get("q", "").strip()
    records = services.due_records()
    if q:
        records = records.filter(member__name__icontains=q)
    today = timezone.localdate()
    page = paginate(request, records, per_page=100)
    for floating in page.object_list:
        floating.days_away = (today - floating.since).days
    return render(
        request,
        "control/letter_due.html",
        {
            "page": page,
            "q": q,
            "days": services.due_after_days(),
            "query": query_without_page(request),
        },
    )


@requires(Right.EDIT_MEMBERS)
@require_POST
def letter_issue(request: HttpRequest) -> HttpResponse:
    """Issue letters for the ticked members, all or none; one letter opens its page, several
    open the list of this batch with its download."""
    ids = _ids(request.POST.getlist("record"))
    if not ids:
        messages.error(request, _("Tick at least one member to write to."))
        return redirect("control:letter_due")
    visible = FloatingRecord.objects.filter(pk__in=ids).filter(
        current_scope().org_q("outflow_org__path")
    )
    records = list(visible)
    if len(records) != len(ids):
        raise Http404
    try:
        letters = services.issue(Actor.from_request(request), records)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("control:letter_due")
    messages.success(
        request,
        _("Issued %(count)s reminder letter(s): download, print and send them.")
        % {"count": len(letters)},
    )
    if len(letters) == 1:
        return redirect("control:letter_detail", pk=letters[0].pk)
    ids_text = ",".join(str(letter.pk) for letter in letters)
    return redirect(reverse("control:letter_list") + f"?ids={ids_text}")


@requires(Right.VIEW)
def letter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    letter = get_scoped_or_404(
        ReminderLetter.objects.select_related("member", "issuing_org", "record", "created_by"),
        pk=pk,
    )
    today = timezone.localdate()
    return render(
        request,
        "control/letter_detail.html",
        {
            "letter": letter,
            "events": letter.events.all(),
            "body": docx.body_paragraphs(letter),
            "letter_date": docx.chinese_date(letter.issued_on),
            "overdue": letter.is_overdue(today),
            "days_overdue": letter.days_overdue(today),
            "today": today,
            "reply_days": services.reply_days(),
        },
    )


def _download(request: HttpRequest, letters: list[ReminderLetter]) -> HttpResponse:
    services.record_download(Actor.from_request(request), letters)
    return attachment(docx.render(letters), docx.filename(letters), DOCX_TYPE)


def _with_parts():
    return ReminderLetter.objects.select_related("member", "issuing_org", "record")


@requires(Right.VIEW)
def letter_docx(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(request, [get_scoped_or_404(_with_parts(), pk=pk)])


@requires(Right.VIEW)
def letter_batch_docx(request: HttpRequest, ids: str) -> HttpResponse:
    """One .docx with the letters named in the URL; one of them outside the scope (or absent)
    answers 404 for the whole batch."""
    pks = _ids(ids)
    if not pks or len(pks) > MAX_BATCH:
        raise Http404
    by_pk = {letter.pk: letter for letter in _with_parts().filter(pk__in=pks)}
    if len(by_pk) != len(pks):
        raise Http404
    letters = sorted(by_pk.values(), key=lambda x: (x.issuing_org.path, x.year, x.serial))
    return _download(request, letters)


class SentForm(forms.Form):
    sent_on = forms.DateField(label=gettext_lazy("sent on"))


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("note"), max_length=255, required=False)


def _act(request: HttpRequest, pk: int, action) -> HttpResponse:
    """Run a letter action from a POST: errors come back as a message on the letter's page."""
    letter = get_scoped_or_404(ReminderLetter, pk=pk)
    return post_action(
        request,
        lambda: action(Actor.from_request(request), letter),
        redirect("control:letter_detail", pk=letter.pk),
    )


@requires(Right.EDIT_MEMBERS)
@require_POST
def letter_send(request: HttpRequest, pk: int) -> HttpResponse:
    form = SentForm(request.POST)

    def send(actor: Actor, letter: ReminderLetter) -> str:
        if not form.is_valid():
            raise ValidationError(_("Give the date the letter was sent."))
        sent = services.mark_sent(actor, letter, form.cleaned_data["sent_on"])
        return _("Letter %(number)s marked sent; a reply is expected by %(date)s.") % {
            "number": sent.number,
            "date": docx.chinese_date(sent.expected_reply_on),
        }

    return _act(request, pk, send)


@requires(Right.EDIT_MEMBERS)
@require_POST
def letter_remind(request: HttpRequest, pk: int) -> HttpResponse:
    form = NoteForm(request.POST)

    def remind(actor: Actor, letter: ReminderLetter) -> str:
        note = form.cleaned_data["note"] if form.is_valid() else ""
        reminded = services.remind(actor, letter, note=note)
        return _("Reminder no. %(count)s recorded; a reply is now expected by %(date)s.") % {
            "count": reminded.reminder_count,
            "date": docx.chinese_date(reminded.expected_reply_on),
        }

    return _act(request, pk, remind)


@requires(Right.EDIT_MEMBERS)
@require_POST
def letter_close(request: HttpRequest, pk: int) -> HttpResponse:
    form = NoteForm(request.POST)

    def close(actor: Actor, letter: ReminderLetter) -> str:
        note = form.cleaned_data["note"] if form.is_valid() else ""
        services.close(actor, letter, CloseReason.MANUAL, note)
        return _("Letter %(number)s settled.") % {"number": letter.number}

    return _act(request, pk, close)


@requires(Right.EDIT_MEMBERS)
@require_POST
def letter_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    form = NoteForm(request.POST)

    def cancel(actor: Actor, letter: ReminderLetter) -> str:
        reason = form.cleaned_data["note"] if form.is_valid() else ""
        services.cancel(actor, letter, reason)
        return _("Letter %(number)s voided; its number stays used.") % {"number": letter.number}

    return _act(request, pk, cancel)
