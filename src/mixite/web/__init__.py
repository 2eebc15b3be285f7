"""The partners' web application (Django, server-rendered, DSFR): roles and isolation, the
partners' dashboards of legal objectives, uploads through the real readers, public applicant
information (cotation simulator, observed waiting time), background runs. See docs/web.md.

Django is imported only by this package (``mixite web`` imports it when it runs).
"""

__all__ = ["paths", "permissions", "server", "setup", "territory"]
