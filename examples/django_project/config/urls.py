"""The project's URLs: the admin (where the outbox's set-aside rows show) and the blog."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("blog.urls")),
]
