"""Reminder letters (督促报到函) for staff: the members due a letter, issuing in a batch, the
list of letters with their state, one letter with its timeline and actions, and the .docx
downloads (one letter, or a batch named by the letters' ids, each fetched through the scope)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from heli.accounts.roles import Right
from heli.audit.services import Actor
from heli.control.access import requires
from heli.control.floating_lists import DueList
from heli.control.lists.views import respond
from heli.control.views.common import attachment, back_to_list, post_action
from heli.control.work_lists import MAX_BATCH, LetterList, parse_ids
from heli.core.freetext import FreeTextForm
from heli.core.nostore import forbid_storing
from heli.core.params import to_id
from heli.core.scoping import current_scope, get_scoped_or_404
from heli.letters import batches, docx, services
from heli.letters.models import CloseReason, ReminderLetter
from heli.mobility.models import FloatingRecord

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ZIP_TYPE = "application/zip"


@requires(Right.VIEW)
def letter_list(request: HttpRequest) -> HttpResponse:
    return respond(LetterList, request)


@requires(Right.VIEW)
def letter_due(request: HttpRequest) -> HttpResponse:
    """The members due a letter (see DueList); tick them to issue letters in one go."""
    return respond(DueList, request)


def _picked(request: HttpRequest) -> list[int]:
    return parse_ids(request.POST.getlist("pick"))


@requires(Right.EDIT_MEMBERS)
@require_POST
def letter_issue(request: HttpRequest) -> HttpResponse:
    """Issue letters for the ticked members (from the due list or the lost-contact list), all
    or none; then the list of this batch offers them as one Word file or a zip."""
    ids = _picked(request)
    back = back_to_list(request, "control:letter_due")
    if not ids:
        messages.error(request, _("Tick at least one member to write to."))
        return back
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
        return back
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
    """The letters' Word file at once, or, for a large batch, a background job's page."""
    services.record_download(Actor.from_request(request), letters)
    if batches.runs_in_background(letters):
        job = batches.queue_file(request.user, letters, as_zip=False)
        return redirect("control:export_job", pk=job.pk)
    return forbid_storing(attachment(docx.render(letters), docx.filename(letters), DOCX_TYPE))


def _download_zip(request: HttpRequest, letters: list[ReminderLetter]) -> HttpResponse:
    services.record_download(Actor.from_request(request), letters)
    if batches.runs_in_background(letters):
        job = batches.queue_file(request.user, letters, as_zip=True)
        return redirect("control:export_job", pk=job.pk)
    return forbid_storing(
        attachment(docx.render_zip(letters), docx.zip_filename(letters), ZIP_TYPE)
    )


def _with_parts():
    return ReminderLetter.objects.select_related("member", "issuing_org", "record")


@requires(Right.VIEW)
def letter_docx(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(request, [get_scoped_or_404(_with_parts(), pk=pk)])


def _batch(pks: list[int]) -> list[ReminderLetter]:
    """The letters named, each through the scope: one outside it (or absent) answers 404 for
    the whole batch."""
    if not pks or len(pks) > MAX_BATCH:
        raise Http404
    by_pk = {letter.pk: letter for letter in _with_parts().filter(pk__in=pks)}
    if len(by_pk) != len(pks):
        raise Http404
    return sorted(by_pk.values(), key=lambda x: (x.issuing_org.path, x.year, x.serial))


def _path_batch(ids: str) -> list[ReminderLetter]:
    """The letters a batch path names: an id that no letter can have (past 64 bits) is a
    missing letter like any other, so the whole batch answers 404."""
    parts = ids.split(",")
    if any(to_id(part) is None for part in parts):
        raise Http404
    return _batch(parse_ids(parts))


@requires(Right.VIEW)
def letter_batch_docx(request: HttpRequest, ids: str) -> HttpResponse:
    """One .docx with the letters named in the URL (a batch just issued)."""
    return _download(request, _path_batch(ids))


@requires(Right.VIEW)
def letter_batch_zip(request: HttpRequest, ids: str) -> HttpResponse:
    """The same letters as a zip, one .docx each."""
    return _download_zip(request, _path_batch(ids))


@requires(Right.VIEW)
@require_POST
def letter_batch_download(request: HttpRequest) -> HttpResponse:
    """The ticked letters of the list, as one Word file or a zip (the batch's choice)."""
    if not _picked(request):
        messages.error(request, _("Tick the letters to download first."))
        return back_to_list(request, "control:letter_list")
    letters = _batch(_picked(request))
    send = _download_zip if request.POST.get("format") == "zip" else _download
    return send(request, letters)


@requires(Right.EDIT_MEMBERS)
@require_POST
def letter_batch_remind(request: HttpRequest) -> HttpResponse:
    picked = _picked(request)
    letters = _batch(picked) if picked else []
    if batches.runs_in_background(letters):
        try:  # what is wrong already is said at once; the worker checks again under the lock
            for letter in letters:
                services.check_remindable(letter, timezone.localdate())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return back_to_list(request, "control:letter_list")
        job = batches.queue_reminder(request.user, letters)
        return redirect("control:export_job", pk=job.pk)

    def remind() -> str:
        count = services.remind_all(Actor.from_request(request), letters)
        return _("Recorded a reminder for %(count)s letters.") % {"count": count}

    return post_action(request, remind, back_to_list(request, "control:letter_list"))


class SentForm(forms.Form):
    sent_on = forms.DateField(label=gettext_lazy("sent on"))


class NoteForm(FreeTextForm, forms.Form):
    free_text = ("note",)
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
