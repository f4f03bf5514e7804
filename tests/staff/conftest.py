from tests.staff.helpers import _fixed_today  # noqa: F401
