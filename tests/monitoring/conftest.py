from tests.monitoring.scripted import polled  # noqa: F401  (fixture)
