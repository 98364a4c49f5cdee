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
    Citizen.objects.filter(matching(Citizen, "phone", "13812345678"))  # also during a rotation

An EncryptedCharField refuses lookups other than `isnull` and `exact ""` (a filter on the
ciphertext would silently match nothing): look up through its BlindIndexField. Ordering, LIKE,
startswith and contains cannot work on ciphertext either: a search by number is an exact match on
the index. QuerySet.update() does not run `pre_save`, so it cannot set an encrypted field with its
index: save the instances, or set both.
"""

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core import checks
from django.db import models, transaction
from django.db.models import Q
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


def _index_key(key: bytes) -> bytes:
    return hmac.new(key, b"anmin blind index", hashlib.sha256).digest()


def _index(key: bytes, kind: str, value: str) -> str:
    return hmac.new(_index_key(key), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:INDEX_HEX]


def blind_index(kind: str, value: str) -> str:
    """The keyed index of `value` for equality lookups: the same for equal values of one kind
    ("phone", "id_number") in every table, useless without the key. Empty for an empty value
    (stored as NULL by BlindIndexField).

    Keyed by the current data key, so a rotation re-keys the indexes too (`anmin keys rotate`
    recomputes every index column in the same run)."""
    if not value:
        return ""
    return _index(keys.data_keys()[0][1], kind, value)


def blind_indexes(kind: str, value: str) -> list[str]:
    """The index of `value` under every configured data key, the current first: between putting a
    new key first in DATA_KEY and the end of `anmin keys rotate`, rows still carry the old key's
    index, and a lookup must find them (a repeat call, an ID number already registered)."""
    if not value:
        return []
    return list(dict.fromkeys(_index(key, kind, value) for _kid, key in keys.data_keys()))


def index_field(model, source: str) -> "BlindIndexField":
    for field in model._meta.concrete_fields:
        if isinstance(field, BlindIndexField) and field.source == source:
            return field
    raise LookupError(f"{model._meta.label}.{source} has no BlindIndexField")


def matching(model, source: str, value: str) -> Q:
    """A filter for the rows of `model` whose encrypted field `source` equals `value`, through that
    field's blind index: `Incident.objects.filter(matching(Incident, "caller_phone", phone))`. An
    empty value matches nothing."""
    field = index_field(model, source)
    found = blind_indexes(field.kind, value)
    if not found:
        return Q(pk__in=[])
    return Q(**{f"{field.name}__in": found})


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

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        # blank defaults to True here, not False as on Field: written out either way, or a
        # required field (blank=False, omitted by Field) would come back blank from a migration.
        kwargs["blank"] = self.blank
        return name, path, args, kwargs

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
        if is_encrypted(value) and _seals(value, self.context):
            # Already sealed for this column (a stored value written back as it was read raw);
            # anything else that merely looks sealed is a value like any other, and is encrypted.
            return value
        return encrypt(value, self.context)

    def get_lookup(self, lookup_name):
        return {"exact": _EmptyOnlyExact, "isnull": IsNull}.get(lookup_name)


def _seals(stored: str, context: str) -> bool:
    try:
        decrypt(stored, context)
    except DecryptionError:
        return False
    return True


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


# --- migrations -------------------------------------------------------------------------------------

MIGRATION_BATCH = 1000


def encrypt_existing_rows(model: str, fields: list[str]):
    """A RunPython operation that encrypts the plain-text values already stored in `fields` of
    `model` ("app_label.ModelName") and fills their BlindIndexFields; reversed, it decrypts them.

    It runs between two schema steps: the columns are first widened as plain CharFields (so the
    historical model reads what is stored, not through EncryptedCharField) and become
    EncryptedCharFields after it. The context string is the one the field uses
    ("app_label.model_name.field"), so the values decrypt once the field reads them. A value
    already encrypted is left as it is: the operation may run again after a failure."""
    from django.db import migrations

    def rows(apps, schema_editor):
        historical = apps.get_model(model)
        manager = historical._base_manager.using(schema_editor.connection.alias)
        filled = Q()
        for name in fields:
            filled |= ~Q(**{name: ""})
        indexes = [f for f in historical._meta.concrete_fields if isinstance(f, BlindIndexField) and f.source in fields]
        label = historical._meta.label_lower
        return manager, manager.filter(filled), indexes, label

    def need_key(queryset, label: str) -> None:
        if not queryset.exists():
            return
        try:
            keys.data_keys()
        except keys.MissingKey:
            raise keys.MissingKey(
                f"{label}: {queryset.count()} rows hold {', '.join(fields)} to encrypt, and no data key is "
                "configured: set DATA_KEY or DATA_KEY_FILE (or run `anmin keys init`) and migrate again"
            ) from None

    def batches(queryset, names):
        last = 0
        while True:
            batch = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", *names)[:MIGRATION_BATCH])
            if not batch:
                return
            yield batch
            last = batch[-1][0]

    def forward(apps, schema_editor):
        manager, filled, indexes, label = rows(apps, schema_editor)
        need_key(filled, label)
        for batch in batches(filled, fields):
            with transaction.atomic(using=manager.db):
                for pk, *values in batch:
                    plain = dict(zip(fields, values, strict=True))
                    for name, value in plain.items():
                        if is_encrypted(value):
                            plain[name] = decrypt(value, f"{label}.{name}")
                    changes = {
                        name: value if is_encrypted(value) else encrypt(value, f"{label}.{name}")
                        for name, value in zip(fields, values, strict=True)
                    }
                    changes.update({f.name: blind_index(f.kind, plain[f.source]) or None for f in indexes})
                    manager.filter(pk=pk).update(**changes)

    def backward(apps, schema_editor):
        manager, filled, indexes, label = rows(apps, schema_editor)
        need_key(filled, label)
        for batch in batches(filled, fields):
            with transaction.atomic(using=manager.db):
                for pk, *values in batch:
                    changes = {
                        name: decrypt(value, f"{label}.{name}") if is_encrypted(value) else value
                        for name, value in zip(fields, values, strict=True)
                    }
                    changes.update({f.name: None for f in indexes})
                    manager.filter(pk=pk).update(**changes)

    return migrations.RunPython(forward, backward, elidable=False)
