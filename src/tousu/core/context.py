"""Template context for every page: what the signed-in user may do, so menus show only what they can use."""

from django.http import HttpRequest

from tousu.accounts.roles import Capability


def capabilities(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"may": {}}
    return {"may": {capability.value: user.can(capability) for capability in Capability}}
