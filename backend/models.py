"""Imports every domain's models so Base.metadata (and Alembic) sees all tables."""

from backend.audit import models as audit_models  # noqa: F401
from backend.auth import models as auth_models  # noqa: F401
from backend.common import models as common_models  # noqa: F401
from backend.complaints import models as complaint_models  # noqa: F401
from backend.courses import models as course_models  # noqa: F401
from backend.districts import models as district_models  # noqa: F401
from backend.fees import models as fee_models  # noqa: F401
from backend.notifications import models as notification_models  # noqa: F401
from backend.payments import models as payment_models  # noqa: F401
from backend.pickup import models as pickup_models  # noqa: F401
from backend.privacy import models as privacy_models  # noqa: F401
from backend.schools import models as school_models  # noqa: F401
from backend.signup import models as signup_models  # noqa: F401
from backend.staff import models as staff_models  # noqa: F401
from backend.surveys import models as survey_models  # noqa: F401
from backend.terms import models as term_models  # noqa: F401
