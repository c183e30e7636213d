"""Create a post and announce it, in one transaction: the post and its webhook event commit together, or neither."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from blog.models import Post
from hooks.contrib.django import publish_event


class DemoFailure(Exception):
    """Raised on purpose after publishing (the `fail` field), as any later error in a request could be."""


@csrf_exempt  # a small API for scripts and the tests; an HTML form would carry {% csrf_token %} instead
@require_http_methods(["GET", "POST"])
def posts(request: HttpRequest) -> JsonResponse:
    """GET: the posts. POST title, body (and fail=1 to see a rollback): create one, publish blog.post.created."""
    if request.method == "GET":
        return JsonResponse({"posts": list(Post.objects.order_by("id").values("id", "title"))})
    title = request.POST.get("title", "").strip()
    if not title:
        return JsonResponse({"error": "title: required."}, status=400)
    event_id = None
    try:
        with transaction.atomic():
            post = Post.objects.create(title=title, body=request.POST.get("body", ""))
            event_id = publish_event(
                "blog.post.created",
                {"id": post.pk, "title": post.title, "body": post.body, "created_at": post.created_at.isoformat()},
                stack="blog",
                summary={"id": post.pk, "title": post.title},
            )
            if request.POST.get("fail"):
                raise DemoFailure("failed after publishing, on purpose")
    except DemoFailure as exc:  # the post and its event were rolled back together: no webhook is sent
        return JsonResponse({"error": str(exc), "rolled_back_event_id": event_id}, status=500)
    return JsonResponse({"id": post.pk, "event_id": event_id}, status=201)
