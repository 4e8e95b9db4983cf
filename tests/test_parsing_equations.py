"""Model strings: whitelisted parsing, equation structure, flags, dimensions, pickling."""

import pickle

import numpy as np
import pytest

from sim import (
    DimensionMismatchError,
    EquationError,
    Equations,
    ModelSyntaxError,
    Network,
    NeuronGroup,
    ms,
    mV,
    nA,
    second,
    volt,
)
from sim.parsing import (
    get_identifiers,
    linear_split,
    parse_expression,
    parse_statements,
    to_source,
)


@pytest.mark.parametrize(
    "code, token",
    [
        ("__import__('os').system('ls')", "__import__"),
        ("v.__class__", "attribute access"),
        ("(lambda: 0)()", "lambda"),
        ("x[0]", "indexing"),
        ("[k for k in range(3)]", "list comprehension"),
        ("open('f')", "open"),
        ("eval('1')", "eval"),
        ("'abc'", "'abc'"),
        ("exp(x=1)", "Keyword"),
        ("a if b else c", "conditional"),
    ],
)
def test_malicious_or_foreign_syntax_refused(code, token):
    with pytest.raises(ModelSyntaxError) as exc:
        parse_expression(code)
    assert token in str(exc.value)


def test_malicious_model_string_refused_in_group():
    with pytest.raises(EquationError, match="__import__"):
        NeuronGroup(1, "dv/dt = __import__('os').getpid()/second : 1")
    with pytest.raises(ModelSyntaxError, match="attribute access"):
        NeuronGroup(1, "v : 1", threshold="v.real > 0")
    with pytest.raises(ModelSyntaxError, match="lambda"):
        NeuronGroup(1, "v : 1", threshold="v > 0", reset="v = (lambda: 1)()")


def test_statements_parse_and_reject():
    sts = parse_statements("v = vr\nw += b; x *= 2  # comment")
    assert [(s.var, s.op) for s in sts] == [("v", "="), ("w", "+="), ("x", "*=")]
    assert sts[1].reads == {"w", "b"}
    with pytest.raises(ModelSyntaxError, match="Only assignments"):
        parse_statements("import os")
    with pytest.raises(ModelSyntaxError, match="single variable"):
        parse_statements("a.b = 3")


def test_function_argument_count_checked():
    with pytest.raises(ModelSyntaxError, match="takes 1 argument"):
        parse_expression("exp(1, 2)")
    with pytest.raises(ModelSyntaxError, match="Unknown function 'foo'"):
        parse_expression("foo(1)")


def test_linear_split():
    a, b = linear_split(parse_expression("(El - v)/tau + 2*v*g"), "v")
    values = {"El": 3.0, "tau": 2.0, "g": 5.0}
    assert eval(to_source(a), values) == pytest.approx(-1 / 2 + 10)
    assert eval(to_source(b), values) == pytest.approx(1.5)
    assert linear_split(parse_expression("v*v"), "v") is None
    assert linear_split(parse_expression("exp(v)"), "v") is None
    assert linear_split(parse_expression("1/v"), "v") is None


def test_equation_kinds_and_flags():
    eqs = Equations(
        """
        dv/dt = (El - v + R*I)/tau : volt (unless refractory)  # membrane
        I = g*(E - v) : amp
        tau : second (constant)
        flag : boolean
        count : integer (shared)
        """
    )
    assert eqs.diff_eq_names == ["v"]
    assert eqs.subexpr_names == ["I"]
    assert eqs.parameter_names == ["tau", "flag", "count"]
    assert eqs["v"].flags == ("unless refractory",)
    assert eqs["count"].flags == ("shared",)
    assert eqs["flag"].var_type == "bool"
    assert eqs["v"].dim == volt.dim
    assert eqs.identifiers == {"El", "R", "g", "E"}


@pytest.mark.parametrize(
    "text, match",
    [
        ("dv/dt = -v/tau", "Missing ': unit'"),
        ("dv/dt = -v/tau : furlong", "Unknown unit 'furlong'"),
        ("dv/dt = -v/tau : volt (sometimes)", "Unknown flag"),
        ("v : volt\nv : volt", "defined twice"),
        ("t : second", "reserved"),
        ("dv/dt = : volt", "Missing expression"),
        # noise in a subexpression is Brian 2's (inlined into the differential equations
        # that use it): tests/test_brian2_examples_gaps.py
        ("exp : 1", "function"),
    ],
)
def test_equation_errors_name_the_line(text, match):
    with pytest.raises(EquationError, match=match):
        Equations(text)


def test_equations_pickle_roundtrip():
    eqs = Equations(
        """dv/dt = (El - v)/tau + sigma*xi*tau**-0.5 : volt (unless refractory)
        I = g*(E - v) : amp
        tau : second (constant)"""
    )
    back = pickle.loads(pickle.dumps(eqs))
    assert back == eqs
    assert str(back) == str(eqs)
    assert back["v"].dim == volt.dim
    assert back.noise_names == ["xi"]


def test_equation_substitution_and_addition():
    eqs = Equations("dv/dt = -v/tau : volt", tau="tau_m")
    assert "tau_m" in eqs.identifiers
    eqs2 = Equations("dv/dt = -v/tau : volt", tau=10 * ms)
    assert eqs2.identifiers == {"second"}
    both = eqs + "w : 1"
    assert both.names == ["v", "w"]


def test_subexpression_cycle_detected():
    eqs = Equations("a = b : 1\nb = a : 1")
    with pytest.raises(EquationError, match="Circular"):
        eqs.ordered_subexpressions()


def test_identifiers():
    assert get_identifiers("exp(-v/tau) + rand()") == {"v", "tau"}


def test_dimension_errors_name_line_and_dimensions():
    G = NeuronGroup(1, "dv/dt = -v : volt")
    with pytest.raises(DimensionMismatchError) as exc:
        Network(G).run(1 * ms, namespace={})
    msg = str(exc.value)
    assert "dv/dt = -v : volt" in msg and "m^2 kg s^-4 A^-1" in msg

    G = NeuronGroup(1, "dv/dt = (El - v)/tau : volt")
    with pytest.raises(DimensionMismatchError, match="El - v"):
        Network(G).run(1 * ms, namespace={"El": 3 * nA, "tau": 10 * ms})


def test_threshold_reset_and_assignment_unit_errors():
    tau = 10 * ms
    G = NeuronGroup(1, "dv/dt = -v/tau : volt", threshold="v > 3*nA", reset="v = 0*mV")
    with pytest.raises(DimensionMismatchError, match="v > 3\\*nA"):
        Network(G).run(1 * ms)
    G = NeuronGroup(1, "dv/dt = -v/tau : volt", threshold="v > 3*mV", reset="v = 2*nA")
    with pytest.raises(DimensionMismatchError, match="v = 2\\*nA"):
        Network(G).run(1 * ms)
    G = NeuronGroup(1, "dv/dt = -v/tau : volt", threshold="v + 1*mV", reset="v = 0*mV")
    with pytest.raises(TypeError, match="boolean"):
        Network(G).run(1 * ms)
    with pytest.raises(DimensionMismatchError):
        G.v = 3 * nA
    with pytest.raises(DimensionMismatchError):
        G.v = "3*nA"
    with pytest.raises(DimensionMismatchError):
        G.v = 3  # a plain number into a voltage
    G.v = -3 * mV
    assert float(G.v[0]) == pytest.approx(-0.003)
    del tau


def test_unresolved_identifier_named():
    G = NeuronGroup(1, "dv/dt = -v/tau_missing : volt")
    with pytest.raises(KeyError, match="tau_missing"):
        Network(G).run(1 * ms, namespace={})


def test_unit_of_second_derivative():
    eqs = Equations("dv/dt = v/second : volt")
    assert eqs["v"].dim == volt.dim
    assert second.dim != volt.dim


def test_star_import_gives_brian2_namespace_without_loading_heavy_modules():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import sim\n"
        "assert 'matplotlib' not in sys.modules and 'numba' not in sys.modules\n"
        "ns = {}\n"
        "exec('from sim import *', ns)\n"
        "assert callable(ns['plot']) and callable(ns['xlabel'])\n"
        "import numpy\n"
        "assert ns['sum'] is sim.sum and not {'max', 'min', 'abs', 'round', 'bool'} & set(ns)\n"
        "assert ns['sum'](numpy.ones(3)) == 3 and ns['sum'](k for k in range(4)) == 6\n"
        "assert ns['randn'] is numpy.random.randn and ns['fft'] is numpy.fft.fft\n"
        "assert ns['inv'] is numpy.linalg.inv and ns['seed'] is sim.seed\n"
        "assert 'matplotlib.pyplot' not in sys.modules  # loaded on first use only\n"
        "import matplotlib\n"
        "matplotlib.use('Agg')\n"
        "ns['figure'](); ns['plot']([1, 2]); ns['xlabel']('t')\n"
        "import matplotlib.pyplot as plt\n"
        "assert ns['plt'].gca().get_xlabel() == 't' and ns['plot'].__doc__ == plt.plot.__doc__\n"
        "m = ns['mean'](ns['arange'](3) * ns['mV'])\n"
        "assert abs(float(m) - 1e-3) < 1e-15 and m.dim == ns['volt'].dim\n"
        "assert ns['np'].exp(0) == 1 and ns['NeuronGroup'] is sim.NeuronGroup\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_substitution_by_an_expression():
    from sim import NeuronGroup, ms, run

    eqs = Equations("dv/dt = (I_ext - v)/tau_x : 1", tau_x=10 * ms, I_ext="I0 + I1")
    assert str(eqs) == "dv/dt = (I0 + I1 - v) / (0.01 * second) : 1"
    G = NeuronGroup(1, eqs, method="exact", namespace={"I0": 0.5, "I1": 0.7})
    run(100 * ms)
    assert np.isclose(G.v[0], 1.2 * (1 - np.exp(-10)))
    with pytest.raises(EquationError, match="neither a name nor a valid expression"):
        Equations("dv/dt = -v/tau : 1", tau="2 +* 3")
    with pytest.raises(EquationError, match="model variable 'v'"):
        Equations("dv/dt = -v/tau : 1", v="w + 1")


def test_an_expression_may_run_over_several_lines_up_to_its_unit():
    eqs = Equations("""
    dv/dt = (gl*(El - v) +
             ge*(Ee - v))/Cm : volt   # as Brian 2's COBAHH example writes it
    ge : siemens
    dx/dt = -x/tau
        : 1
    """)
    assert str(eqs["v"].expr).replace(" ", "") == "(gl*(El-v)+ge*(Ee-v))/Cm"
    assert eqs["x"].dim.is_dimensionless and eqs["x"].expr.replace(" ", "") == "-x/tau"
    with pytest.raises(EquationError, match="Missing ': unit'"):
        Equations("dv/dt = -v/tau")
