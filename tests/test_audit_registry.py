"""The registry of audited actions: every action the code writes has a label, and the filter
lists them all, viewing and exporting first."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.utils import translation

import heli
from heli.audit.actions import (
    ACTIONS,
    LABELS,
    Area,
    Disclosure,
    action_choices,
    sensitive_actions,
)
from heli.audit.models import AuditEntry

SOURCE = Path(heli.__file__).parent


def _modules():
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def _imports_record(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "heli.audit.services"
        and any(alias.name == "record" for alias in node.names)
        for node in tree.body
    )


def _called(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _passed(tree: ast.Module, function: ast.FunctionDef, param: str) -> set[str]:
    """The string constants the module passes to `function` for its parameter `param`."""
    index = [a.arg for a in function.args.args].index(param)
    values = set()
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        if _called(call) != function.name:
            continue
        args = {kw.arg: kw.value for kw in call.keywords}
        node = call.args[index] if index < len(call.args) else args.get(param)
        assert isinstance(node, ast.Constant), f"{function.name}({param}=…) at {call.lineno}"
        values.add(node.value)
    return values


def _resolve(tree, function, node, where) -> set[str]:
    """The action strings an argument of `record(actor, action, …)` can hold: a literal, a
    parameter of the enclosing function (the literals its callers pass), an f-string of a
    literal prefix and such a parameter ("member.{action}"), or an attribute read from an
    object (page.export_action: whatever the classes set it to)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name) and function is not None:
        return _passed(tree, function, node.id)
    if isinstance(node, ast.Attribute):  # page.export_action: what every class sets it to
        return _class_constants(node.attr)
    if isinstance(node, ast.JoinedStr) and function is not None and len(node.values) == 2:
        prefix, formatted = node.values
        if isinstance(prefix, ast.Constant) and isinstance(formatted.value, ast.Name):
            return {prefix.value + value for value in _passed(tree, function, formatted.value.id)}
    raise AssertionError(f"an audited action this test cannot read at {where}")


def _class_constants(name: str) -> set[str]:
    """Strings assigned to the class attribute `name` anywhere in heli ("" is no action)."""
    values = set()
    for _path, tree in _modules():
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for statement in cls.body:
                targets = getattr(statement, "targets", None) or [
                    getattr(statement, "target", None)
                ]
                value = getattr(statement, "value", None)
                if any(isinstance(t, ast.Name) and t.id == name for t in targets) and isinstance(
                    value, ast.Constant
                ):
                    values.add(value.value)
    values.discard("")
    assert values, f"no class sets {name}"
    return values


def audited_actions() -> dict[str, str]:
    """Every action string passed to `heli.audit.services.record` in heli, with where."""
    found = {}
    for path, tree in _modules():
        if not _imports_record(tree):
            continue
        for function, call in _calls_with_their_function(tree):
            if _called(call) != "record" or len(call.args) < 2:
                continue
            where = f"{path.relative_to(SOURCE)}:{call.lineno}"
            for action in _resolve(tree, function, call.args[1], where):
                found.setdefault(action, where)
    return found


def _calls_with_their_function(node, function=None):
    """Every call in `node`, with the innermost function it is written in (None: the module)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Call):
            yield function, child
        inner = child if isinstance(child, ast.FunctionDef) else function
        yield from _calls_with_their_function(child, inner)


def history_actions() -> set[str]:
    """Actions of member history rows (`MemberChange.action`) written anywhere in heli."""
    found = set()
    for _path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called(node) in ("MemberChange", "write"):
                found |= {
                    kw.value.value
                    for kw in node.keywords
                    if kw.arg == "action" and isinstance(kw.value, ast.Constant)
                }
            if isinstance(node, ast.FunctionDef) and node.name == "write":
                args = node.args
                positional = args.args[len(args.args) - len(args.defaults) :]
                params, defaults = positional + args.kwonlyargs, args.defaults + args.kw_defaults
                found |= {
                    d.value
                    for p, d in zip(params, defaults, strict=True)
                    if p.arg == "action" and isinstance(d, ast.Constant)
                }
    return found


def test_the_scan_finds_literal_and_composed_actions():
    found = audited_actions()
    # Literals, f"member.{action}" of members.services, f"transfer.{action}" of the transfer
    # steps, and an action passed through a helper's parameter (orgs.services._insert).
    for action in ("member.reveal", "member.update", "member.floating", "transfer.approve"):
        assert action in found, action
    assert {"org.create", "region.move", "login.failed", "demo.build"} <= set(found)


def test_every_action_the_code_writes_has_a_label():
    unlabelled = {a: where for a, where in audited_actions().items() if a not in ACTIONS}
    assert unlabelled == {}


def test_the_registry_lists_no_action_the_code_never_writes():
    logged = {code for code, action in ACTIONS.items() if action.logged}
    assert logged == set(audited_actions())
    assert set(LABELS) == logged


def test_every_member_history_action_has_the_label_of_its_audit_action():
    history = history_actions()
    assert {"import", "generate", "transfer"} <= history
    assert {f"member.{action}" for action in history} - set(ACTIONS) == set()


def test_the_filter_lists_every_action_once_with_viewing_and_exporting_first():
    with translation.override("zh-hans"):
        groups = action_choices()
    codes = [code for _label, choices in groups for code, _text in choices]
    assert sorted(codes) == sorted(audited_actions())
    first_label, first = groups[0]
    assert first_label == "查看与导出"
    assert [code for code, _text in first] == sensitive_actions()
    reveals = [c for c in sensitive_actions() if ACTIONS[c].discloses is Disclosure.REVEAL]
    assert sensitive_actions()[: len(reveals)] == reveals and len(reveals) == 4
    assert {
        "member.reveal", "member.export", "floating.reveal", "floating.export",
        "checkin.reveal", "campaign.export", "letter.download", "transfer.letter_print",
    } <= set(sensitive_actions())  # fmt: skip
    labels = [label for label, _choices in groups]
    assert labels[1:5] == ["账号与登录", "组织与区域", "阵地", "党员"]
    assert "导入" in labels and "组织关系转接" in labels


def test_reveals_and_exports_are_told_by_the_registry_not_by_their_names():
    assert ACTIONS["member.reveal"].group is Area.SENSITIVE
    assert ACTIONS["member.update"].group is Area.MEMBERS
    assert not any(a.sensitive for code, a in ACTIONS.items() if code.endswith(".update"))


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        ("member.reveal", "查看完整身份证号和手机号"),
        ("member.update", "修改党员信息"),
        ("checkin.reveal", "查看待确认报到人员完整身份证号或手机号"),
        ("letter.remind", "催办督促报到函"),
        ("floating.register", "登记流动党员"),
        ("member.import", "导入党员"),
    ],
)
def test_actions_read_as_chinese_verb_object_phrases(code, phrase):
    with translation.override("zh-hans"):
        assert AuditEntry(action=code).action_label == phrase


def test_an_unknown_action_reads_as_its_code():
    assert AuditEntry(action="x.unknown", detail={"a": 1}).action_label == "x.unknown"


# The model of the object each area's entries are about, where the registry names a field of it.
OBJECTS = {
    "member": "members.member", "letter": "letters.reminderletter",
    "floating": "mobility.floatingrecord", "campaign": "campaigns.campaigntask",
    "transfer": "transfers.transfer",
}  # fmt: skip


def test_every_field_and_code_list_the_registry_names_exists():
    from django.apps import apps

    for code, action in ACTIONS.items():
        for key, ref in action.fields.items():
            parts = ref.split(".")
            if len(parts) == 3:
                apps.get_model(parts[0], parts[1])._meta.get_field(parts[2])
            elif len(parts) == 2:
                assert hasattr(apps.get_app_config(parts[0]).models_module, parts[1]), (code, key)
            else:
                apps.get_model(OBJECTS[code.split(".")[0]])._meta.get_field(ref)
