"""A development LMS: a real, strict LTI 1.3 / LTI Advantage platform for `sweetspot demo` and the tests.

It is an independent system that only talks HTTP to the tool: its own SQLite file and RSA key in a
directory it is given, its issuer the base URL it is served at. In Python::

    from dev_lms import DevLms, create_app, vocabulary as lti

    lms = DevLms("/tmp/lms", "http://127.0.0.1:9001")
    course = lms.add_course("course-1", "Leading teams")
    ana = lms.add_person(course, "Ana Diaz", "ana@example.com", [lti.LEARNER], custom={"years_in_role": "3"})
    tool = lms.register_tool_dynamically("http://127.0.0.1:8000/lti/register")   # the tool must be serving
    link = lms.add_resource_link(course, tool.client_id, "Sweetspot")
    form = lms.launch_form(ana, link)            # url, method and params of the login initiation
    Browser().launch(form)                       # what a browser does: login, auth, id_token POST; the tool's answer
    lms.scores(course)                           # what the tool posted through AGS
    serve_in_thread(create_app(lms), 9001)       # or any WSGI server

See docs/dev-lms.md for every endpoint, the rules each enforces, and the seed data of the demo.
"""

from dev_lms.browser import Browser, Form, forms_in, only_form
from dev_lms.errors import DevLmsError, ProtocolError
from dev_lms.launch import LoginInitiation
from dev_lms.platform import DevLms
from dev_lms.records import CourseRef, LineItemSpec, PersonRef, ResourceLinkRef, ScoreView, ToolRegistration
from dev_lms.server import RunningServer, serve_in_thread
from dev_lms.web import create_app

__all__ = [
    "Browser",
    "CourseRef",
    "DevLms",
    "DevLmsError",
    "Form",
    "LineItemSpec",
    "LoginInitiation",
    "PersonRef",
    "ProtocolError",
    "ResourceLinkRef",
    "RunningServer",
    "ScoreView",
    "ToolRegistration",
    "create_app",
    "forms_in",
    "only_form",
    "serve_in_thread",
]
