"""The helpers other routes build on (hooks.api.scope): `check_stack` and the global-keys-only dependencies."""

from __future__ import annotations

import pytest
from starlette.exceptions import HTTPException

from hooks.api.apikeys import ApiKey
from hooks.api.scope import check_stack, global_key, global_writer
from hooks.errors import NotFoundError, ValidationError

GLOBAL = ApiKey("0" * 12, "ops", False, 0.0)
ACME = ApiKey("1" * 12, "acme", False, 0.0, stack="acme")
ACME_READER = ApiKey("2" * 12, "acme viewer", True, 0.0, stack="acme")


def test_a_global_key_acts_on_the_stack_named_or_on_none():
    assert check_stack(GLOBAL, "bravo") == "bravo" and check_stack(GLOBAL, None) is None


def test_a_bound_key_acts_on_its_own_stack_whether_named_or_left_out():
    assert check_stack(ACME, None) == "acme" and check_stack(ACME, "acme") == "acme"


def test_a_bound_key_naming_another_stack_is_a_validation_error_naming_the_field():
    with pytest.raises(ValidationError, match=r"^stack: this API key is bound to stack 'acme'"):
        check_stack(ACME, "bravo")
    with pytest.raises(ValidationError, match=r"^filter\.stack: "):
        check_stack(ACME, "bravo", field="filter.stack")


def test_another_stacks_object_raises_the_not_found_error_given():
    unknown = NotFoundError("webhook wh_1 does not exist.")
    with pytest.raises(NotFoundError) as raised:
        check_stack(ACME, "bravo", not_found=unknown)
    assert raised.value is unknown
    assert check_stack(GLOBAL, "bravo", not_found=unknown) == "bravo"


def test_global_only_routes_refuse_a_bound_key_with_a_403_and_let_a_global_key_in():
    assert global_key(GLOBAL) is GLOBAL and global_writer(GLOBAL) is GLOBAL
    for key in (ACME, ACME_READER):
        with pytest.raises(HTTPException) as refused:
            global_key(key)
        assert refused.value.status_code == 403 and "global key" in refused.value.detail
