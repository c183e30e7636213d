"""A post."""

from django.db import models


class Post(models.Model):
    """A blog post; creating one publishes `blog.post.created` (blog/views.py)."""

    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title
