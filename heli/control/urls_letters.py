"""Staff URLs of the letters pages (included by heli.control.urls)."""

from django.urls import path, re_path

from heli.control.views import letters

urlpatterns: list = [
    path("letters/", letters.letter_list, name="letter_list"),
    path("letters/due/", letters.letter_due, name="letter_due"),
    path("letters/issue/", letters.letter_issue, name="letter_issue"),
    path("letters/batch/download/", letters.letter_batch_download, name="letter_batch_download"),
    path("letters/batch/remind/", letters.letter_batch_remind, name="letter_batch_remind"),
    path("letters/<int:pk>/", letters.letter_detail, name="letter_detail"),
    path("letters/<int:pk>/letter.docx", letters.letter_docx, name="letter_docx"),
    path("letters/<int:pk>/send/", letters.letter_send, name="letter_send"),
    path("letters/<int:pk>/remind/", letters.letter_remind, name="letter_remind"),
    path("letters/<int:pk>/close/", letters.letter_close, name="letter_close"),
    path("letters/<int:pk>/cancel/", letters.letter_cancel, name="letter_cancel"),
    # A batch is named by its letters' ids, e.g. letters/batch/12,13,14/letters.docx
    re_path(
        r"^letters/batch/(?P<ids>[0-9]+(?:,[0-9]+)*)/letters\.docx$",
        letters.letter_batch_docx,
        name="letter_batch_docx",
    ),
    re_path(
        r"^letters/batch/(?P<ids>[0-9]+(?:,[0-9]+)*)/letters\.zip$",
        letters.letter_batch_zip,
        name="letter_batch_zip",
    ),
]
