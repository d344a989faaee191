"""URLs of the member import pages (included in the control namespace)."""

urlpatterns: list = []
