"""Chinese is the default language: every message of the code and the templates has its
zh_Hans translation (a page never falls back to English halfway)."""

from tests.catalogue import translated, wanted


def test_every_message_has_a_chinese_translation():
    missing = sorted(wanted() - translated("zh_Hans"))
    assert not missing, "translate these in heli/locale/zh_Hans/LC_MESSAGES/django.po:\n" + (
        "\n".join(missing)
    )
