"""The webhook model refuses what cannot be delivered safely, with a message naming the field."""

import base64

import pydantic
import pytest

from hooks.models.rules import from_pydantic
from hooks.models.webhook import Webhook, generate_secret, secret_key


def make(**kw):
    return Webhook(**{"url": "https://example.com/h", "events": ["a.#"], **kw})


def error_of(**kw) -> str:
    with pytest.raises(pydantic.ValidationError) as info:
        make(**kw)
    return str(from_pydantic(info.value))


def test_defaults_generate_a_standard_secret_and_sortable_id():
    wh = make()
    assert wh.secret.startswith("whsec_") and len(secret_key(wh.secret)) == 32
    assert wh.id.startswith("wh_") and wh.branches == ["main"] and wh.enabled and wh.name == "https://example.com/h"
    assert generate_secret() != generate_secret()


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"url": "ftp://example.com/"}, "url"),
        ({"url": "https://user:pw@example.com/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"events": []}, "events"),
        ({"events": ["a..b"]}, "events"),
        ({"events": ["a.b*"]}, "events"),
        ({"events": ["A"]}, "events"),
        ({"stack": "a/b"}, "stack"),
        ({"branches": []}, "branches"),
        ({"branches": ["bad branch"]}, "branches"),
        ({"headers": {"Host": "x"}}, "headers"),
        ({"headers": {"webhook-id": "x"}}, "headers"),
        ({"headers": {"Authorization": "x"}}, "headers"),
        ({"headers": {"Content-Type": "x"}}, "headers"),
        ({"headers": {"X-A": "a\r\nInjected: 1"}}, "headers"),
        ({"headers": {"Bad Name": "x"}}, "headers"),
        ({"secret": "whsec_" + base64.b64encode(b"short").decode()}, "secret"),
        ({"secret": "whsec_" + base64.b64encode(b"x" * 65).decode()}, "secret"),
        ({"secret": "plain"}, "secret"),
        ({"secret": "whsec_!!!"}, "secret"),
        ({"auth": {"type": "basic", "username": "a:b", "password": "p"}}, "auth"),
        ({"auth": {"type": "bearer", "token": ""}}, "auth"),
        ({"auth": {"type": "oauth"}}, "auth"),
        ({"retry_policy": "sometimes"}, "retry_policy"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(kw, field):
    message = error_of(**kw)
    assert message.startswith(field), message


def test_a_secret_of_24_to_64_bytes_is_accepted():
    for n in (24, 64):
        make(secret="whsec_" + base64.b64encode(b"k" * n).decode())


def test_star_among_branches_means_all():
    assert make(branches=["main", "*"]).branches == ["*"]


def test_public_dict_hides_secret_and_credentials_unless_asked():
    wh = make(auth={"type": "basic", "username": "u", "password": "hunter2hunter2"})
    shown = wh.public_dict()
    assert wh.secret not in str(shown) and "hunter2hunter2" not in str(shown)
    assert wh.public_dict(show_secret=True)["secret"] == wh.secret
