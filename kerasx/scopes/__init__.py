"""Keras's scopes: `StatelessScope`, `SymbolicScope`, `name_scope`, `device`,
`RematScope` and `remat`."""

from kerasx.scopes.device import device
from kerasx.scopes.name_scope import current_path, name_scope
from kerasx.scopes.remat import RematMode, RematScope, get_current_remat_mode, remat
from kerasx.scopes.stateless import StatelessScope, get_stateless_scope, in_stateless_scope
from kerasx.scopes.symbolic import SymbolicScope, get_symbolic_scope, in_symbolic_scope

__all__ = ["RematMode", "RematScope", "StatelessScope", "SymbolicScope", "current_path",
           "device", "get_current_remat_mode", "get_stateless_scope", "get_symbolic_scope",
           "in_stateless_scope", "in_symbolic_scope", "name_scope", "remat"]
