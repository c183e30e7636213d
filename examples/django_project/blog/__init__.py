"""The example's app: posts, each announced by a `blog.post.created` webhook."""
