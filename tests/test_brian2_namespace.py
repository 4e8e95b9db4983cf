"""Brian 2's namespace and devices (issue 20, items 5 and 7).

``from sim import *`` gives what ``from brian2 import *`` gives: pylab's names (as stand-ins
that import matplotlib when first used), ``numpy``, ``codegen``, ``units``, ``timestep``,
``reinit_devices``; :mod:`sim.units.constants`; ``Group.add_attribute``; the standalone
device calls.  And a user's ``sounds.py`` that hides hearsim's ``sounds`` package is named in
the error that ``import hears`` raises.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import sim
from sim import (
    NeuronGroup,
    SpikeMonitor,
    defaultclock,
    device,
    get_device,
    ms,
    prefs,
    reinit_devices,
    reset_device,
    run,
    set_device,
    start_scope,
    timestep,
)
from sim.units import DimensionMismatchError, second


def _python(code: str, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


def test_star_import_gives_pylab_names_without_importing_matplotlib():
    result = _python("""
        import sys
        ns = {}
        exec("from sim import *", ns)
        names = ("polar", "xscale", "specgram", "mpl", "ScalarFormatter", "rcParams", "plt",
                 "subplots", "semilogy", "Figure", "MaxNLocator", "colormaps", "numpy",
                 "codegen", "timestep", "reinit_devices", "units")
        missing = [n for n in names if n not in ns]
        assert not missing, missing
        assert "matplotlib" not in sys.modules, "from sim import * imported matplotlib"
        assert "numba" not in sys.modules
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_import_sim_stays_light():
    result = _python("""
        import sys
        import sim
        import sim.units.constants
        assert "matplotlib" not in sys.modules and "numba" not in sys.modules
        print("ok")
    """)
    assert result.returncode == 0, result.stderr


def test_pylab_stand_ins_work_when_used():
    result = _python("""
        import inspect
        import sys
        ns = {}
        exec("from sim import *", ns)
        fig = ns["figure"]()
        ns["plot"]([1, 2, 3], [1, 10, 100])
        ns["xscale"]("log")
        assert ns["gca"]().get_xscale() == "log"
        import matplotlib
        import matplotlib.pyplot as plt
        from matplotlib.ticker import ScalarFormatter
        assert ns["mpl"].__version__ == matplotlib.__version__
        assert ns["plt"].gcf() is fig
        # a class stand-in makes real instances, and isinstance / subclassing work
        formatter = ns["ScalarFormatter"](useMathText=True)
        assert type(formatter) is ScalarFormatter and isinstance(formatter, ns["ScalarFormatter"])
        class MyFormatter(ns["ScalarFormatter"]):
            pass
        assert issubclass(MyFormatter, ScalarFormatter)
        ns["gca"]().yaxis.set_major_formatter(MyFormatter())
        ax = ns["subplot"](122, projection="polar")
        ns["polar"]([0, 1], [1, 2])
        Pxx, freqs, bins, im = ns["specgram"](ns["randn"](2048), NFFT=256, Fs=1000)
        assert Pxx.shape[0] == 129
        # objects: rcParams reads and writes matplotlib's
        ns["rcParams"]["lines.linewidth"] = 3
        assert matplotlib.rcParams["lines.linewidth"] == 3
        assert "viridis" in ns["colormaps"]
        assert ns["DAILY"] == 3
        assert ns["plot"].__doc__ == plt.plot.__doc__
        assert "value" in str(inspect.signature(ns["xscale"]))
        import sim
        assert sim.plot is sim.plot  # one stand-in per name
        ns["close"]("all")
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_stand_in_repr_before_use_and_unknown_name():
    from sim import _pylab

    stand_in = _pylab.LazyFunction("no_such_pylab_function")
    assert "imported on first use" in repr(stand_in)
    # isinstance against a class stand-in before matplotlib is loaded imports nothing
    assert not isinstance(3, _pylab.LazyClass("ScalarFormatter")) or "matplotlib" in sys.modules
    pytest.importorskip("matplotlib")
    with pytest.raises(AttributeError, match="no_such_pylab_function.*make_pylab_names"):
        stand_in()


def test_sim_own_names_win_over_pylab():
    ns = {}
    exec("from sim import *", ns)
    assert ns["seed"] is sim.seed  # pylab's numpy.random.seed is hidden, as in Brian 2
    assert ns["cm"] is sim.cm and ns["gray"] is sim.gray  # units, not pyplot's colormaps
    assert ns["numpy"] is np and ns["np"] is np
    assert ns["codegen"] is sys.modules["sim.codegen"]
    assert ns["units"].constants is sys.modules["sim.units.constants"]
    assert not {"max", "min", "abs", "round", "bool", "f", "x"} & set(ns)


def test_timestep_as_brian2():
    assert timestep(0.3 * ms, 0.1 * ms) == 3  # not 2, despite 0.3/0.1 < 3 in floating point
    assert isinstance(timestep(0 * ms, 0.1 * ms), int)
    steps = timestep(np.arange(5) * 0.1 * ms, 0.1 * ms)
    assert steps.dtype == np.int64 and list(steps) == [0, 1, 2, 3, 4]
    assert timestep(0.00029999, 0.0001) == 3  # within a thousandth of dt: the next step
    assert timestep(0.0002998, 0.0001) == 2
    # Brian 2's "never spiked" lastspike: the int64 conversion truncates towards zero
    assert timestep(-1e4 * second, 0.1 * ms) == -99999999
    with pytest.raises(DimensionMismatchError):
        timestep(1 * sim.mV, 0.1 * ms)
    with pytest.raises(ValueError, match="infinite"):
        timestep(np.inf * second, 0.1 * ms)


def test_physical_constants():
    from sim.units import allunits as u
    from sim.units import constants as c
    from sim.units import have_same_dimensions

    brian2_values = {  # brian2/units/constants.py (CODATA 2014)
        "avogadro_constant": (6.022140857e23, 1 / u.mole),
        "boltzmann_constant": (1.38064852e-23, u.joule / u.kelvin),
        "electric_constant": (8.854187817e-12, u.farad / u.meter),
        "electron_mass": (9.10938356e-31, u.kilogram),
        "elementary_charge": (1.6021766208e-19, u.coulomb),
        "faraday_constant": (96485.33289, u.coulomb / u.mole),
        "gas_constant": (8.3144598, u.joule / u.mole / u.kelvin),
        "magnetic_constant": (4 * np.pi * 1e-7, u.newton / u.amp**2),
        "molar_mass_constant": (1e-3, u.kilogram / u.mole),
        "zero_celsius": (273.15, u.kelvin),
    }
    assert sorted(c.__all__) == sorted(brian2_values)
    for name, (value, unit) in brian2_values.items():
        quantity = getattr(c, name)
        assert have_same_dimensions(quantity, unit), name
        assert float(quantity) == pytest.approx(value, rel=1e-12), name
    scipy_constants = pytest.importorskip("scipy.constants")
    newer = {"avogadro_constant": "N_A", "boltzmann_constant": "k",
             "electric_constant": "epsilon_0", "electron_mass": "m_e",
             "elementary_charge": "e", "faraday_constant": "physical_constants",
             "gas_constant": "R", "magnetic_constant": "mu_0"}
    for name, attr in newer.items():
        ref = (scipy_constants.physical_constants["Faraday constant"][0]
               if attr == "physical_constants" else getattr(scipy_constants, attr))
        assert float(getattr(c, name)) == pytest.approx(ref, rel=1e-6), name
    assert float(c.zero_celsius) == scipy_constants.zero_Celsius
    # usable in models, e.g. the Nernst potential
    E = c.gas_constant * (c.zero_celsius + 37 * u.kelvin) / c.faraday_constant
    assert have_same_dimensions(E, u.volt) and float(E) == pytest.approx(0.0267266, rel=1e-5)


def test_add_attribute():
    G = NeuronGroup(2, "v : 1")
    with pytest.raises(AttributeError, match="no such variable"):
        G.label = "input"
    G.add_attribute("label")
    assert G.label is None
    G.label = "input"
    assert G.label == "input"
    with pytest.raises(AttributeError, match="already a state variable"):
        G.add_attribute("v")
    with pytest.raises(AttributeError, match="already an attribute"):
        G.add_attribute("label")


def test_reinit_devices_resets_preferences_clock_and_device():
    set_device("cpp_standalone", build_on_run=False, directory=None)
    try:
        defaultclock.dt = 0.05 * ms
        prefs.codegen.target = "numpy"
        device.build(run=False)
        reinit_devices()
        assert float(defaultclock.dt) == pytest.approx(1e-4)
        assert prefs.codegen.target == type(prefs)().codegen.target  # the default again
        assert get_device().name == "cpp_standalone" and not device.has_been_built
        assert get_device().build_on_run is False and get_device().options == {
            "directory": None}
    finally:
        reset_device()


def _standalone_model():
    G = NeuronGroup(10, "dv/dt = (1.1 - v)/(10*ms) : 1", threshold="v > 1", reset="v = 0",
                    method="exact")
    G.v = "i/10."
    return G, SpikeMonitor(G)


def test_device_build_run_false_then_device_runs():
    start_scope()
    set_device("cpp_standalone", build_on_run=False)
    try:
        G, M = _standalone_model()
        run(100 * ms)  # build_on_run=False: recorded, not run yet (as Brian 2)
        assert M.num_spikes == 0
        device.build(run=False, directory=None)  # Brian 2: compile, run later
        assert device.has_been_built and not device.has_been_run
        device.run()  # the first execution
        device.apply_run_args()
        assert device.has_been_run and M.num_spikes == 40  # same as a runtime run
        assert hash(G.v) == hash(G.v) and len({G.v: 1}) == 1  # dict keys, as Brian 2
        device.run()  # again, from the initial state: the same (deterministic) spikes
        assert M.num_spikes == 40
        device.run(run_args={G.v: 0.5})  # every neuron starts at 0.5: in phase
        assert M.num_spikes == 40 and len(set(np.asarray(M.t_).round(9))) == 4
        device.reinit()
        with pytest.raises(RuntimeError, match="build"):
            device.run()
    finally:
        reset_device()


def test_device_run_args_checked_before_anything_changes():
    start_scope()
    set_device("cpp_standalone", build_on_run=False)
    try:
        G, M = _standalone_model()
        run(100 * ms)
        device.build(run=False)
        device.run()
        with pytest.raises(TypeError, match="keys are a group's variables"):
            device.run(run_args={"v": np.zeros(10)})
        assert M.num_spikes == 40 and float(G.v[0]) != 0  # nothing changed
    finally:
        reset_device()


def test_devices_documented_in_module_doc():
    import sim.devices

    doc = sim.devices.__doc__
    for call in ("device.build(", "run=False", "device.run()", "run_args", "apply_run_args",
                 "reinit_devices()"):
        assert call in doc, call


def test_user_sounds_py_hiding_the_package_is_named(tmp_path):
    (tmp_path / "sounds.py").write_text("x = 1\n")
    result = _python("import hears", cwd=tmp_path)
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert str(tmp_path / "sounds.py") in result.stderr and "rename" in result.stderr
    # a script of that name run from its folder (brian2hears' example sounds.py) gets
    # hearsim's package: hears loads it by its path instead of running the script again
    script = tmp_path / "other"
    script.mkdir()
    (script / "sounds.py").write_text(
        "from sim import *\nfrom hears import *\nimport sys\n"
        "print(tone(1*kHz, 10*ms).nsamples, sys.modules['sounds'].__hearsim__)\n")
    result = subprocess.run([sys.executable, "sounds.py"], capture_output=True, text=True,
                            cwd=script, env=dict(os.environ, MPLBACKEND="Agg"), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["441", "True"]


def test_hearsim_sounds_has_marker_and_hears_imports_normally(tmp_path):
    import sounds

    assert sounds.__hearsim__ is True
    result = _python("import hears; print('ok')", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
