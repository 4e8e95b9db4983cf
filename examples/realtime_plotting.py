#!/usr/bin/env python
# ruff: noqa: E401, E402, F403, F405, I001  (hearsim: Brian 1's script kept as it was)
'''
Realtime plotting example
'''

# These lines are necessary for interactive plotting when launching from the
# Eclipse IDE, they may not be necessary in every environment.
import matplotlib
matplotlib.use('WXAgg') # You may need to experiment, try WXAgg, GTKAgg, QTAgg, TkAgg

# hearsim: Brian 1.2's script (examples/misc/realtime_plotting.py), its import line changed
# to hearsim's and these lines added:
#     python examples/realtime_plotting.py [output.png] [--short]
# --short (or HEARSIM_EXAMPLE_SHORT=1) simulates 200 ms instead of 1 s; with --short or a
# file name it draws without a window (Agg) and writes the figure as it is at the end of
# the run (default realtime_plotting.png).  Without wxPython the window is Tk's.
import importlib.util, os, sys, warnings
from pathlib import Path
_short = '--short' in sys.argv or os.environ.get('HEARSIM_EXAMPLE_SHORT') == '1'
_seconds = 0.2 if _short else 1.0
_figure = next((a for a in sys.argv[1:] if not a.startswith('--')),
               'realtime_plotting.png' if _short else None)
if _figure:
    matplotlib.use('Agg')
    warnings.filterwarnings('ignore', 'FigureCanvasAgg is non-interactive')
elif importlib.util.find_spec('wx') is None:
    matplotlib.use(os.environ.get('MPLBACKEND') or 'TkAgg')


def _write_figure(path):
    '''The figure as it is at the end of the run, and what the network did.'''
    savefig(path, dpi=100)
    print(f'{M.nspikes} spikes from {N} neurons: {M.nspikes / N / _seconds:.1f} Hz; '
          f'synapses: {len(Ce)} excitatory, {len(Ci)} inhibitory')
    print(f'figure: {Path(path).resolve()}')


from sim import *
###### Set up the standard CUBA example ######
N = 4000
eqs = '''
dv/dt = (ge+gi-(v+49*mV))/(20*ms) : volt
dge/dt = -ge/(5*ms) : volt
dgi/dt = -gi/(10*ms) : volt
'''
P = NeuronGroup(N, eqs, threshold= -50 * mV, reset= -60 * mV)
P.v = -60 * mV + 10 * mV * rand(len(P))
Pe = P.subgroup(3200)
Pi = P.subgroup(800)
Ce = Connection(Pe, P, 'ge', weight=1.62 * mV, sparseness=0.02)
Ci = Connection(Pi, P, 'gi', weight= -9 * mV, sparseness=0.02)

M = SpikeMonitor(P)
trace = RecentStateMonitor(P, 'v', record=range(5), duration=200 * ms)

ion()
subplot(211)
raster_plot(M, refresh=10 * ms, showlast=200 * ms, redraw=False)
subplot(212)
trace.plot(refresh=10 * ms, showlast=200 * ms)

run(_seconds * second)  # hearsim: was run(1 * second)

if _figure:  # hearsim
    _write_figure(_figure)

ioff() # switch interactive mode off
show() # and wait for user to close the window before shutting down
