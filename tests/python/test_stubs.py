"""The .pyi stubs describe _core exactly: every public name, class member and argument."""

import ast
import inspect
from pathlib import Path

import wsfleet
from wsfleet import _core

STUB = Path(wsfleet.__file__).with_name("_core.pyi")


def _stub_tree():
    return ast.parse(STUB.read_text())


def test_stub_is_installed():
    assert STUB.is_file()
    assert Path(wsfleet.__file__).with_name("py.typed").is_file()


def test_every_public_name_has_a_stub_and_back():
    tree = _stub_tree()
    stubbed = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    public = {name for name in dir(_core) if not name.startswith("_")}
    assert stubbed == public


def test_class_members_match():
    tree = _stub_tree()
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or node.name.endswith("Error"):
            continue
        stubbed = {n.name for n in node.body if isinstance(n, ast.FunctionDef)} - {"__init__"}
        actual = {name for name in vars(getattr(_core, node.name)) if not name.startswith("_")}
        assert stubbed == actual, node.name


def test_keyword_arguments_match_the_docstrings():
    # pybind11 puts the signature in the first docstring line: check argument names agree.
    tree = _stub_tree()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            doc = inspect.getdoc(getattr(_core, node.name)) or ""
            for arg in node.args.args:
                assert f"{arg.arg}:" in doc.splitlines()[0], (node.name, arg.arg)
