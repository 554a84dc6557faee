"""Builds a package's public namespace from the `__all__` of each of its modules."""

import importlib
import pkgutil


def export_modules(package_name, package_path, namespace):
    """Imports every module of a package and copies the names in its `__all__`
    into `namespace` (the package's globals); returns the exported names."""
    exported = []
    for info in sorted(pkgutil.iter_modules(package_path), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package_name}.{info.name}")
        for name in getattr(module, "__all__", ()):
            namespace[name] = getattr(module, name)
            exported.append(name)
    return exported
