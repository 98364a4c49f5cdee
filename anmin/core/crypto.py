"""Personal data encrypted at rest (PIPL art. 51: 加密、去标识化): ID and phone numbers are stored
as AES-256-GCM ciphertext under a key kept outside the database (anmin.core.keys), and found by a
keyed blind index (HMAC-SHA256) for the equality lookups the platform needs: repeat calls from
one number, the same person in two cases, one real name per ID number.

`cryptography` offers SM4 only in modes without authentication, so AES-GCM is the cipher: a
changed ciphertext fails to decrypt instead of yielding another number.

A stored value reads "v1:<key id>:<base64 nonce+ciphertext>"; the empty string stays empty (no
number given). The ciphertext is bound to its column (the associated data names model and field),
so a value copied into another column or table does not decrypt there.

    class Citizen(models.Model):
        phone = EncryptedCharField(_("手机号码"), max_length=11)
        phone_index = BlindIndexField(source="phone", kind="phone", unique=True)

    Citizen.objects.filter(phone_index=blind_index("phone", "13812345678"))

An EncryptedCharField refuses lookups other than `isnull` and `exact ""` (a filter on the
ciphertext would silently match nothing): look up through its BlindIndexField. QuerySet.update()
does not run `pre_save`, so it cannot set an encrypted field with its index: save the instances.
"""

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core import checks
from django.db import models
from django.db.models.lookups import Exact, IsNull

from anmin.core import keys

PREFIX = "v1"
NONCE_BYTES = 12
INDEX_HEX = 32  # 128 bits of HMAC: no collision among the numbers of a country


class DecryptionError(ValueError):
    pass


def _aad(context: str) -> bytes:
    return f"anmin:{context}".encode()


def encrypt(plaintext: str, context: str) -> str:
    if plaintext == "":
        return ""
    kid, key = keys.data_keys()[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), _aad(context))
    return f"{PREFIX}:{kid}:{base64.b64encode(nonce + sealed).decode()}"


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX + ":")


def key_id_of(stored: str) -> str:
    return stored.split(":", 2)[1] if is_encrypted(stored) else ""


def decrypt(stored: str, context: str) -> str:
    if stored == "":
        return ""
    if not is_encrypted(stored):
        raise DecryptionError(f"{context}: value is not encrypted (run the migrations)")
    _prefix, kid, body = stored.split(":", 2)
    key = dict(keys.data_keys()).get(kid)
    if key is None:
        raise DecryptionError(f"{context}: encrypted with key {kid}, which DATA_KEY does not hold")
    try:
        raw = base64.b64decode(body, validate=True)
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(context)).decode()
    except (binascii.Error, ValueError, InvalidTag):
        raise DecryptionError(f"{context}: ciphertext does not verify (altered, or another column's)") from None


def _index_key() -> bytes:
    # Derived from the current data key, so a rotation re-keys the indexes too (`anmin keys rotate`
    # recomputes every index column in the same run).
    return hmac.new(keys.data_keys()[0][1], b"anmin blind index", hashlib.sha256).digest()


def blind_index(kind: str, value: str) -> str:
    """The keyed index of `value` for equality lookups: the same for equal values of one kind
    ("phone", "id_number") in every table, useless without the key. Empty for an empty value
    (stored as NULL by BlindIndexField)."""
    if not value:
        return ""
    return hmac.new(_index_key(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:INDEX_HEX]


def stored_length(max_length: int) -> int:
    # prefix, key id, colons, base64 of nonce + UTF-8 plaintext (up to 4 bytes a character) + tag
    raw = NONCE_BYTES + 4 * max_length + 16
    return len(PREFIX) + 1 + 8 + 1 + 4 * ((raw + 2) // 3)


class EncryptedCharField(models.CharField):
    """A CharField whose value is encrypted in the database and plain text in Python.

    `max_length` is the plaintext's (forms and validation use it); the column is wide enough for
    the ciphertext."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        if self.unique or self.db_index:
            errors.append(
                checks.Error(
                    "an encrypted field cannot be unique or indexed: index its BlindIndexField",
                    obj=self,
                    id="anmin.E001",
                )
            )
        return errors

    def db_type(self, connection):
        return models.CharField(max_length=stored_length(self.max_length)).db_type(connection)

    def cast_db_type(self, connection):
        return self.db_type(connection)

    @property
    def context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return decrypt(value, self.context)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        if is_encrypted(value):  # already sealed (a migration copying stored values)
            return value
        return encrypt(value, self.context)

    def get_lookup(self, lookup_name):
        return {"exact": _EmptyOnlyExact, "isnull": IsNull}.get(lookup_name)


class _EmptyOnlyExact(Exact):
    def get_prep_lookup(self):
        if self.rhs != "":
            raise TypeError(
                f"{self.lhs.target.model.__name__}.{self.lhs.target.name} is encrypted: look it up by its blind index"
            )
        return ""


class BlindIndexField(models.CharField):
    """The keyed index of another field's value, computed on every save: `source` names the field,
    `kind` the kind of value ("phone", "id_number"), so that equal numbers match across tables."""

    def __init__(self, *args, source: str = "", kind: str = "", **kwargs):
        self.source = source
        self.kind = kind
        kwargs["max_length"] = INDEX_HEX
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        # NULL, not "", where there is no value: a unique index admits any number of NULLs.
        kwargs["null"] = True
        kwargs.setdefault("default", None)
        if not kwargs.get("unique"):
            kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["kind"] = self.kind
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = blind_index(self.kind, getattr(model_instance, self.source) or "") or None
        setattr(model_instance, self.attname, value)
        return value
