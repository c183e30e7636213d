"""Posts in the admin."""

from django.contrib import admin

from blog.models import Post

admin.site.register(Post)
