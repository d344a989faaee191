"""`heli bench checkin`: the public check-in endpoint under concurrent load on a real server.

Not an app (no models, no templates): a settings module and a URL module used only by the
server the benchmark starts, the preparation of its own database, and the load driver.
"""
