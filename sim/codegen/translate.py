"""Expression ASTs -> target source text: the shared walk, with one hook per target.

Every target writes arithmetic the same way; they differ in how they write
logic (``and`` on scalars, ``logical_and`` on arrays), calls (``math.exp`` or
``np.exp``) and random draws (one element or a whole array).  A target
subclasses :class:`ExpressionTranslator` and overrides those hooks.
"""

from __future__ import annotations

import ast

from sim.parsing import ModelSyntaxError

__all__ = ["ExpressionTranslator", "BINOPS", "CMPOPS", "RANDOM_FUNCTIONS"]

BINOPS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**",
}
CMPOPS = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
}
#: Functions whose every call site draws from its own random stream.
RANDOM_FUNCTIONS = ("rand", "randn", "binomial", "poisson", "geometric")


class ExpressionTranslator:
    """The walk over an expression; targets override the ``*_text`` hooks.

    Random call sites are numbered in the order the walk meets them (arguments
    first), the same order on every target, so that site ``k`` of a block draws
    from the same stream everywhere.
    """

    target = "target"

    def __init__(self, functions: dict[str, str]):
        self.functions = functions
        self.random_sites = 0

    def __call__(self, node: ast.expr) -> str:
        return self.visit(node)

    # -- hooks --------------------------------------------------------------------
    def not_text(self, operand: str) -> str:
        raise NotImplementedError

    def boolop_text(self, is_and: bool, operands: list[str]) -> str:
        raise NotImplementedError

    def where_text(self, cond: str, a: str, b: str) -> str:
        raise NotImplementedError

    def random_text(self, name: str, args: list[str], site: int) -> str:
        raise NotImplementedError

    def call_text(self, name: str, args: list[str]) -> str:
        if name not in self.functions:
            raise ModelSyntaxError(f"The {self.target} target has no implementation of "
                                   f"'{name}()'")
        template = self.functions[name]
        if "{args}" in template:
            return template.format(args=", ".join(args))
        return f"{template}({', '.join(args)})"

    # -- the walk -------------------------------------------------------------------
    def visit(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return repr(node.value)
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return self.not_text(self.visit(node.operand))
            sign = "-" if isinstance(node.op, ast.USub) else "+"
            return f"({sign}{self.visit(node.operand)})"
        if isinstance(node, ast.BinOp):
            return f"({self.visit(node.left)} {BINOPS[type(node.op)]} {self.visit(node.right)})"
        if isinstance(node, ast.BoolOp):
            return self.boolop_text(isinstance(node.op, ast.And),
                                    [self.visit(v) for v in node.values])
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            parts = [
                f"({self.visit(a)} {CMPOPS[type(op)]} {self.visit(b)})"
                for a, op, b in zip(operands[:-1], node.ops, operands[1:], strict=True)
            ]
            return parts[0] if len(parts) == 1 else self.boolop_text(True, parts)
        if isinstance(node, ast.Call):
            name = node.func.id
            args = [self.visit(a) for a in node.args]  # arguments first, then the call site
            if name == "where":
                return self.where_text(*args)
            if name in RANDOM_FUNCTIONS:
                site = self.random_sites
                self.random_sites += 1
                return self.random_text(name, args, site)
            return self.call_text(name, args)
        raise ModelSyntaxError(f"Cannot translate '{ast.unparse(node)}' for {self.target}")
