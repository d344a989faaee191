"""ID numbers and phones: the GB 11643 check, SM4 at rest, keyed digests and masks."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from heli.core import crypto
from heli.members import idcard, phones

# The two examples printed in GB 11643-1999, and one computed by hand.
VALID = ["11010519491231002X", "440524188001010014", "320404198001011237"]


@pytest.mark.parametrize("number", VALID)
def test_it_accepts_known_valid_id_numbers(number):
    assert idcard.validate(number) == number


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("110105194912310021", "id_check_code"),  # check code should be X
        ("440524188001010015", "id_check_code"),
        ("11010519491231002", "id_length"),
        ("1101051949123100211", "id_length"),
        ("01010519491231002X", "id_shape"),  # area code cannot start with 0
        ("1101051949123A002X", "id_shape"),
        ("11010519491231002\u0663", "id_shape"),  # an Arabic-Indic 3: a digit, not ASCII
        ("\u0661" * 17 + "X", "id_shape"),
        ("110105194913310027", "id_birth_date"),  # 13th month
        ("110105209901010011", "id_birth_date"),  # born in the future
    ],
)
def test_it_refuses_invalid_id_numbers_with_a_reason(number, code):
    with pytest.raises(ValidationError) as error:
        idcard.validate(number)
    assert error.value.code == code


def test_full_width_digits_and_a_lower_case_x_are_normalized():
    assert idcard.validate("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"
    assert idcard.validate(" 11010519491231002x ") == "11010519491231002X"


def test_the_check_code_and_the_embedded_facts():
    assert idcard.check_code("11010519491231002") == "X"
    # Every weight counts: one digit changed anywhere changes the code.
    for at in range(17):
        changed = "11010519491231002"[:at] + "3" + "11010519491231002"[at + 1 :]
        if changed != "11010519491231002":
            assert idcard.check_code(changed) != "X"
    assert idcard.birth_date("11010519491231002X") == dt.date(1949, 12, 31)
    assert idcard.gender("11010519491231002X") == "F"
    assert idcard.gender("440524188001010014") == "M"
    made = idcard.make("320404", dt.date(1990, 2, 3), 123)
    assert idcard.validate(made) == made


def test_the_id_error_message_is_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        idcard.validate("110105194912310021")
    assert "校验码" in error.value.messages[0]


@pytest.mark.parametrize("raw", ["13812345678", "+86 138-1234-5678", "８６１３８１２３４５６７８"])
def test_it_accepts_and_normalizes_mobile_numbers(raw):
    assert phones.validate(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "0519-88889999", "abc"])
def test_it_refuses_numbers_that_are_not_mainland_mobiles(raw):
    with pytest.raises(ValidationError):
        phones.validate(raw)


WHERE = crypto.associated("members_member", "id_cipher", 1)


def test_encryption_round_trips_and_never_repeats_a_ciphertext():
    first = crypto.encrypt("11010519491231002X", WHERE)
    second = crypto.encrypt("11010519491231002X", WHERE)
    assert first != second  # random nonce
    assert b"11010519491231002X" not in first
    assert crypto.decrypt(first, WHERE) == crypto.decrypt(second, WHERE) == "11010519491231002X"


def test_a_tampered_ciphertext_is_refused():
    blob = bytearray(crypto.encrypt("13812345678", WHERE))
    blob[20] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(bytes(blob), WHERE)


def test_another_key_cannot_decrypt_and_gives_other_digests(settings):
    blob = crypto.encrypt("13812345678", WHERE)
    digest = crypto.digest("phone", "13812345678")
    settings.FIELD_ENCRYPTION_KEYS = ((1, bytes(16)),)
    settings.FIELD_DIGEST_KEY = bytes(range(16))
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(blob, WHERE)
    assert crypto.digest("phone", "13812345678") != digest


def test_digests_are_stable_and_separate_purposes():
    assert crypto.digest("id", "X") == crypto.digest("id", "X")
    assert crypto.digest("id", "X") != crypto.digest("phone", "X")
    assert len(crypto.digest("id", "X")) == 64


def test_masks_keep_only_the_ends():
    assert crypto.mask_id("320404198001011231") == "****************31"
    assert crypto.mask_phone("13812345678") == "138****5678"
