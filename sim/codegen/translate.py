"""Expression ASTs -> target source text: the shared walk, with one hook per target.

Every target writes arithmetic the same way; they differ in how they write
logic (``and`` on scalars, ``logical_and`` on arrays), calls (``math.exp`` or
``np.exp``) and random draws (one element or a whole array).  A target
subclasses :class:`ExpressionTranslator` and overrides those hooks.
"""

from __future__ import annotations

import ast

from sim.parsing import ModelSyntaxError

__all__ = ["ExpressionTranslator", "BINOPS", "CMPOPS", "RANDOM_FUNCTIONS", "int_message"]

BINOPS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**",
}
CMPOPS = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
}
#: Functions whose every call site draws from its own random stream.
RANDOM_FUNCTIONS = ("rand", "randn", "binomial", "poisson", "geometric")
_INF = float("inf")


def int_message(node: ast.Call) -> str:
    """The error a kernel raises when ``int()`` meets a value with no integer."""
    return (f"int() of a value that is infinite, NaN or beyond the 64-bit integer range, "
            f"in '{ast.unparse(node)}'")


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
        #: names written under another name (a target's single-assignment form)
        self.renamed: dict[str, str] = {}

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

    def power_text(self, base: str, exponent: str, integer_exponent: bool) -> str:
        """``base ** exponent``; ``integer_exponent``: a literal integer >= 0.

        A power is a floating-point power, whatever its operands' types: the
        mathematically right ``0**-1 == inf`` (IEEE), never an integer power that
        overflows or raises. Targets override this to force floating point.
        """
        return f"({base} ** {exponent})"

    def int_text(self, arg: str, node: ast.Call) -> str:
        """``int(x)`` (truncation towards zero); by default through ``functions``."""
        return self.call_text(node.func.id, [arg])

    def binop_text(self, op: type, left: str, right: str) -> str:
        return f"({left} {BINOPS[op]} {right})"

    def _power(self, node: ast.BinOp) -> str:
        exponent = node.right
        integer = (isinstance(exponent, ast.Constant) and type(exponent.value) in (int, bool)
                   and exponent.value >= 0)
        base = node.left
        if isinstance(base, ast.Constant) and type(base.value) is int:
            base_text = repr(float(base.value))  # 10**19 must not be an int64 power
        else:
            base_text = self.visit(base)
        return self.power_text(base_text, self.visit(exponent), integer)

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
            value = node.value
            if isinstance(value, float) and value != value or value in (_INF, -_INF):
                raise ModelSyntaxError(f"Cannot write the literal {value!r} for {self.target}")
            if type(value) is int and not -2**63 <= value < 2**63:
                return repr(float(value))  # beyond int64: the float the maths uses anyway
            return repr(value)
        if isinstance(node, ast.Name):
            return self.renamed.get(node.id, node.id)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return self.not_text(self.visit(node.operand))
            sign = "-" if isinstance(node.op, ast.USub) else "+"
            return f"({sign}{self.visit(node.operand)})"
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                return self._power(node)
            return self.binop_text(type(node.op), self.visit(node.left), self.visit(node.right))
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
            if name in ("int", "int_") and len(args) == 1:
                return self.int_text(args[0], node)
            if name in RANDOM_FUNCTIONS:
                site = self.random_sites
                self.random_sites += 1
                return self.random_text(name, args, site)
            return self.call_text(name, args)
        raise ModelSyntaxError(f"Cannot translate '{ast.unparse(node)}' for {self.target}")
