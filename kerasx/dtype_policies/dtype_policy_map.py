"""`DTypePolicyMap`: dtype policies by layer path."""

import re
from collections.abc import MutableMapping

from kerasx.dtype_policies.dtype_policy import DTypePolicy


class DTypePolicyMap(DTypePolicy, MutableMapping):
    """Maps layer paths (`"encoder/dense"`, or regular expressions such as
    `"encoder/.*"`) to `DTypePolicy`s; a path nothing matches gets `default_policy`.

    Used as a policy it is its default policy (`compute_dtype`, `variable_dtype`).

    Args:
        default_policy: the policy of unmatched paths (None: the global policy,
            looked up when asked).
        policy_map: an optional dict of paths to policies (or policy names).
    """

    def __init__(self, default_policy=None, policy_map=None):
        if isinstance(default_policy, DTypePolicyMap):
            raise ValueError("`default_policy` cannot be a DTypePolicyMap; pass a DTypePolicy "
                             "or a policy name.")
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError(f"`policy_map` must be a dict of paths to policies, received "
                            f"{policy_map!r} of type {type(policy_map).__name__}.")
        from kerasx.dtype_policies import get

        self._default_policy_arg = default_policy
        self._default_policy = None if default_policy is None else get(default_policy)
        self._policy_map = {}
        for key, policy in (policy_map or {}).items():
            self[key] = policy
        self._quantization_mode = None

    @property
    def default_policy(self):
        from kerasx.dtype_policies.dtype_policy import dtype_policy

        return self._default_policy or dtype_policy()

    @property
    def _name(self):
        return f"map_{self.default_policy.name}"

    @property
    def _compute_dtype(self):
        return self.default_policy.compute_dtype

    @property
    def _variable_dtype(self):
        return self.default_policy.variable_dtype

    def __getitem__(self, key):
        """The policy of path `key`: an exact key first, else the one key that matches
        it as a regular expression (`re.fullmatch`), else the default policy."""
        if key in self._policy_map:
            return self._policy_map[key]
        matching = [pattern for pattern in self._policy_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(f"Path {key!r} matches several dtype policy keys: {matching}. Make "
                             "each path match at most one key of the DTypePolicyMap.")
        return self._policy_map[matching[0]] if matching else self.default_policy

    def __setitem__(self, key, policy):
        from kerasx.dtype_policies import get

        if key in self._policy_map:
            raise ValueError(f"{key!r} is already in the DTypePolicyMap (with "
                             f"{self._policy_map[key]}); keys must not repeat.")
        try:
            policy = get(policy)
        except (TypeError, ValueError) as e:
            raise ValueError(f"Cannot use {policy!r} as a dtype policy: {e}") from None
        self._policy_map[key] = policy

    def __delitem__(self, key):
        return self._policy_map.pop(key)

    def __contains__(self, key):
        return key in self._policy_map

    def __len__(self):
        return len(self._policy_map)

    def __iter__(self):
        return iter(self._policy_map)

    def __eq__(self, other):
        return (type(other) is DTypePolicyMap and self.default_policy == other.default_policy
                and self._policy_map == other._policy_map)

    __hash__ = None

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        return {"default_policy": serialize_keras_object(self._default_policy_arg),
                "policy_map": serialize_keras_object(self._policy_map)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasx.dtype_policies import deserialize

        config = dict(config)
        config["policy_map"] = {k: deserialize(v, custom_objects) if isinstance(v, dict) else v
                                for k, v in (config.get("policy_map") or {}).items()}
        if isinstance(config.get("default_policy"), dict):
            config["default_policy"] = deserialize(config["default_policy"], custom_objects)
        return cls(**config)

    def __repr__(self):
        mapping = [(k, v.name) for k, v in self._policy_map.items()]
        default = None if self._default_policy is None else self._default_policy.name
        return f"<DTypePolicyMap default_policy={default}, mapping={mapping}>"
