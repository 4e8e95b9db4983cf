"""hearsim's code generation (Brian 2's ``brian2.codegen``; ``from sim import *`` gives it as
``codegen``, as ``from brian2 import *`` does).

Model strings are parsed into a small intermediate representation (:mod:`sim.codegen.ir`),
integrated (:mod:`sim.codegen.stateupdate`) and translated (:mod:`sim.codegen.translate`) for a
target: ``numpy`` (:mod:`sim.codegen.numpy_target`), ``numba`` (compiled kernels and one
compiled run loop, :mod:`sim.codegen.numba_target`) or ``cuda``
(:mod:`sim.codegen.cuda_target`, code generation only).  ``prefs.codegen.target`` chooses the
target, as in Brian 2 (``'cython'`` is read as numba).  Importing this package loads nothing:
numba is imported when a numba kernel is first built.
"""
