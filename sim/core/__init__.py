"""Brian 2's ``brian2.core`` module paths, for scripts that import from them
(``from brian2.core.functions import timestep``): each submodule gives the names of
Brian 2's module of that name that hearsim has."""
