"""The audit viewer names every action in Chinese: an action that writes an entry under a code the
viewer has no label for would show the raw code (anmin.audit.labels)."""

import importlib

import pytest

from anmin.audit.labels import ACTION_LABELS, action_label
from tests.test_actions import all_actions

# Actions kept outside an app's actions module (all_actions imports those only).
importlib.import_module("anmin.incidents.suggest")

AUDITED = [cls for cls in all_actions() if isinstance(cls.audit_action, str) and cls.audit_action]


def test_it_finds_the_audited_actions():
    assert {"incident.dispatch", "case.accept", "incidents.category_model"} <= {c.audit_action for c in AUDITED}


@pytest.mark.parametrize("cls", AUDITED, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_audited_action_has_a_chinese_label(cls):
    assert cls.audit_action in ACTION_LABELS, f"add {cls.audit_action!r} to anmin.audit.labels.ACTION_LABELS"
    assert not action_label(cls.audit_action).isascii()
