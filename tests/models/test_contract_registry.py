"""The model contract over every registered model: a model added to ``REGISTRY`` is tested here
without writing a test class (pass small hyper-parameters through ``FAST_PARAMS`` if its defaults
are slow)."""

from recsys_core.models import REGISTRY

from .contract import FAST_PARAMS, contract_classes

globals().update(contract_classes(REGISTRY, FAST_PARAMS))


def test_every_registered_model_has_a_contract_class():
    generated = contract_classes(REGISTRY, FAST_PARAMS)
    assert sorted(c.registry_name for c in generated.values()) == sorted(REGISTRY)
    assert all(name in globals() for name in generated)
