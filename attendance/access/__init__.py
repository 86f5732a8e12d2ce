"""The one access policy: "may this user see / change this course, session, student,
consent, camera?". Every web view and every service that writes asks here, by action name
(:class:`Action`); the rules are the table in :mod:`.rules`, written out in
``docs/privacy.md`` ("Who can see it")."""

from .guard import Target as Target
from .guard import load_camera as load_camera
from .guard import load_class_session as load_class_session
from .guard import load_course as load_course
from .guard import load_student as load_student
from .guard import may as may
from .guard import may_consent_for as may_consent_for
from .guard import not_found as not_found
from .guard import relation_to as relation_to
from .guard import require as require
from .guard import require_consent_scope as require_consent_scope
from .rules import RELATIONS as RELATIONS
from .rules import TEACHER_MAY as TEACHER_MAY
from .rules import Action as Action
from .rules import Actor as Actor
from .rules import Principal as Principal
from .rules import Relation as Relation
from .rules import Subject as Subject
from .rules import permits as permits
from .scope import course_scope as course_scope
from .scope import listed_students as listed_students
from .scope import student_course_scope as student_course_scope
from .scope import usable_cameras as usable_cameras
from .scope import viewable_students as viewable_students
from .scope import visible_cameras as visible_cameras
from .scope import visible_courses as visible_courses
