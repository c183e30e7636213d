"""The producer's API is small and pinned."""

import hooks


def test_the_public_names_are_exactly_these():
    assert set(hooks.__all__) == {
        "Delivery", "HooksError", "NotFoundError", "PublishError", "ValidationError", "Webhook",
        "create_webhook", "delete_webhook", "disable_webhook", "enable_webhook", "get_delivery", "get_webhook",
        "list_deliveries", "list_webhooks", "portal_url", "publish_event", "publish_events", "rotate_secret", "update_webhook",
    }  # fmt: skip
    for name in hooks.__all__:
        assert getattr(hooks, name) is not None


def test_validation_error_is_a_value_error_and_every_error_shares_one_base():
    assert issubclass(hooks.ValidationError, ValueError)
    for err in (hooks.ValidationError, hooks.PublishError, hooks.NotFoundError):
        assert issubclass(err, hooks.HooksError)
